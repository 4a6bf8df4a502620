# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A year of the oauth_bootstrap role under Zendesk's 2027 token rules, in simulated time.

    .venv/bin/python tests/system/soak_year.py [--days 365] [--every-hours 12] [--gap-start-day 180]
        [--gap-days 40] [--playbook first,refresh,after-gap] [--minted-ttl 1800] [--minted-refresh yes]
        [--json FILE]

(`make soak-year`; tests/system/test_soak_year.py runs a short version in make pytest.)

The Zendesk simulator runs in this process with a frozen clock set to Zendesk's 2027 rules
(RULES_2027): access tokens live 30 minutes, refresh tokens 30 days and rotate on use. The role
runs every --every-hours simulated hours for --days simulated days, except for --gap-days days
from --gap-start-day on, when nothing runs (the refresh token dies in a gap longer than 30 days,
and the run after it must fall back to a new token). Each run is the role's own work,
plugins/plugin_utils/_bootstrap_engine.execute() (what the role's task runs), with a vault_file
store; the runs named by --playbook are real ansible-playbook processes of the role instead.
Between runs the clock is advanced, never waited for.

After every run, read from the simulator's own state and request log, and from the vault file
(never from the role's result):
- the stored token works as Bearer (GET /api/v2/users/me answers 200 at that simulated time);
- it is the simulator's live token with that value, its id, expiry, refresh token and refresh
  token expiry are the simulator's, and neither it nor its refresh token has expired;
- no journal is left in the store, the stored client secret is the simulator's, and there is
  exactly one client with the identifier;
- tokens nobody holds: the client's tokens other than the stored one that still work or can
  still be refreshed; must be 0;
- the run took the way the schedule calls for (expected_kinds: the first run mints; a held token
  that expires within the expiry margin is refreshed, or, when its refresh token has died, the
  refresh is refused and a new token minted (minted at once when it has no refresh token); else
  it is kept), with the requests listed in
  EXPECTED_REQUESTS, and the role says it took that way.

Whether the tokens an admin mints expire and carry a refresh token is unknown (the reference's
§2.2, §3.3): the soak assumes they follow the 2027 rules like every other token, and
--minted-ttl / --minted-refresh run the year under another answer.

Any broken check makes the exit status 1. The report (--json) holds the figures and every run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone

import requests
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/: the simulator package
sys.path.insert(0, HERE)

import playbook_runner  # noqa: E402  pylint: disable=wrong-import-position
from playbook_runner import ADMIN_API_TOKEN, ADMIN_EMAIL  # noqa: E402  pylint: disable=wrong-import-position
from simulator import Simulator, SimulatorControl  # noqa: E402  pylint: disable=wrong-import-position

DAY = 86400
ACCESS_TTL = 1800          # Zendesk's default access token lifetime (reference §3.4)
REFRESH_TTL = 30 * DAY     # Zendesk's default refresh token lifetime (reference §3.1, §3.4)
EXPIRY_MARGIN = 300        # the role's default oauth_bootstrap_expiry_margin
RULES_2027 = {
    "freeze_clock": True,                        # time moves only when the soak advances it
    "grant_default_expires_in": ACCESS_TTL,      # documented: refreshed tokens live 30 minutes
    "grant_default_refresh_expires_in": REFRESH_TTL,  # documented: refresh tokens live 30 days
    # The reference's unknowns (§2.2, §3.3, §3.4): whether tokens an admin mints with
    # POST /api/v2/oauth/tokens get the default lifetime, and whether they carry a refresh token.
    # Assumed here: both, like every other token.
    "token_default_ttl": ACCESS_TTL,
    "token_refresh_on_create": True,
}
UNKNOWNS = ("token_default_ttl", "token_refresh_on_create")

IDENTIFIER = "year_integration"
PASSWORD = "soak-year-vault-password-7c2e"
ROLE_TASK = "zendesk.oauth.oauth_bootstrap : Ensure the OAuth client and its token, kept in the store"
SUMMARY_TASK = "zendesk.oauth.oauth_bootstrap : Show the client and token (no secrets)"

# Kinds of run: the first one, a refresh, a refresh refused (the refresh token died) then a mint, a keep,
# and a mint with no refresh tried (which the 2027 rules never call for).
FIRST, REFRESH, REMINT, KEEP, MINT = "first", "refresh", "re-mint", "keep", "mint"
KINDS = (FIRST, REFRESH, REMINT, KEEP, MINT)
CLIENTS = "GET /api/v2/oauth/clients 200"
# After the first run the role reads its client by the id its store holds.
CLIENT = "GET /api/v2/oauth/clients/{id} 200"
EXPECTED_REQUESTS = {
    FIRST: [CLIENTS, "POST /api/v2/oauth/clients 201", "POST /api/v2/oauth/tokens 201"],
    REFRESH: [CLIENT, "GET /api/v2/oauth/tokens/current 401", "POST /oauth/tokens refresh_token 201",
              "GET /api/v2/oauth/tokens/current 200"],
    REMINT: [CLIENT, "GET /api/v2/oauth/tokens/current 401", "POST /oauth/tokens refresh_token 400",
             "POST /api/v2/oauth/tokens 201"],
    KEEP: [CLIENT, "GET /api/v2/oauth/tokens/current 200"],
    MINT: [CLIENT, "GET /api/v2/oauth/tokens/current 401", "POST /api/v2/oauth/tokens 201"],
}
# The path the role reports for each kind (a re-mint is a mint after a refused refresh).
ROLE_PATH = {FIRST: "mint", REFRESH: "refresh", REMINT: "mint", KEEP: "keep", MINT: "mint"}
PLAYBOOK_RUNS = ("first", "refresh", "after-gap", "last")


def epoch(text):
    """Seconds since the epoch of one of Zendesk's ISO 8601 UTC timestamps (None stays None)."""
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def schedule(days, every_hours, gap_start_day, gap_days):
    """The simulated moments of the runs, in seconds from the first: every every_hours for days, none in the gap."""
    step = every_hours * 3600
    gap = (gap_start_day * DAY, (gap_start_day + gap_days) * DAY)
    times, moment = [], 0.0
    while moment < days * DAY:
        if not gap[0] <= moment < gap[1]:
            times.append(moment)
        moment += step
    return times


def expected_kinds(times, minted_ttl=ACCESS_TTL, minted_refresh=True):
    """The kind each run must be, from the token the store holds: when it was issued, its lifetime, its refresh token.

    minted_ttl (seconds, None: never expires) and minted_refresh describe the tokens an admin mints
    (the reference's unknowns); a refreshed token lives ACCESS_TTL and carries a refresh token.
    """
    kinds, held = [], None  # held: (issued at, lifetime or None, has a refresh token)
    for moment in times:
        if held is None:
            kind = FIRST
        elif held[1] is None or moment - held[0] <= held[1] - EXPIRY_MARGIN:
            kind = KEEP
        elif held[2] and moment - held[0] < REFRESH_TTL:
            kind = REFRESH
        else:
            kind = REMINT if held[2] else MINT
        if kind == REFRESH:
            held = (moment, ACCESS_TTL, True)
        elif kind != KEEP:
            held = (moment, minted_ttl, minted_refresh)
        kinds.append(kind)
    return kinds


def request_line(entry):
    """One request of the log as `METHOD path [grant_type] status` (the .json suffix, client and token ids dropped)."""
    path = entry["path"][:-5] if entry["path"].endswith(".json") else entry["path"]
    if path.startswith(("/api/v2/oauth/tokens/", "/api/v2/oauth/clients/")) and path.rsplit("/", 1)[1].isdigit():
        path = path.rsplit("/", 1)[0] + "/{id}"
    words = [entry["method"], path]
    if path == "/oauth/tokens":
        words.append(str((entry.get("body") or {}).get("grant_type")))
    words.append(str(entry["status"]))
    return " ".join(words)


def cpu_seconds():
    """CPU time of this process (the role's work and the simulator's threads) and of its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Year(object):
    """One simulator (2027 rules, frozen clock), one vault file, one client; runs of the role and the checks."""

    def __init__(self, workdir, rules=None):
        self.workdir = workdir
        self.vault_file = os.path.join(workdir, "store", "zendesk_oauth.vault.yml")
        os.makedirs(os.path.dirname(self.vault_file))
        self.password_file = os.path.join(workdir, "vault.pass")
        with open(self.password_file, "w", encoding="utf-8") as handle:
            handle.write(PASSWORD + "\n")
        self.simulator = Simulator(port=0, config=rules or RULES_2027)
        self.url = self.simulator.start()
        self.control = SimulatorControl(self.url)
        self.session = requests.Session()
        # The role's variables, the same for both ways of running it.
        self.variables = {
            "oauth_bootstrap_client_identifier": IDENTIFIER,
            "oauth_bootstrap_url": self.url,
            "oauth_bootstrap_email": ADMIN_EMAIL,
            "oauth_bootstrap_api_token": ADMIN_API_TOKEN,
            "oauth_bootstrap_vault_file": self.vault_file,
            "oauth_bootstrap_vault_password_file": self.password_file,
        }
        self.playbook = playbook_runner.write_playbook(workdir, [playbook_runner.play(
            [], roles=[dict({"role": "zendesk.oauth.oauth_bootstrap"}, **self.variables)])])
        self._execute = None

    def close(self):
        self.session.close()
        self.simulator.stop()

    # -- the role's runs ---------------------------------------------------------------------------
    def run_engine(self):
        """One run of the role's work in this process: (failed message or None, path the role took, changed)."""
        if self._execute is None:
            root = playbook_runner.collections_path().split(os.pathsep)[0]
            if root not in sys.path:
                sys.path.insert(0, root)
            self._execute = importlib.import_module(
                "ansible_collections.zendesk.oauth.plugins.plugin_utils._bootstrap_engine").execute
        environ = dict((key, value) for key, value in os.environ.items() if not key.startswith("ZENDESK_"))
        result = self._execute(dict(self.variables), environ, lambda module: {})
        if result.get("failed"):
            return result.get("msg") or "failed without a message", None, bool(result.get("changed"))
        return None, result.get("path"), bool(result.get("changed"))

    def run_playbook(self):
        """One ansible-playbook run of the role: (failed message or None, path the role took, changed)."""
        result = playbook_runner.run_playbook(self.playbook, self.workdir)
        if result.rc != 0:
            return "ansible-playbook exited %s:\n%s" % (result.rc, result.output[-3000:]), None, None
        # The role's summary says how the run settled the token in the words of _bootstrap.HOW.
        token_line = [line for line in result.result(SUMMARY_TASK)["msg"] if line.startswith("OAuth token:")]
        how = playbook_runner.module_utils("_bootstrap").HOW
        path = [name for name, words in how.items() if token_line and ", %s," % words in token_line[0]]
        return None, path[0] if path else "unknown", bool(result.result(ROLE_TASK).get("changed"))

    # -- what the simulator says -------------------------------------------------------------------
    def stored(self):
        if not os.path.exists(self.vault_file):
            return {}
        return yaml.safe_load(playbook_runner.vault_decrypt(self.vault_file, PASSWORD)) or {}

    def check(self):
        """The broken checks (sentences) after a run, from the simulator's state and the vault file."""
        state = self.control.state()
        now = epoch(state["clock"])
        problems = []
        clients = playbook_runner.clients_named(state, IDENTIFIER)
        if len(clients) != 1:
            return ["%d clients with the identifier %s, not 1" % (len(clients), IDENTIFIER)]
        client = clients[0]
        stored = self.stored()
        if stored.get("zendesk_oauth_pending"):
            problems.append("the store holds a journal after the run: %s" % stored["zendesk_oauth_pending"])
        if stored.get("zendesk_oauth_client_secret") != client["secret"]:
            problems.append("the stored client secret is not the client's")
        held = stored.get("zendesk_oauth_full_token")
        live = [token for token in state["tokens"] if token["client_id"] == client["id"]]
        token = ([candidate for candidate in live if held and candidate["full_token"] == held] or [None])[0]
        if token is None:
            revoked = [t for t in state["revoked_tokens"] if held and t["full_token"] == held]
            problems.append("the stored token is not a live token of the client (%s)"
                            % ("revoked: %s" % revoked[0].get("revoked_reason") if revoked else "unknown to Zendesk"))
        else:
            problems.extend(self.stored_token_problems(stored, token, now))
        answer = self.session.get(self.url + "/api/v2/users/me", headers={"Authorization": "Bearer %s" % held},
                                  timeout=30)
        if answer.status_code != 200:
            problems.append("the stored token does not work as Bearer: GET /api/v2/users/me answered %s"
                            % answer.status_code)
        unheld = [t["id"] for t in live if (token is None or t["id"] != token["id"]) and usable(t, now)]
        if unheld:
            problems.append("tokens nobody holds: %s" % unheld)
        return problems

    @staticmethod
    def stored_token_problems(stored, token, now):
        problems = []
        for key, field in (("zendesk_oauth_token_id", "id"), ("zendesk_oauth_refresh_token", "refresh_token"),
                           ("zendesk_oauth_token_expires_at", "expires_at"),
                           ("zendesk_oauth_refresh_token_expires_at", "refresh_token_expires_at")):
            if stored.get(key) != token[field]:
                problems.append("the store's %s is not the token's %s" % (key, field))
        if token["expired"] or (epoch(token["expires_at"]) or float("inf")) <= now:
            problems.append("the stored token has expired (at %s)" % token["expires_at"])
        # A refresh token matters only for a token that expires (a lasting token may outlive its refresh token).
        if (token["expires_at"] and token["refresh_token"]
                and (epoch(token["refresh_token_expires_at"]) or float("inf")) <= now):
            problems.append("the stored refresh token has expired (at %s)" % token["refresh_token_expires_at"])
        return problems

    def dead_tokens(self):
        """How many of the client's tokens are neither revoked nor usable: expired, with no refresh token that works."""
        state = self.control.state()
        now = epoch(state["clock"])
        ids = set(client["id"] for client in playbook_runner.clients_named(state, IDENTIFIER))
        return sum(1 for token in state["tokens"] if token["client_id"] in ids and not usable(token, now))

    def requests_sent(self):
        return [request_line(entry) for entry in self.control.requests()]


def usable(token, now):
    """Whether a live (not revoked) token is still a credential: it works, or its refresh token still does."""
    if not token["expired"]:
        return True
    return bool(token["refresh_token"]) and (epoch(token["refresh_token_expires_at"]) or float("inf")) > now


def playbook_indices(names, kinds):
    """The run numbers that go through ansible-playbook, from names in PLAYBOOK_RUNS."""
    indices = set()
    for name in names:
        if name == "first":
            indices.add(0)
        elif name == "refresh" and REFRESH in kinds:
            indices.add(kinds.index(REFRESH))
        elif name == "after-gap" and REMINT in kinds:
            indices.add(kinds.index(REMINT))
        elif name == "last":
            indices.add(len(kinds) - 1)
    return indices


def soak(days=365, every_hours=12.0, gap_start_day=180, gap_days=40, playbook=(), minted_ttl=ACCESS_TTL,
         minted_refresh=True, workdir=None, log=print):
    """Run the year; returns the report (see main). playbook: names from PLAYBOOK_RUNS; minted_*: see expected_kinds."""
    rules = dict(RULES_2027, token_default_ttl=minted_ttl, token_refresh_on_create=minted_refresh)
    times = schedule(days, every_hours, gap_start_day, gap_days)
    kinds = expected_kinds(times, minted_ttl, minted_refresh)
    via_playbook = playbook_indices(playbook, kinds)
    root = workdir or tempfile.mkdtemp(prefix="zendesk-oauth-soak-year-")
    year = Year(os.path.join(root, "year"), rules)
    runs = []
    started, cpu_started = time.perf_counter(), cpu_seconds()
    try:
        start = epoch(year.control.clock()["clock"])
        for index, (moment, expected) in enumerate(zip(times, kinds)):
            now = epoch(year.control.clock()["clock"])
            if start + moment > now:
                year.control.advance_clock(start + moment - now)
            year.control.clear_requests()
            via = "ansible-playbook" if index in via_playbook else "engine"
            began, cpu_began = time.perf_counter(), cpu_seconds()
            failed, path, changed = year.run_playbook() if via == "ansible-playbook" else year.run_engine()
            wall, cpu = time.perf_counter() - began, cpu_seconds() - cpu_began
            sent = year.requests_sent()
            kind = kind_of(sent)
            problems = [failed] if failed else []
            if kind != expected:
                problems.append("the run was a %s, the schedule calls for a %s" % (kind, expected))
            if kind in EXPECTED_REQUESTS and sent != EXPECTED_REQUESTS[kind]:
                problems.append("requests %s, expected %s" % (sent, EXPECTED_REQUESTS[kind]))
            if not failed and path != ROLE_PATH.get(kind):
                problems.append("the role says it took the path %s; Zendesk saw a %s" % (path, kind))
            if not failed and changed != (kind != KEEP):
                problems.append("changed=%s after a %s" % (changed, kind))
            problems.extend(year.check())
            run = {"run": index, "day": round(moment / DAY, 2), "via": via, "kind": kind, "expected": expected,
                   "path": path, "changed": changed, "requests": len(sent), "sent": sent, "wall_s": round(wall, 3),
                   "cpu_s": round(cpu, 3), "problems": problems}
            runs.append(run)
            if problems or via != "engine" or not runs[-2:-1] or runs[-2]["kind"] != kind:
                log("run %4d day %6.2f %-16s %-8s %d requests%s" % (
                    index, run["day"], via, kind, len(sent), "".join("\n    BROKEN: " + p for p in problems)))
        dead = year.dead_tokens()
    finally:
        year.close()
        if workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    parameters = {"days": days, "every_hours": every_hours, "gap_start_day": gap_start_day, "gap_days": gap_days,
                  "playbook": sorted(playbook), "minted_ttl": minted_ttl, "minted_refresh": minted_refresh}
    return report_of(runs, parameters, rules, dead, wall, cpu)


def kind_of(sent):
    """The kind of run, from what Zendesk saw (the request log)."""
    if "POST /api/v2/oauth/clients 201" in sent:
        return FIRST
    if "POST /oauth/tokens refresh_token 400" in sent and "POST /api/v2/oauth/tokens 201" in sent:
        return REMINT
    if "POST /oauth/tokens refresh_token 201" in sent:
        return REFRESH
    if "POST /api/v2/oauth/tokens 201" in sent:
        return MINT
    if not any(line.startswith(("POST", "PUT", "DELETE")) for line in sent):
        return KEEP
    return "other"


def report_of(runs, parameters, rules, dead, wall, cpu):
    counts = dict((kind, sum(1 for run in runs if run["kind"] == kind)) for kind in KINDS + ("other",))
    sequences = {}
    for run in runs:
        sequences.setdefault(run["kind"], run["sent"])
    per_run = [run["requests"] for run in runs]
    gaps = [(runs[i]["day"] - runs[i - 1]["day"]) for i in range(1, len(runs))]
    by_via = {}
    for run in runs:
        entry = by_via.setdefault(run["via"], {"runs": 0, "wall_s": 0.0, "cpu_s": 0.0, "kinds": {}})
        entry["runs"] += 1
        entry["wall_s"] = round(entry["wall_s"] + run["wall_s"], 3)
        entry["cpu_s"] = round(entry["cpu_s"] + run["cpu_s"], 3)
        entry["kinds"][run["kind"]] = entry["kinds"].get(run["kind"], 0) + 1
    summary = {
        "runs": len(runs),
        "first_mints": counts[FIRST],
        "refreshes": counts[REFRESH],
        "re_mints": counts[REMINT],
        "keeps": counts[KEEP],
        "other_mints": counts[MINT],
        "other_runs": counts["other"],
        "failed_runs": sum(1 for run in runs if run["path"] is None),
        "runs_with_broken_checks": sum(1 for run in runs if run["problems"]),
        "broken_checks": sum(len(run["problems"]) for run in runs),
        "re_mint_runs": [run["run"] for run in runs if run["kind"] == REMINT],
        "longest_time_without_a_run_days": round(max(gaps), 2) if gaps else 0,
        "requests_total": sum(per_run),
        "requests_per_run_median": statistics.median(per_run) if per_run else 0,
        "requests_per_run_max": max(per_run) if per_run else 0,
        "requests_by_kind": sequences,
        "dead_tokens_left": dead,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "by_way_of_running": by_via,
    }
    return {"parameters": parameters, "rules": rules, "unknowns": list(UNKNOWNS), "summary": summary, "runs": runs}


def table(report):
    """The summary as lines of text."""
    p, s = report["parameters"], report["summary"]
    gap = "no run for %g days from day %g" % (p["gap_days"], p["gap_start_day"]) if p["gap_days"] else "no gap"
    minted = "assumed the same" if (p["minted_ttl"], p["minted_refresh"]) == (ACCESS_TTL, True) else "%s, %s" % (
        "expiring after %g s" % p["minted_ttl"] if p["minted_ttl"] else "never expiring",
        "with a refresh token" if p["minted_refresh"] else "without a refresh token")
    ways = ", ".join("%s %d" % (via, entry["runs"]) for via, entry in sorted(s["by_way_of_running"].items()))
    lines = [
        "A year under Zendesk's 2027 rules, simulated: %g days, a run every %g h, %s" % (
            p["days"], p["every_hours"], gap),
        "(access tokens 30 min, refresh tokens 30 days, rotated on use; admin-minted tokens %s)" % minted,
        "",
        "%-34s %s" % ("runs", "%d (%s)" % (s["runs"], ways)),
        "%-34s %d" % ("first run (client created, minted)", s["first_mints"]),
        "%-34s %d" % ("refreshes", s["refreshes"]),
        "%-34s %d%s" % ("re-mints (refresh token dead)", s["re_mints"],
                        " (run %s)" % ", ".join(str(n) for n in s["re_mint_runs"]) if s["re_mint_runs"] else ""),
        "%-34s %d" % ("kept (nothing to do)", s["keeps"]),
        "%-34s %d" % ("mints with no refresh tried", s["other_mints"]),
        "%-34s %d" % ("failed runs", s["failed_runs"]),
    ] + (["%-34s %d" % ("runs of no known kind", s["other_runs"])] if s["other_runs"] else []) + [
        "%-34s %d in %d runs" % ("broken checks", s["broken_checks"], s["runs_with_broken_checks"]),
        "%-34s %g days" % ("longest time without a run", s["longest_time_without_a_run_days"]),
        "%-34s %d" % ("dead tokens left (not revoked)", s["dead_tokens_left"]),
        "%-34s %d (per run: median %g, max %d)" % ("requests to Zendesk", s["requests_total"],
                                                   s["requests_per_run_median"], s["requests_per_run_max"]),
        "%-34s %.1f s wall, %.1f s CPU" % ("time", s["wall_s"], s["cpu_s"]),
        "",
        "%-10s %5s  %s" % ("kind", "runs", "requests, in order"),
    ]
    for kind, sent in s["requests_by_kind"].items():
        lines.append("%-10s %5d  %s" % (kind, sum(1 for run in report["runs"] if run["kind"] == kind), ", ".join(sent)))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--days", type=float, default=365, help="simulated days (default 365)")
    parser.add_argument("--every-hours", type=float, default=12, help="simulated hours between runs (default 12)")
    parser.add_argument("--gap-start-day", type=float, default=180, help="first day without runs (default 180)")
    parser.add_argument("--gap-days", type=float, default=40, help="days without runs (default 40; 0: no gap)")
    parser.add_argument("--playbook", default="first,refresh,after-gap",
                        help="runs made as ansible-playbook processes, comma-separated from %s, or none "
                             "(default first,refresh,after-gap)" % ", ".join(PLAYBOOK_RUNS))
    parser.add_argument("--minted-ttl", default=str(ACCESS_TTL),
                        help="lifetime in seconds of the tokens an admin mints, or none (unknown; default %d)"
                        % ACCESS_TTL)
    parser.add_argument("--minted-refresh", choices=("yes", "no"), default="yes",
                        help="whether the tokens an admin mints carry a refresh token (unknown; default yes)")
    parser.add_argument("--json", help="write the report here")
    args = parser.parse_args(argv)
    names = [] if args.playbook in ("", "none") else args.playbook.split(",")
    unknown = [name for name in names if name not in PLAYBOOK_RUNS]
    if unknown or args.every_hours <= 0 or args.days <= 0 or args.gap_days < 0 or args.gap_start_day < 0:
        parser.error("--playbook takes %s or none; --days and --every-hours must be positive, --gap-* not negative"
                     % ", ".join(PLAYBOOK_RUNS))
    minted_ttl = None if args.minted_ttl == "none" else int(args.minted_ttl)
    report = soak(args.days, args.every_hours, args.gap_start_day, args.gap_days, names, minted_ttl,
                  args.minted_refresh == "yes")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1)
    print("\n".join(table(report)))
    if args.json:
        print("report: %s" % args.json)
    summary = report["summary"]
    return 1 if summary["broken_checks"] or summary["failed_runs"] or not summary["runs"] else 0


if __name__ == "__main__":
    sys.exit(main())
