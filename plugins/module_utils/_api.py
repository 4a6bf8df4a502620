# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Zendesk HTTP API client shared by every module of the collection.

INTERNAL: this file is not a public API of the collection and may change at any time.

Pure Python: no Ansible imports, so it can be used and tested on its own. It owns the base
URL, the Authorization header, one requests.Session per run, timeouts, TLS verification,
bounded retries (honouring Retry-After), pagination and the translation of every failure
into ZendeskError.

Three promises hold for every request, in this one place:
- credentials go only to the base URL: a link Zendesk returns (next page, redirect) is resolved
  against it and refused when it leaves its scheme, host and port; no redirect is followed off
  it, and a POST follows none;
- no secret reaches a message: text taken from an answer is scrubbed of every secret this client
  knows (raw, URL-encoded, JSON-escaped and base64 forms) before it becomes a ZendeskError;
- a list ends: pagination stops with an error on a repeated cursor, and past MAX_CURSOR_PAGES
  (or MAX_OFFSET_PAGES) pages.
"""

from __future__ import annotations

import base64
import json as jsonlib
import random
import time
from email.utils import parsedate_to_datetime

from urllib.parse import quote, quote_plus, urljoin, urlsplit, urlunsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import AuthBase
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as import_error:  # pragma: no cover - exercised through missing_required_lib
    requests = HTTPAdapter = None
    AuthBase = object
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = import_error


class HeadersCarryTheCredential(AuthBase):
    """The session's auth: the Authorization header is set by ZendeskClient, so this adds nothing.

    Without an auth object, requests looks the host up in ~/.netrc (or $NETRC) on every request,
    and a matching entry replaces the Authorization header: a user's netrc line for the Zendesk
    host would be sent instead of the credential the task gave. Having one also spares that
    file read on every request.
    """

    def __call__(self, request):
        return request


USER_AGENT = "zendesk.oauth-ansible-collection/0.1.0"

# Methods a retry cannot duplicate: sending them twice leaves the same state as once.
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "PUT", "DELETE"))
RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
AMBIGUOUS_HINT = "The write may have been applied; the state is re-read before anything is sent again"
NO_ANSWER = "no answer within"
DEFAULT_RETRY_AFTER = 10  # seconds, when a 429 carries no Retry-After (Zendesk's Ruby client does the same)
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0

# Pagination bounds. Zendesk serves offset pages only up to record 10,000 (100 pages of 100, then
# 400). Cursor pages have no such cap: the largest account measured (10,000 clients) is 101 pages,
# so 1,000 pages (100,000 records) is ten times that, and a server that keeps answering has_more
# is stopped after at most 1,000 requests instead of running until the task is killed.
MAX_OFFSET_PAGES = 100
MAX_CURSOR_PAGES = 1000

# Redirects: only a GET follows one, only on the base URL, and at most this many in a row.
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))

# What a secret becomes in a message; secrets shorter than this are not scrubbed (they would
# blank out ordinary words), and no real Zendesk credential is that short.
MASK = "********"
MIN_SECRET_LENGTH = 6
DEFAULT_PORTS = {"http": 80, "https": 443}


class ZendeskError(Exception):
    """A request to Zendesk failed; carries what a person needs to act on it."""

    def __init__(self, message, status=None, error=None, description=None, details=None,
                 method=None, path=None, hint=None):
        super(ZendeskError, self).__init__(message)
        self.message = message
        self.status = status
        self.error = error
        self.description = description
        self.details = details
        self.method = method
        self.path = path
        self.hint = hint

    def __str__(self):
        return self.render()

    def render(self):
        """One line: what was asked, what Zendesk answered, what to do."""
        parts = []
        if self.method and self.path:
            parts.append("%s %s" % (self.method, self.path))
        parts.append(self.message)
        text = ": ".join(parts)
        if self.hint:
            text = "%s. %s" % (text.rstrip("."), self.hint)
        return text

    def scrub(self, clean):
        """Pass every text this error carries through clean (a Scrubber); returns self."""
        for name in ("message", "error", "description", "details", "path", "hint"):
            setattr(self, name, clean(getattr(self, name)))
        self.args = (self.message,)
        return self

    def as_dict(self):
        return {
            "status": self.status,
            "error": self.error,
            "description": self.description,
            "details": self.details,
            "method": self.method,
            "path": self.path,
        }


class ZendeskAmbiguousError(ZendeskError):
    """A write may or may not have been applied (timeout, dropped connection, 5xx on POST).

    The caller must re-read the state before doing anything else; the request is never
    re-sent blindly. `settle` is how long to give the server before re-reading: a request
    that timed out may still be in progress there.
    """

    def __init__(self, message, settle=0.0, **kwargs):
        super(ZendeskAmbiguousError, self).__init__(message, **kwargs)
        self.settle = settle


def _details_text(details):
    """Flatten Zendesk's RecordInvalid details into 'field: message; field: message'."""
    if not isinstance(details, dict):
        return None
    out = []
    for field in sorted(details):
        entries = details[field]
        if not isinstance(entries, list):
            entries = [entries]
        for entry in entries:
            if isinstance(entry, dict):
                text = entry.get("description") or entry.get("error") or ""
            else:
                text = str(entry)
            # The field name comes first, as the option to fix (Zendesk's own label may follow it).
            out.append("%s: %s" % (field, text) if text and not text.lower().startswith(field.lower()) else text)
    return "; ".join(t for t in out if t) or None


def error_from_response(status, body, method, path):
    """Turn a non-2xx answer into a ZendeskError whose message says what to do."""
    error = description = details = None
    if isinstance(body, dict):
        raw_error = body.get("error")
        if isinstance(raw_error, dict):  # the nested 403 shape {"error": {"title", "message"}}
            error = raw_error.get("title")
            description = raw_error.get("message")
        else:
            error = raw_error
            description = body.get("description") or body.get("error_description") or body.get("message")
        details = body.get("details")
    elif isinstance(body, str) and body.strip():
        description = body.strip()[:300]

    summary = "%s %s" % (status, error) if error else "HTTP %s" % status
    detail_text = _details_text(details)
    message = summary
    if description:
        message += ": " + description
    if detail_text:
        message += " (" + detail_text + ")"

    hint = None
    if status == 401:
        hint = ("Zendesk did not accept the credentials: check email/api_token (and that token access is "
                "enabled in Admin Center) or oauth_token (it may be expired or revoked)")
    elif status == 403:
        text = (description or "").lower()
        if "scope" in text:
            hint = "The OAuth token lacks a scope this call needs; mint one with the scopes named above"
        else:
            hint = "The authenticated user must be a Zendesk admin to manage OAuth clients and tokens"
    elif status == 404 and error == "InvalidEndpoint":
        hint = "Check url/subdomain: this address does not serve the Zendesk API"
    elif status == 429:
        hint = "Zendesk's rate limit was hit; raise max_retry_wait or run fewer jobs against this account at once"
    return ZendeskError(message, status=status, error=error, description=description, details=details,
                        method=method, path=path, hint=hint)


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    value = str(value).strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


class Scrubber(object):
    """Masks every known secret in text taken from an answer, in each form it may come back in.

    A server (or a proxy in front of it) may echo the request in an error body: the Authorization
    header (base64 of email/token:api_token, or the Bearer token), a JSON body (client_secret,
    refresh_token), or a form or URL that carries them URL-encoded. Call it on a str, or on a parsed
    JSON body (dicts and lists are cleaned recursively, keys too).
    """

    def __init__(self):
        self._forms = []

    def add(self, *secrets):
        """Know more secrets (None and short values are skipped)."""
        forms = set(self._forms)
        for secret in secrets:
            if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
                continue
            raw = secret.encode("utf-8")
            forms.update((secret, quote(secret, safe=""), quote_plus(secret), jsonlib.dumps(secret)[1:-1],
                          base64.b64encode(raw).decode("ascii"), base64.urlsafe_b64encode(raw).decode("ascii"),
                          base64.b64encode(raw).decode("ascii").rstrip("=")))
        # The longest first: one form may contain another (a secret inside the Basic credential).
        self._forms = sorted((form for form in forms if len(form) >= MIN_SECRET_LENGTH), key=len, reverse=True)

    def __call__(self, value):
        if isinstance(value, str):
            for form in self._forms:
                if form in value:
                    value = value.replace(form, MASK)
            return value
        if isinstance(value, dict):
            return dict((self(key), self(item)) for key, item in value.items())
        if isinstance(value, list):
            return [self(item) for item in value]
        return value


def _origin(parts):
    """(scheme, host, port) of a urlsplit result, the port filled in from the scheme; ValueError for a bad port."""
    scheme = (parts.scheme or "").lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)


class ZendeskClient(object):
    """One Zendesk account, one authenticated requests.Session."""

    def __init__(self, base_url, email=None, api_token=None, oauth_token=None, validate_certs=True,
                 ca_path=None, timeout=30, max_retries=5, max_retry_wait=300, sleep=None, warn=None,
                 rng=None):
        if not HAS_REQUESTS:
            raise ZendeskError("the Python library requests is required")
        self.base_url = base_url.rstrip("/")
        self._origin = urlsplit(self.base_url)
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._sleep = sleep or time.sleep
        self._warn = warn or (lambda msg: None)
        self._rng = rng or random.random
        self.waited = 0.0          # seconds slept on retries in this run
        self.request_count = 0     # HTTP requests sent in this run
        self.last_server_time = None  # epoch seconds from the latest Date header seen
        self.last_server_time_at = None  # time.monotonic() when that answer arrived
        self.scrub = Scrubber()
        # True when the latest request() was sent again after an attempt whose answer was lost: a
        # DELETE that then finds nothing (404) most likely took effect the first time.
        self.resent_after_loss = False
        # Called as before_write(method, path, json) just before a request that makes something
        # Zendesk shows only once (a POST, or a PUT that generates a secret) is sent: the
        # oauth_bootstrap role journals it in its store there, so that a run killed before the answer
        # is stored leaves the next run what it needs. An exception it raises stops the request.
        self.before_write = None

        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=0)  # retries are ours: urllib3 must never re-send a POST
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.verify = (ca_path or True) if validate_certs else False
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        self.session.auth = HeadersCarryTheCredential()
        if oauth_token:
            self.session.headers["Authorization"] = "Bearer " + oauth_token
            self.scrub.add(oauth_token)
        elif email and api_token:
            credential = "%s/token:%s" % (email, api_token)
            self.session.headers["Authorization"] = "Basic " + base64.b64encode(credential.encode("utf-8")).decode(
                "ascii")
            self.scrub.add(api_token, credential)

    # -- URLs ---------------------------------------------------------------------------------
    def _url_for(self, path):
        """Absolute URL for one of our API paths ("/api/v2/..."), or for a link Zendesk returned."""
        if path.startswith("/") and not path.startswith("//"):
            return self.base_url + path
        return self.resolve_link(path)

    def resolve_link(self, link, what="link"):
        """The absolute URL of a link from an answer (a next page, a redirect), on the base URL only.

        The link is resolved against the base URL, as a browser would (urljoin); one that leaves the
        base's scheme, host and port, or carries a user name, raises ZendeskError: every request
        carries a credential, and it goes nowhere but the configured account.
        """
        if not isinstance(link, str) or not link.strip():
            raise ZendeskError("Zendesk answered an empty or malformed %s: %r" % (what, self.scrub(link)))
        url = urljoin(self.base_url + "/", link.strip())
        parts = urlsplit(url)
        try:
            same = _origin(parts) == _origin(self._origin) and not (parts.username or parts.password)
        except ValueError:  # a port that is not a number, or out of range
            same = False
        if not same:
            raise ZendeskError(
                "refused to follow the %s %s: it leads away from %s, and requests carry credentials"
                % (what, self.scrub(link.strip()), self.base_url),
                hint="Check url/subdomain: give the address that serves the API itself "
                     "(https://<subdomain>.zendesk.com); a proxy in front of it must rewrite the links it passes on")
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))

    @staticmethod
    def _display_path(url):
        parts = urlsplit(url)
        return parts.path + ("?" + parts.query if parts.query else "")

    # -- one request with retries -------------------------------------------------------------
    def request(self, method, path, params=None, json=None, bearer=None, ok_statuses=(200, 201, 204),
                authenticate=True, secrets=()):
        """Send one API call; returns (status, parsed JSON body or None).

        Retries 429 (waiting Retry-After) for every method, and 5xx / connection failures only
        for methods a retry cannot duplicate. A POST that may have landed raises
        ZendeskAmbiguousError instead. A redirect is followed only by a GET, on the base URL.
        authenticate=False sends no Authorization header at all (an endpoint where the caller
        authenticates itself in the body). secrets: values the body carries (a client secret, a
        refresh token); they, bearer and the client's own credentials are scrubbed from every
        ZendeskError raised here, and from every later one of this client.
        """
        self.scrub.add(bearer, *secrets)
        try:
            return self._request(method, path, params, json, bearer, ok_statuses, authenticate)
        except ZendeskError as exc:
            raise exc.scrub(self.scrub)

    def _request(self, method, path, params, json, bearer, ok_statuses, authenticate):
        """request() minus the scrubbing of its errors."""
        method = method.upper()
        url = self._url_for(path)
        display = self._display_path(url)
        headers = {}
        if json is not None:
            headers["Content-Type"] = "application/json"
        if bearer is not None:
            headers["Authorization"] = "Bearer " + bearer
        if not authenticate:
            headers["Authorization"] = None  # requests drops a header set to None, the session's too
        attempt = redirects = 0
        self.resent_after_loss = False
        if self.before_write is not None and (method == "POST" or display.endswith("/generate_secret")):
            self.before_write(method, display, json)
        while True:
            attempt += 1
            response, reason, sent = self._send(method, url, display, params, json, headers)
            if response is None:  # a transport failure
                if sent and method not in IDEMPOTENT_METHODS:
                    settle = self.timeout if reason.startswith(NO_ANSWER) else 0.0
                    raise ZendeskAmbiguousError(reason, settle=settle, method=method, path=display,
                                                hint=AMBIGUOUS_HINT)
                self.before_retry(attempt, self.backoff(attempt), reason, lambda: ZendeskError(
                    reason, method=method, path=display, hint="Check url/subdomain, the network and timeout"))
                self.resent_after_loss = self.resent_after_loss or bool(sent)
                continue
            status = response.status_code
            if status in REDIRECT_STATUSES:
                url = self._redirect_target(response, method, display, redirects)
                display, params, redirects, attempt = self._display_path(url), None, redirects + 1, attempt - 1
                continue
            body = _parse_body(response)
            if status in ok_statuses:
                return status, body
            error = error_from_response(status, self.scrub(body), method, display)
            if status not in RETRY_STATUSES:
                raise error
            if status != 429 and method not in IDEMPOTENT_METHODS:
                raise ZendeskAmbiguousError(error.message, status=status, error=error.error,
                                            description=error.description, details=error.details,
                                            method=method, path=display, hint=AMBIGUOUS_HINT)
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is None:
                wait = DEFAULT_RETRY_AFTER if status == 429 else self.backoff(attempt)
            label = "%s %s" % (status, "rate limited" if status == 429 else "server error")
            self.before_retry(attempt, wait, label, lambda err=error: err)

    def _redirect_target(self, response, method, display, redirects):
        """Where a redirect answer leads, when it may be followed; else ZendeskError saying why not.

        Only a GET follows one, on the base URL only, MAX_REDIRECTS in a row at most: a POST would
        carry its body (a client secret, a refresh token) and be sent again, and any request carries
        the account's credential.
        """
        status, location = response.status_code, response.headers.get("Location")
        where = self.scrub(location) if location else "no Location"
        hint = ("Check url/subdomain: give the address that serves the API itself (https://<subdomain>.zendesk.com), "
                "so that no redirect is needed")
        if method != "GET":
            raise ZendeskError("%s redirect to %s was not followed: a %s never follows a redirect (it carries a "
                               "credential or secret, and would be sent again)" % (status, where, method),
                               status=status, method=method, path=display, hint=hint)
        if not location or redirects >= MAX_REDIRECTS:
            raise ZendeskError("%s redirect to %s was not followed (%d redirects in a row at most)"
                               % (status, where, MAX_REDIRECTS), status=status, method=method, path=display, hint=hint)
        try:
            return self.resolve_link(location, what="redirect")
        except ZendeskError as exc:
            exc.status, exc.method, exc.path = status, method, display
            raise

    def _send(self, method, url, display, params, json, headers):
        """One HTTP exchange: (response, None, None), or (None, reason, whether the request may have been sent)."""
        self.request_count += 1
        try:
            # verify is passed on every call: requests would otherwise let REQUESTS_CA_BUNDLE or
            # CURL_CA_BUNDLE from the environment replace ca_path and validate_certs=false.
            # Redirects are ours to judge (_redirect_target): requests would re-send a 307/308 POST
            # with its body to wherever the Location points.
            response = self.session.request(method, url, params=params, json=json, headers=headers,
                                            timeout=self.timeout, verify=self.session.verify, allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            raise ZendeskError(
                "TLS verification failed for %s: %s" % (self.base_url, self._short(exc)), method=method, path=display,
                hint="Give ca_path the CA bundle that signed the server certificate, or (insecure) "
                     "validate_certs: false")
        except requests.exceptions.ConnectTimeout:
            return None, "connection timed out after %ss" % self.timeout, False
        except requests.exceptions.ReadTimeout:
            return None, "%s timeout=%ss" % (NO_ANSWER, self.timeout), True
        except requests.exceptions.ConnectionError as exc:
            return None, "connection failed: %s" % self._short(exc), not _never_connected(exc)
        except requests.exceptions.RequestException as exc:
            raise ZendeskError("request failed: %s" % self._short(exc), method=method, path=display)
        except OSError as exc:  # e.g. a CA bundle that vanished after the options were checked
            raise ZendeskError("request failed: %s" % self._short(exc), method=method, path=display)
        self._note_server_time(response)
        return response, None, None

    def _short(self, exc):
        text = self.scrub(str(exc))
        return text if len(text) <= 300 else text[:297] + "..."

    def backoff(self, attempt):
        """Capped exponential backoff with jitter (half to full of the step)."""
        step = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempt - 1)))
        return step * (0.5 + self._rng() / 2.0)

    def before_retry(self, attempt, wait, reason, make_error, then="retrying"):
        """Sleep before the next attempt, or raise once a bound is reached; `then` says what follows the wait."""
        if attempt > self.max_retries:
            err = make_error()
            err.hint = (err.hint + ". " if err.hint else "") + "Gave up after %d attempts (max_retries=%d)" % (
                attempt, self.max_retries)
            raise err
        if self.waited + wait > self.max_retry_wait:
            err = make_error()
            err.hint = ((err.hint + ". " if err.hint else "")
                        + "Waiting %.0fs more would exceed max_retry_wait=%ss (already waited %.0fs); raise "
                          "max_retry_wait to wait longer" % (wait, self.max_retry_wait, self.waited))
            raise err
        self._warn("Zendesk API: %s; %s in %.1fs (attempt %d of %d)"
                   % (reason, then, wait, attempt + 1, self.max_retries + 1))
        self.waited += wait
        self._sleep(wait)

    def _note_server_time(self, response):
        date = response.headers.get("Date")
        if date:
            try:
                self.last_server_time = parsedate_to_datetime(date).timestamp()
            except (TypeError, ValueError, IndexError):
                return
            self.last_server_time_at = time.monotonic()

    def server_time_at(self, moment):
        """A lower bound of Zendesk's clock at `moment` (a time.monotonic() value), from the latest Date seen.

        The Date was stamped at or before the answer arrived, and both clocks run at the same rate, so
        Zendesk's clock at `moment` was at least Date + (moment - arrival), before or after the
        answer alike. None when no answer carried a Date.
        """
        if self.last_server_time is None or self.last_server_time_at is None:
            return None
        return self.last_server_time + (moment - self.last_server_time_at)

    # -- conveniences -------------------------------------------------------------------------
    def get(self, path, params=None, **kwargs):
        return self.request("GET", path, params=params, **kwargs)[1]

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)[1]

    def put(self, path, json=None, **kwargs):
        return self.request("PUT", path, json=json, **kwargs)[1]

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)[1]

    def paginate(self, path, key, params=None, page_size=100):
        """Yield every record of a list endpoint, page by page, lazily (stop early by breaking).

        Cursor pagination is asked for (page[size]); the next page is asked for with page[after] on
        our own path, or, without an after_cursor, by following links.next. An answer in offset
        style (next_page) is followed too. Every link goes through resolve_link (the base URL
        only). A cursor or link that comes back a second time, or a list longer than
        MAX_CURSOR_PAGES (offset: MAX_OFFSET_PAGES) pages, raises ZendeskError.
        """
        first_query = dict(params or {})
        first_query["page[size]"] = page_size
        target, query, seen, pages = path, first_query, set(), 0
        while True:
            body = self.request("GET", target, params=query)[1] or {}
            pages += 1
            yield from body.get(key) or []
            meta = body.get("meta")
            if isinstance(meta, dict) and "has_more" in meta:
                if not meta.get("has_more"):
                    return
                limit, style = MAX_CURSOR_PAGES, "cursor"
                if meta.get("after_cursor"):
                    marker = meta["after_cursor"]
                    if not isinstance(marker, str):
                        raise ZendeskError("Zendesk answered a malformed after_cursor: %r" % (self.scrub(marker),),
                                           method="GET", path=path)
                    target, query = path, dict(first_query, **{"page[after]": marker})
                else:
                    marker = (body.get("links") or {}).get("next")
                    if not marker:
                        return
                    target, query = self.resolve_link(marker, what="next page link"), None
            else:
                marker = body.get("next_page")
                if not marker:
                    return
                limit, style = MAX_OFFSET_PAGES, "offset"
                target, query = self.resolve_link(marker, what="next page link"), None
            if marker in seen:
                raise ZendeskError(
                    "pagination loop: Zendesk answered the same next page (%s) twice, after %d pages"
                    % (self.scrub(marker), pages), method="GET", path=path,
                    hint="Check url: a server that hands out the same cursor again is not behaving as Zendesk does")
            if pages >= limit:
                raise ZendeskError(
                    "pagination stopped after %d %s pages (%d records at most): Zendesk still answered that there "
                    "is more" % (pages, style, pages * page_size), method="GET", path=path,
                    hint="This collection reads at most %d cursor pages (%d offset pages, Zendesk's own cap) of one "
                         "list. Check url: a list that never ends is not Zendesk's"
                         % (MAX_CURSOR_PAGES, MAX_OFFSET_PAGES))
            seen.add(marker)


def _never_connected(exc):
    """True when a ConnectionError happened before any byte of the request was sent."""
    seen = set()
    cause = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        name = type(cause).__name__
        if name in ("NewConnectionError", "NameResolutionError", "ConnectTimeoutError"):
            return True
        if isinstance(cause, ConnectionRefusedError):
            return True
        nested = getattr(cause, "reason", None)
        if nested is None and getattr(cause, "args", None):
            nested = cause.args[0] if isinstance(cause.args[0], BaseException) else None
        cause = nested or cause.__cause__ or cause.__context__
    return False


def _parse_body(response):
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text
