# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugin of every zendesk.oauth API module (plugins/action/<module>.py is this class).

INTERNAL: this file is not a public API of the collection and may change at any time.

When the task runs on the controller (local connection, for example `hosts: localhost` or
`delegate_to: localhost`), not with become or async, and the controller's Python has requests,
the module's work runs in this process (plugins/plugin_utils/_controller_module.py): no Python
process per task. Otherwise the module runs as a module, as it always did.

The variable zendesk_oauth_execution (else the controller's environment variable
ZENDESK_OAUTH_EXECUTION) forces a path: `controller` or `module`; `auto` (the default) chooses
as above.
"""

from __future__ import annotations

import os
import sys

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.zendesk.oauth.plugins.module_utils._api import HAS_REQUESTS
from ansible_collections.zendesk.oauth.plugins.plugin_utils._controller_module import run_module, task_environment

EXECUTION_VARIABLE = "zendesk_oauth_execution"
EXECUTION_ENVIRONMENT = "ZENDESK_OAUTH_EXECUTION"
EXECUTION_CHOICES = ("auto", "controller", "module")


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        execution = self._execution(task_vars)
        if execution == "module" or (execution == "auto" and not self._on_controller()):
            result.update(self._execute_module(task_vars=task_vars, wrap_async=self._task.async_val))
            if not self._task.async_val:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        if self._task.async_val:
            raise AnsibleActionFail("async needs the module to run as a process: set %s to module or auto for this task"
                                    % EXECUTION_VARIABLE)
        if not HAS_REQUESTS:
            raise AnsibleActionFail("%s=controller needs the Python library requests on the controller (%s): install "
                                    "it there, or set %s to auto" % (EXECUTION_VARIABLE, sys.executable,
                                                                     EXECUTION_VARIABLE))
        environ = task_environment(self)
        result.update(run_module(
            self._task.action.rpartition(".")[2], dict(self._task.args), environ,
            check_mode=bool(self._task.check_mode), diff=bool(self._task.diff), label=self._task.action,
            inject_invocation=_inject_invocation(task_vars)))
        return result

    def _execution(self, task_vars):
        """The path asked for: the task's variable, else the controller's environment, else auto."""
        value = task_vars.get(EXECUTION_VARIABLE)
        source = EXECUTION_VARIABLE
        if value is not None:
            value = self._templar.template(value)
        if value is None or value == "":
            value, source = os.environ.get(EXECUTION_ENVIRONMENT) or "auto", EXECUTION_ENVIRONMENT
        value = to_text(value).strip().lower()
        if value not in EXECUTION_CHOICES:
            raise AnsibleActionFail("%s=%r is not one of %s" % (source, value, ", ".join(EXECUTION_CHOICES)))
        return value

    def _on_controller(self):
        """Whether a module process would run on the controller, as the controller's user, in the foreground."""
        return (self._connection.transport == "local" and not self._play_context.become
                and not self._task.async_val and HAS_REQUESTS)


def _inject_invocation(task_vars):
    """Whether AnsibleModule adds `invocation` to its result: always before ansible-core 2.21, then by setting."""
    if "INJECT_INVOCATION" not in C.config.get_configuration_definitions():
        return True
    return bool(C.config.get_config_value("INJECT_INVOCATION", variables=task_vars))
