# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault soak: the role and every module converge again and again while about 30% of requests fail.

Each lane is a simulator of its own (seeded ``fault_seed``, so a lane's faults come in the same
order on every run) with one OAuth client bootstrapped by the role (ansible-playbook, Ansible
Vault file) and one by the modules run as processes (client, client_info, token, grant; the
user keeps the client secret and the token in files). Two lanes run side by side to use both
cores. After EVERY run the simulator's state is read:

- exactly one client per identifier (no duplicate from a retried create);
- every live token of the client is the one the user holds (vault file / token file), or there is
  none: no orphan left by a lost, late or retried POST. The one exception allowed is a replaced
  token whose revocation failed AND whose id the run told the user (a warning or the failure
  message): those are counted apart (``unrevoked_tokens_named_by_their_run``). A live token
  nobody holds and nobody named is an ``orphan_tokens`` and fails the soak;
- the vault file is the previous valid content or a new valid content (decrypts, parses, its
  token is live), never partial;
- a failed run names what failed (an HTTP status, a timeout, a dropped connection, or the retry
  bound it hit).

Then faults are switched off: the next run must converge (the vault file and the token file
each hold a live token again), and the one after it change nothing. Module converges follow the
modules' own advice, as a user would: a token whose value is unknown is replaced with
``recreate: always``. One known bug is reported but not failed on (see KNOWN_LOOKUP_BUG).
The report (runs, faults injected by kind from the simulators' request logs, failures,
duplicates, orphans, corrupt vault files, secrets seen in any output) is printed and written to
tests/output/soak-report.json. ``python -m pytest tests/system/test_soak.py -s`` shows it.

Knobs (environment): SOAK_SEED (20261129), SOAK_LANES (2), SOAK_ROLE_RUNS and SOAK_MODULE_RUNS
(per lane, 3 and 6: 18 converges with faults, then 8 clean runs; `make soak` runs 8 and 17, 50 converges). The API client's backoff
sleeps are real (1 s doubling, with jitter), so the retry bounds are kept low: max_retries 4 and
max_retry_wait 3 s (a request gets about two retries), Retry-After 1 s, module timeout 1.5 s
against a ``slow`` fault of 2.5 s (a slow POST lands after the module gave up waiting).
"""

from __future__ import annotations

import collections
import json
import os
import re
import threading
import time

import yaml

from playbook_runner import (ADMIN_API_TOKEN, REPO, admin_connection, clients_named, live_tokens, play,
                             run_module, run_playbook, vault_decrypt, write_playbook)
from simulator import Simulator, SimulatorControl

SEED = int(os.environ.get("SOAK_SEED", "20261129"))
LANES = int(os.environ.get("SOAK_LANES", "2"))
ROLE_RUNS = int(os.environ.get("SOAK_ROLE_RUNS", "3"))
MODULE_RUNS = int(os.environ.get("SOAK_MODULE_RUNS", "6"))
ROTATE_EVERY = 3  # every third run with faults rotates the token (mint, store, revoke the old one)

FAULT_RATES = {"429": 0.06, "500": 0.05, "503": 0.05, "drop": 0.05, "ambiguous": 0.05, "slow": 0.04}
NO_FAULTS = dict((kind, 0.0) for kind in FAULT_RATES)
MODULE_TIMEOUT = 1.5
SIM_CONFIG = {"fault_rates": FAULT_RATES, "retry_after": 1, "slow_delay": 2.5}
RETRY_ENV = {"ZENDESK_MAX_RETRIES": "4", "ZENDESK_MAX_RETRY_WAIT": "3"}
VAULT_PASSWORD = "soak-vault-password-0123456789"
REPORT_PATH = os.path.join(REPO, "tests", "output", "soak-report.json")

# What a failure must name: a status, a timeout, a dropped connection, or the bound it hit.
CLEAR_FAILURE = re.compile(r"\b(429|500|502|503|504)\b|timeout|timed out|connection failed|max_retry_wait|"
                           r"max_retries|answer was lost")
LOST_TOKEN_CREATE = "POST /api/v2/oauth/tokens"  # a failure naming the create whose answer was lost
# Known bug, reproduced by test_faults.py::test_a_failed_look_for_a_lost_token_says_a_token_may_be_left: when the
# look for a lost mint's token fails, the failure names only the GET. Such orphans are reported, not failed on;
# once the fix names the lost POST they count as named.
KNOWN_LOOKUP_BUG = "test_faults.py::test_a_failed_look_for_a_lost_token_says_a_token_may_be_left"
ROLE_SCOPES = ["read"]
MODULE_SCOPES = ["tickets:read", "users:read"]


def known_lookup_bug(run):
    """A run that failed while looking for the token of a token create whose answer was lost."""
    return (not run["ok"] and (run.get("message") or "").startswith("GET /api/v2/oauth/tokens")
            and any(fault.startswith("POST /api/v2/oauth/tokens ") for fault in run["faults_met"]))


def failure_kind(text):
    """'<what failed> (<the bound it hit>)', e.g. '503 (max_retry_wait)' or 'timeout (max_retries)'."""
    bound = next((kind for kind in ("max_retry_wait", "max_retries") if kind in text), "no bound")
    status = re.search(r"\b(429|500|502|503|504)\b", text)
    if "no answer within timeout" in text or "connection timed out" in text:
        cause = "timeout"
    elif "connection failed" in text:
        cause = "dropped connection"
    elif status:
        cause = status.group(1)
    else:
        cause = "other"
    return "%s (%s)" % (cause, bound)


class Lane:
    """One simulator, one identifier for the role, one for the modules; runs one after the other."""

    def __init__(self, index, workdir):
        self.index = index
        self.seed = SEED + index
        self.workdir = workdir
        self.server = Simulator(port=0, config=dict(SIM_CONFIG, fault_seed=self.seed))
        self.url = self.server.start()
        self.control = SimulatorControl(self.url)
        self.role_identifier = "soak-role-%d" % index
        self.module_identifier = "soak-modules-%d" % index
        self.vault_file = os.path.join(workdir, "vault", "zendesk.yml")
        self.held_token_file = os.path.join(workdir, "held-token")
        self.held_secret_file = os.path.join(workdir, "held-secret")
        os.makedirs(os.path.dirname(self.vault_file))
        password_file = os.path.join(workdir, "vault-password")
        with open(password_file, "w", encoding="utf-8") as handle:
            handle.write(VAULT_PASSWORD + "\n")
        os.chmod(password_file, 0o600)
        self.playbook = write_playbook(workdir, [play([], roles=[{"role": "zendesk.oauth.oauth_bootstrap", "vars": {
            "oauth_bootstrap_client_identifier": self.role_identifier,
            "oauth_bootstrap_scopes": ROLE_SCOPES,
            "oauth_bootstrap_url": self.url,
            "oauth_bootstrap_email": "admin@example.com",
            "oauth_bootstrap_api_token": ADMIN_API_TOKEN,
            "oauth_bootstrap_timeout": MODULE_TIMEOUT,
            "oauth_bootstrap_vault_file": self.vault_file,
            "oauth_bootstrap_vault_password_file": password_file,
            "oauth_bootstrap_rotate": "{{ soak_rotate | default(false) | bool }}",
        }}])], name="bootstrap.yml")
        self.runs = []          # one dict per run
        self.outputs = []       # everything a playbook printed
        self.orphans = {}       # token id -> cause, for every live token nobody held after some run
        self.duplicates = 0
        self.corrupt_vaults = []
        self.secret_mismatches = []
        self.secrets_seen = set()
        self.error = None
        self.requests_with_faults_on = 0
        self.grants = 0
        self.holds_working_tokens = None

    # -- the role ---------------------------------------------------------------------------------
    def role_run(self, number, rotate, faults):
        before = self._vault_bytes()
        mark = len(self.control.requests())
        result = run_playbook(self.playbook, self.workdir, extra_vars={"soak_rotate": rotate}, env=RETRY_ENV)
        self.outputs.append(result.stdout + result.stderr)
        run = {"lane": self.index, "run": number, "what": "role", "rotate": rotate, "faults": faults,
               "ok": result.rc == 0, "changed": (result.json or {}).get("stats", {}).get("localhost", {}).get("changed")}
        if result.rc != 0:
            run["failed_task"], run["message"] = self._role_failure(result)
        said = [run.get("message") or ""]
        for unused_task, outcome in result.task_results():
            said.extend(outcome.get("warnings") or [])
        self._finish_run(run, mark, said)
        self._check_role(run, before)
        return run

    def _finish_run(self, run, mark, said):
        """Record the faults this run met (from the request log) and everything it told the user."""
        run["faults_met"] = ["%s %s %s" % (entry["method"], entry["path"].partition("?")[0], entry["fault"])
                             for entry in self.control.requests()[mark:] if entry["fault"]]
        run["said"] = "\n".join(said)
        self.runs.append(run)

    @staticmethod
    def _role_failure(result):
        # The last failure: a no_log task's own is censored, and the role's rescue repeats its message.
        failed = [(name, outcome) for name, outcome in result.task_results()
                  if outcome.get("failed") and not outcome.get("ignore_errors")]
        if failed:
            name, outcome = failed[-1]
            return name, outcome.get("exception") or outcome.get("msg") or json.dumps(outcome)
        return None, result.output[-2000:]

    def _vault_bytes(self):
        try:
            with open(self.vault_file, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def _check_role(self, run, before):
        state = self._state()
        clients = clients_named(state, self.role_identifier)
        self._count_duplicates(run, clients)
        after = self._vault_bytes()
        held = None
        if after is not None:
            try:
                content = yaml.safe_load(vault_decrypt(self.vault_file, VAULT_PASSWORD))
                held = content["zendesk_oauth_full_token"]
                if after != before:  # new content must be whole and true
                    live_ids = dict((t["id"], t["full_token"]) for t in state["tokens"])
                    assert live_ids.get(content["zendesk_oauth_token_id"]) == held, "its token is not live"
                    assert content["zendesk_oauth_client_id"] == clients[0]["id"], "another client"
                if clients and content.get("zendesk_oauth_client_secret") != clients[0]["secret"]:
                    self.secret_mismatches.append({"run": run["run"], "stored": "null" if content.get(
                        "zendesk_oauth_client_secret") is None else "stale"})
            except Exception as exc:  # pylint: disable=broad-except
                self.corrupt_vaults.append({"run": run["run"], "error": "%s: %s" % (type(exc).__name__, exc)})
            if os.stat(self.vault_file).st_mode & 0o777 != 0o600:
                self.corrupt_vaults.append({"run": run["run"], "error": "mode %o" % os.stat(self.vault_file).st_mode})
        elif before is not None:
            self.corrupt_vaults.append({"run": run["run"], "error": "the vault file disappeared"})
        self._count_orphans(run, state, clients, held)

    # -- the modules ------------------------------------------------------------------------------
    def module_converge(self, number, rotate, faults):
        """client, client_info, token, grant, the way a playbook would chain them; stops at the first failure.

        The grant (client credentials with the held client secret) mints on every run by design, so it
        is left out of ``changed``; it is skipped while the client's secret is lost (the next run
        regenerates it).
        """
        connection = admin_connection(self.url, timeout=MODULE_TIMEOUT, max_retries=4, max_retry_wait=3)
        run = {"lane": self.index, "run": number, "what": "modules", "rotate": rotate, "faults": faults, "ok": True,
               "changed": 0}
        mark, said = len(self.control.requests()), []
        steps = [
            ("zendesk_oauth_client", dict(connection, identifier=self.module_identifier, name="Soak modules",
                                          kind="confidential")),
            ("zendesk_oauth_client_info", dict(connection, identifier=self.module_identifier)),
            ("zendesk_oauth_token", dict(connection, client_identifier=self.module_identifier, scopes=MODULE_SCOPES,
                                         recreate="always" if rotate else "never")),
            ("zendesk_oauth_grant", dict(connection, grant_type="client_credentials", scopes=["read"],
                                         client_identifier=self.module_identifier, expires_in=600)),
        ]
        for module, args in steps:
            if module == "zendesk_oauth_grant":
                args["client_secret"] = self._read(self.held_secret_file)
                if args["client_secret"] is None:
                    continue
            held = self._read(self.held_token_file)
            if module == "zendesk_oauth_token" and held:
                args["full_token"] = held
            if module == "zendesk_oauth_client" and self._read(self.held_secret_file) is None:
                args["regenerate_secret"] = self._client_exists()
            result = run_module(module, args, self.workdir)
            run["changed"] += bool(result.get("changed")) and module != "zendesk_oauth_grant"
            if module == "zendesk_oauth_grant" and result.get("access_token"):
                self.grants += 1
            said.extend(result.get("warnings") or [])
            # The user keeps what was shown once, as the documentation says.
            if result.get("secret"):
                self._write(self.held_secret_file, result["secret"])
            if (module == "zendesk_oauth_token" and not result.get("failed") and held is None
                    and not (result.get("token") or {}).get("full_token")):
                # "A token ... exists, but Zendesk never shows a token's value again: ... use recreate: always"
                # (a token a lost answer left): do what the warning says.
                result = run_module(module, dict(args, recreate="always"), self.workdir)
                said.extend(result.get("warnings") or [])
            if module == "zendesk_oauth_token" and (result.get("token") or {}).get("full_token"):
                self._write(self.held_token_file, result["token"]["full_token"])
            if result.get("failed"):
                run.update(ok=False, failed_task=module, message=result.get("msg", ""))
                said.append(run["message"])
                break
            if result.get("secret_lost"):
                self._remove(self.held_secret_file)
        self._finish_run(run, mark, said)
        state = self._state()
        clients = clients_named(state, self.module_identifier)
        self._count_duplicates(run, clients)
        self._count_orphans(run, state, clients, self._read(self.held_token_file))
        return run

    def _client_exists(self):
        return bool(clients_named(self.control.state(), self.module_identifier))

    @staticmethod
    def _read(path):
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    @staticmethod
    def _write(path, text):
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(path + ".tmp", path)

    @staticmethod
    def _remove(path):
        if os.path.exists(path):
            os.unlink(path)

    # -- checks shared by both ------------------------------------------------------------------
    def _state(self):
        state = self.control.state()
        for client in state["clients"]:
            self.secrets_seen.add(client["secret"])
        for token in state["tokens"] + state["revoked_tokens"]:
            self.secrets_seen.add(token["full_token"])
        return state

    def _count_duplicates(self, run, clients):
        if len(clients) > 1:
            self.duplicates += len(clients) - 1
            run["duplicates"] = [c["id"] for c in clients]

    def _count_orphans(self, run, state, clients, held):
        """A live token nobody holds is 'named' when the run that left it told the user its id, else silent.

        Only tokens minted through the API (source 'api') count: a client-credentials grant token lives
        until it expires by design, and a grant whose answer was lost is never sent again (the run
        fails saying so), so the user knows.
        """
        if not clients:
            return
        for token in live_tokens(state, clients[0]["id"]):
            if token.get("source", "api") != "api":
                continue
            if token["full_token"] != held and token["id"] not in self.orphans:
                self.orphans[token["id"]] = {
                    "where": "lane %d run %d (%s%s), %s" % (self.index, run["run"], run["what"],
                                                            ", rotation" if run["rotate"] else "",
                                                            "failed in %s" % run.get("failed_task") if not run["ok"]
                                                            else "succeeded"),
                    # Its id, or the lost create, in the failure or a warning of its run.
                    "named": str(token["id"]) in run["said"] or LOST_TOKEN_CREATE in run["said"],
                    "known_bug": known_lookup_bug(run),
                    "faults_met": run["faults_met"],
                }
                run.setdefault("orphans", []).append(token["id"])

    # -- the whole lane ----------------------------------------------------------------------------
    def soak(self):
        try:
            number = 0
            for i in range(ROLE_RUNS):
                number += 1
                self.role_run(number, rotate=i % ROTATE_EVERY == ROTATE_EVERY - 1, faults=True)
            for i in range(MODULE_RUNS):
                number += 1
                self.module_converge(number, rotate=i % ROTATE_EVERY == ROTATE_EVERY - 1, faults=True)
            self.control.set_config(fault_rates=NO_FAULTS)
            self.requests_with_faults_on = len(self.control.requests())
            self.clean = [self.role_run(number + 1, rotate=False, faults=False),
                          self.module_converge(number + 2, rotate=False, faults=False),
                          self.role_run(number + 3, rotate=False, faults=False),
                          self.module_converge(number + 4, rotate=False, faults=False)]
            self.holds_working_tokens = self._holds_working_tokens()
        except Exception as exc:  # pylint: disable=broad-except
            self.error = "%s: %s" % (type(exc).__name__, exc)

    def _holds_working_tokens(self):
        """After the clean runs: the vault file and the token file each hold a live token of their client."""
        live = dict((token["full_token"], token["client_id"]) for token in self.control.state()["tokens"])
        vault = yaml.safe_load(vault_decrypt(self.vault_file, VAULT_PASSWORD))
        return {"role": live.get(vault["zendesk_oauth_full_token"]) == vault["zendesk_oauth_client_id"],
                "modules": self._read(self.held_token_file) in live}

    def faults_injected(self):
        return collections.Counter(entry["fault"] for entry in self.control.requests() if entry["fault"])

    def requests_sent(self):
        return len(self.control.requests())


def build_report(lanes, duration):
    runs = [run for lane in lanes for run in lane.runs]
    faulted = [run for run in runs if run["faults"]]
    failures = [run for run in faulted if not run["ok"]]
    faults = collections.Counter()
    for lane in lanes:
        faults.update(lane.faults_injected())
    secrets = set([ADMIN_API_TOKEN, VAULT_PASSWORD])
    for lane in lanes:
        secrets |= lane.secrets_seen
    secrets.discard(None)
    leaks = sum(output.count(secret) for lane in lanes for output in lane.outputs for secret in secrets)
    requests_total = sum(lane.requests_sent() for lane in lanes)
    return {
        "seed": SEED, "lanes": len(lanes), "fault_rates": FAULT_RATES,
        "fault_rate_total": round(sum(FAULT_RATES.values()), 2),
        "runs": {
            "with_faults": len(faulted),
            "role_with_faults": sum(1 for run in faulted if run["what"] == "role"),
            "module_converges_with_faults": sum(1 for run in faulted if run["what"] == "modules"),
            "clean_after": len(runs) - len(faulted),
            "total": len(runs),
        },
        "requests": requests_total,
        "requests_with_faults_on": sum(lane.requests_with_faults_on for lane in lanes),
        "fault_rate_observed": round(sum(faults.values()) / max(1, sum(lane.requests_with_faults_on
                                                                       for lane in lanes)), 3),
        "faults_injected": dict(sorted(faults.items())),
        "grant_tokens_received": sum(lane.grants for lane in lanes),
        "faults_injected_total": sum(faults.values()),
        "failures": len(failures),
        "failures_by_kind": dict(collections.Counter(failure_kind(run["message"]) for run in failures)),
        "failures_unclear": [run for run in failures if not CLEAR_FAILURE.search(run["message"])],
        "duplicates": sum(lane.duplicates for lane in lanes),
        "orphan_tokens": sum(1 for lane in lanes for orphan in lane.orphans.values() if not orphan["named"]),
        "orphan_tokens_of_known_bug": [
            "%s (%s)" % (token_id, KNOWN_LOOKUP_BUG) for lane in lanes for token_id, orphan in lane.orphans.items()
            if not orphan["named"] and orphan["known_bug"]],
        "unrevoked_tokens_named_by_their_run": sum(1 for lane in lanes for orphan in lane.orphans.values()
                                                   if orphan["named"]),
        "orphans": dict(("%s" % token_id, orphan) for lane in lanes for token_id, orphan in lane.orphans.items()),
        "corrupt_vault_files": sum(len(lane.corrupt_vaults) for lane in lanes),
        "corrupt_vault_details": [c for lane in lanes for c in lane.corrupt_vaults],
        "vault_client_secret_not_current": sum(len(lane.secret_mismatches) for lane in lanes),
        "secrets_checked": len(secrets),
        "leaked_secrets": leaks,
        "clean_runs_converged": all(run["ok"] for run in runs if not run["faults"]),
        "clean_runs_hold_working_tokens": [lane.holds_working_tokens for lane in lanes],
        "clean_second_runs_changed": [run["changed"] for lane in lanes for run in getattr(lane, "clean", [])[2:]],
        "lane_errors": [lane.error for lane in lanes if lane.error],
        "failure_messages": [dict((k, run.get(k)) for k in ("lane", "run", "what", "failed_task", "message",
                                                            "faults_met")) for run in failures],
        "duration_seconds": round(duration, 1),  # informational only
        "reproduce": "SOAK_SEED=%d SOAK_LANES=%d SOAK_ROLE_RUNS=%d SOAK_MODULE_RUNS=%d "
                     "python -m pytest tests/system/test_soak.py -s" % (SEED, LANES, ROLE_RUNS, MODULE_RUNS),
    }


def test_fault_soak(tmp_path):
    started = time.monotonic()
    lanes = [Lane(index, str(tmp_path / ("lane-%d" % index))) for index in range(LANES)]
    try:
        threads = [threading.Thread(target=lane.soak, name="soak-lane-%d" % lane.index) for lane in lanes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report = build_report(lanes, time.monotonic() - started)
    finally:
        for lane in lanes:
            lane.server.stop()
    os.makedirs(os.path.dirname(REPORT_PATH), exist_ok=True)
    with open(REPORT_PATH, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2, sort_keys=False)
    print("\nsoak report (%s):\n%s" % (os.path.relpath(REPORT_PATH, REPO), json.dumps(report, indent=2)))

    assert report["lane_errors"] == []
    assert report["runs"]["with_faults"] == LANES * (ROLE_RUNS + MODULE_RUNS), "some runs did not happen"
    assert report["faults_injected_total"] > 0
    assert report["failures_unclear"] == [], "failures that do not say what failed"
    assert report["duplicates"] == 0
    unexplained = report["orphan_tokens"] - len(report["orphan_tokens_of_known_bug"])
    assert unexplained == 0, "live tokens nobody holds and no run named: %s" % report["orphans"]
    assert report["corrupt_vault_files"] == 0, report["corrupt_vault_details"]
    assert report["leaked_secrets"] == 0
    assert report["clean_runs_converged"], "a run with faults off failed"
    assert report["clean_runs_hold_working_tokens"] == [{"role": True, "modules": True}] * len(lanes), (
        "after the clean runs the user does not hold a working token")
    assert report["clean_second_runs_changed"] == [0] * (2 * len(lanes)), "the second clean run changed something"
