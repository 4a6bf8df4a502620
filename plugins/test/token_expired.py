# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: token_expired
short_description: Has a Zendesk OAuth token expired
version_added: 0.1.0
author:
  - zendesk.oauth maintainers (@zendesk-oauth)
description:
  - Tests whether a Zendesk OAuth access token, or its refresh token, has expired by now (or by O(now)). A token
    expires at the second its expiry names.
  - A token that never expires has never expired.
  - To renew ahead of time, use P(zendesk.oauth.token_expiring#test).
options:
  _input:
    description:
      - "One of:"
      - A token dict with the key C(expires_at) (and C(refresh_token_expires_at) for O(refresh=true)). That is the C(token)
        that M(zendesk.oauth.zendesk_oauth_token) and M(zendesk.oauth.zendesk_oauth_token_info) return, the registered
        result of M(zendesk.oauth.zendesk_oauth_grant), and the C(oauth_bootstrap_token) fact of the
        P(zendesk.oauth.oauth_bootstrap#role) role.
      - A record of the P(zendesk.oauth.oauth_bootstrap#role) role's store (its vault file loaded as a dict, or its
        KV secret's data), with the key C(zendesk_oauth_token_expires_at) (and
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
      - Test the refresh token's expiry (C(refresh_token_expires_at), C(zendesk_oauth_refresh_token_expires_at))
        instead of the access token's.
      - Has no effect when the input is the expiry itself.
    type: bool
    default: false
  now:
    description:
      - The time to test at, as epoch seconds (a number) or an ISO 8601 time (a string or a datetime). A time
        without an offset is taken as UTC, so call C(now) with C(utc=true).
      - Defaults to the controller's clock. Give Zendesk's clock instead, for example the C(Date) header of an
        answer that M(ansible.builtin.uri) got from Zendesk; or a fixed time for a reproducible result.
    type: raw
notes:
  - Bad input fails with a message that names the argument. A dict without the expected key fails too, rather than
    reading as a token that never expires. The message never shows a token or a value that is not a time.
seealso:
  - plugin: zendesk.oauth.token_expiring
    plugin_type: test
    description: Has the token expired or does it expire within some seconds.
  - plugin: zendesk.oauth.token_expires_in
    plugin_type: filter
    description: The seconds left until the token expires.
"""

EXAMPLES = r"""
- name: Stop when the refresh token in the role's KV secret has run out
  ansible.builtin.assert:
    that: kv_secret.json.data.data is not zendesk.oauth.token_expired(refresh=true)
    fail_msg: The stored refresh token has expired; run the oauth_bootstrap role to get a new token.

- name: Tokens of the client that have expired by a given time (zendesk_oauth_token_info lists them)
  ansible.builtin.debug:
    msg: "{{ listed.tokens | select('zendesk.oauth.token_expired', now='2027-01-01T00:00:00Z') | map(attribute='id') }}"
"""

RETURN = r"""
_value:
  description: V(true) when the token has expired, V(false) when it has not or when it never expires.
  type: boolean
"""

from ansible_collections.zendesk.oauth.plugins.plugin_utils._token_expiry import expires_within


def token_expired(value, refresh=False, now=None):
    return expires_within("zendesk.oauth.token_expired", value, 0, refresh=refresh, now=now)


class TestModule(object):
    def tests(self):
        return {"token_expired": token_expired}
