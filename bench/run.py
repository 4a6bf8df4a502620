# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark of the zendesk.oauth collection: `make bench`, or from the repo root

    .venv/bin/python bench/run.py --out docs/benchmarks.md [--repeat 5] [--quick]

It starts the Zendesk simulator in this process (127.0.0.1, a free port), runs the playbooks of
bench/playbooks with the ansible-playbook next to this Python, and writes a Markdown report.
See bench/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import accounts  # noqa: E402  pylint: disable=wrong-import-position
import harness  # noqa: E402  pylint: disable=wrong-import-position
import measure  # noqa: E402  pylint: disable=wrong-import-position
import report  # noqa: E402  pylint: disable=wrong-import-position
import stats  # noqa: E402  pylint: disable=wrong-import-position

SECTIONS = ("requests", "time", "profile", "scale", "rate", "accounts")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--out", help="write the Markdown report here (default: print it)")
    parser.add_argument("--json", help="also write the raw figures as JSON here")
    parser.add_argument("--repeat", type=int, help="repetitions of every time figure (default 5, --quick 2)")
    parser.add_argument("--quick", action="store_true",
                        help="a fast pass: 2 repetitions, N up to 1,000, a fleet of 10")
    parser.add_argument("--sizes", help="comma-separated client counts for the scale runs (default 100,1000,10000)")
    parser.add_argument("--fleet", type=int, help="integrations in the rate-limit fleet (default 50, --quick 10)")
    parser.add_argument("--only", help="comma-separated sections: %s" % ",".join(SECTIONS))
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, vault files)")
    parser.add_argument("--render", metavar="JSON",
                        help="measure nothing: write the report from the figures a run saved with --json")
    args = parser.parse_args(argv)
    args.repeat = args.repeat or (2 if args.quick else 5)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    sizes = args.sizes or ("100,1000" if args.quick else "100,1000,10000")
    args.sizes = [int(size) for size in sizes.split(",")]
    args.fleet = args.fleet or (10 if args.quick else 50)
    args.sections = set(args.only.split(",")) if args.only else set(SECTIONS)
    unknown = args.sections - set(SECTIONS)
    if unknown:
        parser.error("unknown section(s): %s" % ", ".join(sorted(unknown)))
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.render:
        with open(args.render, encoding="utf-8") as handle:
            results = _spreads(json.load(handle))
        results["findings"] = report.findings(results)
        return _write(_report(results), args.out, lambda text: sys.stderr.write(text + "\n"))
    started = time.time()

    def progress(text):
        sys.stderr.write("[bench %4.0fs] %s\n" % (time.time() - started, text))
        sys.stderr.flush()

    results = {
        "command": _command(argv),
        "repeat": args.repeat,
        "facts": measure.machine_facts(),
    }
    sim = harness.BenchSimulator()
    workspace = harness.Workspace(keep=args.keep)
    bench = measure.Bench(sim, workspace, repeat=args.repeat, quick=args.quick, progress=progress)
    try:
        if "requests" in args.sections:
            results["requests"] = measure.measure_requests(bench)
        if "time" in args.sections:
            results["task_time"] = measure.measure_task_time(bench)
            results["role_vs_uri"] = measure.measure_role_vs_uri(bench)
        if "profile" in args.sections:
            results["profile"] = measure.measure_profile(bench)
        if "scale" in args.sections:
            results["scale"] = measure.measure_scale(bench, args.sizes)
        if "rate" in args.sections:
            results["rate_limit"] = measure.measure_rate_limit(
                bench, fleet=args.fleet, plan=200, compressed_fleet=6)
        if "accounts" in args.sections:  # simulator processes of its own, one per account
            results["accounts"] = accounts.measure(progress, fleet=args.fleet, repeat=args.repeat, keep=args.keep, **(
                {"accounts": 5, "forks": 5} if args.quick else {}))
    finally:
        bench.stop()
        sim.stop()
        workspace.cleanup()
        if args.keep:
            progress("scratch directory kept: %s" % workspace.root)
    results["seconds"] = time.time() - started
    results["load_end"] = os.getloadavg()
    results["findings"] = report.findings(results)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1, default=_plain)
    return _write(_report(results), args.out, progress)


def _report(results):
    text = report.render(results)
    if "accounts" in results:
        text += accounts.render(results["accounts"])
    return text


def _command(argv):
    """The command line as the report shows it: without --json FILE and --keep, which change what is kept, not what
    is measured (and would name a scratch path of the machine)."""
    shown, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--json":
            skip = True
        elif arg != "--keep" and not arg.startswith("--json="):
            shown.append(shlex.quote(arg))
    return " ".join(["bench/run.py"] + shown)


def _write(text, out, progress):
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text)
        progress("wrote %s" % out)
    else:
        sys.stdout.write(text)
    return 0


def _spreads(value):
    """JSON figures back into Spread objects (a Spread was saved as its as_dict())."""
    if isinstance(value, dict):
        if set(value) == {"median", "min", "max", "n", "values"}:
            return stats.Spread(value["values"])
        return {key: _spreads(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_spreads(item) for item in value]
    return value


def _plain(value):
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
