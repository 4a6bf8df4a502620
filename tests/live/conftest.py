# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live suite's own tests (``python -m pytest tests/live``): its modules import each other flat."""

from __future__ import annotations

import os
import sys

LIVE_DIR = os.path.dirname(os.path.abspath(__file__))
for path in (LIVE_DIR, os.path.dirname(LIVE_DIR)):
    if path not in sys.path:
        sys.path.insert(0, path)
