# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role killed at its worst moments, and two runs at once on one vault file, lose nothing.

A short version of tests/system/chaos.py (`make chaos` runs 30 kills and 6 overlaps): 6 kills
(first run, rotation, refresh; most of them while the write that makes a one-time secret is in
flight) and 2 overlapping pairs, each followed by one clean run. Tokens nobody holds and secrets
lost are read from the simulator and the vault file.
"""

from __future__ import annotations

import chaos


def test_kills_and_overlaps_leave_no_token_nobody_holds_and_lose_no_secret(tmp_path):
    report = chaos.run(kills=6, overlaps=2, seed=20261206, workdir=str(tmp_path), log=lambda line: None)
    summary = report["summary"]

    # The trials really hurt: kills landed mid-run and left journals and tokens nobody held behind.
    assert summary["killed_mid_run"] >= 4, report
    assert summary["kills_that_left_a_journal"] >= 2, report
    # ... and the clean run after each repaired everything.
    assert summary["kills_tokens_nobody_holds"] == 0, report
    assert summary["kills_secrets_lost"] == 0, report
    assert summary["kills_clean_run_failed"] == 0, report
    assert summary["overlaps_tokens_nobody_holds"] == 0, report
    assert summary["overlaps_secrets_lost"] == 0, report
    assert summary["overlaps_failed_runs"] == 0, report
