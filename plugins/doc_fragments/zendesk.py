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
      - Must be an absolute C(http) or C(https) URL with no query string, and a port (if any) from 1 to 65535.
        Plain C(http) is refused unless the host is this machine (C(localhost), C(127.0.0.0/8), C(::1)) or
        O(allow_unencrypted_http=true).
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
      - The file must exist, be readable and hold at least one certificate; otherwise the task fails before any
        request.
      - If not set, E(ZENDESK_CA_PATH) is used.
    type: path
  allow_unencrypted_http:
    description:
      - Allow a plain C(http) O(url) to a host that is not this machine. Without it such a URL is refused before any
        request.
      - B(Insecure.) The admin's credential, client secrets and tokens then cross the network unencrypted, readable
        and usable by anyone on the way. Use it only for a test server on a network you trust.
      - If not set in the task, E(ZENDESK_ALLOW_UNENCRYPTED_HTTP) is used, but only for a URL that comes from
        E(ZENDESK_URL) too; otherwise V(false).
    type: bool
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
  - When the task runs on the controller (the C(local) connection, without C(become) or C(async)) and the
    controller's Python has C(requests), the module's work runs inside the controller's own process (its action
    plugin), with the same options, checks, results and C(no_log) masking; no Python process is started for the
    task (see the collection's docs/benchmarks.md for what that saves). Otherwise it runs as a module process on
    the task's host, as usual.
  - 'The variable C(zendesk_oauth_execution) (or the controller''s environment variable E(ZENDESK_OAUTH_EXECUTION))
    forces the path: V(controller), V(module), or V(auto) (the default, as above). V(controller) with a remote host
    calls Zendesk from the controller.'
  - All modules of this collection belong to the action group C(zendesk.oauth.zendesk), so the connection options
    can be set once with C(module_defaults) and C(group/zendesk.oauth.zendesk).
  - Credentials go to the configured O(url) or O(subdomain) only. A link in an answer (a next page) is resolved
    against it and refused when it leads to another scheme, host or port. A redirect is followed only by a read
    (GET), only on the same scheme, host and port, and at most 3 in a row. A write, and the grant endpoint, follow
    none.
  - Text taken from Zendesk's answers (error messages) is cleaned of every credential and secret the task sends,
    raw, URL-encoded, JSON-escaped or base64-encoded, before it reaches a message.
  - Lists are read 100 records a page. A list stops with an error when the same page comes back twice, or when it
    passes 1000 cursor pages (100,000 records; ten times the largest account measured) or 100 offset pages (Zendesk's
    own cap of offset pagination, 10,000 records).
"""

    # The scope check of the modules that take scopes (zendesk.oauth.zendesk.scopes).
    # The engine of a role (zendesk_oauth_bootstrap, zendesk_oauth_token_audit): an action plugin that takes no
    # options and runs in the controller's process.
    ROLE_ENGINE = r"""
options: {}
attributes:
  action:
    support: full
    description: An action plugin; the work runs in the controller's process.
  async:
    support: none
    description: Runs in the foreground of the play.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller, whatever the play's host.
"""

    SCOPES = r"""
options:
  unknown_scopes:
    description:
      - What to do with a scope whose resource Zendesk does not document, such as C(tickts:read).
      - Zendesk mints a token with any scope, and refuses every call that the token makes with a scope that it does
        not know (403). So such a scope is most likely a typing error.
      - V(fail) stops the task before any request, with a message naming the resources Zendesk documents.
      - V(warn) sends the scope as given, with a warning. Use it for a resource that Zendesk added after this
        collection's list was made.
      - The list is Zendesk's, from the Scopes section of the OAuth Tokens API reference
        (U(https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/#scopes)), plus C(zis). It
        includes C(tickets), C(users), C(organizations), C(hc), C(apps), C(triggers), C(automations), C(targets),
        C(webhooks), C(macros), C(requests), C(satisfaction_ratings), C(dynamic_content), C(any_channel),
        C(web_widget), C(auditlogs), C(security) and C(unrestricted).
    type: str
    choices: [fail, warn]
    default: fail
"""
