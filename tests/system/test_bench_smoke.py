# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A short pass of the benchmark (bench/): the exact API request counts, never wall time.

It runs the benchmark's own playbooks through its harness (one repetition, N=100 for scale),
so `make bench` keeps working, and a change that sends one request more than before fails
here. When a change brings a count DOWN (see the floors in bench/measure.py), lower the
number in this file with it.
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


def _run(job):
    """One benchmark job on its own simulator and scratch directory."""
    sim = harness.BenchSimulator()
    workspace = harness.Workspace()
    try:
        return job(measure.Bench(sim, workspace, repeat=1, quick=True))
    finally:
        sim.stop()
        workspace.cleanup()


def _modules_and_scale(bench):
    return measure.measure_module_requests(bench), measure.measure_scale(bench, [100])


@pytest.fixture(scope="module")
def counts():
    # Two independent jobs, each with its own simulator, side by side: only counts are asserted,
    # so running them at the same time changes nothing but the wall time.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        role = pool.submit(_run, measure.measure_role_requests)
        modules_and_scale = pool.submit(_run, _modules_and_scale)
        modules, scale = modules_and_scale.result()
        return {"role": role.result(), "modules": modules, "scale": scale}


def test_each_module_alone_sends_the_floor(counts):
    sent = {row["job"]: row["requests"] for row in counts["modules"]}
    assert sent == MODULE_REQUESTS


def test_role_jobs(counts):
    sent = {row["job"]: row["role"] for row in counts["role"]}
    assert sent == ROLE_REQUESTS
    floors = {row["job"]: row["floor"] for row in counts["role"]}
    assert sent["first converge"] == floors["first converge"]
    assert sent["no-op converge"] <= 2


def test_role_is_no_worse_than_the_uri_playbook(counts):
    # Only where both do the same job: the uri playbook's later runs mint a token and revoke
    # nothing, so its rotation and recovery are not the role's.
    if not os.path.exists(measure.URI_PLAYBOOK):
        pytest.skip("examples/uri_bootstrap.yml does not exist")
    for row in counts["role"]:
        if row["job"] in ("first converge", "no-op converge"):
            assert row["role"] <= row["uri"], row
    noop = [row for row in counts["role"] if row["job"] == "no-op converge"][0]
    assert (noop["role_changed"], noop["role_live_tokens"]) == (False, 1)


def test_scale_100(counts):
    size = counts["scale"]["sizes"][0]
    rows = size["rows"]
    # The role's first converge on 100 seeded clients: 1 full page, then POST client and POST token.
    assert size["first_converge_requests"] == 3
    assert rows["Find the first client"][0]["requests"] == 1      # stops on page 1
    assert rows["Find the last client"][0]["requests"] == 1       # bulk-00100 is the last of page 1
    assert rows["Find the last client by id"][0]["requests"] == 1  # GET clients/{id}, at any N
    assert rows["List every client"][0]["requests"] == 2          # 101 clients: 2 pages of 100
    # The role's client is the 101st (created after the seed), read by the id its store holds: GET clients/{id} +
    # tokens/current, at any N.
    assert rows["role"][0]["requests"] == 2
    assert rows["role"][0]["changed"] is False
