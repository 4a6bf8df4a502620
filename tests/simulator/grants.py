# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``POST /oauth/tokens``: the grant-type token endpoint (reference §3, §4.1).

- ``client_id`` is the client's *identifier*; a wrong identifier or secret is 401 ``invalid_client``.
- ``client_credentials``: confidential clients only; the token's user is the client's owner; no
  refresh token.
- ``refresh_token``: rotation; the old access/refresh pair is revoked, a reused old refresh token
  is 400 ``invalid_grant``.
- ``authorization_code``: codes minted through ``/_sim/codes``, single use, valid 120 s, optional PKCE.
- ``scope`` is a space-separated string. An array still yields a token, but its scopes are the
  array's text split on spaces (``["read",`` ...), which grant nothing, so every call is 403.
- ``expires_in``: 300 < x < 172800; ``refresh_token_expires_in``: 604800 < x < 7776000 and
  > expires_in; outside → 400 ``invalid_request``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets

from .messages import Response, oauth_error

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
EXPIRES_IN_BOUNDS = (300, 172800)
REFRESH_EXPIRES_IN_BOUNDS = (604800, 7776000)
INVALID_CLIENT = ("The client identifier provided is invalid, the client failed to authenticate, the client did not "
                  "include its credentials, provided multiple client credentials, or used unsupported credentials type")
INVALID_GRANT = ("The provided authorization grant is invalid, expired, revoked, does not match the redirection URI "
                 "used in the authorization request, or was issued to another client.")


def _seconds(body, name):
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise oauth_error(400, "invalid_request", "%s must be an integer number of seconds" % name)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise oauth_error(400, "invalid_request", "%s must be an integer number of seconds" % name) from None


def _lifetimes(state, body, with_refresh):
    """(expires_in, refresh_token_expires_in) from the request or the configured defaults."""
    expires_in = _seconds(body, "expires_in")
    if expires_in is not None and not EXPIRES_IN_BOUNDS[0] < expires_in < EXPIRES_IN_BOUNDS[1]:
        raise oauth_error(400, "invalid_request", "expires_in must be more than %d and less than %d seconds" % EXPIRES_IN_BOUNDS)
    if expires_in is None:
        expires_in = state.config["grant_default_expires_in"]
    if not with_refresh:
        return expires_in, None
    refresh_in = _seconds(body, "refresh_token_expires_in")
    if refresh_in is not None:
        if not REFRESH_EXPIRES_IN_BOUNDS[0] < refresh_in < REFRESH_EXPIRES_IN_BOUNDS[1]:
            raise oauth_error(400, "invalid_request",
                              "refresh_token_expires_in must be more than %d and less than %d seconds" % REFRESH_EXPIRES_IN_BOUNDS)
    else:
        refresh_in = state.config["grant_default_refresh_expires_in"]
    if refresh_in is not None and expires_in is not None and refresh_in <= expires_in:
        raise oauth_error(400, "invalid_request", "refresh_token_expires_in must be more than expires_in")
    return expires_in, refresh_in


def _scopes(body, fallback):
    """The requested scopes as a list; see the module docstring for arrays."""
    scope = body.get("scope")
    if scope is None or scope == "":
        if fallback is None:
            raise oauth_error(400, "invalid_scope", "A scope is required: a space-separated string such as \"read write\"")
        return list(fallback)
    if isinstance(scope, list):
        return json.dumps(scope).split()
    if not isinstance(scope, str):
        raise oauth_error(400, "invalid_scope", "scope must be a space-separated string")
    return scope.split()


def _client(state, body, secret_required):
    identifier = body.get("client_id")
    client = state.client_by_identifier(identifier) if isinstance(identifier, str) else None
    if client is None:
        raise oauth_error(401, "invalid_client", INVALID_CLIENT)
    secret = body.get("client_secret")
    if secret is None and not secret_required and client["kind"] == "public":
        return client
    if not isinstance(secret, str) or not secrets.compare_digest(secret, client["secret"]):
        raise oauth_error(401, "invalid_client", INVALID_CLIENT)
    return client


def _pkce_ok(code, verifier):
    if not code["code_challenge"]:
        return True
    if not isinstance(verifier, str) or not verifier:
        return False
    if (code["code_challenge_method"] or "plain").upper() == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    else:
        expected = verifier
    return secrets.compare_digest(expected, code["code_challenge"])


def _client_credentials(state, body):
    client = _client(state, body, secret_required=True)
    if client["kind"] != "confidential":
        raise oauth_error(400, "unauthorized_client",
                          "The client_credentials grant type is allowed for confidential clients only; public clients are not allowed")
    scopes = _scopes(body, None)
    expires_in, _unused = _lifetimes(state, body, with_refresh=False)
    return state.add_token(client["user_id"], client["id"], scopes, expires_in=expires_in, source="client_credentials")


def _refresh(state, body):
    client = _client(state, body, secret_required=False)
    raw = body.get("refresh_token")
    old = state.token_by_refresh_token(raw) if isinstance(raw, str) and raw else None
    if old is None or old["client_id"] != client["id"]:
        raise oauth_error(400, "invalid_grant", INVALID_GRANT)
    if old["refresh_token_expires_at"] is not None and state.clock.now() >= old["refresh_token_expires_at"]:
        raise oauth_error(400, "invalid_grant", INVALID_GRANT)
    scopes = _scopes(body, old["scopes"])
    expires_in, refresh_in = _lifetimes(state, body, with_refresh=True)
    state.revoke_token(old["id"], "rotated by refresh_token grant")
    return state.add_token(old["user_id"], client["id"], scopes, expires_in=expires_in, refresh_expires_in=refresh_in,
                           with_refresh=True, source="refresh_token")


def _authorization_code(state, body):
    client = _client(state, body, secret_required=False)
    raw = body.get("code")
    code = state.take_code(raw) if isinstance(raw, str) and raw else None
    if code is None or code["client_id"] != client["id"]:
        raise oauth_error(400, "invalid_grant", INVALID_GRANT)
    if code["redirect_uri"] and body.get("redirect_uri") != code["redirect_uri"]:
        raise oauth_error(400, "invalid_grant", INVALID_GRANT)
    if not _pkce_ok(code, body.get("code_verifier")):
        raise oauth_error(400, "invalid_grant", INVALID_GRANT)
    scopes = _scopes(body, code["scope"].split())
    expires_in, refresh_in = _lifetimes(state, body, with_refresh=True)
    return state.add_token(code["user_id"], client["id"], scopes, expires_in=expires_in, refresh_expires_in=refresh_in,
                           with_refresh=True, source="authorization_code")


def grant_token(state, request):
    """The handler for ``POST /oauth/tokens`` (no API authentication: the client authenticates itself)."""
    body = request.json(form_ok=True)
    if not isinstance(body, dict):
        raise oauth_error(400, "invalid_request", "The request body must be a JSON object")
    grant_type = body.get("grant_type")
    if grant_type not in GRANT_TYPES:
        raise oauth_error(400, "unsupported_grant_type",
                          "The authorization grant type is not supported by the authorization server: %s" % (grant_type,))
    if grant_type == "client_credentials":
        token = _client_credentials(state, body)
    elif grant_type == "refresh_token":
        token = _refresh(state, body)
    else:
        token = _authorization_code(state, body)
    request.user_id = token["user_id"]
    answer = {
        "access_token": token["full_token"],
        "token_type": "bearer",
        "scope": " ".join(token["scopes"]),
        "expires_in": token["expires_at"] - token["created_at"] if token["expires_at"] is not None else None,
    }
    if token["refresh_token"]:
        answer["refresh_token"] = token["refresh_token"]
        answer["refresh_token_expires_in"] = (token["refresh_token_expires_at"] - token["created_at"]
                                              if token["refresh_token_expires_at"] is not None else None)
    return Response(state.config["grant_status"], answer, {"Cache-Control": "no-store", "Pragma": "no-cache"})


ROUTES = [
    ("POST", r"/oauth/tokens", grant_token),
]
