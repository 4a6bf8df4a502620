# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The decisions of the oauth_bootstrap role, as pure functions.

INTERNAL: this file is not a public API of the collection and may change at any time.

Pure Python (no Ansible imports, no I/O): what the role keeps, refreshes, mints or fetches; what
it revokes and when; the record a store holds, and the journal entry written before each step
that makes something Zendesk shows only once, so that a run that dies half way leaves the next
run what it needs to clean up. plugins/plugin_utils/_bootstrap_engine.py carries the decisions
out; tests/unit/plugins/module_utils/test_bootstrap.py holds their tables.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from ._oauth import parse_time, same_scopes

# The keys every store holds (the vault file's variables, the KV secret's data).
RECORD_KEYS = (
    "zendesk_oauth_url",
    "zendesk_oauth_client_identifier",
    "zendesk_oauth_client_id",
    "zendesk_oauth_client_secret",
    "zendesk_oauth_token_id",
    "zendesk_oauth_full_token",
    "zendesk_oauth_refresh_token",
    "zendesk_oauth_scopes",
    "zendesk_oauth_token_expires_at",
    "zendesk_oauth_refresh_token_expires_at",
)
# The journal: what a run is about to do that a kill could leave half done (null when nothing is).
PENDING_KEY = "zendesk_oauth_pending"
SECRET_RECORD_KEYS = ("zendesk_oauth_client_secret", "zendesk_oauth_full_token", "zendesk_oauth_refresh_token")

# How a run settles the token.
NONE, KEEP, REFRESH, MINT, FETCH = "none", "keep", "refresh", "mint", "fetch"
HOW = {
    NONE: "no token (the client would be created first)",
    KEEP: "the held token works and was kept",
    REFRESH: "refreshed with the held refresh token",
    MINT: "minted with the admin credential",
    FETCH: "issued to the client (client_credentials grant)",
}

# Journal operations (besides the token paths above).
CREATE_CLIENT, REGENERATE_SECRET, REVOKE = "create_client", "regenerate_secret", "revoke"
# Zendesk's timestamps have whole seconds: a token made in the second the journal was written counts.
CLOCK_SLACK = 2


class BootstrapError(Exception):
    """A check failed: the message says what, why, and what to do."""


def iso(epoch):
    """ISO 8601 UTC, as Zendesk writes its timestamps."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the options -----------------------------------------------------------------------------------
def effective_kind(options):
    """The client kind to manage: client_credentials needs a confidential client, so unset means confidential."""
    if options["oauth_bootstrap_client_kind"] is None and options["oauth_bootstrap_token_source"] == "client_credentials":
        return "confidential"
    return options["oauth_bootstrap_client_kind"]


def option_problems(options):
    """Problems of the role's options that no module checks, each a sentence naming the variable; [] when none."""
    problems = []
    if not (options["oauth_bootstrap_client_identifier"] or "").strip():
        problems.append("oauth_bootstrap_client_identifier is empty: give the client's unique identifier, for example "
                        "acme_integration")
    if options["oauth_bootstrap_token_source"] == "client_credentials" and effective_kind(options) == "public":
        problems.append("oauth_bootstrap_token_source=client_credentials needs a confidential client (Zendesk refuses "
                        "the grant for public clients): set oauth_bootstrap_client_kind to confidential, or use "
                        "oauth_bootstrap_token_source=admin")
    if options["oauth_bootstrap_refresh_token"] and not options["oauth_bootstrap_full_token"]:
        problems.append("oauth_bootstrap_refresh_token is set without oauth_bootstrap_full_token: give the token it "
                        "goes with, or leave both unset to use the store's")
    return problems


# -- several integrations in one run ----------------------------------------------------------------
INTEGRATIONS = "oauth_bootstrap_integrations"
# The variables an entry of oauth_bootstrap_integrations may set (without the oauth_bootstrap_ prefix);
# the role's own value of each one is the default of every entry.
INTEGRATION_KEYS = (
    "client_identifier", "client_name", "client_kind", "client_redirect_uri", "client_description", "client_company",
    "client_regenerate_secret", "client_secret", "scopes", "full_token", "refresh_token", "rotate", "token_source",
    "token_expires_in", "refresh_token_expires_in", "vault_file", "kv_path",
)
# Of those, the ones that name one integration's own thing: never shared by the entries.
OWN_KEYS = ("client_identifier", "client_secret", "full_token", "refresh_token", "vault_file", "kv_path")


def integrations(options):
    """The options of each integration of this run, in order: the role's own, or one set per entry of
    oauth_bootstrap_integrations (its values over the role's). Raises BootstrapError naming every problem."""
    entries = options.get(INTEGRATIONS)
    shared = dict((name, value) for name, value in options.items() if name != INTEGRATIONS)
    if entries is None:
        if options["oauth_bootstrap_client_identifier"] is None:
            raise BootstrapError("oauth_bootstrap_client_identifier is not set: give the identifier of the OAuth client "
                                 "(for example acme_integration), or oauth_bootstrap_integrations for several. Nothing "
                                 "was sent to Zendesk.")
        return [shared]
    problems = []
    if not entries:
        problems.append("oauth_bootstrap_integrations is empty: give one entry per integration, each with its "
                        "client_identifier, or leave it unset and give oauth_bootstrap_client_identifier")
    for key in OWN_KEYS:
        if shared.get("oauth_bootstrap_" + key) is not None:
            problems.append("oauth_bootstrap_%s is set with oauth_bootstrap_integrations: it names one integration's "
                            "own %s, so give %s in each entry instead" % (key, key.replace("_", " "), key))
    runs, seen = [], {}
    for number, entry in enumerate(entries or (), 1):
        run = dict(shared)
        run.update(("oauth_bootstrap_" + key, value) for key, value in entry.items() if value is not None)
        runs.append(run)
        for key in ("client_identifier", "vault_file", "kv_path"):
            value = entry.get(key)
            if value is None:
                continue
            where = (key, value.strip("/") if key == "kv_path" else os.path.normpath(value) if key == "vault_file"
                     else value)
            if where in seen:
                problems.append("oauth_bootstrap_integrations entries %d and %d have the same %s %s: each integration "
                                "has its own%s" % (seen[where], number, key, value,
                                                   " client" if key == "client_identifier" else " store (a store holds "
                                                   "one client)"))
            else:
                seen[where] = number
    if problems:
        raise BootstrapError("%s. Nothing was sent to Zendesk." % "; ".join(problems))
    return runs


def client_id_hint(record, identifier):
    """The client id a store recorded for this client: the client module reads the client by it first (and checks
    it), instead of paging through every client. None when the store holds none for this identifier."""
    client_id = record.get("zendesk_oauth_client_id")
    if (record.get("zendesk_oauth_client_identifier") != identifier or isinstance(client_id, bool)
            or not isinstance(client_id, int) or client_id <= 0):
        return None
    return client_id


# -- the store -------------------------------------------------------------------------------------
def binding_problem(record, base_url, identifier, where):
    """Why a store must not be used for this account and client (None when it may).

    A store holds one client of one account: its token must never be sent to another account, nor
    replaced (and revoked) by a run for another client.
    """
    stored_url = (record.get("zendesk_oauth_url") or "").rstrip("/")
    stored_identifier = record.get("zendesk_oauth_client_identifier")
    if not record or (not stored_url and not stored_identifier):
        return None
    if stored_url and stored_url.lower() != base_url.rstrip("/").lower():
        return ("%s was written for the Zendesk account %s, and this run is for %s: its token and secrets are never "
                "sent to another account. Give this account its own store, or remove the old one if it is stale. "
                "Nothing was sent to Zendesk." % (where, stored_url, base_url))
    if stored_identifier and stored_identifier != identifier:
        return ("%s was written for the OAuth client %s, and this run is for %s: its token is not replaced by another "
                "client's. Give each client its own store, or remove the old one if it is stale. Nothing was sent to "
                "Zendesk." % (where, stored_identifier, identifier))
    return None


def held_pair(options, record):
    """(token, refresh token) to verify: the pair given in the role's variables, else the store's."""
    if options["oauth_bootstrap_full_token"]:
        return options["oauth_bootstrap_full_token"], options["oauth_bootstrap_refresh_token"] or None
    return record.get("zendesk_oauth_full_token") or None, record.get("zendesk_oauth_refresh_token") or None


def client_secret(shown, given, record, client_id):
    """The client secret: the one Zendesk just showed, else the one given, else the one stored for this very client."""
    if shown:
        return shown
    if given:
        return given
    if client_id is not None and record.get("zendesk_oauth_client_id") == client_id:
        return record.get("zendesk_oauth_client_secret") or None
    return None


def record_for(base_url, client, secret, token, pending=None):
    """What the store holds after this run: the same keys whatever the store."""
    record = {
        "zendesk_oauth_url": base_url,
        "zendesk_oauth_client_identifier": client.get("identifier"),
        "zendesk_oauth_client_id": client.get("id"),
        "zendesk_oauth_client_secret": secret,
        "zendesk_oauth_token_id": token.get("id"),
        "zendesk_oauth_full_token": token.get("full_token"),
        "zendesk_oauth_refresh_token": token.get("refresh_token"),
        "zendesk_oauth_scopes": sorted(token.get("scopes") or []),
        "zendesk_oauth_token_expires_at": token.get("expires_at"),
        "zendesk_oauth_refresh_token_expires_at": token.get("refresh_token_expires_at"),
    }
    if pending:
        record[PENDING_KEY] = pending
    return record


def comparable(record):
    """A record as compared with what the store holds: a missing journal is no journal."""
    return dict((key, value) for key, value in (record or {}).items() if not (key == PENDING_KEY and not value))


def store_due(record, held):
    """Whether the store must be written: only when what it holds changes (a vault file's ciphertext is salted)."""
    return comparable(record) != comparable(held)


# -- the token -------------------------------------------------------------------------------------
def token_path(client_id, held_token, verified, options, refresh_token, secret, client_kind):
    """How this run settles the token: none, keep, refresh, or the new-token source (mint or fetch).

    verified is what tokens/current said of the held token (None when it does not work or there
    is none); its `valid` says whether it fits this client, these scopes and the expiry margin.
    """
    if client_id is None:
        return NONE
    if held_token and verified is not None and verified.get("valid") and not options["oauth_bootstrap_rotate"]:
        return KEEP
    if refresh_possible(refresh_token, options, secret, client_kind):
        return REFRESH
    return new_token_path(options)


def refresh_possible(refresh_token, options, secret, client_kind):
    """A held refresh token is tried when refreshing is on and the client can authenticate (secret or public)."""
    return bool(refresh_token and options["oauth_bootstrap_refresh"] and (secret or client_kind == "public"))


def new_token_path(options):
    return MINT if options["oauth_bootstrap_token_source"] == "admin" else FETCH


def replaced_ids(path, verified, client_id, record=None, now=None):
    """Tokens to revoke once the new one is stored: the held token, when it still works for this client, or
    when only its refresh token does (an expired token whose stored refresh token is still alive, not used).

    A refreshed token needs nothing: Zendesk revoked the old pair itself. A held token of another
    client is not ours to revoke.
    """
    if path not in (MINT, FETCH):
        return []
    token = (verified or {}).get("token") or {}
    if token.get("id") is not None:
        return [token["id"]] if token.get("client_id") == client_id else []
    record = record or {}
    refresh_until = parse_time(record.get("zendesk_oauth_refresh_token_expires_at"))
    if (record.get("zendesk_oauth_token_id") is not None and record.get("zendesk_oauth_client_id") == client_id
            and record.get("zendesk_oauth_refresh_token")
            and (refresh_until is None or now is None or refresh_until > now)):
        return [record["zendesk_oauth_token_id"]]
    return []


def revoke_unheld(options, held_token):
    """Whether the mint also revokes the client's other tokens with these scopes: only when none is held at all."""
    return bool(options["oauth_bootstrap_revoke_unheld_tokens"] and not held_token)


def secret_missing_problem(path, secret, options):
    """The fetch path needs the client secret; None when it is there."""
    if path != FETCH or secret:
        return None
    return ("oauth_bootstrap_token_source=client_credentials needs the secret of client %s, and Zendesk shows it only "
            "when the client is created or its secret regenerated. Give it in oauth_bootstrap_client_secret, or set "
            "oauth_bootstrap_client_regenerate_secret=true for one run (the current secret then stops working). No "
            "token was requested." % options["oauth_bootstrap_client_identifier"])


def token_from_grant(answer, token_id, client_id, scopes):
    """The token dict of a grant's answer (a refresh or client_credentials), with the id Zendesk gave it."""
    return {
        "id": token_id,
        "client_id": client_id,
        "scopes": answer.get("scopes") or list(scopes),
        "expires_at": answer.get("expires_at"),
        "refresh_token_expires_at": answer.get("refresh_token_expires_at"),
        "full_token": answer.get("access_token"),
        "refresh_token": answer.get("refresh_token"),
    }


def kept_token(verified, held_token, refresh_token):
    return dict(verified.get("token") or {}, full_token=held_token, refresh_token=refresh_token)


def empty_token(scopes):
    return {"id": None, "client_id": None, "scopes": list(scopes), "expires_at": None,
            "refresh_token_expires_at": None, "full_token": None, "refresh_token": None}


# -- the journal -----------------------------------------------------------------------------------
def journal(operation, server_now, window, client_id=None, scopes=None, before_ids=None, token_ids=None,
            identifier=None):
    """The journal entry written to the store before `operation`.

    server_now is Zendesk's clock (the Date of its latest answer); window is how long after it the
    operation can still land there (the run's request bounds). A token made by this operation was
    created in [since, until]; before_ids, when known, are the tokens that were there before it.
    """
    entry = {"operation": operation, "since": iso(server_now), "until": iso(server_now + window)}
    if client_id is not None:
        entry["client_id"] = client_id
    if scopes is not None:
        entry["scopes"] = sorted(scopes)
    if before_ids is not None:
        entry["before_ids"] = sorted(before_ids)
    if token_ids is not None:
        entry["token_ids"] = list(token_ids)
    if identifier is not None:
        entry["identifier"] = identifier
    return entry


def left_by_dead_run(pending, tokens, held_token_id):
    """Ids of the tokens a run that died during `pending` made and nobody holds: they are revoked.

    Proof that the dead run made a token: this client, these scopes, created inside the journal's
    window, not one of the tokens that were there before it, and not the token the store holds.
    """
    if not pending or pending.get("operation") not in (MINT, FETCH, REFRESH):
        return []
    since, until = parse_time(pending.get("since")), parse_time(pending.get("until"))
    if since is None or until is None:
        return []
    before = set(pending.get("before_ids") or ())
    found = []
    for token in tokens:
        created = parse_time(token.get("created_at"))
        if (token.get("client_id") == pending.get("client_id") and same_scopes(token.get("scopes"), pending.get("scopes"))
                and created is not None and since - CLOCK_SLACK <= created <= until + CLOCK_SLACK
                and token.get("id") not in before and token.get("id") != held_token_id):
            found.append(token["id"])
    return found


def secret_lost_to_dead_run(pending, client, record):
    """Whether a run that died after creating the client lost its secret (nobody holds it: regenerate it)."""
    if not pending or pending.get("operation") != CREATE_CLIENT or not client:
        return False
    if pending.get("identifier") != client.get("identifier"):
        return False
    created = parse_time(client.get("created_at"))
    since = parse_time(pending.get("since"))
    if created is None or since is None or created < since - CLOCK_SLACK:
        return False  # the client was there before the dead run: its secret is someone else's
    return not (record.get("zendesk_oauth_client_id") == client.get("id") and record.get("zendesk_oauth_client_secret"))


# -- the output ------------------------------------------------------------------------------------
def stats(client, token, scopes, with_token):
    """What set_stats publishes for the next job of an AWX / AAP workflow: ids, never a secret unless asked."""
    data = {
        "zendesk_oauth_client_identifier": client.get("identifier"),
        "zendesk_oauth_client_id": client.get("id"),
        "zendesk_oauth_token_id": token.get("id"),
        "zendesk_oauth_scopes": sorted(token.get("scopes") or scopes),
        "zendesk_oauth_token_expires_at": token.get("expires_at"),
    }
    if with_token:
        data["zendesk_oauth_full_token"] = token.get("full_token")
    return data


def keyed_stats(published):
    """What set_stats aggregates over the role's runs: every integration's stats by identifier, and by account URL
    then identifier (several accounts may have clients with the same identifier). published: (base URL, stats)."""
    by_identifier, by_account = {}, {}
    for base_url, data in published:
        identifier = data["zendesk_oauth_client_identifier"]
        by_identifier[identifier] = data
        by_account.setdefault(base_url, {})[identifier] = data
    return {"zendesk_oauth_clients": by_identifier, "zendesk_oauth_accounts": by_account}


def summary(client, token, path, where, check_mode, notes=()):
    """The lines the role prints at the end: no secrets."""
    if client.get("id") is not None:
        client_line = "OAuth client %s: id %s" % (client.get("identifier"), client.get("id"))
    else:
        client_line = "OAuth client %s: would be created (check mode)" % client.get("identifier")
    if token.get("id"):
        token_id = "id %s" % token["id"]
    else:
        token_id = "would be issued (check mode)" if check_mode else "id unknown"
    lines = [
        client_line,
        "OAuth token: %s, %s, scopes %s, expires %s" % (token_id, HOW[path], " ".join(sorted(token.get("scopes") or [])),
                                                        token.get("expires_at") or "never"),
        "Store: %s" % where,
    ]
    return lines + list(notes)
