# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a simulator cannot be sure of, named in one place, and how the live run finds it out.

``CHECKS`` lists every question that the API reference leaves open (or answers only by inference),
the simulator config key it would set (tests/simulator/README.md, "Config"), or ``None`` when the
simulator answers it with a fixed behaviour (then ``where`` says in which simulator file).
``Probe.run`` asks the account, through the guard's door, with records of the run only, and
``findings`` turns the answers into the report's entries: what the account answered, and for a
config key the value to set, so that the simulator's unknowns can be set from facts.

A finding keeps status codes, error bodies (Zendesk's 4xx answers hold no secret), lengths, key
names and counts: never a secret, a token, or anything of a record that is not the run's.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime, timezone

from account import CLIENTS, TOKENS

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from simulator.config import DEFAULTS  # noqa: E402  pylint: disable=wrong-import-position

GRANT = "/oauth/tokens"
USERS_ME = "/api/v2/users/me"
NOT_OBSERVED = "not observed"


class Check:
    """One open question: its id, the question, the simulator config key it sets (or where the simulator fixes it)."""

    def __init__(self, check_id, question, key=None, where=None):
        self.id = check_id
        self.question = question
        self.key = key
        self.where = where


CHECKS = [
    # -- clients ---------------------------------------------------------------------------------
    Check("default_kind", "Which kind does a client created without `kind` get?", key="default_kind"),
    Check("client_secret_on_read", "What does `secret` hold when a client is read back (GET)?",
          key="client_secret_on_read"),
    Check("client_secret_length", "How long is a client secret, and is it hex?", where="views.py"),
    Check("generate_secret", "Does generate_secret answer the new secret in full, and does the old one stop working "
          "at once?", where="api.py"),
    Check("identifier_mutable", "Does PUT change a client's identifier?", where="api.py"),
    Check("duplicate_identifier_422", "What exactly does a create with a taken identifier answer?",
          where="messages.py"),
    Check("blank_name_422", "What exactly does a create with a blank name answer?", where="messages.py"),
    Check("bad_kind_422", "What exactly does a create with an unknown kind answer?", where="messages.py"),
    Check("bad_redirect_uri_422", "What exactly does a create with a relative redirect URI answer?",
          where="messages.py"),
    Check("record_not_found_404", "What exactly does a GET of a deleted client answer?", where="messages.py"),
    Check("record_urls", "What do the `url` fields of client and token records look like?", where="views.py"),
    Check("client_delete_revokes_tokens", "Does deleting a client revoke its tokens?", where="api.py"),
    # -- pagination ------------------------------------------------------------------------------
    Check("page_size_over_max", "What does page[size]=101 answer: an error or a clamped page?",
          key="page_size_over_max"),
    Check("cursor_page", "Does page[size]=1 answer one record with meta.has_more/after_cursor/before_cursor and "
          "links.next/prev?", where="pagination.py"),
    Check("offset_page", "What does a list without page[size] answer (its keys)?", where="pagination.py"),
    Check("offset_limit", "Where does offset pagination stop (400)?", key="offset_limit"),
    # -- tokens minted by the admin --------------------------------------------------------------
    Check("token_refresh_on_create", "Do tokens minted with POST /api/v2/oauth/tokens carry a refresh token?",
          key="token_refresh_on_create"),
    Check("token_default_ttl", "Do tokens minted with POST /api/v2/oauth/tokens expire, and after how long?",
          key="token_default_ttl"),
    Check("token_refresh_ttl", "How long does the refresh token of a minted token live?",
          key="grant_default_refresh_expires_in"),
    Check("full_token_length", "How long are `full_token` and the listed `token`?", where="views.py"),
    Check("token_list_client_filter", "Does GET /api/v2/oauth/tokens?client_id= list only that client's tokens?",
          where="api.py"),
    Check("used_at_stamped", "Is `used_at` set once a token has authenticated a request?", where="auth.py"),
    Check("empty_scopes_422", "What exactly does a token create with no scopes answer?", where="messages.py"),
    Check("revoke_current_status", "What does DELETE /api/v2/oauth/tokens/current answer?", where="api.py"),
    # -- the grant endpoint ----------------------------------------------------------------------
    Check("grant_status", "Does POST /oauth/tokens answer 200 or 201?", key="grant_status"),
    Check("grant_default_expires_in", "How long does a client_credentials token live without expires_in?",
          key="grant_default_expires_in"),
    Check("grant_client_credentials_refresh", "Does client_credentials issue a refresh token?", where="grants.py"),
    Check("grant_invalid_client", "What exactly does a grant with a wrong secret answer?", where="grants.py"),
    Check("grant_unauthorized_client", "What exactly does client_credentials for a public client answer?",
          where="grants.py"),
    Check("grant_expires_in_floor", "Is expires_in=300 refused (the reference says more than 300)?",
          where="grants.py"),
    Check("grant_refresh_rotation", "Does a refresh rotate the pair (old access token and refresh token dead)?",
          where="grants.py"),
    # -- authentication --------------------------------------------------------------------------
    Check("missing_scope_403", "What exactly does a write with a read-only token answer?", where="auth.py"),
    Check("unauthenticated_401", "What exactly does a request without Authorization answer?", where="auth.py"),
    Check("revoked_token_401", "What exactly does a request with a revoked token answer?", where="auth.py"),
    Check("forbidden_shape", "Which 403 body does a non-admin get (flat or nested)?", key="forbidden_shape"),
    # -- every answer ----------------------------------------------------------------------------
    Check("date_header", "Does every answer carry a Date header, and how far is it from our clock?",
          where="server.py"),
    Check("rate_limit_per_minute", "How many requests a minute does the account allow (X-Rate-Limit)?",
          key="rate_limit_per_minute"),
    Check("rate_limit_body", "Is a 429 body JSON or text?", key="rate_limit_body"),
]

NOT_OBSERVABLE = {
    "offset_limit": "needs more than 10,000 clients; the suite never makes that many",
    "forbidden_shape": "needs a non-admin user's credential; the suite runs with an admin's only",
}


def evidence(request, answer, keep_body=None):
    """Status and, for an error (or when asked), the body as Zendesk sent it."""
    found = {"request": request, "status": answer.status}
    if keep_body or (keep_body is None and answer.status >= 400):
        body = answer.body
        if isinstance(body, str) and len(body) > 1000:
            body = body[:1000] + "..."
        found["body"] = body
    return found


def secret_shape(value, full):
    """How a secret read back compares to the full one: the simulator's client_secret_on_read choices."""
    if value is None:
        return "null"
    if not isinstance(value, str):
        return "other (%s)" % type(value).__name__
    if value == full:
        return "full"
    if value and set(value) == {"*"}:
        return "masked"
    if value.endswith("...") and full.startswith(value[:-3]):
        return "truncated" if len(value) == 18 else "truncated (%d chars before ...)" % (len(value) - 3)
    return "other (%d chars)" % len(value)


def seconds_between(start, end):
    try:
        first = datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        last = datetime.strptime(end, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None
    return int((last - first).total_seconds())


def url_shape(url, record_id):
    """A record's url with the host and the id replaced: https://<host>/api/v2/oauth/clients/<id>.json."""
    if not isinstance(url, str):
        return url
    shape = re.sub(r"^https?://[^/]+", "<scheme>://<host>", url)
    return shape.replace(str(record_id), "<id>")


class Probe:
    """Asks the account every open question it can, with clients named ``prefix``probe-...; see ``run``."""

    def __init__(self, account, prefix, say=print):
        self.account = account
        self.prefix = prefix
        self.say = say
        self.found = {}  # check id -> {"observed": ..., "evidence": ...}
        self.client_url = None

    def note(self, check_id, observed, **evidence_items):
        entry = {"observed": observed}
        if evidence_items:
            entry["evidence"] = evidence_items
        self.found[check_id] = entry

    def skip(self, check_id, why):
        self.found.setdefault(check_id, {"observed": NOT_OBSERVED, "why": why})

    def create_client(self, suffix, **fields):
        body = {"client": dict({"identifier": self.prefix + suffix, "name": "%s%s (zendesk.oauth live suite)"
                                % (self.prefix, suffix)}, **fields)}
        return self.account.call("POST", CLIENTS, body=body)

    def grant(self, **body):
        return self.account.call("POST", GRANT, body=body, auth=False)

    def run(self):
        """Every probe, in an order where each leaves what the next needs; a failed step skips its dependants."""
        confidential = self._clients()
        if confidential is not None:
            self._pagination()
            admin_token = self._minted_token(confidential)
            self._grants(confidential, admin_token)
            self._deletion(confidential)
        for check in CHECKS:
            if check.id in NOT_OBSERVABLE:
                self.skip(check.id, NOT_OBSERVABLE[check.id])
        return self.found

    # -- clients ---------------------------------------------------------------------------------
    def _clients(self):
        answer = self.create_client("probe-confidential", kind="confidential",
                                    redirect_uri=["https://zendesk-oauth-live.invalid/callback"])
        if answer.status != 201 or not isinstance(answer.record("client"), dict):
            for check_id in [check.id for check in CHECKS]:
                self.skip(check_id, "creating the probe client failed (%s)" % answer.status)
            self.found["probe_setup"] = {"observed": "failed", "evidence": evidence("POST " + CLIENTS, answer, True)}
            return None
        client = answer.record("client")
        secret = client.get("secret") or ""
        self.note("client_secret_length", {"length": len(secret), "hex": bool(re.fullmatch(r"[0-9a-f]+", secret))})
        read = self.account.call("GET", "%s/%d" % (CLIENTS, client["id"]))
        if read.status == 200:
            self.note("client_secret_on_read", secret_shape((read.record("client") or {}).get("secret"), secret))
        else:
            self.skip("client_secret_on_read", "GET of the client answered %s" % read.status)

        kindless = self.create_client("probe-kindless")
        if kindless.status == 201:
            self.note("default_kind", (kindless.record("client") or {}).get("kind"))
        else:
            self.skip("default_kind", "the create without kind answered %s" % kindless.status)

        duplicate = self.create_client("probe-confidential", kind="confidential")
        self.note("duplicate_identifier_422", duplicate.status, **evidence("POST " + CLIENTS, duplicate))
        blank = self.create_client("probe-blank-name", name="")
        self.note("blank_name_422", blank.status, **evidence("POST " + CLIENTS, blank))
        bad_kind = self.create_client("probe-bad-kind", kind="sideways")
        self.note("bad_kind_422", bad_kind.status, **evidence("POST " + CLIENTS, bad_kind))
        relative = self.create_client("probe-relative-uri", redirect_uri=["/callback"])
        self.note("bad_redirect_uri_422", relative.status, **evidence("POST " + CLIENTS, relative))

        if kindless.status == 201:
            kindless_id = kindless.record("client")["id"]
            renamed = self.prefix + "probe-renamed"
            put = self.account.call("PUT", "%s/%d" % (CLIENTS, kindless_id), body={"client": {"identifier": renamed}})
            now = (put.record("client") or {}).get("identifier")
            self.note("identifier_mutable", put.status == 200 and now == renamed,
                      **evidence("PUT %s/<id> {identifier}" % CLIENTS, put))
        else:
            self.skip("identifier_mutable", "no client to rename")
        self.client_url = url_shape(client.get("url"), client["id"])
        client["secret"] = secret
        return client

    # -- pagination ------------------------------------------------------------------------------
    def _pagination(self):
        over = self.account.call("GET", CLIENTS, params={"page[size]": 101})
        if over.status == 400:
            self.note("page_size_over_max", "error", **evidence("GET %s?page[size]=101" % CLIENTS, over))
        elif over.status == 200:
            count = len(over.record("clients") or [])
            self.note("page_size_over_max", "clamp", request="GET %s?page[size]=101" % CLIENTS, status=200,
                      records_on_page=count)
        else:
            self.note("page_size_over_max", "other", **evidence("GET %s?page[size]=101" % CLIENTS, over, True))
        one = self.account.call("GET", CLIENTS, params={"page[size]": 1})
        if one.status == 200 and isinstance(one.body, dict):
            self.note("cursor_page", {
                "records_on_page": len(one.record("clients") or []),
                "meta_keys": sorted((one.record("meta") or {}).keys()),
                "links_keys": sorted((one.record("links") or {}).keys()),
                "has_more": (one.record("meta") or {}).get("has_more"),
            })
        else:
            self.note("cursor_page", "answered %s" % one.status, **evidence("GET %s?page[size]=1" % CLIENTS, one, True))
        plain = self.account.call("GET", CLIENTS)
        if plain.status == 200 and isinstance(plain.body, dict):
            self.note("offset_page", {"keys": sorted(plain.body.keys()),
                                      "records_on_first_page": len(plain.record("clients") or [])})
        else:
            self.note("offset_page", "answered %s" % plain.status, **evidence("GET " + CLIENTS, plain, True))

    # -- a token minted by the admin -------------------------------------------------------------
    def _minted_token(self, client):
        minted = self.account.call("POST", TOKENS, body={"token": {"client_id": client["id"], "scopes": ["read"]}})
        token = minted.record("token") if minted.status == 201 else None
        if not isinstance(token, dict) or not token.get("full_token"):
            for check_id in ("token_refresh_on_create", "token_default_ttl", "token_refresh_ttl", "full_token_length",
                             "token_list_client_filter", "used_at_stamped", "record_urls"):
                self.skip(check_id, "minting a token answered %s" % minted.status)
            return None
        self.note("token_refresh_on_create", bool(token.get("refresh_token")))
        self.note("token_default_ttl", seconds_between(token.get("created_at"), token.get("expires_at")))
        if token.get("refresh_token"):
            self.note("token_refresh_ttl", seconds_between(token.get("created_at"), token.get("refresh_token_expires_at")))
        else:
            self.skip("token_refresh_ttl", "the minted token has no refresh token")
        self.note("full_token_length", {"full_token": len(token["full_token"]), "token": len(token.get("token") or "")})
        self.token_url = url_shape(token.get("url"), token.get("id"))
        self.note("record_urls", {"client": getattr(self, "client_url", None), "token": self.token_url})

        me = self.account.call("GET", USERS_ME, bearer=token["full_token"])
        listed = self.account.call("GET", TOKENS, params={"client_id": client["id"]})
        entries = listed.record("tokens") or []
        others = [entry for entry in entries if entry.get("client_id") != client["id"]]
        self.note("token_list_client_filter", listed.status == 200 and not others,
                  status=listed.status, records=len(entries), other_clients_records=len(others))
        mine = [entry for entry in entries if entry.get("id") == token.get("id")]
        if me.status == 200 and mine:
            self.note("used_at_stamped", mine[0].get("used_at") is not None)
        else:
            self.skip("used_at_stamped", "users/me with the token answered %s" % me.status)

        empty = self.account.call("POST", TOKENS, body={"token": {"client_id": client["id"], "scopes": []}})
        self.note("empty_scopes_422", empty.status, **evidence("POST %s {scopes: []}" % TOKENS, empty))
        return token

    # -- the grant endpoint ----------------------------------------------------------------------
    def _grants(self, client, admin_token):
        identifier, secret = client["identifier"], client["secret"]
        issued = self.grant(grant_type="client_credentials", client_id=identifier, client_secret=secret, scope="read")
        body = issued.body if isinstance(issued.body, dict) else {}
        if issued.status in (200, 201) and body.get("access_token"):
            self.note("grant_status", issued.status)
            self.note("grant_default_expires_in", body.get("expires_in"))
            self.note("grant_client_credentials_refresh", bool(body.get("refresh_token")))
            self._scope_and_revocation(client, body["access_token"])
        else:
            for check_id in ("grant_status", "grant_default_expires_in", "grant_client_credentials_refresh",
                             "missing_scope_403", "revoke_current_status", "revoked_token_401"):
                self.skip(check_id, "client_credentials answered %s" % issued.status)
            self.found["grant_setup"] = {"observed": "failed", "evidence": evidence("POST " + GRANT, issued, True)}

        wrong = self.grant(grant_type="client_credentials", client_id=identifier, client_secret="0" * len(secret),
                           scope="read")
        self.note("grant_invalid_client", wrong.status, **evidence("POST %s (wrong secret)" % GRANT, wrong))
        floor = self.grant(grant_type="client_credentials", client_id=identifier, client_secret=secret, scope="read",
                           expires_in=300)
        self.note("grant_expires_in_floor", floor.status >= 400, **evidence("POST %s expires_in=300" % GRANT, floor))
        if floor.status in (200, 201) and isinstance(floor.body, dict) and floor.body.get("access_token"):
            self.account.call("DELETE", TOKENS + "/current", bearer=floor.body["access_token"])

        public = self.create_client("probe-public", kind="public")
        public_client = public.record("client") if public.status == 201 else None
        if isinstance(public_client, dict) and public_client.get("secret"):
            refused = self.grant(grant_type="client_credentials", client_id=public_client["identifier"],
                                 client_secret=public_client["secret"], scope="read")
            self.note("grant_unauthorized_client", refused.status,
                      **evidence("POST %s (public client)" % GRANT, refused))
        else:
            self.skip("grant_unauthorized_client", "creating a public client answered %s" % public.status)

        self._generate_secret(client)
        if admin_token and admin_token.get("refresh_token"):
            self._refresh(client, admin_token)
        else:
            self.skip("grant_refresh_rotation", "no refresh token was issued with a minted token")

    def _scope_and_revocation(self, client, access_token):
        put = self.account.call("PUT", "%s/%d" % (CLIENTS, client["id"]),
                                body={"client": {"description": "written with a read-only token"}}, bearer=access_token)
        self.note("missing_scope_403", put.status, **evidence("PUT %s/<id> with a read token" % CLIENTS, put))
        revoke = self.account.call("DELETE", TOKENS + "/current", bearer=access_token)
        self.note("revoke_current_status", revoke.status)
        after = self.account.call("GET", USERS_ME, bearer=access_token)
        self.note("revoked_token_401", after.status, **evidence("GET %s with a revoked token" % USERS_ME, after))
        nobody = self.account.call("GET", USERS_ME, auth=False)
        self.note("unauthenticated_401", nobody.status, **evidence("GET %s without Authorization" % USERS_ME, nobody))

    def _generate_secret(self, client):
        rotated = self.account.call("PUT", "%s/%d/generate_secret" % (CLIENTS, client["id"]))
        new = (rotated.record("client") or {}).get("secret") if rotated.status == 200 else None
        if not isinstance(new, str):
            self.skip("generate_secret", "generate_secret answered %s" % rotated.status)
            return
        old = self.grant(grant_type="client_credentials", client_id=client["identifier"], client_secret=client["secret"],
                         scope="read")
        if old.status in (200, 201) and isinstance(old.body, dict) and old.body.get("access_token"):
            self.account.call("DELETE", TOKENS + "/current", bearer=old.body["access_token"])
        self.note("generate_secret", {"new_secret_length": len(new), "differs": new != client["secret"],
                                      "old_secret_refused": old.status >= 400},
                  **evidence("POST %s with the old secret" % GRANT, old))
        client["secret"] = new

    def _refresh(self, client, admin_token):
        first = self.grant(grant_type="refresh_token", client_id=client["identifier"], client_secret=client["secret"],
                           refresh_token=admin_token["refresh_token"])
        body = first.body if isinstance(first.body, dict) else {}
        if first.status not in (200, 201) or not body.get("access_token"):
            self.note("grant_refresh_rotation", "refresh refused", **evidence("POST %s refresh_token" % GRANT, first))
            return
        old_access = self.account.call("GET", USERS_ME, bearer=admin_token["full_token"])
        again = self.grant(grant_type="refresh_token", client_id=client["identifier"], client_secret=client["secret"],
                           refresh_token=admin_token["refresh_token"])
        self.note("grant_refresh_rotation", {
            "status": first.status, "new_refresh_token": bool(body.get("refresh_token")),
            "expires_in": body.get("expires_in"), "refresh_token_expires_in": body.get("refresh_token_expires_in"),
            "old_access_token_status": old_access.status, "old_refresh_token_again_status": again.status,
        }, **evidence("POST %s with the used refresh token" % GRANT, again))
        self.account.call("DELETE", TOKENS + "/current", bearer=body["access_token"])

    # -- deletion ----------------------------------------------------------------------------------
    def _deletion(self, client):
        minted = self.account.call("POST", TOKENS, body={"token": {"client_id": client["id"], "scopes": ["read"]}})
        token = (minted.record("token") or {}).get("full_token") if minted.status == 201 else None
        gone = self.account.call("DELETE", "%s/%d" % (CLIENTS, client["id"]))
        if gone.status not in (200, 204):
            for check_id in ("record_not_found_404", "client_delete_revokes_tokens"):
                self.skip(check_id, "deleting the probe client answered %s" % gone.status)
            return
        read = self.account.call("GET", "%s/%d" % (CLIENTS, client["id"]))
        self.note("record_not_found_404", read.status, **evidence("GET %s/<deleted id>" % CLIENTS, read))
        if token:
            used = self.account.call("GET", USERS_ME, bearer=token)
            self.note("client_delete_revokes_tokens", used.status == 401, status_of_its_token=used.status)
        else:
            self.skip("client_delete_revokes_tokens", "minting a token answered %s" % minted.status)


def findings(found, traffic):
    """The report's entries: one per check, in CHECKS order, plus the simulator config they suggest."""
    found = dict(found)
    _traffic_findings(found, traffic)
    entries, config = [], {}
    for check in CHECKS:
        entry = {"id": check.id, "question": check.question}
        entry.update(found.get(check.id) or {"observed": NOT_OBSERVED, "why": "the probe did not get this far"})
        if check.key:
            entry["simulator_key"] = check.key
            entry["simulator_default"] = DEFAULTS.get(check.key)
            suggested = _suggest(check.key, entry["observed"])
            if suggested is not _NOTHING:
                entry["suggested"] = suggested
                config[check.key] = suggested
        else:
            entry["simulator"] = "fixed in tests/simulator/%s" % check.where
        entries.append(entry)
    return entries, config


_NOTHING = object()
_CHOICES = {"default_kind": ("public", "confidential"), "client_secret_on_read": ("truncated", "null", "masked"),
            "page_size_over_max": ("error", "clamp"), "grant_status": (200, 201), "rate_limit_body": ("text", "json"),
            "forbidden_shape": ("flat", "nested")}


def _suggest(key, observed):
    """The config value an observation stands for, or _NOTHING when it says nothing the simulator can take."""
    if observed == NOT_OBSERVED:
        return _NOTHING
    if key in _CHOICES:
        return observed if observed in _CHOICES[key] else _NOTHING
    if key == "token_refresh_on_create":
        return bool(observed)
    if key in ("token_default_ttl", "grant_default_expires_in", "grant_default_refresh_expires_in",
               "rate_limit_per_minute"):
        return observed if observed is None or isinstance(observed, int) else _NOTHING
    return _NOTHING


def _traffic_findings(found, traffic):
    """What every answer of the run showed: rate-limit headers, Date headers, 429 bodies."""
    if traffic.rate_limits:
        found["rate_limit_per_minute"] = {"observed": max(traffic.rate_limits),
                                          "evidence": {"x_rate_limit_values": sorted(traffic.rate_limits),
                                                       "lowest_remaining": traffic.lowest_remaining}}
    if traffic.dated or traffic.undated:
        skews = traffic.date_skews or [0]
        found["date_header"] = {"observed": {"answers_with_date": traffic.dated, "answers_without": traffic.undated,
                                             "skew_seconds_min": min(skews), "skew_seconds_max": max(skews)}}
    if traffic.too_many:
        body = traffic.too_many[0]["body"].strip()
        found["rate_limit_body"] = {"observed": "json" if body.startswith("{") else "text",
                                    "evidence": traffic.too_many[:3]}
    else:
        found.setdefault("rate_limit_body", {"observed": NOT_OBSERVED,
                                             "why": "no 429 in this run (the budget keeps the run under the limit)"})
