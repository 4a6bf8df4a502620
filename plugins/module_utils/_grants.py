# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Zendesk's grant endpoint, POST /oauth/tokens: an OAuth client gets tokens for itself.

INTERNAL: this file is not a public API of the collection and may change at any time.

Pure Python (no Ansible imports). Unlike the API under /api/v2, this endpoint takes no API
credentials: the client authenticates with its identifier and secret in the JSON body, so the
request goes without an Authorization header. Grant requests are not idempotent (every one
issues a token, and a refresh kills the pair it was given), so one whose answer may have been
lost is never sent again: the caller is told what may have happened instead.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from ._api import ZendeskAmbiguousError, ZendeskError
from ._oauth import UNKNOWN_SCOPES_FAIL, ScopeError, check_scopes

GRANT_PATH = "/oauth/tokens"
CLIENT_CREDENTIALS = "client_credentials"
REFRESH_TOKEN = "refresh_token"
GRANT_TYPES = (CLIENT_CREDENTIALS, REFRESH_TOKEN)

# Zendesk's bounds on the lifetimes a grant may ask for, in seconds, both ends excluded
# (reference 3.1 and 3.4: access 5 minutes to 48 hours, refresh 7 to 90 days).
EXPIRES_IN_BOUNDS = (300, 172800)
REFRESH_TOKEN_EXPIRES_IN_BOUNDS = (604800, 7776000)

# What a grant returns; in check mode every one of them is null.
RESULT_KEYS = ("access_token", "token_type", "scopes", "expires_in", "expires_at", "refresh_token",
               "refresh_token_expires_in", "refresh_token_expires_at")

MINT_WITH_ADMIN = "mint a new token with the admin credential (zendesk.oauth.zendesk_oauth_token)"

# Zendesk's OAuth error codes (RFC 6749 names) and what a person does about each.
ERROR_HINTS = {
    "invalid_client": (
        "Check that client_identifier is the client's identifier string (not its numeric id) and that client_secret "
        "is current (regenerate_secret of zendesk.oauth.zendesk_oauth_client rotates it: the old secret stops "
        "working at once)"),
    "invalid_grant": (
        "The refresh token is expired, revoked or already used (refresh tokens rotate: each refresh returns a new "
        "pair and kills the old one, so use the newest one), or it belongs to another client. If the newest one "
        "fails too, " + MINT_WITH_ADMIN),
    "invalid_scope": (
        "Ask only for scopes the client is allowed to grant (a client's allowed scopes are set in Admin Center); "
        "client_credentials needs at least one scope"),
    "unauthorized_client": (
        "client_credentials needs a confidential client (kind: confidential); a public client may not use it. "
        "Use a confidential client (zendesk.oauth.zendesk_oauth_client with kind: confidential)"),
    "unsupported_grant_type": (
        "Zendesk does not accept this grant type here (client_credentials exists since 2025-03-04, refresh_token "
        "since 2025-04-30); check that url or subdomain is the account's Zendesk"),
    "invalid_request": (
        "Zendesk refused the request's fields: check expires_in (more than 300 and less than 172800 seconds) and "
        "refresh_token_expires_in (more than 604800 and less than 7776000 seconds, and more than expires_in)"),
}

LOST_ANSWER_HINTS = {
    CLIENT_CREDENTIALS: (
        "Nothing was sent again: Zendesk may have issued a token whose value was in the lost answer. It acts as the "
        "client's owner until it expires or is revoked (zendesk.oauth.zendesk_oauth_token with state: absent and "
        "the client revokes the owner's tokens of that client). Run the task again for a new token"),
    REFRESH_TOKEN: (
        "Nothing was sent again: Zendesk may have rotated the pair, so the refresh token sent may now be consumed "
        "and the new pair was in the lost answer. Try the refresh once more with the same refresh token; if it "
        "fails with invalid_grant, " + MINT_WITH_ADMIN),
}


class GrantInputError(ValueError):
    """A grant request is wrong before it is sent; the message names the option and the fix."""


def numeric_identifier_warning(client_identifier):
    """A warning when the identifier is all digits (likely the numeric id), else None."""
    if client_identifier.isdigit():
        return ("client_identifier %r is all digits: Zendesk wants the client's identifier string (its "
                "'identifier' field), not its numeric id. It is sent as given; if Zendesk answers invalid_client, "
                "this is the likely cause" % client_identifier)
    return None


def _check_seconds(name, value, bounds, meaning):
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise GrantInputError("%s=%r is not a whole number of seconds" % (name, value))
    if not bounds[0] < value < bounds[1]:
        raise GrantInputError("%s=%s is out of Zendesk's bounds: give more than %d and less than %d seconds (%s)"
                              % (name, value, bounds[0], bounds[1], meaning))


class Grant(object):
    """One checked grant request: the JSON body to send, and what to warn about.

    Every check runs here, before anything is sent: a wrong request raises GrantInputError.
    `scopes` is a list (sent as Zendesk's space-separated `scope` string: an array there yields
    a token that every call refuses with 403).
    """

    def __init__(self, grant_type, client_identifier, client_secret=None, scopes=None, refresh_token=None,
                 expires_in=None, refresh_token_expires_in=None, unknown_scopes=UNKNOWN_SCOPES_FAIL):
        if grant_type not in GRANT_TYPES:
            raise GrantInputError("grant_type %r is not supported: use %s" % (grant_type, " or ".join(GRANT_TYPES)))
        if not isinstance(client_identifier, str) or not client_identifier.strip():
            raise GrantInputError("client_identifier is empty: give the OAuth client's identifier string")
        if client_secret is not None and not client_secret.strip():
            raise GrantInputError("client_secret is empty: give the client's secret, or leave it out (refresh_token "
                                  "grant of a public client only)")
        self.grant_type = grant_type
        self.warnings = []
        numeric = numeric_identifier_warning(client_identifier)
        if numeric:
            self.warnings.append(numeric)
        self.scopes = None
        if scopes is not None:
            try:
                self.scopes, warning = check_scopes(scopes, unknown_scopes)
            except ScopeError as exc:
                raise GrantInputError(str(exc)) from None
            if warning:
                self.warnings.append(warning)
        _check_seconds("expires_in", expires_in, EXPIRES_IN_BOUNDS, "5 minutes to 48 hours")
        _check_seconds("refresh_token_expires_in", refresh_token_expires_in, REFRESH_TOKEN_EXPIRES_IN_BOUNDS,
                       "7 to 90 days")
        if grant_type == CLIENT_CREDENTIALS:
            if client_secret is None:
                raise GrantInputError("grant_type=client_credentials needs client_secret: the confidential client "
                                      "authenticates with it")
            if self.scopes is None:
                raise GrantInputError("grant_type=client_credentials needs scopes, e.g. [read] or "
                                      "[tickets:read, users:write]")
            if refresh_token is not None:
                raise GrantInputError("refresh_token is only used with grant_type=refresh_token")
            if refresh_token_expires_in is not None:
                raise GrantInputError("refresh_token_expires_in is only used with grant_type=refresh_token: "
                                      "client_credentials issues no refresh token")
        else:
            if refresh_token is None or not refresh_token.strip():
                raise GrantInputError("grant_type=refresh_token needs refresh_token: the newest refresh token you "
                                      "hold")
            if expires_in is not None and refresh_token_expires_in is not None \
                    and refresh_token_expires_in <= expires_in:
                raise GrantInputError("refresh_token_expires_in=%s must be more than expires_in=%s"
                                      % (refresh_token_expires_in, expires_in))
        body = {"grant_type": grant_type, "client_id": client_identifier}
        if client_secret is not None:
            body["client_secret"] = client_secret
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        if self.scopes is not None:
            body["scope"] = " ".join(self.scopes)
        if expires_in is not None:
            body["expires_in"] = expires_in
        if refresh_token_expires_in is not None:
            body["refresh_token_expires_in"] = refresh_token_expires_in
        self.body = body
        self.client_identifier = client_identifier

    def secrets(self):
        """The secret values the request body carries (never to be shown in a message)."""
        return tuple(self.body[key] for key in ("client_secret", "refresh_token") if key in self.body)


def iso_utc(epoch):
    """ISO 8601 UTC with a Z, as Zendesk writes timestamps."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds_or_none(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def read_answer(body, grant, answered_at):
    """The grant's result from Zendesk's answer; answered_at is the epoch the lifetimes count from.

    Scopes are the answer's; when it names none, the scopes asked for (None when none were).
    """
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise ZendeskError("Zendesk's answer holds no access_token", method="POST", path=GRANT_PATH,
                           hint="Check that url or subdomain is the account's Zendesk")
    scope = body.get("scope")
    if isinstance(scope, str):
        scopes = scope.split()
    elif isinstance(scope, list):
        scopes = [str(item) for item in scope]
    else:
        scopes = list(grant.scopes) if grant.scopes is not None else None
    expires_in = _seconds_or_none(body.get("expires_in"))
    refresh_in = _seconds_or_none(body.get("refresh_token_expires_in"))
    refresh_token = body.get("refresh_token") or None
    return {
        "access_token": body["access_token"],
        "token_type": body.get("token_type"),
        "scopes": scopes,
        "expires_in": expires_in,
        "expires_at": iso_utc(answered_at + expires_in) if expires_in is not None else None,
        "refresh_token": refresh_token,
        "refresh_token_expires_in": refresh_in if refresh_token else None,
        "refresh_token_expires_at": iso_utc(answered_at + refresh_in) if refresh_token and refresh_in is not None
        else None,
    }


def grant_hint(error, grant):
    """What to do about a refused grant, or None to keep the generic hint."""
    code = error.error if error.error in ERROR_HINTS else "invalid_client" if error.status == 401 else None
    if code is None:
        return None
    hint = ERROR_HINTS[code]
    if code == "invalid_client":
        numeric = numeric_identifier_warning(grant.client_identifier)
        if numeric:
            hint = "client_identifier %r is all digits, which looks like the client's numeric id: give its " \
                   "identifier string instead. %s" % (grant.client_identifier, hint)
        if grant.grant_type == REFRESH_TOKEN and "client_secret" not in grant.body:
            hint += ". A confidential client must send client_secret with the refresh_token grant too"
    return hint


class GrantAPI(object):
    """The grant endpoint of one Zendesk account, on the shared API client."""

    def __init__(self, client, now=None):
        self.client = client
        self._now = now or time.time

    def exchange(self, grant):
        """Send one checked Grant; returns the result (see RESULT_KEYS).

        No Authorization header is sent, whatever credentials the client holds. A 429 is waited
        out and sent again (Zendesk refused it unread); an answer that may have been lost raises
        ZendeskAmbiguousError saying what may have happened, and nothing is sent again.
        """
        earlier = self.client.last_server_time
        self.client.last_server_time = None
        try:
            dummy, body = self.client.request("POST", GRANT_PATH, json=grant.body, ok_statuses=(200, 201),
                                              authenticate=False, secrets=grant.secrets())
        except ZendeskAmbiguousError as exc:
            exc.hint = LOST_ANSWER_HINTS[grant.grant_type]
            raise
        except ZendeskError as exc:
            exc.hint = grant_hint(exc, grant) or exc.hint
            raise
        finally:
            answered_at = self.client.last_server_time  # the answer's Date header: Zendesk's clock
            if answered_at is None:
                self.client.last_server_time = earlier
        return read_answer(body, grant, answered_at if answered_at is not None else self._now())

    def client_credentials(self, client_identifier, client_secret, scopes, expires_in=None,
                           unknown_scopes=UNKNOWN_SCOPES_FAIL):
        """A token of a confidential client, acting as the client's owner (no refresh token)."""
        return self.exchange(Grant(CLIENT_CREDENTIALS, client_identifier, client_secret=client_secret, scopes=scopes,
                                   expires_in=expires_in, unknown_scopes=unknown_scopes))

    def refresh(self, client_identifier, refresh_token, client_secret=None, scopes=None, expires_in=None,
                refresh_token_expires_in=None, unknown_scopes=UNKNOWN_SCOPES_FAIL):
        """A new pair for a refresh token; the pair it belonged to stops working (rotation)."""
        return self.exchange(Grant(REFRESH_TOKEN, client_identifier, client_secret=client_secret, scopes=scopes,
                                   refresh_token=refresh_token, expires_in=expires_in,
                                   refresh_token_expires_in=refresh_token_expires_in, unknown_scopes=unknown_scopes))
