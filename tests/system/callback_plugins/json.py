# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A test-only ``json`` stdout callback: the whole run as one JSON document on stdout.

ansible-core ships no ``json`` callback (it lives in ansible.posix, which the test venv does not
install), so tests/system/playbook_runner.py puts this directory on ANSIBLE_CALLBACK_PLUGINS.
Like ansible.posix.json it prints every task result in full (what Ansible hands a callback,
so a ``no_log`` task arrives censored) plus the play stats; warnings and exceptions are kept as
text under ``warnings`` / ``exception`` of each result, so tests can read them.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: json
type: stdout
short_description: (tests only) one JSON document for the whole run
description:
  - Prints plays, tasks, per-host results and stats as one JSON document at the end of the run.
"""

import json
import sys

from ansible.plugins.callback import CallbackBase


def _message(event):
    """Plain text of a WarningSummary / ErrorSummary (2.19+) with its chain of causes, or of a plain string."""
    inner = getattr(event, "event", event)
    parts = []
    while inner is not None and len(parts) < 10:
        parts.append(getattr(inner, "msg", None) or str(inner))
        chain = getattr(inner, "chain", None)
        inner = getattr(chain, "event", None)
    return ": ".join(parts)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "json"

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"play": {"name": play.get_name()}, "tasks": []})

    def _start(self, task):
        if not self.plays:
            self.plays.append({"play": {"name": ""}, "tasks": []})
        self.plays[-1]["tasks"].append({"task": {"name": task.get_name(), "action": task.action}, "hosts": {}})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task)

    def _record(self, result, **extra):
        raw = getattr(result, "result", None)
        if not isinstance(raw, dict):
            raw = result._result
        data = json.loads(self._dump_results(raw, keep_invocation=True))
        warnings = getattr(result, "warnings", None) or raw.get("warnings") or []
        if warnings:
            data["warnings"] = [_message(warning) for warning in warnings]
        exception = getattr(result, "exception", None)
        if exception is not None:
            data["exception"] = _message(exception)
        data.update(extra)
        self.plays[-1]["tasks"][-1]["hosts"][result._host.get_name()] = data

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True, ignore_errors=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        summary = dict((host, stats.summarize(host)) for host in sorted(stats.processed))
        # custom_stats: what set_stats published (AWX hands the aggregated "_run" part to the next job).
        sys.stdout.write(json.dumps({"plays": self.plays, "stats": summary, "custom_stats": getattr(stats, "custom", {})},
                                    default=str, indent=2) + "\n")
        sys.stdout.flush()
