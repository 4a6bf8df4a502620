# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX material of extensions/awx/ run the way AWX runs it.

``extensions/awx/configure_controller.yml`` runs against stand-ins of the awx.awx modules, which
record the job templates, workflow and schedule it defines. That workflow then runs as AWX would
run it: each node's job template becomes an ansible-runner job (awx_job.run_job) with the job
template's playbook (the example from examples/awx/), its credentials injected from the shipped
credential types (a Zendesk admin's OAuth token for the simulator; a Vault token for a real
OpenBao dev server), and its extra vars; the bootstrap job's ``set_stats`` artifacts (the
``artifact_data`` of its ``playbook_on_stats`` event) go to the next node as extra vars, under the
workflow's own extra vars, as AWX hands them on.

It checks that the artifacts carry the ids and no secret, that the second job uses the token the
first one stored, that the bootstrap job of a second run changes nothing, and that no secret appears
in any job event or artifact file, nor in the job environment AWX would store.
"""

from __future__ import annotations

import os
import re
import stat

import pytest

import awx_job
from simulator import ADMIN
from test_secret_hygiene import collect_secrets

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGURE_PLAYBOOK = os.path.join(REPO, "extensions", "awx", "configure_controller.yml")
# Where configure_controller.yml expects the example playbooks in the project (its comments say so).
PROJECT_PLAYBOOKS = {
    "playbooks/zendesk_oauth_bootstrap.yml": os.path.join(REPO, "examples", "awx", "bootstrap.yml"),
    "playbooks/zendesk_oauth_use_token.yml": os.path.join(REPO, "examples", "awx", "use_token.yml"),
}
PUBLISHED_IDS = ("zendesk_oauth_client_identifier", "zendesk_oauth_client_id", "zendesk_oauth_token_id",
                 "zendesk_oauth_scopes", "zendesk_oauth_token_expires_at",
                 # the same, keyed by identifier, and by account URL then identifier (oauth_bootstrap_integrations)
                 "zendesk_oauth_clients", "zendesk_oauth_accounts")


class Definitions:
    """What configure_controller.yml asked AWX to create, by name."""

    def __init__(self, calls):
        self.projects = {args["name"]: args for module, args in calls if module == "project"}
        self.job_templates = {args["name"]: args for module, args in calls if module == "job_template"}
        self.workflows = {args["name"]: args for module, args in calls if module == "workflow_job_template"}
        self.schedules = {args["name"]: args for module, args in calls if module == "schedule"}


@pytest.fixture(scope="module")
def definitions(tmp_path_factory):
    return Definitions(awx_job.run_with_awx_stubs(CONFIGURE_PLAYBOOK, tmp_path_factory.mktemp("configure")))


def test_the_definitions_hang_together(definitions):
    [project] = definitions.projects.values()
    [workflow] = definitions.workflows.values()
    [schedule] = definitions.schedules.values()
    assert schedule["unified_job_template"] == workflow["name"] and schedule["enabled"] is True
    assert re.fullmatch(r"DTSTART:\d{8}T\d{6}Z RRULE:FREQ=\w+;INTERVAL=\d+", schedule["rrule"]), schedule["rrule"]
    for template in definitions.job_templates.values():
        assert template["project"] == project["name"]
        assert template["playbook"] in PROJECT_PLAYBOOKS, "%s: %s is not an example playbook" % (
            template["name"], template["playbook"])
        assert template["extra_vars"] == workflow["extra_vars"]
    nodes = {node["identifier"]: node for node in workflow["workflow_nodes"]}
    assert sorted(node["unified_job_template"]["name"] for node in nodes.values()) == sorted(definitions.job_templates)
    assert [edge["identifier"] for edge in nodes["bootstrap"]["related"]["success_nodes"]] == ["use"]
    assert not nodes["use"].get("related"), "the last node leads nowhere"
    for name, value in workflow["extra_vars"].items():
        assert not re.search(r"token|secret|password", name), "extra vars are shown to anyone who sees the job: %s" % name


def node_job_template(definitions, workflow, identifier):
    [node] = [node for node in workflow["workflow_nodes"] if node["identifier"] == identifier]
    return definitions.job_templates[node["unified_job_template"]["name"]]


def run_node(tmp_path, job_id, template, credentials, extra_vars):
    """One workflow node: its job template's playbook, credentials and extra vars, through ansible-runner."""
    given = [credentials[name] for name in template["credentials"]]
    return awx_job.run_job(str(tmp_path), PROJECT_PLAYBOOKS[template["playbook"]], credentials=given,
                           extra_vars=extra_vars, job_id=job_id, project_path=template["playbook"])


def run_workflow(tmp_path, definitions, credentials, first_job_id):
    """The workflow, node by node as AWX runs it: [(node identifier, Job)]."""
    [workflow] = definitions.workflows.values()
    ran, artifacts, job_id = [], {}, first_job_id
    node = "bootstrap"
    while node:
        template = node_job_template(definitions, workflow, node)
        # AWX: the job template's extra vars, then the parents' artifacts, then the workflow's extra vars.
        extra_vars = dict(template["extra_vars"], **artifacts)
        extra_vars.update(workflow["extra_vars"])
        job = run_node(tmp_path, job_id, template, credentials, extra_vars)
        ran.append((node, job))
        assert job.rc == 0 and job.status == "successful", "node %s: %r" % (node, job)
        artifacts.update(job.artifacts)
        [current] = [n for n in workflow["workflow_nodes"] if n["identifier"] == node]
        following = (current.get("related") or {}).get("success_nodes") or []
        node = following[0]["identifier"] if following else None
        job_id += 1
    return ran


def test_the_workflow_runs_as_awx_runs_it(sim, openbao, admin_session, tmp_path, definitions):
    [workflow] = definitions.workflows.values()
    mount, path = workflow["extra_vars"]["zendesk_kv_mount"], workflow["extra_vars"]["zendesk_kv_path"]
    openbao.request("DELETE", "/v1/%s/metadata/%s" % (mount, path))  # the session's server: start empty
    openbao.write_policy("awx-zendesk", 'path "%s/data/%s" {\n  capabilities = ["create", "read", "update"]\n}\n'
                         % (mount, path))
    vault_token = openbao.token_with_policy("awx-zendesk")
    oauth_token = awx_job.admin_oauth_token(sim.url, admin_session)
    bootstrap_template = node_job_template(definitions, workflow, "bootstrap")
    zendesk_credential, kv_credential = bootstrap_template["credentials"]
    credentials = {
        zendesk_credential: (awx_job.ZENDESK, {"url": sim.url, "oauth_token": oauth_token}),
        kv_credential: (awx_job.VAULT_KV, {"url": openbao.url, "token": vault_token}),
    }

    first = run_workflow(tmp_path / "first", definitions, credentials, first_job_id=1)
    (unused, bootstrap), (unused, use) = first
    state = sim.control.state()
    [client] = [c for c in state["clients"] if c["identifier"] == workflow["extra_vars"]["zendesk_client_identifier"]]
    [token] = [t for t in state["tokens"] if t["client_id"] == client["id"]]
    assert token["user_id"] == ADMIN["id"] and token["scopes"] == ["read"]

    # The artifact AWX keeps for the bootstrap job, and hands on: the ids, no secret.
    assert sorted(bootstrap.artifacts) == sorted(PUBLISHED_IDS), bootstrap.artifacts
    assert bootstrap.artifacts["zendesk_oauth_client_identifier"] == client["identifier"]
    assert bootstrap.artifacts["zendesk_oauth_client_id"] == client["id"]
    assert bootstrap.artifacts["zendesk_oauth_token_id"] == token["id"]
    assert bootstrap.artifacts["zendesk_oauth_scopes"] == ["read"]
    flat = {key: bootstrap.artifacts[key] for key in PUBLISHED_IDS[:5]}
    assert bootstrap.artifacts["zendesk_oauth_clients"] == {client["identifier"]: flat}
    assert bootstrap.artifacts["zendesk_oauth_accounts"] == {sim.url: {client["identifier"]: flat}}
    stored = openbao.read_secret(mount, path)
    # 3 versions: the journal of the mint (written before the request), the token, the journal cleared
    assert stored.version == 3 and stored.data["zendesk_oauth_full_token"] == token["full_token"]
    # The next job took the token from the store and Zendesk accepted it.
    assert use.artifacts == {}
    [said] = use.results("Say who the token acts as")
    assert said["msg"] == "Token %d works: it acts as %s." % (token["id"], ADMIN["email"])

    # The bootstrap job of the next run (the schedule's), in a private data directory and home of its own
    # as every AWX job: the stored token is verified, nothing changes.
    again = run_node(tmp_path / "second", 3, bootstrap_template, credentials, dict(workflow["extra_vars"]))
    assert again.rc == 0 and again.status == "successful", again
    second = [("bootstrap, next run", again)]
    assert again.stats["changed"].get("localhost", 0) == 0, again
    assert again.artifacts["zendesk_oauth_token_id"] == token["id"]
    assert openbao.read_secret(mount, path).version == 3  # not written again

    secrets = collect_secrets(sim, {"admin OAuth token": oauth_token, "Vault token": vault_token,
                                    "OpenBao root token": openbao.root_token})
    assert len(secrets) >= 5
    injected = {"admin OAuth token": oauth_token, "Vault token": vault_token}
    for node, job in first + second:
        for where, text in job.artifact_files():
            if where == "command":
                # ansible-runner's record of the command and its environment, which holds the
                # credentials AWX injected (as AWX's own private data directory does until the job
                # ends and AWX deletes it). Owner-only, and nothing the job made is in it.
                assert stat.S_IMODE(os.stat(os.path.join(job.artifact_dir, where)).st_mode) == 0o600
                leaked = [label for label, value in secrets.items()
                          if value in text and value not in injected.values()]
            else:
                leaked = [label for label, value in secrets.items() if value in text]
            assert leaked == [], "job %s (%s): %s in %s" % (job.private_data_dir, node, leaked, where)
        stored_env = repr(job.safe_env)
        assert [label for label, value in secrets.items() if value in stored_env] == [], node
