# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Zendesk's OAuth resources on top of the API client: clients, tokens, scopes.

INTERNAL: this file is not a public API of the collection and may change at any time.

Pure Python (no Ansible imports). The one place that knows the OAuth paths, the wrapper keys,
how a lost POST is recovered without duplicates, and what a well-formed scope is.
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timezone

from ._api import ZendeskAmbiguousError, ZendeskError

CLIENTS_PATH = "/api/v2/oauth/clients"
TOKENS_PATH = "/api/v2/oauth/tokens"
CURRENT_TOKEN_PATH = TOKENS_PATH + "/current"

# Resources Zendesk documents for token scopes (section 4.2 of the reference). Zendesk adds
# scopes over time, so an unknown resource is only warned about, never refused.
KNOWN_RESOURCES = frozenset((
    "tickets", "users", "auditlogs", "organizations", "hc", "apps", "triggers", "automations", "targets",
    "webhooks", "macros", "requests", "satisfaction_ratings", "dynamic_content", "any_channel", "web_widget",
    "security", "unrestricted", "zis",
))
BROAD_SCOPES = frozenset(("read", "write", "impersonate"))
SCOPE_RE = re.compile(r"^[a-z][a-z0-9_]*(?::(?:read|write))?$")

# The largest expiry_margin the token modules accept, in seconds (90 days).
MAX_EXPIRY_MARGIN = 90 * 24 * 3600

# How far before the ambiguous POST (by the server's clock) a token still counts as possibly ours.
ORPHAN_WINDOW_SECONDS = 2

# Outcomes of create_client.
CREATED = "created"
ADOPTED_AFTER_LOST_RESPONSE = "adopted_after_lost_response"
ADOPTED_CONCURRENT = "adopted_concurrent"


class ScopeError(ValueError):
    """A scope list is malformed; the message names the bad entry."""


def normalize_scopes(scopes):
    """Check the shape of a scope list; return (scopes without duplicates, unknown resources).

    Allowed entries: read, write, impersonate, <resource>, <resource>:read, <resource>:write.
    """
    if not isinstance(scopes, (list, tuple)):
        raise ScopeError("scopes must be a list such as [read] or [tickets:read, users:write], got %r" % (scopes,))
    if not scopes:
        raise ScopeError("scopes must not be empty: give at least one scope, e.g. [read]")
    result, unknown = [], []
    for scope in scopes:
        if not isinstance(scope, str) or not SCOPE_RE.match(scope):
            raise ScopeError(
                "scopes entry %r is malformed: use read, write, impersonate, <resource>, <resource>:read or "
                "<resource>:write in lowercase (for example tickets:read), one scope per list item" % (scope,))
        resource = scope.split(":", 1)[0]
        if scope not in BROAD_SCOPES and resource in BROAD_SCOPES:
            raise ScopeError("scopes entry %r is malformed: %s takes no access suffix" % (scope, resource))
        if scope not in BROAD_SCOPES and resource not in KNOWN_RESOURCES and resource not in unknown:
            unknown.append(resource)
        if scope not in result:
            result.append(scope)
    return result, unknown


def token_options_problem(params):
    """What is wrong with the options the token modules share, scopes aside, or None; checked before any request.

    params holds expiry_margin, client_id, client_identifier, full_token and token_id (None = not given).
    """
    if not 0 <= params["expiry_margin"] <= MAX_EXPIRY_MARGIN:
        return "expiry_margin=%s is out of range: give 0 to %d seconds" % (params["expiry_margin"], MAX_EXPIRY_MARGIN)
    for name in ("client_id", "token_id"):
        if params[name] is not None and params[name] <= 0:
            return "%s=%s is not a Zendesk id: give the positive numeric id" % (name, params[name])
    if params["full_token"] is not None and not params["full_token"].strip():
        return "full_token is empty: omit it, or give the token value you hold"
    if params["client_identifier"] is not None and not params["client_identifier"].strip():
        return "client_identifier is empty: give the client's identifier (e.g. acme_integration), or use client_id"
    return None


def same_scopes(left, right):
    """Scopes compare as sets: Zendesk does not promise to keep their order."""
    return set(left or ()) == set(right or ())


def parse_time(value):
    """Epoch seconds from an ISO 8601 time such as Zendesk's 2026-11-29T10:00:00Z; None for null or unparsable.

    An offset (Z, +00:00, +02:00) is honoured and a time without one is taken as UTC. A fraction of a second may
    have any number of digits, on every Python (fromisoformat before 3.11 takes 3 or 6). A datetime or date object,
    which YAML makes of an unquoted timestamp, is read like its isoformat().
    """
    if isinstance(value, date):  # datetime is a date too
        value = value.isoformat()
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    text = re.sub(r"(:\d\d\.)(\d+)", lambda match: match.group(1) + match.group(2)[:6].ljust(6, "0"), text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def is_expired(token, now, margin=0):
    """True when the token's expires_at is in the past (or within margin seconds of now)."""
    expires = parse_time((token or {}).get("expires_at"))
    return expires is not None and expires <= now + margin


def without_secret(client):
    """The client object minus `secret`, which outside create/rotate is a stub, never the secret."""
    if client is None:
        return None
    return {key: value for key, value in client.items() if key != "secret"}


class OAuthAPI(object):
    """OAuth clients and tokens of one Zendesk account."""

    def __init__(self, client):
        self.client = client

    def server_now(self):
        """Now by Zendesk's clock (the latest Date header), else by ours: expiry is the server's call."""
        return self.client.last_server_time or time.time()

    # -- clients ------------------------------------------------------------------------------
    def iter_clients(self):
        return self.client.paginate(CLIENTS_PATH, "clients")

    def find_client(self, identifier):
        """The client with this identifier, or None; stops paging at the first match."""
        for candidate in self.iter_clients():
            if candidate.get("identifier") == identifier:
                return candidate
        return None

    def get_client(self, client_id):
        try:
            return self.client.get("%s/%d" % (CLIENTS_PATH, client_id))["client"]
        except ZendeskError as exc:
            if exc.status == 404:
                return None
            raise

    def create_client(self, fields):
        """Create a client; returns (client, outcome).

        A POST whose answer was lost is never re-sent blindly: after giving the server time to
        finish, the identifier is looked up and a client found there is adopted (its secret was in
        the lost answer). Only when nothing landed is the POST sent again, within the retry bounds.
        """
        identifier = fields["identifier"]
        attempt, lost = 0, False
        while True:
            attempt += 1
            try:
                return self.client.post(CLIENTS_PATH, json={"client": fields})["client"], CREATED
            except ZendeskAmbiguousError as exc:
                lost = True
                self._settle(attempt, exc)
                found = self.find_client(identifier)
                if found is not None:
                    return found, ADOPTED_AFTER_LOST_RESPONSE
            except ZendeskError as exc:
                if exc.status == 422 and _names_field(exc.details, "identifier"):
                    found = self.find_client(identifier)
                    if found is not None:  # our lost POST landed late, or a concurrent run made it
                        return found, ADOPTED_AFTER_LOST_RESPONSE if lost else ADOPTED_CONCURRENT
                raise

    def _settle(self, attempt, lost):
        """Wait before re-reading after a lost answer (counted against the retry bounds)."""
        self.client.before_retry(attempt, max(lost.settle, self.client.backoff(attempt)), lost.message,
                                 lambda err=lost: err, then="the answer was lost; reading the state again")

    def update_client(self, client_id, fields):
        return self.client.put("%s/%d" % (CLIENTS_PATH, client_id), json={"client": fields})["client"]

    def delete_client(self, client_id):
        """Delete; False when it was already gone."""
        return self._delete("%s/%d" % (CLIENTS_PATH, client_id))

    def generate_secret(self, client_id):
        return self.client.put("%s/%d/generate_secret" % (CLIENTS_PATH, client_id))["client"]

    # -- tokens -------------------------------------------------------------------------------
    def iter_tokens(self, client_id=None):
        """The authenticated user's tokens of one client, or of every client with client_id None.

        Zendesk lists only the caller's tokens without all=true.
        """
        return self.client.paginate(TOKENS_PATH, "tokens",
                                    params={"client_id": client_id} if client_id is not None else None)

    def get_token(self, token_id):
        try:
            return self.client.get("%s/%d" % (TOKENS_PATH, token_id))["token"]
        except ZendeskError as exc:
            if exc.status == 404:
                return None
            raise

    def current_token(self, full_token):
        """What Zendesk knows of a held token (Bearer on tokens/current); None when it no longer works."""
        try:
            return self.client.get(CURRENT_TOKEN_PATH, bearer=full_token)["token"]
        except ZendeskError as exc:
            if exc.status == 401:
                return None
            raise

    def create_token(self, client_id, scopes, known_ids=()):
        """Mint a token; returns (token with full_token, ids of orphans revoked, ids of suspects).

        A POST whose answer was lost leaves a token nobody can hold (its full_token was in the
        answer). Before minting again, after giving the server time to finish, that orphan is
        found (this client, these scopes, the caller's, created since just before the POST, not one
        of known_ids) and revoked; with more than one candidate it cannot tell which is the orphan,
        so it stops and names them. Once a token is minted after a lost answer, the window is
        swept once more for a write that landed late: those orphans are revoked too, or, when
        there are more candidates than lost answers, returned as suspects for the caller to name.
        When that last look fails, the token is still returned, with the ZendeskError of the look in
        place of the suspects (the caller warns that tokens may be left).
        """
        server_time = self.client.last_server_time
        since = server_time - ORPHAN_WINDOW_SECONDS if server_time is not None else None
        revoked, skip = [], set(known_ids)
        attempt, lost = 0, 0
        while True:
            attempt += 1
            try:
                token = self.client.post(TOKENS_PATH, json={"token": {"client_id": client_id,
                                                                      "scopes": list(scopes)}})["token"]
            except ZendeskAmbiguousError as exc:
                lost += 1
                try:
                    self._settle(attempt, exc)
                    candidates = self._orphan_candidates(client_id, scopes, skip, since)
                except ZendeskError as failure:
                    raise ZendeskError(
                        "token creation for client %s with scopes %s may have succeeded but its answer was lost, and "
                        "looking for the token it made failed (%s)" % (client_id, " ".join(scopes), failure.render()),
                        status=failure.status, method="POST", path=TOKENS_PATH,
                        hint="A token nobody holds may be left: revoke it once Zendesk answers again (state: absent, "
                             "client_id: %s, scopes: %s), then run again" % (client_id, list(scopes)))
                if len(candidates) > 1:
                    raise ZendeskError(
                        "token creation for client %s may have succeeded but its answer was lost, and %d tokens "
                        "with these scopes could be the one made (ids %s)" % (
                            client_id, len(candidates), ", ".join(str(t) for t in candidates)),
                        method="POST", path=TOKENS_PATH,
                        hint="Revoke the ids above that nobody holds (state: absent, token_id: ID), then run again")
                for orphan in candidates:
                    self.revoke_token(orphan)
                    revoked.append(orphan)
                    skip.add(orphan)
                continue
            if not lost:
                return token, revoked, []
            skip.add(token.get("id"))
            try:
                late = self._orphan_candidates(client_id, scopes, skip, since)
            except ZendeskError as failure:
                # The new token is in hand: a failed look must not lose it. The caller says what the
                # lost answers may have left.
                return token, revoked, failure
            if len(late) > lost - len(revoked):
                return token, revoked, late
            for orphan in late:
                self.revoke_token(orphan)
                revoked.append(orphan)
            return token, revoked, []

    def _orphan_candidates(self, client_id, scopes, skip, since):
        """Ids of the caller's tokens of this client with these scopes, made since `since`, not in skip."""
        return [
            token["id"] for token in self.iter_tokens(client_id)
            if same_scopes(token.get("scopes"), scopes) and token.get("id") not in skip
            and (since is None or (parse_time(token.get("created_at")) or 0) >= since)
        ]

    def revoke_token(self, token_id):
        """Revoke by id; False when it was already gone."""
        return self._delete("%s/%d" % (TOKENS_PATH, token_id))

    def _delete(self, path):
        """True when this call deleted the record (also when a lost answer hid that it did)."""
        try:
            self.client.delete(path)
        except ZendeskError as exc:
            if exc.status == 404:
                return self.client.resent_after_loss
            raise
        return True


def _names_field(details, field):
    return isinstance(details, dict) and field in details
