# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rate limiting (reference §6) and fault injection, for data-plane requests only.

Rate limit: a sliding 60 s window on the simulated clock, ``rate_limit_per_minute`` requests;
over it, 429 with ``Retry-After`` = seconds until the oldest counted request leaves the window.

Faults: one-shot faults queued through ``/_sim/faults`` are matched first, in queue order;
otherwise ``fault_rates`` draws one at random (seeded by ``fault_seed`` for reproducible soaks).
"""

from __future__ import annotations

import collections
import math
import random
import re

from .config import FAULT_KINDS, QUEUED_ONLY_FAULT_KINDS, REDIRECT_STATUSES

WINDOW_SECONDS = 60
NOMINAL_LIMIT = 700  # what X-Rate-Limit says while rate limiting is off (Enterprise plan)


class FaultSpecError(ValueError):
    """A queued fault the simulator cannot understand."""


def _strip_path(path):
    path = path.partition("?")[0]
    return path[:-5] if path.endswith(".json") else path


class RateStatus:
    """The outcome of counting one request: the header values, and ``retry_after`` when refused."""

    def __init__(self, limit, remaining, retry_after=None):
        self.limit = limit
        self.remaining = remaining
        self.retry_after = retry_after

    def headers(self):
        return {"X-Rate-Limit": str(self.limit), "X-Rate-Limit-Remaining": str(self.remaining)}


class FaultInjector:
    """Fault queue, random faults and the rate-limit window. Use with ``state.lock`` held."""

    def __init__(self, state):
        self.state = state
        self.queue = []
        self.window = collections.deque()
        self._rng = random.Random()
        self._seed = object()

    def reset(self):
        self.queue = []
        self.window.clear()
        self._seed = object()

    # ------------------------------------------------------------------ rate limit
    def count_request(self):
        """Count one data-plane request against the window; the RateStatus says if it is refused."""
        now = self.state.clock.now()
        while self.window and self.window[0] <= now - WINDOW_SECONDS:
            self.window.popleft()
        limit = self.state.config["rate_limit_per_minute"]
        if limit is not None and len(self.window) >= limit:
            wait = max(1, int(math.ceil(self.window[0] + WINDOW_SECONDS - now)))
            return RateStatus(limit, 0, wait)
        self.window.append(now)
        shown = NOMINAL_LIMIT if limit is None else limit
        return RateStatus(shown, max(0, shown - len(self.window)))

    # ------------------------------------------------------------------ faults
    def add(self, specs):
        """Validate and queue fault specs; returns how many were queued."""
        if not isinstance(specs, list):
            raise FaultSpecError("faults must be a list")
        checked = [self._check(spec) for spec in specs]
        self.queue.extend(checked)
        return len(checked)

    @staticmethod
    def _check(spec):
        if not isinstance(spec, dict):
            raise FaultSpecError("each fault must be an object")
        unknown = set(spec) - {"method", "path", "path_regex", "fault", "count", "retry_after", "delay", "status",
                               "location", "after"}
        if unknown:
            raise FaultSpecError("unknown fault key(s): %s" % ", ".join(sorted(unknown)))
        kind = str(spec.get("fault"))
        kinds = FAULT_KINDS + QUEUED_ONLY_FAULT_KINDS
        if kind not in kinds:
            raise FaultSpecError("fault must be one of %s, got %r" % (", ".join(kinds), spec.get("fault")))
        if kind == "redirect":
            if not isinstance(spec.get("location"), str) or not spec["location"]:
                raise FaultSpecError("a redirect fault needs location, the URL to send the client to")
            if spec.get("status", 307) not in REDIRECT_STATUSES:
                raise FaultSpecError("a redirect's status must be one of %s" % (list(REDIRECT_STATUSES),))
        count = spec.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise FaultSpecError("count must be a positive integer")
        after = spec.get("after", 0)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise FaultSpecError("after must be a non-negative integer (matching requests let through first)")
        checked = {
            "fault": kind,
            "method": spec["method"].upper() if spec.get("method") else None,
            "path": _strip_path(spec["path"]) if spec.get("path") else None,
            "path_regex": spec.get("path_regex"),
            "count": count,
            "after": after,
            "retry_after": spec.get("retry_after"),
            "delay": spec.get("delay"),
            "status": spec.get("status", 307),
            "location": spec.get("location"),
        }
        if checked["path_regex"]:
            try:
                re.compile(checked["path_regex"])
            except re.error as exc:
                raise FaultSpecError("bad path_regex: %s" % exc) from None
        return checked

    @staticmethod
    def _matches(spec, request):
        if spec["method"] and spec["method"] != request.method:
            return False
        if spec["path"] and spec["path"] != request.route_path:
            return False
        if spec["path_regex"] and not re.search(spec["path_regex"], request.route_path):
            return False
        return True

    def pick(self, request):
        """The fault for this request, as a spec dict (``fault``, ``retry_after``, ``delay``), or None."""
        for spec in self.queue:
            if self._matches(spec, request):
                if spec["after"]:
                    spec["after"] -= 1
                    continue
                spec["count"] -= 1
                if spec["count"] <= 0:
                    self.queue.remove(spec)
                return spec
        return self._random_fault()

    def _random_fault(self):
        config = self.state.config
        rates = config["fault_rates"]
        if not any(rates.values()):
            return None
        if config["fault_seed"] != self._seed:
            self._seed = config["fault_seed"]
            self._rng = random.Random(self._seed)
        draw = self._rng.random()
        total = 0.0
        for kind in FAULT_KINDS:
            total += rates.get(kind, 0.0)
            if draw < total:
                return {"fault": kind, "retry_after": None, "delay": None}
        return None

    def pending(self):
        return [dict(spec) for spec in self.queue]
