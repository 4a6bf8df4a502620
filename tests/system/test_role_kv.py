# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The oauth_bootstrap role's kv store (oauth_bootstrap_store=kv) against a real OpenBao dev server.

Real ansible-playbook runs against the Zendesk simulator and ``bao server -dev`` (the ``openbao``
fixture, tests/system/openbao.py). Every outcome is read from the servers themselves: the secret
and its versions straight from OpenBao over HTTP with the root token, tokens from the simulator's
state and request log, and a stored token by using it.
"""

from __future__ import annotations

import re
import secrets
import time

import pytest
import requests

import playbook_runner
from playbook_runner import ADMIN_API_TOKEN
from test_role import VAULT_KEYS as KV_KEYS  # every store holds the same keys
from test_role import (IDENTIFIER, Workspace, api_requests, find_and_verify, revoked_ids, succeeded, the_client,
                       the_live_token, works_as_bearer, write_requests)
from test_secret_hygiene import collect_secrets

MOUNT = "secret"
FIRST_CONVERGE = [("GET", "/api/v2/oauth/clients"), ("POST", "/api/v2/oauth/clients"), ("POST", "/api/v2/oauth/tokens")]
NOTHING_SENT = "Nothing was sent to Zendesk."


def from_env(name):
    """A secret the playbook reads from the environment of ansible-playbook, so the playbook file holds none."""
    return "{{ lookup('ansible.builtin.env', '%s') }}" % name


class KvWorkspace(Workspace):
    """test_role's workspace with the kv store: its own secret path on the session's OpenBao server."""

    def __init__(self, root, sim, bao, path):
        super().__init__(root, sim)
        self.bao = bao
        self.path = path

    def role_vars(self, **overrides):
        kv_store = {"oauth_bootstrap_store": "kv", "oauth_bootstrap_kv_url": self.bao.url,
                    "oauth_bootstrap_kv_path": self.path,
                    "oauth_bootstrap_vault_file": None, "oauth_bootstrap_vault_password_file": None}
        return super().role_vars(**dict(kv_store, **overrides))

    def env(self, extra=None):
        """The Vault token in VAULT_TOKEN (as an AWX credential injects it); none of the caller's VAULT_*/BAO_*."""
        env = {"VAULT_ADDR": "", "BAO_ADDR": "", "VAULT_TOKEN": self.bao.root_token, "BAO_TOKEN": ""}
        env.update(extra or {})
        return env

    def converge(self, check=False, verbosity=0, stdout_callback="json", env=None, **overrides):  # pylint: disable=arguments-differ
        return super().converge(check=check, verbosity=verbosity, stdout_callback=stdout_callback, env=self.env(env),
                                **overrides)

    def secret(self, version=None):
        return self.bao.read_secret(MOUNT, self.path, version)


@pytest.fixture
def kv(tmp_path, sim, openbao, request):
    """A workspace whose secret path no other test uses (the OpenBao server lives for the whole session)."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    return KvWorkspace(tmp_path, sim, openbao, "zendesk/%s-%s" % (name[:40], secrets.token_hex(3)))


def failed_before_zendesk(kv, result, *expected):
    """The run failed, said so with each of ``expected`` and NOTHING_SENT, and sent Zendesk nothing."""
    assert result.rc != 0, result
    for text in expected + (NOTHING_SENT,):
        assert text in result.output, (text, result)
    assert api_requests(kv.sim) == []
    assert kv.sim.control.state()["clients"] == []


# A run writes its journal before each request that makes a one-time secret, then the result: a
# first run makes 3 versions (before the client, before the token, the result), a rotation 3 (before
# the token, the result naming the token to revoke, the result once it is revoked); a no-op none.
FIRST_RUN_VERSIONS = 3
ROTATION_VERSIONS = 3


def assert_secret_matches_simulator(kv, version):
    """The secret's latest version is ``version`` and holds the simulator's client and its one live token."""
    stored = kv.secret()
    assert stored.version == version, stored
    data = stored.data
    client, token = the_client(kv.sim), the_live_token(kv.sim)
    assert set(data) == KV_KEYS  # the journal is gone once the run is done
    assert data["zendesk_oauth_url"] == kv.sim.url
    assert data["zendesk_oauth_client_identifier"] == IDENTIFIER
    assert data["zendesk_oauth_client_id"] == client["id"]
    assert data["zendesk_oauth_token_id"] == token["id"]
    assert data["zendesk_oauth_full_token"] == token["full_token"]
    assert data["zendesk_oauth_scopes"] == sorted(token["scopes"])
    assert works_as_bearer(kv.sim, data["zendesk_oauth_full_token"])
    return data


def test_first_run_stores_the_token_after_two_journal_versions(kv, sim):
    stats = succeeded(kv.converge())

    assert stats["changed"] > 0
    assert api_requests(sim) == FIRST_CONVERGE
    data = assert_secret_matches_simulator(kv, version=FIRST_RUN_VERSIONS)
    journals = [kv.secret(version=number).data["zendesk_oauth_pending"]["operation"] for number in (1, 2)]
    assert journals == ["create_client", "mint"]
    # The journal before the token already holds the client's secret: a run that dies then keeps it.
    assert kv.secret(version=2).data["zendesk_oauth_client_secret"] == the_client(sim)["secret"]
    # Created in this run, so Zendesk showed the secret: it is stored.
    assert data["zendesk_oauth_client_secret"] == the_client(sim)["secret"]


def test_rotation_stores_the_new_token_then_revokes_the_old_one(kv, sim):
    succeeded(kv.converge())
    old = kv.secret().data

    result = kv.converge(oauth_bootstrap_rotate=True)

    assert succeeded(result)["changed"] > 0
    new = assert_secret_matches_simulator(kv, version=FIRST_RUN_VERSIONS + ROTATION_VERSIONS)
    assert new["zendesk_oauth_token_id"] != old["zendesk_oauth_token_id"]
    assert old["zendesk_oauth_token_id"] in revoked_ids(sim)
    assert not works_as_bearer(sim, old["zendesk_oauth_full_token"])
    assert kv.secret(version=FIRST_RUN_VERSIONS).data == old  # the history keeps the previous token
    # Stored before the old one was revoked: the version before the last names the old token as the one to revoke.
    stored_first = kv.secret(version=FIRST_RUN_VERSIONS + ROTATION_VERSIONS - 1).data
    assert stored_first["zendesk_oauth_token_id"] == new["zendesk_oauth_token_id"]
    assert stored_first["zendesk_oauth_pending"] == {
        "operation": "revoke", "token_ids": [old["zendesk_oauth_token_id"]]}


def test_address_and_token_from_bao_environment_variables(kv, sim):
    env = {"VAULT_TOKEN": "", "BAO_ADDR": kv.bao.url, "BAO_TOKEN": kv.bao.root_token}

    succeeded(kv.converge(env=env, oauth_bootstrap_kv_url=None))
    stats = succeeded(kv.converge(env=env, oauth_bootstrap_kv_url=None))

    assert stats["changed"] == 0
    assert_secret_matches_simulator(kv, version=FIRST_RUN_VERSIONS)


def test_approle_login_limited_to_the_secret(kv, sim, openbao):
    approle = openbao.approle("rw-" + secrets.token_hex(4), ["%s/data/%s" % (MOUNT, kv.path)])
    env = {"VAULT_TOKEN": "", "KV_ROLE_ID": approle["role_id"], "KV_SECRET_ID": approle["secret_id"]}
    login = {"oauth_bootstrap_kv_auth_method": "approle", "oauth_bootstrap_kv_role_id": from_env("KV_ROLE_ID"),
             "oauth_bootstrap_kv_secret_id": from_env("KV_SECRET_ID")}
    tokens_before = openbao.token_accessors()

    first = succeeded(kv.converge(env=env, **login))
    second = succeeded(kv.converge(env=env, **login))

    assert first["changed"] > 0
    assert second["changed"] == 0, second
    assert api_requests(sim) == find_and_verify(sim)
    assert_secret_matches_simulator(kv, version=FIRST_RUN_VERSIONS)
    # Each run revoked the token its login got.
    assert openbao.token_accessors() == tokens_before


def test_approle_login_is_revoked_when_zendesk_fails(kv, sim, openbao):
    """The login's token goes on every path: here Zendesk refuses the admin credential after the login."""
    approle = openbao.approle("zf-" + secrets.token_hex(4), ["%s/data/%s" % (MOUNT, kv.path)])
    env = {"VAULT_TOKEN": "", "KV_ROLE_ID": approle["role_id"], "KV_SECRET_ID": approle["secret_id"]}
    login = {"oauth_bootstrap_kv_auth_method": "approle", "oauth_bootstrap_kv_role_id": from_env("KV_ROLE_ID"),
             "oauth_bootstrap_kv_secret_id": from_env("KV_SECRET_ID")}
    tokens_before = openbao.token_accessors()

    result = kv.converge(env=env, oauth_bootstrap_api_token="not-the-admin-token", **login)

    assert result.rc != 0 and "401" in result.output, result
    assert openbao.token_accessors() == tokens_before


def test_approle_wrong_secret_id_fails_before_zendesk(kv, openbao):
    approle = openbao.approle("wrong-" + secrets.token_hex(4), ["%s/data/%s" % (MOUNT, kv.path)])

    result = kv.converge(env={"VAULT_TOKEN": "", "KV_SECRET_ID": "not-the-secret-id"},
                         oauth_bootstrap_kv_auth_method="approle", oauth_bootstrap_kv_role_id=approle["role_id"],
                         oauth_bootstrap_kv_secret_id=from_env("KV_SECRET_ID"))

    failed_before_zendesk(kv, result, "The AppRole login", "oauth_bootstrap_kv_secret_id")


def test_read_only_policy_fails_before_zendesk(kv, openbao):
    approle = openbao.approle("ro-" + secrets.token_hex(4), ["%s/data/%s" % (MOUNT, kv.path)], capabilities=["read"])

    result = kv.converge(env={"VAULT_TOKEN": "", "KV_SECRET_ID": approle["secret_id"]},
                         oauth_bootstrap_kv_auth_method="approle", oauth_bootstrap_kv_role_id=approle["role_id"],
                         oauth_bootstrap_kv_secret_id=from_env("KV_SECRET_ID"))

    failed_before_zendesk(kv, result, "may not write the secret %s/data/%s (it may: read)" % (MOUNT, kv.path),
                          "Its policy needs")
    assert kv.secret().version == 0


def test_token_for_another_path_fails_before_zendesk(kv, openbao):
    policy = "other-" + secrets.token_hex(4)
    openbao.write_policy(policy, 'path "%s/data/zendesk/elsewhere" {\n  capabilities = ["create", "read", "update"]\n}\n'
                         % MOUNT)

    result = kv.converge(env={"VAULT_TOKEN": openbao.token_with_policy(policy)})

    assert result.rc != 0, result
    assert NOTHING_SENT in result.output
    assert api_requests(kv.sim) == []
    assert kv.secret().version == 0


def test_bad_token_fails_before_zendesk(kv):
    result = kv.converge(env={"VAULT_TOKEN": "s.not-a-token-anyone-issued"})

    failed_before_zendesk(kv, result, "did not accept the token", "oauth_bootstrap_kv_token")


def test_missing_path_and_token_are_named(kv):
    result = kv.converge(env={"VAULT_TOKEN": ""}, oauth_bootstrap_kv_path=None)

    failed_before_zendesk(kv, result, "oauth_bootstrap_kv_path is not set", "oauth_bootstrap_kv_token")


def test_kv_version_1_mount_is_refused_before_zendesk(kv, openbao):
    mount = "kv1-" + secrets.token_hex(4)
    openbao.enable_kv(mount, version=1)

    result = kv.converge(oauth_bootstrap_kv_mount=mount)

    failed_before_zendesk(kv, result, "is a KV version 1 mount", "oauth_bootstrap_kv_mount")


def test_unknown_mount_is_named(kv):
    result = kv.converge(oauth_bootstrap_kv_mount="no-such-mount")

    failed_before_zendesk(kv, result, "No secrets engine mount", "oauth_bootstrap_kv_mount")


def test_check_mode_on_a_fresh_account_writes_nothing(kv, sim):
    result = kv.converge(check=True)

    assert succeeded(result)["changed"] > 0
    assert write_requests(sim) == []
    assert kv.secret().version == 0


def test_check_mode_rotation_writes_nothing_and_says_changed(kv, sim):
    succeeded(kv.converge())
    token = the_live_token(sim)

    result = kv.converge(check=True, oauth_bootstrap_rotate=True)

    assert succeeded(result)["changed"] > 0
    assert write_requests(sim) == []
    assert sorted(kv.secret().versions) == list(range(1, FIRST_RUN_VERSIONS + 1))
    assert the_live_token(sim)["id"] == token["id"]


def test_deleted_latest_version_is_written_over_with_the_right_version(kv, sim, openbao):
    """A soft-deleted latest version: nothing is held, and the write must name that version (not 0)."""
    succeeded(kv.converge())
    openbao.delete_latest(MOUNT, kv.path)

    succeeded(kv.converge())

    stored = kv.secret()
    assert stored.version > FIRST_RUN_VERSIONS, stored.versions
    assert stored.versions[FIRST_RUN_VERSIONS]["deletion_time"], stored.versions
    assert stored.data["zendesk_oauth_full_token"] in {token["full_token"] for token in sim.control.state()["tokens"]}


def test_a_write_in_between_fails_and_revokes_the_token_it_could_not_store(kv, sim, openbao):
    """Check-and-set: someone writes the secret while the run's mint is in flight; the run's result cannot be stored,
    so the token it got is revoked (nobody could hold it) and the other writer's data stays."""
    succeeded(kv.converge())
    sim.control.queue_faults([{"method": "POST", "path": "/api/v2/oauth/tokens", "fault": "slow", "delay": 3,
                               "count": 1}])
    sim.control.clear_requests()
    process = playbook_runner.start_playbook(kv.playbook(oauth_bootstrap_rotate=True), kv.root, env=kv.env())
    deadline = time.monotonic() + 120
    while sim.control.pending_faults() and time.monotonic() < deadline:
        time.sleep(0.05)
    requests.post("%s/v1/%s/data/%s" % (openbao.url, MOUNT, kv.path), headers={"X-Vault-Token": openbao.root_token},
                  json={"data": {"written_by": "someone else"}}, timeout=30).raise_for_status()
    result = playbook_runner.finish(process)

    assert result.rc != 0, result
    assert "no longer at version" in result.output and "was revoked, since nobody could hold it" in result.output
    minted = [entry for entry in sim.control.requests() if entry["method"] == "POST"]
    assert len(minted) == 1
    assert kv.secret().data == {"written_by": "someone else"}
    # The only live token is the one the first run stored; the rotation's was revoked.
    assert len(sim.control.state()["tokens"]) == 1


def test_refreshed_token_pair_is_written_as_a_new_version(kv, sim):
    sim.control.set_config(token_default_ttl=1800, token_refresh_on_create=True)
    succeeded(kv.converge())
    first = kv.secret().data
    assert first["zendesk_oauth_refresh_token"] == the_live_token(sim)["refresh_token"]

    sim.control.advance_clock(1800 - 60)  # inside the default expiry margin: refreshed
    succeeded(kv.converge())

    second = assert_secret_matches_simulator(kv, version=FIRST_RUN_VERSIONS + 2)  # the journal, the result
    assert second["zendesk_oauth_refresh_token"] == the_live_token(sim)["refresh_token"]
    assert second["zendesk_oauth_refresh_token"] != first["zendesk_oauth_refresh_token"]


def test_no_secret_is_shown_at_vvvv(kv, sim, openbao):
    """Every kind of kv run at -vvvv with the default output: no Vault token, secret id or Zendesk secret appears."""
    sim.control.set_config(token_default_ttl=1800, token_refresh_on_create=True)
    approle = openbao.approle("hygiene-" + secrets.token_hex(4), ["%s/data/%s" % (MOUNT, kv.path)])
    bad_token = "s.hygiene-bad-token-" + secrets.token_hex(8)
    wrong_secret_id = "hygiene-wrong-secret-id-" + secrets.token_hex(8)
    known = {"Zendesk admin API token": ADMIN_API_TOKEN, "root token": openbao.root_token,
             "AppRole secret id": approle["secret_id"], "bad Vault token": bad_token,
             "wrong secret id": wrong_secret_id}
    login = {"oauth_bootstrap_kv_auth_method": "approle", "oauth_bootstrap_kv_role_id": approle["role_id"],
             "oauth_bootstrap_kv_secret_id": from_env("KV_SECRET_ID")}
    output = []

    def run(**kwargs):
        result = kv.converge(verbosity=4, stdout_callback=None, **kwargs)
        output.append(result.output)
        return result

    assert run().rc == 0                                                              # first run: stores
    assert run(oauth_bootstrap_kv_token=openbao.root_token).rc == 0                   # token as a role variable
    assert run(oauth_bootstrap_rotate=True, oauth_bootstrap_client_regenerate_secret=True).rc == 0
    assert run(check=True, oauth_bootstrap_rotate=True).rc == 0
    assert run(env={"VAULT_TOKEN": "", "KV_SECRET_ID": approle["secret_id"]}, **login).rc == 0
    sim.control.advance_clock(1800 - 60)
    assert run(env={"VAULT_TOKEN": "", "KV_SECRET_ID": approle["secret_id"]}, **login).rc == 0  # refresh
    assert run(env={"VAULT_TOKEN": bad_token}).rc != 0
    assert run(env={"VAULT_TOKEN": "", "KV_SECRET_ID": wrong_secret_id}, **login).rc != 0

    found = collect_secrets(sim, known)
    text = "\n".join(output)
    assert "task path:" in text and "Loading collection" in text  # -vvvv really was in effect
    assert sum(1 for label in found if "refresh_token" in label) >= 2
    leaked = sorted(label for label, value in found.items() if value and value in text)
    assert leaked == [], "secrets shown in the output: %s" % leaked


def test_several_integrations_each_in_its_own_secret(kv, sim):
    """oauth_bootstrap_integrations with the kv store: one secret per entry, one listing, then 2 requests each."""
    paths = {name: "%s-%s" % (kv.path, name) for name in ("crm_sync", "billing")}
    entries = [{"client_identifier": name, "kv_path": path} for name, path in paths.items()]
    several = {"oauth_bootstrap_client_identifier": None, "oauth_bootstrap_client_name": None,
               "oauth_bootstrap_kv_path": None, "oauth_bootstrap_integrations": entries}

    succeeded(kv.converge(**several))

    assert api_requests(sim) == [("GET", "/api/v2/oauth/clients")] + [
        ("POST", "/api/v2/oauth/clients"), ("POST", "/api/v2/oauth/tokens")] * 2
    state = sim.control.state()
    ids = {client["identifier"]: client["id"] for client in state["clients"]}
    for name, path in paths.items():
        data = kv.bao.read_secret(MOUNT, path).data
        assert data["zendesk_oauth_client_identifier"] == name and data["zendesk_oauth_client_id"] == ids[name]
        assert [token["full_token"] for token in state["tokens"] if token["client_id"] == ids[name]] == [
            data["zendesk_oauth_full_token"]]

    stats = succeeded(kv.converge(**several))

    assert stats["changed"] == 0
    assert api_requests(sim) == [("GET", "/api/v2/oauth/clients/%d" % ids["crm_sync"]),
                                 ("GET", "/api/v2/oauth/tokens/current"),
                                 ("GET", "/api/v2/oauth/clients/%d" % ids["billing"]),
                                 ("GET", "/api/v2/oauth/tokens/current")]
