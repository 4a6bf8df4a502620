# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The measurements. Each function takes a ``Bench`` and returns plain data for report.py.

Request counts come from the simulator's request log and are exact; they are measured once
(a second run sends the same requests). Every time figure is a ratio of two times measured in
the same run (a module task and a ping task of one playbook run, the role and the uri playbook
in back-to-back runs), repeated ``repeat`` times and shown as median (min–max).
"""

from __future__ import annotations

import glob
import math
import os
import re
import shutil
import subprocess
import sys
import time

import requests

from harness import ADMIN, BENCH_DIR, REPO
from stats import Spread, median_of, ratio

EXAMPLE_PLAYBOOK = os.path.join(REPO, "examples", "bootstrap.yml")
URI_PLAYBOOK = os.path.join(REPO, "examples", "uri_bootstrap.yml")
PAGE_SIZE = 100  # the client asks for page[size]=100, Zendesk's maximum

# The fewest requests Zendesk's API allows for each job, and why. The role looks before it
# creates: on a first converge a create-first strategy needs one request less (POST, and a 422
# DuplicateValue when the client exists), but it then costs one more on every later run, and a
# later run is the common case.
ROLE_FLOORS = {
    "first converge": (3, "1 page of clients (is the identifier free?) + POST client + POST token"),
    "no-op converge": (2, "read the client (drift check; 1 page, or GET /clients/{id}) + GET tokens/current "
                          "with the held token"),
    "rotation": (3, "read the client + POST token + DELETE the old token (tokens/{id} with the id the vault file "
                    "stores, or tokens/current with the old token as bearer); a GET tokens/current first buys the "
                    "check that the held token is this client's"),
    "recovery from a revoked token": (3, "read the client + GET tokens/current (401: the held token is dead) "
                                         "+ POST token"),
}

MODULE_FLOORS = {
    "Client first run": (2, "1 page of clients + POST client"),
    "Client re-run": (1, "1 page of clients"),
    "Client_info by identifier": (1, "1 page of clients (stops at the match)"),
    "Client_info by id": (1, "GET clients/{id}"),
    "Client_info all": (1, "ceil(clients / 100) pages"),
    "Token first run by client_id": (2, "list the client's tokens (an existing fitting one is adopted) + POST"),
    "Token re-run by client_id": (1, "GET tokens/current with the held token"),
    "Token first run by client_identifier": (3, "1 page of clients + list tokens + POST"),
    "Token re-run by client_identifier": (2, "1 page of clients + GET tokens/current"),
    "Token re-run without the held value": (1, "list the client's tokens"),
}

# Task names in playbooks/tasks/task_time_round.yml ("Module " is left out of the report).
TIMED_KINDS = [
    "Module zendesk_oauth_client unchanged",
    "Module zendesk_oauth_client create",
    "Module zendesk_oauth_client_info by identifier",
    "Module zendesk_oauth_token verify held token",
    "Module zendesk_oauth_token mint",
]
TASK_TIME_GOAL = 1.3
ROLE_VS_URI_GOAL = 1.0


def describe(requests_):
    """``GET /api/v2/oauth/clients, POST ...`` with a repeat count for runs of the same call."""
    out = []
    for request in requests_:
        path = re.sub(r"/\d+", "/{id}", request["path"])
        text = "%s %s%s" % (request["method"], path, "" if request["status"] in (200, 201, 204) else
                            " → %s" % request["status"])
        if out and out[-1][0] == text:
            out[-1][1] += 1
        else:
            out.append([text, 1])
    return ", ".join(text if count == 1 else "%s ×%d" % (text, count) for text, count in out)


class Bench:
    """What the measurements share: the simulator, the workspace, and the options."""

    def __init__(self, sim, workspace, repeat, quick, progress=None):
        self.sim = sim
        self.ws = workspace
        self.repeat = repeat
        self.quick = quick
        self._progress = progress or (lambda text: None)

    def say(self, text):
        self._progress(text)

    def vault_file(self, name):
        return self.ws.path(name + ".vault.yml")

    def fresh_vault_file(self, name):
        path = self.vault_file(name)
        if os.path.exists(path):
            os.unlink(path)
        return path

    def revoke_live_tokens(self):
        """Revoke, behind the playbook's back, every live token (the held one among them): the
        recovery scenario. The log is cleared afterwards."""
        session = requests.Session()
        session.auth = ("%s/token" % ADMIN["email"], ADMIN["api_token"])
        for token in self.sim.control.state()["tokens"]:
            answer = session.delete("%s/api/v2/oauth/tokens/%d" % (self.sim.url, token["id"]), timeout=30)
            answer.raise_for_status()
        self.sim.clear_requests()

    def live_tokens(self):
        return len(self.sim.control.state()["tokens"])

    def example_variables(self, vault):
        """The variables both examples take (same names in bootstrap.yml and uri_bootstrap.yml)."""
        password_file = self.ws.path("vault-password")
        if not os.path.exists(password_file):
            with open(password_file, "w", encoding="utf-8") as handle:
                handle.write("bench-vault-password\n")
        return {"zendesk_vault_file": vault, "zendesk_vault_password_file": password_file}


# --------------------------------------------------------------------------------------------
# 1. API requests
# --------------------------------------------------------------------------------------------
def role_playbook(bench, vault):
    """The role as users run it: examples/bootstrap.yml, else bench/playbooks/role.yml (same role call)."""
    if os.path.exists(EXAMPLE_PLAYBOOK):
        return EXAMPLE_PLAYBOOK, bench.example_variables(vault), {"oauth_bootstrap_rotate": True}
    return "role.yml", {"bench_vault_file": vault}, {"bench_rotate": True}


class Job(object):
    """One run of a job: its requests, whether it reported a change, live tokens left after it."""

    def __init__(self, run, live_tokens):
        self.requests = run.requests
        self.changed = any(task.changed for task in run.tasks)
        self.live_tokens = live_tokens


def role_jobs(bench):
    """First converge, no-op, rotation, recovery, on a fresh account."""
    bench.sim.reset()
    playbook, variables, rotate = role_playbook(bench, bench.fresh_vault_file("requests-role"))
    jobs = {}
    for job, extra in (("first converge", {}), ("no-op converge", {}), ("rotation", rotate)):
        run = bench.ws.play(playbook, bench.sim, dict(variables, **extra)).check()
        jobs[job] = Job(run, bench.live_tokens())
    bench.revoke_live_tokens()
    run = bench.ws.play(playbook, bench.sim, dict(variables)).check()
    jobs["recovery from a revoked token"] = Job(run, bench.live_tokens())
    return jobs


def uri_jobs(bench):
    """The same jobs with examples/uri_bootstrap.yml, which knows one way only: every run lists the
    clients, creates the client if it is missing, and mints a token (it cannot rotate on request:
    every run is a rotation that revokes nothing)."""
    bench.sim.reset()
    variables = bench.example_variables(bench.fresh_vault_file("requests-uri"))
    jobs = {}
    for job in ("first converge", "no-op converge", "rotation"):
        run = bench.ws.play(URI_PLAYBOOK, bench.sim, dict(variables)).check()
        jobs[job] = Job(run, bench.live_tokens())
    bench.revoke_live_tokens()
    run = bench.ws.play(URI_PLAYBOOK, bench.sim, dict(variables)).check()
    jobs["recovery from a revoked token"] = Job(run, bench.live_tokens())
    return jobs


def measure_module_requests(bench):
    bench.say("requests: each module alone")
    bench.sim.reset()
    run = bench.ws.play("modules.yml", bench.sim).check()
    modules = []
    for task in run.tasks:
        floor, why = MODULE_FLOORS[task.name]
        modules.append({"job": task.name, "requests": len(task.requests), "floor": floor, "why": why,
                        "calls": describe(task.requests), "changed": task.changed})
    return modules


def measure_role_requests(bench):
    bench.say("requests: role first converge, no-op, rotation, recovery")
    role = role_jobs(bench)
    uri = None
    if os.path.exists(URI_PLAYBOOK):
        bench.say("requests: examples/uri_bootstrap.yml, the same jobs")
        uri = uri_jobs(bench)
    jobs = []
    for job, (floor, why) in ROLE_FLOORS.items():
        role_run = role[job]
        uri_run = uri.get(job) if uri else None
        jobs.append({
            "job": job, "floor": floor, "why": why,
            "role": len(role_run.requests), "role_calls": describe(role_run.requests),
            "role_changed": role_run.changed, "role_live_tokens": role_run.live_tokens,
            "uri": len(uri_run.requests) if uri_run else None,
            "uri_calls": describe(uri_run.requests) if uri_run else "n/a",
            "uri_changed": uri_run.changed if uri_run else None,
            "uri_live_tokens": uri_run.live_tokens if uri_run else None,
        })
    return jobs


def measure_requests(bench):
    return {"modules": measure_module_requests(bench), "role": measure_role_requests(bench)}


# --------------------------------------------------------------------------------------------
# 2. Time per task, and the whole role against the uri playbook
# --------------------------------------------------------------------------------------------
def stdlib_transport_copy(bench):
    """A copy of the collection whose API client sends requests with http.client instead of requests
    (bench/experiments/_stdlib_http.py); returns the ANSIBLE_COLLECTIONS_PATH that holds it."""
    root = bench.ws.path("experiment-stdlib")
    target = os.path.join(root, "ansible_collections", "zendesk", "oauth")
    if not os.path.isdir(target):
        os.makedirs(target)
        for name in ("galaxy.yml", "meta", "plugins", "roles"):
            source = os.path.join(REPO, name)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(target, name), ignore=shutil.ignore_patterns("__pycache__"))
            elif os.path.exists(source):
                shutil.copy(source, target)
        utils = os.path.join(target, "plugins", "module_utils")
        shutil.copy(os.path.join(BENCH_DIR, "experiments", "_stdlib_http.py"), utils)
        api = os.path.join(utils, "_api.py")
        with open(api, encoding="utf-8") as handle:
            text = handle.read()
        original = "    import requests\n    from requests.adapters import HTTPAdapter\n"
        if original not in text:
            raise RuntimeError("module_utils/_api.py no longer imports requests as the experiment expects")
        text = text.replace(original, "    from . import _stdlib_http as requests\n"
                                      "    from ._stdlib_http import HTTPAdapter\n")
        with open(api, "w", encoding="utf-8") as handle:
            handle.write(text)
    return root


def _task_time_run(bench, env=None):
    bench.sim.reset()
    run = bench.ws.play("task_time.yml", bench.sim, env=env).check()
    ping = median_of(task.seconds for task in run.tasks_named("Ping"))
    kinds = {}
    for kind in TIMED_KINDS:
        tasks = [task for task in run.tasks if task.name == kind]
        kinds[kind] = ratio(median_of(task.seconds for task in tasks), ping)
    return ping, kinds


def measure_task_time(bench, experiment=True):
    per_kind = {kind: [] for kind in TIMED_KINDS}
    stdlib = {kind: [] for kind in TIMED_KINDS}
    ping_seconds = []
    experiment_env = None
    if experiment:
        experiment_env = {"ANSIBLE_COLLECTIONS_PATH": stdlib_transport_copy(bench)}
    for index in range(bench.repeat):
        # Both collections in every repetition, in turns, so that a change of load hits both alike.
        order = [("requests", None), ("http.client (experiment)", experiment_env)]
        if index % 2:
            order.reverse()
        for label, env in order:
            if label != "requests" and not experiment_env:
                continue
            bench.say("task time: run %d/%d, the collection on %s" % (index + 1, bench.repeat, label))
            ping, kinds = _task_time_run(bench, env=env)
            for kind, median_ratio in kinds.items():
                (stdlib if env else per_kind)[kind].append(median_ratio)
            if not env:
                ping_seconds.append(ping)
    rows = []
    for kind in TIMED_KINDS:
        rows.append({"kind": kind[len("Module "):], "ratio": Spread(per_kind[kind]),
                     "stdlib": Spread(stdlib[kind]), "goal": TASK_TIME_GOAL})
    return {"rows": rows, "ping_seconds": Spread(ping_seconds), "experiment": bool(experiment_env)}


def measure_role_vs_uri(bench):
    """examples/bootstrap.yml (the role) against examples/uri_bootstrap.yml: play time of a first
    run on an empty account and of the run after it, back to back, alternating which goes first."""
    if not os.path.exists(URI_PLAYBOOK):
        return None
    figures = {"first converge": [], "no-op converge": [], "first converge (process)": [],
               "no-op converge (process)": []}
    for index in range(bench.repeat):
        bench.say("role vs uri: run %d/%d" % (index + 1, bench.repeat))
        order = ["role", "uri"] if index % 2 == 0 else ["uri", "role"]
        runs = {}
        for which in order:
            bench.sim.reset()
            vault = bench.fresh_vault_file("time-" + which)
            if which == "role":
                playbook, variables, _rotate = role_playbook(bench, vault)
            else:
                playbook, variables = URI_PLAYBOOK, bench.example_variables(vault)
            first = bench.ws.play(playbook, bench.sim, dict(variables)).check()
            second = bench.ws.play(playbook, bench.sim, dict(variables)).check()
            runs[which] = (first, second)
        for position, job in enumerate(("first converge", "no-op converge")):
            role_run, uri_run = runs["role"][position], runs["uri"][position]
            figures[job].append(ratio(role_run.play_seconds, uri_run.play_seconds))
            figures[job + " (process)"].append(ratio(role_run.wall, uri_run.wall))
    result = {job: Spread(values) for job, values in figures.items()}
    return result


def role_task_breakdown(bench):
    """Where the role's no-op converge spends its time: module processes vs controller-only tasks."""
    bench.sim.reset()
    playbook, variables, _rotate = role_playbook(bench, bench.fresh_vault_file("breakdown"))
    bench.ws.play(playbook, bench.sim, dict(variables)).check()
    shares = []
    for index in range(min(bench.repeat, 3)):
        bench.say("role breakdown: run %d/%d" % (index + 1, min(bench.repeat, 3)))
        run = bench.ws.play(playbook, bench.sim, dict(variables), measure_processes=True).check()
        total = sum(task.seconds for task in run.tasks)
        by_action = {}
        for task in run.tasks:
            entry = by_action.setdefault(task.action, {"tasks": 0, "processes": 0, "seconds": 0.0})
            entry["tasks"] += 1
            entry["processes"] += len(task.processes)
            entry["seconds"] += task.seconds
        shares.append((total, by_action))
    actions = sorted({action for _total, by_action in shares for action in by_action})
    rows = []
    for action in actions:
        counts = shares[0][1].get(action, {"tasks": 0, "processes": 0})
        rows.append({"action": action, "tasks": counts["tasks"], "processes": counts["processes"],
                     "share": Spread([by_action.get(action, {}).get("seconds", 0.0) / total
                                      for total, by_action in shares])})
    rows.sort(key=lambda row: -row["share"].median)
    return rows


# --------------------------------------------------------------------------------------------
# 2b. Profile: payload size, imports, CPU of one module process against ping's
# --------------------------------------------------------------------------------------------
PROFILE_PLAYBOOK = """---
- name: Payloads to profile
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/zendesk.oauth.zendesk:
      url: "{{ zendesk_url }}"
      email: "{{ zendesk_email }}"
      api_token: "{{ zendesk_api_token }}"
  tasks:
    - name: ping
      ansible.builtin.ping:
    - name: client
      zendesk.oauth.zendesk_oauth_client:
        identifier: bench_profile
        name: Bench profile
    - name: client_info
      zendesk.oauth.zendesk_oauth_client_info:
        identifier: bench_profile
"""


def _child_cpu(command, env=None):
    import resource  # pylint: disable=import-outside-toplevel
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.time() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, completed


def _import_profile(payload, runs):
    """Self time per top-level package (minimum over runs, ms) and the set of modules imported."""
    best, names = {}, set()
    for _run in range(runs):
        _cpu, _wall, completed = _child_cpu([sys.executable, "-X", "importtime", payload])
        totals = {}
        for line in completed.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            fields = line[len("import time:"):].split("|")
            if len(fields) != 3 or not fields[0].strip().isdigit():
                continue
            self_us, name = int(fields[0]), fields[2].strip()
            names.add(name)
            top = name.split(".")[0]
            totals[top] = totals.get(top, 0) + self_us
        for top, value in totals.items():
            best[top] = min(best.get(top, value), value)
    return {top: value / 1000.0 for top, value in best.items()}, names


def measure_profile(bench):
    bench.say("profile: payloads, imports, CPU")
    bench.sim.reset()
    playbook = bench.ws.path("profile.yml")
    with open(playbook, "w", encoding="utf-8") as handle:
        handle.write(PROFILE_PLAYBOOK)
    for old in glob.glob(os.path.join(bench.ws.remote_tmp, "*")):
        subprocess.run(["rm", "-rf", old], check=False)
    bench.ws.play(playbook, bench.sim, keep_remote_files=True).check()
    payloads = {}
    for path in glob.glob(os.path.join(bench.ws.remote_tmp, "*", "AnsiballZ_*.py")):
        name = os.path.basename(path)[len("AnsiballZ_"):-3]
        payloads[name] = path
    runs = 3 if bench.quick else 5
    sizes = {name: os.path.getsize(path) for name, path in payloads.items()}
    imports = {}
    for name, path in payloads.items():
        imports[name] = _import_profile(path, runs)
    extra_names = sorted(imports["zendesk_oauth_client"][1] - imports["ping"][1])
    extra_tops = {}
    for name in extra_names:
        top = name.split(".")[0]
        extra_tops[top] = extra_tops.get(top, 0) + 1
    # CPU of whole module processes, alternating so that load hits them alike.
    cpu = {name: [] for name in payloads}
    for _run in range(runs * 2):
        for name, path in payloads.items():
            cpu[name].append(_child_cpu([sys.executable, path])[0])
    import_cpu = {}
    probes = {
        "python -c pass": "pass",
        "import ansible.module_utils.basic": "import ansible.module_utils.basic",
        "+ import requests": "import ansible.module_utils.basic, requests",
        "+ import http.client, ssl (stdlib)": "import ansible.module_utils.basic, http.client, ssl, json",
        "+ import ansible.module_utils.urls": "import ansible.module_utils.basic, ansible.module_utils.urls",
    }
    for label, code in probes.items():
        import_cpu[label] = min(_child_cpu([sys.executable, "-c", code])[0] for _run in range(runs * 2))
    ping_cpu = min(cpu["ping"])
    return {
        "sizes": sizes,
        "cpu": {name: {"min": min(values), "median": median_of(values), "vs_ping": min(values) / ping_cpu}
                for name, values in cpu.items()},
        "import_self_ms": {name: dict(sorted(profile[0].items(), key=lambda kv: -kv[1])[:12])
                           for name, profile in imports.items()},
        "extra_modules": {"count": len(extra_names), "by_package": dict(sorted(extra_tops.items(), key=lambda kv: -kv[1]))},
        "import_cpu": import_cpu,
    }


# --------------------------------------------------------------------------------------------
# 3. Scale
# --------------------------------------------------------------------------------------------
def _process_of(task, module):
    """The module process of a task (the wrapper logs one per module run)."""
    for process in task.processes:
        if any(module in arg for arg in process["argv"]):
            return process
    return task.processes[0] if task.processes else None


SCALE_LOOKUPS = ("Find the first client", "Find the last client", "Find the last client by id", "List every client")


def measure_scale(bench, sizes):
    results = []
    for size in sizes:
        bench.say("scale: seeding %d clients and %d tokens" % (size, size))
        bench.sim.reset()
        start = time.time()
        seeded = bench.sim.control.seed(clients=size, tokens_per_client=1, prefix="bulk")
        seed_seconds = time.time() - start
        vault = bench.fresh_vault_file("scale-%d" % size)
        variables = {"bench_vault_file": vault, "bench_first": "bulk-00001", "bench_last": "bulk-%05d" % size,
                     "bench_last_id": seeded["client_ids"][-1],
                     "bench_expected_clients": size + 1}
        first = bench.ws.play("role.yml", bench.sim, {"bench_vault_file": vault}).check()
        rows = {name: [] for name in SCALE_LOOKUPS}
        rows["role"] = []
        for index in range(bench.repeat):
            bench.say("scale: N=%d run %d/%d" % (size, index + 1, bench.repeat))
            run = bench.ws.play("scale.yml", bench.sim, dict(variables), measure_processes=True).check()
            pings = run.tasks_named("Ping")
            ping_seconds = median_of(task.seconds for task in pings)
            ping_rss = median_of(task.peak_rss_kib for task in pings)
            for name in SCALE_LOOKUPS:
                task = run.task(name)
                process = _process_of(task, "zendesk_oauth_client_info")
                rows[name].append({
                    "requests": len(task.requests),
                    "ratio": ratio(task.seconds, ping_seconds),
                    "server_share": ratio(task.server_seconds, task.seconds),
                    "server_ms_per_request": ratio(task.server_seconds * 1000, len(task.requests)),
                    "process_share": ratio(process["end"] - process["start"], task.seconds) if process else None,
                    "rss_kib": process["maxrss_kib"] if process else None,
                    "ping_rss_kib": ping_rss,
                    "cpu": process.get("cpu") if process else None,
                })
            play = run.play("Bootstrap one integration with the role")
            client_task = [t for t in play.tasks if t.action == "zendesk.oauth.zendesk_oauth_client"][0]
            process = _process_of(client_task, "zendesk_oauth_client")
            rows["role"].append({
                "requests": len(play.requests),
                "seconds": play.seconds,
                "vs_ping": ratio(play.seconds, ping_seconds),
                "server_share": ratio(sum(t.server_seconds for t in play.tasks), play.seconds),
                "rss_kib": process["maxrss_kib"] if process else None,
                "ping_rss_kib": ping_rss,
                "changed": any(t.changed for t in play.tasks),
            })
        results.append({
            "n": size,
            "pages": int(math.ceil((size + 1) / float(PAGE_SIZE))),
            "seed_seconds": seed_seconds,
            "first_converge_requests": len(first.requests),
            "rows": rows,
        })
    offset = offset_limit_proof(bench, sizes[-1])
    return {"sizes": results, "offset": offset}


def offset_limit_proof(bench, size):
    """With more than 10,000 clients: offset page 101 answers 400, the cursor walk lists them all."""
    session = requests.Session()
    session.auth = ("%s/token" % ADMIN["email"], ADMIN["api_token"])
    total = len(bench.sim.control.state()["clients"])
    url = bench.sim.url + "/api/v2/oauth/clients"
    offset_page = 10000 // PAGE_SIZE + 1
    answer = session.get(url, params={"page": offset_page, "per_page": PAGE_SIZE}, timeout=60)
    body = answer.json() if answer.headers.get("Content-Type", "").startswith("application/json") else {}
    bench.sim.clear_requests()
    return {"clients": total, "offset_page": offset_page, "offset_status": answer.status_code,
            "offset_error": body.get("description") or body.get("error"), "applies": total > 10000,
            "size": size}


# --------------------------------------------------------------------------------------------
# 4. Rate-limit budget
# --------------------------------------------------------------------------------------------
def peak_in_window(requests_, window):
    times = sorted(r["server_start"] for r in requests_ if r["server_start"] is not None)
    best, low = 0, 0
    for high, when in enumerate(times):
        while times[low] <= when - window:
            low += 1
        best = max(best, high - low + 1)
    return best


def minimum_seconds(total, limit, window):
    """The shortest run a sliding window of ``limit`` requests per ``window`` seconds allows,
    starting with an unused budget: every ``limit`` requests after the first take one window."""
    return max(0, int(math.ceil(total / float(limit))) - 1) * window


def _fleet_run(bench, size, prefix):
    fleet = ["%s-%03d" % (prefix, number) for number in range(1, size + 1)]
    return bench.ws.play("fleet.yml", bench.sim, {"bench_fleet": fleet}).check()


def measure_rate_limit(bench, fleet, plan, compressed_fleet):
    bench.say("rate limit: fleet of %d at %d requests/minute" % (fleet, plan))
    bench.sim.reset(rate_limit_per_minute=plan)
    run = _fleet_run(bench, fleet, "fleet")
    statuses = [r["status"] for r in run.requests]
    full = {
        "fleet": fleet, "plan": plan,
        "requests": len(run.requests), "throttled": statuses.count(429),
        "floor": 2 * fleet + 1,
        "per_integration": len(run.requests) / float(fleet),
        "peak_60s": peak_in_window(run.requests, 60),
        "minimum_burst": minimum_seconds(len(run.requests), plan, 60),
        "minimum_sustained": len(run.requests) * 60.0 / plan,
        "run_seconds": run.play_seconds,
        "run_vs_sustained": ratio(run.play_seconds, len(run.requests) * 60.0 / plan),
        "calls": describe(run.requests[:3]),
    }
    measured, windows, details = [], [], []
    try:
        for index in range(bench.repeat):
            bench.say("rate limit: compressed run %d/%d" % (index + 1, bench.repeat))
            bench.sim.reset()
            free = _fleet_run(bench, compressed_fleet, "free")
            # The window is as long as the unthrottled run, and the plan allows a third of its
            # requests per window: the fleet needs three windows' worth of budget whatever the
            # machine's pace, so the limit always binds.
            window = max(MIN_COMPRESSED_WINDOW, free.play_seconds)
            limit = max(1, len(free.requests) // 3)
            bench.sim.set_window(window)
            bench.sim.reset(rate_limit_per_minute=limit)
            run = _fleet_run(bench, compressed_fleet, "tight")
            bench.sim.set_window(60)
            answered = [r for r in run.requests if r["status"] != 429]
            ideal = ideal_throttled_seconds(free, limit, window)
            measured.append(ratio(run.play_seconds, ideal))
            windows.append(window)
            details.append({"requests": len(answered), "throttled": len(run.requests) - len(answered),
                            "limit": limit, "bare_minimum": minimum_seconds(len(answered), limit, window) / window})
    finally:
        bench.sim.set_window(60)
    compressed = {
        "fleet": compressed_fleet, "requests": details[0]["requests"], "limit": details[0]["limit"],
        "windows_needed": details[0]["bare_minimum"],
        "window": Spread(windows), "compression": Spread([60.0 / w for w in windows]),
        "throttled": Spread([d["throttled"] for d in details]), "ratio": Spread(measured),
    }
    return {"full": full, "compressed": compressed}


MIN_COMPRESSED_WINDOW = 4.0


def ideal_throttled_seconds(free, limit, window):
    """How long the unthrottled run would take if every request waited exactly until the plan
    allows it and not a moment longer: the free run's own gaps between requests, replayed
    against a sliding window of ``limit`` requests per ``window`` seconds."""
    times = sorted(r["server_start"] for r in free.requests)
    start = min(task.start for task in free.tasks)
    end = max(task.end for task in free.tasks)
    scheduled = []
    for index, when in enumerate(times):
        gap = when - (times[index - 1] if index else start)
        ready = (scheduled[-1] if scheduled else start) + gap
        if index >= limit:
            ready = max(ready, scheduled[index - limit] + window)
        scheduled.append(ready)
    tail = end - times[-1]
    return (scheduled[-1] + tail) - start + (free.play_seconds - (end - start))


# --------------------------------------------------------------------------------------------
# Machine facts
# --------------------------------------------------------------------------------------------
def machine_facts():
    import platform  # pylint: disable=import-outside-toplevel
    import ansible.release  # pylint: disable=import-outside-toplevel
    facts = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "ansible_core": ansible.release.__version__,
        "requests": requests.__version__,
        "platform": platform.platform(),
        "load_start": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    facts["commit"] = commit or "unknown"
    # What the run measured beyond that commit: uncommitted changes to the code under test.
    status = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "plugins", "roles", "examples",
                             "tests/simulator", "meta"], capture_output=True, text=True, check=False).stdout
    facts["uncommitted"] = [line[3:] for line in status.splitlines() if line.strip()]
    return facts
