# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a zendesk.oauth module's work inside the controller's own process.

INTERNAL: this file is not a public API of the collection and may change at any time.

A module task costs a Python process (AnsiballZ payload, interpreter start, importing requests)
for work that is one or two HTTPS calls. When the task runs on the controller anyway, the action
plugin (plugins/plugin_utils/_module_action.py) and the role's engine run the module's own `work(zm)` here,
on the same ZendeskModule facade, with ControllerModule standing in for AnsibleModule: the same
argument spec validation (ArgumentSpecValidator) and messages, check mode, diff mode, warnings,
and the masking of every no_log value in the result, its warnings and its errors.
"""

from __future__ import annotations

import importlib
import json
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.zendesk.oauth.plugins.module_utils._module import ZendeskModule

COLLECTION = "ansible_collections.zendesk.oauth"

# The modules that have a work(zm) function and MODULE_OPTIONS (every module of the collection).
API_MODULES = frozenset((
    "zendesk_oauth_client",
    "zendesk_oauth_client_info",
    "zendesk_oauth_grant",
    "zendesk_oauth_token",
    "zendesk_oauth_token_info",
))


class ModuleExit(Exception):
    """exit_json or fail_json was called: `result` is the task result, formatted as AnsibleModule would."""

    def __init__(self, result):
        super(ModuleExit, self).__init__(result.get("msg", ""))
        self.result = result


class ControllerModule(object):
    """The part of AnsibleModule that ZendeskModule and the modules use, in the controller's process.

    Built with AnsibleModule's keyword arguments (ZendeskModule passes the same ones to either),
    plus what a module process would learn from its arguments file: the task's arguments, the
    name the task called the module by, check mode, diff mode, and whether AnsibleModule would add
    `invocation` to the result (every ansible-core before 2.21; from 2.21 the INJECT_INVOCATION
    setting).
    """

    def __init__(self, argument_spec, supports_check_mode=False, mutually_exclusive=None, required_together=None,
                 required_one_of=None, required_if=None, required_by=None, *, module_args, name, check_mode=False,
                 diff=False, inject_invocation=True):
        self._name = name
        self.check_mode = check_mode
        self._diff = diff
        self._inject_invocation = inject_invocation
        self._warnings = []
        self.no_log_values = set()
        validator = ArgumentSpecValidator(argument_spec, mutually_exclusive, required_together, required_one_of,
                                          required_if, required_by)
        validation = validator.validate(dict(module_args))
        self.params = validation.validated_parameters
        self.no_log_values.update(validation._no_log_values)  # pylint: disable=protected-access
        for both in validation._warnings:  # pylint: disable=protected-access
            self.warn("Both option {option} and its alias {alias} are set.".format(**both))
        # As AnsibleModule: the first error decides how the message starts, even in check mode.
        try:
            first_error = validation.errors[0]
        except IndexError:
            first_error = None
        if first_error is not None:
            msg = validation.errors.msg
            if isinstance(first_error, UnsupportedError):
                msg = "Unsupported parameters for ({name}) module: {msg}".format(name=name, msg=msg)
            self.fail_json(msg=msg)
        if check_mode and not supports_check_mode:
            self.exit_json(skipped=True, msg="remote module (%s) does not support check mode" % name)

    def warn(self, warning):
        self._warnings.append(warning)

    def exit_json(self, **kwargs):
        raise ModuleExit(self._formatted(kwargs))

    def fail_json(self, msg, **kwargs):
        kwargs.update(failed=True, msg=str(msg))
        raise ModuleExit(self._formatted(kwargs))

    def _formatted(self, kwargs):
        """The result as AnsibleModule would print it: invocation, warnings, no_log values removed."""
        if self._inject_invocation:
            kwargs.setdefault("invocation", {"module_args": self.params})
        else:
            kwargs.pop("invocation", None)
        if self._warnings:
            kwargs["warnings"] = list(self._warnings)
        preserved = dict((key, value) for key, value in kwargs.items() if value is None or isinstance(value, bool))
        kwargs = remove_values(kwargs, self.no_log_values)
        kwargs.update(preserved)
        # Through JSON, as a module's answer travels: the same types (lists, str keys) on both paths.
        return json.loads(json.dumps(kwargs, default=str))


def task_environment(action):
    """The environment a module process of the action's task would get: the controller's, with the task's
    `environment:` applied (where AWX's credential injection and the play's settings meet)."""
    environ = dict(os.environ)
    task_environment_only = {}
    action._compute_environment_string(task_environment_only)  # pylint: disable=protected-access
    environ.update((to_text(key), to_text(value)) for key, value in task_environment_only.items())
    return environ


def load_module(name):
    """The module file of the collection, imported as Python (its work and MODULE_OPTIONS)."""
    if name not in API_MODULES:
        raise ValueError("%s is not an API module of zendesk.oauth" % name)
    return importlib.import_module("%s.plugins.modules.%s" % (COLLECTION, name))


# The module files are imported with this file, not on a task's first use. ansible-core's strategy imports
# an action plugin's class in the controller's main process (to read BYPASS_HOST_LOOP) before it forks the
# task's worker, so every worker then finds the modules already imported instead of importing its own copy.
for _name in API_MODULES:
    load_module(_name)
del _name


def run_module(name, module_args, environ, check_mode=False, diff=False, label=None, inject_invocation=True,
               client_cache=None, listings=None):
    """Run module `name` with `module_args` in this process; return its task result (a dict).

    environ stands in for the module process's environment (the ZENDESK_* fallbacks): the
    controller's, with the task's `environment:` applied. label is the name the task called the
    module by (it appears in validation messages as it would from a module process). client_cache,
    listings: see ZendeskModule.
    """
    module = load_module(name)

    def host(argument_spec, **kwargs):
        return ControllerModule(argument_spec, module_args=module_args, name=label or name, check_mode=check_mode,
                                diff=diff, inject_invocation=inject_invocation, **kwargs)

    try:
        ZendeskModule(host=host, environ=environ, client_cache=client_cache, listings=listings,
                      **module.MODULE_OPTIONS).run(module.work)
    except ModuleExit as done:
        return done.result
    raise AssertionError("module %s returned without exit_json or fail_json" % name)  # pragma: no cover
