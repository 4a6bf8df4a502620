#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: zendesk_oauth_grant
short_description: Get a Zendesk OAuth token from the grant endpoint (client credentials or refresh token)
version_added: 0.1.0
description:
  - Ask Zendesk's grant endpoint, C(POST https://<subdomain>.zendesk.com/oauth/tokens), for an access token. The OAuth
    client authenticates itself with O(client_identifier) and O(client_secret); no admin credential is needed.
  - O(grant_type=client_credentials) gets a token for a B(confidential) client. The token acts as the client's owner
    (the admin who created the client), limited to O(scopes). Zendesk issues no refresh token with it.
  - O(grant_type=refresh_token) exchanges a refresh token for a new access token B(and a new refresh token). Zendesk
    rotates them. The refresh token you send, and the access token issued with it, stop working at once. B(Store the
    new pair) (RV(access_token) and RV(refresh_token)) before any other task uses it. A pair that is not stored is
    lost, and the next refresh with the old refresh token fails with C(invalid_grant).
  - This module is an action, not a desired state. Every run asks Zendesk for a new token, so RV(ignore:changed) is
    always V(true). To keep a playbook idempotent, run it only when the token you hold is missing or about to expire.
    EXAMPLES shows a C(when:) on the RV(expires_at) you stored.
  - In check mode nothing is sent. Every return value is V(null), never a made-up token, and RV(ignore:changed) is
    V(true), because a real run always issues a token.
author:
  - zendesk.oauth maintainers (@zendesk-oauth)
extends_documentation_fragment:
  - zendesk.oauth.zendesk
  - zendesk.oauth.zendesk.scopes
attributes:
  check_mode:
    support: full
    description:
      - Checks the input and sends nothing. Returns V(null) for every value and reports a change, because a real run
        always issues a token.
  diff_mode:
    support: none
    description: There is no state to compare; a token is issued on every run.
options:
  grant_type:
    description:
      - V(client_credentials) gets a token for a confidential client, with O(client_secret) and O(scopes).
      - V(refresh_token) exchanges O(refresh_token) for a new access token and a new refresh token.
    type: str
    required: true
    choices: [client_credentials, refresh_token]
  client_identifier:
    description:
      - The OAuth client's unique identifier, the C(identifier) field of M(zendesk.oauth.zendesk_oauth_client).
        Zendesk's grant endpoint calls it C(client_id).
      - Give the identifier, not the client's numeric id. An identifier of digits only draws a warning, because a
        numeric id there is the usual cause of C(invalid_client).
    type: str
    required: true
  client_secret:
    description:
      - The client's secret, as M(zendesk.oauth.zendesk_oauth_client) returned it when the client was created or its
        secret regenerated.
      - Required with O(grant_type=client_credentials). With O(grant_type=refresh_token) a confidential client needs
        it too; only a public client may leave it out.
    type: str
  scopes:
    description:
      - Scopes of the token, for example V([read]) or V([tickets:read, users:write]). They are sent to Zendesk as
        one space-separated C(scope) string.
      - Each is V(read), V(write), V(impersonate), C(<resource>), C(<resource>:read) or C(<resource>:write).
        A malformed entry is an error; a resource Zendesk does not document is an error too, or a warning with
        O(unknown_scopes=warn).
      - Required with O(grant_type=client_credentials). With O(grant_type=refresh_token), leave it out to keep the
        scopes of the token being refreshed.
    type: list
    elements: str
  refresh_token:
    description:
      - The refresh token to exchange, the newest one you hold. Required with O(grant_type=refresh_token).
      - Each refresh token works once. The module returns its successor in RV(refresh_token).
    type: str
  expires_in:
    description:
      - Lifetime of the new access token in seconds. Zendesk accepts more than V(300) and less than V(172800)
        (5 minutes to 48 hours).
      - Without it, Zendesk applies the client's default. For clients created from 2026-04-30, and for some global
        clients, that default is 30 minutes. For older clients the token may not expire at all.
      - The bounds are checked before anything is sent.
    type: int
  refresh_token_expires_in:
    description:
      - Lifetime of the new refresh token in seconds, with O(grant_type=refresh_token) only. Zendesk accepts more than
        V(604800) and less than V(7776000) (7 to 90 days), and more than O(expires_in).
      - Without it, Zendesk's default applies (30 days).
      - The bounds are checked before anything is sent.
    type: int
notes:
  - The grant endpoint takes no API credentials, so O(email), O(api_token) and O(oauth_token) are not needed. If they
    are given anyway, for example through C(module_defaults) or E(ZENDESK_*) variables, they are ignored, and the
    request carries no C(Authorization) header.
  - A grant is never sent twice. After a rate limit (HTTP 429), Zendesk has refused the request without reading it,
    so it is sent again after the wait. An answer that may have been lost is different (a timeout, a dropped
    connection or a server error). The task then fails and says what may have happened. For a refresh, the refresh
    token sent may have been consumed. Try the refresh once more with it, and if that fails with C(invalid_grant),
    mint a new token with the admin credential (M(zendesk.oauth.zendesk_oauth_token)).
  - RV(expires_at) and RV(refresh_token_expires_at) count from the C(Date) header of Zendesk's answer, so they follow
    Zendesk's clock. If the answer has no C(Date) header, they count from the local clock.
  - Put C(no_log) on every task that passes or returns a token or a secret.
seealso:
  - module: zendesk.oauth.zendesk_oauth_token
    description: Mint tokens with an admin credential, verify and revoke them.
  - module: zendesk.oauth.zendesk_oauth_client
    description: Create the confidential client and get its secret.
  - name: Zendesk grant-type tokens
    description: Zendesk's reference for the endpoint this module uses.
    link: https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/
"""

EXAMPLES = r"""
- name: Get a token for a confidential client (no admin credential needed)
  zendesk.oauth.zendesk_oauth_grant:
    subdomain: acme
    grant_type: client_credentials
    client_identifier: acme_integration
    client_secret: "{{ vault_zendesk_client_secret }}"
    scopes: [tickets:read, users:read]
    expires_in: 3600
  register: grant
  no_log: true

- name: Use it as the Bearer token of the API
  ansible.builtin.uri:
    url: https://acme.zendesk.com/api/v2/users/me
    headers:
      Authorization: "Bearer {{ grant.access_token }}"
  no_log: true

# Idempotent use: keep the token in a file (readable by its owner only) and ask for a new one only
# when none is held, or the held one expires within 10 minutes. A token without expiry
# (expires_at null) is kept.
- name: Read the token stored by an earlier run
  ansible.builtin.slurp:
    src: /etc/acme/zendesk_token.json
  register: held_file
  failed_when: false
  no_log: true

- name: Get a new token only when none is held or the held one is about to expire
  zendesk.oauth.zendesk_oauth_grant:
    subdomain: acme
    grant_type: client_credentials
    client_identifier: acme_integration
    client_secret: "{{ vault_zendesk_client_secret }}"
    scopes: [tickets:read, users:read]
  vars:
    held: "{{ held_file.content | b64decode | from_json if held_file.content is defined else {} }}"
  when: held.access_token is not defined or held is zendesk.oauth.token_expiring(within=600)
  register: fresh
  no_log: true

- name: Store the new token
  ansible.builtin.copy:
    content: "{{ {'access_token': fresh.access_token, 'expires_at': fresh.expires_at} | to_json }}"
    dest: /etc/acme/zendesk_token.json
    mode: "0600"
  when: fresh is not skipped
  no_log: true

# Refresh a pair that an app got through Zendesk's authorization-code flow, kept in the same way
# (held_pair: access_token, refresh_token, expires_at), when its access token is about to expire.
- name: Refresh the held pair
  zendesk.oauth.zendesk_oauth_grant:
    subdomain: acme
    grant_type: refresh_token
    client_identifier: acme_integration
    client_secret: "{{ vault_zendesk_client_secret }}"
    refresh_token: "{{ held_pair.refresh_token }}"
    expires_in: 7200
  when: held_pair is zendesk.oauth.token_expiring(within=600)
  register: refreshed
  no_log: true

- name: Store the new pair at once - the old refresh token no longer works
  ansible.builtin.copy:
    content: >-
      {{ {'access_token': refreshed.access_token, 'refresh_token': refreshed.refresh_token,
          'expires_at': refreshed.expires_at, 'refresh_token_expires_at': refreshed.refresh_token_expires_at}
         | to_json }}
    dest: /etc/acme/zendesk_pair.json
    mode: "0600"
  when: refreshed is not skipped
  no_log: true

- name: Check mode sends nothing and returns nulls
  zendesk.oauth.zendesk_oauth_grant:
    url: https://acme.zendesk.com
    grant_type: client_credentials
    client_identifier: acme_integration
    client_secret: "{{ vault_zendesk_client_secret }}"
    scopes: [read]
  check_mode: true
"""

RETURN = r"""
access_token:
  description:
    - 'The new access token, to send as C(Authorization: Bearer). Zendesk never shows it again, so store it now.'
    - V(null) in check mode.
  returned: always
  type: str
  sample: gErypPlm4dOVgGRvA1ZzMH5MQ3nLo8bo
token_type:
  description: The token type Zendesk answered, V(bearer). V(null) in check mode.
  returned: always
  type: str
  sample: bearer
scopes:
  description:
    - The token's scopes, from Zendesk's space-separated answer. If the answer names none, the scopes asked for.
    - V(null) in check mode.
  returned: always
  type: list
  elements: str
  sample: [tickets:read, users:read]
expires_in:
  description:
    - Seconds the access token lives from when it was issued. V(null) when it does not expire, and in check mode.
  returned: always
  type: int
  sample: 3600
expires_at:
  description:
    - When the access token expires, in ISO 8601 UTC (C(YYYY-MM-DDTHH:MM:SSZ)). Counted from the C(Date) header of
      Zendesk's answer, or from the local clock when there is none.
    - V(null) when it does not expire, and in check mode.
  returned: always
  type: str
  sample: "2026-11-29T11:00:00Z"
refresh_token:
  description:
    - The new refresh token, from O(grant_type=refresh_token). The one sent no longer works, so store this one now,
      together with RV(access_token).
    - V(null) for O(grant_type=client_credentials), which issues none, and in check mode.
  returned: always
  type: str
  sample: af3t24tfj34h43s0000000000000000000000000000000000000000000000000
refresh_token_expires_in:
  description: Seconds the refresh token lives from when it was issued. V(null) when there is no refresh token.
  returned: always
  type: int
  sample: 2592000
refresh_token_expires_at:
  description:
    - When the refresh token expires, in ISO 8601 UTC, counted like RV(expires_at). V(null) when there is no refresh
      token, or it does not expire.
  returned: always
  type: str
  sample: "2026-12-29T10:00:00Z"
"""

from ansible_collections.zendesk.oauth.plugins.module_utils._grants import RESULT_KEYS, Grant, GrantInputError
from ansible_collections.zendesk.oauth.plugins.module_utils._module import ZendeskModule
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import UNKNOWN_SCOPES_OPTION

ARGUMENT_SPEC = {
    "grant_type": {"type": "str", "required": True, "choices": ["client_credentials", "refresh_token"]},
    "client_identifier": {"type": "str", "required": True},
    "client_secret": {"type": "str", "no_log": True},
    "scopes": {"type": "list", "elements": "str"},
    "refresh_token": {"type": "str", "no_log": True},
    "expires_in": {"type": "int"},
    "refresh_token_expires_in": {"type": "int", "no_log": False},
    "unknown_scopes": UNKNOWN_SCOPES_OPTION,
}
# Which option each grant type needs is checked by Grant, whose messages say why (no required_if:
# Ansible's generic "missing" message would come first).
GRANT_OPTIONS = ("grant_type", "client_identifier", "client_secret", "scopes", "refresh_token", "expires_in",
                 "refresh_token_expires_in", "unknown_scopes")


def work(zm):
    try:
        grant = Grant(**{name: zm.params[name] for name in GRANT_OPTIONS})
    except GrantInputError as exc:
        zm.fail(str(exc))
    for warning in grant.warnings:
        zm.module.warn(warning)
    if zm.check_mode:
        return dict(dict.fromkeys(RESULT_KEYS), changed=True)
    result = zm.grants.exchange(grant)
    if grant.grant_type == "refresh_token" and result["refresh_token"] is None:
        zm.module.warn("Zendesk answered the refresh without a new refresh token, and the one sent no longer works. "
                       "When this access token expires, mint a new one with the admin credential "
                       "(zendesk.oauth.zendesk_oauth_token).")
    return dict(result, changed=True)


# How ZendeskModule builds this module, in a module process (main) or in the controller's own
# process (plugins/plugin_utils/_module_action.py).
MODULE_OPTIONS = {"argument_spec": ARGUMENT_SPEC, "auth_required": False}


def main():
    ZendeskModule(**MODULE_OPTIONS).run(work)


if __name__ == "__main__":
    main()
