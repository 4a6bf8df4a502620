# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An AWX / Ansible Automation Platform job, for the system tests: a credential of a custom type,
and a playbook run by ansible-runner, the engine AWX runs every job with.

AWX itself is not installable from PyPI, so two of its steps are done here the way its code does
them (awx/main/fields.py, awx/main/models/credential, awx/main/tasks/jobs.py):

- ``CredentialType``: the checks AWX makes when a custom type is saved (field keys and types,
  env names it refuses, templates that name undefined fields, rendered with ``StrictUndefined``,
  ``tower.filename`` for file templates), plus one of ours (no field named like a Jinja global); how it stores a credential's inputs (unknown keys and
  values outside ``choices`` refused; a key given empty becomes the field's default: the first
  choice, ``""`` or ``False``); and the injection at launch: a namespace of the stored inputs
  (non-empty strings, booleans; a boolean never set is ``False``), each ``file`` template written
  to a file of the job's ``env/`` folder (mode 0600) and named by ``tower.filename[.<name>]``, and
  the ``env`` and ``extra_vars`` templates rendered in an ``ImmutableSandboxedEnvironment`` with
  the default ``Undefined`` (an unset field renders as ``""``). The job's stored environment is the
  same rendering with secret fields as ``**********``.
- ``run_job``: the private data directory AWX hands to ansible-runner: ``project/`` (the playbook),
  ``inventory/hosts`` (AWX's Demo Inventory: localhost, ``ansible_connection: local``,
  ``ansible_python_interpreter: "{{ ansible_playbook_python }}"``), ``env/envvars`` (the variables
  AWX sets for every job plus the credentials' env), ``env/extravars`` (the job's extra vars) and
  ``env/cmdline`` (``-e @file`` for a credential's ``extra_vars``). Then the real
  ``ansible-runner run`` (the test venv's), in a process with a clean environment, as the
  execution environment's container is. Its artifacts are read back: the JSON job events (what
  AWX stores and shows), stdout, and the ``artifact_data`` of the ``playbook_on_stats`` event
  (what ``set_stats`` published, which AWX keeps as the job's artifacts and hands to the next
  nodes of a workflow).

Also here: the shipped credential types (``ZENDESK``, ``VAULT_KV``), and ``run_with_awx_stubs``,
which runs a playbook of extensions/awx/ against stand-ins of the awx.awx modules that record
what they were asked to create.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import textwrap

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

import playbook_runner

HIDDEN = "**********"
AWX_DIR = os.path.join(playbook_runner.REPO, "extensions", "awx")
TYPES_DIR = os.path.join(AWX_DIR, "credential_types")
ANSIBLE_RUNNER = os.path.join(playbook_runner.BIN_DIR, "ansible-runner")
# What AWX accepts in a custom credential type (awx/main/fields.py).
FIELD_KEYS = {"id", "type", "label", "help_text", "format", "choices", "multiline", "secret", "ask_at_runtime",
              "default"}
STRING_ONLY_KEYS = ("choices", "multiline", "format", "secret")
NAME_RE = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")
# Environment variables AWX refuses in an injector (awx/main/constants.py ENV_BLOCKLIST, plus ANSIBLE_*).
ENV_BLOCKLIST = {"VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID",
                 "INVENTORY_UPDATE_ID", "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES",
                 "CALLBACK_QUEUE", "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS",
                 "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH"}
# Set by AWX for every job (awx/main/tasks/jobs.py, BaseTask and RunJob build_env); the runner adds
# its own (callback plugin, artifact dir).
AWX_JOB_ENV = {
    "ANSIBLE_FORCE_COLOR": "True",
    "ANSIBLE_HOST_KEY_CHECKING": "False",
    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
    "ANSIBLE_PARAMIKO_RECORD_HOST_KEYS": "False",
    "ANSIBLE_RETRY_FILES_ENABLED": "False",
    "AWX_HOST": "https://awx.example.com",
    "MAX_EVENT_RES": "700000",
    "PROJECT_REVISION": "0123456789abcdef0123456789abcdef01234567",
}
DEMO_INVENTORY = ('localhost ansible_connection=local '
                  'ansible_python_interpreter="{{ ansible_playbook_python }}"\n')


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


class _Namespace:
    """A Jinja namespace with attributes (AWX's ``TowerNamespace``)."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


class Injection:
    """What a credential gives one job: env, env as AWX stores it, extra vars, files written."""

    def __init__(self, env, safe_env, extra_vars, files):
        self.env = env
        self.safe_env = safe_env
        self.extra_vars = extra_vars
        self.files = files


class CredentialType:
    """A custom credential type shipped in ``extensions/awx/credential_types/<name>/``."""

    def __init__(self, directory):
        self.directory = directory
        self.inputs = load_yaml(os.path.join(directory, "inputs.yml"))
        self.injectors = load_yaml(os.path.join(directory, "injectors.yml"))

    @property
    def fields(self):
        return {field["id"]: dict(field, type=field.get("type", "string")) for field in self.inputs.get("fields", [])}

    def file_labels(self):
        """The names of the file templates: ``None`` for the single ``template``, else ``template.<name>``'s name."""
        return [None if label == "template" else label.split(".", 1)[1] for label in (self.injectors.get("file") or {})]

    def check(self):
        """Raise AssertionError where AWX would refuse the type."""
        inputs, injectors = self.inputs, self.injectors
        assert set(inputs) <= {"fields", "required"}, "inputs: only fields and required: %s" % sorted(inputs)
        strict = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
        seen = set()
        for field in inputs["fields"]:
            assert set(field) <= FIELD_KEYS, "field %s: unknown keys %s" % (field.get("id"), set(field) - FIELD_KEYS)
            assert "id" in field and "label" in field, "every field needs id and label: %r" % field
            assert NAME_RE.match(field["id"]) and field["id"] != "tower", "bad field id %r" % field["id"]
            # Not AWX's rule, ours: an unset field renders as Jinja's global of that name, if there is one
            # (a field "namespace" left empty injects "<class 'jinja2.utils.Namespace'>").
            assert field["id"] not in strict.globals, "field id %r is a Jinja global" % field["id"]
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
        labels = list(injectors.get("file") or {})
        assert all(label == "template" or label.startswith("template.") for label in labels), labels
        assert "template" not in labels or len(labels) == 1, "one unnamed file template, or named ones only"
        example = {name: "EXAMPLE" for name in seen}
        example["tower"] = _Namespace(filename=self._filenames(dict.fromkeys(self.file_labels(), "EXAMPLE_FILENAME")))
        for kind in ("file", "env", "extra_vars"):
            for name, template in (injectors.get(kind) or {}).items():
                assert isinstance(template, str), "%s %s: templates are strings" % (kind, name)
                if kind == "env":
                    assert NAME_RE.match(name), "env name %r" % name
                    assert not name.startswith("ANSIBLE_") and name not in ENV_BLOCKLIST, "AWX refuses env %s" % name
                    assert template.isascii(), "env %s: AWX allows ASCII only" % name
                strict.from_string(template).render(**example)  # UndefinedError on an unknown field

    @staticmethod
    def _filenames(paths):
        """``tower.filename``: the path of the single file, or a namespace of the named ones."""
        if None in paths:
            return paths[None]
        return _Namespace(**paths)

    def store(self, given):
        """The inputs AWX stores for a credential created with ``given``."""
        fields = self.fields
        unknown = set(given) - set(fields)
        assert not unknown, "AWX refuses inputs that are not fields: %s" % sorted(unknown)
        for name in self.inputs.get("required", []):
            assert given.get(name), "AWX requires %s" % name
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

    def inject(self, stored, env_dir):
        """The injection for a launch with these stored inputs; file templates are written under ``env_dir``."""
        fields = self.fields
        namespace, safe_namespace = {}, {}
        for name, value in stored.items():
            if isinstance(value, bool):
                namespace[name] = safe_namespace[name] = value
                continue
            if fields[name].get("secret"):
                safe_namespace[name] = HIDDEN
            elif value:
                safe_namespace[name] = value
            if value:
                namespace[name] = value
        for name, field in fields.items():
            if field["type"] == "boolean" and name not in stored:
                namespace[name] = safe_namespace[name] = False
        sandbox = ImmutableSandboxedEnvironment()
        files = {}
        for label, template in (self.injectors.get("file") or {}).items():
            handle, path = tempfile.mkstemp(dir=env_dir)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(sandbox.from_string(template).render(**namespace))
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
            files[None if label == "template" else label.split(".", 1)[1]] = path
        if files:
            namespace["tower"] = safe_namespace["tower"] = _Namespace(filename=self._filenames(files))
        env = {name: sandbox.from_string(template).render(**namespace)
               for name, template in (self.injectors.get("env") or {}).items()}
        safe_env = {name: sandbox.from_string(template).render(**safe_namespace)
                    for name, template in (self.injectors.get("env") or {}).items()}
        extra_vars = {name: sandbox.from_string(template).render(**namespace)
                      for name, template in (self.injectors.get("extra_vars") or {}).items()}
        return Injection(env, safe_env, extra_vars, files)


class Job:
    """What one ansible-runner run left in its artifacts."""

    def __init__(self, private_data_dir, ident, process, safe_env):
        self.private_data_dir = private_data_dir
        self.artifact_dir = os.path.join(private_data_dir, "artifacts", ident)
        self.process = process
        self.safe_env = safe_env
        self.events = []
        for path in glob.glob(os.path.join(self.artifact_dir, "job_events", "*.json")):
            with open(path, encoding="utf-8") as handle:
                self.events.append(json.load(handle))
        self.events.sort(key=lambda event: event["counter"])
        self.status = self._read("status")
        self.rc = int(self._read("rc") or -1)
        self.stdout = self._read("stdout") or ""

    def _read(self, name):
        path = os.path.join(self.artifact_dir, name)
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as handle:
            return handle.read()

    @property
    def stats(self):
        [stats] = [event["event_data"] for event in self.events if event["event"] == "playbook_on_stats"]
        return stats

    @property
    def artifacts(self):
        """What set_stats published: AWX's ``artifacts`` of the job (``{}`` when nothing was)."""
        return self.stats.get("artifact_data") or {}

    def results(self, task_name):
        """The result (``res``) of every ``runner_on_ok`` / ``runner_on_failed`` event of a task of this name."""
        return [event["event_data"]["res"] for event in self.events
                if event["event"] in ("runner_on_ok", "runner_on_failed")
                and event["event_data"].get("task") == task_name]

    def artifact_files(self):
        """(relative path, text) of every file ansible-runner wrote into the artifact directory."""
        found = []
        for folder, unused, files in os.walk(self.artifact_dir):
            for name in sorted(files):
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    found.append((os.path.relpath(path, self.artifact_dir), handle.read().decode("utf-8", "replace")))
        return found

    def __repr__(self):
        return "<Job rc=%s status=%s>\n--- stdout\n%s\n--- process\n%s" % (
            self.rc, self.status, self.stdout[-6000:], (self.process.stdout + self.process.stderr)[-3000:])


def run_job(workdir, playbook, credentials=(), extra_vars=None, job_id=1, project_path=None, verbosity=0):
    """Run ``playbook`` (a file) as AWX job ``job_id`` with ``credentials`` [(CredentialType, given inputs)].

    Returns a ``Job``. ``project_path`` is where the playbook sits in the project (its file name by default).
    """
    private_data_dir = os.path.join(workdir, "job-%d" % job_id)
    for folder in ("project", "inventory", "env"):
        os.makedirs(os.path.join(private_data_dir, folder))
    project_path = project_path or os.path.basename(playbook)
    target = os.path.join(private_data_dir, "project", project_path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copy(playbook, target)
    with open(os.path.join(private_data_dir, "inventory", "hosts"), "w", encoding="utf-8") as handle:
        handle.write(DEMO_INVENTORY)

    env_dir = os.path.join(private_data_dir, "env")
    envvars = dict(AWX_JOB_ENV, JOB_ID=str(job_id), INVENTORY_ID="1")
    safe_env = dict(envvars)
    cmdline = []
    for credential_type, given in credentials:
        injection = credential_type.inject(credential_type.store(given), env_dir)
        envvars.update(injection.env)
        safe_env.update(injection.safe_env)
        if injection.extra_vars:
            handle, path = tempfile.mkstemp(dir=env_dir)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                yaml.safe_dump(injection.extra_vars, out)
            cmdline += ["-e", "@" + path]
    if verbosity:
        cmdline.append("-" + "v" * verbosity)
    _write(os.path.join(env_dir, "envvars"), envvars)
    _write(os.path.join(env_dir, "extravars"), extra_vars or {})
    if cmdline:
        with open(os.path.join(env_dir, "cmdline"), "w", encoding="utf-8") as handle:
            handle.write(" ".join(cmdline))

    # The execution environment: its own Python and Ansible (the test venv's), the collection
    # installed in it, a home of its own, nothing else from this process's environment.
    home = os.path.join(workdir, "home-%d" % job_id)
    os.makedirs(home)
    process_env = {
        "PATH": playbook_runner.BIN_DIR + os.pathsep + "/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "ANSIBLE_COLLECTIONS_PATH": playbook_runner.collections_path(),
        "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"),
    }
    ident = str(job_id)
    process = subprocess.run([ANSIBLE_RUNNER, "run", private_data_dir, "--playbook", project_path, "--ident", ident],
                             env=process_env, capture_output=True, text=True, timeout=600, check=False)
    return Job(private_data_dir, ident, process, safe_env)


def _write(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle)


# The shipped credential types.
ZENDESK = CredentialType(os.path.join(TYPES_DIR, "zendesk"))
VAULT_KV = CredentialType(os.path.join(TYPES_DIR, "vault_kv"))


def admin_oauth_token(sim_url, session):
    """The admin's OAuth token, as the guides bootstrap it: a client, then a read+write token for it."""
    answer = session.post(sim_url + "/api/v2/oauth/clients", json={"client": {
        "name": "Ansible automation", "identifier": "ansible_automation", "kind": "confidential"}})
    assert answer.status_code == 201, answer.text
    answer = session.post(sim_url + "/api/v2/oauth/tokens", json={"token": {
        "client_id": answer.json()["client"]["id"], "scopes": ["read", "write"]}})
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]["full_token"]


# A stand-in for any awx.awx module: it appends the arguments it was given to $AWX_STUB_RECORD (one
# JSON line per call) and reports a change. WANT_JSON: Ansible hands it its arguments as a JSON file.
STUB_MODULE = textwrap.dedent('''\
    #!/usr/bin/python
    # WANT_JSON
    # Test stand-in of an awx.awx module: records the arguments it was given.
    from __future__ import annotations

    import json
    import os
    import sys

    with open(sys.argv[1]) as handle:
        args = dict((k, v) for k, v in json.load(handle).items() if not k.startswith("_ansible"))
    with open(os.environ["AWX_STUB_RECORD"], "a") as handle:
        handle.write(json.dumps({"module": "MODULE_NAME", "args": args}) + "\\n")
    print(json.dumps({"changed": True}))
    ''')
AWX_MODULES = ("credential_type", "credential", "project", "job_template", "workflow_job_template", "schedule")


def awx_stub_collection(root):
    """A stand-in awx.awx collection under ``root``; returns the collections path to use."""
    stub = root / "ansible_collections" / "awx" / "awx"
    (stub / "plugins" / "modules").mkdir(parents=True)
    (stub / "meta").mkdir()
    (stub / "meta" / "runtime.yml").write_text("requires_ansible: '>=2.15.0'\n", encoding="utf-8")
    for module in AWX_MODULES:
        (stub / "plugins" / "modules" / (module + ".py")).write_text(STUB_MODULE.replace("MODULE_NAME", module),
                                                                     encoding="utf-8")
    return os.pathsep.join([str(root), playbook_runner.collections_path()])


def run_with_awx_stubs(playbook, tmp_path, extra_vars=None):
    """Run ``playbook`` with the stand-in awx.awx; returns [(module, args)] of every call, in order."""
    record = tmp_path / "awx-calls.jsonl"
    result = playbook_runner.run_playbook(playbook, str(tmp_path), extra_vars=extra_vars, env={
        "ANSIBLE_COLLECTIONS_PATH": awx_stub_collection(tmp_path / "stub_collections"),
        "AWX_STUB_RECORD": str(record),
    })
    assert result.rc == 0, result
    calls = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    return [(call["module"], call["args"]) for call in calls]
