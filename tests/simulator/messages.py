# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Transport-neutral request and response objects, and the error bodies Zendesk answers with.

Handlers take a ``Request`` and return a ``Response`` or raise ``ApiError``; only ``server.py``
knows about sockets.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}
INVALID_ENDPOINT = {"error": "InvalidEndpoint", "description": "Not found"}
BASIC_UNAUTHORIZED = {"error": "Couldn't authenticate you"}
BEARER_UNAUTHORIZED = {
    "error": "invalid_token",
    "error_description": "The access token provided is expired, revoked, malformed or invalid for other reasons.",
}
FORBIDDEN_MESSAGE = "You do not have access to this page. Please contact the account owner of this help desk for further help."
FORBIDDEN_FLAT = {"error": "Forbidden", "description": FORBIDDEN_MESSAGE}
FORBIDDEN_NESTED = {"error": {"title": "Forbidden", "message": FORBIDDEN_MESSAGE}}
RATE_LIMIT_TEXT = "Number of allowed API requests per minute exceeded"
RATE_LIMIT_JSON = {"error": "APIRateLimitExceeded", "description": RATE_LIMIT_TEXT}
INTERNAL_ERROR = {"error": "InternalServerError"}
SERVICE_UNAVAILABLE = {"error": "ServiceUnavailable", "description": "Service temporarily unavailable, try again later"}


class Request:
    """One HTTP request as the handlers see it.

    ``path`` is the path as sent (percent-decoding is left to routing); ``route_path`` has the
    ``.json`` suffix removed; ``query`` is the list of decoded (key, value) pairs, so
    ``page%5Bsize%5D`` and ``page[size]`` arrive alike.
    """

    def __init__(self, method, target, headers, body=b"", scheme="http", default_host="127.0.0.1"):
        self.method = method.upper()
        path, _sep, query_string = target.partition("?")
        self.path = path
        self.route_path = path[:-5] if path.endswith(".json") else path
        self.query_string = query_string
        self.query = parse_qsl(query_string, keep_blank_values=True)
        self.headers = headers
        self.body = body or b""
        self.scheme = scheme
        self.host = headers.get("Host") or default_host
        self.request_id = None
        self.fault = None
        self.user_id = None
        self.auth = "none"

    @property
    def base_url(self):
        """``scheme://host[:port]`` from the Host header, for the absolute URLs Zendesk returns."""
        return "%s://%s" % (self.scheme, self.host)

    def param(self, name, default=None):
        """Last value of a query parameter, or ``default``."""
        value = default
        for key, item in self.query:
            if key == name:
                value = item
        return value

    def has_param(self, name):
        return any(key == name for key, _value in self.query)

    def json(self, form_ok=False):
        """The body as JSON (``{}`` when empty); a form body too when ``form_ok``. 400 if unparsable."""
        if not self.body.strip():
            return {}
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if form_ok and content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, {"error": "InvalidJSON", "description": "The request body is not valid JSON"}) from exc


class Response:
    """What to answer: a status, a JSON-able body (or text, or nothing) and extra headers."""

    def __init__(self, status, body=None, headers=None, text=None):
        self.status = status
        self.body = body
        self.text = text
        self.headers = dict(headers or {})

    def payload(self):
        """(content type, bytes) of the body; 204 and body-less answers are empty."""
        if self.status == 204 or (self.body is None and self.text is None):
            return None, b""
        if self.text is not None:
            return "text/plain; charset=utf-8", self.text.encode("utf-8")
        return "application/json; charset=utf-8", json.dumps(self.body).encode("utf-8")


class ApiError(Exception):
    """Raised anywhere in a handler to answer with ``status`` and ``body`` at once."""

    def __init__(self, status, body, headers=None):
        super().__init__("%s %r" % (status, body))
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self):
        return Response(self.status, self.body, self.headers)


def record_invalid(details):
    """422 RecordInvalid with ``details`` = {field: [{"description", "error"}]} (reference §1.5)."""
    return ApiError(422, {"error": "RecordInvalid", "description": "Record validation errors", "details": details})


def field_error(field, message, code, label=None):
    """One entry of a RecordInvalid ``details`` list, worded the Rails way (``Name: cannot be blank``)."""
    label = label or field.replace("_", " ").capitalize()
    return {"description": "%s: %s" % (label, message), "error": code}


def oauth_error(status, error, description):
    """An RFC 6749 style error, as ``/oauth/tokens`` answers (reference §3.5)."""
    return ApiError(status, {"error": error, "error_description": description})
