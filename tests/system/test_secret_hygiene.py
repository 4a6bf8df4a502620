# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No secret appears in anything Ansible prints or writes, at -vvvv, with either stdout callback.

One playbook runs every module in every mode that handles a secret, the documented way
(``no_log: true`` on the tasks whose result carries a new secret, no ``no_log`` elsewhere, so
the modules' own masking is what is tested there), then the role with a vault file. It runs
twice: default callback at -vvvv, and the json callback at -vvvv. Everything printed, the
Ansible log file (ANSIBLE_LOG_PATH) and every file under the run's directory (Ansible's home and
temp dirs included) except the vault file are searched for the real value of:

- the admin's API token, an admin OAuth token used as ``oauth_token`` (minted in the simulator
  for this test), the vault password;
- every client secret and every full_token in the simulator's state (live and revoked tokens),
  plus the secret of a client whose secret the play regenerates (known from its creation).

Zero occurrences. Then the vault file: mode 0600, and ``ansible-vault view`` with a wrong
password fails without touching it. examples/bootstrap.yml runs too once it exists.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
from urllib.parse import quote

import pytest
import requests

from playbook_runner import (ADMIN_API_TOKEN, ADMIN_EMAIL, ANSIBLE_VAULT, REPO, admin_connection, ansible_env, finish,
                             play, run_playbook, start_playbook, vault_decrypt, vault_encrypt, write_playbook)
from simulator import AGENT, Simulator, SimulatorControl

CLIENT = "zendesk.oauth.zendesk_oauth_client"
CLIENT_INFO = "zendesk.oauth.zendesk_oauth_client_info"
GRANT = "zendesk.oauth.zendesk_oauth_grant"
TOKEN = "zendesk.oauth.zendesk_oauth_token"
TOKEN_INFO = "zendesk.oauth.zendesk_oauth_token_info"
VAULT_PASSWORD = "hygiene-vault-password-5b0e2d"
WRONG_PASSWORD = "hygiene-wrong-password-77aa01"
EXAMPLE = os.path.join(REPO, "examples", "bootstrap.yml")
CALLBACKS = ("default", "json")
EXECUTION = {"default": "controller", "json": "module"}


def api(sim, method, path, **kwargs):
    answer = requests.request(method, sim.url + path, auth=("%s/token" % ADMIN_EMAIL, ADMIN_API_TOKEN), timeout=30,
                              **kwargs)
    answer.raise_for_status()
    return answer.json()


def from_env(name):
    """A secret the playbook reads from the process environment, so the playbook file holds none."""
    return "{{ lookup('ansible.builtin.env', '%s') }}" % name


def hygiene_plays(sim, vault_file):
    basic = admin_connection(sim.url, api_token=from_env("HYGIENE_API_TOKEN"))
    bearer = {"url": sim.url, "oauth_token": from_env("HYGIENE_OAUTH_TOKEN")}
    modules = [
        {"name": "create a client", CLIENT: {"identifier": "hygiene", "name": "Hygiene", "kind": "confidential"},
         "register": "created", "no_log": True},
        {"name": "update it (no secret in the result)", CLIENT: {"identifier": "hygiene",
                                                                 "description": "checked for leaks"}},
        {"name": "regenerate the secret of the prepared client", CLIENT: {"identifier": "prepared",
                                                                          "regenerate_secret": True},
         "register": "rotated", "no_log": True},
        {"name": "list clients", CLIENT_INFO: {}},
        {"name": "mint a token", TOKEN: {"client_identifier": "hygiene", "scopes": ["read"]},
         "register": "minted", "no_log": True},
        {"name": "verify the held token (input masked by the module)",
         TOKEN: {"client_identifier": "hygiene", "scopes": ["read"], "full_token": "{{ minted.token.full_token }}"}},
        {"name": "verify the held token read-only (input masked by the module)",
         TOKEN_INFO: {"client_identifier": "hygiene", "scopes": ["read"], "full_token": "{{ minted.token.full_token }}"}},
        {"name": "list the client's tokens (metadata only)", TOKEN_INFO: {"client_identifier": "hygiene"}},
        {"name": "rotate it", TOKEN: {"client_identifier": "hygiene", "scopes": ["read"], "recreate": "always",
                                      "full_token": "{{ minted.token.full_token }}"},
         "register": "replaced", "no_log": True},
        {"name": "a failure with a held token in its input",
         TOKEN: {"client_identifier": "no-such-client", "scopes": ["read"],
                 "full_token": "{{ replaced.token.full_token }}"}, "ignore_errors": True},
        {"name": "a read-only failure with a held token in its input",
         TOKEN_INFO: {"full_token": "{{ replaced.token.full_token }}", "expiry_margin": -1}, "ignore_errors": True},
        {"name": "revoke by id", TOKEN: {"state": "absent", "token_id": "{{ replaced.token.id }}"}},
        {"name": "a failure from Zendesk (401) with the API token in the input",
         CLIENT_INFO: {"email": "agent@example.com"}, "ignore_errors": True},
        {"name": "client credentials grant with the new client's secret",
         GRANT: {"grant_type": "client_credentials", "client_identifier": "hygiene",
                 "client_secret": "{{ created.secret }}", "scopes": ["read"], "expires_in": 3600},
         "register": "granted", "no_log": True},
        {"name": "refresh grant with the regenerated secret",
         GRANT: {"grant_type": "refresh_token", "client_identifier": "prepared",
                 "client_secret": "{{ rotated.secret }}", "refresh_token": from_env("HYGIENE_REFRESH_TOKEN")},
         "register": "refreshed", "no_log": True},
        {"name": "a refused grant (401) with a secret and a refresh token in the input",
         GRANT: {"grant_type": "refresh_token", "client_identifier": "prepared",
                 "client_secret": "{{ created.secret }}", "refresh_token": "{{ refreshed.refresh_token }}"},
         "ignore_errors": True},
    ]
    with_bearer = [
        {"name": "list clients with an admin OAuth token", CLIENT_INFO: {"identifier": "hygiene"}},
        {"name": "list tokens with an admin OAuth token", TOKEN_INFO: {"client_identifier": "hygiene"}},
        {"name": "mint a token with an admin OAuth token",
         TOKEN: {"client_identifier": "hygiene", "scopes": ["users:read"]},
         "register": "bearer_minted", "no_log": True},
        {"name": "revoke every users:read token with an admin OAuth token",
         TOKEN: {"state": "absent", "client_identifier": "hygiene", "scopes": ["users:read"]}},
    ]
    # As AWX injects them: ZENDESK_* in the environment of ansible-playbook itself. (Not the `environment:`
    # keyword: at -vvvv Ansible prints the values it sets that way.)
    from_environment = [
        {"name": "connection and oauth_token from ZENDESK_* variables", CLIENT_INFO: {"identifier": "hygiene"}},
    ]
    role = {"role": "zendesk.oauth.oauth_bootstrap", "vars": {
        "oauth_bootstrap_client_identifier": "hygiene-role",
        "oauth_bootstrap_url": sim.url,
        "oauth_bootstrap_oauth_token": from_env("HYGIENE_OAUTH_TOKEN"),
        "oauth_bootstrap_vault_file": vault_file,
        "oauth_bootstrap_vault_password": from_env("HYGIENE_VAULT_PASSWORD"),
    }}
    return [play(modules, basic, name="every module, API token"),
            play(with_bearer, bearer, name="admin OAuth token"),
            play(from_environment, name="connection from the environment"),
            play([], name="the role", roles=[role])]


def collect_secrets(sim, extra):
    """{label: value} of every secret the simulator holds, plus ``extra``; labels never show a value."""
    state = sim.control.state()
    secrets = dict(extra)
    for client in state["clients"]:
        secrets["client %s secret" % client["identifier"]] = client["secret"]
    for token in state["tokens"] + state["revoked_tokens"]:
        secrets["token %s full_token" % token["id"]] = token["full_token"]
        if token.get("refresh_token"):
            secrets["token %s refresh_token" % token["id"]] = token["refresh_token"]
    return dict((label, value) for label, value in secrets.items() if value)


def written_files(root, skip):
    for directory, unused_dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            if os.path.realpath(path) not in skip and not os.path.islink(path):
                yield path


def leaks(secrets, texts):
    """[(secret label, where)] for every secret found in any (where, text)."""
    found = []
    for where, text in texts:
        for label, value in secrets.items():
            if value in text:
                found.append((label, where))
    return found


def authorization_code_grant(sim, client):
    """A refresh token for ``client``, the way a user's consent and the code exchange would give one."""
    code = sim.control.mint_code(client["identifier"], scope="read")
    answer = requests.post(sim.url + "/oauth/tokens", timeout=30, json={
        "grant_type": "authorization_code", "code": code, "client_id": client["identifier"],
        "client_secret": client["secret"]})
    answer.raise_for_status()
    return answer.json()["refresh_token"]


class OwnSimulator:
    """A simulator of one run's own (url, control), so both callback runs can go at once."""

    def __init__(self):
        self.server = Simulator(port=0)
        self.url = self.server.start()
        self.control = SimulatorControl(self.url)


@pytest.fixture(scope="module")
def hygiene_runs(tmp_path_factory):
    """Both runs (default and json callback, -vvvv) started together, each against its own simulator."""
    started = {}
    try:
        for callback in CALLBACKS:
            sim = OwnSimulator()
            root = str(tmp_path_factory.mktemp("hygiene-" + callback))
            prepared = api(sim, "POST", "/api/v2/oauth/clients", json={"client": {
                "identifier": "prepared", "name": "Prepared", "kind": "confidential"}})["client"]
            admin_oauth_token = api(sim, "POST", "/api/v2/oauth/tokens", json={"token": {
                "client_id": prepared["id"], "scopes": ["read", "write"]}})["token"]["full_token"]
            refresh_token = authorization_code_grant(sim, prepared)
            vault_file = os.path.join(root, "vault", "zendesk.yml")
            os.makedirs(os.path.dirname(vault_file))
            log_file = os.path.join(root, "ansible.log")
            # The default callback's run takes the in-controller path of the API modules, the json callback's
            # the module processes (plugins/plugin_utils/_module_action.py): both paths are searched.
            env = {"ANSIBLE_LOG_PATH": log_file, "HYGIENE_API_TOKEN": ADMIN_API_TOKEN,
                   "ZENDESK_OAUTH_EXECUTION": EXECUTION[callback],
                   "HYGIENE_REFRESH_TOKEN": refresh_token,
                   "HYGIENE_OAUTH_TOKEN": admin_oauth_token, "HYGIENE_VAULT_PASSWORD": VAULT_PASSWORD,
                   "ZENDESK_URL": sim.url, "ZENDESK_OAUTH_TOKEN": admin_oauth_token}
            playbook = write_playbook(root, hygiene_plays(sim, vault_file))
            process = start_playbook(playbook, root, verbosity=4, env=env,
                                     stdout_callback=None if callback == "default" else "json")
            started[callback] = (sim, process, root, vault_file, log_file, {
                "admin API token": ADMIN_API_TOKEN, "admin OAuth token": admin_oauth_token,
                "vault password": VAULT_PASSWORD, "prepared client's first secret": prepared["secret"],
                "refresh token given to the play": refresh_token})
        runs = {}
        for callback, (sim, process, root, vault_file, log_file, known) in started.items():
            result = finish(process)
            runs[callback] = (callback, result, collect_secrets(sim, known), root, vault_file, log_file)
        yield runs
    finally:
        for sim, process, *unused in started.values():
            if process.poll() is None:
                process.kill()
            sim.server.stop()


@pytest.fixture(params=CALLBACKS)
def hygiene_run(request, hygiene_runs):
    return hygiene_runs[request.param]


def test_no_secret_in_output_or_files(hygiene_run):
    callback, result, secrets, root, vault_file, log_file = hygiene_run
    assert result.rc == 0, result
    with open(log_file, encoding="utf-8") as handle:
        logged = handle.read()
    # Each run took the path it was given: module processes leave AnsiballZ traces at -vvvv, the controller none.
    assert ("AnsiballZ_zendesk_oauth_client.py" in result.output + logged) == (EXECUTION[callback] == "module")
    if callback == "default":
        assert "task path:" in result.output and "Loading collection" in result.output, "-vvvv was not in effect"
    else:
        assert result.json and result.json["stats"]["localhost"]["failures"] == 0
        assert result.json["stats"]["localhost"]["ignored"] == 4  # the four tasks with ignore_errors, each failing
    assert os.path.getsize(log_file) > 0
    assert len(secrets) >= 12, "fewer secrets than the play made: %s" % sorted(secrets)

    texts = [("stdout", result.stdout), ("stderr", result.stderr)]
    for path in written_files(root, {os.path.realpath(vault_file)}):
        with open(path, "rb") as handle:
            texts.append((os.path.relpath(path, root), handle.read().decode("utf-8", "replace")))
    found = leaks(secrets, texts)
    if found and os.environ.get("HYGIENE_DEBUG"):
        for label, where in found:
            text = dict(texts)[where]
            at = text.find(secrets[label])
            print("=== %s in %s: ...%s..." % (label, where, text[max(0, at - 600):at].replace(secrets[label], "<S>")))
    assert found == [], "secrets found (label, where): %s" % found


def test_vault_file_is_private_and_a_wrong_password_leaves_it_alone(hygiene_run):
    result, secrets, root, vault_file = hygiene_run[1:5]
    assert result.rc == 0, result
    assert os.stat(vault_file).st_mode & 0o777 == 0o600
    content = vault_decrypt(vault_file, VAULT_PASSWORD)
    assert secrets["client hygiene-role secret"] in content  # the real secret is in the vault, and only there

    before = os.stat(vault_file)
    with open(vault_file, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    wrong = os.path.join(root, "wrong.pass")
    with open(wrong, "w", encoding="utf-8") as handle:
        handle.write(WRONG_PASSWORD)
    done = subprocess.run([ANSIBLE_VAULT, "view", "--vault-password-file", wrong, vault_file],
                          env=ansible_env(root), capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "Decryption failed" in done.stderr, done.stderr
    after = os.stat(vault_file)
    with open(vault_file, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == digest
    assert (after.st_mtime_ns, after.st_mode, after.st_size) == (before.st_mtime_ns, before.st_mode, before.st_size)
    assert leaks(secrets, [("ansible-vault view output", done.stdout + done.stderr)]) == []


def test_example_bootstrap_playbook_leaks_nothing(sim, tmp_path):
    """examples/bootstrap.yml both ways its header documents, at -vvvv: the API token in a vault-encrypted vars
    file (default callback), then ZENDESK_* variables with an admin OAuth token (json callback)."""
    if not os.path.exists(EXAMPLE):
        pytest.skip("examples/bootstrap.yml is not in the repository: nothing to run")
    inputs, root = str(tmp_path / "inputs"), str(tmp_path / "run")  # what the user brings; what the run writes
    os.makedirs(inputs)
    os.makedirs(root)
    password_file = os.path.join(inputs, "vault.pass")
    with open(password_file, "w", encoding="utf-8") as handle:
        handle.write(VAULT_PASSWORD + "\n")
    api_token_file = os.path.join(inputs, "admin_api_token.vault.yml")
    with open(api_token_file, "wb") as handle:
        handle.write(vault_encrypt("zendesk_api_token: %s\n" % ADMIN_API_TOKEN, VAULT_PASSWORD))
    vault_file = os.path.join(root, "zendesk_oauth.vault.yml")
    log_file = os.path.join(root, "ansible.log")
    prepared = api(sim, "POST", "/api/v2/oauth/clients", json={"client": {
        "identifier": "prepared", "name": "Prepared", "kind": "confidential"}})["client"]
    admin_oauth_token = api(sim, "POST", "/api/v2/oauth/tokens", json={"token": {
        "client_id": prepared["id"], "scopes": ["read", "write"]}})["token"]["full_token"]

    common = {"zendesk_vault_file": vault_file, "zendesk_vault_password_file": password_file}
    with_api_token = run_playbook(
        EXAMPLE, root, verbosity=4, stdout_callback=None, env={"ANSIBLE_LOG_PATH": log_file},
        extra_vars=dict(common, zendesk_url=sim.url, zendesk_email=ADMIN_EMAIL),
        extra_args=["-e", "@" + api_token_file, "--vault-password-file", password_file])
    assert with_api_token.rc == 0, with_api_token
    with_environment = run_playbook(
        EXAMPLE, root, verbosity=4, stdout_callback="json", extra_vars=common,
        env={"ANSIBLE_LOG_PATH": log_file, "ZENDESK_URL": sim.url, "ZENDESK_OAUTH_TOKEN": admin_oauth_token})
    assert with_environment.rc == 0, with_environment
    assert with_environment.json["stats"]["localhost"]["changed"] == 0, "the second run should only verify"

    secrets = collect_secrets(sim, {"admin API token": ADMIN_API_TOKEN, "admin OAuth token": admin_oauth_token,
                                    "vault password": VAULT_PASSWORD})
    texts = [("stdout (API token)", with_api_token.stdout), ("stderr (API token)", with_api_token.stderr),
             ("stdout (environment)", with_environment.stdout), ("stderr (environment)", with_environment.stderr)]
    for path in written_files(root, {os.path.realpath(vault_file)}):
        with open(path, "rb") as handle:
            texts.append((os.path.relpath(path, root), handle.read().decode("utf-8", "replace")))
    assert leaks(secrets, texts) == [], "secrets found (label, where): %s" % leaks(secrets, texts)
    assert os.stat(vault_file).st_mode & 0o777 == 0o600
    assert secrets["client acme_integration secret"] in vault_decrypt(vault_file, VAULT_PASSWORD)


def secret_forms(secret):
    """A secret as an echoing server may send it back: raw, URL-encoded, base64."""
    return {"raw": secret, "url-encoded": quote(secret, safe=""),
            "base64": base64.b64encode(secret.encode("utf-8")).decode("ascii")}


def test_an_error_that_echoes_the_request_leaks_no_credential(sim, tmp_path):
    """A server (or proxy) whose error bodies repeat the request: the Authorization header (Basic base64 of
    email/token:api_token, or Bearer), and the JSON body (a client secret). Module messages, the role's error
    line and its rescue message, at -vvvv, must hold none of them in any form."""
    sim.control.set_config(echo_request=True)
    client_secret = "echo-client-secret-4f1a9c2e7b"
    seeded = sim.control.seed(
        clients=[{"identifier": "echo-public", "name": "Echo", "kind": "public", "secret": client_secret}],
        tokens=[{"client_identifier": "echo-public", "scopes": ["users:read"]}])
    users_only_token = seeded["tokens"][0]["full_token"]
    connection = admin_connection(sim.url, api_token=from_env("HYGIENE_API_TOKEN"))
    tasks = [
        # 422: Zendesk knows no client 42; the admin's Basic header comes back in the error body.
        {"name": "mint for a client that does not exist", TOKEN: {"client_id": 42, "scopes": ["read"]},
         "ignore_errors": True, "register": "minted"},
        # 403: the bearer token lacks the read scope; the Bearer header comes back.
        {"name": "list clients with a token that may not", CLIENT_INFO: {"oauth_token": from_env("HYGIENE_USERS_TOKEN"),
                                                                         "email": None, "api_token": None},
         "ignore_errors": True},
        # 400 unauthorized_client: a public client; the body with client_secret comes back.
        {"name": "client credentials for a public client",
         GRANT: {"grant_type": "client_credentials", "client_identifier": "echo-public",
                 "client_secret": from_env("HYGIENE_CLIENT_SECRET"), "scopes": ["read"]},
         "ignore_errors": True},
        {"name": "show the message", "ansible.builtin.debug": {"msg": "{{ minted.msg | default('') }}"}},
    ]
    # The role as an agent (not an admin): its client lookup gets a 403 with the agent's Basic header.
    role = {"role": "zendesk.oauth.oauth_bootstrap", "vars": {
        "oauth_bootstrap_client_identifier": "echo-role", "oauth_bootstrap_url": sim.url,
        "oauth_bootstrap_email": "agent@example.com", "oauth_bootstrap_api_token": from_env("HYGIENE_AGENT_TOKEN"),
        "oauth_bootstrap_store": "fact"}}
    plays = [play(tasks, connection, name="modules against an echoing server"),
             play([], name="the role against an echoing server", roles=[role])]
    env = {"HYGIENE_API_TOKEN": ADMIN_API_TOKEN, "HYGIENE_USERS_TOKEN": users_only_token,
           "HYGIENE_CLIENT_SECRET": client_secret, "HYGIENE_AGENT_TOKEN": AGENT["api_token"]}
    result = run_playbook(plays, str(tmp_path), verbosity=4, stdout_callback=None, env=env)

    assert result.rc != 0, "the role was to fail as an agent"
    assert result.output.count("[request ") >= 4, "the echoing server was not reached as planned"
    secrets = {
        "admin API token": ADMIN_API_TOKEN, "agent API token": AGENT["api_token"],
        "admin Basic credential": "%s/token:%s" % (ADMIN_EMAIL, ADMIN_API_TOKEN),
        "agent Basic credential": "agent@example.com/token:%s" % AGENT["api_token"],
        "bearer token": users_only_token, "client secret": client_secret,
    }
    found = [(label, form) for label, secret in secrets.items() for form, text in secret_forms(secret).items()
             if text in result.output]
    assert found == [], "secrets in the output (label, form): %s" % found
    assert "Authorization: Basic ********" in result.output and "Bearer ********" in result.output
