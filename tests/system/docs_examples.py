# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The examples of the documentation, as a reader copies them: extraction and classification.

``collect()`` reads, in this order, every place a reader copies YAML from:

- ``README.md`` and every role's ``README.md``: fenced blocks marked ``yaml`` (or ``yml``, ``yaml+jinja``);
- ``docs/docsite/rst/*.rst``: ``.. code-block:: yaml`` (or ``yaml+jinja``, ``yml``) blocks;
- ``plugins/modules/*.py``: the ``EXAMPLES`` block, split into groups of top-level tasks. A task that
  uses a variable an earlier task registers joins that task's group (with every task in between), so a
  group is what a reader copies together ("mint", then "store what was minted").

Each example is a ``Snippet``. Its kind says how tests/system/test_docs_examples.py runs it:

- ``playbook``: a list of plays, run as it is;
- ``tasks``: a list of tasks, run as the tasks of a play on localhost;
- ``roles``: a list of ``- role:`` entries, run as the roles of a play on localhost;
- ``context``: a mapping of play keywords (``module_defaults``, ``vars``, ``environment``): the play
  around the ``tasks`` and ``roles`` snippets that follow it in the same document, as the text around it
  says ("the module examples set the connection once"); it is also checked on its own with one
  read-only task of the collection under it;
- ``skip``: marked in the document, with the reason, as not meant to run (see below).

A block that is none of these must be marked. The marker sits on the lines just before the block,
where readers do not see it:

- reStructuredText: a comment ``.. docs-test: skip (reason)``;
- Markdown: ``<!-- docs-test: skip (reason) -->``;
- module EXAMPLES: a YAML comment ``# docs-test: skip (reason)`` before the task.

``python tests/system/docs_examples.py`` prints the inventory: each example with its kind.
"""

from __future__ import annotations

import ast
import glob
import os
import re
import textwrap

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
YAML_LANGUAGES = ("yaml", "yml", "yaml+jinja")
PLAY_KEYWORDS = {"module_defaults", "vars", "environment"}
RAW_EXPRESSION_KEYWORDS = {"when", "failed_when", "changed_when", "until", "that"}
MARKER = re.compile(r"docs-test:\s*skip\s*(?P<reason>.*?)\s*(?:-->)?\s*$")


class Snippet:
    """One example: where it is (document, 1-based line of its first line), its text and its kind."""

    def __init__(self, document, line, text, marker=None):
        self.document = document
        self.line = line
        self.text = text
        self.marker = marker  # None, or ("skip", reason)
        self.index = None  # 1-based position in the document, set by collect()
        self.data = None
        self.error = None
        self.kind = self._classify()

    def _classify(self):
        if self.marker:
            return self.marker[0]
        try:
            self.data = yaml.safe_load(self.text)
        except yaml.YAMLError as exc:
            self.error = "not YAML: %s" % exc
            return "unknown"
        data = self.data
        if isinstance(data, dict) and data and set(data) <= PLAY_KEYWORDS:
            return "context"
        if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
            if all("hosts" in item for item in data):
                return "playbook"
            if all("role" in item for item in data):
                return "roles"
            if not any("hosts" in item or "role" in item for item in data):
                return "tasks"
        self.error = "neither plays, tasks, role entries nor play keywords"
        return "unknown"

    @property
    def reason(self):
        return self.marker[1] if self.marker else None

    @property
    def name(self):
        """The name of its first play or task (how the mapping file names a snippet), else ''."""
        if isinstance(self.data, list) and self.data and isinstance(self.data[0], dict):
            return str(self.data[0].get("name") or self.data[0].get("role") or "")
        return ""

    @property
    def where(self):
        return "%s:%d" % (self.document, self.line)

    def __repr__(self):
        return "<Snippet %s %s %r>" % (self.where, self.kind, self.name)


def _marker_before(lines, index, comment):
    """The docs-test marker on the non-blank lines just above ``lines[index]``, if any."""
    position = index - 1
    while position >= 0 and not lines[position].strip():
        position -= 1
    while position >= 0 and lines[position].strip():
        text = lines[position].strip()
        if not text.startswith(comment):
            return None
        found = MARKER.search(text)
        if found:
            return _marker(found)
        position -= 1
    return None


def _marker(found):
    """("skip", the reason without its parentheses); an empty reason stays empty (a test fails on it)."""
    reason = found.group("reason")
    return ("skip", reason[1:-1].strip() if reason.startswith("(") and reason.endswith(")") else reason)


def markdown_snippets(document):
    with open(os.path.join(REPO, document), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    snippets = []
    index = 0
    while index < len(lines):
        fence = re.match(r"^(\s*)```\s*(\S*)\s*$", lines[index])
        if not fence:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not re.match(r"^\s*```\s*$", lines[end]):
            end += 1
        if fence.group(2).lower() in YAML_LANGUAGES:
            text = textwrap.dedent("\n".join(lines[index + 1:end])) + "\n"
            snippets.append(Snippet(document, index + 2, text, _marker_before(lines, index, "<!--")))
        index = end + 1
    return snippets


def rst_snippets(document):
    with open(os.path.join(REPO, document), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    snippets = []
    for index, line in enumerate(lines):
        directive = re.match(r"^(\s*)\.\. code-block::\s*(\S+)\s*$", line)
        if not directive or directive.group(2).lower() not in YAML_LANGUAGES:
            continue
        indent = len(directive.group(1))
        body = []
        end = index + 1
        while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
            body.append(lines[end])
            end += 1
        first = next(number for number, text in enumerate(body) if text.strip())
        text = textwrap.dedent("\n".join(body[first:]).rstrip()) + "\n"
        snippets.append(Snippet(document, index + 2 + first, text, _marker_before(lines, index, "..")))
    return snippets


def module_examples(document):
    """The EXAMPLES block of a module, as groups of top-level tasks (see the module docstring)."""
    path = os.path.join(REPO, document)
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "EXAMPLES" for target in node.targets):
            text, first_line = node.value.value, node.value.lineno
            break
    else:
        return []
    lines = text.split("\n")
    tasks = yaml.compose(text)
    if tasks is None:
        return []
    # each top-level task: [first line (0-based in text), last line (exclusive), registered var, text]
    items = []
    for position, task in enumerate(tasks.value):
        start = task.start_mark.line
        # comment lines just above a task belong to it (they explain it, and may hold a marker)
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        end = tasks.value[position + 1].start_mark.line if position + 1 < len(tasks.value) else len(lines)
        while end > 0 and lines[end - 1].lstrip().startswith("#") and position + 1 < len(tasks.value):
            end -= 1
        items.append([start, end])
    for position in range(1, len(items)):
        items[position][0] = max(items[position][0], items[position - 1][1])
    registered, expressions = [], []
    for start, end in items:
        task = yaml.safe_load("\n".join(lines[start:end]))[0]
        registered.append(task.get("register") if isinstance(task, dict) else None)
        expressions.append("\n".join(_expressions(task)))
    # group: a task joins the group of the earliest earlier task whose registered variable it uses
    group_of = list(range(len(items)))
    for position in range(len(items)):
        for earlier in range(position):
            name = registered[earlier]
            if name and re.search(r"\b%s\b" % re.escape(name), expressions[position]):
                first = group_of[earlier]
                for member in range(first, position + 1):
                    group_of[member] = min(group_of[member], first)
                break
    snippets = []
    position = 0
    while position < len(items):
        last = position
        while last + 1 < len(items) and group_of[last + 1] == group_of[position]:
            last += 1
        start, end = items[position][0], items[last][1]
        marker = None
        for text_line in lines[start:end]:
            found = MARKER.search(text_line) if text_line.lstrip().startswith("#") else None
            if found:
                marker = _marker(found)
        body = "\n".join(lines[start:end]).strip("\n") + "\n"
        task_line = tasks.value[position].start_mark.line
        snippets.append(Snippet(document, first_line + task_line, body, marker))
        position = last + 1
    return snippets


def _expressions(value, raw=False):
    """The Jinja expressions in a task: ``{{ ... }}`` in its strings, and the whole of ``when:``-like keywords."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _expressions(item, key in RAW_EXPRESSION_KEYWORDS)
    elif isinstance(value, list):
        for item in value:
            yield from _expressions(item, raw)
    elif isinstance(value, str):
        if raw:
            yield value
        else:
            yield from re.findall(r"\{\{(.*?)\}\}", value, re.S)


def documents():
    """Every document with examples, in the order the test runs them."""
    found = ["README.md"]
    found += sorted(os.path.relpath(path, REPO) for path in glob.glob(os.path.join(REPO, "roles/*/README.md")))
    found += sorted(os.path.relpath(path, REPO) for path in glob.glob(os.path.join(REPO, "docs/docsite/rst/*.rst")))
    found += sorted(os.path.relpath(path, REPO) for path in glob.glob(os.path.join(REPO, "plugins/modules/*.py")))
    return found


def snippets_of(document):
    if document.endswith(".md"):
        found = markdown_snippets(document)
    elif document.endswith(".rst"):
        found = rst_snippets(document)
    else:
        found = module_examples(document)
    for index, snippet in enumerate(found, 1):
        snippet.index = index
    return found


def collect():
    """{document: [Snippet, ...]} for every document, in order."""
    return {document: snippets_of(document) for document in documents()}


def main():
    total = 0
    for document, snippets in collect().items():
        kinds = {}
        for snippet in snippets:
            kinds[snippet.kind] = kinds.get(snippet.kind, 0) + 1
        total += len(snippets)
        print("%s: %d (%s)" % (document, len(snippets), ", ".join("%s %d" % item for item in sorted(kinds.items()))))
        for snippet in snippets:
            detail = snippet.reason or snippet.error or snippet.name
            print("  %4d  %-9s %s" % (snippet.line, snippet.kind, detail))
    print("total: %d" % total)


if __name__ == "__main__":
    main()
