# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The work of the zendesk.oauth.oauth_bootstrap role, in the controller's process (its documentation:
plugins/modules/zendesk_oauth_bootstrap.py).

The role's variables (oauth_bootstrap_*) are read from the task's variables and typed by the role's
own argument spec (meta/argument_specs.yml: "false", "no", "0" and "off" are false, as modules read
them); plugins/plugin_utils/_bootstrap_engine.py does the rest.
"""

from __future__ import annotations

import json
import os
import sys

import yaml

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.zendesk.oauth.plugins.module_utils._api import HAS_REQUESTS
from ansible_collections.zendesk.oauth.plugins.module_utils._bootstrap import BootstrapError
from ansible_collections.zendesk.oauth.plugins.plugin_utils import _bootstrap_engine as engine
from ansible_collections.zendesk.oauth.plugins.plugin_utils._stores import StoreError, build_store

ROLE_SPEC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                         "roles", "oauth_bootstrap", "meta", "argument_specs.yml")
# The keys of a role option that mean something to ArgumentSpecValidator (the rest is documentation).
SPEC_KEYS = ("type", "required", "default", "choices", "elements", "no_log", "aliases", "options")
# A variable set to null takes its default, except where the argument spec gives null a meaning of its own.
NULL_IS_A_VALUE = ("oauth_bootstrap_client_kind",)


def role_argument_spec():
    with open(ROLE_SPEC, encoding="utf-8") as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    return dict((name, dict((key, value) for key, value in option.items() if key in SPEC_KEYS))
                for name, option in options.items())


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = False
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        if self._task.args:
            raise AnsibleActionFail("zendesk.oauth.zendesk_oauth_bootstrap takes no arguments: it reads the "
                                    "oauth_bootstrap_* variables of the zendesk.oauth.oauth_bootstrap role")
        if not HAS_REQUESTS:
            raise AnsibleActionFail("the zendesk.oauth.oauth_bootstrap role needs the Python library requests on the "
                                    "controller (%s)" % sys.executable)
        spec = role_argument_spec()
        options, secrets = self._options(spec, task_vars)
        environ = dict(os.environ)
        task_environment = {}
        self._compute_environment_string(task_environment)
        environ.update((to_text(key), to_text(value)) for key, value in task_environment.items())
        connection = dict((name, options["oauth_bootstrap_" + name]) for name in engine.CONNECTION_VARIABLES
                          if options["oauth_bootstrap_" + name] not in (None, ""))
        check_mode = bool(self._task.check_mode)
        store = build_store(options, environ, check_mode=check_mode)
        try:
            outcome = engine.run(options, connection, self._module_defaults, environ, store, check_mode,
                                 bool(self._task.diff))
        except (BootstrapError, StoreError, engine.StepFailed) as exc:
            result.update(failed=True, msg=remove_values(str(exc), secrets | set(store.secrets)))
            return result
        masked = secrets | set(store.secrets)
        for key in ("summary", "warnings"):
            if key in outcome:
                outcome[key] = remove_values(outcome[key], masked)
        result.update(outcome)
        # The facts hold the token and the client secret: the result is shown to no one.
        result["_ansible_no_log"] = True
        return result

    def _options(self, spec, task_vars):
        """The role's variables, templated and typed by its argument spec; the values of its secret ones."""
        omit = task_vars.get("omit")
        values = {}
        for name in spec:
            if name in task_vars:
                value = self._templar.template(task_vars[name])
                if omit is not None and value == omit:
                    continue
                if value is not None or name in NULL_IS_A_VALUE:
                    values[name] = value
        validated = ArgumentSpecValidator(spec).validate(values)
        try:
            validated.errors[0]
        except IndexError:
            pass
        else:
            raise AnsibleActionFail("zendesk.oauth.oauth_bootstrap: %s. Nothing was sent to Zendesk."
                                    % validated.errors.msg)
        secrets = set(validated._no_log_values)  # pylint: disable=protected-access
        # Plain Python values (templating may return tagged subclasses that the stores cannot serialize).
        return json.loads(json.dumps(validated.validated_parameters)), secrets

    def _module_defaults(self, module):
        """The play's module_defaults for `module` (its own and those of its action groups)."""
        try:
            from ansible.executor.module_common import _apply_action_arg_defaults  # pylint: disable=import-outside-toplevel
        except ImportError:  # ansible-core before 2.19
            from ansible.executor.module_common import get_action_args_with_defaults  # pylint: disable=import-outside-toplevel
            return get_action_args_with_defaults(module, {}, self._task.module_defaults, self._templar,
                                                 action_groups=self._task._parent._play._action_groups)
        return _apply_action_arg_defaults(module, self._task, {}, self._templar)
