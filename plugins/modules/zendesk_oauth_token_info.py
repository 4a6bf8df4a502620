#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: zendesk_oauth_token_info
short_description: Verify a Zendesk OAuth access token you hold, or list tokens
version_added: 0.1.0
description:
  - Verify a token you hold (O(full_token)), without ever minting or revoking one; or list the tokens of a client,
    or show one token by id.
  - 'O(full_token) is checked with C(GET /api/v2/oauth/tokens/current), the token itself sent as
    C(Authorization: Bearer). RV(valid) says whether it works, belongs to the client (O(client_id) or
    O(client_identifier)), has exactly the O(scopes), and does not expire within O(expiry_margin) seconds;
    RV(problem) says why not. These are the checks M(zendesk.oauth.zendesk_oauth_token) makes before it keeps a held
    token, so RV(valid=true) means that module would keep it.'
  - The held token authenticates itself, so verifying it with O(client_id) (or no client) needs no admin credential.
    Looking up O(client_identifier), listing tokens and O(token_id) do need one (O(email) with O(api_token), or
    O(oauth_token)); without it the task fails before sending anything.
  - Never changes anything; runs the same in check mode. Never returns a token's value.
author:
  - zendesk.oauth maintainers (@zendesk-oauth)
extends_documentation_fragment:
  - zendesk.oauth.zendesk
  - zendesk.oauth.zendesk.scopes
attributes:
  check_mode:
    support: full
    description: Read-only; behaves the same in check mode.
  diff_mode:
    support: none
    description: Read-only; there is nothing to show.
options:
  full_token:
    description:
      - A token you hold (the value Zendesk returned when it was minted), to verify.
      - Mutually exclusive with O(token_id).
    type: str
  client_id:
    description:
      - Numeric id of an OAuth client.
      - With O(full_token), the client the token must belong to. Otherwise, list only this client's tokens.
      - Mutually exclusive with O(client_identifier).
    type: int
  client_identifier:
    description:
      - Unique identifier of an OAuth client, used as O(client_id) once its numeric id is looked up (which needs an
        admin credential).
      - When no client has this identifier, a held O(full_token) is not valid (RV(problem) says so) and no token is
        listed.
    type: str
  token_id:
    description:
      - Numeric id of one token to show, if it exists (and matches O(client_id) or O(client_identifier) and
        O(scopes) when given).
      - Mutually exclusive with O(full_token).
    type: int
  scopes:
    description:
      - Scopes, for example V([read]) or V([tickets:read, users:write]), compared as a set.
      - With O(full_token), the scopes the token must have. Otherwise, list only the tokens with exactly these scopes.
      - Each is V(read), V(write), V(impersonate), C(<resource>), C(<resource>:read) or C(<resource>:write).
        A malformed entry is an error; a resource Zendesk does not document is an error too, or a warning with
        O(unknown_scopes=warn).
    type: list
    elements: str
  expiry_margin:
    description:
      - A held O(full_token) that expires within this many seconds (by Zendesk's clock) is not valid.
      - Only used with O(full_token).
      - 0 to 7776000 (90 days).
    type: int
    default: 0
notes:
  - Zendesk lists only the tokens of the user the module authenticates as; a token of another user is found only by
    verifying it with O(full_token).
seealso:
  - module: zendesk.oauth.zendesk_oauth_token
  - name: Zendesk OAuth Tokens API
    description: Zendesk's reference for the endpoints this module uses.
    link: https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/
"""

EXAMPLES = r"""
- name: Verify the token we hold; it authenticates itself, no admin credential needed
  zendesk.oauth.zendesk_oauth_token_info:
    subdomain: acme
    full_token: "{{ held_token }}"
    scopes: [tickets:read, users:read]
    expiry_margin: 86400
  register: held

- name: Say why the held token will not do
  ansible.builtin.debug:
    msg: "The held token must be replaced: {{ held.problem }}"
  when: not held.valid

- name: List the tokens of a client that have exactly these scopes
  zendesk.oauth.zendesk_oauth_token_info:
    subdomain: acme
    email: admin@acme.example
    api_token: "{{ vault_zendesk_api_token }}"
    client_identifier: acme_integration
    scopes: [tickets:read, users:read]
  register: listed

- name: Show one of them by its id (connection set for the whole group)
  module_defaults:
    group/zendesk.oauth.zendesk:
      subdomain: acme
      oauth_token: "{{ vault_zendesk_admin_oauth_token }}"
  zendesk.oauth.zendesk_oauth_token_info:
    token_id: "{{ listed.tokens[0].id }}"
  register: one
  when: listed.tokens | length > 0
"""

RETURN = r"""
tokens:
  description:
    - The tokens found, as Zendesk describes them (never their values).
    - With O(full_token), the held token when it works (whether or not it fits), else empty. With O(token_id), that
      token when it exists and matches. Otherwise the listed tokens that match.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Numeric id of the token.
      type: int
      sample: 910000000001
    client_id:
      description: Numeric id of the OAuth client.
      type: int
      sample: 900000000001
    user_id:
      description: The Zendesk user the token acts as.
      type: int
      sample: 360000000042
    scopes:
      description: The token's scopes.
      type: list
      elements: str
      sample: [read]
    created_at:
      description: When the token was minted (ISO 8601, UTC).
      type: str
    used_at:
      description: When the token was last used, if ever.
      type: str
    expires_at:
      description: When the token expires; V(null) for a token that does not expire.
      type: str
    refresh_token_expires_at:
      description: When the refresh token expires, if there is one.
      type: str
    full_token:
      description: Always V(null); Zendesk shows a token's value only when it is minted.
      type: str
    refresh_token:
      description: Always V(null); never returned by this module.
      type: str
token:
  description:
    - The held O(full_token) as Zendesk describes it (the same fields as an entry of RV(tokens)), when it works,
      even if it does not fit.
    - V(null) when it does not work (revoked, expired or unknown to Zendesk), or when no O(full_token) was given.
  returned: always
  type: dict
  sample:
    id: 910000000001
    client_id: 900000000001
    user_id: 360000000042
    scopes: [read]
    created_at: "2026-11-29T10:00:00Z"
    used_at: "2026-11-29T10:05:00Z"
    expires_at: null
    refresh_token_expires_at: null
    full_token: null
    refresh_token: null
valid:
  description:
    - With O(full_token), whether the held token works, belongs to the client, has the scopes and does not expire
      within O(expiry_margin) seconds. V(null) without O(full_token).
  returned: always
  type: bool
  sample: true
problem:
  description:
    - Why the held O(full_token) is not valid, for example C(its scopes are ['read'], not ['read', 'write']).
      V(null) when it is valid, or when no O(full_token) was given.
  returned: always
  type: str
  sample: it is revoked, expired or unknown to Zendesk
"""

from ansible_collections.zendesk.oauth.plugins.module_utils._compare import token_metadata, why_unfit
from ansible_collections.zendesk.oauth.plugins.module_utils._module import ZendeskModule
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import (
    UNKNOWN_SCOPES_OPTION,
    ScopeError,
    check_scopes,
    same_scopes,
    token_options_problem,
)

ARGUMENT_SPEC = {
    "full_token": {"type": "str", "no_log": True},
    "client_id": {"type": "int"},
    "client_identifier": {"type": "str"},
    "token_id": {"type": "int"},
    "scopes": {"type": "list", "elements": "str"},
    "expiry_margin": {"type": "int", "default": 0},
    "unknown_scopes": UNKNOWN_SCOPES_OPTION,
}
MUTUALLY_EXCLUSIVE = [("client_id", "client_identifier"), ("token_id", "full_token")]
NO_CLIENT = object()  # client_identifier names no client


def check_input(zm):
    params = zm.params
    if params["scopes"] is not None:
        try:
            scopes, warning = check_scopes(params["scopes"], params["unknown_scopes"])
        except ScopeError as exc:
            zm.fail(str(exc))
        if warning:
            zm.module.warn(warning + ".")
        params["scopes"] = scopes
    problem = token_options_problem(params)
    if problem:
        zm.fail(problem)
    if params["client_identifier"] is not None:
        zm.require_credentials("client_identifier needs an admin credential to look the client up",
                               alternative="give client_id instead, to verify full_token by itself")
    if params["token_id"] is not None:
        zm.require_credentials("token_id needs an admin credential")
    elif params["full_token"] is None:
        zm.require_credentials("listing tokens needs an admin credential",
                               alternative="give full_token, to verify a held token by itself")


def resolve_client_id(zm):
    """The client's numeric id, None when no client is named, NO_CLIENT when client_identifier names none."""
    params = zm.params
    if params["client_identifier"] is None:
        return params["client_id"]
    client = zm.api.find_client(params["client_identifier"])
    return NO_CLIENT if client is None else client["id"]


def matches(token, client_id, scopes):
    return ((client_id is None or token.get("client_id") == client_id)
            and (scopes is None or same_scopes(token.get("scopes"), scopes)))


def verify(zm, client_id):
    """The held token: what Zendesk knows of it, and why it does not fit (None when it does)."""
    params = zm.params
    held = zm.api.current_token(params["full_token"])
    if held is not None and client_id is NO_CLIENT:
        return held, "no OAuth client has the identifier %r" % params["client_identifier"]
    return held, why_unfit(held, client_id, params["scopes"], zm.api.server_now(), params["expiry_margin"])


def work(zm):
    check_input(zm)
    params = zm.params
    client_id = resolve_client_id(zm)
    result = {"changed": False, "tokens": [], "token": None, "valid": None, "problem": None}
    if params["full_token"] is not None:
        held, result["problem"] = verify(zm, client_id)
        result["valid"] = result["problem"] is None
        if held is not None:
            result["token"] = token_metadata(held)
            result["tokens"] = [result["token"]]
        return result
    if client_id is NO_CLIENT:
        return result
    if params["token_id"] is not None:
        found = zm.api.get_token(params["token_id"])
        listed = [found] if found is not None else []
    else:
        listed = zm.api.iter_tokens(client_id)
    result["tokens"] = [token_metadata(token) for token in listed if matches(token, client_id, params["scopes"])]
    return result


# How ZendeskModule builds this module, in a module process (main) or in the controller's own
# process (plugins/plugin_utils/_module_action.py).
MODULE_OPTIONS = {"argument_spec": ARGUMENT_SPEC, "auth_required": "optional", "mutually_exclusive": MUTUALLY_EXCLUSIVE}


def main():
    ZendeskModule(**MODULE_OPTIONS).run(work)


if __name__ == "__main__":
    main()
