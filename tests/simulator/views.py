# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How records look on the wire (reference §1.2, §2.3, §10.2) and in ``/_sim/state``."""

from __future__ import annotations

from .state import iso

TRUNCATED_SECRET_LENGTH = 15
TRUNCATED_TOKEN_LENGTH = 10
MASKED_SECRET = "********"


def truncate(value, length=TRUNCATED_SECRET_LENGTH):
    """``af3t24tfj34h43s...``: a prefix plus an ellipsis, as the doc examples show."""
    if value is None:
        return None
    return value[:length] + "..."


def secret_on_read(secret, mode):
    """The client ``secret`` outside create/generate_secret, per config ``client_secret_on_read``."""
    if mode == "null":
        return None
    if mode == "masked":
        return MASKED_SECRET
    return truncate(secret)


def client_json(record, base_url, secret_mode="truncated", full_secret=False):
    """A client object; ``full_secret`` only for the create and generate_secret answers."""
    return {
        "url": "%s/api/v2/oauth/clients/%d.json" % (base_url, record["id"]),
        "id": record["id"],
        "user_id": record["user_id"],
        "name": record["name"],
        "identifier": record["identifier"],
        "company": record["company"],
        "description": record["description"],
        "redirect_uri": list(record["redirect_uri"]),
        "kind": record["kind"],
        "global": record["global"],
        "logo_url": record["logo_url"],
        "secret": record["secret"] if full_secret else secret_on_read(record["secret"], secret_mode),
        "created_at": iso(record["created_at"]),
        "updated_at": iso(record["updated_at"]),
    }


def token_json(record, base_url, full_token=False):
    """A token object: ``token`` is always the first 10 characters; ``full_token`` (and the whole
    ``refresh_token``) only on create."""
    body = {
        "url": "%s/api/v2/oauth/tokens/%d.json" % (base_url, record["id"]),
        "id": record["id"],
        "user_id": record["user_id"],
        "client_id": record["client_id"],
        "token": record["full_token"][:TRUNCATED_TOKEN_LENGTH],
        "refresh_token": truncate(record["refresh_token"]),
        "scopes": list(record["scopes"]),
        "created_at": iso(record["created_at"]),
        "used_at": iso(record["used_at"]),
        "expires_at": iso(record["expires_at"]),
        "refresh_token_expires_at": iso(record["refresh_token_expires_at"]),
    }
    if full_token:
        body["full_token"] = record["full_token"]
        body["refresh_token"] = record["refresh_token"]
    return body


def global_client_json(record):
    return dict((key, record[key]) for key in ("id", "name", "identifier", "company", "description", "kind", "logo_url"))


def user_json(record, base_url):
    return {
        "url": "%s/api/v2/users/%d.json" % (base_url, record["id"]),
        "id": record["id"],
        "name": record["name"],
        "email": record["email"],
        "role": record["role"],
        "active": True,
        "verified": True,
        "created_at": iso(record["created_at"]),
        "updated_at": iso(record["created_at"]),
    }


# ---------------------------------------------------------------------- /_sim/state views
def state_client(record, base_url):
    return client_json(record, base_url, full_secret=True)


def state_token(record, base_url, expired):
    body = token_json(record, base_url, full_token=True)
    body["source"] = record.get("source", "api")
    body["global_client_id"] = record.get("global_client_id")
    body["expired"] = expired
    if "revoked_at" in record:
        body["revoked_at"] = iso(record["revoked_at"])
        body["revoked_reason"] = record.get("revoked_reason")
    return body


def state_user(record, base_url):
    body = user_json(record, base_url)
    body["api_token"] = record["api_token"]
    return body
