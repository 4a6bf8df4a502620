# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``SimulatorControl``: a small urllib client for the ``/_sim/`` control plane.

For tests and helper scripts only; the collection's plugins never import it.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request


class SimulatorControlError(Exception):
    """The control plane answered with an error status."""

    def __init__(self, status, body):
        super().__init__("simulator control call failed: %s %s" % (status, body))
        self.status = status
        self.body = body


class SimulatorControl:
    """``SimulatorControl("http://127.0.0.1:PORT")``; for HTTPS with a test certificate pass
    ``verify=False`` or an ``ssl_context``."""

    def __init__(self, base_url, timeout=30, verify=True, ssl_context=None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        if ssl_context is None and not verify:
            ssl_context = ssl.create_default_context()
            ssl_context.check_hostname = False
            ssl_context.verify_mode = ssl.CERT_NONE
        self.ssl_context = ssl_context

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.ssl_context) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                detail = json.loads(raw.decode("utf-8"))
            except ValueError:
                detail = raw.decode("utf-8", "replace")
            raise SimulatorControlError(exc.code, detail) from None
        return json.loads(raw.decode("utf-8")) if raw else None

    # ------------------------------------------------------------------ inspection
    def state(self):
        """``{"users", "clients" (full secrets), "tokens" (full tokens), "revoked_tokens", "counters", "clock"}``."""
        return self._call("GET", "/_sim/state")

    def requests(self):
        """The request log entries (list of dicts), oldest first."""
        return self._call("GET", "/_sim/requests")["requests"]

    def clear_requests(self):
        self._call("DELETE", "/_sim/requests")

    def config(self):
        return self._call("GET", "/_sim/config")["config"]

    def clock(self):
        """``{"clock": iso, "epoch": float, "offset": float}``."""
        return self._call("GET", "/_sim/clock")

    # ------------------------------------------------------------------ steering
    def reset(self, config=None):
        """Fresh account; config back to the start config plus ``config``. Returns the config."""
        return self._call("POST", "/_sim/reset", {"config": config} if config else {})["config"]

    def set_config(self, **changes):
        """Merge ``changes`` into the config; returns the new config."""
        return self._call("PATCH", "/_sim/config", changes)["config"]

    def queue_faults(self, faults):
        """Queue one-shot faults (list of ``{"method", "path" | "path_regex", "fault", "count", ...}``)."""
        return self._call("POST", "/_sim/faults", {"faults": list(faults)})

    def pending_faults(self):
        return self._call("GET", "/_sim/faults")["pending"]

    def clear_faults(self):
        self._call("DELETE", "/_sim/faults")

    def seed(self, clients=0, tokens_per_client=0, prefix="bulk", **extra):
        """Bulk-create records; returns ``{"client_ids", "token_ids", "clients", "tokens"}`` (full secrets)."""
        body = dict(extra, clients=clients, tokens_per_client=tokens_per_client, prefix=prefix)
        return self._call("POST", "/_sim/seed", body)

    def advance_clock(self, seconds):
        """Move the simulated clock forward; returns the new clock."""
        return self._call("POST", "/_sim/clock", {"advance": seconds})

    def mint_code(self, client_identifier, user_id=None, scope="read", redirect_uri=None,
                  code_challenge=None, code_challenge_method=None):
        """An authorization code for ``grant_type=authorization_code`` (valid 120 simulated seconds)."""
        body = {"client_identifier": client_identifier, "scope": scope}
        for key, value in (("user_id", user_id), ("redirect_uri", redirect_uri), ("code_challenge", code_challenge),
                           ("code_challenge_method", code_challenge_method)):
            if value is not None:
                body[key] = value
        return self._call("POST", "/_sim/codes", body)["code"]

    def shutdown(self):
        """Ask the simulator to stop (it saves its state file first)."""
        self._call("POST", "/_sim/shutdown")
