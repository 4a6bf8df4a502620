# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input fails before the first request, with a message that names the option and what it allows.

Every case runs the real module through ansible-playbook. Each module case talks to a simulator of
its own, so "zero requests" is read from that simulator's request log for that case alone. Any
attempt to reach a host other than 127.0.0.1 (a subdomain resolves to <subdomain>.zendesk.com)
goes to a local tripwire proxy that only counts connections, so nothing leaves the machine and a
request that validation should have stopped is still seen. A directory with files in it is the
playbook's working directory: it must be byte for byte the same afterwards.

The module cases run as the tasks of one playbook (``ignore_errors`` on each), one pytest test
each: one ansible-playbook start instead of twenty. The role cases run one playbook each.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading

import pytest

from playbook_runner import (ADMIN_API_TOKEN, ADMIN_EMAIL, admin_connection, finish, play, run_playbook,
                             start_playbook, vault_encrypt, write_playbook)
from simulator import Simulator, SimulatorControl

CLIENT = "zendesk.oauth.zendesk_oauth_client"
CLIENT_INFO = "zendesk.oauth.zendesk_oauth_client_info"
GRANT = "zendesk.oauth.zendesk_oauth_grant"
TOKEN = "zendesk.oauth.zendesk_oauth_token"
ADMIN_OAUTH_TOKEN = "bad-input-admin-oauth-token-0123456789abcdef"  # never sent: every case fails first

# (case id, module, module arguments, connection (None = the seeded admin on the case's simulator),
#  fragments the failure message must contain: the option, and what is allowed)
BASIC = object()
CASES = [
    ("subdomain-with-domain", CLIENT, {"identifier": "acme"},
     {"subdomain": "acme.zendesk.com", "email": ADMIN_EMAIL, "api_token": ADMIN_API_TOKEN},
     ["subdomain 'acme.zendesk.com'", "lowercase letters, digits and hyphens", "Give only the first label"]),
    ("subdomain-uppercase-underscore", TOKEN, {"client_id": 1, "scopes": ["read"]},
     {"subdomain": "Acme_Corp", "email": ADMIN_EMAIL, "api_token": ADMIN_API_TOKEN},
     ["subdomain 'Acme_Corp'", "lowercase letters, digits and hyphens"]),
    ("url-without-scheme", CLIENT, {"identifier": "acme"},
     {"url": "acme.zendesk.com", "email": ADMIN_EMAIL, "api_token": ADMIN_API_TOKEN},
     ["url 'acme.zendesk.com'", "absolute http(s) URL"]),
    ("url-host-port-without-scheme", CLIENT_INFO, {},
     {"url": "127.0.0.1:8080/api", "email": ADMIN_EMAIL, "api_token": ADMIN_API_TOKEN},
     ["url '127.0.0.1:8080/api'", "absolute http(s) URL"]),
    ("subdomain-and-url", CLIENT, {"identifier": "acme"},
     {"subdomain": "acme", "url": "URL", "email": ADMIN_EMAIL, "api_token": ADMIN_API_TOKEN},
     ["subdomain and url are mutually exclusive"]),
    ("both-auth-methods", CLIENT, {"identifier": "acme"},
     {"url": "URL", "email": ADMIN_EMAIL, "api_token": ADMIN_API_TOKEN, "oauth_token": ADMIN_OAUTH_TOKEN},
     ["oauth_token", "email with api_token", "not both"]),
    ("neither-auth-method", CLIENT, {"identifier": "acme"}, {"url": "URL"},
     ["no credentials", "email with api_token", "oauth_token", "ZENDESK_OAUTH_TOKEN"]),
    ("email-without-api-token", TOKEN, {"client_id": 1, "scopes": ["read"]}, {"url": "URL", "email": ADMIN_EMAIL},
     ["email needs api_token", "oauth_token"]),
    ("api-token-without-email", CLIENT_INFO, {}, {"url": "URL", "api_token": ADMIN_API_TOKEN},
     ["api_token needs email"]),
    ("email-not-an-address", CLIENT, {"identifier": "acme"},
     {"url": "URL", "email": "admin", "api_token": ADMIN_API_TOKEN},
     ["email 'admin' is not an email address"]),
    ("scopes-not-a-list", TOKEN, {"client_id": 1, "scopes": {"read": True}}, BASIC,
     ["scopes", "list"]),
    ("scopes-empty", TOKEN, {"client_id": 1, "scopes": []}, BASIC,
     ["scopes must not be empty", "[read]"]),
    ("scope-uppercase", TOKEN, {"client_id": 1, "scopes": ["Tickets:Read"]}, BASIC,
     ["scopes entry 'Tickets:Read' is malformed", "<resource>:read", "lowercase"]),
    ("scope-unknown-access", TOKEN, {"client_id": 1, "scopes": ["tickets:delete"]}, BASIC,
     ["scopes entry 'tickets:delete' is malformed", "<resource>:write"]),
    ("scope-broad-with-suffix", TOKEN, {"client_id": 1, "scopes": ["read:write"]}, BASIC,
     ["scopes entry 'read:write' is malformed", "takes no access suffix"]),
    ("scopes-space-separated", TOKEN, {"client_identifier": "acme", "scopes": ["tickets:read users:read"]}, BASIC,
     ["scopes entry 'tickets:read users:read' is malformed", "one scope per list item"]),
    ("kind-unknown", CLIENT, {"identifier": "acme", "name": "Acme", "kind": "private"}, BASIC,
     ["kind", "public, confidential", "private"]),
    ("redirect-uri-relative", CLIENT, {"identifier": "acme", "name": "Acme", "redirect_uri": ["/oauth/callback"]},
     BASIC, ["redirect_uri entry '/oauth/callback' is not an absolute URL", "scheme and host"]),
    ("redirect-uri-without-host", CLIENT, {"identifier": "acme", "name": "Acme", "redirect_uri": ["https://"]},
     BASIC, ["redirect_uri entry 'https://' is not an absolute URL"]),
    ("timeout-negative", CLIENT, {"identifier": "acme", "timeout": -1}, BASIC,
     ["timeout=-1", "greater than 0 and at most 600"]),
    ("timeout-zero", CLIENT_INFO, {"timeout": 0}, BASIC, ["timeout=0", "greater than 0 and at most 600"]),
    ("timeout-huge", TOKEN, {"client_id": 1, "scopes": ["read"], "timeout": 86400}, BASIC,
     ["timeout=86400", "greater than 0 and at most 600"]),
    ("expiry-margin-negative", TOKEN, {"client_id": 1, "scopes": ["read"], "expiry_margin": -1}, BASIC,
     ["expiry_margin=-1", "0 to 7776000"]),
    ("expiry-margin-huge", TOKEN, {"client_id": 1, "scopes": ["read"], "expiry_margin": 10 ** 9}, BASIC,
     ["expiry_margin=1000000000", "0 to 7776000"]),
    ("client-id-and-identifier", TOKEN, {"client_id": 1, "client_identifier": "acme", "scopes": ["read"]}, BASIC,
     ["mutually exclusive", "client_id", "client_identifier"]),
    ("max-retries-negative", CLIENT, {"identifier": "acme", "max_retries": -1}, BASIC,
     ["max_retries=-1", "0 to 20"]),
    ("max-retry-wait-huge", TOKEN, {"client_id": 1, "scopes": ["read"], "max_retry_wait": 86400}, BASIC,
     ["max_retry_wait=86400", "0 to 3600"]),
    ("ca-path-without-validation", CLIENT_INFO, {"validate_certs": False, "ca_path": "/etc/ssl/certs/ca.pem"},
     BASIC, ["ca_path is set but validate_certs is false"]),
    # zendesk_oauth_grant takes no admin credential: only the URL and the grant's own inputs.
    ("grant-type-unknown", GRANT, {"grant_type": "password", "client_identifier": "acme"}, {"url": "URL"},
     ["grant_type", "client_credentials, refresh_token", "password"]),
    ("grant-without-secret", GRANT, {"grant_type": "client_credentials", "client_identifier": "acme",
                                     "scopes": ["read"]}, {"url": "URL"},
     ["client_secret"]),
    ("grant-refresh-without-token", GRANT, {"grant_type": "refresh_token", "client_identifier": "acme"},
     {"url": "URL"}, ["refresh_token"]),
    ("grant-expires-in-too-short", GRANT, {"grant_type": "client_credentials", "client_identifier": "acme",
                                           "client_secret": "a-client-secret-0123456789", "scopes": ["read"],
                                           "expires_in": 60}, {"url": "URL"},
     ["expires_in=60", "more than 300 and less than 172800"]),
    ("grant-refresh-lifetime-too-short", GRANT, {"grant_type": "refresh_token", "client_identifier": "acme",
                                                 "refresh_token": "a-refresh-token-0123456789",
                                                 "refresh_token_expires_in": 86400}, {"url": "URL"},
     ["refresh_token_expires_in=86400", "more than 604800 and less than 7776000"]),
    ("grant-scope-malformed", GRANT, {"grant_type": "client_credentials", "client_identifier": "acme",
                                      "client_secret": "a-client-secret-0123456789", "scopes": ["tickets read"]},
     {"url": "URL"}, ["scopes entry 'tickets read' is malformed"]),
    ("grant-timeout-zero", GRANT, {"grant_type": "refresh_token", "client_identifier": "acme",
                                   "refresh_token": "a-refresh-token-0123456789", "timeout": 0}, {"url": "URL"},
     ["timeout=0", "greater than 0 and at most 600"]),
]
CASE_IDS = [case[0] for case in CASES]


class Tripwire:
    """A TCP listener standing in for an HTTP(S) proxy: it counts connections and answers none."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn = self.sock.accept()[0]
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def snapshot(directory):
    """{relative path: sha256 of the content, or 'dir'} for a tree (Ansible's own scratch dirs left out)."""
    found = {}
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if d not in ("ansible-home", "ansible-tmp", "ansible-remote-tmp")]
        for name in dirs:
            found[os.path.relpath(os.path.join(root, name), directory)] = "dir"
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, directory)] = (hashlib.sha256(handle.read()).hexdigest(),
                                                           os.stat(path).st_mode)
    return found


@pytest.fixture(scope="module")
def module_case_run(tmp_path_factory, role_cases_started):
    """Run every module case once; yields (PlaybookResult, {case id: SimulatorControl}, tripwire, before, after).

    The role cases (``role_cases_started``) run at the same time, in their own processes.
    """
    del role_cases_started
    home = str(tmp_path_factory.mktemp("bad-input"))
    with open(os.path.join(home, "held-token"), "w", encoding="utf-8") as handle:
        handle.write("a token a user holds\n")
    os.chmod(os.path.join(home, "held-token"), 0o600)
    tripwire = Tripwire()
    servers, controls, tasks = [], {}, []
    try:
        for case_id, module, args, connection, unused_fragments in CASES:
            server = Simulator(port=0)
            url = server.start()
            servers.append(server)
            controls[case_id] = SimulatorControl(url)
            if connection is BASIC:
                connection = admin_connection(url)
            else:
                connection = {key: (url if value == "URL" else value) for key, value in connection.items()}
            tasks.append({"name": case_id, module: dict(connection, **args), "ignore_errors": True})
        proxy = "http://127.0.0.1:%d" % tripwire.port
        playbook = write_playbook(home, [play(tasks)])
        before = snapshot(home)
        result = run_playbook(playbook, home, env={
            "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy,
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
        after = snapshot(home)
        yield result, controls, tripwire, before, after
    finally:
        tripwire.close()
        for server in servers:
            server.stop()


@pytest.mark.parametrize("case_id, module, args, connection, fragments", CASES, ids=CASE_IDS)
def test_module_refuses_bad_input_before_any_request(module_case_run, case_id, module, args, connection, fragments):
    del module, args, connection
    result, controls, tripwire, before, after = module_case_run
    outcome = result.result(case_id)
    assert outcome.get("failed"), "case %s did not fail: %s" % (case_id, outcome)
    message = outcome.get("msg", "")
    for fragment in fragments:
        assert fragment in message, "case %s: %r not in the failure message %r" % (case_id, fragment, message)
    assert "Traceback" not in message + str(outcome.get("exception")), outcome
    assert controls[case_id].requests() == [], "case %s sent requests to Zendesk" % case_id
    assert tripwire.connections == 0, "some case tried to reach a host other than 127.0.0.1"
    assert before == after, "the working directory changed"


# ------------------------------------------------------------------------------------------------
# The role: the vault file is checked before the first request
# ------------------------------------------------------------------------------------------------
VAULT_PASSWORD = "bad-input-vault-password-4f1c"


def unwritable_directory(home):
    """A directory nobody may create a file in. Root ignores mode bits, so as root: /proc (EACCES for all)."""
    if os.geteuid() == 0:
        return "/proc"
    path = os.path.join(home, "read-only")
    os.makedirs(path)
    os.chmod(path, 0o500)
    return path


# (case id, how to lay out the vault file: fn(home) -> (vault path, role variable overrides), fragments)
def _missing_dir(home):
    return os.path.join(home, "no-such-dir", "zendesk.vault.yml"), {}


def _unwritable_dir(home):
    return os.path.join(unwritable_directory(home), "zendesk.vault.yml"), {}


def _wrong_password(home):
    path = os.path.join(home, "zendesk.vault.yml")
    with open(path, "wb") as handle:
        handle.write(vault_encrypt("zendesk_oauth_full_token: held-token-value-0123456789\n", "the-right-password"))
    os.chmod(path, 0o600)
    return path, {}


def _not_a_vault_file(home):
    path = os.path.join(home, "zendesk.vault.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("zendesk_oauth_full_token: plain-text-token-0123456789\n")
    os.chmod(path, 0o600)
    return path, {}


ROLE_CASES = [
    ("vault-directory-missing", _missing_dir, ["oauth_bootstrap_vault_file", "must exist", "Nothing was sent"]),
    ("vault-directory-unwritable", _unwritable_dir, ["oauth_bootstrap_vault_file", "writ"]),
    ("vault-wrong-password", _wrong_password, ["Could not decrypt", "wrong password", "left as it is"]),
    ("vault-file-not-encrypted", _not_a_vault_file, ["is not an Ansible Vault encrypted file", "Nothing was changed"]),
]


@pytest.fixture(scope="module")
def role_cases_started(tmp_path_factory):
    """Start every role case (each its own simulator and directory) without waiting for them."""
    started = {}
    servers = []
    try:
        for case_id, layout, unused_fragments in ROLE_CASES:
            home = str(tmp_path_factory.mktemp(case_id))
            server = Simulator(port=0)
            url = server.start()
            servers.append(server)
            vault_file, overrides = layout(home)
            password_file = os.path.join(home, "vault.pass")
            with open(password_file, "w", encoding="utf-8") as handle:
                handle.write(VAULT_PASSWORD + "\n")
            role_vars = dict({
                "oauth_bootstrap_client_identifier": "bad-input",
                "oauth_bootstrap_url": url,
                "oauth_bootstrap_email": ADMIN_EMAIL,
                "oauth_bootstrap_api_token": ADMIN_API_TOKEN,
                "oauth_bootstrap_vault_file": vault_file,
                "oauth_bootstrap_vault_password_file": password_file,
            }, **overrides)
            playbook = write_playbook(home, [play([], roles=[dict({"role": "zendesk.oauth.oauth_bootstrap"},
                                                                  **role_vars)])])
            before = snapshot(home)
            vault_before = _file_bytes(vault_file)
            process = start_playbook(playbook, home, stdout_callback=None)
            started[case_id] = (process, home, before, vault_file, vault_before, SimulatorControl(url))
        yield started
    finally:
        for process in (entry[0] for entry in started.values()):
            if process.poll() is None:
                process.kill()
                process.communicate()
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def role_case_runs(role_cases_started):
    """{case: (result, control, files before, files after, vault bytes before, vault bytes after)}."""
    runs = {}
    for case_id, (process, home, before, vault_file, vault_before, control) in role_cases_started.items():
        runs[case_id] = (finish(process), control, before, snapshot(home), vault_before, _file_bytes(vault_file))
    return runs


def _file_bytes(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None


@pytest.mark.parametrize("case_id, layout, fragments", ROLE_CASES, ids=[c[0] for c in ROLE_CASES])
def test_role_refuses_a_bad_vault_file_before_any_request(role_case_runs, case_id, layout, fragments):
    del layout
    result, control, before, after, vault_before, vault_after = role_case_runs[case_id]
    assert result.rc != 0, "case %s did not fail:\n%s" % (case_id, result.output[-3000:])
    for fragment in fragments:  # what the user sees on the default output
        assert fragment in result.output, "case %s: %r not shown:\n%s" % (case_id, fragment, result.output[-3000:])
    sent = [(entry["method"], entry["path"]) for entry in control.requests()]
    assert sent == [], "case %s sent %s" % (case_id, sent)
    assert vault_after == vault_before, "the vault file changed"
    assert before == after, "files changed in the run's directory"
