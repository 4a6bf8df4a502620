# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Median, min and max of repeated measurements, and how the report prints them."""

from __future__ import annotations

import statistics


class Spread:
    """Repeated values of one figure: median, min, max."""

    def __init__(self, values):
        self.values = [value for value in values if value is not None]

    def __bool__(self):
        return bool(self.values)

    @property
    def n(self):
        return len(self.values)

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None

    @property
    def low(self):
        return min(self.values) if self.values else None

    @property
    def high(self):
        return max(self.values) if self.values else None

    def show(self, digits=2, unit=""):
        """``1.18 (1.10–1.25)``: median, then min–max."""
        if not self.values:
            return "–"
        fmt = "%%.%df" % digits
        median = (fmt % self.median) + unit
        if self.n == 1:
            return median
        return "%s (%s–%s)" % (median, fmt % self.low, fmt % self.high)

    def as_dict(self):
        return {"median": self.median, "min": self.low, "max": self.high, "n": self.n, "values": self.values}


def median_of(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator
