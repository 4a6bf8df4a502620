# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Scope shape checks, set comparison and expiry."""

from __future__ import annotations

import pytest

from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import (
    ScopeError,
    is_expired,
    normalize_scopes,
    parse_time,
    same_scopes,
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
