# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CI's proof that the live suite is safe and does what it says, against the simulator.

The simulator runs as a separate process on 127.0.0.1, playing an account that is already full of
other people's clients and tokens. ``make test-live`` and ``make test-live-clean`` run exactly as a
maintainer runs them against a sandbox (ZENDESK_URL, ZENDESK_EMAIL, ZENDESK_API_TOKEN and nothing
else). This script, unlike the suite, may look behind the API (the simulator's /_sim control plane)
to check:

1. a full run passes; the simulator's request log shows no more requests in any minute than the
   budget, no more in all than the cap, the 429 queued for the first request was waited out
   (Retry-After), and no write touched a record that is not the suite's;
2. a run interrupted (SIGINT to its process group, as Ctrl-C does) while it is creating records
   cleans up after itself: nothing of it is left;
3. a run killed outright (SIGKILL) leaves records behind; with more leftovers than the bound the
   next ``make test-live`` refuses to start and sends no write;
4. ``make test-live-clean`` removes every client with the suite's prefix and its tokens;
5. through it all, the other clients and tokens are exactly as they were, and no secret the
   simulator knows appears in any output, the report, or the playbook logs.

Run by ``make test`` (step ``live-proof``); ``python tests/live/ci_proof.py`` from the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

LIVE_DIR = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(LIVE_DIR)
REPO = os.path.dirname(TESTS_DIR)
sys.path.insert(0, TESTS_DIR)

from simulator import ADMIN, SimulatorControl, SimulatorControlError  # noqa: E402  pylint: disable=wrong-import-position

FAMILY = "zendesk-oauth-live-"  # the suite's default prefix (run.py DEFAULT_PREFIX)
REPORT = os.path.join(REPO, "tests", "output", "live", "report.json")
FULL_RUN_REPORT = os.path.join(REPO, "tests", "output", "live", "ci-full-run.report.json")
# An account like a real one: Team plan rate limit (the strictest), refresh tokens issued with minted
# tokens (so the refresh case runs too), Zendesk's documented 30-minute default for grant tokens.
SIM_CONFIG = {"rate_limit_per_minute": 200, "token_refresh_on_create": True, "grant_default_expires_in": 1800}
FOREIGN = [
    {"identifier": "acme_production", "name": "ACME production", "kind": "confidential"},
    {"identifier": "acme_mobile", "name": "ACME mobile", "kind": "public"},
    {"identifier": "x-" + FAMILY + "not-ours", "name": "has the prefix inside", "kind": "confidential"},
    {"identifier": FAMILY.replace("-", "_") + "other", "name": "looks alike", "kind": "confidential"},
]
GONE_WRONG = 6  # leftovers seeded as if a run had gone wrong: more than the default bound (5)
WRITES = ("POST", "PUT", "DELETE", "PATCH")


class ProofFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise ProofFailed(message)
    print("  ok: %s" % message, flush=True)


def start_simulator(workdir):
    port_file = os.path.join(workdir, "port")
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    process = subprocess.Popen([sys.executable, "-m", "simulator", "--port", "0", "--port-file", port_file,
                                "--lifetime", "900", "--config", json.dumps(SIM_CONFIG)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(port_file):
            with open(port_file, encoding="utf-8") as handle:
                return process, "http://127.0.0.1:%d" % int(handle.read())
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise ProofFailed("the simulator did not start")


class Make:
    """``make TARGET`` with the environment a maintainer sets, its output echoed and kept."""

    def __init__(self, url):
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("ZENDESK_")}
        self.env.update({"ZENDESK_URL": url, "ZENDESK_EMAIL": ADMIN["email"], "ZENDESK_API_TOKEN": ADMIN["api_token"]})
        self.outputs = []

    def start(self, target):
        process = subprocess.Popen(["make", "--no-print-directory", target], cwd=REPO, env=self.env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        lines = []
        reader = threading.Thread(target=self._read, args=(process, lines), daemon=True)
        reader.start()
        return process, lines, reader

    def _read(self, process, lines):
        for line in process.stdout:
            lines.append(line)
            print("    | " + line, end="", flush=True)

    def run(self, target):
        process, lines, reader = self.start(target)
        process.wait(600)
        reader.join(10)
        self.outputs.append("".join(lines))
        return process.returncode, "".join(lines)

    def interrupt(self, target, control, sig):
        """Start ``target``, send ``sig`` to its process group once it has created a client; (rc, output, prefix)."""
        process, lines, reader = self.start(target)
        prefix = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"run prefix (\S+);", "".join(lines))
            if found:
                prefix = found.group(1)
                if prefixed(control.state(), prefix):
                    break
            time.sleep(0.2)
        check(process.poll() is None and prefix, "the run is under way with prefix %s and has created a client" % prefix)
        time.sleep(1)  # let it get into the middle of something
        print("  sending %s to the run's process group" % signal.Signals(sig).name, flush=True)
        os.killpg(process.pid, sig)
        process.wait(120)
        reader.join(10)
        self.outputs.append("".join(lines))
        return process.returncode, "".join(lines), prefix


def prefixed(state, prefix):
    return [client for client in state["clients"] if client["identifier"].startswith(prefix)]


def foreign_snapshot(state, foreign_ids):
    clients = sorted((c["id"], c["identifier"], c["name"], c["kind"], c["updated_at"], c["secret"])
                     for c in state["clients"] if c["id"] in foreign_ids)
    tokens = sorted(t["id"] for t in state["tokens"] if t["client_id"] in foreign_ids)
    return clients, tokens


def busiest_minute(entries):
    """Most requests within any 60 s of the simulator's clock (its log has whole seconds)."""
    stamps = [datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%SZ").timestamp() for entry in entries]
    return max((sum(1 for other in stamps if stamp <= other < stamp + 60) for stamp in stamps), default=0)


def foreign_writes(entries, foreign_clients, foreign_tokens):
    """Writes in the request log that name a record which is not the suite's."""
    bad = []
    for entry in entries:
        if entry["method"] not in WRITES:
            continue
        path = re.sub(r"\.json$", "", entry["path"])
        body = entry.get("body") if isinstance(entry.get("body"), dict) else {}
        found = re.match(r"^/api/v2/oauth/(clients|tokens)/(\d+)", path)
        if found and int(found.group(2)) in (foreign_clients if found.group(1) == "clients" else foreign_tokens):
            bad.append(entry)
        elif path == "/api/v2/oauth/clients" and not str((body.get("client") or {}).get("identifier", "")).startswith(FAMILY):
            bad.append(entry)
        elif path == "/api/v2/oauth/tokens" and (body.get("token") or {}).get("client_id") in foreign_clients:
            bad.append(entry)
        elif path == "/oauth/tokens" and not str(body.get("client_id", "")).startswith(FAMILY):
            bad.append(entry)
    return bad


class Secrets(threading.Thread):
    """Every secret the simulator holds or is sent while the proof runs (clients come and go quickly)."""

    def __init__(self, control):
        super().__init__(daemon=True)
        self.control = control
        self.found = {ADMIN["api_token"]}
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(0.3):
            try:
                self.collect()
            except (OSError, SimulatorControlError):  # the simulator stopped: values() reads it last
                return

    def collect(self):
        state = self.control.state()
        for client in state["clients"]:
            self.found.add(client.get("secret"))
        for token in state["tokens"] + state["revoked_tokens"]:
            self.found.update((token.get("full_token"), token.get("refresh_token")))
        for entry in self.control.requests():
            body = entry.get("body") if isinstance(entry.get("body"), dict) else {}
            self.found.update((body.get("client_secret"), body.get("refresh_token")))

    def values(self):
        self.stopped.set()
        self.collect()
        return {value for value in self.found if isinstance(value, str) and len(value) >= 16}


def files_written():
    texts = []
    root = os.path.dirname(REPORT)
    for directory, unused, names in os.walk(root):
        del unused
        for name in names:
            with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as handle:
                texts.append((os.path.relpath(os.path.join(directory, name), REPO), handle.read()))
    return texts


def prove(control, make):  # pylint: disable=too-many-locals,too-many-statements
    seeded = control.seed(clients=FOREIGN, tokens=[{"client_identifier": spec["identifier"], "scopes": ["read"]}
                                                   for spec in FOREIGN + FOREIGN])
    foreign_clients = set(seeded["client_ids"])
    foreign_tokens = set(seeded["token_ids"])
    before = foreign_snapshot(control.state(), foreign_clients)
    secrets = Secrets(control)
    secrets.start()

    print("\n== 1. a full run (the first list of clients answers 429 with Retry-After: 3)", flush=True)
    control.queue_faults([{"method": "GET", "path": "/api/v2/oauth/clients", "fault": "429", "retry_after": 3}])
    mark = len(control.requests())
    code, output = make.run("test-live")
    log = control.requests()[mark:]
    with open(REPORT, encoding="utf-8") as handle:
        report = json.load(handle)
    shutil.copyfile(REPORT, FULL_RUN_REPORT)  # the later runs write their own report
    print("  the full run's report: %s" % os.path.relpath(FULL_RUN_REPORT, REPO), flush=True)
    budget = report["budget"]
    check(code == 0 and "test-live: PASSED" in output, "make test-live passed (exit code %s)" % code)
    check(report["outcome"] == "passed" and all(step["outcome"] == "ok" for step in report["steps"]),
          "the report says passed, every step ok")
    check(not [step for step in report["steps"] if step.get("not_run")], "no case reported NOT RUN")
    check(len(log) == budget["requests_sent"], "the simulator got the %d requests the guard let through" % len(log))
    check(len(log) <= budget["max_requests"], "%d requests in all, within the cap of %d"
          % (len(log), budget["max_requests"]))
    peak = busiest_minute(log)
    check(peak <= budget["requests_per_minute"], "busiest minute in the simulator's log: %d requests, budget %d"
          % (peak, budget["requests_per_minute"]))
    limited = [index for index, entry in enumerate(log) if entry["status"] == 429]
    check(len(limited) == 1 and len(budget["rate_limited"]) == 1, "one 429, seen by the guard")
    wait = (datetime.strptime(log[limited[0] + 1]["time"], "%Y-%m-%dT%H:%M:%SZ")
            - datetime.strptime(log[limited[0]]["time"], "%Y-%m-%dT%H:%M:%SZ")).total_seconds()
    check(wait >= 2, "Retry-After was honoured: the next request came %.0fs later by the simulator's clock (its log "
          "has whole seconds)" % wait)
    check(not budget["refused_by_guard"], "the guard refused nothing (the suite asked for nothing unsafe)")
    check(not foreign_writes(log, foreign_clients, foreign_tokens), "no write named a record that is not the suite's")
    check(not prefixed(control.state(), FAMILY), "no client with the suite's prefix is left")
    check(report["simulator_config"].get("token_refresh_on_create") is True
          and report["simulator_config"].get("rate_limit_per_minute") == 200,
          "the report read the simulator's unknowns back: %s" % json.dumps(report["simulator_config"], sort_keys=True))
    print("\n== 2. a run interrupted (SIGINT) while it creates records", flush=True)
    mark = len(control.requests())
    code, output, prefix = make.interrupt("test-live", control, signal.SIGINT)
    check(code != 0 and "interrupted by SIGINT" in output, "the run stopped on the interrupt (exit code %s)" % code)
    check("nothing of this run left" in output, "it says it cleaned up")
    check(not prefixed(control.state(), prefix), "nothing with its prefix is left, before any make test-live-clean")
    check(not foreign_writes(control.requests()[mark:], foreign_clients, foreign_tokens),
          "no write named a record that is not the suite's")
    print("\n== 3. a run killed outright (SIGKILL): no chance to clean up", flush=True)
    prefix = make.interrupt("test-live", control, signal.SIGKILL)[2]
    killed_left = prefixed(control.state(), prefix)
    check(killed_left, "it left %d client(s) behind" % len(killed_left))
    print("\n== 4. with %d more leftovers of a run gone wrong, make test-live refuses" % GONE_WRONG, flush=True)
    control.seed(clients=[{"identifier": "%s19991231t235959-dead-%02d" % (FAMILY, number), "name": "leftover",
                           "kind": "confidential"} for number in range(GONE_WRONG)],
                 tokens=[{"client_identifier": "%s19991231t235959-dead-%02d" % (FAMILY, number), "scopes": ["read"]}
                         for number in range(GONE_WRONG)])
    leftovers = prefixed(control.state(), FAMILY)
    mark = len(control.requests())
    code, output = make.run("test-live")
    log = control.requests()[mark:]
    check(code != 0 and "refused" in output and "make test-live-clean" in output,
          "it refused (exit code %s) and named the way out" % code)
    check(log and not [entry for entry in log if entry["method"] in WRITES],
          "it sent %d request(s), none a write" % len(log))
    check(len(prefixed(control.state(), FAMILY)) == len(leftovers), "the %d leftovers are untouched" % len(leftovers))

    print("\n== 5. make test-live-clean", flush=True)
    leftover_ids = {client["id"] for client in leftovers}
    mark = len(control.requests())
    code, output = make.run("test-live-clean")
    state = control.state()
    check(code == 0 and "%d client(s) deleted" % len(leftovers) in output,
          "it deleted the %d leftover clients (exit code %s)" % (len(leftovers), code))
    check(not prefixed(state, FAMILY), "no client with the suite's prefix is left")
    check(not [token for token in state["tokens"] if token["client_id"] in leftover_ids], "none of their tokens is live")
    check(not foreign_writes(control.requests()[mark:], foreign_clients, foreign_tokens),
          "no write named a record that is not the suite's")

    print("\n== 6. the account's other records, and the secrets", flush=True)
    check(foreign_snapshot(state, foreign_clients) == before,
          "the %d other clients and their %d tokens are exactly as they were (fields, secrets, tokens live)"
          % (len(foreign_clients), len(foreign_tokens)))
    known = secrets.values()
    leaks = [(name, value[:6]) for name, text in [("make output", out) for out in make.outputs] + files_written()
             for value in known if value in text]
    check(not leaks, "none of the %d secrets the simulator held or was sent appears in the output, the report or "
          "the playbook logs" % len(known))


def main():
    workdir = tempfile.mkdtemp(prefix="zendesk-oauth-live-proof-")
    simulator, url = start_simulator(workdir)
    print("live-proof: the simulator as a process on %s, config %s" % (url, json.dumps(SIM_CONFIG)), flush=True)
    started = time.monotonic()
    try:
        prove(SimulatorControl(url), Make(url))
    except ProofFailed as exc:
        print("live-proof: FAILED: %s" % exc, flush=True)
        return 1
    finally:
        simulator.terminate()
        simulator.wait(30)
    print("live-proof: passed in %.0fs" % (time.monotonic() - started), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
