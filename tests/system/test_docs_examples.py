# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every example of the documentation runs, as a reader copies it, and loses no token.

tests/system/docs_examples.py finds the examples (the README's, the role README's, the guides' and the
modules' EXAMPLES); tests/system/docs_examples.yml says what a reader is expected to have and what the
examples claim. ``test_examples_of[<document>]`` runs one document: a fresh simulated account, then each
example as its own ansible-playbook, in document order. After each one it checks, from the simulator's
and OpenBao's own state (never from what the example reports):

- the example succeeded;
- no token is lost: every live token that never expires, or that carries a refresh token, is held by
  someone: its value is in a file on the reader's disk (the document's temp dir, Ansible Vault files
  decrypted), in a KV secret, or in a variable the reader has;
- the account's admin OAuth token still works (an example that hard-codes an id revokes it);
- what the mapping says the example claims: the stored token works, was kept, was replaced (and the
  old one revoked), or was revoked; a field of a task's result.

All problems of a document are reported together, each with the example's file and line.
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest
import requests
import yaml

import docs_examples
import playbook_runner

MAPPING_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "docs_examples.yml")
with open(MAPPING_FILE, encoding="utf-8") as _handle:
    MAPPING = yaml.safe_load(_handle)
SNIPPETS = docs_examples.collect()
RUNNABLE = ("playbook", "tasks", "roles", "context")
# Zendesk ids: users 36..., clients 90..., tokens 91..., global clients 92... (twelve digits)
HARD_CODED_ID = re.compile(r"\b(?:36|9[0-2])\d{10}\b")
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.\-]+)\}")
KV_MOUNT = "secret"


# -- the mapping: placeholders, paths, locations ---------------------------------------------------------
def lookup(context, dotted):
    value = context
    for part in dotted.split("."):
        if isinstance(value, list):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value[part]
        else:
            raise KeyError(dotted)
    return value


def fill(value, context):
    """``value`` with its ${...} placeholders filled from ``context`` (a lone placeholder keeps its type)."""
    if isinstance(value, dict):
        return {key: fill(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, context) for item in value]
    if not isinstance(value, str):
        return value
    whole = PLACEHOLDER.fullmatch(value)
    if whole:
        return lookup(context, whole.group(1))
    return PLACEHOLDER.sub(lambda found: str(lookup(context, found.group(1))), value)


def replace(value, context):
    """The reader's account and disk in ``value`` (text, or strings inside lists and dicts) made the test's."""
    if isinstance(value, dict):
        return {key: replace(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [replace(item, context) for item in value]
    if not isinstance(value, str):
        return value
    for rule in MAPPING["replace"]:
        value = value.replace(rule["text"], rule["with"])
    return fill(value, context)


def local_path(path, context):
    path = replace(path, context)
    if path.startswith("~/"):
        return os.path.join(context["home"], path[2:])
    return os.path.join(context["root"], path)  # an absolute path stays as it is


def read_store_file(path, password):
    """The text of a file, Ansible Vault decrypted (None when there is no file)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    if data.startswith(b"$ANSIBLE_VAULT"):
        try:
            return playbook_runner.vault_decrypt(path, password)
        except Exception:  # pylint: disable=broad-except  # another password: nothing a reader can read
            return ""
    return data.decode("utf-8", "replace")


class DocumentRun:
    """One document's examples, run in order in a fresh account; ``problems`` collects what went wrong."""

    def __init__(self, document, sim, root, request):
        self.document = document
        self.sim = sim
        self.spec = MAPPING["documents"].get(document) or {}
        self.root = str(root)
        self.private = os.path.join(self.root, ".docs-test")  # not the reader's disk: Ansible's files, the vars
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.private)
        os.makedirs(self.home)
        self.bao = request.getfixturevalue("openbao") if self.spec.get("openbao") else None
        self.context = {"url": sim.url, "root": self.root, "home": self.home,
                        "vault_password": MAPPING["vault_password"], "client_secret": MAPPING["client_secret"]}
        if self.bao:
            self.context["openbao"] = {"url": self.bao.url, "root_token": self.bao.root_token}
        self.problems = []
        self.play_context = {}
        self.vars = {}
        self.env = {}
        self.ran = 0

    # -- the account and the reader's disk --------------------------------------------------------------
    def prepare(self):
        account = MAPPING["account"]
        self.sim.control.reset(config=account["config"])
        self.context["account"] = self.sim.control.seed(**fill(account["seed"], self.context))
        for directory in MAPPING["directories"]:
            os.makedirs(local_path(directory, self.context), exist_ok=True)
        for path, content in MAPPING["files"].items():
            self.write(local_path(path, self.context), fill(content, self.context))
        if self.bao:
            for path in self.spec.get("kv_paths", []):
                self.bao.request("DELETE", "/v1/%s/metadata/%s" % (KV_MOUNT, path), check=False)
        for step in self.spec.get("given", []):
            self.given(step)
        self.vars = replace(dict(MAPPING["vars"], **self.spec.get("vars", {})), self.context)
        vars_file = os.path.join(self.private, "vars.json")
        with open(vars_file, "w", encoding="utf-8") as handle:
            json.dump(self.vars, handle)
        self.env = {"HOME": self.home}
        for name in self.spec.get("environment", []):
            self.env.update(fill(MAPPING["environments"][name], self.context))

    def given(self, step):
        if "seed" in step:
            self.context[step["seed"]] = self.sim.control.seed(**fill(step["body"], self.context))
        elif "file" in step:
            content = fill(step["content"], self.context)
            if not isinstance(content, str):
                content = yaml.safe_dump(content, sort_keys=False)
            if step.get("vault"):
                content = playbook_runner.vault_encrypt(content, MAPPING["vault_password"]).decode("ascii")
            self.write(local_path(step["file"], self.context), content)
        elif "kv_secret" in step:
            self.bao.write_secret(KV_MOUNT, step["kv_secret"], fill(step["data"], self.context))
        elif "approle" in step:
            self.context["approle"] = self.bao.approle(step["approle"], step["paths"])
        else:
            raise AssertionError("%s: unknown given step %r" % (MAPPING_FILE, step))

    @staticmethod
    def write(path, content):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(path, 0o600)

    # -- running an example ------------------------------------------------------------------------------
    def plays(self, snippet):
        data = yaml.safe_load(replace(snippet.text, self.context))
        if snippet.kind == "playbook":
            return data
        play = {"name": "docs example %s" % snippet.where, "hosts": "localhost", "gather_facts": False}
        if snippet.kind == "context":
            # a fragment of play keywords, checked with one read-only task of the collection under it
            play.update(data)
            play["tasks"] = [{"name": "context", "zendesk.oauth.zendesk_oauth_client_info": {}}]
            return [play]
        play.update(self.play_context)
        play["roles" if snippet.kind == "roles" else "tasks"] = data
        return [play]

    def run(self, snippet):
        plays = self.plays(snippet)
        if snippet.kind == "context":
            self.play_context = yaml.safe_load(replace(snippet.text, self.context))
        self.ran += 1
        playbook = playbook_runner.write_playbook(self.root, plays, name="example-%02d.yml" % snippet.index)
        args = ["-e", "@" + os.path.join(self.private, "vars.json"),
                "--vault-password-file", local_path(MAPPING["vault_password_file"], self.context)]
        for path in self.spec.get("vars_files", []):
            if os.path.exists(local_path(path, self.context)):
                args += ["-e", "@" + local_path(path, self.context)]
        return playbook_runner.run_playbook(playbook, self.private, env=self.env, extra_args=args, cwd=self.root)

    # -- what the reader holds -----------------------------------------------------------------------------
    def store_texts(self):
        texts = [json.dumps(self.vars)]
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [name for name in dirs if os.path.join(folder, name) != self.private]
            for name in files:
                text = read_store_file(os.path.join(folder, name), MAPPING["vault_password"])
                if text:
                    texts.append(text)
        if self.bao:
            for path in self.spec.get("kv_paths", []):
                texts.append(json.dumps(self.bao.read_secret(KV_MOUNT, path).data))
        return texts

    def location(self, where):
        """The value at a claim's LOCATION now (see docs_examples.yml), None when there is none."""
        kind, unused, rest = where.partition(":")
        path, unused, key = rest.partition("#")
        if kind == "var":
            try:
                return lookup(self.vars, path)
            except (KeyError, IndexError):
                return None
        if kind == "kv":
            data = self.bao.read_secret(KV_MOUNT, path).data or {}
            return data.get(key)
        if kind != "file":
            raise AssertionError("%s: unknown location %r" % (MAPPING_FILE, where))
        text = read_store_file(local_path(path, self.context), MAPPING["vault_password"])
        if text is None or not key:
            return text.strip() if text else None
        data = yaml.safe_load(text)
        return data.get(key) if isinstance(data, dict) else None

    # -- the checks ------------------------------------------------------------------------------------------
    def claims_of(self, snippet):
        examples = self.spec.get("examples") or {}
        return examples.get("context" if snippet.kind == "context" else snippet.name) or []

    def snapshot(self, claims):
        before = {}
        for claim in claims:
            for kind, where in claim.items():
                if kind != "result":
                    where = where[len("before:"):] if where.startswith("before:") else where
                    before[where] = self.location(where)
        return before

    def check(self, snippet, result, claims, before):
        problems = []
        if result.rc != 0:
            problems.append("failed (rc=%s): %s" % (result.rc, failure_text(result)))
        state = self.sim.control.state()
        live = {token["full_token"]: token for token in state["tokens"] if not token["expired"]}
        problems += self.lost_tokens(live)
        admin_token = self.context["account"]["tokens"][0]["full_token"]
        if not works(self.sim, admin_token):
            problems.append("the account's admin OAuth token (id %s) no longer works"
                            % self.context["account"]["tokens"][0]["id"])
        for claim in claims:
            for kind, where in claim.items():
                problems += self.check_claim(kind, where, before, state, result)
        for problem in problems:
            self.problems.append("%s (%s %r): %s" % (snippet.where, snippet.kind, snippet.name, problem))

    def lost_tokens(self, live):
        texts = self.store_texts()
        lost = []
        for value, token in sorted(live.items(), key=lambda item: item[1]["id"]):
            standing = token["expires_at"] is None or token["refresh_token"]
            held = any(value in text or (token["refresh_token"] and token["refresh_token"] in text) for text in texts)
            if standing and not held:
                lost.append("token %s (client %s, scopes %s) is live and nobody holds it: lost"
                            % (token["id"], token["client_id"], token["scopes"]))
        return lost

    def check_claim(self, kind, where, before, state, result):
        if kind == "result":
            expected = fill(where["equals"], self.context)
            outcomes = [outcome for name, outcome in result.task_results() if name == where["task"]]
            if not outcomes:
                return ["claim result %s of %r: that task did not run" % (where["path"], where["task"])]
            try:
                actual = lookup(outcomes[-1], where["path"])
            except (KeyError, IndexError):
                actual = None
            return [] if actual == expected else ["claim result %s of %r: %r, not %r"
                                                  % (where["path"], where["task"], actual, expected)]
        if where.startswith("before:"):
            where = where[len("before:"):]
            now = before.get(where)
        else:
            now = self.location(where)
        if now is None:
            return ["claim %s %s: nothing there" % (kind, where)]
        if kind == "works":
            return [] if works(self.sim, now) else ["claim works %s: the token there does not work" % where]
        if kind == "kept":
            return [] if now == before[where] else ["claim kept %s: another token is there now" % where]
        if kind == "replaced":
            if now == before[where]:
                return ["claim replaced %s: the same token is still there" % where]
            if before[where] is None:
                return ["claim replaced %s: there was no token before" % where]
            return [] if revoked(state, before[where]) else \
                ["claim replaced %s: the token that was there before is still live" % where]
        if kind == "revoked":
            return [] if revoked(state, now) else ["claim revoked %s: that token is live" % where]
        raise AssertionError("%s: unknown claim %r" % (MAPPING_FILE, kind))


def works(sim, full_token):
    answer = requests.get(sim.url + "/api/v2/oauth/tokens/current",
                          headers={"Authorization": "Bearer %s" % full_token}, timeout=30)
    return answer.status_code == 200


def revoked(state, token):
    """Whether a token (its value, or its id) is revoked (and not live)."""
    field = "id" if isinstance(token, int) else "full_token"
    return (any(item[field] == token for item in state["revoked_tokens"])
            and not any(item[field] == token for item in state["tokens"]))


def failure_text(result):
    """What the failed task said, else Ansible's error, else the end of the output."""
    for name, outcome in result.task_results():
        if outcome.get("failed") or outcome.get("unreachable"):
            return "task %r: %s" % (name, outcome.get("msg") or outcome.get("censored") or outcome)
    output = result.stdout + "\n" + result.stderr
    start = output.find("[ERROR]")
    return output[start:start + 1500].strip() if start >= 0 else output[-1500:].strip()


# -- the tests -----------------------------------------------------------------------------------------------
def runnable_documents():
    return [doc for doc, snippets in SNIPPETS.items() if any(s.kind in RUNNABLE for s in snippets)]


@pytest.mark.parametrize("document", runnable_documents())
def test_examples_of(document, sim, tmp_path, request):
    run = DocumentRun(document, sim, tmp_path, request)
    run.prepare()
    started = time.monotonic()
    for snippet in SNIPPETS[document]:
        if snippet.kind not in RUNNABLE:
            continue
        claims = run.claims_of(snippet)
        before = run.snapshot(claims)
        result = run.run(snippet)
        run.check(snippet, result, claims, before)
    print("%s: %d examples run in %.1f s" % (document, run.ran, time.monotonic() - started))
    assert not run.problems, "\n".join(["%d problem(s) in the examples of %s:" % (len(run.problems), document)]
                                       + run.problems)


SKIPPED = [snippet for snippets in SNIPPETS.values() for snippet in snippets if snippet.kind == "skip"]


@pytest.mark.parametrize("snippet", SKIPPED, ids=[snippet.where for snippet in SKIPPED])
def test_skipped_example(snippet):
    """Each example marked as not meant to run, with its reason: pytest lists them (-rs), so skips stay visible."""
    assert snippet.reason, "%s: a docs-test skip needs a reason in parentheses" % snippet.where
    pytest.skip("%s: %s" % (snippet.where, snippet.reason))


def test_every_example_is_run_or_skipped_with_a_reason():
    problems = []
    for snippets in SNIPPETS.values():
        for snippet in snippets:
            if snippet.kind == "unknown":
                problems.append("%s: %s; mark it `docs-test: skip (reason)` if it is not meant to run"
                                % (snippet.where, snippet.error))
    assert not problems, "\n".join(problems)


def test_the_mapping_names_existing_examples():
    """A claim whose example was renamed would silently check nothing: every name must match one example."""
    problems = []
    for document, spec in MAPPING["documents"].items():
        if document not in SNIPPETS:
            problems.append("%s: no such document" % document)
            continue
        names = [snippet.name for snippet in SNIPPETS[document] if snippet.kind in ("playbook", "tasks", "roles")]
        names += ["context"] * sum(1 for snippet in SNIPPETS[document] if snippet.kind == "context")
        for name in (spec or {}).get("examples") or {}:
            if names.count(name) != 1:
                problems.append("%s: %d examples are named %r" % (document, names.count(name), name))
    assert not problems, "\n".join(problems)


def test_no_example_hard_codes_an_id():
    """A fresh account gives its ids to other things: an example that names one acts on someone else's."""
    found = ["%s: %s" % (snippet.where, ", ".join(sorted(set(HARD_CODED_ID.findall(snippet.text)))))
             for snippets in SNIPPETS.values() for snippet in snippets if HARD_CODED_ID.search(snippet.text)]
    assert not found, "examples that hard-code Zendesk ids (look them up, or use a registered result):\n" + \
        "\n".join(found)
