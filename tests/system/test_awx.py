# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX / AAP credential type shipped in extensions/awx/, used the way AWX uses it.

AWX (awx/main/models/credential) does this with a custom credential type, and so do these tests:
- it checks the type: input fields with known keys only (``secret``, ``choices``, ``format`` and
  ``multiline`` on strings only, a ``default`` of the field's type), env variable names that do
  not start with ``ANSIBLE_``, and injector templates that name only defined fields (rendered with
  ``StrictUndefined`` and every field set to ``"EXAMPLE"``);
- it stores a credential's inputs: unknown keys and values outside ``choices`` are refused, and a
  key given with an empty value is replaced by the field's default (the first choice, ``""`` or
  ``False``);
- at launch it builds a namespace of the stored inputs (non-empty strings, booleans; a boolean
  field never set is ``False``) and renders each injector template in an
  ``ImmutableSandboxedEnvironment`` with the default ``Undefined``, so an unset field renders as
  ``""``. Env values are strings; secret fields render as ``**********`` in the stored job env.

A real ``ansible-playbook`` (the test venv's, through playbook_runner) then runs modules with no
connection options against the simulator, with only that environment. The simulator's request
log shows which authentication reached it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import textwrap

import pytest

yaml = pytest.importorskip("yaml")
jinja2 = pytest.importorskip("jinja2")
from jinja2 import StrictUndefined, meta  # noqa: E402  pylint: disable=wrong-import-position
from jinja2.sandbox import ImmutableSandboxedEnvironment  # noqa: E402  pylint: disable=wrong-import-position

import playbook_runner  # noqa: E402  pylint: disable=wrong-import-position
from simulator import ADMIN  # noqa: E402  pylint: disable=wrong-import-position

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AWX_DIR = os.path.join(COLLECTION_ROOT, "extensions", "awx")
INPUTS_FILE = os.path.join(AWX_DIR, "credential_type", "inputs.yml")
INJECTORS_FILE = os.path.join(AWX_DIR, "credential_type", "injectors.yml")
REGISTER_PLAYBOOK = os.path.join(AWX_DIR, "register_credential_type.yml")
CONNECTION_PY = os.path.join(COLLECTION_ROOT, "plugins", "module_utils", "_connection.py")
AWX_GUIDE = os.path.join(COLLECTION_ROOT, "docs", "docsite", "rst", "guide_awx.rst")

HIDDEN = "**********"
SECRET_FIELDS = ("api_token", "oauth_token")
EXPECTED_FIELDS = ("subdomain", "url", "email", "api_token", "oauth_token", "validate_certs")
CLIENTS_PATH = "/api/v2/oauth/clients"
TOKENS_PATH = "/api/v2/oauth/tokens"

# What AWX accepts in a custom credential type (awx/main/fields.py).
FIELD_KEYS = {"id", "type", "label", "help_text", "format", "choices", "multiline", "secret", "ask_at_runtime",
              "default"}
STRING_ONLY_KEYS = ("choices", "multiline", "format", "secret")
NAME_RE = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load_connection_module():
    """plugins/module_utils/_connection.py is pure Python: load it by path, no collection loader needed."""
    spec = importlib.util.spec_from_file_location("zendesk_oauth_connection_under_test", CONNECTION_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


INPUTS = load_yaml(INPUTS_FILE)
INJECTORS = load_yaml(INJECTORS_FILE)
CONNECTION = load_connection_module()


# ------------------------------------------------------------------ AWX, as far as injection goes
def fields_of(inputs):
    return {field["id"]: dict(field, type=field.get("type", "string")) for field in inputs.get("fields", [])}


def check_credential_type(inputs, injectors):
    """Raise AssertionError where AWX would refuse the credential type."""
    assert set(inputs) <= {"fields", "required"}, "inputs: only fields and required are allowed: %s" % sorted(inputs)
    seen = set()
    for field in inputs["fields"]:
        assert set(field) <= FIELD_KEYS, "field %s: unknown keys %s" % (field.get("id"), set(field) - FIELD_KEYS)
        assert "id" in field and "label" in field, "every field needs id and label: %r" % field
        assert NAME_RE.match(field["id"]) and field["id"] != "tower", "bad field id %r" % field["id"]
        assert field["id"] not in seen, "duplicate field id %r" % field["id"]
        seen.add(field["id"])
        kind = field.get("type", "string")
        assert kind in ("string", "boolean"), "field %s: type %r" % (field["id"], kind)
        for key in STRING_ONLY_KEYS:
            assert key not in field or kind == "string", "field %s: %s is for strings only" % (field["id"], key)
        if "default" in field:
            assert isinstance(field["default"], {"string": str, "boolean": bool}[kind]), (
                "field %s: default %r is not a %s" % (field["id"], field["default"], kind))
        if "choices" in field:
            choices = field["choices"]
            assert choices and all(isinstance(c, str) for c in choices) and len(set(choices)) == len(choices)
    for name in inputs.get("required", []):
        assert name in seen, "required names an undefined field %r" % name

    assert set(injectors) <= {"file", "env", "extra_vars"}, "injectors: unknown kinds %s" % sorted(injectors)
    strict = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    example = {name: "EXAMPLE" for name in seen}
    for kind in ("env", "extra_vars"):
        for name, template in (injectors.get(kind) or {}).items():
            assert NAME_RE.match(name), "%s name %r" % (kind, name)
            assert isinstance(template, str), "%s %s: templates are strings" % (kind, name)
            if kind == "env":
                assert not name.startswith("ANSIBLE_"), "AWX refuses env %s (ANSIBLE_*)" % name
                assert template.isascii(), "env %s: AWX allows ASCII only" % name
            strict.from_string(template).render(**example)  # raises UndefinedError on an unknown field


def store_inputs(inputs, given):
    """The inputs AWX stores for a credential created with ``given``."""
    fields = fields_of(inputs)
    unknown = set(given) - set(fields)
    assert not unknown, "AWX refuses inputs that are not fields: %s" % sorted(unknown)
    stored = dict(given)
    for name, value in given.items():
        field = fields[name]
        if not value:
            if "choices" in field:
                stored[name] = field["choices"][0]
            else:
                stored[name] = {"string": "", "boolean": False}[field["type"]]
        elif "choices" in field:
            assert value in field["choices"], "%s=%r is not one of %s" % (name, value, field["choices"])
    return stored


def inject(inputs, injectors, stored):
    """(env, job env as AWX stores it, extra_vars) for a launch with this credential."""
    fields = fields_of(inputs)
    namespace, safe_namespace = {}, {}
    for name, value in stored.items():
        if isinstance(value, bool):
            namespace[name] = safe_namespace[name] = value
            continue
        if value:
            namespace[name] = value
            safe_namespace[name] = HIDDEN if fields[name].get("secret") else value
    for name, field in fields.items():
        if field["type"] == "boolean" and name not in stored:
            namespace[name] = safe_namespace[name] = False
    sandbox = ImmutableSandboxedEnvironment()
    env = {name: sandbox.from_string(template).render(**namespace)
           for name, template in (injectors.get("env") or {}).items()}
    safe_env = {name: sandbox.from_string(template).render(**safe_namespace)
                for name, template in (injectors.get("env") or {}).items()}
    extra_vars = {name: sandbox.from_string(template).render(**namespace)
                  for name, template in (injectors.get("extra_vars") or {}).items()}
    return env, safe_env, extra_vars


def launch(given):
    env, _safe_env, extra_vars = inject(INPUTS, INJECTORS, store_inputs(INPUTS, given))
    return env, extra_vars


def template_fields(template):
    return meta.find_undeclared_variables(ImmutableSandboxedEnvironment().parse(template))


# ------------------------------------------------------------------ the credential type itself
def test_credential_type_is_valid_for_awx():
    check_credential_type(INPUTS, INJECTORS)


def test_fields():
    fields = fields_of(INPUTS)
    assert sorted(fields) == sorted(EXPECTED_FIELDS)
    for name, field in fields.items():
        assert field.get("secret", False) is (name in SECRET_FIELDS), "%s: secret must be %s" % (
            name, name in SECRET_FIELDS)
        assert field.get("help_text"), "%s: say what to enter" % name


def test_validate_certs_is_never_an_unset_checkbox():
    """AWX injects a boolean field that was never set as False: that would turn TLS checks off."""
    field = fields_of(INPUTS)["validate_certs"]
    assert field["type"] == "string"
    assert field["choices"][0] == "true"


def test_injectors_set_only_variables_the_modules_read():
    known = set(CONNECTION.ENVIRONMENT.values())
    env = INJECTORS.get("env") or {}
    assert set(env) <= known, "injected variables no module reads: %s" % sorted(set(env) - known)
    for name in EXPECTED_FIELDS:
        assert CONNECTION.ENVIRONMENT[name] in env, "field %s is not injected" % name
        assert template_fields(env[CONNECTION.ENVIRONMENT[name]]) == {name}


def test_secrets_never_go_to_extra_vars():
    """extra_vars are ordinary play variables (any task can print them); secrets go through env only."""
    for name, template in (INJECTORS.get("extra_vars") or {}).items():
        leaked = template_fields(template) & set(SECRET_FIELDS)
        assert not leaked, "extra_vars %s carries the secret field(s) %s" % (name, sorted(leaked))


def test_stored_job_env_hides_the_secrets():
    stored = store_inputs(INPUTS, {"subdomain": "acme", "email": "admin@acme.example", "api_token": "s3cret-api",
                                   "oauth_token": ""})
    env, safe_env, dummy = inject(INPUTS, INJECTORS, stored)
    assert env["ZENDESK_API_TOKEN"] == "s3cret-api"
    assert safe_env["ZENDESK_API_TOKEN"] == HIDDEN
    assert "s3cret-api" not in json.dumps(safe_env)


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
    """The guide shows the type inline (readers copy from it): it must say what the files say."""
    shown = []
    for block in code_blocks(AWX_GUIDE):
        try:
            shown.append(yaml.safe_load(block))
        except yaml.YAMLError:
            continue
    assert INPUTS in shown, "guide_awx.rst does not show extensions/awx/credential_type/inputs.yml as it is"
    assert INJECTORS in shown, "guide_awx.rst does not show extensions/awx/credential_type/injectors.yml as it is"


# ------------------------------------------------------------------ what the modules make of it
def test_unset_inputs_render_empty_and_count_as_unset():
    env, extra_vars = launch({})
    assert extra_vars == {}
    assert set(env.values()) == {""}, env
    options, from_env = CONNECTION.merge_environment({}, env)
    assert from_env == []
    assert options["subdomain"] is None and options["url"] is None
    assert options["email"] is None and options["api_token"] is None and options["oauth_token"] is None
    assert options["validate_certs"] is True


def test_api_token_credential_means_basic_auth():
    env, dummy = launch({"subdomain": "acme", "email": "admin@acme.example", "api_token": "tok"})
    assert env["ZENDESK_URL"] == "" and env["ZENDESK_OAUTH_TOKEN"] == ""
    client_kwargs, warnings, secrets = CONNECTION.resolve_connection({}, env)
    assert client_kwargs["base_url"] == "https://acme.zendesk.com"
    assert CONNECTION.check_auth(client_kwargs["email"], client_kwargs["api_token"],
                                 client_kwargs["oauth_token"]) == "basic"
    assert client_kwargs["validate_certs"] is True
    assert warnings == [] and secrets == ["tok"]


def test_oauth_credential_means_bearer_auth():
    env, dummy = launch({"url": "https://zendesk-proxy.example.com/", "oauth_token": "bearer-tok", "email": "",
                         "api_token": ""})
    assert env["ZENDESK_SUBDOMAIN"] == "" and env["ZENDESK_EMAIL"] == "" and env["ZENDESK_API_TOKEN"] == ""
    client_kwargs, _warnings, secrets = CONNECTION.resolve_connection({}, env)
    assert client_kwargs["base_url"] == "https://zendesk-proxy.example.com"
    assert CONNECTION.check_auth(client_kwargs["email"], client_kwargs["api_token"],
                                 client_kwargs["oauth_token"]) == "bearer"
    assert secrets == ["bearer-tok"]


@pytest.mark.parametrize("given, expected", [(None, True), ("", True), ("true", True), ("false", False)])
def test_validate_certs_choice(given, expected):
    inputs = {"subdomain": "acme", "oauth_token": "tok"}
    if given is not None:
        inputs["validate_certs"] = given
    env, dummy = launch(inputs)
    options, dummy = CONNECTION.merge_environment({}, env)
    assert options["validate_certs"] is expected


def test_both_auth_methods_in_one_credential_fail_clearly():
    env, dummy = launch({"subdomain": "acme", "email": "admin@acme.example", "api_token": "a", "oauth_token": "b"})
    with pytest.raises(CONNECTION.ConnectionOptionError, match="either oauth_token, or email with api_token"):
        CONNECTION.resolve_connection({}, env)


def test_task_options_replace_the_credential():
    """A play that names its own account is not mixed with the credential's (the whole group is replaced)."""
    env, dummy = launch({"subdomain": "acme", "email": "admin@acme.example", "api_token": "a"})
    client_kwargs, _warnings, secrets = CONNECTION.resolve_connection({"oauth_token": "own"}, env)
    assert client_kwargs["oauth_token"] == "own" and client_kwargs["api_token"] is None
    assert client_kwargs["email"] is None
    assert secrets == []


# ------------------------------------------------------------------ a real ansible-playbook run
# No connection options anywhere: the modules must take everything from the injected environment.
PLAY_TASKS = [
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
]


def run_with_credential(tmp_path, given):
    """ansible-playbook with the environment (and extra vars file) AWX would give a job using this credential."""
    env, extra_vars = launch(given)
    extra_args = []
    if extra_vars:
        vars_file = tmp_path / "credential_extra_vars.yml"
        vars_file.write_text(yaml.safe_dump(extra_vars), encoding="utf-8")
        extra_args = ["-e", "@%s" % vars_file]
    plays = [playbook_runner.play(PLAY_TASKS, name="Modules take their connection from the credential")]
    return playbook_runner.run_playbook(plays, str(tmp_path), env=env, verbosity=3, extra_args=extra_args)


def assert_ran_as_admin_with(sim, result, auth, secret, clients_before):
    assert result.rc == 0, result
    assert secret not in result.output, "the credential's secret shows in the playbook output"
    listed = result.result("List the OAuth clients")
    assert [client["identifier"] for client in listed["clients"]] == clients_before
    log = [entry for entry in sim.control.requests() if not entry["path"].startswith("/_sim")]
    assert log, "no request reached the simulator"
    assert {entry["auth"] for entry in log} == {auth}, log
    assert {entry["user_id"] for entry in log} == {ADMIN["id"]}, log
    assert any(entry["method"] == "POST" and entry["path"].rstrip("/").endswith(CLIENTS_PATH) and entry["status"] == 201
               for entry in log), log
    created = [client for client in sim.control.state()["clients"] if client["identifier"] == "awx_credential_check"]
    assert len(created) == 1 and created[0]["kind"] == "confidential"


def admin_oauth_token(sim_url, session):
    """The admin's OAuth token, as the guides bootstrap it: a client, then a read+write token for it."""
    answer = session.post(sim_url + CLIENTS_PATH, json={"client": {
        "name": "Ansible automation", "identifier": "ansible_automation", "kind": "confidential"}})
    assert answer.status_code == 201, answer.text
    answer = session.post(sim_url + TOKENS_PATH, json={"token": {
        "client_id": answer.json()["client"]["id"], "scopes": ["read", "write"]}})
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]["full_token"]


def test_playbook_with_api_token_credential(sim, sim_url, tmp_path):
    sim.control.clear_requests()
    result = run_with_credential(tmp_path, {"url": sim_url, "email": ADMIN["email"], "api_token": ADMIN["api_token"]})
    assert_ran_as_admin_with(sim, result, "basic", ADMIN["api_token"], clients_before=[])


def test_playbook_with_oauth_token_credential(sim, sim_url, admin_session, tmp_path):
    oauth_token = admin_oauth_token(sim_url, admin_session)
    sim.control.clear_requests()
    result = run_with_credential(tmp_path, {"url": sim_url, "oauth_token": oauth_token})
    assert_ran_as_admin_with(sim, result, "bearer", oauth_token, clients_before=["ansible_automation"])


def test_role_takes_its_connection_from_the_credential(sim, sim_url, admin_session, tmp_path):
    """The AWX guide says the role needs no extra vars: its unset connection variables fall back to ZENDESK_*."""
    oauth_token = admin_oauth_token(sim_url, admin_session)
    env, extra_vars = launch({"url": sim_url, "oauth_token": oauth_token})
    assert extra_vars == {}
    sim.control.clear_requests()
    plays = [playbook_runner.play([], name="The role with the credential only", roles=[{
        "role": "zendesk.oauth.oauth_bootstrap",
        "oauth_bootstrap_client_identifier": "awx_role_check",
        "oauth_bootstrap_scopes": ["read"],
        "oauth_bootstrap_vault_file": str(tmp_path / "token.vault.yml"),
        "oauth_bootstrap_vault_password": "test-vault-password",
    }])]
    result = playbook_runner.run_playbook(plays, str(tmp_path), env=env)
    assert result.rc == 0, result
    assert oauth_token not in result.output
    log = [entry for entry in sim.control.requests() if not entry["path"].startswith("/_sim")]
    assert log and {entry["auth"] for entry in log} == {"bearer"}, log
    state = sim.control.state()
    client = [c for c in state["clients"] if c["identifier"] == "awx_role_check"]
    assert len(client) == 1
    minted = [t for t in state["tokens"] if t["client_id"] == client[0]["id"]]
    assert len(minted) == 1 and minted[0]["scopes"] == ["read"] and minted[0]["user_id"] == ADMIN["id"]


# ------------------------------------------------------------------ the example registration playbook
STUB_CREDENTIAL_TYPE = textwrap.dedent('''\
    #!/usr/bin/python
    # Test stub of awx.awx.credential_type: records the arguments it was given.
    from __future__ import annotations

    import json
    import os

    from ansible.module_utils.basic import AnsibleModule


    def main():
        module = AnsibleModule(argument_spec={
            "name": {"type": "str", "required": True},
            "description": {"type": "str"},
            "kind": {"type": "str"},
            "inputs": {"type": "dict"},
            "injectors": {"type": "dict"},
            "state": {"type": "str", "default": "present"},
        })
        with open(os.environ["AWX_STUB_RECORD"], "w") as handle:
            json.dump(module.params, handle)
        module.exit_json(changed=True)


    if __name__ == "__main__":
        main()
    ''')


def test_register_playbook_sends_the_shipped_files_unrendered(tmp_path):
    """The example passes inputs and injectors as data: Ansible must not render their {{ field }} templates."""
    stub_root = tmp_path / "stub_collections"
    stub = stub_root / "ansible_collections" / "awx" / "awx"
    (stub / "plugins" / "modules").mkdir(parents=True)
    (stub / "meta").mkdir()
    (stub / "meta" / "runtime.yml").write_text("requires_ansible: '>=2.15.0'\n", encoding="utf-8")
    (stub / "plugins" / "modules" / "credential_type.py").write_text(STUB_CREDENTIAL_TYPE, encoding="utf-8")
    record = tmp_path / "record.json"
    result = playbook_runner.run_playbook(REGISTER_PLAYBOOK, str(tmp_path), env={
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([str(stub_root), playbook_runner.collections_path()]),
        "AWX_STUB_RECORD": str(record),
    })
    assert result.rc == 0, result
    sent = json.loads(record.read_text(encoding="utf-8"))
    assert sent["name"] == "Zendesk" and sent["kind"] == "cloud" and sent["state"] == "present"
    assert sent["inputs"] == INPUTS
    assert sent["injectors"] == INJECTORS
