# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oauth_bootstrap role's decisions (plugins/module_utils/_bootstrap.py), table by table."""

from __future__ import annotations

import pytest

from ansible_collections.zendesk.oauth.plugins.module_utils import _bootstrap as plan
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import parse_time

BASE = "https://acme.zendesk.com"
T0 = parse_time("2026-12-01T10:00:00Z")


def options(**changes):
    values = {
        "oauth_bootstrap_client_identifier": "acme_integration",
        "oauth_bootstrap_client_kind": "confidential",
        "oauth_bootstrap_token_source": "admin",
        "oauth_bootstrap_full_token": None,
        "oauth_bootstrap_refresh_token": None,
        "oauth_bootstrap_rotate": False,
        "oauth_bootstrap_refresh": True,
        "oauth_bootstrap_revoke_unheld_tokens": False,
    }
    values.update(("oauth_bootstrap_" + key, value) for key, value in changes.items())
    return values


VALID = {"valid": True, "token": {"id": 7, "client_id": 1}}
UNFIT = {"valid": False, "token": {"id": 7, "client_id": 1}}   # works, but expiring or other scopes
DEAD = {"valid": False, "token": None}                           # revoked, expired, unknown
OTHER_CLIENT = {"valid": False, "token": {"id": 9, "client_id": 2}}


@pytest.mark.parametrize("client_id, held, verified, opts, refresh, secret, kind, expected", [
    # check mode: the client would be created first, there is nothing to settle
    (None, "tok", None, options(), None, None, "confidential", plan.NONE),
    # a held token that works and fits is kept
    (1, "tok", VALID, options(), None, None, "confidential", plan.KEEP),
    (1, "tok", VALID, options(), "ref", "sec", "confidential", plan.KEEP),
    # rotation replaces even a token that fits: refreshed when it can be, else new
    (1, "tok", VALID, options(rotate=True), None, None, "confidential", plan.MINT),
    (1, "tok", VALID, options(rotate=True), "ref", "sec", "confidential", plan.REFRESH),
    (1, "tok", VALID, options(rotate=True, token_source="client_credentials"), None, "sec", "confidential", plan.FETCH),
    # unfit or dead: refresh with the held refresh token when the client can authenticate
    (1, "tok", UNFIT, options(), "ref", "sec", "confidential", plan.REFRESH),
    (1, "tok", DEAD, options(), "ref", None, "public", plan.REFRESH),
    (1, "tok", DEAD, options(), "ref", None, "confidential", plan.MINT),      # no secret: cannot refresh
    (1, "tok", UNFIT, options(refresh=False), "ref", "sec", "confidential", plan.MINT),
    (1, "tok", UNFIT, options(token_source="client_credentials"), None, "sec", "confidential", plan.FETCH),
    # nothing held
    (1, None, None, options(), None, None, "confidential", plan.MINT),
    (1, None, None, options(token_source="client_credentials"), None, None, "confidential", plan.FETCH),
])
def test_token_path(client_id, held, verified, opts, refresh, secret, kind, expected):
    assert plan.token_path(client_id, held, verified, opts, refresh, secret, kind) == expected


@pytest.mark.parametrize("path, verified, client_id, expected", [
    (plan.MINT, VALID, 1, [7]),        # the held token still works: revoked after the new one is stored
    (plan.FETCH, UNFIT, 1, [7]),
    (plan.MINT, DEAD, 1, []),          # nothing to revoke
    (plan.MINT, None, 1, []),
    (plan.MINT, OTHER_CLIENT, 1, []),  # another client's token is none of ours
    (plan.REFRESH, VALID, 1, []),      # Zendesk revoked the old pair itself
    (plan.KEEP, VALID, 1, []),
])
def test_replaced_ids(path, verified, client_id, expected):
    assert plan.replaced_ids(path, verified, client_id) == expected


STORED_PAIR = {"zendesk_oauth_client_id": 1, "zendesk_oauth_token_id": 5, "zendesk_oauth_refresh_token": "r",
               "zendesk_oauth_refresh_token_expires_at": "2026-12-31T00:00:00Z"}


@pytest.mark.parametrize("record, now, expected", [
    # the held token is dead but its refresh token, not used this run, still works: revoked by its stored id
    (STORED_PAIR, T0, [5]),
    (dict(STORED_PAIR, zendesk_oauth_refresh_token_expires_at=None), T0, [5]),
    (dict(STORED_PAIR, zendesk_oauth_refresh_token_expires_at="2026-11-01T00:00:00Z"), T0, []),  # dead too
    (dict(STORED_PAIR, zendesk_oauth_refresh_token=None), T0, []),
    (dict(STORED_PAIR, zendesk_oauth_client_id=2), T0, []),   # another client's
    ({}, T0, []),
])
def test_replaced_ids_of_a_dead_token_with_a_live_refresh_token(record, now, expected):
    assert plan.replaced_ids(plan.MINT, DEAD, 1, record, now) == expected
    assert plan.replaced_ids(plan.REFRESH, DEAD, 1, record, now) == []


@pytest.mark.parametrize("opts, held, expected", [
    (options(revoke_unheld_tokens=True), None, True),
    (options(revoke_unheld_tokens=True), "tok", False),   # a held token: the other tokens may be someone's
    (options(revoke_unheld_tokens=False), None, False),
])
def test_revoke_unheld(opts, held, expected):
    assert plan.revoke_unheld(opts, held) is expected


@pytest.mark.parametrize("opts, record, expected", [
    (options(full_token="given", refresh_token="given-r"), {"zendesk_oauth_full_token": "stored"}, ("given", "given-r")),
    (options(full_token="given"), {"zendesk_oauth_full_token": "stored", "zendesk_oauth_refresh_token": "r"},
     ("given", None)),                                   # a pair goes together: the stored refresh token is not the given token's
    (options(), {"zendesk_oauth_full_token": "stored", "zendesk_oauth_refresh_token": "r"}, ("stored", "r")),
    (options(), {}, (None, None)),
    (options(), {"zendesk_oauth_full_token": "", "zendesk_oauth_refresh_token": ""}, (None, None)),
])
def test_held_pair(opts, record, expected):
    assert plan.held_pair(opts, record) == expected


@pytest.mark.parametrize("shown, given, record, client_id, expected", [
    ("new", "given", {"zendesk_oauth_client_id": 1, "zendesk_oauth_client_secret": "stored"}, 1, "new"),
    (None, "given", {"zendesk_oauth_client_id": 1, "zendesk_oauth_client_secret": "stored"}, 1, "given"),
    (None, None, {"zendesk_oauth_client_id": 1, "zendesk_oauth_client_secret": "stored"}, 1, "stored"),
    # a stored secret counts only for the client it was stored for (a client deleted and made again)
    (None, None, {"zendesk_oauth_client_id": 1, "zendesk_oauth_client_secret": "stored"}, 2, None),
    (None, None, {}, 1, None),
])
def test_client_secret(shown, given, record, client_id, expected):
    assert plan.client_secret(shown, given, record, client_id) == expected


@pytest.mark.parametrize("record, url, identifier, fails_because", [
    ({}, BASE, "acme_integration", None),
    ({"zendesk_oauth_url": BASE + "/", "zendesk_oauth_client_identifier": "acme_integration"}, BASE,
     "acme_integration", None),
    ({"zendesk_oauth_url": "https://ACME.zendesk.com", "zendesk_oauth_client_identifier": "acme_integration"}, BASE,
     "acme_integration", None),
    ({"zendesk_oauth_url": "https://other.zendesk.com", "zendesk_oauth_client_identifier": "acme_integration"}, BASE,
     "acme_integration", "written for the Zendesk account https://other.zendesk.com"),
    ({"zendesk_oauth_url": BASE, "zendesk_oauth_client_identifier": "billing"}, BASE, "acme_integration",
     "written for the OAuth client billing"),
])
def test_binding_problem(record, url, identifier, fails_because):
    problem = plan.binding_problem(record, url, identifier, "the vault file")
    if fails_because is None:
        assert problem is None
    else:
        assert fails_because in problem and "Nothing was sent to Zendesk" in problem


@pytest.mark.parametrize("opts, problem", [
    (options(), None),
    (options(client_identifier=" "), "oauth_bootstrap_client_identifier is empty"),
    (options(token_source="client_credentials", client_kind="public"), "needs a confidential client"),
    (options(token_source="client_credentials", client_kind=None), None),   # unset means confidential here
    (options(refresh_token="r"), "oauth_bootstrap_refresh_token is set without oauth_bootstrap_full_token"),
])
def test_option_problems(opts, problem):
    found = plan.option_problems(opts)
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0]


@pytest.mark.parametrize("kind, source, expected", [
    (None, "client_credentials", "confidential"),
    (None, "admin", None),
    ("public", "admin", "public"),
    ("confidential", "client_credentials", "confidential"),
])
def test_effective_kind(kind, source, expected):
    assert plan.effective_kind(options(client_kind=kind, token_source=source)) == expected


def test_record_holds_the_same_keys_for_every_store():
    client = {"id": 1, "identifier": "acme_integration", "secret": "(stub from a read)"}
    token = {"id": 7, "scopes": ["users:read", "read"], "full_token": "tok", "refresh_token": None,
             "expires_at": "2026-12-01T10:30:00Z", "refresh_token_expires_at": None, "used_at": "ignored"}
    record = plan.record_for(BASE, client, "sec", token)
    assert tuple(sorted(record)) == tuple(sorted(plan.RECORD_KEYS))
    assert record["zendesk_oauth_scopes"] == ["read", "users:read"]
    assert record["zendesk_oauth_client_secret"] == "sec"  # the secret given, never the client read's stub
    assert plan.PENDING_KEY in plan.record_for(BASE, client, "sec", token, pending={"operation": "revoke"})


@pytest.mark.parametrize("record, held, due", [
    ({"a": 1}, {"a": 1}, False),
    ({"a": 1}, {"a": 1, plan.PENDING_KEY: None}, False),          # no journal is no journal
    ({"a": 1}, {"a": 1, plan.PENDING_KEY: {"operation": "mint"}}, True),  # clearing the journal is a write
    ({"a": 1}, {"a": 2}, True),
    ({"a": 1}, {}, True),
])
def test_store_due(record, held, due):
    assert plan.store_due(record, held) is due


def test_journal_entry():
    entry = plan.journal(plan.MINT, T0, 300, client_id=1, scopes=["users:read", "read"], before_ids=[5, 3])
    assert entry == {"operation": "mint", "since": "2026-12-01T10:00:00Z", "until": "2026-12-01T10:05:00Z",
                     "client_id": 1, "scopes": ["read", "users:read"], "before_ids": [3, 5]}


def token(token_id, created, client_id=1, scopes=("read",)):
    return {"id": token_id, "client_id": client_id, "scopes": list(scopes), "created_at": created}


MINT_JOURNAL = plan.journal(plan.MINT, T0, 300, client_id=1, scopes=["read"], before_ids=[1])


@pytest.mark.parametrize("pending, tokens, held_id, expected", [
    # the token the dead run made: inside the window, not there before, not held
    (MINT_JOURNAL, [token(2, "2026-12-01T10:00:03Z")], None, [2]),
    (MINT_JOURNAL, [token(2, "2026-12-01T09:59:59Z")], None, [2]),     # the clock's whole seconds
    # not made by the dead run
    (MINT_JOURNAL, [token(1, "2026-12-01T10:00:03Z")], None, []),       # there before it
    (MINT_JOURNAL, [token(2, "2026-12-01T09:59:00Z")], None, []),       # before the window
    (MINT_JOURNAL, [token(2, "2026-12-01T10:06:00Z")], None, []),       # after it: another run's
    (MINT_JOURNAL, [token(2, "2026-12-01T10:00:03Z", client_id=9)], None, []),
    (MINT_JOURNAL, [token(2, "2026-12-01T10:00:03Z", scopes=("write",))], None, []),
    (MINT_JOURNAL, [token(2, "2026-12-01T10:00:03Z")], 2, []),          # the store holds it
    # journals that leave no token to revoke
    (plan.journal(plan.CREATE_CLIENT, T0, 300, identifier="x"), [token(2, "2026-12-01T10:00:03Z")], None, []),
    ({"operation": plan.REVOKE, "token_ids": [2]}, [token(2, "2026-12-01T10:00:03Z")], None, []),
    (None, [token(2, "2026-12-01T10:00:03Z")], None, []),
    # refresh and fetch journals, with no ids known from before
    (plan.journal(plan.REFRESH, T0, 300, client_id=1, scopes=["read"]),
     [token(1, "2026-12-01T09:00:00Z"), token(2, "2026-12-01T10:00:01Z")], 1, [2]),
    (plan.journal(plan.FETCH, T0, 300, client_id=1, scopes=["read"]), [token(2, "2026-12-01T10:01:00Z")], None, [2]),
])
def test_left_by_dead_run(pending, tokens, held_id, expected):
    assert plan.left_by_dead_run(pending, tokens, held_id) == expected


CLIENT = {"id": 1, "identifier": "acme_integration", "created_at": "2026-12-01T10:00:01Z"}
CREATE_JOURNAL = plan.journal(plan.CREATE_CLIENT, T0, 300, identifier="acme_integration")


@pytest.mark.parametrize("pending, client, record, lost", [
    (CREATE_JOURNAL, CLIENT, {}, True),                                               # made, secret never stored
    (CREATE_JOURNAL, CLIENT, {"zendesk_oauth_client_id": 1, "zendesk_oauth_client_secret": "s"}, False),
    (CREATE_JOURNAL, dict(CLIENT, created_at="2026-11-01T00:00:00Z"), {}, False),     # there before: not ours
    (CREATE_JOURNAL, dict(CLIENT, identifier="other"), {}, False),
    (MINT_JOURNAL, CLIENT, {}, False),
    (None, CLIENT, {}, False),
])
def test_secret_lost_to_dead_run(pending, client, record, lost):
    assert plan.secret_lost_to_dead_run(pending, client, record) is lost


def test_stats_hold_no_secret_unless_asked():
    client = {"id": 1, "identifier": "acme_integration"}
    tok = {"id": 7, "scopes": ["read"], "expires_at": None, "full_token": "tok"}
    assert plan.stats(client, tok, ["read"], with_token=False) == {
        "zendesk_oauth_client_identifier": "acme_integration", "zendesk_oauth_client_id": 1,
        "zendesk_oauth_token_id": 7, "zendesk_oauth_scopes": ["read"], "zendesk_oauth_token_expires_at": None}
    assert plan.stats(client, tok, ["read"], with_token=True)["zendesk_oauth_full_token"] == "tok"


def test_summary_has_no_secret():
    lines = plan.summary({"id": 1, "identifier": "acme", "secret": "SECRET-s1"},
                         {"id": 7, "scopes": ["read"], "full_token": "TOKEN-t1", "expires_at": None}, plan.KEEP,
                         "/srv/z.vault.yml (Ansible Vault)", False)
    assert lines == ["OAuth client acme: id 1",
                     "OAuth token: id 7, the held token works and was kept, scopes read, expires never",
                     "Store: /srv/z.vault.yml (Ansible Vault)"]
    assert "SECRET-s1" not in str(lines) and "TOKEN-t1" not in str(lines)


# -- several integrations, the id hint, set_stats by identifier ----------------------------------------------------
def role(**changes):
    """The role's options as the argument spec types them: every integration variable present (None = not set)."""
    values = dict(("oauth_bootstrap_" + key, None) for key in plan.INTEGRATION_KEYS)
    values.update({"oauth_bootstrap_integrations": None, "oauth_bootstrap_store": None,
                   "oauth_bootstrap_client_kind": "confidential", "oauth_bootstrap_scopes": ["read"]})
    values.update(("oauth_bootstrap_" + key, value) for key, value in changes.items())
    return values


def entry(identifier, **changes):
    values = dict((key, None) for key in plan.INTEGRATION_KEYS)
    values.update(client_identifier=identifier, **changes)
    return values


def test_one_integration_is_the_roles_own_options():
    runs = plan.integrations(role(client_identifier="acme_integration"))
    assert len(runs) == 1 and runs[0]["oauth_bootstrap_client_identifier"] == "acme_integration"
    assert "oauth_bootstrap_integrations" not in runs[0]


def test_each_entry_over_the_roles_variables():
    runs = plan.integrations(role(scopes=["read"], client_kind="public", integrations=[
        entry("crm_sync", vault_file="/srv/crm.vault.yml", scopes=["tickets:read"]),
        entry("billing", vault_file="/srv/billing.vault.yml", client_kind="confidential"),
    ]))
    assert [(run["oauth_bootstrap_client_identifier"], run["oauth_bootstrap_scopes"],
             run["oauth_bootstrap_client_kind"], run["oauth_bootstrap_vault_file"]) for run in runs] == [
        ("crm_sync", ["tickets:read"], "public", "/srv/crm.vault.yml"),
        ("billing", ["read"], "confidential", "/srv/billing.vault.yml")]
    assert all("oauth_bootstrap_integrations" not in run for run in runs)


@pytest.mark.parametrize("opts, problems", [
    (role(), ["oauth_bootstrap_client_identifier is not set"]),
    (role(integrations=[]), ["oauth_bootstrap_integrations is empty"]),
    (role(client_identifier="one", integrations=[entry("two")]),
     ["oauth_bootstrap_client_identifier is set with oauth_bootstrap_integrations"]),
    (role(vault_file="/srv/shared.vault.yml", full_token="tok", integrations=[entry("one"), entry("two")]),
     ["oauth_bootstrap_full_token is set with", "oauth_bootstrap_vault_file is set with"]),
    (role(integrations=[entry("one"), entry("two"), entry("one")]),
     ["entries 1 and 3 have the same client_identifier"]),
    (role(integrations=[entry("one", vault_file="/srv/a.vault.yml"), entry("two", vault_file="/srv/x/../a.vault.yml")]),
     ["entries 1 and 2 have the same vault_file"]),
    (role(store="kv", integrations=[entry("one", kv_path="zendesk/a"), entry("two", kv_path="/zendesk/a/")]),
     ["entries 1 and 2 have the same kv_path"]),
])
def test_integration_problems_are_all_named_before_any_request(opts, problems):
    with pytest.raises(plan.BootstrapError) as caught:
        plan.integrations(opts)
    message = str(caught.value)
    assert all(problem in message for problem in problems), message
    assert message.endswith("Nothing was sent to Zendesk.")


@pytest.mark.parametrize("record, expected", [
    ({"zendesk_oauth_client_identifier": "acme_integration", "zendesk_oauth_client_id": 900000000001}, 900000000001),
    ({"zendesk_oauth_client_identifier": "other", "zendesk_oauth_client_id": 900000000001}, None),
    ({"zendesk_oauth_client_identifier": "acme_integration", "zendesk_oauth_client_id": None}, None),
    ({"zendesk_oauth_client_identifier": "acme_integration", "zendesk_oauth_client_id": "9"}, None),
    ({"zendesk_oauth_client_identifier": "acme_integration", "zendesk_oauth_client_id": True}, None),
    ({}, None),
])
def test_client_id_hint_only_from_a_record_of_this_client(record, expected):
    assert plan.client_id_hint(record, "acme_integration") == expected


def test_keyed_stats_by_identifier_and_by_account():
    one = {"zendesk_oauth_client_identifier": "crm_sync", "zendesk_oauth_client_id": 1}
    two = {"zendesk_oauth_client_identifier": "crm_sync", "zendesk_oauth_client_id": 2}
    keyed = plan.keyed_stats([(BASE, one), ("https://beta.zendesk.com", two)])
    assert keyed["zendesk_oauth_clients"] == {"crm_sync": two}  # one account's view: the last one
    assert keyed["zendesk_oauth_accounts"] == {BASE: {"crm_sync": one}, "https://beta.zendesk.com": {"crm_sync": two}}
