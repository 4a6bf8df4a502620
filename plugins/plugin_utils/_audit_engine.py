# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oauth_token_audit role's work, in the controller's process.

INTERNAL: this file is not a public API of the collection and may change at any time.

    check every variable, store entry and report path → read every store (read only) → list the account's
    clients and every token (zendesk_oauth_client_info, zendesk_oauth_token_info all_users) → the audit
    (plugins/module_utils/_audit.py) → revoke what may be revoked (zendesk_oauth_token state=absent), if asked
    and not in check mode → write the reports

The stores are the oauth_bootstrap role's (plugins/plugin_utils/_stores.py), opened read only: a vault file
is read under its lock when the lock file exists (so a bootstrap run that is writing it is waited for), and
the lock is let go once the file is read, before any request to Zendesk; a KV secret needs only read on it.
The modules run in this process on one HTTP client (the oauth_bootstrap engine's Steps).
"""

from __future__ import annotations

import json
import os
import tempfile

import yaml

from ansible_collections.zendesk.oauth.plugins.module_utils import _audit as plan
from ansible_collections.zendesk.oauth.plugins.module_utils._compare import token_view
from ansible_collections.zendesk.oauth.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC,
    ConnectionOptionError,
    resolve_connection,
)
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import ScopeError, normalize_scopes
from ansible_collections.zendesk.oauth.plugins.plugin_utils import _audit_report as render
from ansible_collections.zendesk.oauth.plugins.plugin_utils._bootstrap_engine import (
    CONNECTION_VARIABLES,
    SPEC_KEYS,
    StepFailed,
    Steps,
    typed_role_options,
)
from ansible_collections.zendesk.oauth.plugins.plugin_utils._stores import KvStore, StoreError, VaultFileStore

ROLE = "zendesk.oauth.oauth_token_audit"
PREFIX = "oauth_token_audit_"
ROLE_SPEC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "roles", "oauth_token_audit", "meta", "argument_specs.yml")
NOTHING_SENT = "Nothing was sent to Zendesk."
# The fields of a store entry that belong to each kind (name and scopes belong to every kind).
STORE_FIELDS = {
    "vault_file": ("vault_file", "vault_password", "vault_password_file", "lock_timeout"),
    "kv": ("kv_url", "kv_mount", "kv_path", "kv_auth_method", "kv_token", "kv_role_id", "kv_secret_id",
           "kv_approle_mount", "kv_namespace", "kv_validate_certs", "kv_ca_path", "kv_timeout"),
    "fact": ("token_id", "full_token"),
}
MAX_EXPIRING_WITHIN = 366 * plan.DAY
MAX_UNUSED_FOR_DAYS = 3660


class AuditError(Exception):
    """A check failed: the message says what, why, and what to do."""


# -- the variables ---------------------------------------------------------------------------------------
def _spec_of(options):
    """An argument_specs.yml option tree as ArgumentSpecValidator takes it (documentation keys left out)."""
    spec = {}
    for name, option in options.items():
        spec[name] = dict((key, value) for key, value in option.items() if key in SPEC_KEYS and key != "options")
        if option.get("options"):
            spec[name]["options"] = _spec_of(option["options"])
    return spec


def role_argument_spec():
    """The role's argument spec (meta/argument_specs.yml), sub-options included."""
    with open(ROLE_SPEC, encoding="utf-8") as handle:
        return _spec_of(yaml.safe_load(handle)["argument_specs"]["main"]["options"])


def typed_options(values):
    """(the role's options, each set and typed by its argument spec; the values of its secret ones).

    "false", "no", "0" and "off" are false, as modules read them. Raises AuditError naming the variable.
    """
    return typed_role_options(role_argument_spec(), values,
                              lambda message: AuditError("%s: %s. %s" % (ROLE, message, NOTHING_SENT)))


def _store_defaults():
    return dict((name, option.get("default")) for name, option in
                role_argument_spec()[PREFIX + "stores"]["options"].items())


def store_label(index):
    return "%sstores[%d]" % (PREFIX, index)


def entry_problems(index, entry, defaults):
    """What is wrong with one store entry that its store does not check itself; [] when nothing."""
    label, kind = store_label(index), entry["store"]
    problems = []
    foreign = [name for fields_kind, fields in STORE_FIELDS.items() if fields_kind != kind for name in fields
               if entry.get(name) is not None and entry.get(name) != defaults.get(name)]
    if foreign:
        problems.append("%s is a %s store, and %s belong%s to another kind of store: remove %s, or fix store"
                        % (label, kind, ", ".join(foreign), "s" if len(foreign) == 1 else "",
                           "it" if len(foreign) == 1 else "them"))
    if entry.get("scopes") is not None:
        try:
            entry["scopes"] = normalize_scopes(entry["scopes"])[0]
        except ScopeError as exc:
            problems.append("%s.scopes: %s" % (label, exc))
    if kind == "fact":
        if (entry.get("token_id") is None) == (entry.get("full_token") is None):
            problems.append("%s is a fact store: give exactly one of token_id (the id of the token the play holds) "
                            "and full_token" % label)
        elif entry.get("token_id") is not None and entry["token_id"] <= 0:
            problems.append("%s.token_id=%s is not a Zendesk id: give the positive numeric id"
                            % (label, entry["token_id"]))
        elif entry.get("full_token") is not None and not entry["full_token"].strip():
            problems.append("%s.full_token is empty: give the token the play holds, or token_id" % label)
    return problems


def option_problems(options):
    """Problems of the role's variables that no module checks, each naming the variable; [] when none."""
    problems = []
    if not 0 <= options[PREFIX + "expiring_within"] <= MAX_EXPIRING_WITHIN:
        problems.append("%sexpiring_within=%s is out of range: give 0 to %d seconds (a year)"
                        % (PREFIX, options[PREFIX + "expiring_within"], MAX_EXPIRING_WITHIN))
    if not 1 <= options[PREFIX + "unused_for_days"] <= MAX_UNUSED_FOR_DAYS:
        problems.append("%sunused_for_days=%s is out of range: give 1 to %d days"
                        % (PREFIX, options[PREFIX + "unused_for_days"], MAX_UNUSED_FOR_DAYS))
    if options[PREFIX + "revoke_min_age"] < 0:
        problems.append("%srevoke_min_age=%s is negative: give 0 or more seconds (3600 by default)"
                        % (PREFIX, options[PREFIX + "revoke_min_age"]))
    try:
        options[PREFIX + "broad_scopes"] = normalize_scopes(options[PREFIX + "broad_scopes"])[0]
    except ScopeError as exc:
        problems.append("%sbroad_scopes: %s" % (PREFIX, exc))
    if options[PREFIX + "revoke_unheld"] and not options[PREFIX + "stores"]:
        problems.append("%srevoke_unheld needs %sstores: with no store, no token counts as held, so every token "
                        "would be revoked" % (PREFIX, PREFIX))
    defaults = _store_defaults()
    for index, entry in enumerate(options[PREFIX + "stores"]):
        problems.extend(entry_problems(index, entry, defaults))
    for name in ("report_json", "report_markdown"):
        path = options[PREFIX + name]
        if path is None:
            continue
        if not os.path.isabs(path):
            problems.append("%s%s %s is a relative path: give an absolute one (for example \"{{ playbook_dir }}/%s\")"
                            % (PREFIX, name, path, path))
        elif not os.path.isdir(os.path.dirname(path)):
            problems.append("%s%s %s: its directory %s must exist" % (PREFIX, name, path, os.path.dirname(path)))
        elif os.path.isdir(path):
            problems.append("%s%s %s is a directory: give the path of a file in it" % (PREFIX, name, path))
    return problems


# -- the stores, read only -------------------------------------------------------------------------------
class KvReader(KvStore):
    """A KV version 2 secret, read only: the audit needs read on <mount>/data/<path>, not create and update.

    The capability and mount checks of KvStore are for a store that is written; here a secret that cannot be
    read fails the read, and one that is missing (or a mount that is not KV version 2) reads as empty, which the
    audit reports (and refuses with revoke_unheld).
    """

    def _check_server(self):
        return None

    def write(self, record):
        raise StoreError("%s is only read by the audit" % self.where)


def open_store(index, entry, environ):
    """The store an entry names (a vault_file or kv one), ready for check(), `with` and read()."""
    if entry["store"] == "vault_file":
        # check_mode: the store makes no lock file and writes nothing; it takes an existing lock while it is read.
        store = VaultFileStore(entry["vault_file"], entry["vault_password"], entry["vault_password_file"],
                               entry["lock_timeout"], check_mode=True)
    else:
        store = KvReader(
            entry["kv_url"] or environ.get("VAULT_ADDR") or environ.get("BAO_ADDR"), entry["kv_mount"],
            entry["kv_path"], auth_method=entry["kv_auth_method"],
            token=entry["kv_token"] or environ.get("VAULT_TOKEN") or environ.get("BAO_TOKEN"),
            role_id=entry["kv_role_id"], secret_id=entry["kv_secret_id"], approle_mount=entry["kv_approle_mount"],
            namespace=entry["kv_namespace"], validate_certs=entry["kv_validate_certs"], ca_path=entry["kv_ca_path"],
            timeout=entry["kv_timeout"], check_mode=True)
    store.label = store_label(index)
    return store


def in_audit_terms(message, label):
    """A store's message names the oauth_bootstrap role's variables: name the audit's entry fields instead."""
    return (message.replace("oauth_bootstrap_store=", label + ".store=").replace("oauth_bootstrap_", label + ".")
            .replace("the role", "the audit").replace("The role", "The audit"))


def store_name(entry, store=None):
    if entry.get("name"):
        return entry["name"]
    if entry["store"] == "vault_file":
        return entry["vault_file"]
    if entry["store"] == "kv":
        return "%s/%s at %s" % (store.mount, store.path, store.address)
    if entry.get("token_id") is not None:
        return "fact token %s" % entry["token_id"]
    return "fact token (given by value)"


def read_stores(entries, environ, secrets):
    """[(entry, Holding or None for a fact entry given by value)]; StoreError (in the audit's terms) on failure.

    Every store is checked first, then each is read in turn; a vault file's lock is held only while it is read.
    """
    stores = []
    for index, entry in enumerate(entries):
        if entry["store"] == "fact":
            stores.append((index, entry, None))
            continue
        store = open_store(index, entry, environ)
        try:
            store.check()
        except StoreError as exc:
            raise StoreError(in_audit_terms(str(exc), store.label)) from None
        finally:
            secrets.update(store.secrets)
        stores.append((index, entry, store))
    out = []
    for index, entry, store in stores:
        if store is None:
            holding = None
            if entry.get("token_id") is not None:
                holding = plan.Holding(store_name(entry), "fact", token_id=entry["token_id"], scopes=entry["scopes"])
            out.append((entry, holding))
            continue
        try:
            with store:
                record = store.read()
        except StoreError as exc:
            raise StoreError(in_audit_terms(str(exc), store.label)) from None
        finally:
            secrets.update(store.secrets)
        holding = plan.holding_from_record(store_name(entry, store), entry["store"], record)
        if entry.get("scopes"):
            holding.scopes = list(entry["scopes"])
        out.append((entry, holding))
    return out


# -- the run ---------------------------------------------------------------------------------------------
def prepare(options, connection, defaults_for, environ):
    """Every check that needs no request; returns the base URL. Raises AuditError."""
    problems = option_problems(options)
    try:
        params = dict((name, None) for name in CONNECTION_ARGUMENT_SPEC)
        params.update(defaults_for("zendesk.oauth.zendesk_oauth_token_info"))
        params.update(connection)
        base_url = resolve_connection(params, environ)[0]["base_url"]
    except ConnectionOptionError as exc:
        problems.append("The connection: %s (the %s* connection variables, module_defaults for "
                        "group/zendesk.oauth.zendesk, or ZENDESK_* environment variables)" % (exc, PREFIX))
        base_url = None
    if problems:
        raise AuditError("%s. %s" % ("; ".join(problem.rstrip(".") for problem in problems), NOTHING_SENT))
    return base_url


class Audit(object):
    """One run of the role: Audit(options, steps, base_url, check_mode, diff).run(read) -> result dict."""

    def __init__(self, options, steps, base_url, check_mode, diff):
        self.o = options
        self.steps = steps
        self.base_url = base_url
        self.check_mode = check_mode
        self.diff = diff
        self.warnings = []

    def option(self, name):
        return self.o[PREFIX + name]

    def run(self, read):
        """read: [(entry, Holding, or None for a fact entry given by value)] from read_stores, in entry order."""
        if self.option("revoke_unheld"):
            empty = [holding.store for unused, holding in read if holding is not None and holding.empty]
            if empty:
                raise AuditError(
                    "%s hold%s no record (no file, or no secret at that path): the token %s should hold would look "
                    "unheld and be revoked, so %srevoke_unheld refuses to run. Fix the entr%s, or remove %s from %s"
                    "stores. %s" % (", ".join(empty), "s" if len(empty) == 1 else "", "it" if len(empty) == 1
                                    else "they", PREFIX, "y" if len(empty) == 1 else "ies",
                                    "it" if len(empty) == 1 else "them", PREFIX, NOTHING_SENT))
        holdings = [holding if holding is not None else self.verify_held_value(entry) for entry, holding in read]
        clients = self.steps.call("List the account's OAuth clients", "zendesk_oauth_client_info", {},
                                  check_mode=False)["clients"]
        tokens = self.steps.call("List every token of the account", "zendesk_oauth_token_info", {
            "all_users": True, "include_expired": self.option("include_expired")}, check_mode=False)["tokens"]
        settings = plan.Settings(
            self.steps.server_time(), expiring_within=self.option("expiring_within"),
            unused_for_days=self.option("unused_for_days"), broad_scopes=self.option("broad_scopes"),
            revoke_min_age=self.option("revoke_min_age"), revoke_other_clients=self.option("revoke_other_clients"),
            include_expired=self.option("include_expired"))
        report = plan.audit(tokens, clients, holdings, self.base_url, settings)
        targets = report["findings"]["revocable"] if self.option("revoke_unheld") else []
        revoked, failed = self.revoke(targets)
        plan.mark_revocations(report, revoked=revoked, would_revoke=targets if self.check_mode else (), failed=failed)
        for holding in holdings:
            if holding.empty:
                self.warnings.append("%s holds no record: check its path; no token counts as held by it."
                                     % holding.store)
        gone = set(targets if self.check_mode else revoked)
        return self.result(report, [token for token in tokens if token["id"] in gone], failed)

    def verify_held_value(self, entry):
        """The Holding of a fact entry given by value: Zendesk says which token it is (one request)."""
        info = self.steps.call("Verify a token the play holds", "zendesk_oauth_token_info",
                               {"full_token": entry["full_token"]}, check_mode=False)
        token = info.get("token")
        return plan.Holding(store_name(entry), "fact", url=self.base_url,
                            client_id=token.get("client_id") if token else None,
                            token_id=token.get("id") if token else None, scopes=entry["scopes"],
                            works=token is not None)

    def revoke(self, targets):
        """(revoked ids, ids whose revocation failed); nothing is sent in check mode."""
        revoked, failed = [], []
        if self.check_mode:
            return revoked, failed
        for token_id in targets:
            try:
                result = self.steps.call("Revoke token %s, which no store holds" % token_id, "zendesk_oauth_token",
                                         {"state": "absent", "token_id": token_id})
            except StepFailed as exc:
                failed.append(token_id)
                self.warnings.append(str(exc))
                continue
            if token_id in (result.get("revoked") or []):
                revoked.append(token_id)
        return revoked, failed

    def result(self, report, gone, failed):
        files = write_reports(report, self.option("report_json"), self.option("report_markdown"),
                              self.check_mode, self.option("revoke_unheld"))
        summary = render.summary_lines(report, self.check_mode, self.option("revoke_unheld"), files)
        result = {
            "changed": bool(report["revoked"] or report["would_revoke"]),
            "summary": summary,
            "counts": report["counts"],
            "revoked": report["revoked"],
            "would_revoke": report["would_revoke"],
            "revoke_failed": report["revoke_failed"],
            "report_files": files,
            "ansible_facts": {"oauth_token_audit_report": report},
        }
        if self.diff and gone:
            result["diff"] = {
                "before_header": "tokens of %s that no store holds" % self.base_url,
                "after_header": "after they are revoked",
                "before": {"tokens": [token_view(token) for token in gone]},
                "after": {"tokens": []},
            }
        warnings = self.steps.warnings + self.warnings
        if warnings:
            result["warnings"] = warnings
        if failed:
            result.update(failed=True, msg="Revoking %d of the %d tokens no store holds failed (ids %s); the report "
                                           "names them. Run the role again to retry."
                                           % (len(failed), len(failed) + len(report["revoked"]),
                                              ", ".join(str(token_id) for token_id in failed)))
        return result


def write_reports(report, json_path, markdown_path, check_mode, revoke_unheld):
    """Write the report files that are asked for (atomically); the paths written."""
    written = []
    if json_path:
        _write_atomically(json_path, json.dumps(report, indent=2, sort_keys=False) + "\n")
        written.append(json_path)
    if markdown_path:
        _write_atomically(markdown_path, render.markdown(report, check_mode, revoke_unheld))
        written.append(markdown_path)
    return written


def _write_atomically(path, text):
    directory = os.path.dirname(path)
    fd, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise AuditError("Could not write the report %s (%s)." % (path, exc.strerror)) from None


def execute(values, environ, defaults_for, check_mode=False, diff=False):
    """One run of the role from its variables (`values`: those set); returns the task result.

    environ: the environment a module process would get (ZENDESK_*, VAULT_ADDR...); defaults_for(module): the
    play's module_defaults for a module. A failure is a result with `failed` and one message, secrets masked.
    """
    from ansible.module_utils.common.parameters import remove_values  # pylint: disable=import-outside-toplevel

    try:
        options, secrets = typed_options(values)
    except AuditError as exc:
        return {"failed": True, "changed": False, "msg": str(exc)}
    connection = dict((name, options[PREFIX + name]) for name in CONNECTION_VARIABLES
                      if options[PREFIX + name] not in (None, ""))
    steps = None
    try:
        base_url = prepare(options, connection, defaults_for, environ)
        read = read_stores(options[PREFIX + "stores"], environ, secrets)
        steps = Steps(connection, defaults_for, environ, check_mode, diff)
        result = Audit(options, steps, base_url, check_mode, diff).run(read)
    except (AuditError, StoreError, StepFailed) as exc:
        result = {"failed": True, "changed": bool(steps and steps.changed), "msg": str(exc)}
        if steps and steps.warnings:
            result["warnings"] = steps.warnings
    for key in ("msg", "summary", "warnings"):
        if key in result:
            result[key] = remove_values(result[key], secrets)
    return result
