# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Zendesk OAuth API simulator for tests (see README.md). Standard library only."""

from __future__ import annotations

from .control_client import SimulatorControl, SimulatorControlError
from .server import Simulator
from .state import ADMIN, AGENT

__all__ = ["ADMIN", "AGENT", "Simulator", "SimulatorControl", "SimulatorControlError"]
