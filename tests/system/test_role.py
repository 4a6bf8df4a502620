# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The zendesk.oauth.oauth_bootstrap role, run by real ansible-playbook processes against the simulator.

Every outcome is checked through the simulator itself (its state and request log), the vault file
through ansible-vault, and a token by using it: never through the modules under test.
"""

from __future__ import annotations

import os
import stat
import subprocess

import pytest
import requests
import yaml

import playbook_runner  # noqa: E402  pylint: disable=wrong-import-position
from playbook_runner import ADMIN_API_TOKEN, ADMIN_EMAIL, clients_named, live_tokens

ROLE = "zendesk.oauth.oauth_bootstrap"
IDENTIFIER = "acme_integration"
VAULT_PASSWORD = "correct-horse-battery-staple-7d1e"
WRONG_PASSWORD = "not-the-vault-password-91c2"
# What a first converge must cost: list clients, create the client, mint the token.
FIRST_CONVERGE = [("GET", "/api/v2/oauth/clients"), ("POST", "/api/v2/oauth/clients"), ("POST", "/api/v2/oauth/tokens")]
VAULT_KEYS = {
    "zendesk_oauth_url", "zendesk_oauth_client_identifier", "zendesk_oauth_client_id", "zendesk_oauth_client_secret",
    "zendesk_oauth_token_id", "zendesk_oauth_full_token", "zendesk_oauth_scopes", "zendesk_oauth_token_expires_at",
    "zendesk_oauth_refresh_token", "zendesk_oauth_refresh_token_expires_at",
}


class Workspace:
    """One test's directory: the playbook, the vault file and its password file, Ansible's own files."""

    def __init__(self, root, sim):
        self.root = str(root)
        self.sim = sim
        self.vault_file = os.path.join(self.root, "secrets", "zendesk_oauth.vault.yml")
        self.password_file = os.path.join(self.root, "vault.pass")
        os.makedirs(os.path.dirname(self.vault_file))
        with open(self.password_file, "w", encoding="utf-8") as handle:
            handle.write(VAULT_PASSWORD + "\n")

    def role_vars(self, **overrides):
        role_vars = {
            "oauth_bootstrap_client_identifier": IDENTIFIER,
            "oauth_bootstrap_client_name": "ACME integration",
            "oauth_bootstrap_scopes": ["read"],
            "oauth_bootstrap_url": self.sim.url,
            "oauth_bootstrap_email": ADMIN_EMAIL,
            "oauth_bootstrap_api_token": ADMIN_API_TOKEN,
            "oauth_bootstrap_vault_file": self.vault_file,
            "oauth_bootstrap_vault_password_file": self.password_file,
        }
        role_vars.update(overrides)
        return {key: value for key, value in role_vars.items() if value is not None}

    def converge(self, check=False, verbosity=0, stdout_callback="json", env=None, clear_log=True,
                 module_defaults=None, **overrides):
        """Run the role once; the simulator's request log then holds this run's requests only."""
        if clear_log:
            self.sim.control.clear_requests()
        playbook = self.playbook(module_defaults, **overrides)
        extra_args = ["--check"] if check else []
        return playbook_runner.run_playbook(playbook, self.root, env=env, stdout_callback=stdout_callback,
                                            verbosity=verbosity, extra_args=extra_args)

    def playbook(self, module_defaults=None, **overrides):
        """Write the playbook that runs the role with these variables; its path."""
        play = playbook_runner.play([], connection=module_defaults,
                                    roles=[dict({"role": ROLE}, **self.role_vars(**overrides))])
        return playbook_runner.write_playbook(self.root, [play], name="bootstrap.yml")

    def vault_bytes(self):
        with open(self.vault_file, "rb") as handle:
            return handle.read()

    def vault_content(self):
        """The vault file as `ansible-vault view --vault-password-file` shows it, parsed."""
        done = subprocess.run([playbook_runner.ANSIBLE_VAULT, "view", "--vault-password-file", self.password_file,
                               self.vault_file], env=playbook_runner.ansible_env(self.root), capture_output=True,
                              text=True, check=False)
        assert done.returncode == 0, done.stderr
        return yaml.safe_load(done.stdout)


@pytest.fixture
def ws(tmp_path, sim):
    return Workspace(tmp_path, sim)


def succeeded(result):
    assert result.rc == 0, result
    return result.json["stats"]["localhost"]


def client_by_id(sim):
    """How a run that holds the store finds the client: by the id the store recorded, whatever the account's size."""
    return ("GET", "/api/v2/oauth/clients/%d" % the_client(sim)["id"])


def find_and_verify(sim):
    """A run with nothing to do: the client by its stored id, the held token checked."""
    return [client_by_id(sim), ("GET", "/api/v2/oauth/tokens/current")]


def api_requests(sim):
    return [(entry["method"], entry["path"]) for entry in sim.control.requests()]


def write_requests(sim):
    return [entry for entry in sim.control.requests() if entry["method"] not in ("GET", "HEAD")]


def the_client(sim):
    clients = clients_named(sim.control.state(), IDENTIFIER)
    assert len(clients) == 1, clients
    return clients[0]


def the_live_token(sim):
    """The one live token of the client, with its full_token as the simulator knows it."""
    tokens = live_tokens(sim.control.state(), the_client(sim)["id"])
    assert len(tokens) == 1, tokens
    return tokens[0]


def revoked_ids(sim):
    return [token["id"] for token in sim.control.state()["revoked_tokens"]]


def works_as_bearer(sim, full_token):
    answer = requests.get(sim.url + "/api/v2/users/me", headers={"Authorization": "Bearer " + full_token}, timeout=30)
    return answer.status_code == 200 and answer.json()["user"]["email"] == ADMIN_EMAIL


def assert_vault_matches_simulator(ws, sim):
    """The vault file holds exactly the simulator's client and its one live token, and the token works."""
    content = ws.vault_content()
    client, token = the_client(sim), the_live_token(sim)
    assert set(content) == VAULT_KEYS
    assert content["zendesk_oauth_url"] == sim.url
    assert content["zendesk_oauth_client_identifier"] == IDENTIFIER
    assert content["zendesk_oauth_client_id"] == client["id"]
    assert content["zendesk_oauth_token_id"] == token["id"]
    assert content["zendesk_oauth_full_token"] == token["full_token"]
    assert content["zendesk_oauth_scopes"] == sorted(token["scopes"])
    assert stat.S_IMODE(os.stat(ws.vault_file).st_mode) == 0o600
    assert works_as_bearer(sim, content["zendesk_oauth_full_token"])
    return content


def test_vault_file_loads_with_include_vars(ws, sim):
    succeeded(ws.converge())
    token = the_live_token(sim)
    check = playbook_runner.play([
        {"name": "Load the vault file", "ansible.builtin.include_vars": {"file": ws.vault_file}, "no_log": True},
        {"name": "Check what it holds", "ansible.builtin.assert": {"that": [
            "zendesk_oauth_token_id == %d" % token["id"],
            "zendesk_oauth_client_identifier == '%s'" % IDENTIFIER,
            "zendesk_oauth_full_token | length == 64",
        ]}, "no_log": True},
    ])
    result = playbook_runner.run_playbook([check], ws.root, extra_args=["--vault-password-file", ws.password_file])
    assert result.rc == 0, result


def test_revoked_token_is_replaced_and_stored(ws, sim, admin_session):
    succeeded(ws.converge())
    old = ws.vault_content()
    answer = admin_session.delete("%s/api/v2/oauth/tokens/%d" % (sim.url, old["zendesk_oauth_token_id"]), timeout=30)
    assert answer.status_code == 204

    stats = succeeded(ws.converge())
    sent = api_requests(sim)

    assert stats["changed"] > 0
    new = assert_vault_matches_simulator(ws, sim)
    assert new["zendesk_oauth_token_id"] != old["zendesk_oauth_token_id"]
    assert old["zendesk_oauth_token_id"] in revoked_ids(sim)
    assert not works_as_bearer(sim, old["zendesk_oauth_full_token"])
    # The client secret stored by the first run is kept: Zendesk does not show it again.
    assert new["zendesk_oauth_client_secret"] == old["zendesk_oauth_client_secret"] == the_client(sim)["secret"]
    # The floor: find the client, learn the held token is dead, mint.
    assert sent == find_and_verify(sim) + [("POST", "/api/v2/oauth/tokens")]


def test_expired_token_is_replaced_and_stored(ws, sim):
    sim.control.set_config(token_default_ttl=3600)
    succeeded(ws.converge())
    old = ws.vault_content()
    assert old["zendesk_oauth_token_expires_at"] is not None
    sim.control.advance_clock(7200)

    stats = succeeded(ws.converge())

    assert stats["changed"] > 0
    new = ws.vault_content()
    assert new["zendesk_oauth_token_id"] != old["zendesk_oauth_token_id"]
    tokens = {token["id"]: token for token in sim.control.state()["tokens"]}
    assert tokens[old["zendesk_oauth_token_id"]]["expired"]
    assert not tokens[new["zendesk_oauth_token_id"]]["expired"]
    assert new["zendesk_oauth_full_token"] == tokens[new["zendesk_oauth_token_id"]]["full_token"]
    assert works_as_bearer(sim, new["zendesk_oauth_full_token"])
    assert not works_as_bearer(sim, old["zendesk_oauth_full_token"])


def test_rotation_stores_the_new_token_before_revoking_the_old_one(ws, sim):
    succeeded(ws.converge())
    old = ws.vault_content()

    result = ws.converge(oauth_bootstrap_rotate=True, oauth_bootstrap_vault_password_file=None,
                         oauth_bootstrap_vault_password=VAULT_PASSWORD)

    assert succeeded(result)["changed"] > 0
    sent = api_requests(sim)
    new = assert_vault_matches_simulator(ws, sim)
    assert new["zendesk_oauth_token_id"] != old["zendesk_oauth_token_id"]
    assert old["zendesk_oauth_token_id"] in revoked_ids(sim)
    assert not works_as_bearer(sim, old["zendesk_oauth_full_token"])
    # Mint, then store, then revoke: the old token dies only after the new one is in the file.
    # The floor: find the client, verify the held token, mint, revoke the old one by id.
    assert sent == find_and_verify(sim) + [("POST", "/api/v2/oauth/tokens"),
                                           ("DELETE", "/api/v2/oauth/tokens/%d" % old["zendesk_oauth_token_id"])]


def test_a_rotation_whose_revoke_fails_has_stored_the_new_token_and_the_next_run_revokes_the_old(ws, sim):
    """Store first, then revoke: when the revoke fails, the new token is already in the file, the old one works
    until the next run, whose journal from the store names it."""
    succeeded(ws.converge())
    old = ws.vault_content()
    sim.control.queue_faults([{"method": "DELETE", "path_regex": "/api/v2/oauth/tokens/", "fault": "500",
                               "count": 10}])

    result = ws.converge(oauth_bootstrap_rotate=True, env={"ZENDESK_MAX_RETRIES": "1", "ZENDESK_MAX_RETRY_WAIT": "1"})

    assert result.rc != 0
    assert "the next run revokes token %d" % old["zendesk_oauth_token_id"] in result.output
    new = ws.vault_content()
    assert new["zendesk_oauth_token_id"] != old["zendesk_oauth_token_id"]
    assert works_as_bearer(sim, new["zendesk_oauth_full_token"])
    assert new["zendesk_oauth_pending"] == {"operation": "revoke", "token_ids": [old["zendesk_oauth_token_id"]]}

    sim.control.clear_faults()
    succeeded(ws.converge())
    assert old["zendesk_oauth_token_id"] in revoked_ids(sim)
    assert "zendesk_oauth_pending" not in ws.vault_content()
    assert [token["id"] for token in sim.control.state()["tokens"]] == [new["zendesk_oauth_token_id"]]


def test_check_mode_on_a_fresh_account_writes_nothing(ws, sim):
    result = ws.converge(check=True)

    assert succeeded(result)["changed"] > 0  # it reports what it would do
    assert write_requests(sim) == []
    assert sim.control.state()["clients"] == []
    assert not os.path.exists(ws.vault_file)


def test_check_mode_rotation_writes_nothing(ws, sim):
    succeeded(ws.converge())
    before = ws.vault_bytes()
    token = the_live_token(sim)

    result = ws.converge(check=True, oauth_bootstrap_rotate=True)

    assert succeeded(result)["changed"] > 0
    assert write_requests(sim) == []
    assert ws.vault_bytes() == before
    assert the_live_token(sim)["id"] == token["id"]


def test_wrong_vault_password_fails_and_leaves_the_file_alone(ws, sim):
    succeeded(ws.converge())
    before = ws.vault_bytes()

    result = ws.converge(oauth_bootstrap_vault_password_file=None, oauth_bootstrap_vault_password=WRONG_PASSWORD)

    assert result.rc != 0
    assert "Could not decrypt" in result.output
    assert ws.vault_bytes() == before
    assert api_requests(sim) == []  # it stops before talking to Zendesk
    assert_vault_matches_simulator(ws, sim)


def test_missing_vault_directory_fails_before_any_request(ws, sim):
    missing = os.path.join(ws.root, "no-such-dir", "zendesk_oauth.vault.yml")

    result = ws.converge(oauth_bootstrap_vault_file=missing)

    assert result.rc != 0
    assert "must exist" in result.output
    assert api_requests(sim) == []
    assert sim.control.state()["clients"] == []


def test_connection_from_zendesk_environment_variables(ws, sim):
    env = {"ZENDESK_URL": sim.url, "ZENDESK_EMAIL": ADMIN_EMAIL, "ZENDESK_API_TOKEN": ADMIN_API_TOKEN}
    no_connection = dict.fromkeys(("oauth_bootstrap_url", "oauth_bootstrap_email", "oauth_bootstrap_api_token"))

    succeeded(ws.converge(env=env, **no_connection))
    stats = succeeded(ws.converge(env=env, **no_connection))

    assert stats["changed"] == 0
    assert assert_vault_matches_simulator(ws, sim)["zendesk_oauth_url"] == sim.url


def test_play_module_defaults_fill_what_the_role_vars_leave_out(ws, sim):
    """The play's module_defaults for group/zendesk.oauth.zendesk apply to every connection option the role is not given."""
    credentials = {"email": ADMIN_EMAIL, "api_token": ADMIN_API_TOKEN}
    only_url = dict.fromkeys(("oauth_bootstrap_email", "oauth_bootstrap_api_token"))
    nothing = dict(only_url, oauth_bootstrap_url=None)

    succeeded(ws.converge(module_defaults=credentials, **only_url))
    stats = succeeded(ws.converge(module_defaults=dict(credentials, url=sim.url), **nothing))

    assert stats["changed"] == 0
    # The admin's API token from module_defaults; the held token itself is verified as Bearer.
    assert {(entry["path"], entry["auth"]) for entry in sim.control.requests()} == {
        (client_by_id(sim)[1], "basic"), ("/api/v2/oauth/tokens/current", "bearer")}
    assert_vault_matches_simulator(ws, sim)


def test_no_secret_is_shown_at_vvvv(ws, sim, admin_session):
    """Every run kind at -vvvv with the default output: no secret the simulator knows appears."""
    secrets = {ADMIN_API_TOKEN, VAULT_PASSWORD, WRONG_PASSWORD}
    output = []

    def run(**kwargs):
        result = ws.converge(verbosity=4, stdout_callback=None, **kwargs)
        output.append(result.output)
        state = sim.control.state()
        secrets.update(client["secret"] for client in state["clients"])
        secrets.update(token["full_token"] for token in state["tokens"] + state["revoked_tokens"]
                       if token.get("full_token"))
        return result

    assert run().rc == 0                                                     # first converge
    assert run().rc == 0                                                     # no-op
    assert run(oauth_bootstrap_rotate=True, oauth_bootstrap_client_regenerate_secret=True).rc == 0
    assert run(check=True, oauth_bootstrap_rotate=True).rc == 0
    held = ws.vault_content()
    admin_session.delete("%s/api/v2/oauth/tokens/%d" % (sim.url, held["zendesk_oauth_token_id"]), timeout=30)
    assert run(oauth_bootstrap_vault_password_file=None, oauth_bootstrap_vault_password=VAULT_PASSWORD).rc == 0
    assert run(oauth_bootstrap_full_token=ws.vault_content()["zendesk_oauth_full_token"],
               oauth_bootstrap_scopes=["read", "users:read"]).rc == 0           # scope change replaces a held token
    assert run(oauth_bootstrap_vault_password_file=None, oauth_bootstrap_vault_password=WRONG_PASSWORD).rc != 0

    text = "\n".join(output)
    assert "task path:" in text and "Loading collection" in text  # -vvvv really was in effect
    assert len(secrets) >= 9  # admin token, 2 passwords, 2 client secrets, 4 tokens
    leaked = sorted(secret[:6] + "..." for secret in secrets if secret in text)
    assert leaked == [], "secrets shown in the output (first characters): %s" % leaked
