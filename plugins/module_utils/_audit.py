# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The account-wide token audit: which tokens expire soon, sit idle, were never used, grant more than needed, and
which no store holds.

INTERNAL: this file is not a public API of the collection and may change at any time.

Pure Python (no Ansible imports, no I/O). The filters of zendesk_oauth_token_info and the oauth_token_audit
role are the same functions here; plugins/plugin_utils/_audit_engine.py reads the stores and Zendesk and
carries the audit out; tests/unit/plugins/module_utils/test_audit.py holds the tables.

Scopes are compared by what they grant, as Zendesk documents them: ``read`` and ``write`` are read or write on
every resource, ``<resource>`` is read and write on it, ``<resource>:read`` / ``<resource>:write`` one of them,
and ``impersonate`` stands alone. So ``tickets:read`` is within ``[read]``, and ``write`` is not within
``[tickets:write]``.
"""

from __future__ import annotations

from ._bootstrap import FETCH, MINT, PENDING_KEY, REFRESH
from ._oauth import iso_time, is_expired, parse_time

DAY = 86400
EVERY_RESOURCE = "*"
IMPERSONATE = "impersonate"
# The broad scopes the audit flags on a token whose client no store speaks for.
DEFAULT_BROAD_SCOPES = ("write", "impersonate", "unrestricted")
# Zendesk's timestamps have whole seconds (as in _bootstrap.CLOCK_SLACK).
CLOCK_SLACK = 2
REPORT_VERSION = 1

# What a store's entry in the report says about it.
STORE_OK = "ok"
STORE_EMPTY = "empty"
STORE_NO_TOKEN = "no_token"
STORE_TOKEN_NOT_LISTED = "token_not_listed"
STORE_TOKEN_DOES_NOT_WORK = "token_does_not_work"
STORE_OTHER_ACCOUNT = "other_account"

# Why a token no store holds is kept (a row's "kept"), and what the summary calls such tokens.
KEPT_GLOBAL_CLIENT = "global_client"
KEPT_OTHER_CLIENT = "other_client"
KEPT_TOO_NEW = "too_new"
KEPT_RUN_IN_FLIGHT = "run_in_flight"
KEPT_REASONS = {
    KEPT_GLOBAL_CLIENT: "of global clients (never revoked)",
    KEPT_OTHER_CLIENT: "of clients no store holds a token of",
    KEPT_TOO_NEW: "made within oauth_token_audit_revoke_min_age",
    KEPT_RUN_IN_FLIGHT: "a run under way may be storing",
}


# -- scopes ------------------------------------------------------------------------------------------------
def scope_grants(scope):
    """The (resource, access) pairs a scope grants; resource "*" is every resource."""
    if scope in ("read", "write"):
        return {(EVERY_RESOURCE, scope)}
    if scope == IMPERSONATE:
        return {(IMPERSONATE, "")}
    resource, dummy, access = scope.partition(":")
    if access:
        return {(resource, access)}
    return {(resource, "read"), (resource, "write")}


def _granted(scopes):
    granted = set()
    for scope in scopes or ():
        granted.update(scope_grants(scope))
    return granted


def _covered(granted, pair):
    resource, access = pair
    return pair in granted or (resource not in (EVERY_RESOURCE, IMPERSONATE) and (EVERY_RESOURCE, access) in granted)


def excess_scopes(scopes, allowed):
    """The token's scopes that grant something `allowed` does not (sorted; [] when it grants no more)."""
    granted = _granted(allowed)
    return sorted(scope for scope in set(scopes or ())
                  if not all(_covered(granted, pair) for pair in scope_grants(scope)))


def grants_all(scopes, wanted):
    """Whether the scopes grant everything the one scope `wanted` grants (tickets:write is within [write])."""
    granted = _granted(scopes)
    return all(_covered(granted, pair) for pair in scope_grants(wanted))


def granted_among(scopes, wanted):
    """Those of `wanted` whose every grant the scopes grant too: [write] for [read, write] against
    [write, impersonate]; [] for [tickets:write] against [write] (write is every resource)."""
    return [scope for scope in wanted if grants_all(scopes, scope)]


def grants_any(scopes, wanted):
    """Whether the scopes grant at least what one of `wanted` grants."""
    return bool(granted_among(scopes, wanted))


# -- one token ---------------------------------------------------------------------------------------------
def expires_within(token, now, seconds):
    """True when the token expires within `seconds` of now (or has expired); a token without expiry never does."""
    return is_expired(token, now, seconds)


def expired(token, now):
    return is_expired(token, now)


def last_activity(token):
    """When the token was last used, else when it was made (epoch seconds; None when Zendesk says neither)."""
    return parse_time(token.get("used_at")) or parse_time(token.get("created_at"))


def unused_for(token, now, days):
    """True when the token was neither used nor made in the last `days` days."""
    last = last_activity(token)
    return last is not None and now - last >= days * DAY


def never_used(token):
    return not token.get("used_at")


def token_client_ids(token):
    """The ids the token's client goes by: its client_id, and a global_client_id when Zendesk gives one."""
    return set(value for value in (token.get("client_id"), token.get("global_client_id")) if value is not None)


# -- the filters of zendesk_oauth_token_info ---------------------------------------------------------------
FILTER_OPTIONS = ("expiring_within", "unused_for_days", "never_used", "any_scope", "clients_not_in")


def filter_problems(params):
    """What is wrong with the filter options (None = not given), as sentences naming the option; [] when nothing."""
    problems = []
    if params.get("expiring_within") is not None and params["expiring_within"] < 0:
        problems.append("expiring_within=%s is negative: give 0 (only expired tokens) or more seconds"
                        % params["expiring_within"])
    if params.get("unused_for_days") is not None and params["unused_for_days"] < 1:
        problems.append("unused_for_days=%s is below 1: give the number of days (for example 30)"
                        % params["unused_for_days"])
    if params.get("any_scope") is not None and not params["any_scope"]:
        problems.append("any_scope is empty: give at least one scope (for example [write, impersonate]), or omit it")
    for entry in params.get("clients_not_in") or ():
        if not str(entry).strip():
            problems.append("clients_not_in has an empty entry: give client ids or identifiers")
            break
    return problems


def split_client_refs(refs):
    """(numeric ids, identifiers) of a list naming clients by id or by identifier."""
    ids, identifiers = set(), []
    for ref in refs or ():
        text = str(ref).strip()
        if text.isdigit():
            ids.add(int(text))
        elif text not in identifiers:
            identifiers.append(text)
    return ids, identifiers


def token_filter(now, expiring_within=None, unused_for_days=None, never_used_only=False, any_scope=None,
                 client_ids_not_in=None):
    """A predicate for the tokens that pass every filter given (None / False: that filter is off)."""
    def keep(token):
        if expiring_within is not None and not expires_within(token, now, expiring_within):
            return False
        if unused_for_days is not None and not unused_for(token, now, unused_for_days):
            return False
        if never_used_only and not never_used(token):
            return False
        if any_scope is not None and not grants_any(token.get("scopes"), any_scope):
            return False
        if client_ids_not_in is not None and token_client_ids(token) & set(client_ids_not_in):
            return False
        return True
    return keep


# -- what the stores hold ----------------------------------------------------------------------------------
class Holding(object):
    """What one store says it holds: a client of an account, and the id of its token.

    store: the name the report gives it; kind: vault_file, kv or fact; url: the account the record was
    written for (None: not recorded). scopes: the scopes the store records for its token (None: not
    recorded). pending: the store's journal entry (a run under way, or one that died). empty: the store
    holds no record at all. works: False for a token given by value that Zendesk refused.
    """

    def __init__(self, store, kind, url=None, client_id=None, client_identifier=None, token_id=None, scopes=None,
                 pending=None, empty=False, works=True):
        self.store = store
        self.kind = kind
        self.url = url
        self.client_id = client_id
        self.client_identifier = client_identifier
        self.token_id = token_id
        self.scopes = list(scopes) if scopes else None
        self.pending = pending if isinstance(pending, dict) else None
        self.empty = empty
        self.works = works


def holding_from_record(store, kind, record):
    """The Holding of a store's record (plugins/module_utils/_bootstrap.py RECORD_KEYS)."""
    if not record:
        return Holding(store, kind, empty=True)
    return Holding(store, kind, url=record.get("zendesk_oauth_url"),
                   client_id=_int(record.get("zendesk_oauth_client_id")),
                   client_identifier=record.get("zendesk_oauth_client_identifier"),
                   token_id=_int(record.get("zendesk_oauth_token_id")), scopes=record.get("zendesk_oauth_scopes"),
                   pending=record.get(PENDING_KEY))


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def same_account(url, base_url):
    return not url or url.rstrip("/").lower() == base_url.rstrip("/").lower()


# -- the audit ---------------------------------------------------------------------------------------------
class Settings(object):
    """The audit's thresholds. now: Zendesk's clock (epoch seconds)."""

    def __init__(self, now, expiring_within=7 * DAY, unused_for_days=30, broad_scopes=DEFAULT_BROAD_SCOPES,
                 revoke_min_age=3600, revoke_other_clients=False, include_expired=False):
        self.now = now
        self.expiring_within = expiring_within
        self.unused_for_days = unused_for_days
        self.broad_scopes = list(broad_scopes)
        self.revoke_min_age = revoke_min_age
        self.revoke_other_clients = revoke_other_clients
        self.include_expired = include_expired

    def as_dict(self):
        return {"expiring_within": self.expiring_within, "unused_for_days": self.unused_for_days,
                "broad_scopes": list(self.broad_scopes), "revoke_min_age": self.revoke_min_age,
                "revoke_other_clients": self.revoke_other_clients, "include_expired": self.include_expired}


class _Account(object):
    """The account's clients, and what the stores say of them."""

    def __init__(self, clients, holdings, base_url, tokens):
        self.by_id = dict((client["id"], client) for client in clients)
        self.by_identifier = dict((client.get("identifier"), client) for client in clients)
        self.listed = dict((token["id"], token) for token in tokens)
        self.holdings = [holding for holding in holdings if not holding.empty and same_account(holding.url, base_url)
                         and holding.works]
        self.held_by = {}      # token id -> [store names]
        self.recorded = {}     # token id -> scopes its stores record
        self.known = set()     # ids of the clients some store speaks for
        self.needs = {}        # client id -> scopes the stores hold for it
        for holding in self.holdings:
            client_id = self.client_of(holding)
            if client_id is not None:
                self.known.add(client_id)
            if holding.token_id is None:
                continue
            self.held_by.setdefault(holding.token_id, []).append(holding.store)
            scopes = holding.scopes
            if scopes is None and holding.token_id in self.listed:
                scopes = self.listed[holding.token_id].get("scopes") or []
            if scopes is not None:
                self.recorded.setdefault(holding.token_id, set()).update(scopes)
                if client_id is not None:
                    self.needs.setdefault(client_id, set()).update(scopes)

    def client_of(self, holding):
        """The account's id of the holding's client: the recorded id if the account has it, else by identifier."""
        if holding.client_id in self.by_id:
            return holding.client_id
        by_identifier = self.by_identifier.get(holding.client_identifier)
        if by_identifier is not None:
            return by_identifier["id"]
        if holding.client_id is None and holding.token_id in self.listed:
            return self.listed[holding.token_id].get("client_id")
        return holding.client_id


def _broadness(token, account, settings):
    """(scopes beyond need, why) for one token; ([], None) when it grants no more than its client needs."""
    scopes = token.get("scopes") or []
    recorded = account.recorded.get(token["id"])
    if recorded is not None:
        excess = excess_scopes(scopes, recorded)
        return excess, "its scopes grant more than the store that holds it records (%s)" % " ".join(sorted(recorded))
    needs = account.needs.get(token.get("client_id"))
    if needs:
        excess = excess_scopes(scopes, needs)
        return excess, "its scopes grant more than the stores of its client hold (%s)" % " ".join(sorted(needs))
    excess = sorted(granted_among(scopes, settings.broad_scopes))
    return excess, "no store holds a token of its client, and it grants broad scopes (oauth_token_audit_broad_scopes)"


def _kept_because(token, account, settings):
    """(code, why) a token no store holds must not be revoked, or (None, None) when it may be.

    code is one of KEPT_REASONS' keys, why a sentence for a person.
    """
    client_id = token.get("client_id")
    if client_id not in account.by_id:
        return KEPT_GLOBAL_CLIENT, ("its client %s is not one of the account's OAuth clients (a global client, such "
                                    "as a Zendesk Marketplace app): such tokens are never revoked here" % client_id)
    if client_id not in account.known and not settings.revoke_other_clients:
        return KEPT_OTHER_CLIENT, ("no store holds a token of its client, so another system may hold it "
                                   "(oauth_token_audit_revoke_other_clients)")
    created = parse_time(token.get("created_at"))
    if created is None:
        return KEPT_TOO_NEW, "Zendesk gives no creation time, so it may have been made just now"
    if created > settings.now - settings.revoke_min_age:
        return KEPT_TOO_NEW, ("it was made %ds ago, less than oauth_token_audit_revoke_min_age=%ds: a run may be "
                              "about to store it" % (max(0, settings.now - created), settings.revoke_min_age))
    for holding in account.holdings:
        pending = holding.pending or {}
        if pending.get("operation") not in (MINT, FETCH, REFRESH) or account.client_of(holding) != client_id:
            continue
        since, until = parse_time(pending.get("since")), parse_time(pending.get("until"))
        in_window = since is None or created >= since - CLOCK_SLACK
        if until is not None and settings.now <= until + CLOCK_SLACK and in_window:
            return KEPT_RUN_IN_FLIGHT, ("a run that writes %s may be storing it (its journal, %s, lasts until %s)"
                                        % (holding.store, pending.get("operation"), pending.get("until")))
    return None, None


def _store_row(holding, account, base_url):
    row = {"store": holding.store, "kind": holding.kind, "account_url": holding.url,
           "client_id": holding.client_id, "client_identifier": holding.client_identifier,
           "token_id": holding.token_id, "scopes": sorted(holding.scopes) if holding.scopes else holding.scopes,
           "pending": (holding.pending or {}).get("operation")}
    if holding.empty:
        row.update(status=STORE_EMPTY, problem="it holds no record: check the path (and, for KV, the mount); no "
                                               "token is held by it")
    elif not same_account(holding.url, base_url):
        row.update(status=STORE_OTHER_ACCOUNT, problem="it was written for the Zendesk account %s, not this one: "
                                                       "not compared" % holding.url)
    elif not holding.works:
        row.update(status=STORE_TOKEN_DOES_NOT_WORK, problem="the token given does not work (Zendesk refused it: "
                                                             "revoked, expired or unknown)")
    elif holding.token_id is None:
        row.update(status=STORE_NO_TOKEN, problem="it holds no token (a run that died before its first token, or "
                                                  "check mode)")
    elif holding.token_id not in account.listed:
        row.update(status=STORE_TOKEN_NOT_LISTED, problem="it holds token %s, which Zendesk does not list: revoked, "
                                                          "or expired (oauth_token_audit_include_expired lists expired "
                                                          "ones)" % holding.token_id)
    else:
        row.update(status=STORE_OK, problem=None)
    return row


def audit(tokens, clients, holdings, base_url, settings):
    """The audit's report (a dict, JSON-ready) of the account's tokens against what the stores hold.

    tokens: every token of the account (token_metadata form); clients: the account's own OAuth clients;
    holdings: a Holding per store. Nothing is revoked here: findings.revocable names the tokens no store holds
    that may be revoked, and each such token's row says why another one is kept.
    """
    account = _Account(clients, holdings, base_url, tokens)
    now = settings.now
    rows = []
    findings = dict((name, []) for name in ("unheld", "revocable", "kept_unheld", "expiring", "expired", "idle",
                                            "never_used", "broad", "held_expiring", "held_broad"))
    for token in sorted(tokens, key=lambda item: item["id"]):
        client = account.by_id.get(token.get("client_id"))
        held_by = sorted(account.held_by.get(token["id"], []))
        excess, why_broad = _broadness(token, account, settings)
        row = {
            "id": token["id"], "client_id": token.get("client_id"),
            "client_identifier": client.get("identifier") if client else None,
            "global_client": client is None, "user_id": token.get("user_id"),
            "scopes": sorted(token.get("scopes") or []), "created_at": token.get("created_at"),
            "used_at": token.get("used_at"), "expires_at": token.get("expires_at"),
            "held_by": held_by, "unheld": not held_by,
            "expiring": expires_within(token, now, settings.expiring_within), "expired": expired(token, now),
            "idle": unused_for(token, now, settings.unused_for_days), "never_used": never_used(token),
            "broad": bool(excess), "excess_scopes": excess, "broad_because": why_broad if excess else None,
            "revocable": False, "kept": None, "kept_because": None, "action": None,
        }
        if not held_by:
            row["kept"], row["kept_because"] = _kept_because(token, account, settings)
            row["revocable"] = row["kept"] is None
        for name in ("unheld", "revocable", "expiring", "expired", "idle", "never_used", "broad"):
            if row[name]:
                findings[name].append(token["id"])
        if row["unheld"] and not row["revocable"]:
            findings["kept_unheld"].append(token["id"])
        if held_by and row["expiring"]:
            findings["held_expiring"].append(token["id"])
        if held_by and row["broad"]:
            findings["held_broad"].append(token["id"])
        rows.append(row)
    stores = [_store_row(holding, account, base_url) for holding in holdings]
    client_rows = _client_rows(clients, rows, account)
    counts = dict((name, len(ids)) for name, ids in findings.items())
    counts.update(tokens=len(rows), clients=len(client_rows), stores=len(stores),
                  held=len(rows) - counts["unheld"], store_problems=sum(1 for row in stores if row["problem"]),
                  revoked=0, would_revoke=0, revoke_failed=0)
    return {
        "report_version": REPORT_VERSION, "url": base_url, "as_of": iso_time(now), "settings": settings.as_dict(),
        "counts": counts, "findings": findings, "revoked": [], "would_revoke": [], "revoke_failed": [],
        "tokens": rows, "clients": client_rows, "stores": stores,
    }


def _client_rows(clients, rows, account):
    """One row per client: each of the account's own, and each other one a token or a store names; by id."""
    by_client = {}
    for row in rows:
        by_client.setdefault(row["client_id"], []).append(row)
    ids = sorted(set(account.by_id) | set(by_client) | account.known, key=lambda value: (value is None, value or 0))
    out = []
    for client_id in ids:
        client = account.by_id.get(client_id) or {}
        mine = by_client.get(client_id, [])
        out.append({
            "id": client_id, "identifier": client.get("identifier"), "name": client.get("name"),
            "global_client": client_id not in account.by_id, "known_to_stores": client_id in account.known,
            "needs": sorted(account.needs.get(client_id, [])) or None,
            "tokens": len(mine), "held": sum(1 for row in mine if not row["unheld"]),
            "unheld": sum(1 for row in mine if row["unheld"]),
        })
    return out


def mark_revocations(report, revoked=(), would_revoke=(), failed=()):
    """Record in the report what the run revoked (or, in check mode, would revoke)."""
    report["revoked"] = sorted(revoked)
    report["would_revoke"] = sorted(would_revoke)
    report["revoke_failed"] = sorted(failed)
    actions = {}
    for action, ids in (("revoked", revoked), ("would_revoke", would_revoke), ("revoke_failed", failed)):
        actions.update((token_id, action) for token_id in ids)
    for row in report["tokens"]:
        row["action"] = actions.get(row["id"])
    report["counts"].update(revoked=len(report["revoked"]), would_revoke=len(report["would_revoke"]),
                            revoke_failed=len(report["revoke_failed"]))
    return report
