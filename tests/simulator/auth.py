# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who is calling, and may they (reference §4.3 and §5).

- ``Authorization: Basic base64(email/token:api_token)``: an API token; anything else in Basic
  (a password, an OAuth token) is 401 ``Couldn't authenticate you``.
- ``Authorization: Bearer <full token>``: a live, unexpired OAuth token; otherwise 401
  ``invalid_token``. A successful bearer authentication stamps the token's ``used_at``.
- Scopes: ``read``/``write`` cover every resource, ``res:read``/``res:write`` one resource, a bare
  ``res`` both accesses on it. A token whose scopes grant nothing gets 403 on every call.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from .messages import (ApiError, BASIC_UNAUTHORIZED, BEARER_UNAUTHORIZED, FORBIDDEN_FLAT,
                       FORBIDDEN_NESTED)

BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Web Password"'}
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="Zendesk", error="invalid_token"'}


class Principal:
    """An authenticated caller: the user, how they authenticated, and the bearer token if any."""

    def __init__(self, user, method, token=None):
        self.user = user
        self.method = method
        self.token = token

    @property
    def user_id(self):
        return self.user["id"]

    @property
    def is_admin(self):
        return self.user["role"] == "admin"


def auth_kind(request):
    """``basic``, ``bearer`` or ``none``, from the header alone (for the request log)."""
    header = request.headers.get("Authorization") or ""
    scheme = header.split(" ", 1)[0].lower()
    if scheme in ("basic", "bearer"):
        return scheme
    return "none"


def authenticate(state, request):
    """The caller as a Principal, or ApiError 401. Call with ``state.lock`` held."""
    header = (request.headers.get("Authorization") or "").strip()
    scheme, _sep, credentials = header.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == "bearer" and credentials:
        return _bearer(state, credentials)
    if scheme == "basic" and credentials:
        return _basic(state, credentials)
    raise ApiError(401, BASIC_UNAUTHORIZED, BASIC_CHALLENGE)


def _basic(state, credentials):
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise ApiError(401, BASIC_UNAUTHORIZED, BASIC_CHALLENGE) from None
    username, _sep, password = decoded.partition(":")
    if not username.endswith("/token"):
        # password authentication is gone (reference §5); an OAuth token in Basic is refused too
        raise ApiError(401, BASIC_UNAUTHORIZED, BASIC_CHALLENGE)
    user = state.user_by_email(username[:-len("/token")])
    if user is None or not secrets.compare_digest(user["api_token"], password):
        raise ApiError(401, BASIC_UNAUTHORIZED, BASIC_CHALLENGE)
    return Principal(user, "basic")


def _bearer(state, credentials):
    token = state.token_by_full_token(credentials)
    if token is None or state.is_expired(token):
        raise ApiError(401, BEARER_UNAUTHORIZED, BEARER_CHALLENGE)
    user = state.users.get(token["user_id"])
    if user is None:
        raise ApiError(401, BEARER_UNAUTHORIZED, BEARER_CHALLENGE)
    token["used_at"] = state.clock.now_int()
    state.mark_dirty()
    return Principal(user, "bearer", token)


def forbidden(state):
    """403 for a role that may not call the endpoint, in the configured body shape."""
    body = FORBIDDEN_NESTED if state.config["forbidden_shape"] == "nested" else FORBIDDEN_FLAT
    return ApiError(403, body)


def require_admin(state, principal):
    if not principal.is_admin:
        raise forbidden(state)


def scope_grants(scope, access, resource=None):
    """Whether one scope string grants ``access`` (read/write) on ``resource`` (None = any endpoint)."""
    if scope == access:
        return True
    if resource is None:
        return False
    return scope in (resource, "%s:%s" % (resource, access))


def require_scope(principal, access, resource=None):
    """403 ``missing the following required scopes`` unless a bearer token has the scope.

    API-token (Basic) callers carry no scopes and pass.
    """
    if principal.method != "bearer":
        return
    if any(scope_grants(scope, access, resource) for scope in principal.token["scopes"]):
        return
    needed = "%s:%s" % (resource, access) if resource else access
    raise ApiError(403, {"error": "Forbidden", "description": "You are missing the following required scopes: %s" % needed})
