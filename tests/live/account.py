# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live suite's own calls to the account (always through the guard's door), and the clean-up.

``Account`` is a small JSON client: it authenticates as the admin, waits ``Retry-After`` on a 429
and tries again (three times at most), and never sends a write twice. ``prefixed_clients`` and
``clean`` are the only code that decides what to remove: clients whose identifier starts with the
prefix, their tokens first (only tokens whose ``client_id`` is one of those clients).

Standard library only; Python 3.9+.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, urlencode, urlsplit

from guard import CALLER_TIMEOUT, retry_after_seconds

CLIENTS = "/api/v2/oauth/clients"
TOKENS = "/api/v2/oauth/tokens"
MAX_RATE_LIMIT_RETRIES = 3


class Answer:
    """One answer: status, headers (case-insensitive), parsed body (JSON, else text, else None)."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def record(self, key):
        return self.body.get(key) if isinstance(self.body, dict) else None

    def __repr__(self):
        return "<Answer %s>" % self.status


class AccountError(Exception):
    """An answer the live suite could not go on from."""


def admin_authorization(email=None, api_token=None, oauth_token=None):
    if oauth_token:
        return "Bearer " + oauth_token
    raw = ("%s/token:%s" % (email, api_token)).encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


class Account:
    """JSON calls to ``base_url`` (the door) as the admin whose Authorization header is given."""

    def __init__(self, base_url, authorization, sleep=time.sleep):
        self.base_url = base_url.rstrip("/")
        self.authorization = authorization
        self._sleep = sleep

    def call(self, method, path, params=None, body=None, bearer=None, auth=True):
        """Send one request; a 429 is waited out (Retry-After) and sent again, anything else returned."""
        url = self.base_url + path + ("?" + urlencode(params) if params else "")
        headers = {"Accept": "application/json"}
        if bearer is not None:
            headers["Authorization"] = "Bearer " + bearer
        elif auth:
            headers["Authorization"] = self.authorization
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            answer = self._send(urllib.request.Request(url, data=data, headers=headers, method=method))
            if answer.status != 429 or attempt == MAX_RATE_LIMIT_RETRIES:
                return answer
            self._sleep(retry_after_seconds(answer.headers.get("Retry-After")))
        return answer

    @staticmethod
    def _send(request):
        try:
            with urllib.request.urlopen(request, timeout=CALLER_TIMEOUT) as response:  # noqa: S310 (our own door)
                return Answer(response.status, response.headers, _body(response.read()))
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.headers, _body(exc.read()))

    def expect(self, status, method, path, **kwargs):
        answer = self.call(method, path, **kwargs)
        if answer.status != status:
            raise AccountError("%s %s answered %s, not %s: %s" % (method, path, answer.status, status,
                                                                  _brief(answer.body)))
        return answer

    def pages(self, path, key, params=None, page_size=100):
        """Every record of a list endpoint, following the cursor (or offset pages)."""
        query = dict(params or {}, **{"page[size]": page_size})
        while True:
            body = self.expect(200, "GET", path, params=query).body or {}
            yield from body.get(key) or []
            meta = body.get("meta") or {}
            if meta.get("has_more") and meta.get("after_cursor"):
                query = dict(params or {}, **{"page[size]": page_size, "page[after]": meta["after_cursor"]})
            elif "meta" not in body and body.get("next_page"):
                parts = urlsplit(body["next_page"])
                path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
            else:
                return

    def prefixed_clients(self, prefix):
        """The clients whose identifier starts with ``prefix`` (the list is filtered here, at once)."""
        return [client for client in self.pages(CLIENTS, "clients")
                if isinstance(client.get("identifier"), str) and client["identifier"].startswith(prefix)]

    def tokens_of(self, client_id):
        """Every token of one client (all users'); entries of other clients are dropped even if Zendesk sends them."""
        return [token for token in self.pages(TOKENS, "tokens", params={"all": "true", "client_id": client_id})
                if token.get("client_id") == client_id]


def clean(account, prefix, say=print):
    """Remove every client whose identifier starts with ``prefix``: revoke its tokens, delete it.

    Returns {"clients": [identifiers deleted], "tokens": count revoked, "left": [identifiers still there]}.
    """
    done = {"clients": [], "tokens": 0, "left": []}
    for client in account.prefixed_clients(prefix):
        for token in account.tokens_of(client["id"]):
            answer = account.call("DELETE", "%s/%d" % (TOKENS, token["id"]))
            if answer.status in (204, 200):
                done["tokens"] += 1
        answer = account.call("DELETE", "%s/%d" % (CLIENTS, client["id"]))
        if answer.status in (204, 200, 404):
            done["clients"].append(client["identifier"])
        else:
            say("  could not delete client %s (%s): %s" % (client["identifier"], answer.status, _brief(answer.body)))
    done["left"] = [client["identifier"] for client in account.prefixed_clients(prefix)]
    return done


def _body(raw):
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _brief(body):
    text = json.dumps(body) if not isinstance(body, str) else body
    return text if len(text) <= 300 else text[:297] + "..."
