# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module task gives the same result whether its work runs in the controller's process or as a module.

plugins/plugin_utils/_module_action.py runs an API module's work in the controller's own process when the
task runs on the controller (plugins/plugin_utils/_controller_module.py), else as a module process.
One playbook runs each module's cases (success, check mode, diff mode, Zendesk's failures, bad
input, ZENDESK_* variables through the task's `environment:`, module_defaults of the action group,
no_log masking) twice against a freshly reset simulator, once per path (forced with the variable
zendesk_oauth_execution). The registered results are compared key by key (after one-time secrets
and timestamps, which differ by nature, are replaced by placeholders), and so are the requests the
simulator received. -vvv output shows which path ran (an AnsiballZ file only for a module process).
"""

from __future__ import annotations

import json
import re

import pytest

from playbook_runner import ADMIN_API_TOKEN, ADMIN_EMAIL, admin_connection, play, run_playbook

CLIENT = "zendesk.oauth.zendesk_oauth_client"
CLIENT_INFO = "zendesk.oauth.zendesk_oauth_client_info"
GRANT = "zendesk.oauth.zendesk_oauth_grant"
TOKEN = "zendesk.oauth.zendesk_oauth_token"
TOKEN_INFO = "zendesk.oauth.zendesk_oauth_token_info"
PATHS = ("module", "controller")
SECRET_KEYS = ("secret", "full_token", "refresh_token", "access_token", "client_secret")
VOLATILE = re.compile(r"_at$")


def cases():
    """(name, task) in order; each registers its result under its name. Later cases use earlier results."""
    conn = "{{ conn }}"
    return [
        ("client_create_check", {CLIENT: {"identifier": "parity", "name": "Parity", "kind": "confidential"},
                                 "check_mode": True, "diff": True}),
        ("client_create", {CLIENT: {"identifier": "parity", "name": "Parity", "kind": "confidential",
                                    "redirect_uri": ["https://app.example.com/cb"]}, "diff": True, "no_log": True}),
        ("client_same", {CLIENT: {"identifier": "parity", "name": "Parity"}}),
        ("client_update_check", {CLIENT: {"identifier": "parity", "description": "new"}, "check_mode": True,
                                 "diff": True}),
        ("client_update", {CLIENT: {"identifier": "parity", "description": "new"}, "diff": True}),
        ("client_bad_input", {CLIENT: {"identifier": " ", "name": "x"}}),
        ("client_unsupported", {CLIENT: {"identifier": "parity", "colour": "blue"}}),
        ("client_wrong_type", {CLIENT: {"identifier": "parity", "regenerate_secret": "maybe"}}),
        ("client_bad_choice", {CLIENT: {"identifier": "parity", "kind": "secretive"}}),
        ("client_string_false", {CLIENT: {"identifier": "parity", "regenerate_secret": "false"}}),
        ("info_all", {CLIENT_INFO: {}}),
        ("info_one", {CLIENT_INFO: {"identifier": "parity"}}),
        ("info_missing", {CLIENT_INFO: {"id": 1}}),
        ("token_mint_check", {TOKEN: {"client_identifier": "parity", "scopes": ["read"]}, "check_mode": True,
                              "diff": True}),
        ("token_mint", {TOKEN: {"client_identifier": "parity", "scopes": ["read", "tickets:read"]}, "diff": True,
                        "no_log": True}),
        ("token_keep", {TOKEN: {"client_identifier": "parity", "scopes": ["tickets:read", "read"],
                                "full_token": "{{ token_mint.token.full_token }}"}}),
        ("token_exists", {TOKEN: {"client_identifier": "parity", "scopes": ["read", "tickets:read"]}}),
        ("token_bad_input", {TOKEN: {"client_identifier": "parity", "scopes": ["read"], "token_id": 5}}),
        ("token_exclusive", {TOKEN: {"client_identifier": "parity", "client_id": 5, "scopes": ["read"]}}),
        ("token_no_client", {TOKEN: {"client_identifier": "nobody", "scopes": ["read"]}}),
        ("token_info_verify", {TOKEN_INFO: {"full_token": "{{ token_mint.token.full_token }}",
                                            "client_identifier": "parity"}}),
        ("token_info_list", {TOKEN_INFO: {"client_identifier": "parity"}}),
        ("grant_check", {GRANT: {"grant_type": "client_credentials", "client_identifier": "parity",
                                 "client_secret": "{{ client_create.secret }}", "scopes": ["read"]},
                         "check_mode": True}),
        ("grant_wrong_secret", {GRANT: {"grant_type": "client_credentials", "client_identifier": "parity",
                                        "client_secret": "not-the-secret", "scopes": ["read"]}}),
        ("grant_missing", {GRANT: {"grant_type": "refresh_token", "client_identifier": "parity"}}),
        ("grant_cc", {GRANT: {"grant_type": "client_credentials", "client_identifier": "parity",
                              "client_secret": "{{ client_create.secret }}", "scopes": ["read"]}, "no_log": True}),
        ("wrong_credentials", {CLIENT_INFO: {"api_token": "wrong-token"}}),
        # A secret option's value echoed in a message is masked (AnsibleModule's no_log values).
        ("masked_in_message", {CLIENT_INFO: {"url": "{{ conn.url }}/mask-me-secret-xyz", "oauth_token":
                                             "mask-me-secret-xyz", "email": None, "api_token": None}}),
        ("token_revoke_check", {TOKEN: {"state": "absent", "token_id": "{{ token_mint.token.id }}"}, "check_mode": True,
                                "diff": True}),
        ("token_revoke", {TOKEN: {"state": "absent", "token_id": "{{ token_mint.token.id }}"}, "diff": True}),
        ("token_revoke_again", {TOKEN: {"state": "absent", "token_id": "{{ token_mint.token.id }}"}}),
        ("client_delete", {CLIENT: {"identifier": "parity", "state": "absent"}, "diff": True}),
        ("client_delete_again", {CLIENT: {"identifier": "parity", "state": "absent"}}),
    ], conn


# Cases of a play without module_defaults: the connection comes from ZENDESK_* in the task's environment.
ENVIRONMENT_CASES = [
    ("env_connection", {CLIENT_INFO: {"identifier": "parity"},
                        "environment": {"ZENDESK_URL": "{{ conn.url }}", "ZENDESK_EMAIL": ADMIN_EMAIL,
                                        "ZENDESK_API_TOKEN": ADMIN_API_TOKEN}}),
    ("env_bad", {CLIENT_INFO: {}, "environment": {"ZENDESK_URL": "{{ conn.url }}", "ZENDESK_TIMEOUT": "soon"}}),
    ("env_missing", {CLIENT_INFO: {}}),
]


def case_names():
    return [name for name, unused in cases()[0] + ENVIRONMENT_CASES]


def registered(case_list):
    return [dict(task, name=name, register=name, ignore_errors=True) for name, task in case_list]


def parity_plays(sim_url, execution):
    variables = {"zendesk_oauth_execution": execution, "conn": admin_connection(sim_url)}
    collect = {"name": "results", "ansible.builtin.debug": {"msg": "{{ %s }}" % (
        "{" + ", ".join("%r: %s | default(none)" % (name, name) for name in case_names()) + "}")}}
    # ENVIRONMENT_CASES first: the other cases delete what they create.
    return [play(registered(ENVIRONMENT_CASES), vars=variables, name="environment"),
            play(registered(cases()[0]) + [collect], connection=admin_connection(sim_url), vars=variables)]


def normalized(value, key=None):
    """One-time secrets and timestamps replaced by what they are, so both runs compare."""
    if isinstance(value, dict):
        return {k: normalized(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v, key) for v in value]
    if key in SECRET_KEYS and isinstance(value, str) and value:
        return "<%s>" % key
    if key and VOLATILE.search(key) and isinstance(value, str):
        return "<time>"
    if isinstance(value, str):
        value = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", value)
        # Ansible lists its valid booleans from a set: the order changes with each process's hash seed.
        return re.sub(r"(Valid booleans include: )(.*)$", lambda m: m.group(1) + ", ".join(sorted(m.group(2).split(", "))),
                      value)
    return value


def run_path(sim, tmp_path, execution):
    sim.control.reset()
    home = tmp_path / execution
    home.mkdir()
    result = run_playbook(parity_plays(sim.url, execution), str(home), verbosity=3)
    assert result.rc == 0, result
    results = result.result("results")["msg"]
    requests_seen = [(r["method"], r["path"], r["query"], r["status"]) for r in sim.control.requests()]
    return result, results, requests_seen


def test_module_results_are_the_same_on_both_paths(sim, tmp_path):
    runs = {execution: run_path(sim, tmp_path, execution) for execution in PATHS}
    (module_run, module_results, module_requests) = runs["module"]
    (controller_run, controller_results, controller_requests) = runs["controller"]

    # Each path really ran as asked: a module process leaves an AnsiballZ trace at -vvv, the controller path none.
    assert "AnsiballZ_zendesk_oauth" in module_run.output
    assert "AnsiballZ_zendesk_oauth" not in controller_run.output

    assert sorted(module_results) == sorted(case_names())
    for name in case_names():
        expected, actual = normalized(module_results[name]), normalized(controller_results[name])
        assert sorted(actual) == sorted(expected), "%s: result keys differ" % name
        for key in expected:
            assert actual[key] == expected[key], "%s: %r differs:\nmodule:     %s\ncontroller: %s" % (
                name, key, json.dumps(expected[key], sort_keys=True), json.dumps(actual[key], sort_keys=True))
    assert controller_requests == module_requests

    # The cases did what they are for (on both paths, since they are equal).
    got = controller_results
    assert got["client_create"]["changed"] and got["client_create_check"]["changed"]
    assert not got["client_same"]["changed"]
    assert got["client_bad_input"]["failed"] and "identifier" in got["client_bad_input"]["msg"]
    assert got["client_unsupported"]["msg"].startswith("Unsupported parameters for (%s) module: colour" % CLIENT)
    assert got["client_wrong_type"]["failed"] and "regenerate_secret" in got["client_wrong_type"]["msg"]
    assert got["client_bad_choice"]["failed"] and "kind" in got["client_bad_choice"]["msg"]
    assert got["client_string_false"]["changed"] is False
    assert got["token_keep"]["changed"] is False and got["token_keep"]["valid"] is True
    assert got["token_exists"]["warnings"]
    assert got["env_connection"]["clients"] == []  # it ran first, before parity existed, and authenticated
    assert got["env_connection"]["failed"] is False
    assert got["env_bad"]["failed"] and "ZENDESK_TIMEOUT" in got["env_bad"]["msg"]
    assert got["env_missing"]["failed"] and "ZENDESK_URL" in got["env_missing"]["msg"]
    assert got["wrong_credentials"]["failed"] and got["wrong_credentials"]["zendesk_error"]["status"] == 401
    assert "mask-me-secret-xyz" not in json.dumps(got["masked_in_message"])
    assert got["token_revoke"]["changed"] and not got["token_revoke_again"]["changed"]
    assert got["client_delete"]["changed"] and not got["client_delete_again"]["changed"]
    assert "mask-me-secret-xyz" not in controller_run.output and "mask-me-secret-xyz" not in module_run.output


@pytest.mark.parametrize("value, message", [
    ("sideways", "zendesk_oauth_execution='sideways' is not one of auto, controller, module"),
])
def test_a_wrong_execution_switch_fails_clearly(sim, tmp_path, value, message):
    result = run_playbook([play([{"name": "list", CLIENT_INFO: {}}], connection=admin_connection(sim.url),
                                vars={"zendesk_oauth_execution": value})], str(tmp_path))
    assert result.rc != 0
    assert message in result.output
    assert sim.control.requests() == []


def test_auto_runs_in_the_controller_on_localhost_and_as_a_module_elsewhere(sim, tmp_path):
    """auto: the local connection runs in-process; a task that would run with become goes to a module process."""
    tasks = [{"name": "local", CLIENT_INFO: {}},
             {"name": "async", CLIENT_INFO: {}, "async": 30, "poll": 1}]
    # An absolute async dir: with HOME other than the user's passwd entry (CI gives itself a HOME), ansible-core's
    # async_wrapper writes under $HOME and async_status looks under the passwd home ("could not find job").
    async_dir = tmp_path / "async"
    result = run_playbook([play(tasks, connection=admin_connection(sim.url))], str(tmp_path), verbosity=3,
                          env={"ANSIBLE_ASYNC_DIR": str(async_dir)})
    assert result.rc == 0, result
    # One module process: the async task (async needs a process of its own); the plain task none.
    assert len(set(re.findall(r"AnsiballZ_zendesk_oauth_client_info\.py", result.output))) == 1
    assert result.output.count("async_wrapper") >= 1
