# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP side: routing, the per-request pipeline (rate limit → fault → handler → log), the
socket handler (HTTP/1.1 keep-alive, Content-Length always, dropped connections) and ``Simulator``.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import api, control, grants
from .auth import auth_kind
from .faults import FaultInjector
from .messages import (INTERNAL_ERROR, INVALID_ENDPOINT, NOT_FOUND, RATE_LIMIT_JSON, RATE_LIMIT_TEXT,
                       SERVICE_UNAVAILABLE, ApiError, Request, Response)
from .state import State, iso

CONTROL_PREFIX = "/_sim/"
IDLE_TIMEOUT = 120


def _compile(routes):
    return [(method, re.compile(pattern + r"\Z"), handler) for method, pattern, handler in routes]


DATA_ROUTES = _compile(api.ROUTES + grants.ROUTES)
CONTROL_ROUTES = _compile(control.ROUTES)


def _route(routes, request):
    for method, pattern, handler in routes:
        match = pattern.match(request.route_path)
        if match and method == request.method:
            return handler, match.groupdict()
    return None, None


class Outcome:
    """What the socket handler must do: send ``response``, or close without a word (``drop``)."""

    def __init__(self, response=None, drop=False):
        self.response = response
        self.drop = drop


class App:
    """The simulator minus sockets: turns a Request into an Outcome."""

    def __init__(self, state, faults, shutdown_callback=None):
        self.state = state
        self.faults = faults
        self._shutdown_callback = shutdown_callback

    def request_shutdown(self):
        if self._shutdown_callback is not None:
            self._shutdown_callback()

    def handle(self, request):
        if request.route_path.startswith(CONTROL_PREFIX):
            return Outcome(self._control(request))
        return self._data(request)

    # ------------------------------------------------------------------ control plane
    def _control(self, request):
        handler, params = _route(CONTROL_ROUTES, request)
        if handler is None:
            return Response(404, INVALID_ENDPOINT)
        with self.state.lock:
            try:
                response = handler(self, request, **params)
            except ApiError as exc:
                response = exc.response()
            self.state.save_if_dirty()
        return response

    # ------------------------------------------------------------------ data plane
    def _data(self, request):
        request.request_id = secrets.token_hex(16)
        request.auth = auth_kind(request)
        with self.state.lock:
            rate = self.faults.count_request()
            fault = None if rate.retry_after else self.faults.pick(request)
            kind = fault["fault"] if fault else None
            request.fault = kind
            early = self._early_answer(rate, fault)
            if early is not None or kind == "drop":
                self._log(request, early.status if early else None)
                return Outcome(self._finish(early, rate, request) if early else None, drop=kind == "drop")
        if kind == "slow":
            delay = fault["delay"] if fault["delay"] is not None else self.state.config["slow_delay"]
            time.sleep(float(delay))
        with self.state.lock:
            handler, params = _route(DATA_ROUTES, request)
            if handler is None:
                response = Response(404, INVALID_ENDPOINT)
            else:
                try:
                    response = handler(self.state, request, **params)
                except ApiError as exc:
                    response = exc.response()
            self.state.save_if_dirty()
            if kind == "ambiguous":
                # the write is committed; the answer is lost on the way
                self._log(request, None)
                return Outcome(drop=True)
            self._log(request, response.status)
        return Outcome(self._finish(response, rate, request))

    def _early_answer(self, rate, fault):
        """A response that replaces the handler (rate limit, 500/503/429 faults), or None."""
        config = self.state.config
        if rate.retry_after:
            return self._too_many(rate.retry_after)
        kind = fault["fault"] if fault else None
        if kind == "500":
            return Response(500, INTERNAL_ERROR)
        if kind == "404":  # the record vanished just before this request (a concurrent delete)
            return Response(404, NOT_FOUND)
        if kind == "redirect":
            return Response(fault["status"], None, {"Location": fault["location"]})
        if kind == "503":
            headers = {"Retry-After": str(fault["retry_after"])} if fault["retry_after"] is not None else {}
            return Response(503, SERVICE_UNAVAILABLE, headers)
        if kind == "429":
            retry_after = fault["retry_after"] if fault["retry_after"] is not None else config["retry_after"]
            return self._too_many(retry_after)
        return None

    def _too_many(self, retry_after):
        headers = {"Retry-After": str(int(retry_after))}
        if self.state.config["rate_limit_body"] == "json":
            return Response(429, RATE_LIMIT_JSON, headers)
        return Response(429, None, headers, text=RATE_LIMIT_TEXT)

    def _finish(self, response, rate, request):
        if self.state.config["echo_request"] and response.status >= 400:
            response = _echo_request(response, request)
        response.headers.update(rate.headers())
        if response.status == 429:
            response.headers["X-Rate-Limit-Remaining"] = "0"
        response.headers["X-Zendesk-API-Version"] = "v2"
        response.headers["X-Request-Id"] = request.request_id
        return response

    def _log(self, request, status):
        try:
            body = json.loads(request.body.decode("utf-8")) if request.body.strip() else None
        except (UnicodeDecodeError, ValueError):
            body = request.body.decode("utf-8", "replace")
        self.state.log_request({
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "params": dict(request.query),
            "status": status,
            "user_id": request.user_id,
            "auth": request.auth,
            "fault": request.fault,
            "time": iso(self.state.clock.now()),
            "request_id": request.request_id,
            "body": body,
        })


def _echo_request(response, request):
    """A copy of an error answer that repeats the request: its headers (Authorization included) and body.

    Hostile config ``echo_request``: some servers and proxies do this; the client must never show it.
    """
    headers = "; ".join("%s: %s" % (name, value) for name, value in request.headers.items())
    body = request.body.decode("utf-8", "replace")
    echo = "[request %s %s; headers: %s; body: %s]" % (request.method, request.path, headers, body)
    if response.text is not None or not isinstance(response.body, dict):
        text = response.text if response.text is not None else json.dumps(response.body)
        return Response(response.status, None, response.headers, text="%s %s" % (text, echo))
    body = dict(response.body)
    for key in ("description", "error_description"):
        if key in body or key == "description":
            body[key] = ("%s %s" % (body.get(key) or "", echo)).strip()
    return Response(response.status, body, response.headers)


class _Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 so a requests.Session keeps it alive across calls."""

    protocol_version = "HTTP/1.1"
    server_version = "ZendeskSimulator/1.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # headers and body leave in two writes: no 40 ms delayed-ACK stall

    def version_string(self):
        return self.server_version

    def date_time_string(self, timestamp=None):
        """The Date header follows the simulated clock, as token expiry does (clients compare the two)."""
        return super().date_time_string(self.server.app.state.clock.now() if timestamp is None else timestamp)

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def do_GET(self):  # pylint: disable=invalid-name
        self._handle()

    def do_POST(self):  # pylint: disable=invalid-name
        self._handle()

    def do_PUT(self):  # pylint: disable=invalid-name
        self._handle()

    def do_PATCH(self):  # pylint: disable=invalid-name
        self._handle()

    def do_DELETE(self):  # pylint: disable=invalid-name
        self._handle()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Silent: the request log lives in ``/_sim/requests``."""

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self):
        body = self._read_body()
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        host, port = self.server.server_address[:2]
        request = Request(self.command, self.path, self.headers, body, scheme, "%s:%s" % (host, port))
        outcome = self.server.app.handle(request)
        if outcome.drop:
            self.close_connection = True
            return
        response = outcome.response
        content_type, payload = response.payload()
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    """Tracks open connections so ``stop`` can cut keep-alive connections too."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app):
        self.app = app
        self.open_connections = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):
        with self._connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        """Client went away mid-request (or TLS failed): nothing to report."""

    def close_all(self):
        with self._connections_lock:
            connections = list(self.open_connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Simulator:
    """A Zendesk simulator on ``host:port`` (0 = any free port), served from a daemon thread.

    ``state_file``: load at start if present, save atomically after every change.
    ``config``: start config (see README.md); ``/_sim/reset`` returns to it.
    ``tls_cert``/``tls_key``: serve HTTPS.
    """

    def __init__(self, host="127.0.0.1", port=0, state_file=None, config=None, tls_cert=None, tls_key=None):
        self.host = host
        self.port = port
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.state = State(config=config, state_file=state_file)
        self.faults = FaultInjector(self.state)
        self.app = App(self.state, self.faults, self._shutdown_soon)
        self._server = None
        self._thread = None
        self._stopped = threading.Event()

    @property
    def url(self):
        if self._server is None:
            return None
        scheme = "https" if self.tls_cert else "http"
        return "%s://%s:%d" % (scheme, self.host, self.port)

    def start(self):
        """Bind and serve in a daemon thread; returns the base URL."""
        if self._server is not None:
            return self.url
        server = _Server((self.host, self.port), self.app)
        if self.tls_cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls_cert, self.tls_key)
            server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        self.port = server.server_address[1]
        self._stopped.clear()
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="zendesk-simulator", daemon=True)
        self._thread.start()
        self.state.save_if_dirty()
        return self.url

    def stop(self):
        """Stop serving, cut open connections, and save the state file."""
        server = self._server
        if server is not None:
            server.shutdown()
            server.close_all()
            server.server_close()
            self._thread.join(timeout=5)
            self._server = None
        self.state.save_if_dirty()
        self._stopped.set()

    def _shutdown_soon(self):
        """Stop from a request thread, after its answer has had time to leave."""
        def later():
            time.sleep(0.2)
            self.stop()
        threading.Thread(target=later, name="zendesk-simulator-stop", daemon=True).start()

    def wait(self, timeout=None):
        """Block until stopped (``/_sim/shutdown`` or ``stop``) or ``timeout`` seconds; True if stopped."""
        return self._stopped.wait(timeout)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()
