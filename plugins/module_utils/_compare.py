# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Desired state against Zendesk's state: the one comparison behind `changed`, the diff and check mode.

INTERNAL: this file is not a public API of the collection and may change at any time.
"""

from __future__ import annotations

from ._oauth import is_expired, same_scopes

# The client fields a task manages; everything else on the object is Zendesk's.
CLIENT_FIELDS = ("name", "kind", "redirect_uri", "description", "company")

# The token fields a module returns as Zendesk gives them (plus full_token and refresh_token, see token_metadata).
TOKEN_FIELDS = ("id", "client_id", "user_id", "scopes", "created_at", "used_at", "expires_at",
                "refresh_token_expires_at")


def normalize_client_value(field, value):
    """One canonical form per field, so that equal meanings compare equal.

    Text: None and "" both mean unset. redirect_uri: a set of URIs (Zendesk does not promise to keep
    their order; duplicates mean nothing), kept as a sorted list.
    """
    if field == "redirect_uri":
        if value in (None, ""):
            return []
        if isinstance(value, str):
            value = [value]
        return sorted(set(uri for uri in value if uri))
    if value == "":
        return None
    return value


def client_view(client):
    """The managed fields of a client object, normalised (what the diff shows)."""
    if not client:
        return {}
    view = {"identifier": client.get("identifier")}
    for field in CLIENT_FIELDS:
        view[field] = normalize_client_value(field, client.get(field))
    return view


def plan_client(current, desired):
    """Compare a client with the desired fields (None = not managed).

    Returns (changes, before, after): changes holds only the fields to send, with the user's
    values; before/after are the normalised views for the diff. current None means 'absent'.
    """
    managed = {field: value for field, value in desired.items() if value is not None}
    before = client_view(current)
    if current is None:
        after = dict({"identifier": desired.get("identifier")},
                     **{field: normalize_client_value(field, value) for field, value in managed.items()})
        return dict(managed), before, after
    changes = {}
    after = dict(before)
    for field, value in managed.items():
        if field == "identifier":
            continue
        wanted = normalize_client_value(field, value)
        if before.get(field) != wanted:
            changes[field] = value
            after[field] = wanted
    return changes, before, after


def token_view(token):
    """What a diff shows of a token: never its value."""
    if not token:
        return {}
    return {
        "id": token.get("id"),
        "client_id": token.get("client_id"),
        "scopes": sorted(token.get("scopes") or []),
        "expires_at": token.get("expires_at"),
    }


def token_metadata(token, minted=False):
    """The token as a module returns it: Zendesk's fields, plus its secrets only when this task minted it."""
    shown = {field: token.get(field) for field in TOKEN_FIELDS}
    shown["full_token"] = token.get("full_token") if minted else None
    shown["refresh_token"] = token.get("refresh_token") if minted else None
    return shown


def why_unfit(token, client_id, scopes, now, margin):
    """Why a token does not fit the wish, or None when it does.

    token None means it did not work (Zendesk answered 401); client_id or scopes None are not
    checked. now is the server's clock; a token expiring within margin seconds of it is unfit.
    """
    if token is None:
        return "it is revoked, expired or unknown to Zendesk"
    if client_id is not None and token.get("client_id") != client_id:
        return "it belongs to client %s, not %s" % (token.get("client_id"), client_id)
    if scopes is not None and not same_scopes(token.get("scopes"), scopes):
        return "its scopes are %s, not %s" % (sorted(token.get("scopes") or []), sorted(scopes))
    if is_expired(token, now, margin):
        return "it expires at %s, within expiry_margin=%ss" % (token.get("expires_at"), margin)
    return None
