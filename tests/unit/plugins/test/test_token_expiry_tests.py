# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The token_expired and token_expiring tests: their edges, and that they agree with token_expires_in and with the
modules' own rule (module_utils' is_expired, which expiry_margin uses)."""

from __future__ import annotations

import calendar

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.zendesk.oauth.plugins.filter import token_expires_in as expires_in_plugin
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import is_expired
from ansible_collections.zendesk.oauth.plugins.test import token_expired as expired_plugin
from ansible_collections.zendesk.oauth.plugins.test import token_expiring as expiring_plugin

TEN_UTC = calendar.timegm((2026, 12, 29, 10, 0, 0))  # 2026-12-29T10:00:00Z
SECRET = "s3cr3t-token-value-that-must-never-show"
token_expired = expired_plugin.TestModule().tests()["token_expired"]
token_expiring = expiring_plugin.TestModule().tests()["token_expiring"]
token_expires_in = expires_in_plugin.FilterModule().filters()["token_expires_in"]

PAIR = {"expires_at": "2026-12-29T11:00:00Z", "refresh_token_expires_at": "2027-01-28T10:00:00Z", "full_token": SECRET}
RECORD = {"zendesk_oauth_token_expires_at": "2026-12-29T11:00:00Z",
          "zendesk_oauth_refresh_token_expires_at": "2027-01-28T10:00:00Z"}
MONTH = 30 * 86400


def case_id(value):
    """Test ids that are the same in every pytest-xdist worker (no addresses, no set order)."""
    return value.__name__ if callable(value) else repr(value)


@pytest.mark.parametrize("value, now, options, expired", [
    (PAIR, TEN_UTC, {}, False),
    (PAIR, TEN_UTC + 3599, {}, False),
    (PAIR, TEN_UTC + 3600, {}, True),                             # expires at the second it names
    (PAIR, TEN_UTC + 3600, {"refresh": True}, False),
    (PAIR, TEN_UTC + MONTH, {"refresh": True}, True),
    (RECORD, "2026-12-29T12:59:59+02:00", {}, False),
    (RECORD, "2026-12-29T13:00:00+02:00", {}, True),
    (RECORD, TEN_UTC + MONTH, {"refresh": True}, True),
    ("2026-12-29T11:00:00.5Z", TEN_UTC + 3600, {}, False),
    ("2026-12-29T11:00:00.5Z", TEN_UTC + 3600.5, {}, True),
    ({"expires_at": None}, TEN_UTC + 100 * 365 * 86400, {}, False),
    (None, TEN_UTC, {}, False),
    ({"expires_at": "2026-12-29T11:00:00Z", "refresh_token_expires_at": None}, TEN_UTC + MONTH, {"refresh": True},
     False),
], ids=repr)
def test_token_expired(value, now, options, expired):
    assert token_expired(value, now=now, **options) is expired


@pytest.mark.parametrize("value, within, now, options, expiring", [
    (PAIR, 600, TEN_UTC, {}, False),
    (PAIR, 600, TEN_UTC + 2999, {}, False),
    (PAIR, 600, TEN_UTC + 3000, {}, True),                        # exactly 600 s left
    (PAIR, 600, TEN_UTC + 7200, {}, True),                        # already expired: expiring too
    (PAIR, 0, TEN_UTC + 3599, {}, False),
    (PAIR, 0, TEN_UTC + 3600, {}, True),
    (PAIR, "600", TEN_UTC + 3000, {}, True),                      # an extra var is a string
    (PAIR, 599.5, TEN_UTC + 3000, {}, False),
    (PAIR, 7 * 86400, TEN_UTC, {"refresh": True}, False),
    (PAIR, 7 * 86400, TEN_UTC + MONTH - 7 * 86400, {"refresh": True}, True),
    (RECORD, 3600, "2026-12-29T10:00:00Z", {}, True),
    (RECORD, 3599, "2026-12-29T10:00:00Z", {}, False),
    ({"expires_at": None}, 10 ** 9, TEN_UTC, {}, False),
    ("2026-12-29T11:00:00Z", 3600, TEN_UTC, {"refresh": True}, True),
], ids=repr)
def test_token_expiring(value, within, now, options, expiring):
    assert token_expiring(value, within, now=now, **options) is expiring
    assert token_expiring(value, within=within, now=now, **options) is expiring


@pytest.mark.parametrize("offset", [-7200, -1, -0.5, 0, 0.5, 1, 599, 600, 600.5, 601, 3600])
@pytest.mark.parametrize("within", [0, 1, 600])
def test_the_plugins_and_the_modules_agree(offset, within):
    """token_expired == seconds left <= 0; token_expiring == seconds left <= within; both == is_expired."""
    token = {"expires_at": "2026-12-29T10:00:00Z"}
    at = TEN_UTC - offset  # the token has `offset` seconds left at `at`
    left = token_expires_in(token, now=at)
    assert token_expired(token, now=at) is (left <= 0) is is_expired(token, at)
    assert token_expiring(token, within, now=at) is (left <= within) is is_expired(token, at, within)


@pytest.mark.parametrize("test, args, options, message", [
    (token_expiring, (PAIR,), {}, "zendesk.oauth.token_expiring: give within, the seconds to look ahead, as in "
                                  "zendesk.oauth.token_expiring(within=600)"),
    (token_expiring, (PAIR, "soon"), {}, "zendesk.oauth.token_expiring: within must be a number of seconds, 0 or more "
                                         "(such as 600), not 'soon'"),
    (token_expiring, (PAIR, -1), {}, "within must be a number of seconds, 0 or more (such as 600), not -1"),
    (token_expiring, (PAIR, True), {}, "within must be a number of seconds, 0 or more (such as 600), not True"),
    (token_expiring, (PAIR, float("nan")), {}, "within must be a number of seconds"),
    (token_expiring, (PAIR, float("inf")), {}, "within must be a number of seconds"),
    (token_expiring, (PAIR, [600]), {}, "within must be a number of seconds, 0 or more (such as 600), not a list"),
    (token_expiring, ({"full_token": SECRET}, 600), {}, "zendesk.oauth.token_expiring: the input is a dict without "
                                                        "expires_at or zendesk_oauth_token_expires_at"),
    (token_expiring, ({"expires_at": None}, 600), {"now": "soon"}, "zendesk.oauth.token_expiring: now must be"),
    (token_expired, (SECRET,), {}, "zendesk.oauth.token_expired: the input is not an ISO 8601 time"),
    (token_expired, ({"token": PAIR},), {}, "zendesk.oauth.token_expired: the input is a dict without expires_at or "
                                            "zendesk_oauth_token_expires_at (its keys: token). For the result of "
                                            "zendesk_oauth_token or zendesk_oauth_token_info, give its token"),
    (token_expired, (PAIR,), {"refresh": 1}, "zendesk.oauth.token_expired: refresh must be true or false, not an "
                                             "integer"),
    (token_expired, (PAIR,), {"now": [TEN_UTC]}, "zendesk.oauth.token_expired: now must be epoch seconds"),
], ids=case_id)
def test_bad_input_names_the_argument_and_shows_no_secret(test, args, options, message):
    with pytest.raises(AnsibleFilterError) as caught:
        test(*args, **options)
    assert message in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("plugin, name, options", [
    (expired_plugin, "token_expired", ["_input", "now", "refresh"]),
    (expiring_plugin, "token_expiring", ["_input", "now", "refresh", "within"]),
], ids=["token_expired", "token_expiring"])
def test_documentation_names_the_test(plugin, name, options):
    documentation = yaml.safe_load(plugin.DOCUMENTATION)
    assert list(plugin.TestModule().tests()) == [documentation["name"]] == [name]
    assert sorted(documentation["options"]) == options
    assert yaml.safe_load(plugin.EXAMPLES) and yaml.safe_load(plugin.RETURN)["_value"]["type"] == "boolean"
