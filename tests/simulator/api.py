# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Zendesk REST endpoints under ``/api/v2``: OAuth clients (reference §1), OAuth tokens (§2),
global clients (read-only; present only when seeded through ``/_sim/seed``) and ``users/me``.

Each handler runs with ``state.lock`` held and returns a Response or raises ApiError.
"""

from __future__ import annotations

from urllib.parse import urlparse

from .auth import authenticate, require_admin, require_scope
from .messages import ApiError, NOT_FOUND, Response, field_error, record_invalid
from .pagination import paginate
from .state import iso, new_secret
from .views import client_json, global_client_json, token_json, user_json

CLIENT_KINDS = ("public", "confidential")
MAX_TEXT_LENGTH = 255
TRUE_VALUES = ("true", "1", "yes")


def _access(request):
    return "read" if request.method == "GET" else "write"


def _principal(state, request, admin=True, resource=None):
    """Authenticate, check the bearer scope for the method, and (by default) the admin role."""
    principal = authenticate(state, request)
    request.user_id = principal.user_id
    require_scope(principal, _access(request), resource)
    if admin:
        require_admin(state, principal)
    return principal


def _record_id(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _wrapped(request, key):
    body = request.json()
    if not isinstance(body, dict):
        raise ApiError(400, {"error": "InvalidJSON", "description": "The request body must be a JSON object"})
    inner = body.get(key)
    if inner is None:
        return {}
    if not isinstance(inner, dict):
        raise ApiError(400, {"error": "InvalidJSON", "description": "%r must be a JSON object" % key})
    return inner


# ---------------------------------------------------------------------- clients
def _client_or_404(state, raw_id):
    client = state.clients.get(_record_id(raw_id))
    if client is None:
        raise ApiError(404, NOT_FOUND)
    return client


def _render_client(state, request, full_secret=False):
    mode = state.config["client_secret_on_read"]
    return lambda record: client_json(record, request.base_url, mode, full_secret)


def _check_text(details, field, value, required):
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            details.setdefault(field, []).append(field_error(field, "cannot be blank", "BlankValue"))
        return
    if not isinstance(value, str):
        details.setdefault(field, []).append(field_error(field, "must be a string", "InvalidValue"))
    elif len(value) > MAX_TEXT_LENGTH:
        details.setdefault(field, []).append(
            field_error(field, "is too long (maximum is %d characters)" % MAX_TEXT_LENGTH, "TooLong"))


def _check_redirect_uri(details, value):
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        details.setdefault("redirect_uri", []).append(
            field_error("redirect_uri", "must be an array of URLs", "InvalidValue", "Redirect uri"))
        return
    for uri in value:
        parsed = urlparse(uri)
        if not parsed.scheme or not parsed.netloc:
            details.setdefault("redirect_uri", []).append(
                field_error("redirect_uri", "%s is not a valid absolute URL" % uri, "InvalidValue", "Redirect uri"))


def validate_client(state, fields, existing, caller_id):
    """The writable fields of ``fields`` checked and completed; 422 RecordInvalid if any is wrong.

    Read-only fields (id, url, secret, global, logo_url, created_at, updated_at) and unknown keys
    are ignored silently. On update (``existing``) only the fields present are changed.
    """
    details = {}
    merged = dict(existing or {})
    for key in ("name", "identifier", "company", "description", "redirect_uri", "kind", "user_id"):
        if key in fields:
            merged[key] = fields[key]
    _check_text(details, "name", merged.get("name"), required=True)
    _check_text(details, "identifier", merged.get("identifier"), required=True)
    _check_text(details, "company", merged.get("company"), required=False)
    _check_text(details, "description", merged.get("description"), required=False)
    identifier = merged.get("identifier")
    if isinstance(identifier, str) and "identifier" not in details:
        other = state.client_by_identifier(identifier)
        if other is not None and (existing is None or other["id"] != existing["id"]):
            details["identifier"] = [field_error("identifier", "%s has already been taken" % identifier, "DuplicateValue")]
    if merged.get("kind") is None:
        merged["kind"] = existing["kind"] if existing else state.config["default_kind"]
    elif merged["kind"] not in CLIENT_KINDS:
        details["kind"] = [field_error("kind", "%r is not one of public, confidential" % (merged["kind"],), "InvalidValue")]
    _check_redirect_uri(details, merged.get("redirect_uri"))
    if merged.get("redirect_uri") is None:
        merged["redirect_uri"] = []
    user_id = merged.get("user_id")
    if user_id is None:
        merged["user_id"] = existing["user_id"] if existing else caller_id
    elif _record_id(user_id) not in state.users or isinstance(user_id, bool):
        details["user_id"] = [field_error("user_id", "%r is not a user of this account" % (user_id,), "InvalidValue", "User")]
    else:
        merged["user_id"] = _record_id(user_id)
    if details:
        raise record_invalid(details)
    return merged


def list_clients(state, request):
    _principal(state, request)
    body = paginate(request, state.clients.values(), "clients", state.config, _render_client(state, request))
    return Response(200, body)


def list_my_clients(state, request):
    principal = _principal(state, request)
    mine = [c for c in state.clients.values() if c["user_id"] == principal.user_id]
    return Response(200, paginate(request, mine, "clients", state.config, _render_client(state, request)))


def show_client(state, request, client_id):
    _principal(state, request)
    client = _client_or_404(state, client_id)
    return Response(200, {"client": _render_client(state, request)(client)})


def create_client(state, request):
    principal = _principal(state, request)
    fields = validate_client(state, _wrapped(request, "client"), None, principal.user_id)
    record = state.add_client(fields)
    body = _render_client(state, request, full_secret=True)(record)
    return Response(201, {"client": body}, {"Location": body["url"]})


def update_client(state, request, client_id):
    principal = _principal(state, request)
    client = _client_or_404(state, client_id)
    fields = validate_client(state, _wrapped(request, "client"), client, principal.user_id)
    changed = False
    for key in ("name", "identifier", "company", "description", "redirect_uri", "kind", "user_id"):
        if client[key] != fields[key]:
            client[key] = fields[key]
            changed = True
    if changed:
        client["updated_at"] = state.clock.now_int()
        state.mark_dirty()
    return Response(200, {"client": _render_client(state, request)(client)})


def delete_client(state, request, client_id):
    _principal(state, request)
    client = _client_or_404(state, client_id)
    state.delete_client(client["id"])
    return Response(204)


def generate_secret(state, request, client_id):
    _principal(state, request)
    client = _client_or_404(state, client_id)
    client["secret"] = new_secret()
    client["updated_at"] = state.clock.now_int()
    state.mark_dirty()
    return Response(200, {"client": _render_client(state, request, full_secret=True)(client)})


# ---------------------------------------------------------------------- global clients (read-only)
def list_global_clients(state, request):
    _principal(state, request)
    return Response(200, paginate(request, state.global_clients.values(), "global_clients", state.config, global_client_json))


def show_global_client(state, request, global_client_id):
    _principal(state, request)
    record = state.global_clients.get(_record_id(global_client_id))
    if record is None:
        raise ApiError(404, NOT_FOUND)
    return Response(200, {"global_client": global_client_json(record)})


def global_token_summary(state, request):
    """Per global client: how many of this account's tokens it holds and when one was last used."""
    _principal(state, request)
    include_expired = (request.param("include_expired") or "").lower() in TRUE_VALUES
    records = list(state.global_clients.values())
    if request.has_param("global_client_id"):
        records = [r for r in records if r["id"] == _record_id(request.param("global_client_id"))]

    def summary(record):
        tokens = [t for t in state.tokens.values()
                  if t.get("global_client_id") == record["id"] and (include_expired or not state.is_expired(t))]
        used = [t["used_at"] for t in tokens if t["used_at"] is not None]
        return {"id": record["id"], "last_used_at": iso(max(used)) if used else None, "tokens_count": len(tokens)}

    return Response(200, paginate(request, records, "global_clients", state.config, summary))


# ---------------------------------------------------------------------- tokens
def _visible_token_or_404(state, principal, raw_id):
    token = state.tokens.get(_record_id(raw_id))
    if token is None or (not principal.is_admin and token["user_id"] != principal.user_id):
        raise ApiError(404, NOT_FOUND)
    return token


def _render_token(request):
    return lambda record: token_json(record, request.base_url)


def list_tokens(state, request):
    principal = _principal(state, request, admin=False)
    show_all = (request.param("all") or "").lower() in TRUE_VALUES
    if show_all:
        require_admin(state, principal)
    include_expired = (request.param("include_expired") or "").lower() in TRUE_VALUES
    tokens = list(state.tokens.values())
    if not show_all:
        tokens = [t for t in tokens if t["user_id"] == principal.user_id]
    if not include_expired:
        tokens = [t for t in tokens if not state.is_expired(t)]
    if request.has_param("client_id"):
        wanted = _record_id(request.param("client_id"))
        tokens = [t for t in tokens if t["client_id"] == wanted]
    if request.has_param("global_client_id"):
        wanted = _record_id(request.param("global_client_id"))
        tokens = [t for t in tokens if t.get("global_client_id") == wanted]
    return Response(200, paginate(request, tokens, "tokens", state.config, _render_token(request)))


def _validate_token(state, fields):
    details = {}
    client_id = fields.get("client_id")
    if client_id is None or client_id == "":
        details["client_id"] = [field_error("client_id", "cannot be blank", "BlankValue", "Client")]
    elif isinstance(client_id, bool) or _record_id(client_id) not in state.clients:
        details["client_id"] = [field_error("client_id", "%r is not an OAuth client of this account" % (client_id,),
                                            "InvalidValue", "Client")]
    scopes = fields.get("scopes")
    if scopes is None or scopes == []:
        details["scopes"] = [field_error("scopes", "cannot be blank", "BlankValue")]
    elif not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
        details["scopes"] = [field_error("scopes", "must be an array of scope strings", "InvalidValue")]
    if details:
        raise record_invalid(details)
    return _record_id(client_id), scopes


def create_token(state, request):
    principal = _principal(state, request)
    client_id, scopes = _validate_token(state, _wrapped(request, "token"))
    # invalid scope names are accepted here and refused at use (reference §2.2)
    # Whether Zendesk gives these tokens a refresh token is unknown (reference §2.2, §3.3): configurable.
    record = state.add_token(principal.user_id, client_id, scopes, expires_in=state.config["token_default_ttl"],
                             with_refresh=state.config["token_refresh_on_create"],
                             refresh_expires_in=state.config["grant_default_refresh_expires_in"])
    body = token_json(record, request.base_url, full_token=True)
    return Response(201, {"token": body}, {"Location": body["url"]})


def show_token(state, request, token_id):
    principal = _principal(state, request, admin=False)
    token = _visible_token_or_404(state, principal, token_id)
    return Response(200, {"token": token_json(token, request.base_url)})


def revoke_token(state, request, token_id):
    principal = _principal(state, request, admin=False)
    token = _visible_token_or_404(state, principal, token_id)
    state.revoke_token(token["id"], "revoked by id")
    return Response(204)


def _current_token(state, request):
    principal = authenticate(state, request)
    request.user_id = principal.user_id
    if principal.method != "bearer":
        # there is no "current token" without a bearer token
        raise ApiError(404, NOT_FOUND)
    return principal.token


def show_current_token(state, request):
    token = _current_token(state, request)
    return Response(200, {"token": token_json(token, request.base_url)})


def revoke_current_token(state, request):
    token = _current_token(state, request)
    state.revoke_token(token["id"], "revoked as current")
    return Response(204)


# ---------------------------------------------------------------------- users
def show_me(state, request):
    principal = _principal(state, request, admin=False, resource="users")
    return Response(200, {"user": user_json(principal.user, request.base_url)})


ID = r"(?P<%s>[^/]+)"
ROUTES = [
    ("GET", r"/api/v2/oauth/clients", list_clients),
    ("POST", r"/api/v2/oauth/clients", create_client),
    ("PUT", r"/api/v2/oauth/clients/%s/generate_secret" % (ID % "client_id"), generate_secret),
    ("GET", r"/api/v2/oauth/clients/%s" % (ID % "client_id"), show_client),
    ("PUT", r"/api/v2/oauth/clients/%s" % (ID % "client_id"), update_client),
    ("DELETE", r"/api/v2/oauth/clients/%s" % (ID % "client_id"), delete_client),
    ("GET", r"/api/v2/users/me/oauth/clients", list_my_clients),
    ("GET", r"/api/v2/oauth/global_clients", list_global_clients),
    ("GET", r"/api/v2/oauth/global_clients/token_summary", global_token_summary),
    ("GET", r"/api/v2/oauth/global_clients/%s" % (ID % "global_client_id"), show_global_client),
    ("GET", r"/api/v2/oauth/tokens", list_tokens),
    ("POST", r"/api/v2/oauth/tokens", create_token),
    ("GET", r"/api/v2/oauth/tokens/current", show_current_token),
    ("DELETE", r"/api/v2/oauth/tokens/current", revoke_current_token),
    ("GET", r"/api/v2/oauth/tokens/%s" % (ID % "token_id"), show_token),
    ("DELETE", r"/api/v2/oauth/tokens/%s" % (ID % "token_id"), revoke_token),
    ("GET", r"/api/v2/users/me", show_me),
]
