#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: zendesk_oauth_token_info
short_description: Verify a Zendesk OAuth access token you hold, or list and filter the account's tokens
version_added: 0.1.0
description:
  - Verify a token you hold (O(full_token)), without ever minting or revoking one; or list the tokens of a client,
    or of the whole account (O(all_users)), or show one token by id.
  - 'Listed tokens can be filtered for an audit: those that expire soon (O(expiring_within)), sit idle
    (O(unused_for_days)), were never used (O(never_used)), grant broad scopes (O(any_scope)), or belong to a client
    not in a list (O(clients_not_in)). Every filter given must match. Time is Zendesk''s clock (the C(Date) of its
    answer). The P(zendesk.oauth.oauth_token_audit#role) role uses the same filters and compares the tokens with the
    stores that hold them.'
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
  all_users:
    description:
      - List the tokens of every user of the account (Zendesk's C(all=true)), not only those of the user the module
        authenticates as. Zendesk allows it to admins only.
      - Only for a listing (not with O(full_token) or O(token_id)).
    type: bool
    default: false
  include_expired:
    description:
      - List expired tokens too (Zendesk's C(include_expired=true)); Zendesk takes it with O(all_users=true) only.
      - Only for a listing (not with O(full_token) or O(token_id)).
    type: bool
    default: false
  global_client_id:
    description:
      - Numeric id of a global OAuth client (one that Zendesk or a Marketplace app owns, authorised by this account).
        Only its tokens are listed or shown.
      - Mutually exclusive with O(client_id) and O(client_identifier); not with O(full_token).
    type: int
  expiring_within:
    description:
      - Only tokens that expire within this many seconds of now, by Zendesk's clock. Expired tokens match too (they
        are listed with O(include_expired=true)); a token without an expiry never does.
      - V(0) keeps only expired tokens; V(604800) those that expire within a week.
    type: int
  unused_for_days:
    description:
      - Only tokens idle for at least this many days, by Zendesk's clock - last used that long ago, or never used
        and made that long ago.
    type: int
  never_used:
    description:
      - V(true) keeps only tokens that were never used (C(used_at) is null). V(false) does not filter.
    type: bool
    default: false
  any_scope:
    description:
      - Only tokens that grant at least what one of these scopes grants, for example V([write, impersonate]) for the
        broad ones.
      - 'Compared by what scopes grant: V(write) (write access to every resource) matches a token with C(write) only;
        V(tickets:write) matches a token with C(tickets:write), C(tickets) or C(write); V(tickets) (read and write)
        matches C(tickets), or C(tickets:read) with C(tickets:write).'
    type: list
    elements: str
  clients_not_in:
    description:
      - Only tokens whose client is none of these, each a numeric client id or a client identifier. An identifier
        is looked up among the account's clients (one listing); one that no client has is warned about.
      - A global client's token matches unless its numeric id is in the list.
    type: list
    elements: str
notes:
  - Zendesk lists only the tokens of the user the module authenticates as, unless O(all_users=true) (admins only); a
    token of another user is otherwise found only by verifying it with O(full_token).
  - The filters O(expiring_within), O(unused_for_days), O(never_used), O(any_scope) and O(clients_not_in) apply to
    the listing and to O(token_id), never to O(full_token), and are applied to the tokens Zendesk lists (Zendesk has
    no such query parameters), so a filtered listing costs the same requests as a full one.
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

- name: Tokens of the whole account that are idle for 90 days or grant write or impersonate
  zendesk.oauth.zendesk_oauth_token_info:
    subdomain: acme
    oauth_token: "{{ vault_zendesk_admin_oauth_token }}"
    all_users: true
    unused_for_days: 90
    any_scope: [write, impersonate]
  register: stale_and_broad

- name: Tokens that expire within a week, expired ones included, of clients other than ours
  zendesk.oauth.zendesk_oauth_token_info:
    subdomain: acme
    oauth_token: "{{ vault_zendesk_admin_oauth_token }}"
    all_users: true
    include_expired: true
    expiring_within: 604800
    clients_not_in: [acme_integration, acme_billing]
  register: expiring_elsewhere

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

from ansible_collections.zendesk.oauth.plugins.module_utils._audit import (
    FILTER_OPTIONS,
    filter_problems,
    split_client_refs,
    token_client_ids,
    token_filter,
)
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
    "all_users": {"type": "bool", "default": False},
    "include_expired": {"type": "bool", "default": False},
    "global_client_id": {"type": "int"},
    "expiring_within": {"type": "int"},
    "unused_for_days": {"type": "int"},
    "never_used": {"type": "bool", "default": False},
    "any_scope": {"type": "list", "elements": "str"},
    "clients_not_in": {"type": "list", "elements": "str"},
}
MUTUALLY_EXCLUSIVE = [("client_id", "client_identifier", "global_client_id"), ("token_id", "full_token")]
# The options that only make sense for a listing, and those that apply to what is listed or shown.
LISTING_OPTIONS = ("all_users", "include_expired")
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
    check_listing_options(zm)
    if params["client_identifier"] is not None:
        zm.require_credentials("client_identifier needs an admin credential to look the client up",
                               alternative="give client_id instead, to verify full_token by itself")
    if params["token_id"] is not None:
        zm.require_credentials("token_id needs an admin credential")
    elif params["full_token"] is None:
        zm.require_credentials("listing tokens needs an admin credential",
                               alternative="give full_token, to verify a held token by itself")


def given_filters(params):
    """The filter options that are set (never_used counts only when true)."""
    return [name for name in FILTER_OPTIONS if params[name] is not None and params[name] is not False]


def check_listing_options(zm):
    """The account-wide listing and the filters, checked before any request."""
    params = zm.params
    problems = filter_problems(params)
    if params["global_client_id"] is not None and params["global_client_id"] <= 0:
        problems.append("global_client_id=%s is not a Zendesk id: give the positive numeric id"
                        % params["global_client_id"])
    if params["any_scope"]:
        try:
            params["any_scope"], warning = check_scopes(params["any_scope"], params["unknown_scopes"])
        except ScopeError as exc:
            problems.append("any_scope: %s" % exc)
        else:
            if warning:
                zm.module.warn("any_scope: %s." % warning)
    if params["full_token"] is not None:
        used = [name for name in LISTING_OPTIONS + ("global_client_id",)
                if params[name] is not None and params[name] is not False]
        used += given_filters(params)
        if used:
            problems.append("%s %s for listed tokens (and token_id) only; full_token verifies the one token you hold: "
                            "remove %s, or full_token" % (", ".join(used), "is" if len(used) == 1 else "are",
                                                          "it" if len(used) == 1 else "them"))
    elif params["token_id"] is not None:
        used = [name for name in LISTING_OPTIONS if params[name]]
        if used:
            problems.append("%s %s for a listing only, not for token_id (Zendesk shows an admin any token of the "
                            "account by id): remove %s" % (" and ".join(used), "is" if len(used) == 1 else "are",
                                                           "it" if len(used) == 1 else "them"))
    if params["include_expired"] and not params["all_users"]:
        problems.append("include_expired needs all_users: true (Zendesk lists expired tokens only in the "
                        "account-wide listing)")
    if problems:
        zm.fail("; ".join(problems))


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
        listed = list(zm.api.iter_tokens(client_id, all_users=params["all_users"],
                                         include_expired=params["include_expired"],
                                         global_client_id=params["global_client_id"]))
    listed = [token for token in listed if matches(token, client_id, params["scopes"])
              and (params["global_client_id"] is None or params["global_client_id"] in token_client_ids(token))]
    if given_filters(params):
        keep = build_filter(zm)
        listed = [token for token in listed if keep(token)]
    result["tokens"] = [token_metadata(token) for token in listed]
    return result


def build_filter(zm):
    """The filters given, as one predicate (now is Zendesk's clock: the Date of the answer just read)."""
    params = zm.params
    not_in = None
    if params["clients_not_in"] is not None:
        not_in, identifiers = split_client_refs(params["clients_not_in"])
        if identifiers:
            by_identifier = dict((client.get("identifier"), client["id"]) for client in zm.api.iter_clients())
            for identifier in identifiers:
                if identifier in by_identifier:
                    not_in.add(by_identifier[identifier])
                else:
                    zm.module.warn("clients_not_in: no OAuth client has the identifier %r (check the spelling; it is "
                                   "the client's identifier, not its name)" % identifier)
    return token_filter(zm.api.server_now(), expiring_within=params["expiring_within"],
                        unused_for_days=params["unused_for_days"], never_used_only=params["never_used"],
                        any_scope=params["any_scope"], client_ids_not_in=not_in)


# How ZendeskModule builds this module, in a module process (main) or in the controller's own
# process (plugins/plugin_utils/_module_action.py).
MODULE_OPTIONS = {"argument_spec": ARGUMENT_SPEC, "auth_required": "optional", "mutually_exclusive": MUTUALLY_EXCLUSIVE}


def main():
    ZendeskModule(**MODULE_OPTIONS).run(work)


if __name__ == "__main__":
    main()
