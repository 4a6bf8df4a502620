#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: zendesk_oauth_bootstrap
short_description: The work of the oauth_bootstrap role (use the role)
version_added: 0.1.0
description:
  - The engine of the P(zendesk.oauth.oauth_bootstrap#role) role, which is how to use it. It takes no arguments; it reads
    the role's C(oauth_bootstrap_*) variables, typed by the role's argument spec, so C("false"), C("no"), C("0") and
    C("off") given as strings (C(-e), INI inventories, AWX extra vars) are false, as modules read them.
  - 'It runs in the controller''s process: it reads and locks the store (an Ansible Vault file, a KV v2 secret, or
    nothing), ensures the OAuth client, verifies the held token, keeps, refreshes, mints or fetches a token, writes
    the store, and only then revokes the token it replaced. Every option and the store are checked before the first
    request to Zendesk.'
  - Before each request that makes something Zendesk shows only once (a client and its secret, a token), it writes a
    journal entry to the store; a run that dies half way leaves the next run what it needs to revoke the token nobody
    holds, or to regenerate the secret nobody got.
extends_documentation_fragment:
  - zendesk.oauth.zendesk.role_engine
author:
  - zendesk.oauth maintainers (@zendesk-oauth)
attributes:
  check_mode:
    support: full
    description: Reads the store and Zendesk, writes neither, and never returns a made-up token.
  diff_mode:
    support: none
    description: Its result is never shown (it holds secrets); the role's summary says what changed.
notes:
  - Its result carries the token and the client secret in its facts, so it is never shown (as with C(no_log)); the
    role prints RV(summary) in a task of its own.
seealso:
  - name: The oauth_bootstrap role
    description: C(ansible-doc -t role zendesk.oauth.oauth_bootstrap)
    link: https://github.com/zendesk-oauth/zendesk.oauth/tree/main/roles/oauth_bootstrap
"""

EXAMPLES = r"""
# Use the role, which calls this module with its variables.
- name: Bootstrap the integration's OAuth client and token
  ansible.builtin.include_role:
    name: zendesk.oauth.oauth_bootstrap
  vars:
    oauth_bootstrap_client_identifier: acme_integration
    oauth_bootstrap_subdomain: acme
    oauth_bootstrap_email: admin@acme.example
    oauth_bootstrap_api_token: "{{ vault_zendesk_api_token }}"
    oauth_bootstrap_vault_file: "{{ playbook_dir }}/zendesk_oauth.vault.yml"
    oauth_bootstrap_vault_password_file: ~/.ansible/zendesk_oauth.pass
"""

RETURN = r"""
facts:
  description:
    - The role's facts C(oauth_bootstrap_client) and C(oauth_bootstrap_token) (see the role's documentation), and the
      same by client identifier in C(oauth_bootstrap_clients) and C(oauth_bootstrap_tokens), with the integrations of
      the role's earlier runs on the host. The role's next task sets them with C(ansible.builtin.set_fact); they are
      not returned as C(ansible_facts), which Ansible would keep in its fact cache (and AWX in its fact store) with
      the token and the client secret in them.
  returned: success
  type: dict
path:
  description: How the token was settled.
  returned: success
  type: str
  choices: [none, keep, refresh, mint, fetch]
  sample: keep
stats:
  description:
    - What the role publishes with C(ansible.builtin.set_stats) (the last integration's, with several);
      V(null) with C(oauth_bootstrap_set_stats=false).
  returned: success
  type: dict
stats_by_identifier:
  description:
    - What the role aggregates with C(ansible.builtin.set_stats) over its runs; C(zendesk_oauth_clients) (by client
      identifier) and C(zendesk_oauth_accounts) (by account URL, then client identifier), each value like RV(stats).
    - V(null) with C(oauth_bootstrap_set_stats=false).
  returned: success
  type: dict
stats_hold_secret:
  description: Whether RV(stats) and RV(stats_by_identifier) hold tokens (C(oauth_bootstrap_set_stats_token=true)).
  returned: success
  type: bool
summary:
  description: What the run did, in lines with no secret.
  returned: success
  type: list
  elements: str
  sample:
    - "OAuth client acme_integration: id 900000000001"
    - "OAuth token: id 910000000001, the held token works and was kept, scopes read, expires never"
    - "Store: /srv/zendesk_oauth.vault.yml (Ansible Vault)"
"""
