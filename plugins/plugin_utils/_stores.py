# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the oauth_bootstrap role keeps a client and its token between runs: the stores, on the controller.

INTERNAL: this file is not a public API of the collection and may change at any time.

Every store reads and writes one record (plugins/module_utils/_bootstrap.py RECORD_KEYS):

- FactStore keeps nothing (the playbook passes the token back);
- VaultFileStore is an Ansible Vault encrypted YAML vars file, decrypted and encrypted in this
  process, written atomically (a 0600 temp file in the same directory, fsync, os.replace), with an
  advisory lock on its directory held from the first read to the last write, so runs that overlap
  on one file wait for each other (and leave no lock file behind);
- KvStore is a HashiCorp Vault / OpenBao KV version 2 secret, over requests: capabilities,
  mount version, read, check-and-set write; an AppRole login is revoked when the store closes,
  whatever happened.

A store is used as a context manager: `with store: store.read() ... store.write(record)`. Every
check that can fail without Zendesk runs in check() (called before the first Zendesk request);
every failure raises StoreError with a message that names the option and the fix.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
import time
from urllib.parse import quote

import yaml

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import VaultLib, VaultSecret

try:
    import requests
except ImportError:  # pragma: no cover - the engine refuses to start without requests
    requests = None

VAULT_HEADER = "---\n# Written by the zendesk.oauth.oauth_bootstrap role; load it with include_vars.\n"
KV_CAPABILITIES = ("create", "read", "update")


class StoreError(Exception):
    """The store cannot be used as configured, or refused an operation; the message says what to do."""


class StoreConflict(StoreError):
    """Someone wrote the store since this run read it (KV check-and-set)."""


class Store(object):
    """The interface every store has."""

    kind = None
    where = None
    # Values the run must mask wherever it reports (passwords, tokens of the store itself).
    secrets = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def check(self):
        """Everything that can fail before the first request to Zendesk."""

    def read(self):
        """The record the store holds ({} when it holds none)."""
        return {}

    def write(self, record):
        """Replace the record."""

    def close(self):
        """Release what the store holds (a lock, a login)."""


class FactStore(Store):
    kind = "fact"
    where = "the oauth_bootstrap_client and oauth_bootstrap_token facts only"


# -- vault_file ----------------------------------------------------------------------------------
class VaultFileStore(Store):
    kind = "vault_file"

    def __init__(self, path, password=None, password_file=None, lock_timeout=300, check_mode=False, sleep=time.sleep):
        self.path = path
        self.where = "%s (Ansible Vault)" % path
        self._password = password
        self._password_file = password_file
        self._lock_timeout = lock_timeout
        self._check_mode = check_mode
        self._sleep = sleep
        self._lock_fd = None
        self._vault = None
        self.secrets = ()

    @property
    def directory(self):
        return os.path.dirname(self.path) or "."

    def check(self):
        if not self.path:
            raise StoreError("oauth_bootstrap_store=vault_file needs oauth_bootstrap_vault_file, the path of the vault "
                             "file (for example \"{{ playbook_dir }}/zendesk_oauth.vault.yml\"). Nothing was sent to "
                             "Zendesk.")
        if not os.path.isabs(self.path):
            raise StoreError("oauth_bootstrap_vault_file %s is a relative path: give an absolute one (for example "
                             "\"{{ playbook_dir }}/%s\"). Nothing was sent to Zendesk." % (self.path, self.path))
        if (self._password is None) == (self._password_file is None):
            raise StoreError("oauth_bootstrap_vault_file needs exactly one of oauth_bootstrap_vault_password and "
                             "oauth_bootstrap_vault_password_file. Nothing was sent to Zendesk.")
        if not os.path.isdir(self.directory):
            raise StoreError("oauth_bootstrap_vault_file %s: its directory %s must exist (it does not). "
                             "Nothing was sent to Zendesk." % (self.path, self.directory))
        if os.path.isdir(self.path):
            raise StoreError("oauth_bootstrap_vault_file %s is a directory: give the path of a file in it. Nothing was "
                             "sent to Zendesk." % self.path)
        self._vault = VaultLib([("default", VaultSecret(to_bytes(self._read_password())))])
        if not self._check_mode:
            self._probe()

    def _probe(self):
        """Mode bits do not stop root: only a real file proves the store can be written (removed at once)."""
        try:
            fd, probe = tempfile.mkstemp(prefix=self._temp_prefix(), suffix=".tmp", dir=self.directory)
        except OSError as exc:
            raise StoreError("oauth_bootstrap_vault_file %s: no file can be written in %s (%s). Nothing was sent to "
                             "Zendesk." % (self.path, self.directory, exc.strerror))
        os.close(fd)
        os.unlink(probe)

    def _read_password(self):
        if self._password is not None:
            password = self._password
        else:
            if not os.path.isabs(self._password_file):
                raise StoreError("oauth_bootstrap_vault_password_file %s is a relative path: give an absolute one. "
                                 "Nothing was sent to Zendesk." % self._password_file)
            try:
                with open(self._password_file, "rb") as handle:
                    password = to_text(handle.read(), errors="surrogate_or_strict").strip()
            except (OSError, UnicodeError) as exc:
                raise StoreError("oauth_bootstrap_vault_password_file %s cannot be read (%s). Nothing was sent to "
                                 "Zendesk." % (self._password_file, exc.strerror if isinstance(exc, OSError) else exc))
        if not password:
            raise StoreError("The vault password is empty (oauth_bootstrap_vault_password or the file "
                             "oauth_bootstrap_vault_password_file). Nothing was sent to Zendesk.")
        self.secrets = (password,)
        return password

    def __enter__(self):
        self._lock()
        return self

    def _lock(self):
        """Hold an advisory lock on the vault file's directory until close: a run that overlaps waits for it,
        up to the lock timeout. The directory, not a lock file: a run leaves no file behind, even one that fails."""
        try:
            self._lock_fd = os.open(self.directory, os.O_RDONLY)
        except OSError as exc:
            raise StoreError("oauth_bootstrap_vault_file %s: cannot open its directory %s (%s). Nothing was sent to "
                             "Zendesk." % (self.path, self.directory, exc.strerror))
        deadline = time.monotonic() + self._lock_timeout
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    os.close(self._lock_fd)
                    self._lock_fd = None
                    raise StoreError("oauth_bootstrap_vault_file %s is in use by another run for more than %ss "
                                     "(oauth_bootstrap_lock_timeout). Run again once it is done. Nothing was sent to "
                                     "Zendesk." % (self.path, self._lock_timeout))
                self._sleep(0.2)
        if not self._check_mode:
            self._remove_stale_temp_files()

    def _temp_prefix(self):
        return ".%s." % os.path.basename(self.path)

    def _remove_stale_temp_files(self):
        """A run killed while writing leaves its temp file; with the lock held, no temp file is anyone's."""
        prefix = self._temp_prefix()
        for name in os.listdir(self.directory):
            if name.startswith(prefix) and name.endswith(".tmp"):
                try:
                    os.unlink(os.path.join(self.directory, name))
                except OSError:
                    pass

    def close(self):
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def read(self):
        try:
            with open(self.path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError("oauth_bootstrap_vault_file %s cannot be read (%s). Nothing was sent to Zendesk."
                             % (self.path, exc.strerror))
        if not data.strip():
            return {}  # what a run that died between creating the file and writing it used to leave
        if not data.startswith(b"$ANSIBLE_VAULT;"):
            raise StoreError("%s is not an Ansible Vault encrypted file. Nothing was sent to Zendesk. Nothing was "
                             "changed: the file was left as it is." % self.path)
        try:
            plaintext = self._vault.decrypt(data)
        except AnsibleError:
            raise StoreError("Could not decrypt %s with the vault password given (oauth_bootstrap_vault_password or "
                             "oauth_bootstrap_vault_password_file): wrong password, or a damaged file. Nothing was sent "
                             "to Zendesk and the file was left as it is." % self.path) from None
        try:
            record = yaml.safe_load(plaintext)
        except yaml.YAMLError:
            record = None
        if record is None:
            return {}
        if not isinstance(record, dict):
            raise StoreError("%s decrypts, but does not hold a YAML mapping of variables. Nothing was sent to Zendesk. "
                             "Nothing was changed: the file was left as it is." % self.path)
        return record

    def write(self, record):
        if self._check_mode:
            return
        text = VAULT_HEADER + yaml.safe_dump(record, default_flow_style=False, sort_keys=True, indent=2)
        ciphertext = self._vault.encrypt(to_bytes(text))
        fd, temp = tempfile.mkstemp(prefix=self._temp_prefix(), suffix=".tmp", dir=self.directory)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(ciphertext)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except OSError as exc:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise StoreError("Could not write %s (%s)." % (self.path, exc.strerror))
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


# -- kv ------------------------------------------------------------------------------------------
class KvStore(Store):
    """A KV version 2 secret of HashiCorp Vault or OpenBao, over its HTTP API."""

    kind = "kv"

    def __init__(self, address, mount, path, auth_method="token", token=None, role_id=None, secret_id=None,
                 approle_mount="approle", namespace=None, validate_certs=True, ca_path=None, timeout=30,
                 identifier=None, check_mode=False):
        self.address = (address or "").rstrip("/")
        self.mount = (mount or "").strip("/")
        self.path = (path or "").strip("/")
        self.auth_method = auth_method
        self._configured_token = token
        self._role_id = role_id
        self._secret_id = secret_id
        self.approle_mount = (approle_mount or "").strip("/")
        self.namespace = namespace
        self._verify = (ca_path or True) if validate_certs else False
        self._timeout = timeout
        self._identifier = identifier or "acme_integration"
        self._check_mode = check_mode
        self._session = None
        self._login_token = None
        self.version = 0
        self.where = "%s/%s (KV v2)" % (self.mount, self.path)
        self.secrets = tuple(value for value in (token, secret_id) if value)

    @property
    def policy_path(self):
        return "%s/data/%s" % (self.mount, self.path)

    @property
    def data_url(self):
        return "%s/v1/%s" % (self.address, quote(self.policy_path))

    def problems(self):
        """What is wrong with the kv options (before any request at all)."""
        found = []
        if not self.address:
            found.append("oauth_bootstrap_kv_url is not set: set it to the address of the Vault or OpenBao server (for "
                         "example https://vault.example.com:8200), or set VAULT_ADDR or BAO_ADDR in the environment of "
                         "ansible-playbook.")
        elif not (self.address.startswith("https://") or self.address.startswith("http://")) or \
                len(self.address.split("://", 1)[1]) == 0:
            found.append("oauth_bootstrap_kv_url (%s) must start with https:// or http://." % self.address)
        if not self.mount:
            found.append("oauth_bootstrap_kv_mount is not set: set it to the path of the KV version 2 mount (for "
                         "example secret).")
        if not self.path:
            found.append("oauth_bootstrap_kv_path is not set: set it to the path of the secret inside the mount (for "
                         "example zendesk/%s)." % self._identifier)
        parts = ("%s/%s" % (self.mount, self.path)).split("/")
        if self.mount and self.path and any(part in ("", ".", "..") for part in parts):
            found.append('oauth_bootstrap_kv_mount and oauth_bootstrap_kv_path must not hold empty, "." or ".." parts '
                         "(got %s and %s)." % (self.mount, self.path))
        if self.auth_method == "token" and not self._configured_token:
            found.append("oauth_bootstrap_kv_auth_method=token needs a token: set oauth_bootstrap_kv_token, or "
                         "VAULT_TOKEN or BAO_TOKEN in the environment of ansible-playbook.")
        if self.auth_method == "approle" and not (self._role_id and self._secret_id and self.approle_mount):
            found.append("oauth_bootstrap_kv_auth_method=approle needs oauth_bootstrap_kv_role_id, "
                         "oauth_bootstrap_kv_secret_id and oauth_bootstrap_kv_approle_mount.")
        if not self._timeout or self._timeout < 1:
            found.append("oauth_bootstrap_kv_timeout must be a number of seconds above 0 (got %s)." % self._timeout)
        return found

    def _request(self, method, path, token=True, **kwargs):
        headers = {}
        if self.namespace:
            headers["X-Vault-Namespace"] = self.namespace
        if token and self._token():
            headers["X-Vault-Token"] = self._token()
        try:
            answer = self._session.request(method, "%s/v1/%s" % (self.address, path), headers=headers,
                                           timeout=self._timeout, verify=self._verify, allow_redirects=False, **kwargs)
        except requests.exceptions.RequestException as exc:
            raise StoreError("Could not reach the KV store at %s (%s). Check oauth_bootstrap_kv_url (or VAULT_ADDR / "
                             "BAO_ADDR) and, for https, oauth_bootstrap_kv_ca_path. Nothing was sent to Zendesk."
                             % (self.address, type(exc).__name__))
        try:
            body = answer.json() if answer.content else {}
        except ValueError:
            body = {}
        return answer.status_code, body if isinstance(body, dict) else {}

    def _token(self):
        return self._login_token if self.auth_method == "approle" else self._configured_token

    @staticmethod
    def _errors(status, body):
        return "%s: %s" % (status, "; ".join(str(error) for error in body.get("errors") or []))

    def check(self):
        problems = self.problems()
        if problems:
            raise StoreError("oauth_bootstrap_store=kv: %s Nothing was sent to Zendesk." % " ".join(problems))

    def __enter__(self):
        self._session = requests.Session()
        try:
            if self.auth_method == "approle":
                self._login()
            self._check_server()
        except BaseException:
            self.close()
            raise
        return self

    def _login(self):
        status, body = self._request("POST", "auth/%s/login" % quote(self.approle_mount), token=False,
                                     json={"role_id": self._role_id, "secret_id": self._secret_id})
        token = ((body.get("auth") or {}).get("client_token")) if status == 200 else None
        if not token:
            raise StoreError("The AppRole login at %s/v1/auth/%s/login failed (%s). Check oauth_bootstrap_kv_role_id and "
                             "oauth_bootstrap_kv_secret_id (a secret id expires, and may have a number of uses), and "
                             "oauth_bootstrap_kv_approle_mount (where the AppRole auth method is enabled). Nothing was "
                             "sent to Zendesk." % (self.address, self.approle_mount, self._errors(status, body)))
        self._login_token = token
        self.secrets = self.secrets + (token,)

    def _check_server(self):
        """The token may write the secret, and the mount is KV version 2 (a token minted and not stored is held by nobody)."""
        status, body = self._request("POST", "sys/capabilities-self", json={"paths": [self.policy_path]})
        if status != 200:
            who = ("token of the AppRole login" if self.auth_method == "approle"
                   else "token (oauth_bootstrap_kv_token, else VAULT_TOKEN or BAO_TOKEN)")
            raise StoreError("The KV store at %s did not accept the %s (%s). It may be wrong, expired or revoked, lack "
                             "the default policy, or belong to another namespace (oauth_bootstrap_kv_namespace). "
                             "Nothing was sent to Zendesk." % (self.address, who, self._errors(status, body)))
        granted = (body.get("data") or {}).get("capabilities") or body.get("capabilities") or []
        status, body = self._request("GET", "sys/internal/ui/mounts/%s" % quote("%s/%s" % (self.mount, self.path)))
        mount = body.get("data") or {}
        if status != 200:
            raise StoreError("No secrets engine mount that this token may use holds %s/%s (%s). Check "
                             "oauth_bootstrap_kv_mount (the path of the KV version 2 mount, for example secret) and "
                             "oauth_bootstrap_kv_path, and that the token's policy grants create, read and update on %s. "
                             "Nothing was sent to Zendesk." % (self.mount, self.path, self._errors(status, body),
                                                               self.policy_path))
        if mount.get("type") != "kv":
            raise StoreError("The mount %s is a %s secrets engine, not KV: set oauth_bootstrap_kv_mount to a KV version "
                             "2 mount. Nothing was sent to Zendesk." % (mount.get("path"), mount.get("type")))
        if str((mount.get("options") or {}).get("version") or "1") != "2":
            raise StoreError("The mount %s is a KV version 1 mount; the role needs KV version 2 (it writes each change "
                             "as a new version, with check-and-set). Set oauth_bootstrap_kv_mount to a KV version 2 "
                             "mount (bao secrets enable -path=NAME kv-v2), or upgrade this one (bao kv "
                             "enable-versioning %s). Nothing was sent to Zendesk." % (mount.get("path"), mount.get("path")))
        if mount.get("path") != self.mount + "/":
            raise StoreError("The mount that holds %s/%s is %s, not %s/: set oauth_bootstrap_kv_mount to %s and "
                             "oauth_bootstrap_kv_path to the rest of the path. Nothing was sent to Zendesk."
                             % (self.mount, self.path, mount.get("path"), self.mount, mount.get("path", "").rstrip("/")))
        if "root" not in granted and any(capability not in granted for capability in KV_CAPABILITIES):
            raise StoreError('The token may not write the secret %s (it may: %s). Its policy needs path "%s" { '
                             'capabilities = ["create", "read", "update"] }. The role checks this first because a token '
                             "it minted and then could not store would be held by nobody. Nothing was sent to Zendesk."
                             % (self.policy_path, ", ".join(granted), self.policy_path))

    def read(self):
        status, body = self._request("GET", quote(self.policy_path))
        data = body.get("data") or {}
        if status not in (200, 404):
            raise StoreError("Could not read %s (%s). Nothing was sent to Zendesk."
                             % (self.data_url, self._errors(status, body)))
        # 404: no secret yet, or its latest version deleted; the answer still names the latest version.
        self.version = int((data.get("metadata") or {}).get("version") or 0)
        record = data.get("data") if status == 200 else None
        return record if isinstance(record, dict) else {}

    def write(self, record):
        if self._check_mode:
            return
        status, body = self._request("POST", quote(self.policy_path),
                                     json={"options": {"cas": self.version}, "data": record})
        if status == 200:
            self.version = int((body.get("data") or {}).get("version") or self.version + 1)
            return
        if status == 400 and "check-and-set" in " ".join(str(error) for error in body.get("errors") or []):
            raise StoreConflict("The KV store refused to write %s: it is no longer at version %s, which this run read "
                                "(check-and-set), so someone or another run wrote it in between."
                                % (self.policy_path, self.version))
        raise StoreError("Could not write %s (%s)." % (self.data_url, self._errors(status, body)))

    def close(self):
        """The AppRole login's token is this run's own: revoked on every path. A configured token is the caller's."""
        if self._session is None:
            return
        try:
            if self._login_token:
                try:
                    self._request("POST", "auth/token/revoke-self")
                except StoreError:
                    pass  # it expires by itself (the AppRole's token_ttl)
                self._login_token = None
        finally:
            self._session.close()
            self._session = None


def build_store(options, environ, check_mode=False):
    """The store the role's options name (oauth_bootstrap_store, else vault_file when a vault file is given)."""
    kind = options["oauth_bootstrap_store"] or ("vault_file" if options["oauth_bootstrap_vault_file"] else "fact")
    if kind == "fact":
        return FactStore()
    if kind == "vault_file":
        return VaultFileStore(options["oauth_bootstrap_vault_file"], options["oauth_bootstrap_vault_password"],
                              options["oauth_bootstrap_vault_password_file"], options["oauth_bootstrap_lock_timeout"],
                              check_mode=check_mode)
    return KvStore(
        options["oauth_bootstrap_kv_url"] or environ.get("VAULT_ADDR") or environ.get("BAO_ADDR"),
        options["oauth_bootstrap_kv_mount"], options["oauth_bootstrap_kv_path"],
        auth_method=options["oauth_bootstrap_kv_auth_method"],
        token=options["oauth_bootstrap_kv_token"] or environ.get("VAULT_TOKEN") or environ.get("BAO_TOKEN"),
        role_id=options["oauth_bootstrap_kv_role_id"], secret_id=options["oauth_bootstrap_kv_secret_id"],
        approle_mount=options["oauth_bootstrap_kv_approle_mount"], namespace=options["oauth_bootstrap_kv_namespace"],
        validate_certs=options["oauth_bootstrap_kv_validate_certs"], ca_path=options["oauth_bootstrap_kv_ca_path"],
        timeout=options["oauth_bootstrap_kv_timeout"], identifier=options["oauth_bootstrap_client_identifier"],
        check_mode=check_mode)
