# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The work of the zendesk.oauth.oauth_token_audit role, in the controller's process (its documentation:
plugins/modules/zendesk_oauth_token_audit.py).

The role's variables (oauth_token_audit_*) are typed by the role's own argument spec (meta/argument_specs.yml:
"false", "no", "0" and "off" are false, as modules read them); plugins/plugin_utils/_audit_engine.py does the
rest. Its result holds no secret (token metadata, never a token's value), so it is shown like any task's.
"""

from __future__ import annotations

from ansible_collections.zendesk.oauth.plugins.plugin_utils import _audit_engine
from ansible_collections.zendesk.oauth.plugins.plugin_utils._role_action import RoleAction


class ActionModule(RoleAction):

    ROLE = "zendesk.oauth.oauth_token_audit"
    PREFIX = "oauth_token_audit_"
    ENGINE = _audit_engine
