#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: zendesk_oauth_token
short_description: Mint, verify, rotate and revoke Zendesk OAuth access tokens
version_added: 0.1.0
description:
  - Ensure an OAuth access token exists for a Zendesk OAuth client and a set of scopes, verify a token you already
    hold, rotate it, or revoke tokens.
  - Zendesk shows a token's value (C(full_token)) only once, in the answer that creates it. Idempotence therefore
    rests on the token you hold, given in O(full_token) (for example read back from an Ansible Vault file). A held
    token that still works, for the same client and scopes and not about to expire, is kept (RV(ignore:changed) is
    V(false)). Otherwise a new one is minted and returned in RV(token.full_token).
  - Without O(full_token), an existing token of the client with the same scopes counts as present; its value cannot
    be read back, so only its metadata is returned (with a warning).
  - Tokens are minted with C(POST /api/v2/oauth/tokens) as the authenticated admin, so they act as that admin,
    limited to O(scopes).
author:
  - zendesk.oauth maintainers (@zendesk-oauth)
extends_documentation_fragment:
  - zendesk.oauth.zendesk
  - zendesk.oauth.zendesk.scopes
attributes:
  check_mode:
    support: full
    description: Verifies and lists (read-only requests) but mints and revokes nothing; never returns a made-up token.
  diff_mode:
    support: full
    description: Shows token ids, client and scopes before and after; never a token value.
options:
  client_id:
    description:
      - Numeric id of the OAuth client the token is for.
      - Mutually exclusive with O(client_identifier). One of them is needed except with O(state=absent) and
        O(token_id) or O(full_token).
    type: int
  client_identifier:
    description:
      - Unique identifier of the OAuth client the token is for; its numeric id is looked up.
    type: str
  scopes:
    description:
      - Scopes of the token, for example V([read]) or V([tickets:read, users:write]).
      - Each is V(read), V(write), V(impersonate), C(<resource>), C(<resource>:read) or C(<resource>:write).
        A malformed entry is an error; a resource Zendesk does not document is an error too, or a warning with
        O(unknown_scopes=warn).
      - Compared as a set. Required with O(state=present).
      - With O(state=absent) and no O(token_id) or O(full_token), only tokens with exactly these scopes are revoked;
        without O(scopes) every token of the client is.
    type: list
    elements: str
  full_token:
    description:
      - A token you hold (the value Zendesk returned when it was minted).
      - With O(state=present) it is verified with C(GET /api/v2/oauth/tokens/current). When it works, belongs to
        the client and has the scopes, and does not expire within O(expiry_margin) seconds, nothing changes.
      - With O(state=absent) it is revoked.
    type: str
  token_id:
    description:
      - Numeric id of a token to revoke with O(state=absent).
    type: int
  state:
    description:
      - V(present) ensures a working token; V(absent) revokes tokens.
    type: str
    choices: [present, absent]
    default: present
  recreate:
    description:
      - V(never) keeps a held or existing token that fits.
      - V(always) mints a new token on every run, then revokes the tokens it replaces (see O(revoke_replaced)).
    type: str
    choices: [never, always]
    default: never
  revoke_replaced:
    description:
      - After a new token is minted, revoke the tokens it replaces, so that no token is left that nobody holds.
        Those are the held O(full_token) when it still works for this client, and with O(recreate=always) and no
        O(full_token), the client's other tokens with the same scopes.
      - Set V(false) to revoke later yourself, for example after storing the new token (mint, store, then revoke
        the ids in RV(replaced)).
    type: bool
    default: true
  find_replaced:
    description:
      - With O(recreate=always) and no O(full_token), whether to list the client's tokens first to find those the
        new token replaces (RV(replaced)) and revoke them (O(revoke_replaced)).
      - Set V(false) when you know there is nothing to replace, to save that request (a client created moments
        ago); RV(replaced) is then empty and nothing is revoked.
    type: bool
    default: true
  expiry_margin:
    description:
      - A held or existing token that expires within this many seconds counts as expired, and is replaced.
      - 0 to 7776000 (90 days).
    type: int
    default: 0
notes:
  - Zendesk lists only the authenticated user's tokens unless asked for all; this module looks at and revokes only
    the tokens of the user it authenticates as.
  - When the answer to a token creation is lost (a timeout, a dropped connection, a server error), the token it may
    have made is looked for, after waiting O(timeout) for the server to finish, and before another one is minted;
    once the new token is minted, the tokens are looked at once more for a creation that landed late.
  - A token found that way is revoked only when this task proves it made it. It has the same client, scopes and user,
    it was never used, its id was not among the tokens known before the creation, and it was created after a time
    read from Zendesk's clock before the creation (or in that same second, when the task had listed every token of
    the client at that time). Also, there are no more such tokens than lost answers. The time comes from the
    C(Date) header of an answer (the latest one before the creation, or the failed answer's or the look's, carried
    back with the local clock). No request is sent for it.
  - A token that this cannot prove is left alive. It is named in RV(orphans_suspected) and in a warning, with the
    command to revoke it. This happens when another task could have made it at the same time, or when it was made in
    the same second as the time above without a listing. Only another run that mints for the same client, scopes
    and user, in the moment between that time and the creation, can be taken for this task's orphan.
  - A creation that Zendesk finishes after the last look, later than twice O(timeout) after it was sent, is not
    covered. RV(lost_creates_unresolved) counts the lost answers whose token was not found, and a warning says which
    tokens to look at (those of the client and scopes created since the time above).
seealso:
  - module: zendesk.oauth.zendesk_oauth_client
  - name: Zendesk OAuth Tokens API
    description: Zendesk's reference for the endpoints this module uses.
    link: https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/
"""

EXAMPLES = r"""
- name: Mint a token for the integration, or keep the one we hold while it works
  zendesk.oauth.zendesk_oauth_token:
    subdomain: acme
    email: admin@acme.example
    api_token: "{{ vault_zendesk_api_token }}"
    client_identifier: acme_integration
    scopes: [tickets:read, users:read]
    full_token: "{{ held_token | default(omit) }}"
  register: zendesk_token
  no_log: true

- name: Store the new token only when one was minted
  ansible.builtin.copy:
    content: "{{ zendesk_token.token.full_token }}"
    dest: /etc/acme/zendesk_token
    mode: "0600"
  when: zendesk_token.token.full_token is not none
  no_log: true

- name: Rotate - mint a new token, keep the old one until the new one is stored
  module_defaults:
    group/zendesk.oauth.zendesk:
      subdomain: acme
      oauth_token: "{{ vault_zendesk_admin_oauth_token }}"
  block:
    - name: Mint the replacement
      zendesk.oauth.zendesk_oauth_token:
        client_identifier: acme_integration
        scopes: [tickets:read, users:read]
        recreate: always
        revoke_replaced: false
        full_token: "{{ held_token }}"
      register: new_token
      no_log: true

    - name: Store it
      ansible.builtin.copy:
        content: "{{ new_token.token.full_token }}"
        dest: /etc/acme/zendesk_token
        mode: "0600"
      no_log: true

    # By the ids the mint returned: held_token may read the file just written, which holds the new token now.
    - name: Revoke the old token by its id, once the new one is stored
      zendesk.oauth.zendesk_oauth_token:
        state: absent
        token_id: "{{ item }}"
      loop: "{{ new_token.replaced }}"

- name: Revoke every token of a client that has exactly these scopes (connection from ZENDESK_* variables)
  zendesk.oauth.zendesk_oauth_token:
    state: absent
    client_identifier: acme_integration
    scopes: [read, write]
"""

RETURN = r"""
token:
  description:
    - The token after the task, as Zendesk describes it. V(null) when there is none (O(state=absent)).
  returned: always
  type: dict
  contains:
    id:
      description: Numeric id of the token. V(null) in check mode when a token would be minted.
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
      description:
        - "The token's value, to use as C(Authorization: Bearer). Only when this task minted it; V(null) otherwise,
          including in check mode. Zendesk never shows it again, so store it now."
      type: str
    refresh_token:
      description: The refresh token Zendesk returned with a minted token, if any (usually V(null) for tokens
        minted by an admin).
      type: str
valid:
  description: Whether the held O(full_token) was verified as working for this client and these scopes.
  returned: when O(full_token) was given with O(state=present)
  type: bool
  sample: true
replaced:
  description:
    - Ids of the live tokens that the token minted by this task replaces (the held O(full_token) when it still works
      for this client, or with O(recreate=always) the client's tokens with the same scopes, unless
      O(find_replaced=false)), whether or not they were revoked. With O(revoke_replaced=false), these are the ids to
      revoke once the new token is stored.
  returned: always
  type: list
  elements: int
  sample: [910000000001]
revoked:
  description: Ids of the tokens revoked by this task (in check mode, those that would be).
  returned: always
  type: list
  elements: int
  sample: [910000000001]
revoke_failed:
  description:
    - Ids of replaced tokens that could not be revoked after a new token was minted. The task still succeeds and
      returns the new token (so that it can be stored) with a warning; revoke these later.
  returned: always
  type: list
  elements: int
  sample: []
orphans_revoked:
  description:
    - Ids of tokens that a lost creation answer of this task left behind (nobody could hold them) and that were
      revoked. Only tokens this task proved it made; see the notes.
  returned: always
  type: list
  elements: int
  sample: []
orphans_suspected:
  description:
    - Ids of tokens that may have been left by a lost creation answer of this task, but that it could not prove it made
      (see the notes). They are left alive and named in a warning. Revoke those nobody holds with O(state=absent)
      and O(token_id).
  returned: always
  type: list
  elements: int
  sample: []
lost_creates_unresolved:
  description:
    - How many creation answers of this task were lost without their token being found (revoked or suspected).
      Either Zendesk made none, or it made one after the task looked for it; a warning names the client, scopes and
      time to look at.
  returned: always
  type: int
  sample: 0
"""

from ansible_collections.zendesk.oauth.plugins.module_utils._api import ZendeskError
from ansible_collections.zendesk.oauth.plugins.module_utils._compare import (
    TOKEN_FIELDS,
    token_metadata,
    token_view,
    why_unfit,
)
from ansible_collections.zendesk.oauth.plugins.module_utils._module import ZendeskModule
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import (
    UNKNOWN_SCOPES_OPTION,
    ScopeError,
    check_scopes,
    parse_time,
    same_scopes,
    token_options_problem,
)

ARGUMENT_SPEC = {
    "client_id": {"type": "int"},
    "client_identifier": {"type": "str"},
    "scopes": {"type": "list", "elements": "str"},
    "full_token": {"type": "str", "no_log": True},
    "token_id": {"type": "int"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "recreate": {"type": "str", "choices": ["never", "always"], "default": "never"},
    "revoke_replaced": {"type": "bool", "default": True},
    "find_replaced": {"type": "bool", "default": True},
    "expiry_margin": {"type": "int", "default": 0},
    "unknown_scopes": UNKNOWN_SCOPES_OPTION,
}
MUTUALLY_EXCLUSIVE = [("client_id", "client_identifier"), ("token_id", "full_token")]
RESULT_LISTS = ("replaced", "revoked", "revoke_failed", "orphans_revoked", "orphans_suspected")


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
    has_client = params["client_id"] is not None or params["client_identifier"] is not None
    if params["state"] == "present":
        if not has_client:
            zm.fail("state=present needs client_id or client_identifier: the OAuth client to mint the token for")
        if params["scopes"] is None:
            zm.fail("state=present needs scopes, e.g. [read] or [tickets:read, users:write]")
        if params["token_id"] is not None:
            zm.fail("token_id is only used with state=absent; to keep a token you hold, give full_token")
    elif not has_client and params["token_id"] is None and params["full_token"] is None:
        zm.fail("state=absent needs token_id, full_token, or client_id/client_identifier (with optional scopes)")


def resolve_client_id(zm):
    params = zm.params
    if params["client_id"] is not None:
        return params["client_id"]
    client = zm.api.find_client(params["client_identifier"])
    if client is None:
        zm.fail("no OAuth client has the identifier %r: create it first with zendesk.oauth.zendesk_oauth_client, or "
                "check the identifier (it is the client's identifier, not its name)" % params["client_identifier"])
    return client["id"]


def newest(tokens):
    return max(tokens, key=lambda token: (parse_time(token.get("created_at")) or 0, token.get("id") or 0))


def empty_result(**values):
    result = dict(((name, []) for name in RESULT_LISTS), changed=False, lost_creates_unresolved=0)
    result.update(values)
    return result


def ensure_present(zm):
    params = zm.params
    scopes, margin = params["scopes"], params["expiry_margin"]
    client_id = resolve_client_id(zm)
    result = empty_result()
    # What create_token needs to tell an orphan of a lost answer from a token someone holds.
    mint_context = {"known_ids": (), "baseline": None, "known_ids_complete": False}
    if params["full_token"] is not None:
        held = zm.api.current_token(params["full_token"])
        problem = why_unfit(held, client_id, scopes, zm.api.server_now(), margin)
        result["valid"] = problem is None
        if problem is None and params["recreate"] == "never":
            result["token"] = token_metadata(held)
            return result
        if problem is not None:
            zm.module.warn("The held token is replaced: %s." % problem)
        # A working token of this client that is being replaced; a token of another client is none of ours.
        replaced = [held] if held is not None and held.get("client_id") == client_id else []
        mint_context["known_ids"] = [token["id"] for token in replaced]
    elif params["recreate"] == "always" and not params["find_replaced"]:
        # The caller knows there is nothing to replace: minting needs no list (a first bootstrap stays at the floor).
        replaced = []
    else:
        listed, as_of = zm.api.list_tokens_as_of(client_id)
        fitting = [token for token in listed if why_unfit(token, client_id, scopes, zm.api.server_now(), margin) is None]
        if fitting and params["recreate"] == "never":
            zm.module.warn("A token of this client with these scopes exists, but Zendesk never shows a token's value "
                           "again: pass the token you hold as full_token to verify it, or use recreate: always to "
                           "mint a new one.")
            result["token"] = token_metadata(newest(fitting))
            return result
        replaced = fitting if params["recreate"] == "always" else []
        mint_context.update(known_ids=[token.get("id") for token in listed], baseline=as_of,
                            known_ids_complete=as_of is not None)
    to_revoke = [token["id"] for token in replaced] if params["revoke_replaced"] else []
    result["replaced"] = [token["id"] for token in replaced]
    result["changed"] = True
    result["diff"] = {"before": {"tokens": [token_view(token) for token in replaced]},
                      "after": {"tokens": [{"id": None, "client_id": client_id, "scopes": sorted(scopes)}]}}
    if zm.check_mode:
        result["token"] = dict({field: None for field in TOKEN_FIELDS}, client_id=client_id, scopes=scopes,
                               full_token=None, refresh_token=None)
        result["revoked"] = to_revoke
        return result
    mint = zm.api.create_token(client_id, scopes, **mint_context)
    result.update(orphans_revoked=mint.orphans_revoked, orphans_suspected=mint.suspects,
                  lost_creates_unresolved=mint.unresolved, token=token_metadata(mint.token, minted=True))
    result["diff"]["after"] = {"tokens": [token_view(mint.token)]}
    for warning in mint.warnings(client_id, scopes):
        zm.module.warn(warning)
    result["revoked"], result["revoke_failed"] = revoke_after_mint(zm, to_revoke)
    return result


def revoke_after_mint(zm, token_ids):
    """Revoke the replaced tokens; a failure here must not lose the token just minted, so it only warns."""
    revoked, failed = [], []
    for token_id in token_ids:
        try:
            if zm.api.revoke_token(token_id):
                revoked.append(token_id)
        except ZendeskError as exc:
            failed.append(token_id)
            zm.module.warn("The new token was minted, but revoking the token it replaces (id %s) failed: %s. Revoke "
                           "it later with state: absent, token_id: %s." % (token_id, exc.render(), token_id))
    return revoked, failed


def ensure_absent(zm):
    params = zm.params
    if params["token_id"] is not None and not zm.check_mode:
        # Straight to DELETE: 204 means it was revoked now, 404 that it was already gone.
        revoked = [params["token_id"]] if zm.api.revoke_token(params["token_id"]) else []
        result = empty_result(changed=bool(revoked), token=None, revoked=revoked)
        if revoked:
            result["diff"] = {"before": {"tokens": [{"id": params["token_id"]}]}, "after": {"tokens": []}}
        return result
    if params["token_id"] is not None:  # check mode: only a read, and the same diff as a real run
        found = zm.api.get_token(params["token_id"])
        result = empty_result(changed=found is not None, token=None)
        if found is not None:
            result["revoked"] = [params["token_id"]]
            result["diff"] = {"before": {"tokens": [{"id": params["token_id"]}]}, "after": {"tokens": []}}
        return result
    if params["full_token"] is not None:
        found = zm.api.current_token(params["full_token"])
        targets = [found] if found is not None else []
    else:
        client_id = resolve_client_id(zm)
        targets = [token for token in zm.api.iter_tokens(client_id)
                   if params["scopes"] is None or same_scopes(token.get("scopes"), params["scopes"])]
    result = empty_result(changed=bool(targets), token=None)
    if targets:
        result["diff"] = {"before": {"tokens": [token_view(token) for token in targets]}, "after": {"tokens": []}}
    if zm.check_mode:
        result["revoked"] = [token["id"] for token in targets]
        return result
    result["revoked"] = [token["id"] for token in targets if zm.api.revoke_token(token["id"])]
    result["changed"] = bool(result["revoked"])
    return result


def work(zm):
    check_input(zm)
    if zm.params["state"] == "absent":
        return ensure_absent(zm)
    return ensure_present(zm)


# How ZendeskModule builds this module, in a module process (main) or in the controller's own
# process (plugins/plugin_utils/_module_action.py).
MODULE_OPTIONS = {"argument_spec": ARGUMENT_SPEC, "mutually_exclusive": MUTUALLY_EXCLUSIVE}


def main():
    ZendeskModule(**MODULE_OPTIONS).run(work)


if __name__ == "__main__":
    main()
