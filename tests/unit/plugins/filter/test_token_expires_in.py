# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The token_expires_in filter: every input form, every form of now, and the failures on bad input."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from jinja2 import StrictUndefined, UndefinedError

from ansible_collections.zendesk.oauth.plugins.filter import token_expires_in as plugin
from ansible_collections.zendesk.oauth.plugins.plugin_utils import _token_expiry

TEN_UTC = calendar.timegm((2026, 12, 29, 10, 0, 0))  # 2026-12-29T10:00:00Z
SECRET = "s3cr3t-token-value-that-must-never-show"
expires_in = plugin.FilterModule().filters()["token_expires_in"]


@pytest.mark.parametrize("value, options, expected", [
    # a token as the modules return it
    ({"id": 1, "expires_at": "2026-12-29T11:00:00Z", "full_token": SECRET}, {}, 3600),
    ({"expires_at": "2026-12-29T13:00:00+02:00"}, {}, 3600),
    ({"expires_at": "2026-12-29T06:00:00-05:00"}, {}, 3600),
    ({"expires_at": "2026-12-29T11:00:00"}, {}, 3600),            # no offset: UTC
    ({"expires_at": "2026-12-29T10:59:59.5Z"}, {}, 3600),         # rounded up
    ({"expires_at": "2026-12-29T09:00:00Z"}, {}, -3600),          # expired an hour ago
    ({"expires_at": "2026-12-29T10:00:00Z"}, {}, 0),              # expires this second
    ({"expires_at": None}, {}, None),                             # never expires
    ({"expires_at": "2026-12-29T11:00:00Z", "refresh_token_expires_at": "2027-01-28T10:00:00Z"},
     {"refresh": True}, 30 * 86400),
    ({"expires_at": "2026-12-29T11:00:00Z", "refresh_token_expires_at": None}, {"refresh": True}, None),
    # a record of the role's store
    ({"zendesk_oauth_token_expires_at": "2026-12-29T11:00:00Z", "zendesk_oauth_refresh_token_expires_at": None,
      "zendesk_oauth_full_token": SECRET}, {}, 3600),
    ({"zendesk_oauth_token_expires_at": "2026-12-29T11:00:00Z",
      "zendesk_oauth_refresh_token_expires_at": "2027-01-28T10:00:00Z"}, {"refresh": True}, 30 * 86400),
    ({"zendesk_oauth_token_expires_at": None}, {}, None),
    # the expiry itself; refresh changes nothing then
    ("2026-12-29T11:00:00Z", {}, 3600),
    ("2026-12-29T11:00:00Z", {"refresh": True}, 3600),
    (None, {}, None),
    (datetime(2026, 12, 29, 11, 0, 0, tzinfo=timezone.utc), {}, 3600),
    (datetime(2026, 12, 29, 11, 0, 0), {}, 3600),                 # naive: UTC
], ids=repr)
def test_seconds_left(value, options, expected):
    assert expires_in(value, now=TEN_UTC, **options) == expected


@pytest.mark.parametrize("now, expected", [
    (TEN_UTC, 3600),
    (float(TEN_UTC) + 0.25, 3600),                                # 3599.75 rounded up
    (TEN_UTC + 3599.5, 1),                                        # still alive: never 0 before the second
    (TEN_UTC + 3600.5, 0),                                        # expired half a second ago: 0, not -1
    ("2026-12-29T10:00:00Z", 3600),
    ("2026-12-29T12:00:00+02:00", 3600),
    ("2026-12-29T10:00:00", 3600),
    ("2026-12-29 10:00:00", 3600),                                # str() of a naive datetime (ansible-core 2.17)
    ("2026-12-29T10:00:00.000001Z", 3600),
    (datetime(2026, 12, 29, 10, 0, 0, tzinfo=timezone.utc), 3600),
    (datetime(2026, 12, 29, 10, 0, 0, tzinfo=timezone(timedelta(hours=-1))), 0),
    (datetime(2026, 12, 29, 10, 0, 0), 3600),                     # naive: UTC, as to_datetime of a Date header
], ids=repr)
def test_now_forms(now, expected):
    assert expires_in("2026-12-29T11:00:00Z", now=now) == expected


def test_now_defaults_to_the_controller_clock(monkeypatch):
    monkeypatch.setattr(_token_expiry.time, "time", lambda: TEN_UTC + 600)
    assert expires_in("2026-12-29T11:00:00Z") == 3000


@pytest.mark.parametrize("value, options, message", [
    (SECRET, {}, "the input is not an ISO 8601 time such as 2026-12-29T10:00:00Z (a string of 39 characters"),
    ("", {}, "the input is not an ISO 8601 time"),
    ({"expires_at": SECRET}, {}, "the input's expires_at is not an ISO 8601 time"),
    ({"zendesk_oauth_token_expires_at": "tomorrow"}, {}, "the input's zendesk_oauth_token_expires_at is not an ISO"),
    ({"id": 7, "full_token": SECRET}, {},
     "the input is a dict without expires_at or zendesk_oauth_token_expires_at (its keys: full_token, id). Give a "
     "token"),
    ({}, {}, "(its keys: none)"),
    ({"changed": True, "token": {"expires_at": None, "full_token": SECRET}}, {}, "give its token: RESULT.token"),
    ({"refresh_token_expires_at": None}, {}, "It holds only the refresh token's expiry: add refresh=true"),
    ({"expires_at": None, "zendesk_oauth_token_expires_at": None}, {"refresh": True},
     "without refresh_token_expires_at or zendesk_oauth_refresh_token_expires_at"),
    (1798542000, {}, "the input must be a token dict, a record of the oauth_bootstrap store, an ISO 8601 time such "
                     "as 2026-12-29T10:00:00Z, or null for a token that never expires, not an integer"),
    ([{"expires_at": None}], {}, "not a list"),
    ({"expires_at": 1798542000}, {}, "the input's expires_at must be a token dict"),
    ("2026-12-29T11:00:00Z", {"now": "tomorrow"}, "now must be epoch seconds (a number such as 1798538400, e.g. "
                                                  "ansible_date_time.epoch | int) or an ISO 8601 time such as "
                                                  "2026-12-29T10:00:00Z, not 'tomorrow'"),
    ("2026-12-29T11:00:00Z", {"now": "1798538400"}, "now must be epoch seconds"),
    ("2026-12-29T11:00:00Z", {"now": True}, "now must be epoch seconds (a number such as 1798538400, e.g. "
                                            "ansible_date_time.epoch | int) or an ISO 8601 time such as "
                                            "2026-12-29T10:00:00Z, not a boolean"),
    ("2026-12-29T11:00:00Z", {"now": {"epoch": 1}}, "not a dict"),
    (None, {"now": "never"}, "now must be epoch seconds"),        # checked even for a token that never expires
    ("2026-12-29T11:00:00Z", {"refresh": "yes"}, "refresh must be true or false, not a string"),
], ids=repr)
def test_bad_input_names_the_argument_and_shows_no_secret(value, options, message):
    with pytest.raises(AnsibleFilterError) as caught:
        expires_in(value, **options)
    text = str(caught.value)
    assert text.startswith("zendesk.oauth.token_expires_in: ")
    assert message in text
    assert SECRET not in text


def test_an_undefined_input_fails_as_undefined():
    # ansible-core 2.17 and 2.18 pass an undefined value into the filter
    with pytest.raises(UndefinedError, match="'held' is undefined"):
        expires_in(StrictUndefined(name="held"))
    with pytest.raises(UndefinedError, match="'zendesk_now' is undefined"):
        expires_in("2026-12-29T11:00:00Z", now=StrictUndefined(name="zendesk_now"))


def test_documentation_names_the_filter():
    documentation = yaml.safe_load(plugin.DOCUMENTATION)
    assert list(plugin.FilterModule().filters()) == [documentation["name"]] == ["token_expires_in"]
    assert set(documentation["options"]) == {"_input", "refresh", "now"}
    assert yaml.safe_load(plugin.EXAMPLES) and yaml.safe_load(plugin.RETURN)["_value"]["type"] == "int"
