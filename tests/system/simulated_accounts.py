# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several simulated Zendesk accounts, each a simulator process of its own (tests/simulator).

Used by tests/system/test_role_accounts.py and bench/accounts.py. Each process listens on
127.0.0.1 (a free port, read from its --port-file), has its own rate limit (Zendesk limits each
account on its own), stops by itself after ``lifetime`` seconds at the latest (--lifetime), and is
stopped by its PID: SIGTERM, then SIGKILL if it has not exited within 10 seconds.

    with SimulatedAccounts(3, workdir, rate_limit_per_minute=200) as accounts:
        accounts.urls        # ["http://127.0.0.1:PORT", ...]
        accounts.controls    # a SimulatorControl per account
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from simulator import SimulatorControl  # noqa: E402  pylint: disable=wrong-import-position


class SimulatedAccounts:
    """``count`` simulator processes; start() waits until every one listens, stop() ends each by its PID."""

    def __init__(self, count, workdir, rate_limit_per_minute=None, lifetime=600, python=sys.executable):
        self.count = count
        self.workdir = workdir
        self.config = {"rate_limit_per_minute": rate_limit_per_minute}
        self.lifetime = lifetime
        self.python = python
        self.processes = []
        self.urls = []
        self.controls = []

    def start(self, timeout=60):
        os.makedirs(self.workdir, exist_ok=True)
        env = dict(os.environ, PYTHONPATH=TESTS_DIR)
        port_files = []
        for number in range(self.count):
            port_file = os.path.join(self.workdir, "account-%02d.port" % number)
            port_files.append(port_file)
            with open(os.path.join(self.workdir, "account-%02d.log" % number), "wb") as log:
                self.processes.append(subprocess.Popen(  # pylint: disable=consider-using-with
                    [self.python, "-m", "simulator", "--host", "127.0.0.1", "--port", "0", "--port-file", port_file,
                     "--config", json.dumps(self.config), "--lifetime", str(self.lifetime)],
                    env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + timeout
        for process, port_file in zip(self.processes, port_files):
            while _port(port_file) is None:
                if process.poll() is not None:
                    self.stop()
                    raise RuntimeError("simulator process %d exited with %s (log beside %s)"
                                       % (process.pid, process.returncode, port_file))
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("simulator process %d did not listen within %ss" % (process.pid, timeout))
                time.sleep(0.05)
            url = "http://127.0.0.1:%d" % _port(port_file)
            self.urls.append(url)
            self.controls.append(SimulatorControl(url))
        return self

    def stop(self):
        """SIGTERM to each process this object started (by its PID), SIGKILL after 10 s if it is still there."""
        for process in self.processes:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def requests(self):
        """Each account's request log (data plane only)."""
        return [control.requests() for control in self.controls]

    def clear_requests(self):
        for control in self.controls:
            control.clear_requests()


def _port(port_file):
    """The port a simulator wrote to its port file, or None before it listens."""
    try:
        with open(port_file, encoding="utf-8") as handle:
            text = handle.read().strip()
    except FileNotFoundError:
        return None
    return int(text) if text else None
