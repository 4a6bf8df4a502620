# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control plane under ``/_sim/``: inspect and steer the simulator from tests and scripts.

No authentication, never rate limited or faulted, not written to the request log. Handlers take
the ``App`` (state, faults, shutdown) and run with ``state.lock`` held.
"""

from __future__ import annotations

from .api import validate_client
from .config import ConfigError, merge_config
from .faults import FaultSpecError
from .messages import ApiError, Response
from .state import ADMIN, CODE_LIFETIME, iso
from .views import global_client_json, state_client, state_token, state_user


def _bad(message):
    return ApiError(400, {"error": "BadRequest", "description": message})


def _body(request):
    body = request.json()
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    return body


def show_state(app, request):
    state = app.state
    base = request.base_url
    return Response(200, {
        "users": [state_user(u, base) for u in sorted(state.users.values(), key=lambda r: r["id"])],
        "clients": [state_client(c, base) for c in sorted(state.clients.values(), key=lambda r: r["id"])],
        "tokens": [state_token(t, base, state.is_expired(t)) for t in sorted(state.tokens.values(), key=lambda r: r["id"])],
        "revoked_tokens": [state_token(t, base, False) for t in state.revoked_tokens],
        "global_clients": [global_client_json(g) for g in sorted(state.global_clients.values(), key=lambda r: r["id"])],
        "counters": {"next_client_id": state.next_client_id, "next_token_id": state.next_token_id},
        "clock": iso(state.clock.now()),
    })


def reset(app, request):
    body = _body(request)
    try:
        app.state.reset(body.get("config"))
    except ConfigError as exc:
        raise _bad(str(exc)) from None
    app.faults.reset()
    return Response(200, {"config": app.state.config})


def list_requests(app, request):
    del request
    return Response(200, {"requests": list(app.state.requests)})


def clear_requests(app, request):
    del request
    app.state.requests = []
    return Response(204)


def show_config(app, request):
    del request
    return Response(200, {"config": app.state.config})


def patch_config(app, request):
    try:
        app.state.set_config(merge_config(app.state.config, _body(request)))
    except ConfigError as exc:
        raise _bad(str(exc)) from None
    return Response(200, {"config": app.state.config})


def queue_faults(app, request):
    try:
        queued = app.faults.add(_body(request).get("faults"))
    except FaultSpecError as exc:
        raise _bad(str(exc)) from None
    return Response(200, {"queued": queued, "pending": app.faults.pending()})


def show_faults(app, request):
    del request
    return Response(200, {"pending": app.faults.pending()})


def clear_faults(app, request):
    del request
    app.faults.queue = []
    return Response(204)


def _seed_count(state, count, prefix, kind, user_id):
    created = []
    taken = set(c["identifier"] for c in state.clients.values())
    number = 0
    while len(created) < count:
        number += 1
        identifier = "%s-%05d" % (prefix, number)
        if identifier in taken:
            continue
        created.append(state.add_client({
            "name": "%s client %d" % (prefix, number), "identifier": identifier, "kind": kind, "user_id": user_id,
            "company": None, "description": None, "redirect_uri": [],
        }))
    return created


def _seed_token(state, spec, default_client):
    if not isinstance(spec, dict):
        raise _bad("each token must be an object")
    if spec.get("client_identifier"):
        client = state.client_by_identifier(spec["client_identifier"])
    elif spec.get("client_id") is not None:
        client = state.clients.get(spec["client_id"])
    elif spec.get("global_client_id") is not None:
        client = None
    else:
        client = default_client
    global_client_id = spec.get("global_client_id")
    if global_client_id is not None and global_client_id not in state.global_clients:
        raise _bad("unknown global_client_id %r" % (global_client_id,))
    if client is None and global_client_id is None:
        raise _bad("token seed needs an existing client_id, client_identifier or global_client_id")
    user_id = spec.get("user_id", client["user_id"] if client else ADMIN["id"])
    if user_id not in state.users:
        raise _bad("unknown user_id %r" % (user_id,))
    client_id = client["id"] if client else global_client_id
    return state.add_token(user_id, client_id, spec.get("scopes", ["read"]), expires_in=spec.get("expires_in"),
                           refresh_expires_in=spec.get("refresh_token_expires_in"),
                           with_refresh=bool(spec.get("refresh_token")), source="seed", full_token=spec.get("full_token"),
                           global_client_id=spec.get("global_client_id"))


def seed(app, request):
    """Bulk records, fast: ``clients`` is a count (``prefix``-00001, ...) or a list of client objects
    (any writable field plus an optional ``secret``); ``tokens_per_client`` adds tokens to each new
    client; ``tokens`` is a list of ``{client_id | client_identifier, user_id, scopes, expires_in,
    refresh_token: bool, refresh_token_expires_in, full_token, global_client_id}``; ``global_clients``
    is a list of global client objects (``id``, ``name``, ``identifier``, ``company``, ``description``,
    ``kind``, ``logo_url``) authorised by this account."""
    state = app.state
    body = _body(request)
    clients_spec = body.get("clients", 0)
    kind = body.get("kind", "confidential")
    user_id = body.get("user_id", ADMIN["id"])
    if user_id not in state.users:
        raise _bad("unknown user_id %r" % (user_id,))
    if isinstance(clients_spec, list):
        clients = []
        for spec in clients_spec:
            if not isinstance(spec, dict):
                raise _bad("each client must be an object")
            fields = validate_client(state, spec, None, user_id)
            clients.append(state.add_client(fields, secret=spec.get("secret")))
    elif isinstance(clients_spec, int) and not isinstance(clients_spec, bool) and clients_spec >= 0:
        clients = _seed_count(state, clients_spec, str(body.get("prefix", "bulk")), kind, user_id)
    else:
        raise _bad("clients must be a count or a list of client objects")
    global_clients = []
    for spec in body.get("global_clients", []):
        if not isinstance(spec, dict):
            raise _bad("each global client must be an object")
        global_clients.append(state.add_global_client(spec))
    tokens = []
    per_client = body.get("tokens_per_client", 0)
    scopes = body.get("scopes", ["read"])
    for client in clients:
        for _index in range(int(per_client)):
            tokens.append(state.add_token(client["user_id"], client["id"], scopes, source="seed"))
    for spec in body.get("tokens", []):
        tokens.append(_seed_token(state, spec, clients[0] if clients else None))
    base = request.base_url
    return Response(200, {
        "client_ids": [c["id"] for c in clients],
        "token_ids": [t["id"] for t in tokens],
        "clients": [state_client(c, base) for c in clients],
        "tokens": [state_token(t, base, state.is_expired(t)) for t in tokens],
        "global_clients": [global_client_json(g) for g in global_clients],
    })


def show_clock(app, request):
    del request
    now = app.state.clock.now()
    return Response(200, {"clock": iso(now), "epoch": now, "offset": app.state.clock.offset,
                          "frozen": app.state.clock.frozen_at is not None})


def advance_clock(app, request):
    seconds = _body(request).get("advance")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise _bad("advance must be a non-negative number of seconds")
    app.state.clock.advance(seconds)
    app.state.mark_dirty()
    return show_clock(app, request)


def mint_code(app, request):
    """An authorization code, as the consent page would hand it to the redirect URI."""
    state = app.state
    body = _body(request)
    client = state.client_by_identifier(body.get("client_identifier"))
    if client is None:
        raise _bad("unknown client_identifier %r" % (body.get("client_identifier"),))
    user_id = body.get("user_id", ADMIN["id"])
    if user_id not in state.users:
        raise _bad("unknown user_id %r" % (user_id,))
    scope = body.get("scope", "read")
    if not isinstance(scope, str):
        raise _bad("scope must be a space-separated string")
    record = state.add_code(client["id"], user_id, scope, body.get("redirect_uri"),
                            body.get("code_challenge"), body.get("code_challenge_method"))
    return Response(200, {"code": record["code"], "expires_at": iso(record["created_at"] + CODE_LIFETIME)})


def shutdown(app, request):
    del request
    app.request_shutdown()
    return Response(204)


ROUTES = [
    ("GET", r"/_sim/state", show_state),
    ("POST", r"/_sim/reset", reset),
    ("GET", r"/_sim/requests", list_requests),
    ("DELETE", r"/_sim/requests", clear_requests),
    ("GET", r"/_sim/config", show_config),
    ("PATCH", r"/_sim/config", patch_config),
    ("POST", r"/_sim/faults", queue_faults),
    ("GET", r"/_sim/faults", show_faults),
    ("DELETE", r"/_sim/faults", clear_faults),
    ("POST", r"/_sim/seed", seed),
    ("GET", r"/_sim/clock", show_clock),
    ("POST", r"/_sim/clock", advance_clock),
    ("POST", r"/_sim/codes", mint_code),
    ("POST", r"/_sim/shutdown", shutdown),
]
