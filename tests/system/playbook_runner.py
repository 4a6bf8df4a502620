# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run ansible-playbook (and the modules themselves) from the system tests.

One place that knows how to start Ansible on this machine:

- the ``ansible-playbook`` next to the running Python (the test venv), never a pyenv shim;
- ``ANSIBLE_PYTHON_INTERPRETER`` = that Python (interpreter discovery picks a broken shim);
- ``ANSIBLE_COLLECTIONS_PATH``: the environment's when set, else a temporary
  ``ansible_collections/zendesk/oauth`` symlink to this repository;
- no ``ZENDESK_*`` variables leak in from the caller's environment (a test sets its own);
- ``ANSIBLE_HOME`` / ``ANSIBLE_LOCAL_TEMP`` under the test's own directory, so every file
  Ansible writes can be inspected (tests/system/test_secret_hygiene.py does);
- ``stdout_callback="json"`` selects the test-only JSON callback in ``callback_plugins/``
  (ansible-core ships none) and parses its document into ``PlaybookResult.json``.

``run_module`` runs one module as its own process, the way Ansible's AnsiballZ does in the
end (``python module.py args.json``), minus the playbook overhead: the soak uses it to
converge many times within its time budget.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CALLBACK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins")
PYTHON = sys.executable
BIN_DIR = os.path.dirname(PYTHON)
ANSIBLE_PLAYBOOK = os.path.join(BIN_DIR, "ansible-playbook")
ANSIBLE_VAULT = os.path.join(BIN_DIR, "ansible-vault")

_collections_root = None


def collections_path():
    """A directory that holds ``ansible_collections/zendesk/oauth`` (this repository)."""
    global _collections_root  # pylint: disable=global-statement
    configured = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or os.environ.get("ANSIBLE_COLLECTIONS_PATHS")
    if configured:
        return configured
    if _collections_root is None:
        root = tempfile.mkdtemp(prefix="zendesk-oauth-collections-")
        atexit.register(shutil.rmtree, root, True)
        namespace = os.path.join(root, "ansible_collections", "zendesk")
        os.makedirs(namespace)
        os.symlink(REPO, os.path.join(namespace, "oauth"))
        _collections_root = root
    return _collections_root


def ansible_env(home, extra=None, stdout_callback=None):
    """The environment of an Ansible process whose private files all live under ``home``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("ZENDESK_") and not key.startswith("ANSIBLE_")}
    env.update({
        "PATH": BIN_DIR + os.pathsep + env.get("PATH", ""),
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_PYTHON_INTERPRETER": PYTHON,
        "ANSIBLE_HOME": os.path.join(home, "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": os.path.join(home, "ansible-tmp"),
        "ANSIBLE_REMOTE_TEMP": os.path.join(home, "ansible-remote-tmp"),
        "ANSIBLE_CALLBACK_PLUGINS": CALLBACK_DIR,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_GATHERING": "explicit",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    if stdout_callback:
        env["ANSIBLE_STDOUT_CALLBACK"] = stdout_callback
    env.update(extra or {})
    return env


class PlaybookResult:
    """What one ansible-playbook run left: exit code, output, and the JSON document if asked for."""

    def __init__(self, args, returncode, stdout, stderr, json_output):
        self.args = args
        self.rc = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.json = json_output

    @property
    def output(self):
        return self.stdout + "\n" + self.stderr

    def task_results(self, host="localhost"):
        """[(task name, result dict)] of every task that ran on ``host`` (json callback only)."""
        found = []
        for play in (self.json or {}).get("plays", []):
            for task in play["tasks"]:
                if host in task["hosts"]:
                    found.append((task["task"]["name"], task["hosts"][host]))
        return found

    def result(self, name, host="localhost"):
        """The result of the last task called ``name``."""
        matches = [res for task_name, res in self.task_results(host) if task_name == name]
        assert matches, "no task %r ran; tasks: %s\n%s" % (name, [task for task, unused in self.task_results(host)], self.output)
        return matches[-1]

    def __repr__(self):
        return "<PlaybookResult rc=%s>\n--- stdout\n%s\n--- stderr\n%s" % (self.rc, self.stdout[-6000:],
                                                                           self.stderr[-3000:])


def play(tasks, connection=None, vars=None, name="system test", roles=None):  # pylint: disable=redefined-builtin
    """One play on the implicit localhost; ``connection`` goes into module_defaults of the zendesk group."""
    doc = {
        "name": name,
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": dict({"ansible_python_interpreter": "{{ ansible_playbook_python }}"}, **(vars or {})),
        "tasks": list(tasks),
    }
    if connection:
        doc["module_defaults"] = {"group/zendesk.oauth.zendesk": dict(connection)}
    if roles:
        doc["roles"] = list(roles)
    return doc


def write_playbook(directory, plays, name="playbook.yml"):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(list(plays), handle, sort_keys=False)
    return path


def playbook_command(playbook, extra_vars=None, verbosity=0, check=False, diff=False, extra_args=(), python=None):
    args = [os.path.join(os.path.dirname(python), "ansible-playbook") if python else ANSIBLE_PLAYBOOK, playbook]
    if extra_vars:
        args += ["-e", json.dumps(extra_vars)]
    if verbosity:
        args.append("-" + "v" * verbosity)
    if check:
        args.append("--check")
    if diff:
        args.append("--diff")
    return args + list(extra_args)


def start_playbook(playbook, home, extra_vars=None, env=None, stdout_callback="json", verbosity=0, extra_args=(),
                   cwd=None, python=None):
    """Start ansible-playbook without waiting (for concurrent runs); finish it with ``finish``.

    python: the Python of another ansible-core install (its venv's ansible-playbook runs, on it), else this one.
    """
    args = playbook_command(playbook, extra_vars, verbosity, extra_args=extra_args, python=python)
    env = dict(env or {})
    if python:
        env.setdefault("ANSIBLE_PYTHON_INTERPRETER", python)
        env.setdefault("PATH", os.path.dirname(python) + os.pathsep + os.environ.get("PATH", ""))
    process = subprocess.Popen(args, cwd=cwd or home, env=ansible_env(home, env, stdout_callback),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout_callback = stdout_callback
    process.cmd_args = args
    return process


def finish(process, timeout=300):
    stdout, stderr = process.communicate(timeout=timeout)
    parsed = None
    if process.stdout_callback == "json":
        parsed = _parse_json_document(stdout)
    return PlaybookResult(process.cmd_args, process.returncode, stdout, stderr, parsed)


def run_playbook(playbook, home, extra_vars=None, env=None, stdout_callback="json", verbosity=0, extra_args=(),
                 timeout=300, cwd=None, python=None):
    """Run ansible-playbook to the end; ``playbook`` is a path or a list of plays (written under ``home``)."""
    if not isinstance(playbook, str):
        playbook = write_playbook(home, playbook)
    process = start_playbook(playbook, home, extra_vars, env, stdout_callback, verbosity, extra_args, cwd, python)
    return finish(process, timeout)


def _parse_json_document(stdout):
    """The JSON document the json callback prints (warnings may come before it on stdout)."""
    start = stdout.find("{\n")
    if start < 0:
        return None
    try:
        return json.loads(stdout[start:])
    except ValueError:
        return None


def run_module(module, args, workdir, timeout=120, env=None):
    """Run plugins/modules/<module>.py as its own process with ``args``; returns its JSON result.

    The arguments file lives under ``workdir`` only while the module runs (it holds credentials).
    """
    args_path = os.path.join(workdir, ".module-args.json")
    fd = os.open(args_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    try:
        process_env = {key: value for key, value in os.environ.items() if not key.startswith("ZENDESK_")}
        process_env["PYTHONPATH"] = collections_path()
        process_env.update(env or {})
        module_file = os.path.join(collections_path().split(os.pathsep)[0], "ansible_collections", "zendesk", "oauth",
                                   "plugins", "modules", module + ".py")
        done = subprocess.run([PYTHON, module_file, args_path],
                              cwd=workdir, env=process_env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    finally:
        os.unlink(args_path)
    try:
        result = json.loads(done.stdout)
    except ValueError:
        raise AssertionError("module %s printed no JSON (rc=%s):\n%s\n%s"
                             % (module, done.returncode, done.stdout, done.stderr)) from None
    result["warnings"] = [_warning_text(w) for w in result.get("warnings") or []]
    return result


def _warning_text(warning):
    """Warnings of a module run outside Ansible: plain strings, or 2.19+ WarningSummary dicts."""
    if isinstance(warning, dict):
        event = warning.get("event") or warning
        return event.get("msg") or json.dumps(warning)
    return str(warning)


def vault_decrypt(path, password):
    """The plaintext of an Ansible Vault file, decrypted with ansible's own library (None if not vault)."""
    from ansible.parsing.vault import VaultLib, VaultSecret  # pylint: disable=import-outside-toplevel
    with open(path, "rb") as handle:
        data = handle.read()
    vault = VaultLib([("default", VaultSecret(password.encode("utf-8")))])
    return vault.decrypt(data).decode("utf-8")


def vault_encrypt(plaintext, password):
    from ansible.parsing.vault import VaultLib, VaultSecret  # pylint: disable=import-outside-toplevel
    vault = VaultLib([("default", VaultSecret(password.encode("utf-8")))])
    return vault.encrypt(plaintext.encode("utf-8"))


# -- what the tests check in the simulator ---------------------------------------------------
ADMIN_EMAIL = "admin@example.com"
ADMIN_API_TOKEN = "sim-admin-api-token-0123456789abcdef"  # the simulator's seeded admin (tests/simulator/README.md)


def admin_connection(url, **extra):
    """Connection options of the simulator's seeded admin (Basic auth with its API token)."""
    return dict({"url": url, "email": ADMIN_EMAIL, "api_token": ADMIN_API_TOKEN}, **extra)


def clients_named(state, identifier):
    """Every client in the simulator's state with this identifier."""
    return [client for client in state["clients"] if client["identifier"] == identifier]


def live_tokens(state, client_id):
    """The simulator's live tokens of one client."""
    return [token for token in state["tokens"] if token["client_id"] == client_id]


def module_utils(name):
    """Import plugins/module_utils/<name> of this collection (for python-level tests of the API client)."""
    import importlib  # pylint: disable=import-outside-toplevel
    root = collections_path().split(os.pathsep)[0]
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module("ansible_collections.zendesk.oauth.plugins.module_utils." + name)
