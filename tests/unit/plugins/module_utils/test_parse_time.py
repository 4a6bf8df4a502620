# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""parse_time: the one reader of ISO 8601 times, for the modules and the expiry filter and tests alike.

Runs on every target Python: fromisoformat reads less before 3.11, and parse_time must not.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone

import pytest

from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import is_expired, parse_time

# 2026-12-29T10:00:00Z
TEN_UTC = calendar.timegm((2026, 12, 29, 10, 0, 0))


@pytest.mark.parametrize("text, expected", [
    ("2026-12-29T10:00:00Z", TEN_UTC),
    ("2026-12-29T10:00:00z", TEN_UTC),
    ("2026-12-29T10:00:00+00:00", TEN_UTC),
    ("2026-12-29T12:00:00+02:00", TEN_UTC),
    ("2026-12-29T04:30:00-05:30", TEN_UTC),
    ("2026-12-29T10:00:00", TEN_UTC),            # no offset: UTC
    ("2026-12-29 10:00:00", TEN_UTC),
    ("  2026-12-29T10:00:00Z\n", TEN_UTC),
    ("2026-12-29T10:00:00.5Z", TEN_UTC + 0.5),
    ("2026-12-29T10:00:00.25", TEN_UTC + 0.25),
    ("2026-12-29T12:00:00.125+02:00", TEN_UTC + 0.125),
    ("2026-12-29T10:00:00.123456789Z", TEN_UTC + 0.123456),  # cut to microseconds
    ("2026-12-29", TEN_UTC - 10 * 3600),
], ids=repr)
def test_iso_times(text, expected):
    assert parse_time(text) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("value, expected", [
    (datetime(2026, 12, 29, 10, 0, 0, tzinfo=timezone.utc), TEN_UTC),
    (datetime(2026, 12, 29, 12, 0, 0, tzinfo=timezone(timedelta(hours=2))), TEN_UTC),
    (datetime(2026, 12, 29, 10, 0, 0, 500000), TEN_UTC + 0.5),  # naive: UTC, like a string without offset
    (date(2026, 12, 29), TEN_UTC - 10 * 3600),
], ids=repr)
def test_date_objects_read_like_their_isoformat(value, expected):
    assert parse_time(value) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("value", [
    None, "", "   ", "yesterday", "2026-13-01T00:00:00Z", "2026-12-29T25:00:00Z", "1767002400", 1767002400, True, [],
], ids=repr)
def test_not_a_time_is_none(value):
    assert parse_time(value) is None


@pytest.mark.parametrize("expires_at, now, margin, expired", [
    ("2026-12-29T10:00:00Z", TEN_UTC, 0, True),            # expires at this very second
    ("2026-12-29T10:00:00Z", TEN_UTC - 1, 0, False),
    ("2026-12-29T12:00:00+02:00", TEN_UTC - 60, 60, True),
    ("2026-12-29T12:00:00+02:00", TEN_UTC - 61, 60, False),
    ("2026-12-29T10:00:00.5Z", TEN_UTC + 0.25, 0, False),
    ("2026-12-29T10:00:00.5Z", TEN_UTC + 0.75, 0, True),
    (None, TEN_UTC + 10 ** 9, 0, False),                   # never expires
], ids=repr)
def test_is_expired_reads_every_form(expires_at, now, margin, expired):
    assert is_expired({"expires_at": expires_at}, now, margin) is expired
