# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live contract suite: ``make test-live`` (``run``) and ``make test-live-clean`` (``clean``).

Runs the collection's modules and role against a real Zendesk account, named by ZENDESK_URL or
ZENDESK_SUBDOMAIN with an admin's ZENDESK_EMAIL + ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN.
Without them it runs nothing, says so, and exits 0. What it touches, and how it is kept safe, is
in docs/docsite/rst/guide_contributing_live.rst; in short:

- every client it makes has an identifier starting with one prefix for the run
  (``<ZENDESK_LIVE_PREFIX><time>-<random>-``); everything goes through the guard (guard.py),
  which refuses any request that would read, change or revoke a record without it;
- the clean-up (revoke the run's tokens, delete the run's clients) runs on every way out:
  success, failure, Ctrl-C, SIGTERM, SIGHUP; ``clean`` removes what runs killed outright left;
- it refuses to start while more than ZENDESK_LIVE_MAX_LEFTOVERS clients carry the suite's
  prefix (unless ZENDESK_LIVE_CLEAN_FIRST=1);
- a request budget (ZENDESK_LIVE_REQUESTS_PER_MINUTE, ZENDESK_LIVE_MAX_REQUESTS) and Retry-After;
- the report (ZENDESK_LIVE_REPORT) records what the account answered to each open question of
  checks.py, and the simulator config those answers stand for.

Exit codes: 0 passed (or not run), 1 a case failed, 2 bad settings, 3 refused to start,
128 + signal number when interrupted (after the clean-up).
"""

from __future__ import annotations

import json
import os
import re
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

LIVE_DIR = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(LIVE_DIR)
REPO = os.path.dirname(TESTS_DIR)
for _path in (LIVE_DIR, os.path.join(TESTS_DIR, "system")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

# pylint: disable=wrong-import-position
import playbook_runner  # noqa: E402  (tests/system: how Ansible is started on this machine)
from account import Account, AccountError, admin_authorization, clean  # noqa: E402
from checks import Probe, findings  # noqa: E402
from guard import CALLER_TIMEOUT, Budget, GuardProxy, Policy, Upstream  # noqa: E402

PLAYBOOKS = os.path.join(LIVE_DIR, "playbooks")
DEFAULT_PREFIX = "zendesk-oauth-live-"
DEFAULT_PER_MINUTE = 100  # half the smallest Zendesk plan (Team: 200/min)
DEFAULT_MAX_REQUESTS = 600
DEFAULT_MAX_LEFTOVERS = 5
CLEANUP_RESERVE = 80  # requests kept back for the clean-up: the steps stop before eating into them
DEFAULT_REPORT = os.path.join(REPO, "tests", "output", "live", "report.json")
PLAYBOOK_TIMEOUT = 900
EXIT_FAILED, EXIT_SETTINGS, EXIT_REFUSED = 1, 2, 3
LOOPBACK = ("127.0.0.1", "::1", "localhost")
PREFIX_RULE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*[-_]$")


def say(text=""):
    print(text, flush=True)


class SettingsError(Exception):
    """The environment asks for something the suite will not do."""


class Settings:
    """What the environment says: the account, the admin credential, the suite's own knobs."""

    def __init__(self, environ):
        self.environ = environ
        self.missing = []
        self.url = self._account()
        self.email = environ.get("ZENDESK_EMAIL") or None
        self.api_token = environ.get("ZENDESK_API_TOKEN") or None
        self.oauth_token = environ.get("ZENDESK_OAUTH_TOKEN") or None
        self._credentials()
        self.validate_certs = _boolean(environ, "ZENDESK_VALIDATE_CERTS", True)
        self.ca_path = environ.get("ZENDESK_CA_PATH") or None
        self.prefix = environ.get("ZENDESK_LIVE_PREFIX") or DEFAULT_PREFIX
        if len(self.prefix) < 8 or not PREFIX_RULE.match(self.prefix):
            raise SettingsError("ZENDESK_LIVE_PREFIX=%r: give 8 or more lowercase letters, digits, '-' or '_', "
                                "starting with a letter and ending with '-' or '_' (default %s)"
                                % (self.prefix, DEFAULT_PREFIX))
        self.per_minute = _number(environ, "ZENDESK_LIVE_REQUESTS_PER_MINUTE", DEFAULT_PER_MINUTE, 10, 1000)
        self.max_requests = _number(environ, "ZENDESK_LIVE_MAX_REQUESTS", DEFAULT_MAX_REQUESTS,
                                    CLEANUP_RESERVE + 50, 10000)
        self.max_leftovers = _number(environ, "ZENDESK_LIVE_MAX_LEFTOVERS", DEFAULT_MAX_LEFTOVERS, 0, 1000)
        self.clean_first = _boolean(environ, "ZENDESK_LIVE_CLEAN_FIRST", False)
        self.report = os.path.abspath(environ.get("ZENDESK_LIVE_REPORT") or DEFAULT_REPORT)

    def _account(self):
        url = (self.environ.get("ZENDESK_URL") or "").strip().rstrip("/")
        subdomain = (self.environ.get("ZENDESK_SUBDOMAIN") or "").strip()
        if url and subdomain:
            raise SettingsError("both ZENDESK_URL and ZENDESK_SUBDOMAIN are set: set one")
        if subdomain:
            if not re.match(r"^[a-z0-9][a-z0-9-]*$", subdomain):
                raise SettingsError("ZENDESK_SUBDOMAIN=%r is not a subdomain (like acme for https://acme.zendesk.com)"
                                    % subdomain)
            return "https://%s.zendesk.com" % subdomain
        if not url:
            self.missing.append("ZENDESK_URL (https://acme.zendesk.com) or ZENDESK_SUBDOMAIN (acme)")
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise SettingsError("ZENDESK_URL=%r: give an absolute https URL such as https://acme.zendesk.com" % url)
        if parts.scheme == "http" and parts.hostname not in LOOPBACK:
            raise SettingsError("ZENDESK_URL=%r: plain http would send the admin credential in clear; use https "
                                "(http is only for a simulator on this machine)" % url)
        return url

    def _credentials(self):
        if self.oauth_token and (self.email or self.api_token):
            raise SettingsError("set ZENDESK_OAUTH_TOKEN, or ZENDESK_EMAIL with ZENDESK_API_TOKEN, not both")
        if bool(self.email) != bool(self.api_token):
            raise SettingsError("ZENDESK_EMAIL and ZENDESK_API_TOKEN go together (or use ZENDESK_OAUTH_TOKEN)")
        if not self.oauth_token and not self.api_token:
            self.missing.append("an admin's ZENDESK_EMAIL + ZENDESK_API_TOKEN, or ZENDESK_OAUTH_TOKEN")

    @property
    def credential(self):
        return "OAuth token (ZENDESK_OAUTH_TOKEN)" if self.oauth_token else "API token of ZENDESK_EMAIL"

    def authorization(self):
        return admin_authorization(self.email, self.api_token, self.oauth_token)

    def module_environment(self, door):
        """What the playbooks' modules read: the door as ZENDESK_URL, a timeout that outlasts the door's
        holds (ZENDESK_TIMEOUT), and the admin credential."""
        env = {"ZENDESK_URL": door, "ZENDESK_TIMEOUT": str(CALLER_TIMEOUT)}
        if self.oauth_token:
            env["ZENDESK_OAUTH_TOKEN"] = self.oauth_token
        else:
            env.update({"ZENDESK_EMAIL": self.email, "ZENDESK_API_TOKEN": self.api_token})
        return env


def _number(environ, name, default, low, high):
    raw = environ.get(name)
    if not raw:
        return default
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise SettingsError("%s=%r: give a whole number from %d to %d (default %d)" % (name, raw, low, high, default))
    return int(raw)


def _boolean(environ, name, default):
    raw = (environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError("%s=%r: give true or false" % (name, raw))


# -- interrupts ------------------------------------------------------------------------------------
class Interrupted(BaseException):
    """A signal asked the run to stop (a BaseException, so no ``except Exception`` swallows it)."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum, frame):
    del frame
    raise Interrupted(signum)


def catch_signals():
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)


# -- steps -----------------------------------------------------------------------------------------
class Step:
    """One case group: a playbook run, or the Python probes (no playbook)."""

    def __init__(self, name, playbook=None, check=False):
        self.name = name
        self.playbook = playbook
        self.check = check


# A play whose name ends with "(no-op)" must change nothing: _judge counts its changed tasks.
# The role goes first and the probes last: the role costs the most time and the fewest requests,
# the probes the reverse, so the run's requests spread over more minutes and wait less for the budget.
STEPS = [
    Step("role", "role.yml"),
    Step("client", "client.yml"),
    Step("token", "token.yml"),
    Step("grant", "grant.yml"),
    Step("probes"),
]
NO_OP = "(no-op)"


class Run:
    """One ``make test-live``: the door, the steps, the clean-up, the report."""

    def __init__(self, settings):
        self.settings = settings
        self.run_id = time.strftime("%Y%m%dt%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)
        self.prefix = settings.prefix + self.run_id + "-"
        self.budget = Budget(settings.per_minute, settings.max_requests - CLEANUP_RESERVE)
        self.proxy = GuardProxy(Upstream(settings.url, settings.validate_certs, settings.ca_path),
                                Policy(self.prefix), self.budget)
        self.account = None
        self.workdir = None
        self.child = None
        self.results = []
        self.found = {}
        self.cleanup = None
        self.outcome = "failed"
        self.started = time.time()

    # -- the whole run --------------------------------------------------------------------------
    def main(self):
        settings = self.settings
        door = self.proxy.start()
        self.account = Account(door, settings.authorization())
        self.workdir = tempfile.mkdtemp(prefix="zendesk-oauth-live-")
        for step in STEPS:  # the logs of an earlier run, which this run's would mix with
            if os.path.exists(self._log_file(step)):
                os.unlink(self._log_file(step))
        say("zendesk.oauth live suite: %s as an admin (%s)" % (_host(settings.url), settings.credential))
        say("  run prefix %s; budget %d requests/minute, %d in all; report %s"
            % (self.prefix, settings.per_minute, settings.max_requests, _shown(settings.report)))
        code = None
        try:
            code = self.preflight()
            if code is None:
                self._steps()
                self.outcome = "passed" if all(result["outcome"] == "ok" for result in self.results) else "failed"
        except Interrupted as exc:
            self.outcome = "interrupted"
            say("\ninterrupted by %s: stopping, then cleaning up (interrupt again to skip the clean-up; "
                "then run make test-live-clean)" % signal.Signals(exc.signum).name)
            code = 128 + exc.signum
        except AccountError as exc:
            say("stopped: %s" % exc)
            code = EXIT_FAILED
        finally:
            self._finish()  # may still turn "passed" into "failed": a leftover, a refused request
        if code is not None:
            return code
        return 0 if self.outcome == "passed" else EXIT_FAILED

    def preflight(self):
        """Check the credential and the leftovers of earlier runs; an exit code when the run must not go on."""
        me = self.account.call("GET", "/api/v2/users/me")
        user = me.record("user") if me.status == 200 else None
        if not isinstance(user, dict):
            say("stopped: the admin credential was refused (users/me answered %s); nothing was changed" % me.status)
            self.outcome = "refused"
            return EXIT_REFUSED
        if user.get("role") != "admin":
            say("stopped: the credential is a %s's, not an admin's; nothing was changed" % user.get("role"))
            self.outcome = "refused"
            return EXIT_REFUSED
        leftovers = self.account.prefixed_clients(self.settings.prefix)
        if leftovers and self.settings.clean_first:
            say("  ZENDESK_LIVE_CLEAN_FIRST: removing %d leftover client(s) of earlier runs first" % len(leftovers))
            self._clean_leftovers()
        elif len(leftovers) > self.settings.max_leftovers:
            say("refused: the account holds %d clients whose identifier starts %r (more than "
                "ZENDESK_LIVE_MAX_LEFTOVERS=%d): earlier runs went wrong. Nothing was changed.\n"
                "  Look at them in Admin Center, then run `make test-live-clean` (or set ZENDESK_LIVE_CLEAN_FIRST=1)."
                % (len(leftovers), self.settings.prefix, self.settings.max_leftovers))
            self.outcome = "refused"
            return EXIT_REFUSED
        elif leftovers:
            say("  note: %d leftover client(s) of earlier runs (make test-live-clean removes them)" % len(leftovers))
        return None

    def _clean_leftovers(self):
        policy = self.proxy.policy
        self.proxy.policy = Policy(self.settings.prefix, creating=False)
        try:
            done = clean(self.account, self.settings.prefix, say)
        finally:
            self.proxy.policy = policy
        if done["left"]:
            raise AccountError("could not remove leftovers: %s" % ", ".join(done["left"]))

    def _steps(self):
        say("")
        for step in STEPS:
            if self.budget.count >= self.budget.limit:
                self.results.append({"step": step.name, "outcome": "not run", "why": "request cap reached"})
                say("  %-7s %-8s (request cap reached)" % ("NOT RUN", step.name))
                continue
            before, start, cpu = self.budget.count, time.monotonic(), _children_cpu()
            if step.playbook is None:
                outcome, detail, notes = self._probes()
            else:
                outcome, detail, notes = self._playbook(step)
            result = {"step": step.name, "outcome": outcome, "seconds": round(time.monotonic() - start, 1),
                      "cpu_seconds": round(_children_cpu() - cpu, 1), "requests": self.budget.count - before}
            if notes:
                result["not_run"] = notes
            if detail:
                result["detail"] = detail
            if step.playbook:
                result["log"] = _shown(self._log_file(step))
            self.results.append(result)
            label = "ok" if outcome == "ok" else "FAILED"
            say("  %-7s %-8s %6.1fs (cpu %5.1fs) %4d requests"
                % (label, step.name, result["seconds"], result["cpu_seconds"], result["requests"]))
            for note in notes:
                say("          %s" % note)
            for line in detail or []:
                say("          | %s" % line)

    def _probes(self):
        try:
            self.found = Probe(self.account, self.prefix, say).run()
        except AccountError as exc:
            return "failed", [str(exc)], []
        broken = ["%s: %s" % (name, json.dumps(self.found[name]["evidence"])) for name in ("probe_setup", "grant_setup")
                  if name in self.found]
        return ("failed", broken, []) if broken else ("ok", None, [])

    def _playbook(self, step):
        """Run one playbook as its own process group; the JSON callback's document says what happened."""
        extra_vars = {"live_prefix": self.prefix, "live_url": self.proxy.url, "live_dir": self.workdir,
                      "live_timeout": CALLER_TIMEOUT}
        home = os.path.join(self.workdir, "ansible")
        os.makedirs(home, exist_ok=True)
        if not os.path.exists(os.path.join(self.workdir, "vault.pass")):
            _private_file(os.path.join(self.workdir, "vault.pass"), secrets.token_urlsafe(24) + "\n")
        extra_args = ["--vault-password-file", os.path.join(self.workdir, "vault.pass")]
        if step.check:
            extra_args.append("--check")
        args = playbook_runner.playbook_command(os.path.join(PLAYBOOKS, step.playbook), extra_vars,
                                                extra_args=extra_args)
        env = playbook_runner.ansible_env(home, self.settings.module_environment(self.proxy.url), "json")
        # A process group of its own: on an interrupt the whole playbook (its forks and modules) is
        # stopped before the clean-up looks at the account, so nothing it does lands after.
        self.child = subprocess.Popen(args, cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, start_new_session=True)
        self.child.stdout_callback, self.child.cmd_args = "json", args
        try:
            result = playbook_runner.finish(self.child, timeout=PLAYBOOK_TIMEOUT)
        finally:
            self._stop_child()
        self._keep_log(step, result)
        return _judge(result)

    def _stop_child(self):
        child, self.child = self.child, None
        if child is None or child.poll() is not None:
            return
        for sig, grace in ((signal.SIGINT, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(child.pid, sig)
            except ProcessLookupError:
                return
            try:
                child.wait(grace)
                return
            except subprocess.TimeoutExpired:
                continue

    def _log_file(self, step):
        """Where a playbook's output goes: <report>-logs/<step>.json (its no_log tasks arrive censored)."""
        return "%s-logs/%s.json" % (os.path.splitext(self.settings.report)[0], step.name)

    def _keep_log(self, step, result):
        os.makedirs(os.path.dirname(self._log_file(step)), exist_ok=True)
        with open(self._log_file(step), "w", encoding="utf-8") as handle:
            handle.write(result.stdout)
            if result.stderr.strip():
                handle.write("\n--- stderr\n" + result.stderr)

    # -- on every way out -----------------------------------------------------------------------
    def _finish(self):
        try:
            self._stop_child()
            self.proxy.drop_held()
            self.budget.limit = self.settings.max_requests
            settled = self.proxy.idle()
            if settled and not self.proxy.traffic.created_clients():
                self.cleanup = {"skipped": "no client create reached Zendesk, so nothing of this run exists"}
                return
            self.cleanup = clean(self.account, self.prefix, say)
            left = self.cleanup["left"]
            say("\nclean-up: %d client(s) deleted, %d token(s) revoked, %s"
                % (len(self.cleanup["clients"]), self.cleanup["tokens"],
                   "nothing of this run left" if not left else "LEFT: %s" % ", ".join(left)))
            if left and self.outcome == "passed":
                self.outcome = "failed"
        except Interrupted:
            say("clean-up interrupted: run `make test-live-clean` to remove what this run left")
            self.cleanup = {"interrupted": True}
        except AccountError as exc:
            say("clean-up failed: %s\n  run `make test-live-clean` to remove what this run left" % exc)
            self.cleanup = {"failed": str(exc)}
        finally:
            self.proxy.stop()
            _remove_tree(self.workdir)
            self._report()

    def _report(self):
        refusals = self.proxy.traffic.refusals
        if refusals and self.outcome == "passed":
            self.outcome = "failed"
        entries, config = findings(self.found, self.proxy.traffic)
        report = {
            "suite": "zendesk.oauth live contract suite",
            "target": _host(self.settings.url),
            "credential": self.settings.credential,
            "run_prefix": self.prefix,
            "outcome": self.outcome,
            "started": _iso(self.started),
            "finished": _iso(time.time()),
            "budget": {
                "requests_per_minute": self.settings.per_minute,
                "max_requests": self.settings.max_requests,
                "requests_sent": self.budget.count,
                "busiest_minute": self.budget.peak,
                "seconds_paced": round(self.budget.paced, 1),
                "seconds_held_for_retry_after": round(self.budget.held, 1),
                "rate_limited": self.proxy.traffic.too_many,
                "refused_by_guard": refusals,
            },
            "steps": self.results,
            "cleanup": self.cleanup,
            "checks": entries,
            "simulator_config": config,
            "requests": self.proxy.traffic.calls,
        }
        _write_report(self.settings.report, report)
        if self.found:
            say("\nwhat the account answered to the open questions (tests/live/checks.py):")
            for entry in entries:
                say("  %-34s %s" % (entry["id"], _observed(entry)))
            say("simulator config from these answers: %s" % json.dumps(config, sort_keys=True))
        if refusals:
            say("the guard refused %d request(s): %s" % (len(refusals), refusals[:3]))
        say("budget: %d requests sent (cap %d), busiest minute %d (budget %d), %.1fs paced, %d answered 429"
            % (self.budget.count, self.settings.max_requests, self.budget.peak, self.settings.per_minute,
               self.budget.paced, len(self.proxy.traffic.too_many)))
        not_run = [note for result in self.results for note in result.get("not_run", [])]
        say("report: %s" % _shown(self.settings.report))
        say("test-live: %s%s" % (self.outcome.upper(), "" if not not_run else
                                 " (but %d case(s) NOT RUN: %s)" % (len(not_run), "; ".join(not_run))))


def _judge(result):
    """(outcome, detail lines, NOT RUN notes) of one playbook run."""
    notes, failures, changed_in_no_op = [], [], []
    for play in (result.json or {}).get("plays", []):
        for task in play["tasks"]:
            res = task["hosts"].get("localhost") or {}
            name = task["task"]["name"]
            if name.startswith("NOT RUN") and res and not res.get("skipped"):
                notes.append(name)
            if res.get("failed") and not res.get("ignore_errors"):
                failures.append("%s: %s" % (name, res.get("msg") or res.get("assertion")))
            if play["play"]["name"].endswith(NO_OP) and res.get("changed"):
                changed_in_no_op.append("%s / %s" % (play["play"]["name"], name))
    if result.rc != 0 or result.json is None:
        detail = failures or (result.stderr or result.stdout).strip().splitlines()[-8:]
        return "failed", detail, notes
    if changed_in_no_op:
        return "failed", ["changed in a no-op play: %s" % task for task in changed_in_no_op], notes
    return "ok", None, notes


def _children_cpu():
    """User + system CPU seconds of the finished child processes (the playbooks and their modules)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _observed(entry):
    observed = entry.get("observed")
    text = json.dumps(observed, sort_keys=True) if not isinstance(observed, str) else observed
    if entry.get("why"):
        text += " (%s)" % entry["why"]
    elif isinstance(entry.get("evidence"), dict) and "body" in entry["evidence"]:
        text += "  body: %s" % json.dumps(entry["evidence"]["body"], sort_keys=True)[:160]
    return text


def _private_file(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _write_report(path, report):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2, sort_keys=False)
        handle.write("\n")
    os.replace(tmp, path)


def _remove_tree(path):
    if path and os.path.isdir(path):
        import shutil  # pylint: disable=import-outside-toplevel
        shutil.rmtree(path, ignore_errors=True)


def _host(url):
    return "%s://%s" % (urlsplit(url).scheme, urlsplit(url).netloc) if url else None


def _iso(stamp):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def _shown(path):
    return os.path.relpath(path, REPO) if path.startswith(REPO + os.sep) else path


# -- the two commands ------------------------------------------------------------------------------
def not_run(settings, command):
    say("test-live%s: NOT RUN: nothing was tested against Zendesk, and nothing was touched."
        % ("-clean" if command == "clean" else ""))
    say("  It needs a Zendesk account to run against (a sandbox, never production):")
    for item in settings.missing:
        say("    missing: %s" % item)
    say("  See docs/docsite/rst/guide_contributing_live.rst for what it does and does not touch.")
    if command == "run":
        _write_report(settings.report, {"suite": "zendesk.oauth live contract suite", "outcome": "not run",
                                        "missing": settings.missing, "finished": _iso(time.time())})
    return 0


def clean_command(settings):
    """``make test-live-clean``: remove every client carrying the suite's prefix, and its tokens."""
    proxy = GuardProxy(Upstream(settings.url, settings.validate_certs, settings.ca_path),
                       Policy(settings.prefix, creating=False), Budget(settings.per_minute, settings.max_requests))
    account = Account(proxy.start(), settings.authorization())
    say("test-live-clean: %s, clients whose identifier starts %r" % (_host(settings.url), settings.prefix))
    try:
        done = clean(account, settings.prefix, say)
    except AccountError as exc:
        say("test-live-clean: FAILED: %s" % exc)
        return EXIT_FAILED
    finally:
        proxy.stop()
    for identifier in done["clients"]:
        say("  deleted %s" % identifier)
    say("test-live-clean: %d client(s) deleted, %d token(s) revoked, %d left; %d requests%s"
        % (len(done["clients"]), done["tokens"], len(done["left"]), proxy.budget.count,
           "" if not proxy.traffic.refusals else "; the guard refused %s" % proxy.traffic.refusals))
    return 0 if not done["left"] and not proxy.traffic.refusals else EXIT_FAILED


def main(argv):
    command = argv[1] if len(argv) > 1 else "run"
    if command not in ("run", "clean"):
        say("usage: python tests/live/run.py [run|clean]")
        return EXIT_SETTINGS
    try:
        settings = Settings(os.environ)
    except SettingsError as exc:
        say("test-live%s: error: %s" % ("-clean" if command == "clean" else "", exc))
        return EXIT_SETTINGS
    if settings.missing:
        return not_run(settings, command)
    catch_signals()
    if command == "clean":
        return clean_command(settings)
    try:
        return Run(settings).main()
    except Interrupted as exc:  # a second signal, after the clean-up was already skipped
        return 128 + exc.signum


if __name__ == "__main__":
    sys.exit(main(sys.argv))
