#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: zendesk_oauth_client_info
short_description: List Zendesk OAuth clients
version_added: 0.1.0
description:
  - Read the OAuth clients of a Zendesk account, all of them (every page) or those matching a filter.
  - Never changes anything; runs the same in check mode.
  - A lookup by O(identifier) or O(id) stops as soon as the client is found.
author:
  - zendesk.oauth maintainers (@zendesk-oauth)
extends_documentation_fragment:
  - zendesk.oauth.zendesk
attributes:
  check_mode:
    support: full
    description: Read-only; behaves the same in check mode.
  diff_mode:
    support: none
    description: Read-only; there is nothing to show.
options:
  identifier:
    description:
      - Return only the client with this unique identifier (its OAuth C(client_id)).
    type: str
  id:
    description:
      - Return only the client with this numeric id.
    type: int
  name:
    description:
      - Return only the clients with exactly this name (names need not be unique).
    type: str
seealso:
  - module: zendesk.oauth.zendesk_oauth_client
"""

EXAMPLES = r"""
- name: List every OAuth client of the account
  zendesk.oauth.zendesk_oauth_client_info:
    subdomain: acme
    email: admin@acme.example
    api_token: "{{ vault_zendesk_api_token }}"
  register: all_clients

- name: Find one client by its identifier
  zendesk.oauth.zendesk_oauth_client_info:
    subdomain: acme
    oauth_token: "{{ vault_zendesk_admin_oauth_token }}"
    identifier: acme_integration
  register: found

- name: Fail when the client is missing
  ansible.builtin.assert:
    that: found.clients | length == 1
    fail_msg: the OAuth client acme_integration does not exist

- name: Use the connection set for the whole group
  module_defaults:
    group/zendesk.oauth.zendesk:
      subdomain: acme
      oauth_token: "{{ vault_zendesk_admin_oauth_token }}"
  zendesk.oauth.zendesk_oauth_client_info:
    name: ACME integration
  register: by_name
"""

RETURN = r"""
clients:
  description:
    - The matching clients as Zendesk returns them, without the C(secret) field (outside creation Zendesk returns
      only a stub of it).
    - An empty list when nothing matches.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 900000000001
      identifier: acme_integration
      name: ACME integration
      kind: confidential
      redirect_uri: [https://integration.acme.example/oauth/callback]
      company: ACME
      description: null
      user_id: 360000000042
      global: false
      url: https://acme.zendesk.com/api/v2/oauth/clients/900000000001.json
      created_at: "2026-11-29T10:00:00Z"
      updated_at: "2026-11-29T10:00:00Z"
"""

from ansible_collections.zendesk.oauth.plugins.module_utils._module import ZendeskModule
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import without_secret

ARGUMENT_SPEC = {
    "identifier": {"type": "str"},
    "id": {"type": "int"},
    "name": {"type": "str"},
}


def matches(client, params):
    return all(params[key] is None or client.get(key) == params[key] for key in ("identifier", "id", "name"))


def work(zm):
    params = zm.params
    if params["id"] is not None:
        found = zm.api.get_client(params["id"])
        clients = [found] if found is not None and matches(found, params) else []
    elif params["identifier"] is not None:
        found = zm.api.find_client(params["identifier"])
        clients = [found] if found is not None and matches(found, params) else []
    else:
        clients = [client for client in zm.api.iter_clients() if matches(client, params)]
    return {"changed": False, "clients": [without_secret(client) for client in clients]}


# How ZendeskModule builds this module, in a module process (main) or in the controller's own
# process (plugins/plugin_utils/_module_action.py).
MODULE_OPTIONS = {"argument_spec": ARGUMENT_SPEC}


def main():
    ZendeskModule(**MODULE_OPTIONS).run(work)


if __name__ == "__main__":
    main()
