# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one comparison behind changed, the diff and check mode."""

from __future__ import annotations

import pytest

from ansible_collections.zendesk.oauth.plugins.module_utils._compare import (
    TOKEN_FIELDS,
    plan_client,
    token_metadata,
    token_view,
    why_unfit,
)
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import parse_time

CURRENT = {
    "id": 1, "identifier": "app", "name": "App", "kind": "confidential", "redirect_uri": ["https://b/cb", "https://a/cb"],
    "description": None, "company": "", "secret": "abc...", "url": "https://x/1.json", "updated_at": "2026-01-01T00:00:00Z",
}


def desired(**fields):
    wish = dict.fromkeys(("name", "kind", "redirect_uri", "description", "company"))
    wish["identifier"] = "app"
    wish.update(fields)
    return wish


def test_fields_not_given_are_not_managed():
    changes, before, after = plan_client(CURRENT, desired())
    assert changes == {} and before == after


def test_equal_meanings_compare_equal():
    """redirect_uri as a set, None and "" alike, server fields ignored."""
    changes, dummy, dummy2 = plan_client(CURRENT, desired(
        name="App", redirect_uri=["https://a/cb", "https://b/cb", "https://a/cb"], description="", company=None))
    assert changes == {}


def test_only_the_differing_fields_are_sent_and_shown():
    changes, before, after = plan_client(CURRENT, desired(name="App 2", kind="confidential", company="ACME"))
    assert changes == {"name": "App 2", "company": "ACME"}
    assert {k for k in before if before[k] != after[k]} == {"name", "company"}
    assert "secret" not in before and "secret" not in after


def test_clearing_a_list_is_a_change():
    changes, dummy, after = plan_client(CURRENT, desired(redirect_uri=[]))
    assert changes == {"redirect_uri": []} and after["redirect_uri"] == []


def test_absent_client_plans_a_create_with_the_given_fields():
    changes, before, after = plan_client(None, desired(name="App", redirect_uri=["https://b", "https://a"]))
    assert changes == {"identifier": "app", "name": "App", "redirect_uri": ["https://b", "https://a"]}
    assert before == {} and after == {"identifier": "app", "name": "App", "redirect_uri": ["https://a", "https://b"]}


def test_token_view_never_shows_a_value():
    view = token_view({"id": 5, "client_id": 1, "scopes": ["write", "read"], "full_token": "s3cret", "token": "s3c"})
    assert view == {"id": 5, "client_id": 1, "scopes": ["read", "write"], "expires_at": None}


TOKEN = {"id": 5, "client_id": 1, "user_id": 42, "scopes": ["write", "read"], "created_at": "2026-11-29T09:00:00Z",
         "used_at": None, "expires_at": "2026-11-29T10:00:00Z", "refresh_token_expires_at": None, "url": "https://x/5",
         "token": "0123456789", "full_token": "s3cret", "refresh_token": "r3fresh"}
NOW = parse_time("2026-11-29T09:00:00Z")


def test_token_metadata_shows_the_values_only_of_a_token_this_task_minted():
    shown = token_metadata(TOKEN)
    assert sorted(shown) == sorted(TOKEN_FIELDS + ("full_token", "refresh_token"))
    assert shown["full_token"] is None and shown["refresh_token"] is None
    assert "s3cret" not in repr(shown) and "r3fresh" not in repr(shown) and "0123456789" not in repr(shown)
    minted = token_metadata(TOKEN, minted=True)
    assert (minted["full_token"], minted["refresh_token"]) == ("s3cret", "r3fresh")
    assert token_metadata({"id": 7})["scopes"] is None


def test_a_token_that_fits_has_no_problem():
    assert why_unfit(TOKEN, 1, ["read", "write"], NOW, 0) is None
    assert why_unfit(TOKEN, 1, ["write", "read", "read"], NOW, 3599) is None


@pytest.mark.parametrize("token, client_id, scopes, margin, problem", [
    (None, 1, ["read"], 0, "it is revoked, expired or unknown to Zendesk"),
    (TOKEN, 2, ["read", "write"], 0, "it belongs to client 1, not 2"),
    (TOKEN, 1, ["read"], 0, "its scopes are ['read', 'write'], not ['read']"),
    (TOKEN, 1, ["read", "write"], 3600, "it expires at 2026-11-29T10:00:00Z, within expiry_margin=3600s"),
    # The first reason wins: the client before the scopes, the scopes before the expiry.
    (TOKEN, 2, ["read"], 3600, "it belongs to client 1, not 2"),
    (TOKEN, 1, ["read"], 3600, "its scopes are ['read', 'write'], not ['read']"),
])
def test_why_a_token_is_unfit(token, client_id, scopes, margin, problem):
    assert why_unfit(token, client_id, scopes, NOW, margin) == problem


def test_why_unfit_leaves_out_the_client_or_scopes_not_asked_for():
    assert why_unfit(TOKEN, None, None, NOW, 0) is None
    assert why_unfit(TOKEN, None, ["read"], NOW, 0) == "its scopes are ['read', 'write'], not ['read']"
    assert why_unfit(TOKEN, 2, None, NOW, 0) == "it belongs to client 1, not 2"
    assert why_unfit(TOKEN, None, None, NOW + 3600, 0).startswith("it expires at")
    assert why_unfit(None, None, None, NOW, 0) == "it is revoked, expired or unknown to Zendesk"
