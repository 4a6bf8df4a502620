# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs the zendesk_oauth_client_info module's work in the controller's process when its task runs there, else the module.

Every API module has this same action plugin: plugins/plugin_utils/_module_action.py.
"""

from __future__ import annotations

from ansible_collections.zendesk.oauth.plugins.plugin_utils._module_action import ActionModule

__all__ = ["ActionModule"]
