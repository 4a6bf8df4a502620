# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kill the oauth_bootstrap role at random points, and run it twice at once: does anything get lost?

    .venv/bin/python tests/system/chaos.py [--kills 30] [--overlaps 6] [--seed N] [--json FILE]

(`make chaos`.) Against the Zendesk simulator (in this process) and a vault_file store:

- kill trials: a first run, a rotation or a refresh is started as a real ansible-playbook
  process and its whole process group is killed with SIGKILL: in a third of the trials after a
  random delay, in the others at a random point of a request it depends on, slowed by the
  simulator, which still carries it out (the write that makes a one-time secret, or the request
  after it: the worst moments); then one clean run follows;
- overlap trials: two runs start at once on the same vault file (a first run, or a rotation).

After each trial, read from the simulator and the vault file (never from the role):
- tokens nobody holds: live tokens of the client other than the one the vault file holds;
- secrets lost: the vault file does not hold the client's current secret.
Both must be 0. The report counts how many kills landed mid-run (the process had not ended).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/: the simulator package
sys.path.insert(0, HERE)

import playbook_runner  # noqa: E402  pylint: disable=wrong-import-position
from playbook_runner import ADMIN_API_TOKEN, ADMIN_EMAIL  # noqa: E402  pylint: disable=wrong-import-position
from simulator import Simulator, SimulatorControl  # noqa: E402  pylint: disable=wrong-import-position

IDENTIFIER = "chaos_integration"
PASSWORD = "chaos-vault-password-3f1d"
KINDS = ("first", "rotation", "refresh")
# The requests a kill may catch in flight, by kind of trial: the write that makes a one-time
# secret, or the request that follows it before the store is written.
IN_FLIGHT = {
    "first": [{"method": "POST", "path": "/api/v2/oauth/clients"}, {"method": "POST", "path": "/api/v2/oauth/tokens"}],
    "rotation": [{"method": "POST", "path": "/api/v2/oauth/tokens"}],
    "refresh": [{"method": "POST", "path": "/oauth/tokens"}, {"method": "GET", "path": "/api/v2/oauth/tokens/current"}],
}


class Trial(object):
    """One workspace (vault file, password file, playbook) against the shared simulator."""

    def __init__(self, root, sim_url):
        self.root = root
        self.sim_url = sim_url
        self.vault_file = os.path.join(root, "store", "zendesk_oauth.vault.yml")
        os.makedirs(os.path.dirname(self.vault_file))
        self.password_file = os.path.join(root, "vault.pass")
        with open(self.password_file, "w", encoding="utf-8") as handle:
            handle.write(PASSWORD + "\n")
        role = {
            "role": "zendesk.oauth.oauth_bootstrap",
            "oauth_bootstrap_client_identifier": IDENTIFIER,
            "oauth_bootstrap_url": sim_url,
            "oauth_bootstrap_email": ADMIN_EMAIL,
            "oauth_bootstrap_api_token": ADMIN_API_TOKEN,
            "oauth_bootstrap_vault_file": self.vault_file,
            "oauth_bootstrap_vault_password_file": self.password_file,
            # Short request bounds keep a trial short; the journal's window follows them.
            "oauth_bootstrap_timeout": 5,
        }
        self.playbook = playbook_runner.write_playbook(root, [playbook_runner.play([], roles=[role])])

    def start(self, rotate=False):
        extra = {"oauth_bootstrap_rotate": "true"} if rotate else None
        args = playbook_runner.playbook_command(self.playbook, extra)
        return subprocess.Popen(args, cwd=self.root, env=playbook_runner.ansible_env(self.root), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)

    def run(self, rotate=False, timeout=300):
        process = self.start(rotate)
        output = process.communicate(timeout=timeout)[0]
        return process.returncode, output

    def stored(self):
        if not os.path.exists(self.vault_file) or not os.path.getsize(self.vault_file):
            return {}
        import yaml  # pylint: disable=import-outside-toplevel
        return yaml.safe_load(playbook_runner.vault_decrypt(self.vault_file, PASSWORD)) or {}


def descendants(pid):
    """The process ids under pid (ansible-playbook's workers run in sessions of their own: a process group kill
    misses them)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="utf-8") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid):
    """SIGKILL a process and everything it started, at once: what a lost machine or an OOM kill does."""
    for victim in [pid] + descendants(pid):
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


def usable(token, now):
    """A token someone could still use: it works, or its refresh token can still get a new one."""
    if not token.get("expired"):
        return True
    refresh_until = token.get("refresh_token_expires_at")
    return bool(token.get("refresh_token")) and (refresh_until is None or refresh_until > now)


def check(control, trial):
    """(tokens nobody holds, secret lost) for the trial's client, from the simulator and the vault file."""
    state = control.state()
    clients = [client for client in state["clients"] if client["identifier"] == IDENTIFIER]
    stored = trial.stored()
    if not clients:
        return 0, False, stored
    client = clients[0]
    now = state["clock"]  # ISO 8601 UTC: compares as text with the tokens' times
    live = [token["id"] for token in state["tokens"] if token["client_id"] == client["id"] and usable(token, now)]
    unheld = [token_id for token_id in live if token_id != stored.get("zendesk_oauth_token_id")]
    secret_lost = stored.get("zendesk_oauth_client_secret") != client["secret"]
    return len(unheld), secret_lost, stored


def prepare(control, trial, kind):
    """The state a trial starts from: nothing (first), or a clean converge (rotation, refresh)."""
    config = {"freeze_clock": False}
    if kind == "refresh":
        # Tokens that expire in 30 minutes and carry a refresh token; the clock then moves into the margin.
        config.update(token_default_ttl=1800, token_refresh_on_create=True)
    control.reset(config=config)
    if kind != "first":
        rc, output = trial.run()
        if rc != 0:
            raise RuntimeError("the preparing run failed:\n%s" % output[-3000:])
    if kind == "refresh":
        control.advance_clock(1600)


def kill_trial(control, trial, kind, rng, typical):
    """Kill a run at a random moment (a third of the trials), or while a request it depends on is in flight.

    In flight: that request is slowed by the simulator, which still carries it out after the delay
    (as Zendesk does with a request whose client went away); the kill lands at a random point of it.
    """
    prepare(control, trial, kind)
    target = None if rng.random() < 1 / 3 else dict(rng.choice(IN_FLIGHT[kind]))
    if target and kind == "refresh" and target["method"] == "GET":
        target["after"] = 1  # the GET that verifies the held token comes first: the one after the grant
    delay = round(rng.uniform(0.6, 1.5), 2)
    if target:
        queued = [dict(method=target["method"], path=target["path"], fault="slow", delay=0, count=1)] * target.get(
            "after", 0) + [dict(method=target["method"], path=target["path"], fault="slow", delay=delay, count=1)]
        control.queue_faults(queued)
    process = trial.start(rotate=(kind == "rotation"))
    if target:
        deadline = time.monotonic() + 120
        while control.pending_faults() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        wait = rng.uniform(0, delay)
    else:
        wait = rng.uniform(0.2, typical + 0.3)
    time.sleep(wait)
    landed = process.poll() is None
    if landed:
        kill_tree(process.pid)
    process.communicate()
    control.clear_faults()
    time.sleep(delay + 0.2 if target else 0.1)  # the slowed request still lands in the simulator
    journal = (trial.stored().get("zendesk_oauth_pending") or {}).get("operation")
    unheld_before = check(control, trial)[0]
    rc, output = trial.run()
    unheld, lost = check(control, trial)[:2]
    return {"kind": kind, "in_flight": "%s %s" % (target["method"], target["path"]) if target else None,
            "kill_after_s": round(wait, 2), "killed_mid_run": landed,
            "journal_left": journal, "unheld_after_kill": unheld_before, "clean_run_rc": rc,
            "tokens_nobody_holds": unheld, "secret_lost": lost,
            "clean_run_tail": output[-1500:] if rc != 0 else None}


def overlap_trial(control, trial, kind):
    prepare(control, trial, "first" if kind == "first" else "rotation")
    first, second = trial.start(rotate=(kind == "rotation")), trial.start(rotate=(kind == "rotation"))
    outputs = [first.communicate(timeout=600)[0], second.communicate(timeout=600)[0]]
    unheld, lost = check(control, trial)[:2]
    return {"kind": kind, "rcs": [first.returncode, second.returncode], "tokens_nobody_holds": unheld,
            "secret_lost": lost, "tails": [out[-1500:] for out, proc in zip(outputs, (first, second))
                                           if proc.returncode != 0]}


def run(kills, overlaps, seed, workdir=None, log=print):
    rng = random.Random(seed)
    root = workdir or tempfile.mkdtemp(prefix="zendesk-oauth-chaos-")
    simulator = Simulator(port=0)
    simulator.start()
    control = SimulatorControl(simulator.url)
    report = {"seed": seed, "kill_trials": [], "overlap_trials": []}
    try:
        started = time.monotonic()
        timing = Trial(os.path.join(root, "timing"), simulator.url)
        prepare(control, timing, "first")
        began = time.monotonic()
        timing.run()
        typical = time.monotonic() - began
        report["typical_run_s"] = round(typical, 2)
        for number in range(kills):
            kind = KINDS[number % len(KINDS)]
            trial = Trial(os.path.join(root, "kill-%02d" % number), simulator.url)
            outcome = kill_trial(control, trial, kind, rng, typical)
            report["kill_trials"].append(outcome)
            log("kill %2d %-8s killed_mid_run=%-5s in flight: %-36s journal_left=%-17s unheld after kill %d, "
                "after the clean run %d; secret_lost=%s" % (
                    number, kind, outcome["killed_mid_run"], outcome["in_flight"], outcome["journal_left"],
                    outcome["unheld_after_kill"], outcome["tokens_nobody_holds"], outcome["secret_lost"]))
        for number in range(overlaps):
            kind = ("first", "rotation")[number % 2]
            trial = Trial(os.path.join(root, "overlap-%02d" % number), simulator.url)
            outcome = overlap_trial(control, trial, kind)
            report["overlap_trials"].append(outcome)
            log("overlap %d %-8s rcs=%s unheld=%d secret_lost=%s" % (
                number, kind, outcome["rcs"], outcome["tokens_nobody_holds"], outcome["secret_lost"]))
        report["seconds"] = round(time.monotonic() - started, 1)
    finally:
        simulator.stop()
        if workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    kill_trials, overlap_trials = report["kill_trials"], report["overlap_trials"]
    report["summary"] = {
        "kills": len(kill_trials),
        "killed_mid_run": sum(1 for t in kill_trials if t["killed_mid_run"]),
        "kills_that_left_a_journal": sum(1 for t in kill_trials if t["journal_left"]),
        "kills_that_left_tokens_nobody_held": sum(1 for t in kill_trials if t["unheld_after_kill"]),
        "kills_tokens_nobody_holds": sum(t["tokens_nobody_holds"] for t in kill_trials),
        "kills_secrets_lost": sum(1 for t in kill_trials if t["secret_lost"]),
        "kills_clean_run_failed": sum(1 for t in kill_trials if t["clean_run_rc"] != 0),
        "overlaps": len(overlap_trials),
        "overlaps_tokens_nobody_holds": sum(t["tokens_nobody_holds"] for t in overlap_trials),
        "overlaps_secrets_lost": sum(1 for t in overlap_trials if t["secret_lost"]),
        "overlaps_failed_runs": sum(1 for t in overlap_trials for rc in t["rcs"] if rc != 0),
    }
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--overlaps", type=int, default=6)
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock, printed)")
    parser.add_argument("--json", help="write the report here")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    print("chaos: %d kill trials, %d overlap trials, seed %d" % (args.kills, args.overlaps, seed))
    report = run(args.kills, args.overlaps, seed)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
    print(json.dumps(report["summary"], indent=2))
    summary = report["summary"]
    bad = (summary["kills_tokens_nobody_holds"] + summary["kills_secrets_lost"] + summary["kills_clean_run_failed"]
           + summary["overlaps_tokens_nobody_holds"] + summary["overlaps_secrets_lost"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
