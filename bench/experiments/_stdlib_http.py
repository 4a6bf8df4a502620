# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EXPERIMENT, not shipped: the part of the requests API that module_utils/_api.py uses, on http.client.

bench/run.py --only experiments copies the collection, puts this file next to _api.py and points
_api.py's `import requests` at it, to measure what a module task would cost without importing
requests (urllib3, charset_normalizer, idna, certifi, cookies...). Enough for the benchmark
against the plain-http simulator; TLS options are passed to ssl but not exercised here.
"""

from __future__ import annotations

import http.client
import json as jsonlib
import socket
import ssl
from urllib.parse import urlencode, urlsplit


class _Exceptions(object):
    class RequestException(IOError):
        pass

    class ConnectionError(RequestException):  # pylint: disable=redefined-builtin
        pass

    class SSLError(ConnectionError):
        pass

    class Timeout(RequestException):
        pass

    class ConnectTimeout(ConnectionError, Timeout):
        pass

    class ReadTimeout(Timeout):
        pass


exceptions = _Exceptions


class HTTPAdapter(object):
    def __init__(self, max_retries=0):
        self.max_retries = max_retries


class _Headers(dict):
    """Case-insensitive get, as requests' CaseInsensitiveDict."""

    def get(self, key, default=None):
        lowered = key.lower()
        for name, value in self.items():
            if name.lower() == lowered:
                return value
        return default


class Response(object):
    def __init__(self, status, headers, content):
        self.status_code = status
        self.headers = headers
        self.content = content

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        return jsonlib.loads(self.content.decode("utf-8"))


class Session(object):
    def __init__(self):
        self.headers = {}
        self.verify = True
        self._connections = {}

    def mount(self, prefix, adapter):
        del prefix, adapter

    def _connection(self, scheme, netloc, timeout):
        key = (scheme, netloc)
        connection = self._connections.get(key)
        if connection is None:
            if scheme == "https":
                context = ssl.create_default_context(cafile=self.verify if isinstance(self.verify, str) else None)
                if self.verify is False:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                connection = http.client.HTTPSConnection(netloc, timeout=timeout, context=context)
            else:
                connection = http.client.HTTPConnection(netloc, timeout=timeout)
            self._connections[key] = connection
        return connection

    def request(self, method, url, params=None, json=None, headers=None, timeout=None, verify=None):
        if verify is not None:
            self.verify = verify
        parts = urlsplit(url)
        target = parts.path or "/"
        query = parts.query
        if params:
            query = (query + "&" if query else "") + urlencode(params)
        if query:
            target += "?" + query
        body = None
        all_headers = dict(self.headers)
        all_headers.update(headers or {})
        if json is not None:
            body = jsonlib.dumps(json).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        connection = self._connection(parts.scheme, parts.netloc, timeout)
        sent = False
        try:
            if connection.sock is None:
                try:
                    connection.connect()
                except socket.timeout as exc:
                    raise exceptions.ConnectTimeout(str(exc)) from exc
                except ssl.SSLError as exc:
                    raise exceptions.SSLError(str(exc)) from exc
                except OSError as exc:
                    raise exceptions.ConnectionError(str(exc)) from exc
            connection.request(method, target, body=body, headers=all_headers)
            sent = True
            answer = connection.getresponse()
            content = answer.read()
        except exceptions.RequestException:
            self._drop(parts)
            raise
        except socket.timeout as exc:
            self._drop(parts)
            raise (exceptions.ReadTimeout if sent else exceptions.ConnectTimeout)(str(exc)) from exc
        except (http.client.HTTPException, OSError) as exc:
            self._drop(parts)
            raise exceptions.ConnectionError(str(exc)) from exc
        if answer.will_close:
            self._drop(parts)
        return Response(answer.status, _Headers(answer.getheaders()), content)

    def _drop(self, parts):
        connection = self._connections.pop((parts.scheme, parts.netloc), None)
        if connection is not None:
            connection.close()
