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

from collections.abc import Mapping

from ansible_collections.zendesk.oauth.plugins.plugin_utils import _bootstrap_engine
from ansible_collections.zendesk.oauth.plugins.plugin_utils._role_action import RoleAction

KEYED_FACTS = ("oauth_bootstrap_clients", "oauth_bootstrap_tokens")


class ActionModule(RoleAction):

    ROLE = "zendesk.oauth.oauth_bootstrap"
    PREFIX = "oauth_bootstrap_"
    ENGINE = _bootstrap_engine

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
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
