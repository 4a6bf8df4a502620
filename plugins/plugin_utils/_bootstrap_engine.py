# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oauth_bootstrap role's work, in the controller's process.

INTERNAL: this file is not a public API of the collection and may change at any time.

Bootstrap.run() carries out the decisions of plugins/module_utils/_bootstrap.py with the
collection's own modules (their work run in this process by _controller_module.run_module, on
one shared HTTP client per connection) and a store (_stores.py):

    check every option → lock and read the store → ensure the client → clean up after a run that
    died (the store's journal) → verify the held token → keep | refresh | mint | fetch → write
    the store → revoke the replaced token → write the store once more (journal cleared)

Before each request that makes something Zendesk shows only once (a client and its secret, a
token), the store is written with a journal entry saying what is about to be made, since when by
Zendesk's clock and until when it can land; the next run revokes what such a request left that
nobody holds, or regenerates a secret nobody got.
"""

from __future__ import annotations

import json
import os
import time

import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.zendesk.oauth.plugins.module_utils import _bootstrap as plan
from ansible_collections.zendesk.oauth.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC,
    ConnectionOptionError,
    resolve_connection,
)
from ansible_collections.zendesk.oauth.plugins.module_utils._grants import Grant, GrantInputError
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import (
    CLIENTS_PATH,
    MAX_EXPIRY_MARGIN,
    TOKENS_PATH,
    ScopeError,
    check_scopes,
)
from ansible_collections.zendesk.oauth.plugins.plugin_utils._controller_module import run_module
from ansible_collections.zendesk.oauth.plugins.plugin_utils._stores import StoreConflict, StoreError, build_store

ROLE_SPEC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "roles", "oauth_bootstrap", "meta", "argument_specs.yml")
# The keys of a role option that mean something to ArgumentSpecValidator (the rest is documentation).
SPEC_KEYS = ("type", "required", "default", "choices", "elements", "no_log", "aliases", "options")
CONNECTION_VARIABLES = ("subdomain", "url", "email", "api_token", "oauth_token", "validate_certs", "ca_path", "timeout",
                        "allow_unencrypted_http")
GRANT_PATH = "/oauth/tokens"


def role_argument_spec():
    """The role's argument spec (meta/argument_specs.yml), as ArgumentSpecValidator takes it."""
    with open(ROLE_SPEC, encoding="utf-8") as handle:
        return _validator_spec(yaml.safe_load(handle)["argument_specs"]["main"]["options"])


def _validator_spec(options):
    spec = {}
    for name, option in options.items():
        spec[name] = dict((key, value) for key, value in option.items() if key in SPEC_KEYS)
        if "options" in option:
            spec[name]["options"] = _validator_spec(option["options"])
    return spec


def typed_role_options(spec, values, error):
    """(a role's options, every one set and typed by its argument spec; the values of its secret ones).

    values: the role's variables that are set (null: the default). Types are read as modules read them: "false",
    "no", "0" and "off" are false. Raises error(message), the message naming the variable. Both role engines
    (this one and the token audit's) type their variables here.
    """
    given = dict((name, value) for name, value in values.items() if value is not None)
    validated = ArgumentSpecValidator(spec).validate(given)
    try:
        validated.errors[0]
    except IndexError:
        pass
    else:
        raise error(validated.errors.msg)
    secrets = set(validated._no_log_values)  # pylint: disable=protected-access
    # Plain Python values (templating may return tagged subclasses that the stores cannot serialize).
    return json.loads(json.dumps(validated.validated_parameters)), secrets


def _options_error(message):
    return plan.BootstrapError("zendesk.oauth.oauth_bootstrap: %s. Nothing was sent to Zendesk." % message)


def typed_options(values):
    """The oauth_bootstrap role's options, typed (typed_role_options); raises BootstrapError naming the variable."""
    return typed_role_options(role_argument_spec(), values, _options_error)


class StepFailed(Exception):
    """A module step failed; its message is the module's own (no secrets: the modules mask them)."""


class ClientCache(dict):
    """The HTTP clients of one run, by connection; each gets the run's journal hook as it is made."""

    before_write = None

    def __setitem__(self, key, client):
        client.before_write = self.before_write
        super(ClientCache, self).__setitem__(key, client)


class Steps(object):
    """Runs the collection's modules in this process, as the role's tasks would, sharing one HTTP client per connection.

    connection: the role's connection variables that are set (they win over module_defaults);
    defaults_for(module): the play's module_defaults for that module (its own and its group's).
    """

    def __init__(self, connection, defaults_for, environ, check_mode, diff, share_listing=False):
        self.connection = connection
        self.defaults_for = defaults_for
        self.environ = environ
        self.check_mode = check_mode
        self.diff = diff
        self.clients = ClientCache()
        # One listing of the account's clients for every integration of the run (_oauth.ClientListing).
        self.listings = {} if share_listing else None
        self.warnings = []
        self.changed = False

    def args(self, module, args):
        merged = dict(self.defaults_for("zendesk.oauth." + module))
        merged.update(self.connection)
        merged.update(args)
        return merged

    def call(self, step, module, args, check_mode=None):
        """Run `module` with `args` as the step called `step` (in messages); its result, or StepFailed."""
        result = run_module(module, self.args(module, args), self.environ,
                            check_mode=self.check_mode if check_mode is None else check_mode, diff=self.diff,
                            label="zendesk.oauth." + module, inject_invocation=False, client_cache=self.clients,
                            listings=self.listings)
        self.warnings.extend(result.get("warnings") or [])
        if result.get("failed"):
            raise StepFailed("%s failed: %s" % (step, result.get("msg")))
        self.changed = self.changed or bool(result.get("changed"))
        return result

    def server_time(self):
        """Now by Zendesk's clock (the Date of its latest answer to this run), else by ours."""
        known = [client.last_server_time for client in self.clients.values() if client.last_server_time]
        return max(known) if known else time.time()

    def hook(self, before_write):
        """Have before_write called before every request that makes a one-time secret, on every client of the run."""
        self.clients.before_write = before_write
        for client in self.clients.values():
            client.before_write = before_write


class Bootstrap(object):
    """One run of the role: Bootstrap(options, steps, store, base_url, client_kwargs, check_mode).run() -> result dict."""

    def __init__(self, options, steps, store, base_url, window, check_mode):
        self.o = options
        self.steps = steps
        self.store = store
        self.base_url = base_url
        self.window = window  # seconds a request of this run can take to land (its request bounds)
        self.check_mode = check_mode
        self.identifier = options["oauth_bootstrap_client_identifier"]
        self.scopes = options["oauth_bootstrap_scopes"]
        self.current = {}  # what the store holds now (as read, then as last written)
        self.client = {"identifier": self.identifier}
        self.secret = None
        self.created_secret = None
        self.notes = []
        self.written = False
        self._next_journal = None

    # -- the store ---------------------------------------------------------------------------------
    def write(self, record):
        if self.check_mode or self.store.kind == "fact":
            self.current = record
            return
        self.store.write(record)
        self.current = record
        self.written = True

    def with_client(self, pending):
        """The store's record with this run's client (and its secret) and a journal entry; the token as held."""
        record = dict(self.current)
        record.update({
            "zendesk_oauth_url": self.base_url,
            "zendesk_oauth_client_identifier": self.identifier,
            "zendesk_oauth_client_id": self.client.get("id", record.get("zendesk_oauth_client_id")),
            "zendesk_oauth_client_secret": self.secret or (
                record.get("zendesk_oauth_client_secret")
                if record.get("zendesk_oauth_client_id") == self.client.get("id") else None),
        })
        for key in plan.RECORD_KEYS:
            record.setdefault(key, None)
        record[plan.PENDING_KEY] = pending
        return record

    def before_write(self, method, path, body):
        """The journal: written to the store just before a request that makes a one-time secret is sent."""
        if self.check_mode or self.store.kind == "fact":
            return
        now = self.steps.server_time()
        if path.startswith(CLIENTS_PATH) and path.endswith("/generate_secret"):
            entry = plan.journal(plan.REGENERATE_SECRET, now, self.window, client_id=self.client.get("id"),
                                 identifier=self.identifier)
        elif path.startswith(CLIENTS_PATH):
            entry = plan.journal(plan.CREATE_CLIENT, now, self.window, identifier=self.identifier)
        elif path.startswith(TOKENS_PATH) or path.startswith(GRANT_PATH):
            entry = dict(self._next_journal or {})
            entry = plan.journal(entry.get("operation", plan.MINT), now, self.window, client_id=self.client.get("id"),
                                 scopes=self.scopes, before_ids=entry.get("before_ids"))
        else:
            return
        previous = self.current.get(plan.PENDING_KEY) or {}
        if previous.get("operation") == entry["operation"] and previous.get("client_id") == entry.get("client_id"):
            entry["since"] = previous["since"]  # a POST sent again after a lost answer: the window starts at the first
        self.write(self.with_client(entry))

    # -- the run -----------------------------------------------------------------------------------
    def run(self):
        self.current = self.store.read()
        problem = plan.binding_problem(self.current, self.base_url, self.identifier, self.store.where)
        if problem:
            raise plan.BootstrapError(problem)
        pending = self.current.get(plan.PENDING_KEY)
        held_token, held_refresh = plan.held_pair(self.o, self.current)

        created = self.ensure_client()
        client_id = self.client.get("id")
        self.recover(pending, client_id, created)
        self.secret = plan.client_secret(self.created_secret, self.o["oauth_bootstrap_client_secret"], self.current,
                                         client_id)

        verified = None
        if held_token and client_id is not None:
            verified = self.steps.call("Verify the held token", "zendesk_oauth_token_info", {
                "full_token": held_token, "client_id": client_id, "scopes": self.scopes,
                "unknown_scopes": self.o["oauth_bootstrap_unknown_scopes"],
                "expiry_margin": self.o["oauth_bootstrap_expiry_margin"]}, check_mode=False)
            if not verified.get("valid"):
                self.notes.append("The held token was not kept: %s." % (verified.get("problem") or "it does not work"))
        kind = self.client.get("kind") or plan.effective_kind(self.o)
        path = plan.token_path(client_id, held_token, verified, self.o, held_refresh, self.secret, kind)
        token = None
        refresh_refused = False
        if path == plan.REFRESH:
            token = self.refresh(held_refresh, client_id)
            if token is None:
                path, refresh_refused = plan.new_token_path(self.o), True
        if path == plan.KEEP:
            token = plan.kept_token(verified, held_token, held_refresh)
        elif path == plan.MINT:
            token = self.mint(client_id, held_token, created)
        elif path == plan.FETCH:
            token = self.fetch(client_id)
        elif path == plan.NONE:
            token = plan.empty_token(self.scopes)

        # The stored pair's refresh token counts when it was not just refused (then it is dead already).
        stored = self.current if not (self.o["oauth_bootstrap_full_token"] or refresh_refused) else None
        replaced = plan.replaced_ids(path, verified, client_id, stored, self.steps.server_time())
        record = plan.record_for(self.base_url, self.client, self.secret, token,
                                 pending={"operation": plan.REVOKE, "token_ids": replaced} if replaced else None)
        # Written only from a token Zendesk just issued or verified (check mode predicts the write).
        due = plan.store_due(record, self.current) and (bool(token.get("full_token")) or self.check_mode)
        would_write = due and self.store.kind != "fact"
        if due:
            try:
                self.write(record)
            except StoreConflict as exc:
                self.unstorable(token, path, exc)
        for token_id in replaced:
            try:
                self.steps.call("Revoke the token that was replaced", "zendesk_oauth_token",
                                {"state": "absent", "token_id": token_id})
            except StepFailed as exc:
                raise plan.BootstrapError("%s. The new token is stored; the next run revokes token %s (the store's "
                                          "journal names it)." % (str(exc).rstrip("."), token_id))
        if replaced:
            self.write(plan.record_for(self.base_url, self.client, self.secret, token))
        return self.result(token, path, would_write or self.written)

    def unstorable(self, token, path, conflict):
        """Someone wrote the store since this run's journal: the token this run got cannot be stored, so it goes."""
        message = "%s This run's changes were not stored." % conflict
        if path in (plan.MINT, plan.FETCH, plan.REFRESH) and token.get("id") is not None:
            self.steps.call("Revoke the token the store could not take", "zendesk_oauth_token",
                            {"state": "absent", "token_id": token["id"]})
            message += " The token this run got (id %s) was revoked, since nobody could hold it." % token["id"]
        raise StoreError(message + " Run the role again: it starts from what the store holds now.")

    def ensure_client(self):
        """Ensure the client; True when this run created it."""
        args = {
            "identifier": self.identifier,
            "name": self.o["oauth_bootstrap_client_name"] or self.identifier,
            "regenerate_secret": self.o["oauth_bootstrap_client_regenerate_secret"],
            # The id the store recorded: one request instead of paging through the account's clients (checked).
            "id_hint": plan.client_id_hint(self.current, self.identifier),
        }
        for option in ("redirect_uri", "description", "company"):
            value = self.o["oauth_bootstrap_client_" + option]
            if value is not None:
                args[option] = value
        kind = plan.effective_kind(self.o)
        if kind is not None:
            args["kind"] = kind
        result = self.steps.call("Ensure the OAuth client", "zendesk_oauth_client", args)
        self.client = dict(result.get("client") or {"identifier": self.identifier})
        self.created_secret = result.get("secret")
        if result.get("secret_lost"):
            self.notes.append("The client was created but the answer with its secret was lost: run again with "
                              "oauth_bootstrap_client_regenerate_secret=true to get one.")
        # Created now: the diff has nothing before.
        return bool(result.get("changed")) and not (result.get("diff") or {}).get("before")

    def recover(self, pending, client_id, created):
        """Clean up after a run of this store that died during the operation its journal names."""
        if not pending or client_id is None:
            return
        operation = pending.get("operation")
        until = plan.parse_time(pending.get("until"))
        if self.store.kind == "kv" and until is not None and self.steps.server_time() < until:
            # No lock spans a KV store: a journal still inside its window may be a run that is alive.
            raise plan.BootstrapError(
                "%s holds the journal of another run (%s since %s) that may still be running: it can take until %s. "
                "Run again after that; if that run died, the next run cleans up after it." % (
                    self.store.where, operation, pending.get("since"), pending.get("until")))
        if operation in (plan.CREATE_CLIENT, plan.REGENERATE_SECRET):
            # A regeneration that died left a secret nobody got, and the old one may be dead already.
            lost = (plan.secret_lost_to_dead_run(pending, self.client, self.current)
                    if operation == plan.CREATE_CLIENT else True)
            if lost and not self.created_secret and not self.check_mode:
                result = self.steps.call("Regenerate the secret nobody got", "zendesk_oauth_client",
                                         {"identifier": self.identifier, "regenerate_secret": True,
                                          "id_hint": client_id})
                self.created_secret = result.get("secret")
                self.notes.append("A run that died after Zendesk showed the client secret left nobody holding it: the "
                                  "secret was regenerated and stored.")
            return
        if operation == plan.REVOKE:
            ids = list(pending.get("token_ids") or [])
        else:
            listed = self.steps.call("List the tokens a run that died may have left", "zendesk_oauth_token_info",
                                     {"client_id": client_id}, check_mode=False)
            tokens = listed.get("tokens") or []
            ids = plan.left_by_dead_run(pending, tokens, self.current.get("zendesk_oauth_token_id"))
        for token_id in ids:
            if self.check_mode:
                self.notes.append("Check mode: token %s, left by a run that died before storing it, would be revoked."
                                  % token_id)
                continue
            self.steps.call("Revoke a token nobody holds", "zendesk_oauth_token", {"state": "absent", "token_id": token_id})
            self.notes.append("Revoked token %s, which a run that died before storing it left (nobody held it)."
                              % token_id)

    def refresh(self, refresh_token, client_id):
        """The refreshed token, or None when Zendesk refuses the refresh (the role then gets a new token)."""
        if self.check_mode:
            return self.predicted(client_id)
        self._next_journal = {"operation": plan.REFRESH}
        try:
            answer = self.steps.call("Refresh the held token", "zendesk_oauth_grant",
                                     self.grant_args("refresh_token", refresh_token=refresh_token))
        except StepFailed as exc:
            self.notes.append("The held refresh token did not give a new token (%s); %s instead." % (
                exc, "minting a new token with the admin credential" if self.o["oauth_bootstrap_token_source"] == "admin"
                else "getting a new token with the client_credentials grant"))
            return None
        return self.learn_id(answer, client_id)

    def mint(self, client_id, held_token, created):
        self._next_journal = {"operation": plan.MINT, "before_ids": [] if created else None}
        result = self.steps.call("Mint a token with the admin credential", "zendesk_oauth_token", {
            "client_id": client_id, "scopes": self.scopes, "recreate": "always",
            "unknown_scopes": self.o["oauth_bootstrap_unknown_scopes"],
            # The held token is revoked after the store is written; the client's other tokens only when asked.
            "revoke_replaced": plan.revoke_unheld(self.o, held_token),
            "find_replaced": plan.revoke_unheld(self.o, held_token)})
        return result["token"]

    def fetch(self, client_id):
        problem = plan.secret_missing_problem(plan.FETCH, self.secret, self.o)
        if problem and not (self.check_mode and self.client.get("id") is None):
            raise plan.BootstrapError(problem)
        if self.check_mode:
            return self.predicted(client_id)
        self._next_journal = {"operation": plan.FETCH}
        answer = self.steps.call("Get a token for the client with the client_credentials grant", "zendesk_oauth_grant",
                                 self.grant_args("client_credentials"))
        return self.learn_id(answer, client_id)

    def grant_args(self, grant_type, refresh_token=None):
        args = {"grant_type": grant_type, "client_identifier": self.identifier, "scopes": self.scopes,
                "unknown_scopes": self.o["oauth_bootstrap_unknown_scopes"]}
        if self.secret:
            args["client_secret"] = self.secret
        if refresh_token:
            args["refresh_token"] = refresh_token
        if self.o["oauth_bootstrap_token_expires_in"]:
            args["expires_in"] = self.o["oauth_bootstrap_token_expires_in"]
        if grant_type == "refresh_token" and self.o["oauth_bootstrap_refresh_token_expires_in"]:
            args["refresh_token_expires_in"] = self.o["oauth_bootstrap_refresh_token_expires_in"]
        return args

    def learn_id(self, answer, client_id):
        """The grant answers without the token's id: ask Zendesk with the new token itself (which proves it works)."""
        info = self.steps.call("Look up the new token's id", "zendesk_oauth_token_info",
                               {"full_token": answer["access_token"], "client_id": client_id}, check_mode=False)
        if info.get("valid") is False:
            raise plan.BootstrapError("Zendesk issued a token that does not work for client %s (%s); it was not stored."
                                      % (self.identifier, info.get("problem") or "tokens/current refused it"))
        return plan.token_from_grant(answer, (info.get("token") or {}).get("id"), client_id, self.scopes)

    def predicted(self, client_id):
        """What check mode says of a token it would get: its client and scopes, no id, no value."""
        token = plan.empty_token(self.scopes)
        token["client_id"] = client_id
        return token

    # -- the result --------------------------------------------------------------------------------
    def result(self, token, path, store_changed):
        client_fact = dict(self.client, secret=self.secret)
        if (self.secret is None and self.store.kind != "fact" and self.client.get("id") is not None
                and self.client.get("kind") == "confidential"):
            # Never a null secret without a word: a confidential client's refresh and grant need it.
            self.notes.append("The store holds no secret for client %s: Zendesk shows it only when the client is "
                              "created or its secret regenerated. Set oauth_bootstrap_client_regenerate_secret=true "
                              "for one run, or give it in oauth_bootstrap_client_secret." % self.identifier)
        changed = self.steps.changed or store_changed or bool(self.notes and self.written)
        return {
            "changed": changed,
            # Not ansible_facts: facts an action returns go to the fact cache (AWX keeps it), and these hold the
            # token and the client secret. The role's next task sets them (set_fact: not cached).
            "facts": {"oauth_bootstrap_client": client_fact, "oauth_bootstrap_token": token},
            "path": path,
            "stats": (plan.stats(self.client, token, self.scopes, self.o["oauth_bootstrap_set_stats_token"])
                      if self.o["oauth_bootstrap_set_stats"] else None),
            "stats_hold_secret": bool(self.o["oauth_bootstrap_set_stats"] and self.o["oauth_bootstrap_set_stats_token"]),
            "summary": plan.summary(self.client, token, path, self.store.where, self.check_mode, self.notes),
        }


def window_of(client_kwargs):
    """How long one request of this run can take to land, by its bounds (timeout, retries, waits)."""
    return int(client_kwargs["timeout"] * (client_kwargs["max_retries"] + 1) + client_kwargs["max_retry_wait"]) + 5


def prepare(options, connection, defaults_for, environ):
    """Every check that needs no request: options, scopes, connection; returns (base_url, client kwargs)."""
    problems = plan.option_problems(options)
    warnings = []
    try:
        options["oauth_bootstrap_scopes"], warning = check_scopes(options["oauth_bootstrap_scopes"],
                                                                  options["oauth_bootstrap_unknown_scopes"])
        if warning:
            warnings.append("oauth_bootstrap_scopes: %s" % warning)
    except ScopeError as exc:
        problems.append("oauth_bootstrap_scopes: %s (oauth_bootstrap_unknown_scopes)" % exc)
    if not 0 <= options["oauth_bootstrap_expiry_margin"] <= MAX_EXPIRY_MARGIN:
        problems.append("oauth_bootstrap_expiry_margin=%s is out of range: give 0 to %d seconds"
                        % (options["oauth_bootstrap_expiry_margin"], MAX_EXPIRY_MARGIN))
    try:  # the grant's own checks of the lifetimes, before the client is made
        Grant("refresh_token", "checked", refresh_token="checked",
              expires_in=options["oauth_bootstrap_token_expires_in"],
              refresh_token_expires_in=options["oauth_bootstrap_refresh_token_expires_in"])
    except GrantInputError as exc:
        problems.append("oauth_bootstrap_token_expires_in / oauth_bootstrap_refresh_token_expires_in: %s" % exc)
    try:
        params = dict((name, None) for name in CONNECTION_ARGUMENT_SPEC)
        params.update(defaults_for("zendesk.oauth.zendesk_oauth_client"))
        params.update(connection)
        client_kwargs = resolve_connection(params, environ)[0]
    except ConnectionOptionError as exc:
        problems.append("The connection: %s (the oauth_bootstrap_* connection variables, module_defaults for "
                        "group/zendesk.oauth.zendesk, or ZENDESK_* environment variables)" % exc)
        client_kwargs = None
    if problems:
        raise plan.BootstrapError("%s. Nothing was sent to Zendesk." % "; ".join(p.rstrip(".") for p in problems))
    return client_kwargs["base_url"], client_kwargs, warnings


def execute(values, environ, defaults_for, check_mode=False, diff=False):
    """One run of the role from its variables (`values`: those set); returns the task result.

    environ: the environment a module process would get (the ZENDESK_* fallbacks, VAULT_ADDR...);
    defaults_for(module): the play's module_defaults for a module. A failure is a result with
    `failed` and one message (what failed, why, what to do), every secret value masked.

    With oauth_bootstrap_integrations, each entry is one integration, run in turn on one HTTP
    client and one listing of the account's clients; every option and every store of all of them
    is checked before the first request. The run stops at the first integration that fails.
    """
    from ansible.module_utils.common.parameters import remove_values  # pylint: disable=import-outside-toplevel

    try:
        options, secrets = typed_options(values)
        runs = plan.integrations(options)
    except plan.BootstrapError as exc:
        return {"failed": True, "changed": False, "msg": str(exc)}
    several = options[plan.INTEGRATIONS] is not None
    connection = dict((name, options["oauth_bootstrap_" + name]) for name in CONNECTION_VARIABLES
                      if options["oauth_bootstrap_" + name] not in (None, ""))
    stores = [build_store(run, environ, check_mode=check_mode) for run in runs]

    def masked(value):
        return remove_values(value, secrets.union(*(store.secrets for store in stores)))

    results, bootstrap, current = [], None, None
    steps = Steps(connection, defaults_for, environ, check_mode, diff, share_listing=len(runs) > 1)
    try:
        prepared = prepare_all(runs, stores, connection, defaults_for, environ, several)
        steps.warnings.extend(warning for unused, unused, warnings in prepared for warning in warnings)
        for run, store, (base_url, client_kwargs, unused) in zip(runs, stores, prepared):
            current, bootstrap, steps.changed = run["oauth_bootstrap_client_identifier"], None, False
            with store:
                bootstrap = Bootstrap(run, steps, store, base_url, window_of(client_kwargs), check_mode)
                steps.hook(bootstrap.before_write)
                try:
                    results.append((bootstrap, bootstrap.run()))
                except StoreConflict as exc:  # a journal write: nothing was sent for it
                    raise StoreError("%s Nothing was made in Zendesk for it; run the role again, which starts from "
                                     "what the store holds now." % exc)
    except (plan.BootstrapError, StoreError, StepFailed) as exc:
        finished = [done.identifier for done, unused in results]
        message = str(exc)
        if several and current is not None:
            message = "Integration %s: %s%s" % (current, message.rstrip("."), stopped(finished, len(runs)))
        failing = bootstrap if bootstrap is not None and bootstrap.identifier not in finished else None
        result = {"failed": True, "msg": masked(message),
                  "changed": any(done["changed"] for unused, done in results)
                  or bool(failing and (failing.written or steps.changed))}
        if steps.warnings:
            result["warnings"] = masked(steps.warnings)
        return result
    result = combined([(done.identifier, done.base_url, outcome) for done, outcome in results], several)
    if steps.warnings:
        result["warnings"] = list(steps.warnings)
    for key in ("summary", "warnings"):
        if key in result:
            result[key] = masked(result[key])
    return result


def stopped(finished, count):
    """What a failed run of several integrations did and did not do, for its message."""
    return (". Integrations done before it (stored): %s; the other %d were not started. Run the role again: the done "
            "ones then have nothing to do." % (", ".join(finished) or "none", count - len(finished) - 1))


def prepare_all(runs, stores, connection, defaults_for, environ, several):
    """Every check of every integration that needs no request to Zendesk; its (base_url, client kwargs, warnings)."""
    prepared, problems = [], []
    for run, store in zip(runs, stores):
        try:
            prepared.append(prepare(run, connection, defaults_for, environ))
            store.check()
        except (plan.BootstrapError, StoreError) as exc:
            if not several:
                raise
            problems.append("Integration %s: %s" % (run["oauth_bootstrap_client_identifier"],
                                                    str(exc).replace(" Nothing was sent to Zendesk.", "")))
    if problems:
        raise plan.BootstrapError("%s Nothing was sent to Zendesk." % " ".join(problems))
    return prepared


def combined(results, several):
    """The task result of every integration's run (results: (identifier, base URL, result)): the last one's flat
    facts and stats (as with one integration), the facts and stats of all of them by identifier, and every summary."""
    result = dict(results[-1][2])
    result["changed"] = any(each["changed"] for unused, unused, each in results)
    result["facts"] = dict(
        result["facts"],
        oauth_bootstrap_clients=dict((name, each["facts"]["oauth_bootstrap_client"])
                                     for name, unused, each in results),
        oauth_bootstrap_tokens=dict((name, each["facts"]["oauth_bootstrap_token"])
                                    for name, unused, each in results))
    published = [(url, each["stats"]) for unused, url, each in results if each["stats"] is not None]
    result["stats_by_identifier"] = plan.keyed_stats(published) if published else None
    if several:
        result["summary"] = [line for unused, unused, each in results for line in each["summary"]]
    return result
