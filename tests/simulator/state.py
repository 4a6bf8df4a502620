# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator's data: users, OAuth clients, tokens, authorization codes, the simulated clock,
the id counters, and their atomic persistence to a state file.

Everything here is guarded by ``State.lock`` (one re-entrant lock for the whole simulator).
Records are plain dicts holding epoch seconds; ``views.py`` renders them as Zendesk does.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
import time

from .config import default_config, merge_config

FIRST_CLIENT_ID = 900000000001
FIRST_TOKEN_ID = 910000000001
FIRST_GLOBAL_CLIENT_ID = 920000000001
CODE_LIFETIME = 120
STATE_FORMAT = 1

ADMIN = {
    "id": 360000000042,
    "name": "Sim Admin",
    "email": "admin@example.com",
    "role": "admin",
    "api_token": "sim-admin-api-token-0123456789abcdef",
}
AGENT = {
    "id": 360000000043,
    "name": "Sim Agent",
    "email": "agent@example.com",
    "role": "agent",
    "api_token": "sim-agent-api-token-0123456789abcdef",
}
SEED_TIME = 1767225600  # 2026-01-01T00:00:00Z: creation time of the seeded users


def iso(epoch):
    """ISO 8601 UTC with second precision, as Zendesk writes it; None stays None."""
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def new_secret():
    """64 random hex characters: client secrets, access and refresh tokens, codes."""
    return secrets.token_hex(32)


class Clock:
    """Wall time plus an offset that ``/_sim/clock`` moves forward (expiry, TTLs, codes, rate window).

    Frozen (config ``freeze_clock``), it stands still between ``advance`` calls, so a test's rate
    window or token lifetime cannot slide while a slow playbook runs.
    """

    def __init__(self, offset=0.0, frozen_at=None):
        self.offset = float(offset)
        self.frozen_at = frozen_at

    def now(self):
        """Simulated time in epoch seconds (float)."""
        base = self.frozen_at if self.frozen_at is not None else time.time()
        return base + self.offset

    def now_int(self):
        """Simulated time truncated to whole seconds, as stored in records."""
        return int(self.now())

    def advance(self, seconds):
        self.offset += float(seconds)

    def set_frozen(self, frozen):
        """Stop or restart the flow of time without a jump in ``now()``."""
        if frozen and self.frozen_at is None:
            self.frozen_at = time.time()
        elif not frozen and self.frozen_at is not None:
            self.offset += self.frozen_at - time.time()
            self.frozen_at = None


class State:
    """All mutable simulator data. Callers hold ``lock`` around any read-modify-write."""

    def __init__(self, config=None, state_file=None):
        self.lock = threading.RLock()
        self.state_file = state_file
        self.base_config = merge_config(default_config(), config)
        self.config = None
        self.clock = Clock()
        self.set_config(self.base_config)
        self.users = {}
        self.clients = {}
        self.tokens = {}
        self.revoked_tokens = []
        self.codes = {}
        self.global_clients = {}
        self.next_client_id = FIRST_CLIENT_ID
        self.next_token_id = FIRST_TOKEN_ID
        self.requests = []
        self.request_seq = 0
        self.dirty = False
        self._seed_users()
        if state_file and os.path.exists(state_file):
            self.load(state_file)
            # an explicit config (constructor / --config) wins over the one in the file
            self.set_config(merge_config(self.config, config))

    # ------------------------------------------------------------------ lifecycle
    def _seed_users(self):
        self.users = {}
        for user in (ADMIN, AGENT):
            record = dict(user)
            record["created_at"] = SEED_TIME
            self.users[record["id"]] = record

    def reset(self, config=None):
        """Back to a fresh account: seeded users only, start config plus ``config``, clock at wall time.

        The start config is the defaults plus what the constructor (``--config``) was given.
        """
        with self.lock:
            new_config = merge_config(self.base_config, config)
            self.clock = Clock()
            self.set_config(new_config)
            self._seed_users()
            self.clients = {}
            self.tokens = {}
            self.revoked_tokens = []
            self.codes = {}
            self.global_clients = {}
            self.next_client_id = FIRST_CLIENT_ID
            self.next_token_id = FIRST_TOKEN_ID
            self.requests = []
            self.request_seq = 0
            self.mark_dirty()

    def mark_dirty(self):
        self.dirty = True

    def set_config(self, config):
        """Install an already merged and checked config (and freeze or thaw the clock per it)."""
        with self.lock:
            self.config = config
            self.clock.set_frozen(config["freeze_clock"])
            self.mark_dirty()

    # ------------------------------------------------------------------ persistence
    def to_dict(self):
        return {
            "format": STATE_FORMAT,
            "next_client_id": self.next_client_id,
            "next_token_id": self.next_token_id,
            "clock_offset": self.clock.offset,
            "clock_frozen_at": self.clock.frozen_at,
            "config": self.config,
            "users": sorted(self.users.values(), key=lambda r: r["id"]),
            "clients": sorted(self.clients.values(), key=lambda r: r["id"]),
            "tokens": sorted(self.tokens.values(), key=lambda r: r["id"]),
            "revoked_tokens": self.revoked_tokens,
            "codes": list(self.codes.values()),
            "global_clients": sorted(self.global_clients.values(), key=lambda r: r["id"]),
        }

    def load(self, path):
        with open(path, "r", encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("format") != STATE_FORMAT:
            raise ValueError("%s: unsupported simulator state format %r" % (path, data.get("format")))
        with self.lock:
            self.next_client_id = data["next_client_id"]
            self.next_token_id = data["next_token_id"]
            self.clock = Clock(data.get("clock_offset", 0.0), data.get("clock_frozen_at"))
            self.set_config(merge_config(default_config(), data.get("config")))
            self.users = dict((r["id"], r) for r in data["users"])
            self.clients = dict((r["id"], r) for r in data["clients"])
            self.tokens = dict((r["id"], r) for r in data["tokens"])
            self.revoked_tokens = list(data.get("revoked_tokens", []))
            self.codes = dict((r["code"], r) for r in data.get("codes", []))
            self.global_clients = dict((r["id"], r) for r in data.get("global_clients", []))

    def save_if_dirty(self):
        """Write the state file (atomically: temp file + os.replace) if something changed."""
        with self.lock:
            if not self.dirty:
                return
            self.dirty = False
            if not self.state_file:
                return
            payload = json.dumps(self.to_dict(), indent=1, sort_keys=True)
            directory = os.path.dirname(os.path.abspath(self.state_file))
            fd, tmp_path = tempfile.mkstemp(prefix=".sim-state-", suffix=".tmp", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(payload)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp_path, self.state_file)
            except BaseException:
                if os.path.exists(tmp_path):
                    os.unlink(tmp_path)
                raise

    # ------------------------------------------------------------------ users
    def user_by_email(self, email):
        for user in self.users.values():
            if user["email"].lower() == email.lower():
                return user
        return None

    # ------------------------------------------------------------------ clients
    def add_client(self, fields, secret=None):
        """Store a new client from already-validated ``fields``; returns the record."""
        now = self.clock.now_int()
        record = {
            "id": self.next_client_id,
            "user_id": fields["user_id"],
            "name": fields["name"],
            "identifier": fields["identifier"],
            "company": fields.get("company"),
            "description": fields.get("description"),
            "redirect_uri": list(fields.get("redirect_uri") or []),
            "kind": fields["kind"],
            "global": False,
            "logo_url": None,
            "secret": secret or new_secret(),
            "created_at": now,
            "updated_at": now,
        }
        self.next_client_id += 1
        self.clients[record["id"]] = record
        self.mark_dirty()
        return record

    def client_by_identifier(self, identifier):
        for client in self.clients.values():
            if client["identifier"] == identifier:
                return client
        return None

    def delete_client(self, client_id):
        """Remove a client, revoke its tokens and forget its codes."""
        self.clients.pop(client_id)
        for token in [t for t in self.tokens.values() if t["client_id"] == client_id]:
            self.revoke_token(token["id"], "client deleted")
        for code in [c for c in self.codes.values() if c["client_id"] == client_id]:
            del self.codes[code["code"]]
        self.mark_dirty()

    # ------------------------------------------------------------------ global clients (seeded only)
    def add_global_client(self, fields):
        """A global client authorised by this account (Zendesk creates these, never the account)."""
        record_id = fields.get("id") or max([FIRST_GLOBAL_CLIENT_ID - 1] + list(self.global_clients)) + 1
        record = {"id": record_id}
        for key in ("name", "identifier", "company", "description", "logo_url"):
            record[key] = fields.get(key)
        record["kind"] = fields.get("kind", "public")
        self.global_clients[record_id] = record
        self.mark_dirty()
        return record

    # ------------------------------------------------------------------ tokens
    def add_token(self, user_id, client_id, scopes, expires_in=None, refresh_expires_in=None,
                  with_refresh=False, source="api", full_token=None, global_client_id=None):
        now = self.clock.now_int()
        record = {
            "id": self.next_token_id,
            "user_id": user_id,
            "client_id": client_id,
            "full_token": full_token or new_secret(),
            "refresh_token": new_secret() if with_refresh else None,
            "scopes": list(scopes),
            "created_at": now,
            "used_at": None,
            "expires_at": now + int(expires_in) if expires_in is not None else None,
            "refresh_token_expires_at": (now + int(refresh_expires_in)
                                         if with_refresh and refresh_expires_in is not None else None),
            "source": source,
            "global_client_id": global_client_id,
        }
        self.next_token_id += 1
        self.tokens[record["id"]] = record
        self.mark_dirty()
        return record

    def token_by_full_token(self, full_token):
        for token in self.tokens.values():
            if secrets.compare_digest(token["full_token"], full_token):
                return token
        return None

    def token_by_refresh_token(self, refresh_token):
        for token in self.tokens.values():
            if token["refresh_token"] and secrets.compare_digest(token["refresh_token"], refresh_token):
                return token
        return None

    def is_expired(self, token):
        return token["expires_at"] is not None and self.clock.now() >= token["expires_at"]

    def revoke_token(self, token_id, reason):
        record = self.tokens.pop(token_id)
        record["revoked_at"] = self.clock.now_int()
        record["revoked_reason"] = reason
        self.revoked_tokens.append(record)
        self.mark_dirty()
        return record

    # ------------------------------------------------------------------ authorization codes
    def add_code(self, client_id, user_id, scope, redirect_uri=None, code_challenge=None, code_challenge_method=None):
        record = {
            "code": new_secret(),
            "client_id": client_id,
            "user_id": user_id,
            "scope": scope,
            "redirect_uri": redirect_uri,
            "code_challenge": code_challenge,
            "code_challenge_method": code_challenge_method,
            "created_at": self.clock.now(),
        }
        self.codes[record["code"]] = record
        self.mark_dirty()
        return record

    def take_code(self, code):
        """Consume a code (single use); returns the record if it exists and is within its 120 s, else None."""
        record = self.codes.pop(code, None)
        if record is None:
            return None
        self.mark_dirty()
        if self.clock.now() - record["created_at"] > CODE_LIFETIME:
            return None
        return record

    # ------------------------------------------------------------------ request log
    def log_request(self, entry):
        self.request_seq += 1
        entry["seq"] = self.request_seq
        self.requests.append(entry)
        return entry
