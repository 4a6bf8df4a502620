#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: zendesk_oauth_client
short_description: Manage a Zendesk OAuth client
version_added: 0.1.0
description:
  - Ensure a Zendesk OAuth client exists with the given fields, or does not exist.
  - The client is found by its O(identifier), the unique C(client_id) that OAuth flows use.
  - Only the fields given are managed; a field left out is never reset.
  - Zendesk shows a client's secret once, when the client is created or its secret is regenerated. This module
    returns it at those moments only, in RV(secret).
author:
  - zendesk.oauth maintainers (@zendesk-oauth)
extends_documentation_fragment:
  - zendesk.oauth.zendesk
attributes:
  check_mode:
    support: full
    description: Sends no write; predicts RV(ignore:changed) from the state read.
  diff_mode:
    support: full
    description: Shows the managed fields before and after; never the secret.
options:
  identifier:
    description:
      - The client's unique identifier (its OAuth C(client_id)), for example C(acme_integration).
      - This is the key the client is found by. It is never changed by this module.
    type: str
    required: true
  id_hint:
    description:
      - The numeric id you believe the client has, for example the C(zendesk_oauth_client_id) that the role
        P(zendesk.oauth.oauth_bootstrap#role) stores, or the C(id) in RV(client) of an earlier run. A hint, checked before it is
        used.
      - The client is read by this id (one request) and used when its identifier is O(identifier). When no client has
        this id, or another client has it, the client is found by O(identifier) as without this option.
      - Zendesk's list of clients cannot be filtered by identifier, so without a hint every run pages through the
        clients until it finds this one (one request per 100 clients); with a right hint a run costs one request
        whatever the number of clients.
    type: int
  name:
    description:
      - Name shown to users on the consent page. Required to create a client.
    type: str
  kind:
    description:
      - V(confidential) clients can keep a secret (servers); only they may use the client credentials grant.
      - V(public) clients run where a secret cannot be kept (browser, mobile).
      - When not given at creation, Zendesk picks its default.
    type: str
    choices: [public, confidential]
  redirect_uri:
    description:
      - Redirect URIs allowed in the authorization code flow, each an absolute URL.
      - Compared as a set. V([]) removes them all.
    type: list
    elements: str
  description:
    description:
      - Description shown on the consent page. V("") clears it.
    type: str
  company:
    description:
      - Company name shown on the consent page. V("") clears it.
    type: str
  state:
    description:
      - V(present) creates the client or updates the fields that differ; V(absent) deletes it (and Zendesk revokes
        its tokens).
      - With V(absent), RV(ignore:changed) is V(true) only when this task deleted the client; one that someone else
        deleted between the lookup and the delete counts as already absent.
    type: str
    choices: [present, absent]
    default: present
  regenerate_secret:
    description:
      - Generate a new secret for the client; the old one stops working. The new secret is returned in RV(secret).
      - Every run with V(true) rotates again, so set it for a rotation run only.
    type: bool
    default: false
seealso:
  - module: zendesk.oauth.zendesk_oauth_client_info
  - module: zendesk.oauth.zendesk_oauth_token
  - name: Zendesk OAuth Clients API
    description: Zendesk's reference for the endpoints this module uses.
    link: https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_clients/
"""

EXAMPLES = r"""
- name: Ensure the OAuth client of our integration exists
  zendesk.oauth.zendesk_oauth_client:
    subdomain: acme
    email: admin@acme.example
    api_token: "{{ vault_zendesk_api_token }}"
    identifier: acme_integration
    name: ACME integration
    kind: confidential
    redirect_uri:
      - https://integration.acme.example/oauth/callback
    company: ACME
  register: zendesk_client
  no_log: true  # the result carries the secret when the client was just created

- name: Update one field; the others stay as they are
  zendesk.oauth.zendesk_oauth_client:
    subdomain: acme
    oauth_token: "{{ vault_zendesk_admin_oauth_token }}"
    identifier: acme_integration
    description: Syncs tickets with the ACME CRM

- name: Set the connection once for every module of the collection
  module_defaults:
    group/zendesk.oauth.zendesk:
      subdomain: acme
      oauth_token: "{{ vault_zendesk_admin_oauth_token }}"
  block:
    - name: Rotate the client secret
      zendesk.oauth.zendesk_oauth_client:
        identifier: acme_integration
        regenerate_secret: true
      register: rotated
      no_log: true

    - name: Remove a client that is no longer used
      zendesk.oauth.zendesk_oauth_client:
        identifier: old_integration
        state: absent

- name: Ensure the client, reading it by the id an earlier run recorded (one request in an account of any size)
  zendesk.oauth.zendesk_oauth_client:
    subdomain: acme
    oauth_token: "{{ vault_zendesk_admin_oauth_token }}"
    identifier: acme_integration
    name: ACME integration
    id_hint: "{{ zendesk_client.client.id }}"  # checked: a stale id falls back to the lookup by identifier
  no_log: true

- name: Use ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and ZENDESK_API_TOKEN from the environment (as AWX injects them)
  zendesk.oauth.zendesk_oauth_client:
    identifier: acme_integration
    name: ACME integration
"""

RETURN = r"""
client:
  description:
    - The client as Zendesk has it after the task, without its secret.
    - In check mode, when the client would be created, the fields that would be sent.
    - V(null) after O(state=absent).
  returned: always
  type: dict
  sample:
    id: 900000000001
    identifier: acme_integration
    name: ACME integration
    kind: confidential
    redirect_uri: [https://integration.acme.example/oauth/callback]
    company: ACME
    description: null
    user_id: 360000000042
    global: false
    created_at: "2026-11-29T10:00:00Z"
    updated_at: "2026-11-29T10:00:00Z"
secret:
  description:
    - The client secret in full. Zendesk shows it only when the client is created or its secret is regenerated,
      so it is returned only by the task that did one of those; store it then.
    - Never returned in check mode.
  returned: when the client was created or its secret regenerated by this task
  type: str
secret_lost:
  description:
    - V(true) when the client was created but Zendesk's answer, which held the secret, was lost (a timeout or a
      dropped connection). The client was found and adopted; run again with O(regenerate_secret=true) to get a
      secret.
  returned: always
  type: bool
  sample: false
"""

from urllib.parse import urlsplit

from ansible_collections.zendesk.oauth.plugins.module_utils._compare import plan_client
from ansible_collections.zendesk.oauth.plugins.module_utils._module import ZendeskModule
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import (
    ADOPTED_AFTER_LOST_RESPONSE,
    ADOPTED_CONCURRENT,
    without_secret,
)

ARGUMENT_SPEC = {
    "identifier": {"type": "str", "required": True},
    "id_hint": {"type": "int"},
    "name": {"type": "str"},
    "kind": {"type": "str", "choices": ["public", "confidential"]},
    "redirect_uri": {"type": "list", "elements": "str"},
    "description": {"type": "str"},
    "company": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "regenerate_secret": {"type": "bool", "default": False, "no_log": False},
}


def check_input(zm):
    params = zm.params
    if not params["identifier"].strip():
        zm.fail("identifier must not be empty: give the client's unique identifier, e.g. acme_integration")
    if params["id_hint"] is not None and params["id_hint"] <= 0:
        zm.fail("id_hint=%s is not a Zendesk id: give the client's positive numeric id, or leave id_hint out"
                % params["id_hint"])
    if params["name"] is not None and not params["name"].strip():
        zm.fail("name must not be empty: give the name shown on the consent page, or leave name out to keep it")
    for uri in params["redirect_uri"] or []:
        parts = urlsplit(uri)
        if not parts.scheme or not parts.netloc or not parts.hostname:
            zm.fail("redirect_uri entry %r is not an absolute URL: give scheme and host, e.g. "
                    "https://app.example.com/oauth/callback" % uri)
    if params["state"] == "absent" and params["regenerate_secret"]:
        zm.fail("regenerate_secret cannot be used with state=absent")


def desired_fields(params):
    return {field: params[field] for field in ("identifier", "name", "kind", "redirect_uri", "description", "company")}


def ensure_absent(zm, current):
    result = {"changed": current is not None, "client": None, "secret_lost": False}
    if current is not None and not zm.check_mode:
        # Changed only when this task deleted it: a client gone between the lookup and the DELETE (404) was
        # deleted by someone else.
        result["changed"] = zm.api.delete_client(current["id"])
    if result["changed"]:
        result["diff"] = {"before": plan_client(current, {})[1], "after": {}}
    return result


def ensure_present(zm, current):
    params = zm.params
    changes, before, after = plan_client(current, desired_fields(params))
    result = {"changed": False, "secret_lost": False, "diff": {"before": before, "after": after}}
    if current is None:
        if not params["name"]:
            zm.fail("name is required to create the client %r: give the name shown on the consent page"
                    % params["identifier"])
        result["changed"] = True
        if zm.check_mode:
            result["client"] = after
            return result
        created, outcome = zm.api.create_client(changes)
        current, secret = created, created.get("secret")
        if outcome == ADOPTED_AFTER_LOST_RESPONSE:
            secret = None
            result["secret_lost"] = True
            zm.module.warn("Client %r was created but Zendesk's answer, which held its secret, was lost; the client "
                           "was adopted. Run again with regenerate_secret: true to get a secret." % params["identifier"])
        elif outcome == ADOPTED_CONCURRENT:
            secret = None
            zm.module.warn("Client %r was created by another run at the same time; it was adopted as is."
                           % params["identifier"])
        changes = plan_client(current, desired_fields(params))[0]
        if secret:
            result["secret"] = secret
    if changes:
        result["changed"] = True
        if not zm.check_mode:
            current = zm.api.update_client(current["id"], changes)
    if params["regenerate_secret"]:
        result["changed"] = True
        result["diff"]["after"] = dict(result["diff"]["after"], secret="(regenerated)")
        result["diff"]["before"] = dict(result["diff"]["before"], secret="(current)")
        if not zm.check_mode:
            rotated = zm.api.generate_secret(current["id"])
            result["secret"] = rotated.get("secret")
            current = rotated
    result["client"] = without_secret(current) if not (zm.check_mode and changes) else dict(
        without_secret(current), **changes)
    return result


def work(zm):
    check_input(zm)
    current = zm.api.find_client(zm.params["identifier"], id_hint=zm.params["id_hint"])
    if zm.params["state"] == "absent":
        return ensure_absent(zm, current)
    return ensure_present(zm, current)


# How ZendeskModule builds this module, in a module process (main) or in the controller's own
# process (plugins/plugin_utils/_module_action.py).
MODULE_OPTIONS = {"argument_spec": ARGUMENT_SPEC}


def main():
    ZendeskModule(**MODULE_OPTIONS).run(work)


if __name__ == "__main__":
    main()
