# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: token_expiring
short_description: Does a Zendesk OAuth token expire within some seconds
version_added: 0.1.0
author:
  - zendesk.oauth maintainers (@zendesk-oauth)
description:
  - Tests whether a Zendesk OAuth access token, or its refresh token, expires within O(within) seconds from now (or
    from O(now)). A token that has already expired is expiring too, so one C(when:) covers both.
  - A token that never expires is never expiring.
  - This is the rule the token modules apply with their
    O(zendesk.oauth.zendesk_oauth_token#module:expiry_margin), so a playbook and the modules agree on which tokens
    to renew.
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
  within:
    description:
      - How many seconds ahead to look. V(0) is the same as P(zendesk.oauth.token_expired#test).
      - A number, or a string that holds one (as an extra variable from C(-e) is).
    type: float
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
      - The time to count from, as epoch seconds (a number) or an ISO 8601 time (a string or a datetime). A time
        without an offset is taken as UTC, so call C(now) with C(utc=true).
      - Defaults to the controller's clock. Give Zendesk's clock instead, for example the C(Date) header of an
        answer that M(ansible.builtin.uri) got from Zendesk; or a fixed time for a reproducible result.
    type: raw
notes:
  - Bad input fails with a message that names the argument. A dict without the expected key fails too, rather than
    reading as a token that never expires. The message never shows a token or a value that is not a time.
seealso:
  - plugin: zendesk.oauth.token_expired
    plugin_type: test
    description: Has the token expired.
  - plugin: zendesk.oauth.token_expires_in
    plugin_type: filter
    description: The seconds left until the token expires.
  - module: zendesk.oauth.zendesk_oauth_grant
"""

EXAMPLES = r"""
# held_pair was stored by an earlier run: access_token, refresh_token, expires_at, refresh_token_expires_at
- name: Refresh the held pair when its access token expires within 10 minutes
  zendesk.oauth.zendesk_oauth_grant:
    grant_type: refresh_token
    client_identifier: acme_integration
    client_secret: "{{ vault_zendesk_client_secret }}"
    refresh_token: "{{ held_pair.refresh_token }}"
  when: held_pair is zendesk.oauth.token_expiring(within=600)
  register: refreshed
  no_log: true

- name: Warn a week before the refresh token in the role's store runs out
  ansible.builtin.debug:
    msg: The refresh token expires within a week; the next run that refreshes gets a new one.
  when: zendesk_oauth_refresh_token_expires_at is zendesk.oauth.token_expiring(within=7 * 86400)

- name: Count by Zendesk's clock (the Date header of an earlier uri call), not the controller's
  ansible.builtin.debug:
    msg: The token the role holds expires within the hour
  when: oauth_bootstrap_token is zendesk.oauth.token_expiring(3600, now=zendesk_now)
  vars:
    zendesk_now: "{{ zendesk_me.date | ansible.builtin.to_datetime('%a, %d %b %Y %H:%M:%S GMT') }}"
"""

RETURN = r"""
_value:
  description:
    - V(true) when the token has expired or expires within O(within) seconds, V(false) when it does not or when it
      never expires.
  type: boolean
"""

from ansible_collections.zendesk.oauth.plugins.plugin_utils._token_expiry import expires_within


def token_expiring(value, within=None, refresh=False, now=None):
    return expires_within("zendesk.oauth.token_expiring", value, within, refresh=refresh, now=now)


class TestModule(object):
    def tests(self):
        return {"token_expiring": token_expiring}
