# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Simulator configuration: the defaults, and how a partial config is merged and checked.

Every knob that stands for something the reference leaves open (see README.md) lives here.
"""

from __future__ import annotations

import copy

FAULT_KINDS = ("500", "503", "429", "404", "drop", "ambiguous", "slow")
# Faults that only make sense for one request, so only queued (they need a Location): not in fault_rates.
QUEUED_ONLY_FAULT_KINDS = ("redirect",)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

DEFAULTS = {
    "rate_limit_per_minute": None,
    "rate_limit_body": "text",
    "fault_rates": dict((kind, 0.0) for kind in FAULT_KINDS),
    "fault_seed": None,
    "slow_delay": 2.0,
    "retry_after": 1,
    "client_secret_on_read": "truncated",
    "default_kind": "public",
    "page_size_over_max": "error",
    "offset_limit": 10000,
    "forbidden_shape": "flat",
    "grant_status": 201,
    "token_default_ttl": None,
    "token_refresh_on_create": False,
    "grant_default_expires_in": None,
    "grant_default_refresh_expires_in": 2592000,
    "freeze_clock": False,
    # Hostile behaviours (README "Hostile behaviours"): not Zendesk's, for the client's defences.
    "cursor_pagination": True,
    "page_link_template": None,
    "endless_pages": None,
    "echo_request": False,
}

_BOOLEANS = ("freeze_clock", "token_refresh_on_create", "cursor_pagination", "echo_request")
_STRINGS = ("page_link_template",)

_CHOICES = {
    "rate_limit_body": ("text", "json"),
    "client_secret_on_read": ("truncated", "null", "masked"),
    "default_kind": ("public", "confidential"),
    "page_size_over_max": ("error", "clamp"),
    "forbidden_shape": ("flat", "nested"),
    "grant_status": (200, 201),
    "endless_pages": (None, "fresh", "repeat"),
}

# keys whose value is a number of seconds / a count; None allowed where the default is None
_NUMBERS = {
    "rate_limit_per_minute": True,
    "fault_seed": True,
    "slow_delay": False,
    "retry_after": False,
    "offset_limit": False,
    "token_default_ttl": True,
    "grant_default_expires_in": True,
    "grant_default_refresh_expires_in": True,
}


class ConfigError(ValueError):
    """A config key or value the simulator does not understand."""


def default_config():
    """A fresh copy of the defaults."""
    return copy.deepcopy(DEFAULTS)


def _check_number(key, value, nullable):
    if value is None and nullable:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError("config %s must be a non-negative number%s, got %r" % (key, " or null" if nullable else "", value))


def merge_config(base, changes):
    """Return ``base`` updated with ``changes`` (a partial config); raise ConfigError if invalid.

    ``fault_rates`` is merged key by key, so ``{"fault_rates": {"500": 0.1}}`` keeps the other rates.
    """
    if changes is None:
        return copy.deepcopy(base)
    if not isinstance(changes, dict):
        raise ConfigError("config must be a JSON object")
    unknown = sorted(set(changes) - set(DEFAULTS))
    if unknown:
        raise ConfigError("unknown config key(s): %s" % ", ".join(unknown))
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if key == "fault_rates":
            merged["fault_rates"] = _merge_fault_rates(merged["fault_rates"], value)
        elif key in _STRINGS:
            if value is not None and not isinstance(value, str):
                raise ConfigError("config %s must be a string or null, got %r" % (key, value))
            merged[key] = value
        elif key in _BOOLEANS:
            if not isinstance(value, bool):
                raise ConfigError("config %s must be true or false, got %r" % (key, value))
            merged[key] = value
        elif key in _CHOICES:
            if value not in _CHOICES[key] or isinstance(value, bool):
                raise ConfigError("config %s must be one of %s, got %r" % (key, list(_CHOICES[key]), value))
            merged[key] = value
        else:
            _check_number(key, value, _NUMBERS[key])
            merged[key] = value
    return merged


def _merge_fault_rates(current, value):
    if value is None:
        return dict((kind, 0.0) for kind in FAULT_KINDS)
    if not isinstance(value, dict):
        raise ConfigError("config fault_rates must be an object of probabilities")
    rates = dict(current)
    for kind, rate in value.items():
        if kind not in FAULT_KINDS:
            raise ConfigError("unknown fault kind %r in fault_rates (known: %s)" % (kind, ", ".join(FAULT_KINDS)))
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ConfigError("fault rate for %r must be between 0 and 1, got %r" % (kind, rate))
        rates[kind] = float(rate)
    if sum(rates.values()) > 1.0 + 1e-9:
        raise ConfigError("fault rates add up to more than 1")
    return rates
