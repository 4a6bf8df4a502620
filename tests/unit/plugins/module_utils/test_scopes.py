# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scope shape checks, set comparison, expiry, and the other checks of the token modules' shared options."""

from __future__ import annotations

import pytest

from ansible_collections.zendesk.oauth.plugins.doc_fragments.zendesk import ModuleDocFragment
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import (
    KNOWN_RESOURCES,
    KNOWN_RESOURCES_SOURCE,
    MAX_EXPIRY_MARGIN,
    ScopeError,
    check_scopes,
    is_expired,
    normalize_scopes,
    parse_time,
    same_scopes,
    token_options_problem,
)


@pytest.mark.parametrize("scopes, expected, unknown", [
    (["read"], ["read"], []),
    (["tickets:read", "users:write", "tickets:read"], ["tickets:read", "users:write"], []),
    (["impersonate", "write", "hc"], ["impersonate", "write", "hc"], []),
    (["custom_objects:read"], ["custom_objects:read"], ["custom_objects"]),
])
def test_well_formed_scopes(scopes, expected, unknown):
    assert normalize_scopes(scopes) == (expected, unknown)


@pytest.mark.parametrize("scopes, bad", [
    (["tickets:delete"], "'tickets:delete'"),
    (["Tickets:read"], "'Tickets:read'"),
    (["read write"], "'read write'"),
    (["read:read"], "'read:read'"),
    (["tickets:"], "'tickets:'"),
    ([7], "7"),
])
def test_malformed_scopes_name_the_entry(scopes, bad):
    with pytest.raises(ScopeError, match="scopes entry") as caught:
        normalize_scopes(scopes)
    assert bad in str(caught.value)


def test_scopes_must_be_a_non_empty_list():
    with pytest.raises(ScopeError, match="must be a list"):
        normalize_scopes("read")
    with pytest.raises(ScopeError, match="must not be empty"):
        normalize_scopes([])


def test_an_unknown_resource_fails_by_default_naming_the_list_and_the_option():
    with pytest.raises(ScopeError) as caught:
        check_scopes(["read", "tickts:read"])
    message = str(caught.value)
    assert "tickts" in message and "unknown_scopes: warn" in message and KNOWN_RESOURCES_SOURCE in message
    assert all(resource in message for resource in KNOWN_RESOURCES)


def test_an_unknown_resource_is_sent_with_a_warning_naming_the_list_when_asked():
    scopes, warning = check_scopes(["tickts:read", "read", "read"], "warn")
    assert scopes == ["tickts:read", "read"]
    assert "tickts" in warning and "unknown_scopes=warn" in warning and KNOWN_RESOURCES_SOURCE in warning
    assert all(resource in warning for resource in KNOWN_RESOURCES)


@pytest.mark.parametrize("unknown_scopes", ["fail", "warn"])
def test_known_resources_pass_either_way(unknown_scopes):
    scopes = sorted(KNOWN_RESOURCES) + ["read", "impersonate", "tickets:write"]
    assert check_scopes(scopes, unknown_scopes) == (scopes, None)


def test_malformed_scopes_fail_whatever_unknown_scopes_says():
    with pytest.raises(ScopeError, match="malformed"):
        check_scopes(["tickets:delete"], "warn")


def test_the_documented_list_is_the_checked_list():
    """The doc fragment names every resource of KNOWN_RESOURCES, and no other (one list, shown once)."""
    import re
    import yaml
    doc = yaml.safe_load(ModuleDocFragment.SCOPES)["options"]["unknown_scopes"]["description"]
    text = " ".join(doc)
    named = set(re.findall(r"C\(([a-z_]+)\)", text)) - {"tickts"}
    assert named == KNOWN_RESOURCES and KNOWN_RESOURCES_SOURCE in text


def test_scopes_compare_as_sets():
    assert same_scopes(["read", "write"], ["write", "read"])
    assert not same_scopes(["read"], ["read", "write"])


def test_expiry():
    when = parse_time("2026-11-29T10:00:00Z")
    assert when == parse_time("2026-11-29T10:00:00+00:00")
    assert parse_time(None) is None and parse_time("yesterday") is None
    token = {"expires_at": "2026-11-29T10:00:00Z"}
    assert is_expired(token, when) and not is_expired(token, when - 61, margin=60)
    assert is_expired(token, when - 59, margin=60)
    assert not is_expired({"expires_at": None}, when)


def token_options(**given):
    options = {"expiry_margin": 0, "client_id": None, "client_identifier": None, "full_token": None, "token_id": None}
    options.update(given)
    return options


@pytest.mark.parametrize("given", [
    {}, {"expiry_margin": MAX_EXPIRY_MARGIN}, {"client_id": 1, "token_id": 2},
    {"full_token": "held", "client_identifier": "app"},
])
def test_good_token_options_have_no_problem(given):
    assert token_options_problem(token_options(**given)) is None


@pytest.mark.parametrize("given, problem", [
    ({"expiry_margin": -1}, "expiry_margin=-1 is out of range: give 0 to 7776000 seconds"),
    ({"expiry_margin": MAX_EXPIRY_MARGIN + 1}, "expiry_margin=7776001 is out of range"),
    ({"client_id": 0}, "client_id=0 is not a Zendesk id: give the positive numeric id"),
    ({"token_id": -5}, "token_id=-5 is not a Zendesk id"),
    ({"full_token": "  "}, "full_token is empty: omit it, or give the token value you hold"),
    ({"client_identifier": ""}, "client_identifier is empty: give the client's identifier"),
    # The first problem wins, in the order above.
    ({"expiry_margin": -1, "client_id": 0, "full_token": ""}, "expiry_margin=-1"),
])
def test_token_option_problems_name_the_option_and_the_fix(given, problem):
    assert token_options_problem(token_options(**given)).startswith(problem)
