# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark callback: one JSON line per task (and per loop item) with wall-clock timestamps.

Enabled only by bench/run.py (ANSIBLE_CALLBACKS_ENABLED=bench_timer), which sets
BENCH_TIMER_FILE. Timestamps are time.time() so that the benchmark can put the simulator's
requests (timed in another process on the same machine) into the task that sent them.
A task's time runs from v2_playbook_on_task_start to its final result, the span that
profile_tasks reports, so a module task and a ping task are measured the same way.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Task timestamps for bench/run.py
description:
  - Writes one JSON line per task and per loop item to the file named by E(BENCH_TIMER_FILE).
requirements:
  - E(BENCH_TIMER_FILE) set to a writable path
"""


def _result_dict(result):
    value = getattr(result, "result", None)
    if isinstance(value, dict):
        return value
    return getattr(result, "_result", {}) or {}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("BENCH_TIMER_FILE")
        self._task = None
        self._items = []
        self._last_mark = None

    def _write(self, record):
        if not self._path:
            return
        with open(self._path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")

    # -- playbook ------------------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        self._write({"event": "playbook_start", "time": time.time(), "file": getattr(playbook, "_file_name", None)})

    def v2_playbook_on_play_start(self, play):
        self._write({"event": "play_start", "time": time.time(), "name": play.get_name()})

    def v2_playbook_on_stats(self, stats):
        self._write({"event": "playbook_end", "time": time.time()})

    # -- tasks ---------------------------------------------------------------------------------
    def v2_playbook_on_task_start(self, task, is_conditional):
        now = time.time()
        self._task = {"event": "task", "name": task.get_name(), "action": task.action, "start": now}
        self._items = []
        self._last_mark = now

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _item(self, result, status):
        now = time.time()
        res = _result_dict(result)
        self._items.append({"start": self._last_mark, "end": now, "status": status,
                            "changed": bool(res.get("changed"))})
        self._last_mark = now

    def v2_runner_item_on_ok(self, result):
        self._item(result, "ok")

    def v2_runner_item_on_failed(self, result):
        self._item(result, "failed")

    def v2_runner_item_on_skipped(self, result):
        self._item(result, "skipped")

    def _final(self, result, status):
        now = time.time()
        if self._task is None:
            return
        res = _result_dict(result)
        record = dict(self._task, end=now, status=status, changed=bool(res.get("changed")), items=self._items)
        if status == "failed":
            record["msg"] = str(res.get("msg", ""))[:500]
        self._write(record)

    def v2_runner_on_ok(self, result):
        self._final(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._final(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._final(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._final(result, "unreachable")
