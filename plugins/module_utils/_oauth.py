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

import math
import re
import time
from datetime import date, datetime, timezone

from ._api import ZendeskAmbiguousError, ZendeskError

CLIENTS_PATH = "/api/v2/oauth/clients"
TOKENS_PATH = "/api/v2/oauth/tokens"
CURRENT_TOKEN_PATH = TOKENS_PATH + "/current"

# The one list of the resources a token scope may name (<resource>, <resource>:read,
# <resource>:write). Source: Zendesk's "OAuth Tokens" API reference, section Scopes
# (https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/#scopes, and the same
# list in Zendesk's Ticketing OpenAPI file of 2026), plus zis (Zendesk Integration Services), which
# Zendesk's ZIS guides ask for. Zendesk adds resources over time: the unknown_scopes option decides
# whether one missing here is refused (the default) or sent with a warning.
KNOWN_RESOURCES = frozenset((
    "tickets", "users", "auditlogs", "organizations", "hc", "apps", "triggers", "automations", "targets",
    "webhooks", "macros", "requests", "satisfaction_ratings", "dynamic_content", "any_channel", "web_widget",
    "security", "unrestricted", "zis",
))
KNOWN_RESOURCES_SOURCE = "https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/#scopes"
BROAD_SCOPES = frozenset(("read", "write", "impersonate"))
SCOPE_RE = re.compile(r"^[a-z][a-z0-9_]*(?::(?:read|write))?$")

# The unknown_scopes option of every module (and role) that takes scopes.
UNKNOWN_SCOPES_FAIL = "fail"
UNKNOWN_SCOPES_WARN = "warn"
UNKNOWN_SCOPES_OPTION = {"type": "str", "choices": [UNKNOWN_SCOPES_FAIL, UNKNOWN_SCOPES_WARN],
                         "default": UNKNOWN_SCOPES_FAIL}

# The largest expiry_margin the token modules accept, in seconds (90 days).
MAX_EXPIRY_MARGIN = 90 * 24 * 3600

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


def check_scopes(scopes, unknown_scopes=UNKNOWN_SCOPES_FAIL):
    """Scopes ready to send, and a warning or None; ScopeError for a malformed list or, with
    unknown_scopes=fail, a resource that is not in KNOWN_RESOURCES (the message names the list)."""
    scopes, unknown = normalize_scopes(scopes)
    if not unknown:
        return scopes, None
    known = "%s (from %s)" % (", ".join(sorted(KNOWN_RESOURCES)), KNOWN_RESOURCES_SOURCE)
    if unknown_scopes == UNKNOWN_SCOPES_FAIL:
        raise ScopeError(
            "scopes name %s Zendesk does not document: %s. Zendesk still mints a token with it, and refuses every "
            "call the token makes (403). Check the spelling against the resources Zendesk documents: %s. For a "
            "resource newer than that list, set unknown_scopes: warn" % (
                "a resource" if len(unknown) == 1 else "resources", ", ".join(unknown), known))
    return scopes, ("scopes name %s not among the resources Zendesk documents (%s): %s. They are sent as given "
                    "(unknown_scopes=warn); if Zendesk does not know them, every call with the token is refused "
                    "(403)" % ("a resource" if len(unknown) == 1 else "resources", known, ", ".join(unknown)))


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


def iso_time(epoch):
    """ISO 8601 UTC with a Z, as Zendesk writes timestamps; None stays None."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Mint(object):
    """What OAuthAPI.create_token did.

    token: the new token, with full_token. orphans_revoked: ids of tokens that lost answers of this
    call made, proved (see create_token) and revoked. suspects: ids of tokens that may be such
    orphans but could not be proved to be: left live, for the caller to name. unresolved: lost
    answers whose token was neither revoked nor named (none landed, or one may still land, after
    the last look). look_error: the ZendeskError of a failed look after the mint, else None (then
    nothing is known of the lost answers). lost: how many answers were lost. since: the baseline, as
    ISO time (tokens created before it were never considered), or None.
    """

    def __init__(self, token, orphans_revoked=(), suspects=(), unresolved=0, look_error=None, lost=0, since=None):
        self.token = token
        self.orphans_revoked = list(orphans_revoked)
        self.suspects = list(suspects)
        self.unresolved = unresolved
        self.look_error = look_error
        self.lost = lost
        self.since = since

    def warnings(self, client_id, scopes):
        """What the caller must be told, one sentence each: tokens that may be left that nobody holds."""
        out = []
        where = "client %s with scopes %s" % (client_id, " ".join(scopes))
        revoke = "revoke those nobody holds with zendesk.oauth.zendesk_oauth_token (state: absent, token_id: ID)"
        if self.look_error is not None:
            out.append("A token creation answer was lost (POST %s), and looking afterwards for a token it may have "
                       "left failed (%s). The new token (id %s) is returned; tokens of %s created since %s may be "
                       "left that nobody holds: list them with zendesk.oauth.zendesk_oauth_token_info and %s."
                       % (TOKENS_PATH, self.look_error.render(), self.token.get("id"), where, self.since or "this run",
                          revoke))
            return out
        if self.suspects:
            out.append("A token creation answer was lost (POST %s) and tokens %s of %s may be what it made, but this "
                       "run cannot prove it (another run could have made them at the same time), so none of them was "
                       "revoked: %s." % (TOKENS_PATH, ", ".join(str(token_id) for token_id in self.suspects), where,
                                         revoke))
        if self.unresolved:
            out.append("%d token creation answer(s) were lost (POST %s) and no token they made was found; if Zendesk "
                       "still makes one after this run looked, nobody holds it. Tokens of %s created since %s other "
                       "than id %s are such tokens: list them with zendesk.oauth.zendesk_oauth_token_info and %s."
                       % (self.unresolved, TOKENS_PATH, where, self.since or "this run", self.token.get("id"), revoke))
        return out


def without_secret(client):
    """The client object minus `secret`, which outside create/rotate is a stub, never the secret."""
    if client is None:
        return None
    return {key: value for key, value in client.items() if key != "secret"}


class ClientListing(object):
    """Every client of one account, as one run listed them: shared by the lookups of a run that ensures many clients.

    Zendesk's list of clients cannot be filtered by identifier, so each lookup that has no id (or a
    stale one) pages through the clients. A run that ensures many clients (the role's integrations)
    shares one ClientListing: the first lookup that needs the list reads every page once, later
    lookups read it here. The run's own writes keep it current; a client another run creates in
    between is not in it, and is found by create_client's own look when Zendesk refuses the duplicate.
    """

    def __init__(self):
        self._by_identifier = None  # None until listed

    @property
    def listed(self):
        return self._by_identifier is not None

    def find(self, api, identifier):
        """The client with this identifier (listing every client on first use), or None."""
        if self._by_identifier is None:
            self._by_identifier = {}
            for client in api.iter_clients():
                self._by_identifier.setdefault(client.get("identifier"), without_secret(client))
        return self._by_identifier.get(identifier)

    def learn(self, client):
        """A client this run created, adopted, updated or read: what the listing holds for its identifier now."""
        if self._by_identifier is not None and client is not None:
            self._by_identifier[client.get("identifier")] = without_secret(client)

    def forget(self, client_id):
        if self._by_identifier is not None:
            for identifier, client in list(self._by_identifier.items()):
                if client.get("id") == client_id:
                    del self._by_identifier[identifier]


class OAuthAPI(object):
    """OAuth clients and tokens of one Zendesk account.

    listing: a ClientListing shared by the lookups of one run (see there), or None: each lookup then
    pages through the clients until it finds its own.
    """

    def __init__(self, client, listing=None):
        self.client = client
        self.listing = listing

    def server_now(self):
        """Now by Zendesk's clock (the latest Date header), else by ours: expiry is the server's call."""
        return self.client.last_server_time or time.time()

    # -- clients ------------------------------------------------------------------------------
    def iter_clients(self):
        return self.client.paginate(CLIENTS_PATH, "clients")

    def find_client(self, identifier, id_hint=None):
        """The client with this identifier, or None.

        id_hint: the id the client is believed to have (what a store recorded). The client is read by
        that id (one request) and used when its identifier is this one; when no client has the id
        (404) or another client has it, the lookup goes on as without a hint. Then the run's shared
        listing, when there is one, else paging that stops at the first match.
        """
        if id_hint is not None:
            found = self.get_client(id_hint)
            if found is not None and found.get("identifier") == identifier:
                return found
        if self.listing is not None:
            return self.listing.find(self, identifier)
        return self._page_for_client(identifier)

    def _page_for_client(self, identifier):
        """The client with this identifier, read from Zendesk now (never from the listing); stops at the first match."""
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
                return self._learnt(self.client.post(CLIENTS_PATH, json={"client": fields})["client"]), CREATED
            except ZendeskAmbiguousError as exc:
                lost = True
                self._settle(attempt, exc)
                found = self._learnt(self._page_for_client(identifier))
                if found is not None:
                    return found, ADOPTED_AFTER_LOST_RESPONSE
            except ZendeskError as exc:
                if exc.status == 422 and _names_field(exc.details, "identifier"):
                    found = self._learnt(self._page_for_client(identifier))
                    if found is not None:  # our lost POST landed late, or a concurrent run made it
                        return found, ADOPTED_AFTER_LOST_RESPONSE if lost else ADOPTED_CONCURRENT
                raise

    def _learnt(self, client):
        """The client, noted in the run's listing (if any) as it is now."""
        if self.listing is not None:
            self.listing.learn(client)
        return client

    def _settle(self, attempt, lost):
        """Wait before re-reading after a lost answer (counted against the retry bounds)."""
        self.client.before_retry(attempt, max(lost.settle, self.client.backoff(attempt)), lost.message,
                                 lambda err=lost: err, then="the answer was lost; reading the state again")

    def update_client(self, client_id, fields):
        return self._learnt(self.client.put("%s/%d" % (CLIENTS_PATH, client_id), json={"client": fields})["client"])

    def delete_client(self, client_id):
        """Delete; False when it was already gone."""
        if self.listing is not None:
            self.listing.forget(client_id)
        return self._delete("%s/%d" % (CLIENTS_PATH, client_id))

    def generate_secret(self, client_id):
        return self._learnt(self.client.put("%s/%d/generate_secret" % (CLIENTS_PATH, client_id))["client"])

    # -- tokens -------------------------------------------------------------------------------
    def iter_tokens(self, client_id=None, all_users=False, include_expired=False, global_client_id=None):
        """The authenticated user's tokens of one client, or of every client with client_id None.

        Zendesk lists only the caller's tokens without all=true (all_users, admins only), and expired
        tokens only with include_expired (which Zendesk documents with all=true only).
        global_client_id: only the tokens of this global client.
        """
        params = {}
        if all_users:
            params["all"] = "true"
        if include_expired:
            params["include_expired"] = "true"
        if client_id is not None:
            params["client_id"] = client_id
        if global_client_id is not None:
            params["global_client_id"] = global_client_id
        return self.client.paginate(TOKENS_PATH, "tokens", params=params or None)

    def list_tokens_as_of(self, client_id):
        """(every token of the client that the caller owns, the Date of the first page's answer).

        Every token that existed at that time is in the list: the pair create_token takes as
        known_ids and baseline with known_ids_complete. The time is None when no answer had a Date.
        """
        tokens, as_of = [], None
        for token in self.iter_tokens(client_id):
            if as_of is None:
                as_of = self.client.last_server_time
            tokens.append(token)
        return tokens, as_of if as_of is not None else self.client.last_server_time

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

    def create_token(self, client_id, scopes, known_ids=(), baseline=None, known_ids_complete=False):
        """Mint a token; returns a Mint (token with full_token, orphans revoked, suspects named).

        A POST whose answer was lost may leave a token nobody can hold (its full_token was in the
        answer). Before minting again, after giving the server time to finish, this call looks for
        it among the caller's tokens of this client and revokes one only when it proves this call
        made it:
        - same scopes, never used (a token someone uses is held), id not in known_ids (nor revoked
          or minted by this call);
        - created in a later second than the baseline, a time by Zendesk's clock no later than the
          POST; or in the baseline's own second when known_ids_complete (every token that existed
          then is in known_ids, so one missing from it was made after);
        - and no more such tokens than lost answers not yet accounted for.
        A token that fails only the last two tests (made in the baseline's second, or one of more
        candidates than lost answers) is a suspect: left live and named in the result, never
        revoked. Once a token is minted after a lost answer, the tokens are looked at once more for
        a write that landed late. A failed look before the mint raises ZendeskError (nothing is
        minted); after the mint it is returned in Mint.look_error (the new token is not lost).

        known_ids: ids of this client's tokens that existed before the POST and are never orphans
        (a listing, the held token). baseline: epoch seconds by Zendesk's clock at a moment before
        the POST (a Date header, or the created_at of a client this run made just now). Whatever is
        given, the latest Date this API client saw before the POST counts too, and after a loss so
        does the Date of the failed answer or of the look, carried back to the moment of the POST
        with the local monotonic clock: no request is ever sent for a baseline. The latest (the
        tightest) of these is used. known_ids_complete: True when known_ids holds every token of
        this client and user that existed at baseline: a listing whose first page answered at
        baseline, or a client this run created at baseline (known_ids empty). A concurrent run
        minting for the same client, scopes and user between the baseline and the POST is the one
        case these tests cannot tell apart; see the module's notes.
        """
        if known_ids_complete and baseline is None:
            raise ValueError("known_ids_complete needs the baseline at which known_ids were read")
        scopes = list(scopes)
        skip = set(known_ids)
        floor = self._latest(baseline, self.client.last_server_time)
        revoked, suspects = [], []
        attempt = lost = 0
        sent_at = time.monotonic()  # the first POST: every bound below is Zendesk's clock at this moment
        while True:
            attempt += 1
            try:
                body = {"token": {"client_id": client_id, "scopes": scopes}}
                token = self.client.post(TOKENS_PATH, json=body)["token"]
            except ZendeskAmbiguousError as exc:
                lost += 1
                try:
                    self._settle(attempt, exc)
                    floor = self._latest(floor, self._answered_since(sent_at))  # the failed answer's Date
                    floor, (proven, unproven) = self._orphans(client_id, scopes, skip, floor, known_ids_complete,
                                                              sent_at)
                except ZendeskError as failure:
                    raise ZendeskError(
                        "token creation for client %s with scopes %s may have succeeded but its answer was lost, and "
                        "looking for the token it made failed (%s)" % (client_id, " ".join(scopes), failure.render()),
                        status=failure.status, method="POST", path=TOKENS_PATH,
                        hint="A token nobody holds may be left: once Zendesk answers again, list the tokens of client "
                             "%s created since %s (zendesk.oauth.zendesk_oauth_token_info) and revoke those nobody "
                             "holds (state: absent, token_id: ID), then run again"
                             % (client_id, iso_time(floor) or "now"))
                self._settle_orphans(proven, unproven, lost, revoked, suspects, skip)
                continue
            if not lost:
                return Mint(token)
            skip.add(token.get("id"))
            mint = Mint(token, lost=lost)
            try:
                floor, (proven, unproven) = self._orphans(client_id, scopes, skip, floor, known_ids_complete,
                                                          sent_at)
                self._settle_orphans(proven, unproven, lost, revoked, suspects, skip)
            except ZendeskError as failure:
                mint.look_error = failure  # the new token is in hand: a failed look must not lose it
            mint.orphans_revoked, mint.suspects, mint.since = revoked, suspects, iso_time(floor)
            mint.unresolved = max(0, lost - len(revoked) - len(suspects))
            return mint

    @staticmethod
    def _latest(*times):
        """The latest of several lower bounds of Zendesk's clock at the POST, in whole seconds (None if none)."""
        known = [math.floor(value) for value in times if value is not None]
        return max(known) if known else None

    def _settle_orphans(self, proven, unproven, lost, revoked, suspects, skip):
        """Revoke the proven orphans when they are no more than the lost answers left; name the rest."""
        if len(proven) > lost - len(revoked):
            unproven, proven = proven + unproven, []
        for orphan in proven:
            self.revoke_token(orphan)
            revoked.append(orphan)
        suspects.extend(token_id for token_id in unproven if token_id not in suspects)
        skip.update(proven, unproven)

    def _answered_since(self, moment):
        """Zendesk's clock at `moment` (monotonic), carried back from an answer that arrived after it; else None.

        Only a later answer is used: carrying a Date forward assumes the server's clock kept running,
        carrying it back only that it did not run slower than ours while we waited for the answer.
        """
        arrived = self.client.last_server_time_at
        return self.client.server_time_at(moment) if arrived is not None and arrived >= moment else None

    def _orphans(self, client_id, scopes, skip, floor, known_ids_complete, sent_at):
        """(the baseline, now tightened by the look's own Date, (ids proved made after it, ids that may be)).

        The candidates are the caller's tokens of this client with these scopes, never used and not
        in skip; see create_token for the proof.
        """
        tokens = list(self.iter_tokens(client_id))
        floor = self._latest(floor, self._answered_since(sent_at))
        proven, unproven = [], []
        for token in tokens:
            if token.get("id") in skip or token.get("used_at") or not same_scopes(token.get("scopes"), scopes):
                continue
            created = parse_time(token.get("created_at"))
            if floor is None or created is None:
                unproven.append(token["id"])
            elif created >= floor + 1 or (created >= floor and known_ids_complete):
                proven.append(token["id"])
            elif created >= floor:
                unproven.append(token["id"])
        return floor, (proven, unproven)

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
