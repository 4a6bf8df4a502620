# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Ansible glue shared by every module: argument spec, connection, errors.

INTERNAL: this file is not a public API of the collection and may change at any time.

Modules hold no HTTP and no auth code: they ask ZendeskModule for `api` (clients and tokens) or
`grants` (the grant endpoint) and let it turn a ZendeskError into fail_json.
"""

from __future__ import annotations

import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ._api import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, ZendeskClient, ZendeskError
from ._connection import (
    CONNECTION_ARGUMENT_SPEC,
    CREDENTIALS_FIX,
    ConnectionOptionError,
    has_credentials,
    resolve_connection,
)
from ._grants import GrantAPI
from ._oauth import ClientListing, OAuthAPI


class ZendeskModule(object):
    """An AnsibleModule with the shared connection options and one API client per run.

    auth_required=False is for a module whose endpoint needs no API credentials (the OAuth grant
    endpoint, where the client authenticates itself): none are asked for, and any given (in the
    task, through module_defaults or ZENDESK_*) are never sent.
    auth_required="optional" is for a module that needs them only for some of its work (a held
    token verifies itself): given ones are checked and used, and the module calls
    require_credentials before the work that needs them.

    host builds the object that stands for AnsibleModule (same keyword arguments); by default
    AnsibleModule itself, in a module process. In the controller's process it is
    plugins/plugin_utils/_controller_module.py's ControllerModule, and environ (else os.environ)
    is the environment the task would give a module process. client_cache (a dict) lets several
    modules run in one process share the HTTP client of one connection (its keep-alive session and
    what it learnt of Zendesk's clock). listings (a dict) lets them share, per connection, one
    listing of the account's clients (_oauth.ClientListing): a run that ensures many clients lists
    them once.
    """

    def __init__(self, argument_spec, auth_required=True, host=None, environ=None, client_cache=None, listings=None,
                 **kwargs):
        spec = dict(CONNECTION_ARGUMENT_SPEC)
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        self.module = (host or AnsibleModule)(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.diff_mode = self.module._diff
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR and "".join(
                traceback.format_exception_only(type(REQUESTS_IMPORT_ERROR), REQUESTS_IMPORT_ERROR)))
        try:
            self._client_kwargs, warnings, secrets = resolve_connection(
                self.params, os.environ if environ is None else environ, auth_required=auth_required)
        except ConnectionOptionError as exc:
            self.module.fail_json(msg=str(exc))
        for secret in secrets:
            self.module.no_log_values.add(secret)
        for warning in warnings:
            self.module.warn(warning)
        self._client = self._api = self._grants = None
        self._client_cache = client_cache
        self._listings = listings

    @property
    def base_url(self):
        return self._client_kwargs["base_url"]

    @property
    def has_credentials(self):
        """Whether this run has API credentials (always, unless auth_required was False or "optional")."""
        return has_credentials(self._client_kwargs)

    def require_credentials(self, reason, alternative=None):
        """fail_json before any request when the work needs credentials and none were given.

        reason says what needs them ("token_id needs an admin credential"); alternative, a way to
        do without them.
        """
        if not self.has_credentials:
            msg = "%s, and none is set: %s" % (reason, CREDENTIALS_FIX)
            self.module.fail_json(msg=msg + ("; or %s" % alternative if alternative else ""))

    @property
    def client(self):
        """The HTTP client of this run (built on first use: a run that fails validation sends nothing)."""
        if self._client is None:
            key = self._connection_key
            if self._client_cache is not None and key in self._client_cache:
                self._client = self._client_cache[key]
                self._client._warn = self.module.warn  # pylint: disable=protected-access
            else:
                self._client = ZendeskClient(warn=self.module.warn, **self._client_kwargs)
                if self._client_cache is not None:
                    self._client_cache[key] = self._client
        return self._client

    @property
    def _connection_key(self):
        return tuple(sorted(self._client_kwargs.items()))

    @property
    def api(self):
        """The OAuth API of this account: clients and tokens."""
        if self._api is None:
            listing = None
            if self._listings is not None:
                listing = self._listings.setdefault(self._connection_key, ClientListing())
            self._api = OAuthAPI(self.client, listing=listing)
        return self._api

    @property
    def grants(self):
        """The grant endpoint (POST /oauth/tokens), where an OAuth client gets tokens for itself."""
        if self._grants is None:
            self._grants = GrantAPI(self.client)
        return self._grants

    @property
    def requests_sent(self):
        return self._client.request_count if self._client else 0

    def fail(self, msg, **result):
        self.module.fail_json(msg=msg, **result)

    def fail_from(self, error, **result):
        """fail_json for a ZendeskError: status, Zendesk's error and description, method and path."""
        self.module.fail_json(msg=error.render(), zendesk_error=error.as_dict(), **result)

    def exit(self, **result):
        self.module.exit_json(**result)

    def run(self, work):
        """Call work(self) and exit with its result; any ZendeskError becomes a clear failure."""
        try:
            result = work(self)
        except ZendeskError as exc:
            self.fail_from(exc)
        self.exit(**result)
