#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: zendesk_oauth_token_audit
short_description: The work of the oauth_token_audit role (use the role)
version_added: 0.1.0
description:
  - The engine of the P(zendesk.oauth.oauth_token_audit#role) role, which is how to use it. It takes no arguments; it
    reads the role's C(oauth_token_audit_*) variables, typed by the role's argument spec, so C("false"), C("no"),
    C("0") and C("off") given as strings (C(-e), INI inventories, AWX extra vars) are false, as modules read them.
  - 'It runs in the controller''s process: it checks every variable, reads every store (read only), lists the
    account''s OAuth clients and every token, compares them, revokes the tokens no store holds when asked to, and
    writes the reports.'
extends_documentation_fragment:
  - zendesk.oauth.zendesk.role_engine
author:
  - zendesk.oauth maintainers (@zendesk-oauth)
attributes:
  check_mode:
    support: full
    description: Reads the stores and Zendesk and revokes nothing; RV(would_revoke) lists what a real run would revoke.
  diff_mode:
    support: full
    description: Shows the tokens it revokes (or would revoke, in check mode).
notes:
  - The report files are written in check mode too; they describe the account and change nothing in it.
seealso:
  - name: The oauth_token_audit role
    description: C(ansible-doc -t role zendesk.oauth.oauth_token_audit)
    link: https://github.com/zendesk-oauth/zendesk.oauth/tree/main/roles/oauth_token_audit
"""

EXAMPLES = r"""
# Use the role, which calls this module with its variables.
- name: Audit the account's OAuth tokens against our vault files
  ansible.builtin.include_role:
    name: zendesk.oauth.oauth_token_audit
  vars:
    oauth_token_audit_subdomain: acme
    oauth_token_audit_email: admin@acme.example
    oauth_token_audit_api_token: "{{ vault_zendesk_api_token }}"
    oauth_token_audit_stores:
      - store: vault_file
        vault_file: "{{ playbook_dir }}/zendesk_oauth.vault.yml"
        vault_password_file: ~/.ansible/zendesk_oauth.pass
    oauth_token_audit_report_markdown: "{{ playbook_dir }}/token-audit.md"
"""

RETURN = r"""
ansible_facts:
  description: The fact C(oauth_token_audit_report), the whole report (see the role's documentation).
  returned: success
  type: dict
summary:
  description: What the audit found and did, in lines with no secret.
  returned: success
  type: list
  elements: str
  sample:
    - "Zendesk https://acme.zendesk.com as of 2026-12-01T10:00:00Z: 212 tokens of 9 clients, compared with 8 stores"
    - "Held by a store: 8. Held by no store: 204 (150 may be revoked; kept: 54 of clients no store holds a token of)"
    - "Expire within 7 days: 3 (0 already expired, expired tokens not listed)"
    - "Unused for 30 days or more: 120; never used: 80"
    - "Broader than their client needs: 4"
    - "Nothing revoked (oauth_token_audit_revoke_unheld is false); 150 tokens no store holds may be revoked"
    - "Report: /srv/audit/token-audit.json"
counts:
  description: How many tokens each finding holds, and how many were revoked.
  returned: success
  type: dict
  sample: {tokens: 212, held: 8, unheld: 204, revocable: 150, kept_unheld: 54, expiring: 3, expired: 0, idle: 120,
           never_used: 80, broad: 4, revoked: 0, would_revoke: 0, revoke_failed: 0}
revoked:
  description: Ids of the tokens this run revoked.
  returned: success
  type: list
  elements: int
would_revoke:
  description: In check mode, ids of the tokens a real run would revoke.
  returned: success
  type: list
  elements: int
revoke_failed:
  description: Ids of the tokens whose revocation failed (the task then fails, after writing the reports).
  returned: always
  type: list
  elements: int
report_files:
  description: The report files written.
  returned: success
  type: list
  elements: str
"""
