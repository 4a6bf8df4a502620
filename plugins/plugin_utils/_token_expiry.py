# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""When a Zendesk OAuth token expires: the logic behind the token_expires_in filter and the token_expired and
token_expiring tests.

INTERNAL: this file is not a public API of the collection and may change at any time.

Times are read by module_utils' parse_time and expiry is decided by its is_expired, so a playbook, the modules'
expiry_margin and the role agree on when a token has expired. Every failure names the plugin and the argument and
never shows a value that may be a secret (a token dict holds full_token, and a string given by mistake may be one).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import date

from ansible.errors import AnsibleFilterError
from jinja2 import Undefined

from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import is_expired, parse_time

# Where a dict keeps the expiry: a token (the token of zendesk_oauth_token and zendesk_oauth_token_info, the result
# of zendesk_oauth_grant, the role's oauth_bootstrap_token fact), else a record of the role's store.
EXPIRY_KEYS = {
    False: ("expires_at", "zendesk_oauth_token_expires_at"),
    True: ("refresh_token_expires_at", "zendesk_oauth_refresh_token_expires_at"),
}
EXAMPLE_TIME = "2026-12-29T10:00:00Z"


def seconds_left(plugin, value, refresh=False, now=None):
    """Whole seconds until the token expires (rounded up, so 0 or less means expired), or None for never."""
    _defined(value, refresh, now)
    when = _now(plugin, now)
    expiry = expiry_of(plugin, value, refresh)
    if expiry is None:
        return None
    return int(math.ceil(parse_time(expiry) - when))


def expires_within(plugin, value, within, refresh=False, now=None):
    """True when the token has expired or expires within `within` seconds; False for a token that never expires."""
    _defined(value, within, refresh, now)
    margin = _seconds(plugin, within)
    when = _now(plugin, now)
    return is_expired({"expires_at": expiry_of(plugin, value, refresh)}, when, margin)


def expiry_of(plugin, value, refresh=False):
    """The expiry the input holds (an ISO 8601 string, a datetime, or None for a token that never expires)."""
    if not isinstance(refresh, bool):
        raise AnsibleFilterError("%s: refresh must be true or false, not %s" % (plugin, _kind(refresh)))
    source = "the input"
    if isinstance(value, Mapping):
        key = next((key for key in EXPIRY_KEYS[refresh] if key in value), None)
        if key is None:
            raise AnsibleFilterError(_no_expiry_key(plugin, value, refresh))
        value, source = value[key], "the input's %s" % key
    if value is None:
        return None
    if isinstance(value, (str, date)) and parse_time(value) is not None:
        return value
    if isinstance(value, str):
        raise AnsibleFilterError(
            "%s: %s is not an ISO 8601 time such as %s (a string of %d characters, not shown as it may be a "
            "secret)" % (plugin, source, EXAMPLE_TIME, len(value)))
    raise AnsibleFilterError(
        "%s: %s must be a token dict, a record of the oauth_bootstrap store, an ISO 8601 time such as %s, or null "
        "for a token that never expires, not %s" % (plugin, source, EXAMPLE_TIME, _kind(value)))


def _defined(*values):
    """Fail with Jinja's own 'is undefined' message: ansible-core 2.19+ does so before calling a plugin, 2.17-2.18
    pass the undefined value in (an AnsibleUndefined, which raises on any use)."""
    for value in values:
        if isinstance(value, Undefined):
            str(value)


def _no_expiry_key(plugin, value, refresh):
    keys = EXPIRY_KEYS[refresh]
    message = "%s: the input is a dict without %s or %s (its keys: %s)" % (
        plugin, keys[0], keys[1], ", ".join(sorted(str(key) for key in value)) or "none")
    if isinstance(value.get("token"), Mapping):
        return message + ". For the result of zendesk_oauth_token or zendesk_oauth_token_info, give its token: " \
                         "RESULT.token"
    if not refresh and any(key in value for key in EXPIRY_KEYS[True]):
        return message + ". It holds only the refresh token's expiry: add refresh=true"
    return message + (". Give a token (the token of zendesk_oauth_token, the result of zendesk_oauth_grant, "
                      "oauth_bootstrap_token), a record of the oauth_bootstrap store, or an ISO 8601 time")


def _now(plugin, now):
    """Epoch seconds of `now`: the controller's clock when None."""
    if now is None:
        return time.time()
    if isinstance(now, (int, float)) and not isinstance(now, bool):
        return float(now)
    if isinstance(now, (str, date)):
        when = parse_time(now)
        if when is not None:
            return when
    shown = "%r" % (now,) if isinstance(now, str) else _kind(now)
    raise AnsibleFilterError(
        "%s: now must be epoch seconds (a number such as 1798538400, e.g. ansible_date_time.epoch | int) or an "
        "ISO 8601 time such as %s, not %s" % (plugin, EXAMPLE_TIME, shown))


def _seconds(plugin, within):
    """`within` as a number of seconds: a non-negative number, or a string holding one (an extra var)."""
    if within is None:
        raise AnsibleFilterError("%s: give within, the seconds to look ahead, as in %s(within=600)" % (plugin, plugin))
    number = None
    if isinstance(within, (int, float, str)) and not isinstance(within, bool):
        try:
            number = float(within)
        except ValueError:
            pass
    if number is None or not math.isfinite(number) or number < 0:
        shown = "%r" % (within,) if isinstance(within, (int, float, str)) else _kind(within)
        raise AnsibleFilterError("%s: within must be a number of seconds, 0 or more (such as 600), not %s"
                                 % (plugin, shown))
    return number


def _kind(value):
    """A YAML-ish name for the type of a value (Ansible 2.19+ passes tagged subclasses of the plain types)."""
    for kind, name in ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
                       (Mapping, "a dict"), (list, "a list"), (tuple, "a list"), (date, "a date")):
        if isinstance(value, kind):
            return name
    return "a %s" % type(value).__name__
