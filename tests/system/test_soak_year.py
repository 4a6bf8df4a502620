# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role under Zendesk's 2027 rules over simulated weeks: the short version of tests/system/soak_year.py.

`make soak-year` runs the year (365 days, a run every 12 hours, a 40-day gap). This version has
30 days of runs (60 runs, every 12 hours) around a 31-day gap: days 0 to 15, nothing until day
46, then days 46 to 61. The gap has to outlast the 30-day refresh token, so no 30-day span can
hold one; 31 days is the shortest gap that does (the last run before it is at day 14.5, so the
refresh token is 31.5 days old at day 46). The first run, the first refresh and the run after
the gap are real ansible-playbook processes; the others run the role's work in this process.
"""

from __future__ import annotations

import soak_year
from soak_year import EXPECTED_REQUESTS, FIRST, KEEP, MINT, REFRESH, REMINT

RUNS = 60


def test_sixty_runs_around_a_31_day_gap_refresh_every_time_and_mint_once_after_the_gap(tmp_path):
    report = soak_year.soak(days=61, every_hours=12, gap_start_day=15, gap_days=31,
                            playbook=("first", "refresh", "after-gap"), workdir=str(tmp_path), log=lambda line: None)
    summary, runs = report["summary"], report["runs"]
    broken = [(run["run"], run["problems"]) for run in runs if run["problems"]]

    # After every run: the stored token works as Bearer and has not expired, the store holds the
    # client's secret and no journal, and no token is left that nobody holds.
    assert broken == []
    assert summary["failed_runs"] == 0
    # One mint at the start, one after the gap (its refresh refused), a refresh on every other run.
    assert summary["runs"] == RUNS
    assert [run["kind"] for run in runs] == [FIRST] + [REFRESH] * 29 + [REMINT] + [REFRESH] * 29
    assert (summary["first_mints"], summary["re_mints"], summary["refreshes"]) == (1, 1, 58)
    assert (summary["keeps"], summary["other_mints"], summary["other_runs"]) == (0, 0, 0)
    assert runs[30]["day"] == 46 and runs[29]["day"] == 14.5
    # The requests Zendesk saw, run by run (soak_year checks each against EXPECTED_REQUESTS).
    assert summary["requests_total"] == 3 + 58 * 4 + 4
    assert (summary["requests_per_run_median"], summary["requests_per_run_max"]) == (4, 4)
    assert runs[30]["sent"] == EXPECTED_REQUESTS[REMINT]
    # ansible-playbook gave the same outcome as the role's work run in this process.
    assert [(run["run"], run["kind"]) for run in runs if run["via"] == "ansible-playbook"] == [
        (0, FIRST), (1, REFRESH), (30, REMINT)]
    assert runs[1]["sent"] == runs[2]["sent"] == EXPECTED_REQUESTS[REFRESH]


def test_the_schedule_calls_for_a_re_mint_only_after_a_gap_the_refresh_token_does_not_outlive():
    def kinds(**gap):
        return soak_year.expected_kinds(soak_year.schedule(61, 12, **gap))

    assert kinds(gap_start_day=15, gap_days=31).count(REMINT) == 1
    # The last run before a 29-day gap is at day 14.5: the refresh token is 29.5 days old after it.
    assert kinds(gap_start_day=15, gap_days=29).count(REMINT) == 0
    assert soak_year.expected_kinds([0, 600, 1600]) == [FIRST, KEEP, REFRESH]  # 30-minute tokens, 300 s margin
    # The reference's unknowns answered otherwise: minted tokens without a refresh token, or that never expire.
    assert soak_year.expected_kinds([0, 43200, 86400], minted_refresh=False) == [FIRST, MINT, MINT]
    assert soak_year.expected_kinds([0, 43200, 86400], minted_ttl=None) == [FIRST, KEEP, KEEP]


def test_the_checks_see_a_token_nobody_holds_an_expired_token_and_a_lost_secret(tmp_path):
    """The year's checks can fail: each one reads the simulator, so changing the simulator breaks it."""
    year = soak_year.Year(str(tmp_path))
    try:
        failed, path, changed = year.run_engine()
        assert (failed, path, changed) == (None, "mint", True)
        assert year.check() == []
        client_id = year.stored()["zendesk_oauth_client_id"]
        session = soak_year.requests.Session()
        session.auth = ("%s/token" % soak_year.ADMIN_EMAIL, soak_year.ADMIN_API_TOKEN)

        other = session.post(year.url + "/api/v2/oauth/tokens",
                             json={"token": {"client_id": client_id, "scopes": ["read"]}}, timeout=30)
        assert other.status_code == 201
        assert ["tokens nobody holds: [%d]" % other.json()["token"]["id"]] == year.check()

        assert session.put(year.url + "/api/v2/oauth/clients/%d/generate_secret" % client_id,
                           timeout=30).status_code == 200
        year.control.advance_clock(soak_year.ACCESS_TTL)
        problems = year.check()
        assert "the stored client secret is not the client's" in problems
        assert any(problem.startswith("the stored token has expired") for problem in problems)
        assert "the stored token does not work as Bearer: GET /api/v2/users/me answered 401" in problems
        # The other token expired too, but its refresh token still works: someone could still use it.
        assert "tokens nobody holds: [%d]" % other.json()["token"]["id"] in problems
    finally:
        year.close()
