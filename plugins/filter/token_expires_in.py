# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: token_expires_in
short_description: Seconds until a Zendesk OAuth token expires
version_added: 0.1.0
author:
  - zendesk.oauth maintainers (@zendesk-oauth)
description:
  - Returns how many seconds are left until a Zendesk OAuth access token, or its refresh token, expires, counted from
    now (or from O(now)). The result is negative for a token that has expired, and V(null) for a token that never
    expires.
  - The input is a token as the modules return it, a record of the P(zendesk.oauth.oauth_bootstrap#role) role's store, or
    the expiry itself. See O(_input).
  - To decide whether to renew a token, the tests P(zendesk.oauth.token_expiring#test) and
    P(zendesk.oauth.token_expired#test) read more naturally in C(when:).
options:
  _input:
    description:
      - "One of:"
      - A token dict with the key C(expires_at) (and C(refresh_token_expires_at) for O(refresh=true)). That is the C(token)
        that M(zendesk.oauth.zendesk_oauth_token) and M(zendesk.oauth.zendesk_oauth_token_info) return, the registered
        result of M(zendesk.oauth.zendesk_oauth_grant), and the C(oauth_bootstrap_token) fact of the
        P(zendesk.oauth.oauth_bootstrap#role) role.
      - A record of the P(zendesk.oauth.oauth_bootstrap#role) role's store (its vault file loaded as a dict, or its KV
        secret's data), with the key C(zendesk_oauth_token_expires_at) (and
        C(zendesk_oauth_refresh_token_expires_at) for O(refresh=true)).
      - The expiry itself, an ISO 8601 time such as V(2026-12-29T10:00:00Z); or a datetime, which is what YAML makes
        of an unquoted timestamp.
      - V(null), as the expiry or under the key, is a token that never expires.
      - Times may carry V(Z) or an offset such as V(+02:00), and a fraction of a second. A time without an offset is
        taken as UTC.
    type: raw
    required: true
  refresh:
    description:
      - Read the refresh token's expiry (C(refresh_token_expires_at), C(zendesk_oauth_refresh_token_expires_at))
        instead of the access token's.
      - Has no effect when the input is the expiry itself.
    type: bool
    default: false
  now:
    description:
      - The time to count from, as epoch seconds (a number) or an ISO 8601 time (a string or a datetime). A time
        without an offset is taken as UTC, so call C(now) with C(utc=true).
      - Defaults to the controller's clock. Give Zendesk's clock instead, for example the C(Date) header of an
        answer that M(ansible.builtin.uri) got from Zendesk, for a result that does not depend on the controller's
        clock; or a fixed time for a reproducible result.
    type: raw
notes:
  - Bad input fails with a message that names the argument. A dict without the expected key fails too, rather than
    reading as a token that never expires. The message never shows a token or a value that is not a time.
  - The result is rounded up to whole seconds, so a result of 0 or less means the token has expired, as
    P(zendesk.oauth.token_expired#test) says.
seealso:
  - plugin: zendesk.oauth.token_expiring
    plugin_type: test
    description: Has the token expired or does it expire within some seconds.
  - plugin: zendesk.oauth.token_expired
    plugin_type: test
    description: Has the token expired.
  - module: zendesk.oauth.zendesk_oauth_grant
"""

EXAMPLES = r"""
- name: Say how long the role's token lives on
  ansible.builtin.debug:
    msg: "The token expires in {{ oauth_bootstrap_token | zendesk.oauth.token_expires_in }} seconds"
  when: oauth_bootstrap_token.expires_at is not none

- name: Seconds left of the refresh token held in the role's vault file (loaded as variables)
  ansible.builtin.debug:
    msg: "{{ zendesk_oauth_refresh_token_expires_at | zendesk.oauth.token_expires_in }}"

- name: The same from the KV secret's data, counted by Zendesk's clock (the Date header of an earlier uri call)
  ansible.builtin.debug:
    msg: "{{ kv_secret.json.data.data | zendesk.oauth.token_expires_in(refresh=true, now=zendesk_now) }}"
  vars:
    zendesk_now: "{{ zendesk_me.date | ansible.builtin.to_datetime('%a, %d %b %Y %H:%M:%S GMT') }}"

# A fixed now gives a fixed answer: 3600
- name: Seconds between two times
  ansible.builtin.debug:
    msg: "{{ '2026-12-29T11:00:00Z' | zendesk.oauth.token_expires_in(now='2026-12-29T12:00:00+02:00') }}"
"""

RETURN = r"""
_value:
  description:
    - Whole seconds until the token expires, rounded up; 0 or less when it has expired.
    - V(null) when the token never expires.
  type: int
  sample: 3600
"""

from ansible_collections.zendesk.oauth.plugins.plugin_utils._token_expiry import seconds_left


def token_expires_in(value, refresh=False, now=None):
    return seconds_left("zendesk.oauth.token_expires_in", value, refresh=refresh, now=now)


class FilterModule(object):
    def filters(self):
        return {"token_expires_in": token_expires_in}
