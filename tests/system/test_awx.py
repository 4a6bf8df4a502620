# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX / AAP credential types shipped in extensions/awx/credential_types/, used the way AWX uses them.

``awx_job.CredentialType`` checks each type as AWX does when it is saved, stores a credential's
inputs and injects them at launch as AWX does (see awx_job.py); a job then runs through
ansible-runner, the engine AWX runs jobs with, with only that environment: modules with no
connection options against the simulator, whose request log shows which authentication reached it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import textwrap

import pytest
import yaml
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

import awx_job
from simulator import ADMIN

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TYPES_DIR = awx_job.TYPES_DIR
REGISTER_PLAYBOOK = os.path.join(awx_job.AWX_DIR, "register_credential_types.yml")
CONNECTION_PY = os.path.join(COLLECTION_ROOT, "plugins", "module_utils", "_connection.py")
AWX_GUIDE = os.path.join(COLLECTION_ROOT, "docs", "docsite", "rst", "guide_awx.rst")

SECRET_FIELDS = ("api_token", "oauth_token")
EXPECTED_FIELDS = ("subdomain", "url", "email", "api_token", "oauth_token", "validate_certs", "ca_bundle", "timeout")
CLIENTS_PATH = "/api/v2/oauth/clients"


def load_connection_module():
    """plugins/module_utils/_connection.py is pure Python: load it by path, no collection loader needed."""
    spec = importlib.util.spec_from_file_location("zendesk_oauth_connection_under_test", CONNECTION_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ZENDESK, VAULT_KV = awx_job.ZENDESK, awx_job.VAULT_KV
INPUTS, INJECTORS = ZENDESK.inputs, ZENDESK.injectors
CONNECTION = load_connection_module()


def launch(given, env_dir):
    """(env, extra_vars) a job launched with a Zendesk credential of these inputs gets."""
    injection = ZENDESK.inject(ZENDESK.store(given), str(env_dir))
    return injection.env, injection.extra_vars


def template_fields(template):
    return meta.find_undeclared_variables(ImmutableSandboxedEnvironment().parse(template))


# ------------------------------------------------------------------ the credential types themselves
@pytest.mark.parametrize("credential_type", [ZENDESK, VAULT_KV], ids=["zendesk", "vault_kv"])
def test_credential_type_is_valid_for_awx(credential_type):
    credential_type.check()


def test_a_template_naming_an_undefined_field_is_refused():
    """The check can fail: AWX refuses a template that names a field the type does not define."""
    broken = awx_job.CredentialType(os.path.join(TYPES_DIR, "zendesk"))
    broken.injectors = dict(broken.injectors, env=dict(broken.injectors["env"], ZENDESK_URL="{{ uri }}"))
    with pytest.raises(Exception, match="uri"):
        broken.check()


def test_fields():
    fields = ZENDESK.fields
    assert sorted(fields) == sorted(EXPECTED_FIELDS)
    for name, field in fields.items():
        assert field.get("secret", False) is (name in SECRET_FIELDS), "%s: secret must be %s" % (
            name, name in SECRET_FIELDS)
        assert field.get("help_text"), "%s: say what to enter" % name
    assert VAULT_KV.fields["token"].get("secret") is True
    assert [name for name, field in VAULT_KV.fields.items() if field.get("secret")] == ["token"]


def test_validate_certs_is_never_an_unset_checkbox():
    """AWX injects a boolean field that was never set as False: that would turn TLS checks off."""
    field = ZENDESK.fields["validate_certs"]
    assert field["type"] == "string"
    assert field["choices"][0] == "true"


def test_injectors_set_only_variables_the_modules_read():
    known = set(CONNECTION.ENVIRONMENT.values())
    env = INJECTORS.get("env") or {}
    assert set(env) <= known, "injected variables no module reads: %s" % sorted(set(env) - known)
    injected = {CONNECTION.ENVIRONMENT[name]: name for name in CONNECTION.ENVIRONMENT if CONNECTION.ENVIRONMENT[name] in env}
    for field in EXPECTED_FIELDS:
        option = "ca_path" if field == "ca_bundle" else field
        assert CONNECTION.ENVIRONMENT[option] in env, "field %s is not injected" % field
        assert field in template_fields(env[CONNECTION.ENVIRONMENT[option]]), injected


def test_secrets_never_go_to_extra_vars():
    """extra_vars are ordinary play variables (any task can print them); secrets go through env only."""
    for credential_type in (ZENDESK, VAULT_KV):
        secret = [name for name, field in credential_type.fields.items() if field.get("secret")]
        for name, template in (credential_type.injectors.get("extra_vars") or {}).items():
            leaked = template_fields(template) & set(secret)
            assert not leaked, "extra_vars %s carries the secret field(s) %s" % (name, sorted(leaked))


def test_stored_job_env_hides_the_secrets(tmp_path):
    stored = ZENDESK.store({"subdomain": "acme", "email": "admin@acme.example", "api_token": "s3cret-api",
                            "oauth_token": ""})
    injection = ZENDESK.inject(stored, str(tmp_path))
    assert injection.env["ZENDESK_API_TOKEN"] == "s3cret-api"
    assert injection.safe_env["ZENDESK_API_TOKEN"] == awx_job.HIDDEN
    assert "s3cret-api" not in json.dumps(injection.safe_env)


def code_blocks(rst_path):
    """The content of every ``.. code-block::`` of an RST file, dedented."""
    with open(rst_path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    blocks, index = [], 0
    while index < len(lines):
        if lines[index].strip().startswith(".. code-block::"):
            index += 1
            body = []
            while index < len(lines) and (not lines[index].strip() or lines[index].startswith(" ")):
                body.append(lines[index])
                index += 1
            blocks.append(textwrap.dedent("\n".join(body)).strip("\n"))
        else:
            index += 1
    return blocks


def test_awx_guide_shows_the_shipped_files():
    """The guide shows the types inline (readers copy from it): it must say what the files say."""
    shown = []
    for block in code_blocks(AWX_GUIDE):
        try:
            shown.append(yaml.safe_load(block))
        except yaml.YAMLError:
            continue
    for credential_type in (ZENDESK, VAULT_KV):
        name = os.path.basename(credential_type.directory)
        assert credential_type.inputs in shown, "guide_awx.rst does not show credential_types/%s/inputs.yml" % name
        assert credential_type.injectors in shown, "guide_awx.rst does not show credential_types/%s/injectors.yml" % name


# ------------------------------------------------------------------ what the modules make of it
def test_unset_inputs_render_empty_and_count_as_unset(tmp_path):
    env, extra_vars = launch({}, tmp_path)
    assert extra_vars == {}
    assert set(env.values()) == {""}, env
    options, from_env = CONNECTION.merge_environment({}, env)
    assert from_env == []
    assert options["subdomain"] is None and options["url"] is None
    assert options["email"] is None and options["api_token"] is None and options["oauth_token"] is None
    assert options["validate_certs"] is True and options["ca_path"] is None


def test_api_token_credential_means_basic_auth(tmp_path):
    env, dummy = launch({"subdomain": "acme", "email": "admin@acme.example", "api_token": "tok"}, tmp_path)
    assert env["ZENDESK_URL"] == "" and env["ZENDESK_OAUTH_TOKEN"] == ""
    client_kwargs, warnings, secrets = CONNECTION.resolve_connection({}, env)
    assert client_kwargs["base_url"] == "https://acme.zendesk.com"
    assert CONNECTION.check_auth(client_kwargs["email"], client_kwargs["api_token"],
                                 client_kwargs["oauth_token"]) == "basic"
    assert client_kwargs["validate_certs"] is True
    assert warnings == [] and secrets == ["tok"]


def test_oauth_credential_means_bearer_auth(tmp_path):
    env, dummy = launch({"url": "https://zendesk-proxy.example.com/", "oauth_token": "bearer-tok", "email": "",
                         "api_token": ""}, tmp_path)
    assert env["ZENDESK_SUBDOMAIN"] == "" and env["ZENDESK_EMAIL"] == "" and env["ZENDESK_API_TOKEN"] == ""
    client_kwargs, _warnings, secrets = CONNECTION.resolve_connection({}, env)
    assert client_kwargs["base_url"] == "https://zendesk-proxy.example.com"
    assert CONNECTION.check_auth(client_kwargs["email"], client_kwargs["api_token"],
                                 client_kwargs["oauth_token"]) == "bearer"
    assert secrets == ["bearer-tok"]


@pytest.mark.parametrize("given, expected", [(None, True), ("", True), ("true", True), ("false", False)])
def test_validate_certs_choice(given, expected, tmp_path):
    inputs = {"subdomain": "acme", "oauth_token": "tok"}
    if given is not None:
        inputs["validate_certs"] = given
    env, dummy = launch(inputs, tmp_path)
    options, dummy = CONNECTION.merge_environment({}, env)
    assert options["validate_certs"] is expected


def test_ca_bundle_and_timeout_reach_the_modules(tmp_path):
    """The CA certificates arrive as a file of the job's env folder that ZENDESK_CA_PATH names."""
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    env, dummy = launch({"url": "https://zendesk-proxy.example.com", "oauth_token": "tok", "ca_bundle": pem,
                         "timeout": "45"}, tmp_path)
    assert os.path.dirname(env["ZENDESK_CA_PATH"]) == str(tmp_path)
    with open(env["ZENDESK_CA_PATH"], encoding="utf-8") as handle:
        assert handle.read() == pem
    assert os.stat(env["ZENDESK_CA_PATH"]).st_mode & 0o777 == 0o600
    options, from_env = CONNECTION.merge_environment({}, env)
    assert options["ca_path"] == env["ZENDESK_CA_PATH"] and options["timeout"] == 45.0
    assert {"ca_path", "timeout"} <= set(from_env)


def test_both_auth_methods_in_one_credential_fail_clearly(tmp_path):
    env, dummy = launch({"subdomain": "acme", "email": "admin@acme.example", "api_token": "a", "oauth_token": "b"},
                        tmp_path)
    with pytest.raises(CONNECTION.ConnectionOptionError, match="either oauth_token, or email with api_token"):
        CONNECTION.resolve_connection({}, env)


def test_task_options_replace_the_credential(tmp_path):
    """A play that names its own account is not mixed with the credential's (the whole group is replaced)."""
    env, dummy = launch({"subdomain": "acme", "email": "admin@acme.example", "api_token": "a"}, tmp_path)
    client_kwargs, _warnings, secrets = CONNECTION.resolve_connection({"oauth_token": "own"}, env)
    assert client_kwargs["oauth_token"] == "own" and client_kwargs["api_token"] is None
    assert client_kwargs["email"] is None
    assert secrets == []


# ------------------------------------------------------------------ a job, through ansible-runner
# No connection options anywhere: the modules must take everything from the injected environment.
PLAY = [{
    "name": "Modules take their connection from the credential",
    "hosts": "localhost",
    "gather_facts": False,
    "tasks": [
        {"name": "List the OAuth clients", "zendesk.oauth.zendesk_oauth_client_info": {}, "register": "listed"},
        {"name": "Create an OAuth client",
         "zendesk.oauth.zendesk_oauth_client": {"identifier": "awx_credential_check", "name": "AWX credential check",
                                                "kind": "confidential"},
         "register": "created", "no_log": True},
        {"name": "Check what the modules reported", "ansible.builtin.assert": {"that": [
            "listed is not changed",
            "created is changed",
            "created.client.identifier == 'awx_credential_check'",
        ]}},
    ],
}]


def run_with_credential(tmp_path, given):
    """The play as an AWX job with a Zendesk credential of these inputs, at verbosity 3."""
    playbook = tmp_path / "modules.yml"
    playbook.write_text(yaml.safe_dump(PLAY, sort_keys=False), encoding="utf-8")
    return awx_job.run_job(str(tmp_path), str(playbook), credentials=[(ZENDESK, given)], verbosity=3)


def assert_ran_as_admin_with(sim, job, auth, secret, clients_before):
    assert job.rc == 0 and job.status == "successful", job
    for where, text in job.artifact_files():
        if where != "command":  # ansible-runner's record of the job's environment: see test_awx_job.py
            assert secret not in text, "the credential's secret shows in %s" % where
    [listed] = job.results("List the OAuth clients")
    assert [client["identifier"] for client in listed["clients"]] == clients_before
    log = [entry for entry in sim.control.requests() if not entry["path"].startswith("/_sim")]
    assert log, "no request reached the simulator"
    assert {entry["auth"] for entry in log} == {auth}, log
    assert {entry["user_id"] for entry in log} == {ADMIN["id"]}, log
    assert any(entry["method"] == "POST" and entry["path"].rstrip("/").endswith(CLIENTS_PATH) and entry["status"] == 201
               for entry in log), log
    created = [client for client in sim.control.state()["clients"] if client["identifier"] == "awx_credential_check"]
    assert len(created) == 1 and created[0]["kind"] == "confidential"


def test_job_with_api_token_credential(sim, sim_url, tmp_path):
    sim.control.clear_requests()
    job = run_with_credential(tmp_path, {"url": sim_url, "email": ADMIN["email"], "api_token": ADMIN["api_token"]})
    assert_ran_as_admin_with(sim, job, "basic", ADMIN["api_token"], clients_before=[])


def test_job_with_oauth_token_credential(sim, sim_url, admin_session, tmp_path):
    oauth_token = awx_job.admin_oauth_token(sim_url, admin_session)
    sim.control.clear_requests()
    job = run_with_credential(tmp_path, {"url": sim_url, "oauth_token": oauth_token, "timeout": "20"})
    assert_ran_as_admin_with(sim, job, "bearer", oauth_token, clients_before=["ansible_automation"])


# ------------------------------------------------------------------ the example registration playbook
def test_register_playbook_sends_the_shipped_files_unrendered(tmp_path):
    """The example passes inputs and injectors as data: Ansible must not render their {{ field }} templates."""
    calls = awx_job.run_with_awx_stubs(REGISTER_PLAYBOOK, tmp_path)
    sent = {args["name"]: args for module, args in calls if module == "credential_type"}
    assert sorted(sent) == ["HashiCorp Vault / OpenBao KV", "Zendesk"]
    for name, credential_type in (("Zendesk", ZENDESK), ("HashiCorp Vault / OpenBao KV", VAULT_KV)):
        assert sent[name]["kind"] == "cloud" and sent[name]["state"] == "present"
        assert sent[name]["inputs"] == credential_type.inputs
        assert sent[name]["injectors"] == credential_type.injectors
