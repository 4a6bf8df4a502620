# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The oauth_bootstrap role under the inputs and accidents of unattended runs (AWX, schedules, -e).

Each test is a defect found on the role's earlier Jinja core, run with real ansible-playbook
processes against the simulator; outcomes are read from the simulator and the vault file:

- booleans given as strings (-e, INI inventories, AWX extra vars): "false" is false;
- a malformed scope fails before any request, so no client is made whose secret would be lost;
- a run that fails after creating the client has already stored its secret;
- a store is tied to its account and client;
- client_credentials with the kind unset makes a confidential client;
- the output: a no-op is a few task lines ending with the summary; a failure is one message.
(Kills and overlapping runs: test_chaos.py.)
"""

from __future__ import annotations

import json
import os
import re

from playbook_runner import ADMIN_API_TOKEN  # noqa: F401  pylint: disable=unused-import
from test_role import (  # noqa: F401  pylint: disable=unused-import
    IDENTIFIER,
    api_requests,
    revoked_ids,
    succeeded,
    the_client,
    the_live_token,
    works_as_bearer,
    write_requests,
    ws,
)

NOTHING_SENT = "Nothing was sent to Zendesk."


def as_strings(**values):
    """-e key=value pairs: every value arrives as a string, as from the command line or an INI inventory."""
    args = []
    for key, value in values.items():
        args += ["-e", "%s=%s" % (key, value)]
    return args


def converge_with_strings(ws, **values):
    ws.sim.control.clear_requests()
    from playbook_runner import run_playbook  # pylint: disable=import-outside-toplevel
    return run_playbook(ws.playbook(), ws.root, extra_args=as_strings(**values))


def test_false_as_a_string_does_not_rotate(ws, sim):
    succeeded(ws.converge())
    held = ws.vault_content()

    result = converge_with_strings(ws, oauth_bootstrap_rotate="false")

    assert succeeded(result)["changed"] == 0
    assert write_requests(sim) == []
    assert ws.vault_content() == held


def test_no_as_a_string_keeps_the_token_out_of_set_stats(ws, sim):
    result = converge_with_strings(ws, oauth_bootstrap_set_stats_token="no")

    succeeded(result)
    published = result.json["custom_stats"]["_run"]
    assert "zendesk_oauth_full_token" not in published
    assert the_live_token(sim)["full_token"] not in result.output


def test_off_as_a_string_does_not_revoke_a_token_another_store_holds(ws, sim, tmp_path):
    succeeded(ws.converge())
    other = the_live_token(sim)
    second_store = str(tmp_path / "secrets" / "second.vault.yml")

    result = converge_with_strings(ws, oauth_bootstrap_vault_file=second_store, oauth_bootstrap_revoke_unheld_tokens="off")

    succeeded(result)
    assert other["id"] not in revoked_ids(sim)
    assert works_as_bearer(sim, other["full_token"])


def test_zero_as_a_string_for_refresh_and_set_stats_runs_to_the_end(ws, sim):
    result = converge_with_strings(ws, oauth_bootstrap_refresh="0", oauth_bootstrap_set_stats="0")

    succeeded(result)
    assert "custom_stats" not in result.json or not result.json["custom_stats"].get("_run")
    assert ws.vault_content()["zendesk_oauth_token_id"] == the_live_token(sim)["id"]


def test_a_word_that_is_no_boolean_fails_naming_the_variable(ws, sim):
    result = converge_with_strings(ws, oauth_bootstrap_rotate="sometimes")

    assert result.rc != 0
    assert "oauth_bootstrap_rotate" in result.output
    assert api_requests(sim) == []


def test_a_malformed_scope_fails_before_the_client_is_made(ws, sim):
    result = ws.converge(oauth_bootstrap_scopes=["tickets:Read"])

    assert result.rc != 0
    assert "oauth_bootstrap_scopes" in result.output and "tickets:Read" in result.output
    assert NOTHING_SENT in result.output
    assert api_requests(sim) == []
    assert sim.control.state()["clients"] == []
    assert not os.path.exists(ws.vault_file)

    succeeded(ws.converge())  # corrected: the first real run stores the secret Zendesk shows it
    assert ws.vault_content()["zendesk_oauth_client_secret"] == the_client(sim)["secret"]


def test_a_first_run_that_fails_after_creating_the_client_has_stored_its_secret(ws, sim):
    sim.control.queue_faults([{"method": "POST", "path": "/api/v2/oauth/tokens", "fault": "500", "count": 20}])

    result = ws.converge(env={"ZENDESK_MAX_RETRIES": "0"})

    assert result.rc != 0
    assert "Mint a token with the admin credential failed" in result.output
    stored = ws.vault_content()
    assert stored["zendesk_oauth_client_secret"] == the_client(sim)["secret"]
    assert stored["zendesk_oauth_pending"]["operation"] == "mint"

    sim.control.clear_faults()
    succeeded(ws.converge())
    stored = ws.vault_content()
    assert stored["zendesk_oauth_client_secret"] == the_client(sim)["secret"]
    assert stored["zendesk_oauth_token_id"] == the_live_token(sim)["id"]  # one live token: the stored one
    assert "zendesk_oauth_pending" not in stored


def test_a_store_of_another_account_is_refused_before_any_request(ws, sim):
    succeeded(ws.converge())
    held = ws.vault_content()
    other_account = sim.url.replace("127.0.0.1", "localhost")

    result = ws.converge(oauth_bootstrap_url=other_account)

    assert result.rc != 0
    assert "was written for the Zendesk account %s" % sim.url in result.output
    assert NOTHING_SENT in result.output
    assert sim.control.requests() == []  # neither account got anything: no token travelled
    assert ws.vault_content() == held


def test_a_store_of_another_client_is_refused_and_its_token_left_alone(ws, sim):
    succeeded(ws.converge())
    held = ws.vault_content()

    result = ws.converge(oauth_bootstrap_client_identifier="billing_integration")

    assert result.rc != 0
    assert "was written for the OAuth client %s" % IDENTIFIER in result.output
    assert api_requests(sim) == []
    assert works_as_bearer(sim, held["zendesk_oauth_full_token"])
    assert ws.vault_content() == held


def test_client_credentials_with_the_kind_unset_makes_a_confidential_client(ws, sim):
    result = ws.converge(oauth_bootstrap_token_source="client_credentials")

    succeeded(result)
    assert the_client(sim)["kind"] == "confidential"  # the simulator's own default kind is public
    assert the_live_token(sim)["source"] == "client_credentials"


def test_client_credentials_with_a_null_kind_fails_naming_it_before_any_request(ws, sim):
    from playbook_runner import run_playbook  # pylint: disable=import-outside-toplevel
    null_kind = json.dumps({"oauth_bootstrap_token_source": "client_credentials", "oauth_bootstrap_client_kind": None})

    result = run_playbook(ws.playbook(), ws.root, extra_args=["-e", null_kind])

    assert result.rc != 0
    assert "oauth_bootstrap_client_kind must be one of: public, confidential" in result.output
    assert api_requests(sim) == []


def test_a_no_op_prints_a_few_task_lines_and_ends_with_the_summary(ws, sim):
    succeeded(ws.converge())

    result = ws.converge(stdout_callback=None)

    assert result.rc == 0, result
    tasks = re.findall(r"^TASK \[(.*)\]", result.stdout, flags=re.MULTILINE)
    assert len(tasks) <= 8, tasks
    tail = result.stdout[result.stdout.rindex("TASK ["):]
    assert "Show the client and token" in tail
    assert "OAuth client %s: id %d" % (IDENTIFIER, the_client(sim)["id"]) in tail
    assert "the held token works and was kept" in tail


def test_a_failure_prints_one_message_with_what_to_do(ws, sim):
    succeeded(ws.converge())
    # The second run reads the client by the id the store holds.
    sim.control.queue_faults([{"method": "GET", "path_regex": "^/api/v2/oauth/clients", "fault": "503", "count": 5}])

    result = ws.converge(stdout_callback=None, env={"ZENDESK_MAX_RETRIES": "1", "ZENDESK_MAX_RETRY_WAIT": "1"})

    assert result.rc != 0
    failures = re.findall(r"^fatal: ", result.stdout, flags=re.MULTILINE)
    assert len(failures) == 1, result.stdout
    assert "Ensure the OAuth client failed" in result.stdout and "503" in result.stdout
    assert "max_retries" in result.stdout  # what to do
    assert "hidden due to the fact that 'no_log: true'" not in result.stdout
