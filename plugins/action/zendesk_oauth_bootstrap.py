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

import sys
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.zendesk.oauth.plugins.module_utils._api import HAS_REQUESTS
from ansible_collections.zendesk.oauth.plugins.plugin_utils import _bootstrap_engine as engine
from ansible_collections.zendesk.oauth.plugins.plugin_utils._controller_module import task_environment

KEYED_FACTS = ("oauth_bootstrap_clients", "oauth_bootstrap_tokens")


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
        result.update(engine.execute(self._role_variables(task_vars), task_environment(self), self._module_defaults,
                                     check_mode=bool(self._task.check_mode), diff=bool(self._task.diff)))
        if not result.get("failed"):
            # The facts hold the token and the client secret: the result is shown to no one.
            result["_ansible_no_log"] = True
            self._keep_earlier_integrations(result["facts"], task_vars)
        return result

    @staticmethod
    def _keep_earlier_integrations(facts, task_vars):
        """The facts by identifier also keep the integrations of the role's earlier runs on this host (as set_stats
        aggregates them); an integration of this run replaces its own entry."""
        for name in KEYED_FACTS:
            earlier = task_vars.get(name)
            if isinstance(earlier, Mapping):
                merged = dict(earlier)
                merged.update(facts[name])
                facts[name] = merged

    def _role_variables(self, task_vars):
        """The role's variables that are set, templated (the argument spec types them)."""
        omit = task_vars.get("omit")
        values = {}
        for name in engine.role_argument_spec():
            if name in task_vars:
                value = self._templar.template(task_vars[name])
                if not (omit is not None and value == omit):
                    values[name] = value
        return values

    def _module_defaults(self, module):
        """The play's module_defaults for `module` (its own and those of its action groups)."""
        try:
            from ansible.executor.module_common import _apply_action_arg_defaults  # pylint: disable=import-outside-toplevel
        except ImportError:  # ansible-core before 2.19
            from ansible.executor.module_common import get_action_args_with_defaults  # pylint: disable=import-outside-toplevel
            return get_action_args_with_defaults(module, {}, self._task.module_defaults, self._templar,
                                                 action_groups=self._task._parent._play._action_groups)
        return _apply_action_arg_defaults(module, self._task, {}, self._templar)
