# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):
    # The connection options shared by every module of the collection, and the action group they
    # all belong to (so the connection options can be set once, in module_defaults).
    DOCUMENTATION = r"""
attributes:
  action_group:
    description: Use C(group/zendesk.oauth.zendesk) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - zendesk.oauth.zendesk
options:
  subdomain:
    description:
      - Your Zendesk subdomain; the API is then reached at C(https://<subdomain>.zendesk.com).
      - Exactly one of O(subdomain) and O(url) is used.
      - If neither O(subdomain) nor O(url) is set in the task, the E(ZENDESK_SUBDOMAIN) environment variable
        is used (or E(ZENDESK_URL)).
    type: str
  url:
    description:
      - Base URL of the Zendesk API, for a proxy, a test server or a host name other than C(<subdomain>.zendesk.com),
        for example C(https://acme.zendesk.com) or C(http://127.0.0.1:8080).
      - Must be an absolute C(http) or C(https) URL with no query string. Plain C(http) to a host other than
        the local machine draws a warning.
      - If neither O(subdomain) nor O(url) is set in the task, the E(ZENDESK_URL) environment variable is used.
    type: str
  email:
    description:
      - Sign-in email of the Zendesk admin whose API token is O(api_token).
      - 'Requests then carry C(Authorization: Basic) with C(<email>/token:<api_token>).'
      - If none of O(email), O(api_token) and O(oauth_token) is set in the task, E(ZENDESK_EMAIL) is used.
    type: str
  api_token:
    description:
      - A Zendesk API token of the admin named by O(email).
      - Zendesk switches API tokens off for good on 2027-04-30; use O(oauth_token) where you can.
      - If none of O(email), O(api_token) and O(oauth_token) is set in the task, E(ZENDESK_API_TOKEN) is used.
    type: str
  oauth_token:
    description:
      - 'An OAuth access token of a Zendesk admin, sent as C(Authorization: Bearer).'
      - It needs the V(read) scope for read-only work and V(write) as well for changes.
      - Give either O(oauth_token), or O(email) with O(api_token).
      - If none of O(email), O(api_token) and O(oauth_token) is set in the task, E(ZENDESK_OAUTH_TOKEN) is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate. Only set V(false) for a test server you control.
      - If not set, E(ZENDESK_VALIDATE_CERTS) is used, and otherwise V(true).
    type: bool
  ca_path:
    description:
      - Path of a PEM file of CA certificates to verify the server with, instead of the system's bundle.
      - If not set, E(ZENDESK_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for Zendesk to connect and to answer each request, greater than 0 and at most 600.
      - If not set, E(ZENDESK_TIMEOUT) is used, and otherwise V(30).
    type: float
  max_retries:
    description:
      - How many times a request is retried after a rate limit (HTTP 429), a server error or a network failure,
        0 to 20.
      - Only requests that cannot create anything twice are retried after a server or network error; a create
        whose answer was lost is resolved by reading the state again, never by sending it blindly.
      - If not set, E(ZENDESK_MAX_RETRIES) is used, and otherwise V(5).
    type: int
  max_retry_wait:
    description:
      - The most seconds a task may spend waiting between retries in total, 0 to 3600. Waits follow the
        C(Retry-After) header Zendesk sends with a rate limit; when the next wait would pass this bound the
        task fails with a message saying so.
      - If not set, E(ZENDESK_MAX_RETRY_WAIT) is used, and otherwise V(300).
    type: float
requirements:
  - requests >= 2.25
notes:
  - 'These modules talk to the Zendesk API from the host that runs them; most playbooks run them on the controller
    (C(hosts: localhost) or C(delegate_to: localhost)).'
  - All modules of this collection belong to the action group C(zendesk.oauth.zendesk), so the connection options
    can be set once with C(module_defaults) and C(group/zendesk.oauth.zendesk).
"""
