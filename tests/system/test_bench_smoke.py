# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A short pass of the benchmark (bench/): the exact API request counts, never wall time.

It runs the benchmark's own playbooks through its harness (one repetition, N=100 for scale, the
role with each store: fact, vault_file, and kv on an OpenBao dev server the harness starts), so
`make bench` keeps working, and a change that sends one request more than before fails here.
When a change brings a count DOWN (see the floors in bench/measure.py), lower the number in this
file with it.
"""

from __future__ import annotations

import concurrent.futures
import os
import sys

import pytest

BENCH_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bench")
sys.path.insert(0, BENCH_DIR)

import harness  # noqa: E402  pylint: disable=wrong-import-position,import-error
import measure  # noqa: E402  pylint: disable=wrong-import-position,import-error

# Requests per job today. Floors (the fewest the API allows) are in bench/measure.py.
ROLE_REQUESTS = {
    "first converge": 3,            # floor 3
    "no-op converge": 2,            # floor 2; goal <= 2
    "rotation": 4,                  # floor 3 (the 4th checks the held token before it is replaced)
    "recovery from a revoked token": 3,  # floor 3
}
MODULE_REQUESTS = {name: floor for name, (floor, _why) in measure.MODULE_FLOORS.items()}
COMPARED_WITH_URI = ("first converge", "no-op converge")


def _run(job):
    """One benchmark job on its own simulator and scratch directory."""
    sim = harness.BenchSimulator()
    workspace = harness.Workspace()
    bench = measure.Bench(sim, workspace, repeat=1, quick=True)
    try:
        return job(bench)
    finally:
        bench.stop()
        sim.stop()
        workspace.cleanup()


def _modules_and_scale(bench):
    return measure.measure_module_requests(bench), measure.measure_scale(bench, [100])


def _role_requests(bench):
    # Every job with every store (the role's runs are short); the uri playbook's first and second run
    # only: the comparison below needs no more.
    return measure.measure_role_requests(bench, stores=measure.STORES, uri_jobs_=COMPARED_WITH_URI)


@pytest.fixture(scope="module")
def counts():
    # Two independent jobs, each with its own simulator, side by side: only counts are asserted,
    # so running them at the same time changes nothing but the wall time.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        role = pool.submit(_run, _role_requests)
        modules_and_scale = pool.submit(_run, _modules_and_scale)
        modules, scale = modules_and_scale.result()
        return {"role": role.result(), "modules": modules, "scale": scale}


def test_each_module_alone_sends_the_floor(counts):
    sent = {row["job"]: row["requests"] for row in counts["modules"]}
    assert sent == MODULE_REQUESTS


@pytest.mark.parametrize("store", measure.STORES)
def test_role_jobs(counts, store):
    sent = {row["job"]: row["role"][store]["requests"] for row in counts["role"]["jobs"]}
    assert sent == ROLE_REQUESTS
    floors = {row["job"]: row["floor"] for row in counts["role"]["jobs"]}
    assert sent["first converge"] == floors["first converge"]
    assert sent["no-op converge"] <= 2
    outcome = {row["job"]: (row["role"][store]["changed"], row["role"][store]["live_tokens"])
               for row in counts["role"]["jobs"]}
    # Only the no-op changes nothing, and every job leaves exactly one live token.
    assert outcome == {"first converge": (True, 1), "no-op converge": (False, 1), "rotation": (True, 1),
                       "recovery from a revoked token": (True, 1)}


def test_role_is_no_worse_than_the_uri_playbook(counts):
    # Only where both do the same job: the uri playbook's later runs mint a token and revoke
    # nothing, so its rotation and recovery are not the role's.
    for row in counts["role"]["jobs"]:
        if row["job"] in COMPARED_WITH_URI:
            for store, entry in row["role"].items():
                assert entry["requests"] <= row["uri"]["requests"], (store, row)


def test_scale_100(counts):
    size = counts["scale"]["sizes"][0]
    rows = size["rows"]
    # The role's first converge on 100 seeded clients: 1 full page, then POST client and POST token.
    assert size["first_converge_requests"] == 3
    for path in measure.PATHS:
        assert rows["Find the first client, %s" % path][0]["requests"] == 1      # stops on page 1
        assert rows["Find the last client, %s" % path][0]["requests"] == 1       # bulk-00100 is the last of page 1
        assert rows["Find the last client by id, %s" % path][0]["requests"] == 1  # GET clients/{id}, at any N
        assert rows["List every client, %s" % path][0]["requests"] == 2          # 101 clients: 2 pages of 100
    # The role's client is the 101st (created after the seed), read by the id its store holds: GET clients/{id} +
    # tokens/current, at any N.
    assert size["role"][0]["requests"] == 2
    assert size["role"][0]["changed"] is False
