# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real simulator (HTTP on 127.0.0.1, in a thread) for the API client tests: no mocks of requests."""

from __future__ import annotations

import pytest

from ansible_collections.zendesk.oauth.tests.simulator import Simulator, SimulatorControl


@pytest.fixture(scope="session")
def running_simulator():
    simulator = Simulator(port=0)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def sim(running_simulator):
    """The simulator, reset: no clients, no tokens, empty request log, default config."""
    running_simulator.control = SimulatorControl(running_simulator.url)
    running_simulator.control.reset()
    return running_simulator
