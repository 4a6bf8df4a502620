# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one comparison behind changed, the diff and check mode."""

from __future__ import annotations

from ansible_collections.zendesk.oauth.plugins.module_utils._compare import plan_client, token_view

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
