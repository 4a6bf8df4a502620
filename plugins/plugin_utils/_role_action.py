# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugin of a role whose work runs in the controller's process (a role engine).

INTERNAL: this file is not a public API of the collection and may change at any time.

The task takes no arguments: the engine gets the role's variables (those its argument spec names, templated,
`omit` left out), the environment a module process would get, and the play's module_defaults. The engine
module has role_argument_spec() and execute(values, environ, defaults_for, check_mode, diff).
"""

from __future__ import annotations

import sys

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.zendesk.oauth.plugins.module_utils._api import HAS_REQUESTS
from ansible_collections.zendesk.oauth.plugins.plugin_utils._controller_module import task_environment


class RoleAction(ActionBase):
    """Subclasses set ROLE (the role's FQCN), PREFIX (its variables' prefix) and ENGINE (the engine module)."""

    ROLE = None
    PREFIX = None
    ENGINE = None

    _supports_check_mode = True
    _supports_async = False
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(RoleAction, self).run(tmp, task_vars)
        del tmp
        if self._task.args:
            raise AnsibleActionFail("%s takes no arguments: it reads the %s* variables of the %s role"
                                    % (self._task.action, self.PREFIX, self.ROLE))
        if not HAS_REQUESTS:
            raise AnsibleActionFail("the %s role needs the Python library requests on the controller (%s)"
                                    % (self.ROLE, sys.executable))
        result.update(self.ENGINE.execute(self._role_variables(task_vars), task_environment(self),
                                          self._module_defaults, check_mode=bool(self._task.check_mode),
                                          diff=bool(self._task.diff)))
        return result

    def _role_variables(self, task_vars):
        """The role's variables that are set, templated (the argument spec types them)."""
        omit = task_vars.get("omit")
        values = {}
        for name in self.ENGINE.role_argument_spec():
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
