# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oauth_token_audit role's engine before any request: its variables, its store entries, reading the stores
(read only), and the report it renders for people."""

from __future__ import annotations

import fcntl
import os

import pytest
import yaml

from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.zendesk.oauth.plugins.module_utils import _audit as plan
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import parse_time
from ansible_collections.zendesk.oauth.plugins.plugin_utils import _audit_engine as engine
from ansible_collections.zendesk.oauth.plugins.plugin_utils import _audit_report as render
from ansible_collections.zendesk.oauth.plugins.plugin_utils._stores import StoreError

PASSWORD = "unit-vault-password-0042"
BASE = "https://acme.zendesk.com"


def typed(**values):
    return engine.typed_options(dict(("oauth_token_audit_" + key, value) for key, value in values.items()))[0]


def test_variables_are_typed_as_modules_read_them():
    options = typed(revoke_unheld="yes", include_expired="false", expiring_within="3600",
                    stores=[{"store": "fact", "token_id": "910000000001"}])
    assert options["oauth_token_audit_revoke_unheld"] is True
    assert options["oauth_token_audit_include_expired"] is False
    assert options["oauth_token_audit_expiring_within"] == 3600
    entry = options["oauth_token_audit_stores"][0]
    assert entry["token_id"] == 910000000001 and entry["kv_mount"] == "secret" and entry["lock_timeout"] == 300


def test_secret_values_are_known_and_bad_entries_name_the_variable():
    options, secrets = engine.typed_options({"oauth_token_audit_api_token": "api-token-value",
                                             "oauth_token_audit_stores": [{"store": "kv", "kv_token": "kv-token-v"}]})
    assert {"api-token-value", "kv-token-v"} <= secrets
    assert options["oauth_token_audit_stores"][0]["kv_token"] == "kv-token-v"
    with pytest.raises(engine.AuditError, match=r"oauth_token_audit_stores\.kv_pth.*Nothing was sent to Zendesk"):
        engine.typed_options({"oauth_token_audit_stores": [{"store": "kv", "kv_pth": "x"}]})
    with pytest.raises(engine.AuditError,
                       match="store must be one of: vault_file, kv, fact, got: ldap found in oauth_token_audit_stores"):
        engine.typed_options({"oauth_token_audit_stores": [{"store": "ldap"}]})


@pytest.mark.parametrize("values, problem", [
    ({}, None),
    ({"expiring_within": -1}, "oauth_token_audit_expiring_within=-1 is out of range"),
    ({"unused_for_days": 0}, "oauth_token_audit_unused_for_days=0 is out of range"),
    ({"revoke_min_age": -5}, "oauth_token_audit_revoke_min_age=-5 is negative"),
    ({"broad_scopes": ["Write"]}, "oauth_token_audit_broad_scopes: scopes entry 'Write' is malformed"),
    ({"revoke_unheld": True}, "oauth_token_audit_revoke_unheld needs oauth_token_audit_stores"),
    ({"stores": [{"store": "vault_file", "vault_file": "/x.yml", "kv_path": "a/b"}]},
     "oauth_token_audit_stores[0] is a vault_file store, and kv_path belongs to another kind of store"),
    ({"stores": [{"store": "fact"}]}, "oauth_token_audit_stores[0] is a fact store: give exactly one of token_id"),
    ({"stores": [{"store": "fact", "token_id": 1, "full_token": "abcdefgh"}]}, "give exactly one of token_id"),
    ({"stores": [{"store": "fact", "token_id": 0}]}, "oauth_token_audit_stores[0].token_id=0 is not a Zendesk id"),
    ({"stores": [{"store": "fact", "token_id": 1}, {"store": "fact", "token_id": 2, "scopes": ["tickets:Read"]}]},
     "oauth_token_audit_stores[1].scopes: scopes entry 'tickets:Read' is malformed"),
    ({"report_json": "audit.json"}, "oauth_token_audit_report_json audit.json is a relative path"),
    ({"report_markdown": "/nonexistent-dir-h8/audit.md"}, "its directory /nonexistent-dir-h8 must exist"),
])
def test_option_problems(values, problem):
    found = engine.option_problems(typed(**values))
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0], found


def test_a_default_value_is_not_a_field_of_another_kind():
    assert engine.option_problems(typed(stores=[{"store": "fact", "token_id": 1, "kv_mount": "secret",
                                                 "lock_timeout": 300}])) == []


def test_store_messages_name_the_audit_s_entry():
    message = ("oauth_bootstrap_store=kv: oauth_bootstrap_kv_url is not set: set it, or VAULT_ADDR. "
               "oauth_bootstrap_vault_password_file x. The role checks this.")
    assert engine.in_audit_terms(message, "oauth_token_audit_stores[3]") == (
        "oauth_token_audit_stores[3].store=kv: oauth_token_audit_stores[3].kv_url is not set: set it, or VAULT_ADDR. "
        "oauth_token_audit_stores[3].vault_password_file x. The audit checks this.")


# -- reading the stores ------------------------------------------------------------------------------------
def vault_file(tmp_path, name, data):
    path = str(tmp_path / name)
    vault = VaultLib([("default", VaultSecret(PASSWORD.encode()))])
    with open(path, "wb") as handle:
        handle.write(vault.encrypt(yaml.safe_dump(data).encode()))
    return path


def entries(*stores):
    return typed(stores=list(stores))["oauth_token_audit_stores"]


def test_vault_files_are_read_without_making_a_lock_file_and_left_unchanged(tmp_path):
    record = {"zendesk_oauth_url": BASE, "zendesk_oauth_client_id": 1, "zendesk_oauth_client_identifier": "acme",
              "zendesk_oauth_token_id": 10, "zendesk_oauth_scopes": ["read"], "zendesk_oauth_full_token": "f" * 64}
    path = vault_file(tmp_path, "a.vault.yml", record)
    before = os.stat(path)
    secrets = set()
    read = engine.read_stores(entries({"store": "vault_file", "vault_file": path, "vault_password": PASSWORD},
                                      {"store": "vault_file", "vault_file": str(tmp_path / "missing.yml"),
                                       "vault_password": PASSWORD, "name": "the missing one"},
                                      {"store": "fact", "token_id": 11, "scopes": ["read"]},
                                      {"store": "fact", "full_token": "held-by-value"}), {}, secrets)
    holdings = [holding for unused, holding in read]
    assert [(h.store, h.kind, h.token_id, h.client_id, h.scopes, h.empty) for h in holdings[:3]] == [
        (path, "vault_file", 10, 1, ["read"], False), ("the missing one", "vault_file", None, None, None, True),
        ("fact token 11", "fact", 11, None, ["read"], False)]
    assert holdings[3] is None                      # verified with Zendesk later
    assert PASSWORD in secrets
    assert sorted(os.listdir(tmp_path)) == ["a.vault.yml"]
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns


def test_a_vault_file_is_read_under_its_lock(tmp_path):
    path = vault_file(tmp_path, "a.vault.yml", {"zendesk_oauth_url": BASE})
    lock = os.open(str(tmp_path), os.O_RDONLY)         # the bootstrap role locks the vault file's directory
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)            # a bootstrap run is writing it
        with pytest.raises(StoreError, match=r"is in use by another run .*oauth_token_audit_stores\[0\]\.lock_timeout"):
            engine.read_stores(entries({"store": "vault_file", "vault_file": path, "vault_password": PASSWORD,
                                        "lock_timeout": 0}), {}, set())
        fcntl.flock(lock, fcntl.LOCK_UN)
    finally:
        os.close(lock)
    assert engine.read_stores(entries({"store": "vault_file", "vault_file": path, "vault_password": PASSWORD}),
                              {}, set())[0][1].url == BASE


@pytest.mark.parametrize("entry, message", [
    ({"store": "vault_file", "vault_file": "relative.yml", "vault_password": PASSWORD},
     r"oauth_token_audit_stores\[0\]\.vault_file relative\.yml is a relative path"),
    ({"store": "vault_file", "vault_file": "/tmp/x.yml"},
     r"needs exactly one of oauth_token_audit_stores\[0\]\.vault_password and oauth_token_audit_stores\[0\]\."),
    ({"store": "kv", "kv_path": "zendesk/acme"},
     r"oauth_token_audit_stores\[0\]\.store=kv: oauth_token_audit_stores\[0\]\.kv_url is not set"),
])
def test_store_problems_are_found_before_any_request(entry, message):
    with pytest.raises(StoreError, match=message):
        engine.read_stores(entries(entry), {}, set())


def test_a_wrong_vault_password_names_the_entry(tmp_path):
    path = vault_file(tmp_path, "a.vault.yml", {"zendesk_oauth_url": BASE})
    with pytest.raises(StoreError, match=r"Could not decrypt .*oauth_token_audit_stores\[0\]\.vault_password"):
        engine.read_stores(entries({"store": "vault_file", "vault_file": path, "vault_password": "wrong-password"}),
                           {}, set())


def test_the_kv_reader_never_writes():
    store = engine.open_store(0, entries({"store": "kv", "kv_url": "http://127.0.0.1:1", "kv_path": "a/b",
                                          "kv_token": "t" * 10})[0], {})
    with pytest.raises(StoreError, match="only read"):
        store.write({})


# -- the report for people ---------------------------------------------------------------------------------
@pytest.mark.parametrize("seconds, text", [(604800, "7 days"), (86400, "1 day"), (7200, "2 hours"), (60, "1 minute"),
                                           (90, "90 seconds"), (0, "0 seconds")])
def test_duration(seconds, text):
    assert render.duration(seconds) == text


def small_report(**settings):
    now = parse_time("2026-12-01T10:00:00Z")
    tokens = [{"id": 10, "client_id": 1, "user_id": 42, "scopes": ["read"], "created_at": "2026-10-01T10:00:00Z",
               "used_at": None, "expires_at": "2026-12-02T10:00:00Z"},
              {"id": 11, "client_id": 1, "user_id": 42, "scopes": ["read", "write"],
               "created_at": "2026-10-01T10:00:00Z",
               "used_at": "2026-11-30T10:00:00Z", "expires_at": None},
              {"id": 12, "client_id": 920000000001, "user_id": 42, "scopes": ["read"],
               "created_at": "2026-10-01T10:00:00Z", "used_at": None, "expires_at": None}]
    holding = plan.holding_from_record("a|b.vault", "vault_file", {
        "zendesk_oauth_url": BASE, "zendesk_oauth_client_id": 1, "zendesk_oauth_client_identifier": "acme",
        "zendesk_oauth_token_id": 10, "zendesk_oauth_scopes": ["read"]})
    return plan.audit(tokens, [{"id": 1, "identifier": "acme", "name": "ACME"}], [holding], BASE,
                      plan.Settings(now, **settings))


def test_summary_lines():
    report = small_report()
    plan.mark_revocations(report, would_revoke=[11])
    assert render.summary_lines(report, True, True, ["/r.json"]) == [
        "Zendesk https://acme.zendesk.com as of 2026-12-01T10:00:00Z: 3 tokens of 2 clients, compared with 1 store",
        "Held by a store: 1. Held by no store: 2 (1 may be revoked; kept: 1 of global clients (never revoked))",
        "Expire within 7 days: 1 (0 already expired, expired tokens not listed); held by a store: 10 (a|b.vault)",
        "Unused for 30 days or more: 2; never used: 2",
        "Broader than their client needs: 1",
        "Check mode: would revoke 1 token no store holds:",
        "  acme (1): 11",
        "Report: /r.json",
    ]
    assert render.summary_lines(report, False, False, [])[-2:] == [
        "Nothing revoked (oauth_token_audit_revoke_unheld is false); 1 token no store holds may be revoked",
        "Report: the fact oauth_token_audit_report (no file asked for: oauth_token_audit_report_json, "
        "oauth_token_audit_report_markdown)"]


def test_markdown_escapes_its_cells_and_nests_the_lists():
    report = small_report()
    plan.mark_revocations(report, revoked=[11])
    text = render.markdown(report, False, True)
    assert "| a\\|b.vault | vault_file | acme | 10 | read | holds a token Zendesk lists |" in text
    assert "| 11 | acme (1) | 42 | read write | 2026-10-01T10:00:00Z | 2026-11-30T10:00:00Z |  | revoked |" in text
    assert "  - acme (1): 11" in text and "Report:" not in text
    assert "## Tokens broader than their client needs (1)" in text
