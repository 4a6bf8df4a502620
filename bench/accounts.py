# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many integrations and many accounts (the guide docs/docsite/rst/guide_fleet.rst), measured.

    .venv/bin/python bench/accounts.py [--accounts 20] [--forks 10] [--fleet 50] [--repeat 3] [--out FILE]

Two figures, each against simulator processes of its own (tests/system/simulated_accounts.py: 127.0.0.1, a
rate limit each, a bounded lifetime, stopped by PID):

- one account, ``--fleet`` integrations in one run of the role (oauth_bootstrap_integrations): the requests of a
  first run and of a run with nothing to do, from the simulator's request log;
- ``--accounts`` accounts, one inventory host each, with the integrations of examples/accounts (its playbook and
  group_vars as they are; only the hosts are the simulators): the play's wall time with forks 1 and with
  ``--forks``, first run and run with nothing to do, alternating which goes first in each repetition; the ratio is
  forks 1 over forks N in the same repetition. Each account's requests, the most of them in any 60 s of its clock,
  and its 429 answers, against its own budget (``--budget`` requests a minute, Zendesk's smallest plan by default).

bench/run.py calls measure() as its ``accounts`` section and render() for the report; this file runs alone too.
"""

from __future__ import annotations

import argparse
import calendar
import os
import shutil
import sys
import tempfile
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)
SYSTEM_TESTS = os.path.join(REPO, "tests", "system")
for _path in (BENCH_DIR, SYSTEM_TESTS):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import yaml  # noqa: E402  pylint: disable=wrong-import-position

import playbook_runner  # noqa: E402  pylint: disable=wrong-import-position
from simulated_accounts import SimulatedAccounts  # noqa: E402  pylint: disable=wrong-import-position
from stats import Spread, ratio  # noqa: E402  pylint: disable=wrong-import-position

EXAMPLE = os.path.join(REPO, "examples", "accounts")
VAULT_PASSWORD = "bench-accounts-vault-password"
LIFETIME = 3600  # seconds: every simulator process stops by itself by then, whatever happens to this one
LIST = ("GET", "/api/v2/oauth/clients")


def _epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def peak_per_minute(log):
    """The most requests of one log inside any 60 s of the simulator's clock."""
    times = sorted(_epoch(entry["time"]) for entry in log)
    best, low = 0, 0
    for high, when in enumerate(times):
        while times[low] <= when - 60:
            low += 1
        best = max(best, high - low + 1)
    return best


class Scratch:
    """A scratch directory: the vault password file and Ansible's own files."""

    def __init__(self, keep=False):
        self.root = tempfile.mkdtemp(prefix="zendesk-oauth-bench-accounts-")
        self.keep = keep
        self.password_file = os.path.join(self.root, "vault.pass")
        with open(self.password_file, "w", encoding="utf-8") as handle:
            handle.write(VAULT_PASSWORD + "\n")

    def run(self, playbook, extra_args=(), extra_vars=None):
        """ansible-playbook to the end; (wall seconds, result)."""
        start = time.monotonic()
        result = playbook_runner.run_playbook(playbook, self.root, extra_vars=extra_vars, extra_args=extra_args,
                                              stdout_callback=None, timeout=3600)
        seconds = time.monotonic() - start
        if result.rc != 0:
            raise RuntimeError("%s failed (rc=%s):\n%s" % (playbook, result.rc, result.output[-4000:]))
        return seconds, result

    def cleanup(self):
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)


def measure_fleet(scratch, fleet, progress):
    """One account, `fleet` integrations in one run: the requests of a first run and of a run with nothing to do."""
    with SimulatedAccounts(1, os.path.join(scratch.root, "fleet-simulator"), lifetime=LIFETIME) as account:
        stores = os.path.join(scratch.root, "fleet-stores")
        os.makedirs(stores)
        entries = [{"client_identifier": "integration_%02d" % number, "vault_file": os.path.join(
            stores, "integration_%02d.vault.yml" % number)} for number in range(fleet)]
        play = playbook_runner.play([], roles=[{
            "role": "zendesk.oauth.oauth_bootstrap", "oauth_bootstrap_url": account.urls[0],
            "oauth_bootstrap_email": playbook_runner.ADMIN_EMAIL,
            "oauth_bootstrap_api_token": playbook_runner.ADMIN_API_TOKEN,
            "oauth_bootstrap_vault_password_file": scratch.password_file, "oauth_bootstrap_integrations": entries}])
        playbook = playbook_runner.write_playbook(scratch.root, [play], name="fleet.yml")
        figures = {"integrations": fleet}
        for run in ("first", "noop"):
            progress("accounts: one account, %d integrations, %s run" % (fleet, run))
            account.clear_requests()
            scratch.run(playbook)
            log = account.requests()[0]
            figures[run] = {"requests": len(log), "listings": sum(1 for e in log if (e["method"], e["path"]) == LIST),
                            "statuses": sorted(set(e["status"] for e in log))}
    return figures


def _example_copy(scratch, urls):
    """examples/accounts with an inventory of the simulated accounts (the admin token as a vault file holds it)."""
    root = os.path.join(scratch.root, "accounts")
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(EXAMPLE, root)
    hosts = dict(("account_%02d" % number, {"zendesk_url": url, "zendesk_email": playbook_runner.ADMIN_EMAIL,
                                            "vault_zendesk_api_token": playbook_runner.ADMIN_API_TOKEN})
                 for number, url in enumerate(urls))
    with open(os.path.join(root, "inventory", "hosts.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump({"zendesk_accounts": {"hosts": hosts}}, handle)
    return root


def measure_accounts(scratch, accounts, forks, repeat, budget, progress):
    """`accounts` accounts with forks 1 and `forks`: play times, and each account's requests against its budget."""
    with open(os.path.join(EXAMPLE, "inventory", "group_vars", "zendesk_accounts.yml"), encoding="utf-8") as handle:
        integrations = len(yaml.safe_load(handle)["zendesk_integrations"])
    times = {(run, count): [] for run in ("first", "noop") for count in (1, forks)}
    per_account = {"first": [], "noop": []}
    with SimulatedAccounts(accounts, os.path.join(scratch.root, "simulators"), rate_limit_per_minute=budget,
                           lifetime=LIFETIME) as running:
        for index in range(repeat):
            order = (1, forks) if index % 2 == 0 else (forks, 1)
            for count in order:
                for control in running.controls:
                    control.reset()
                root = _example_copy(scratch, running.urls)
                args = ["-i", os.path.join(root, "inventory"), "--forks", str(count)]
                for run in ("first", "noop"):
                    progress("accounts: %d accounts x %d integrations, forks %d, %s run (%d/%d)"
                             % (accounts, integrations, count, run, index + 1, repeat))
                    running.clear_requests()
                    seconds, unused = scratch.run(os.path.join(root, "bootstrap.yml"), args,
                                                  {"zendesk_vault_password_file": scratch.password_file})
                    times[(run, count)].append(seconds)
                    for log in running.requests():
                        per_account[run].append({"requests": len(log), "peak_per_minute": peak_per_minute(log),
                                                 "refused": sum(1 for entry in log if entry["status"] == 429)})
    return {
        "accounts": accounts, "integrations": integrations, "forks": forks, "repeat": repeat, "budget": budget,
        "seconds": dict(("%s forks %d" % key, Spread(values)) for key, values in times.items()),
        "ratio": dict((run, Spread([ratio(one, many) for one, many in zip(times[(run, 1)], times[(run, forks)])]))
                      for run in ("first", "noop")),
        "per_account": dict((run, {
            "requests": sorted(set(entry["requests"] for entry in entries)),
            "peak_per_minute": max(entry["peak_per_minute"] for entry in entries),
            "refused": sum(entry["refused"] for entry in entries)}) for run, entries in per_account.items()),
    }


def measure(progress, accounts=20, forks=10, fleet=50, repeat=3, budget=200, keep=False):
    """Both figures (see the module docstring); the `accounts` section of bench/run.py."""
    scratch = Scratch(keep=keep)
    try:
        return {"fleet": measure_fleet(scratch, fleet, progress),
                "accounts": measure_accounts(scratch, accounts, forks, repeat, budget, progress)}
    finally:
        scratch.cleanup()


def render(figures):
    """The report's section, in Markdown."""
    fleet, many = figures["fleet"], figures["accounts"]
    out = ["\n## Many integrations, many accounts\n",
           "`bench/accounts.py` against simulator processes of their own (one per account, each with its own rate "
           "limit). See `docs/docsite/rst/guide_fleet.rst`.\n",
           "One account, %d integrations in one run of the role (`oauth_bootstrap_integrations`), from the "
           "simulator's request log:\n" % fleet["integrations"],
           "| run | requests | of them listings of the clients | floor |",
           "|---|---|---|---|",
           "| first run | %d | %d | %d (1 listing + 2 per integration) |" % (
               fleet["first"]["requests"], fleet["first"]["listings"], 1 + 2 * fleet["integrations"]),
           "| nothing to do | %d | %d | %d (2 per integration, nothing shared) |" % (
               fleet["noop"]["requests"], fleet["noop"]["listings"], 2 * fleet["integrations"]),
           "\n%d accounts × %d integrations (`examples/accounts`, one inventory host per account), play wall time in "
           "seconds over %d repetitions, median (min–max):\n" % (many["accounts"], many["integrations"],
                                                                 many["repeat"]),
           "| run | forks 1 | forks %d | forks 1 / forks %d |" % (many["forks"], many["forks"]),
           "|---|---|---|---|"]
    for run, label in (("first", "first run"), ("noop", "nothing to do")):
        out.append("| %s | %s | %s | %s |" % (label, many["seconds"]["%s forks 1" % run].show(1),
                                              many["seconds"]["%s forks %d" % (run, many["forks"])].show(1),
                                              many["ratio"][run].show(2)))
    out += ["\nEach account's own requests, against its budget of %d a minute (every run, every forks value):\n"
            % many["budget"],
            "| run | requests per account | most in any 60 s | 429 answers |", "|---|---|---|---|"]
    for run, label in (("first", "first run"), ("noop", "nothing to do")):
        data = many["per_account"][run]
        counts = ", ".join(str(count) for count in data["requests"])
        out.append("| %s | %s | %d of %d | %d |" % (
            label, counts, data["peak_per_minute"], many["budget"], data["refused"]))
    return "\n".join(out) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bench/accounts.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--fleet", type=int, default=50, help="integrations in the one-account run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=int, default=200, help="each account's rate limit, requests a minute")
    parser.add_argument("--out", help="write the Markdown section here (default: print it)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    started = time.time()

    def progress(text):
        sys.stderr.write("[accounts %4.0fs] %s\n" % (time.time() - started, text))
        sys.stderr.flush()

    text = render(measure(progress, args.accounts, args.forks, args.fleet, args.repeat, args.budget, args.keep))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
