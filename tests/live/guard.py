# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one door between the live suite and a Zendesk account.

Every request of the live suite (its own Python calls and every module of every playbook) goes
through ``GuardProxy``, a plain-HTTP proxy on 127.0.0.1 that forwards to the account. The
playbooks never learn the account's address, so nothing can reach it any other way. At the door:

- ``Policy`` lets through only what touches the run's own records: a client is the run's when its
  identifier starts with the run prefix (learnt from Zendesk's own answers), a token when it
  belongs to such a client or was issued through the door. Anything else is refused with a 403
  that names the rule, before it leaves the machine.
- ``Budget`` spaces requests so that no 60 s window holds more than ``per_minute`` of them, stops
  at ``limit`` requests, and after a 429 holds every request until its ``Retry-After`` has passed.
- ``Traffic`` records what the account answered (status, rate-limit headers, the ``Date``
  header): the report is built from it. It never keeps a body, a header value that could be a
  secret, or anything of a record that is not the run's.

Standard library only; Python 3.9+.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import http.client
import json
import re
import ssl
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

DEFAULT_RETRY_AFTER = 10  # seconds to hold after a 429 without a usable Retry-After
WINDOW = 60.0  # seconds: Zendesk counts requests per minute
WAIT_SLICE = 1.0  # seconds: a held request checks this often whether the run is stopping
UPSTREAM_TIMEOUT = 60.0
# How long a caller of the door must be ready to wait for an answer: the door may hold a request for
# up to a minute to keep to the budget, then Zendesk has UPSTREAM_TIMEOUT to answer.
CALLER_TIMEOUT = int(WINDOW + UPSTREAM_TIMEOUT + 30)
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}

_CLIENT = re.compile(r"^/api/v2/oauth/clients/(\d+)$")
_SECRET = re.compile(r"^/api/v2/oauth/clients/(\d+)/generate_secret$")
_TOKEN = re.compile(r"^/api/v2/oauth/tokens/(\d+)$")


class CapReached(Exception):
    """The run has sent as many requests as it may."""


class Dropped(Exception):
    """A request held for the budget whose run stopped meanwhile."""


def fingerprint(token):
    """What the door keeps of a token it saw issued: enough to recognise it, useless to anyone else."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def retry_after_seconds(value):
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); DEFAULT_RETRY_AFTER if unusable."""
    if value:
        value = value.strip()
        if value.isdigit():
            return int(value)
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError, IndexError):
            pass
    return DEFAULT_RETRY_AFTER


class Call:
    """One request as the policy sees it."""

    def __init__(self, method, path, query=None, body=None, bearer=None, authorization=False):
        self.method = method.upper()
        path = path.rstrip("/") or "/"
        self.path = path[:-5] if path.endswith(".json") else path
        self.query = dict(query or {})
        self.body = body
        self.bearer = bearer  # the token of an "Authorization: Bearer" header, else None
        self.authorization = authorization  # whether any Authorization header was sent

    @classmethod
    def from_http(cls, method, target, headers, raw_body):
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        auth = headers.get("Authorization") or ""
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        return cls(method, parts.path, query, _parse(raw_body, headers.get("Content-Type")), bearer, bool(auth))

    def __str__(self):
        return "%s %s" % (self.method, self.path)


def _parse(raw, content_type=None):
    """A request or answer body as JSON (or a form), else None."""
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        pass
    if content_type and "form" in content_type:
        return dict(parse_qsl(text, keep_blank_values=True))
    return None


def _field(body, wrapper, name):
    if isinstance(body, dict) and isinstance(body.get(wrapper), dict):
        return body[wrapper].get(name)
    return None


class Policy:
    """What the live suite may do to an account: only touch records that carry ``prefix``.

    With ``creating=False`` (``make test-live-clean``) it may only read and delete: list clients,
    list a prefixed client's tokens, revoke those tokens, delete the client.
    """

    def __init__(self, prefix, creating=True):
        if not prefix:
            raise ValueError("a prefix is required")
        self.prefix = prefix
        self.creating = creating
        self.clients = {}  # id -> identifier of the clients that carry the prefix
        self.tokens = set()  # ids of their tokens
        self.bearers = set()  # fingerprints of tokens issued to them through the door
        self._lock = threading.Lock()

    # -- what is ours -----------------------------------------------------------------------
    def ours(self, identifier):
        return isinstance(identifier, str) and identifier.startswith(self.prefix)

    def client_is_ours(self, client_id):
        with self._lock:
            return _as_int(client_id) in self.clients

    def _bearer_is_ours(self, call):
        return call.bearer is not None and fingerprint(call.bearer) in self.bearers

    # -- the rules ----------------------------------------------------------------------------
    def check(self, call):
        """None when ``call`` may go to Zendesk, else why not (one sentence)."""
        with self._lock:
            return self._check(call)

    def _check(self, call):  # pylint: disable=too-many-return-statements
        method, path = call.method, call.path
        if path == "/api/v2/users/me":
            return None if method == "GET" else "only GET on users/me"
        if path == "/api/v2/oauth/clients":
            if method == "GET":
                return None  # a list: whoever reads it filters it by the prefix before anything else
            if method == "POST" and self.creating:
                if self.ours(_field(call.body, "client", "identifier")):
                    return None
                return "a client is created only with an identifier starting %r" % self.prefix
            return "%s on the client list" % method
        match = _CLIENT.match(path) or _SECRET.match(path)
        if match:
            return self._check_client(call, int(match.group(1)), rotate=match.re is _SECRET)
        if path == "/api/v2/oauth/tokens":
            if method == "GET":
                if _as_int(call.query.get("client_id")) in self.clients:
                    return None
                return "tokens are listed only with client_id of one of this run's clients"
            if method == "POST" and self.creating:
                if _as_int(_field(call.body, "token", "client_id")) in self.clients:
                    return None
                return "a token is minted only for one of this run's clients"
            return "%s on the token list" % method
        if path == "/api/v2/oauth/tokens/current":
            if method in ("GET", "DELETE") and self._bearer_is_ours(call):
                return None
            return "%s on tokens/current needs a token issued to a client of this run" % method
        match = _TOKEN.match(path)
        if match:
            if method in ("GET", "DELETE") and int(match.group(1)) in self.tokens:
                return None
            return "token %s is not one of this run's" % match.group(1)
        if path == "/oauth/tokens":
            if method == "POST" and self.creating and isinstance(call.body, dict) and self.ours(call.body.get("client_id")):
                return None
            return "the grant endpoint only for a client whose identifier starts %r" % self.prefix
        return "%s is not an endpoint of the live suite" % path

    def _check_client(self, call, client_id, rotate):
        if client_id not in self.clients:
            return "client %d is not one of this run's (no identifier starting %r)" % (client_id, self.prefix)
        if rotate:
            return None if call.method == "PUT" and self.creating else "%s on generate_secret" % call.method
        if call.method in ("GET", "DELETE"):
            return None
        if call.method == "PUT" and self.creating:
            renamed = _field(call.body, "client", "identifier")
            return None if renamed is None or self.ours(renamed) else "a client keeps an identifier starting %r" % self.prefix
        return "%s on client %d" % (call.method, client_id)

    # -- learning from Zendesk's answers ---------------------------------------------------
    def learn(self, call, status, body):
        """Remember the records of this run that an answer names (ids of clients, tokens; token fingerprints)."""
        if not isinstance(body, dict) or status >= 300:
            return
        with self._lock:
            for client in _records(body, "client", "clients"):
                if self.ours(client.get("identifier")) and _as_int(client.get("id")) is not None:
                    self.clients[_as_int(client["id"])] = client["identifier"]
            for token in _records(body, "token", "tokens"):
                if _as_int(token.get("client_id")) in self.clients and _as_int(token.get("id")) is not None:
                    self.tokens.add(_as_int(token["id"]))
                    if isinstance(token.get("full_token"), str):
                        self.bearers.add(fingerprint(token["full_token"]))
            if call.path == "/oauth/tokens" and isinstance(body.get("access_token"), str):
                self.bearers.add(fingerprint(body["access_token"]))  # check() let only our clients' grants through


def _records(body, one, many):
    found = []
    if isinstance(body.get(one), dict):
        found.append(body[one])
    if isinstance(body.get(many), list):
        found.extend(record for record in body[many] if isinstance(record, dict))
    return found


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Budget:
    """Spacing of requests: at most ``per_minute`` in any 60 s, at most ``limit`` in all, Retry-After obeyed."""

    def __init__(self, per_minute, limit, clock=time.monotonic, sleep=time.sleep):
        if per_minute < 1 or limit < 1:
            raise ValueError("per_minute and limit must be at least 1")
        self.per_minute = per_minute
        self.limit = limit
        self.count = 0  # requests let through
        self.peak = 0  # most requests in one 60 s window
        self.paced = 0.0  # seconds held to keep within per_minute
        self.held = 0.0  # seconds held after a 429 (Retry-After)
        self._clock = clock
        self._sleep = sleep
        self._recent = []  # clock() of the requests of the last 60 s
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def acquire(self, dropped=None):
        """Wait until one more request may go, and count it; CapReached when ``limit`` is used up.

        The wait goes in slices of at most a second; when ``dropped()`` turns true meanwhile (the run
        is stopping, its caller is gone) it raises Dropped: a held request must not go out late.
        """
        while True:
            with self._lock:
                if self.count >= self.limit:
                    raise CapReached("the run's request cap (%d) is used up" % self.limit)
                now = self._clock()
                self._recent = [stamp for stamp in self._recent if stamp > now - WINDOW]
                pace = self._recent[0] + WINDOW - now if len(self._recent) >= self.per_minute else 0.0
                hold = self._blocked_until - now
                if pace <= 0 and hold <= 0:
                    self._recent.append(now)
                    self.count += 1
                    self.peak = max(self.peak, len(self._recent))
                    return
                wait = min(max(pace, hold), WAIT_SLICE)
                if hold >= pace:
                    self.held += wait
                else:
                    self.paced += wait
            self._sleep(wait)
            if dropped is not None and dropped():
                raise Dropped("the run is stopping")

    def rate_limited(self, seconds):
        """Zendesk answered 429: hold every request for ``seconds``."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)


class Traffic:
    """What the account answered, request by request, minus anything secret or not the run's."""

    def __init__(self, clock=time.time):
        self.calls = []  # [{"n", "t", "method", "path", "status", "refused"}]
        self.rate_limits = set()  # X-Rate-Limit values seen
        self.lowest_remaining = None
        self.dated = 0  # answers with a Date header
        self.undated = 0
        self.date_skews = []  # Date header minus our clock, seconds
        self.too_many = []  # [{"path", "retry_after", "body"}] for every 429
        self.refusals = []  # [{"call", "reason"}]
        self._clock = clock
        self._lock = threading.Lock()

    def note(self, call, status, refused=None, dropped=False):
        """One request: forwarded (``status`` is Zendesk's), refused by the policy or the cap, or dropped."""
        with self._lock:
            self.calls.append({"n": len(self.calls) + 1, "t": round(self._clock(), 3), "method": call.method,
                               "path": call.path, "status": status, "refused": refused, "dropped": dropped})
            if refused:
                self.refusals.append({"call": str(call), "reason": refused})

    def created_clients(self):
        """Whether any client create went to Zendesk (a refused one did not)."""
        with self._lock:
            return any(call["method"] == "POST" and call["path"] == "/api/v2/oauth/clients"
                       and not call["refused"] and not call["dropped"] for call in self.calls)

    def answer(self, call, status, headers, body_text):
        """Record the headers the report needs (``headers``: a case-insensitive mapping)."""
        with self._lock:
            limit = headers.get("X-Rate-Limit")
            if limit and limit.strip().isdigit():
                self.rate_limits.add(int(limit))
            remaining = headers.get("X-Rate-Limit-Remaining")
            if remaining and remaining.strip().isdigit():
                value = int(remaining)
                self.lowest_remaining = value if self.lowest_remaining is None else min(self.lowest_remaining, value)
            date = headers.get("Date")
            if date:
                self.dated += 1
                try:
                    self.date_skews.append(round(email.utils.parsedate_to_datetime(date).timestamp() - self._clock(), 1))
                except (TypeError, ValueError, IndexError):
                    pass
            else:
                self.undated += 1
            if status == 429:
                self.too_many.append({"call": str(call), "retry_after": headers.get("Retry-After"),
                                      "body": body_text[:300]})


class Upstream:
    """Where the account is: base URL, TLS settings."""

    def __init__(self, base_url, validate_certs=True, ca_path=None, timeout=UPSTREAM_TIMEOUT):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("not an http(s) URL: %s" % base_url)
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.base_path = parts.path.rstrip("/")
        self.netloc = parts.netloc
        self.timeout = timeout
        self.context = None
        if self.scheme == "https":
            self.context = ssl.create_default_context(cafile=ca_path)
            if not validate_certs:
                self.context.check_hostname = False
                self.context.verify_mode = ssl.CERT_NONE

    def send(self, method, target, headers, body):
        """One request; (status, [(name, value)], raw body). Raises OSError / HTTPException on failure."""
        if self.scheme == "https":
            connection = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.putrequest(method, self.base_path + target, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", self.netloc)
            for name, value in headers:
                connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.putheader("Connection", "close")
            connection.endheaders(body)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


class GuardProxy:
    """The door: ``start()`` returns ``http://127.0.0.1:PORT``, which the suite uses as the Zendesk URL."""

    def __init__(self, upstream, policy, budget, traffic=None):
        self.upstream = upstream
        self.policy = policy
        self.budget = budget
        self.traffic = traffic or Traffic()
        self._server = None
        self._thread = None
        self._in_flight = 0
        self._idle = threading.Condition()
        self._generation = 0  # drop() moves it on: requests held since then never go out

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    def start(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-guard", daemon=True)
        self._thread.start()
        return self.url

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def drop_held(self):
        """Answer every request that is still held for the budget with a 503 instead of sending it.

        For when the run stops: its playbook is gone, and a create held until after the clean-up
        looked would leave a client behind. Requests that arrive later are served as usual.
        """
        self._generation += 1

    def idle(self, timeout=UPSTREAM_TIMEOUT + 5):
        """Wait until no request is on its way to Zendesk or held (after drop_held and the callers stopped)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def forward(self, method, target, headers, raw_body):
        """(status, [(name, value)], body bytes) for one request that arrived at the door."""
        with self._idle:
            self._in_flight += 1
        try:
            return self._forward(method, target, headers, raw_body)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _forward(self, method, target, headers, raw_body):
        generation = self._generation
        call = Call.from_http(method, target, headers, raw_body)
        refused = self.policy.check(call)
        if refused:
            self.traffic.note(call, 403, refused=refused)
            return _own_answer(403, "LiveGuardRefused", "tests/live guard refused %s: %s" % (call, refused))
        try:
            self.budget.acquire(dropped=lambda: self._generation != generation)
        except CapReached as exc:
            self.traffic.note(call, 503, refused=str(exc))
            return _own_answer(503, "LiveRequestCapReached", "tests/live guard: %s" % exc)
        except Dropped as exc:
            self.traffic.note(call, 503, dropped=True)
            return _own_answer(503, "LiveRunStopping", "tests/live guard: %s" % exc)
        forwarded = [(name, value) for name, value in headers.items() if name.lower() not in HOP_BY_HOP]
        try:
            status, answer_headers, body = self.upstream.send(method, target, forwarded, raw_body)
        except (OSError, http.client.HTTPException) as exc:
            self.traffic.note(call, 502)
            return _own_answer(502, "LiveUpstreamFailed", "tests/live guard: Zendesk did not answer: %s" % exc)
        lookup = http.client.HTTPMessage()
        for name, value in answer_headers:
            lookup[name] = value
        text = _decoded(body, lookup.get("Content-Encoding"))
        if status == 429:
            self.budget.rate_limited(retry_after_seconds(lookup.get("Retry-After")))
        self.traffic.note(call, status)
        self.traffic.answer(call, status, lookup, text)
        self.policy.learn(call, status, _parse(text.encode("utf-8")))
        kept = [(name, value) for name, value in answer_headers if name.lower() not in HOP_BY_HOP]
        return status, kept, body


def _own_answer(status, error, description):
    body = json.dumps({"error": error, "description": description}).encode("utf-8")
    return status, [("Content-Type", "application/json; charset=utf-8")], body


def _decoded(body, encoding):
    """The body as text, for the door's own reading (the caller gets the bytes as they came)."""
    try:
        if encoding and encoding.lower() == "gzip":
            body = gzip.decompress(body)
        elif encoding and encoding.lower() == "deflate":
            body = zlib.decompress(body)
    except (OSError, zlib.error):
        return ""
    return body.decode("utf-8", "replace")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "zendesk-oauth-live-guard"

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, headers, body = self.server.proxy.forward(self.command, self.path, self.headers, raw)
        try:
            # send_response_only: no Date or Server header of ours; the answer carries Zendesk's.
            self.send_response_only(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the caller was stopped while its request was out

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle  # noqa: N815

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        del format, args
