# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action group ``zendesk.oauth.zendesk`` lists every module of the collection, and only them.

``module_defaults: {group/zendesk.oauth.zendesk: {...}}`` silently skips a module that is not in
the group: the task then runs without the connection options and fails far from the cause. So a
new module must join the group in meta/runtime.yml and say so in its documentation.

Reads the files only (no Ansible import): meta/runtime.yml, each module's DOCUMENTATION and the doc
fragments it extends.
"""

from __future__ import annotations

import ast
import os

import pytest

yaml = pytest.importorskip("yaml")

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES_DIR = os.path.join(COLLECTION_ROOT, "plugins", "modules")
RUNTIME_FILE = os.path.join(COLLECTION_ROOT, "meta", "runtime.yml")
GALAXY_FILE = os.path.join(COLLECTION_ROOT, "galaxy.yml")
GROUP = "zendesk"


def collection_name():
    with open(GALAXY_FILE, encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    return "%s.%s" % (galaxy["namespace"], galaxy["name"])


FQCN_PREFIX = collection_name() + "."
GROUP_FQCN = FQCN_PREFIX + GROUP


def all_module_names():
    return sorted(
        name[:-3] for name in os.listdir(MODULES_DIR)
        if name.endswith(".py") and not name.startswith("_") and name != "__init__.py"
    )


def is_role_engine(module):
    """A role's engine: an action plugin documented by a stub module with no code (no MODULE_OPTIONS).

    It takes no arguments (it reads its role's variables), so it must stay out of the group: the group's
    module_defaults would be given to it as arguments.
    """
    with open(os.path.join(MODULES_DIR, module + ".py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    return not any(isinstance(node, ast.Assign)
                   and any(getattr(target, "id", None) == "MODULE_OPTIONS" for target in node.targets)
                   for node in tree.body)


def module_names():
    """The API modules: every module but the role engines."""
    return [name for name in all_module_names() if not is_role_engine(name)]


def group_members():
    """The group's entries as short names (runtime.yml may list short names or FQCNs)."""
    with open(RUNTIME_FILE, encoding="utf-8") as handle:
        runtime = yaml.safe_load(handle) or {}
    groups = runtime.get("action_groups") or {}
    assert GROUP in groups, "meta/runtime.yml has no action group %r" % GROUP
    members = []
    for entry in groups[GROUP] or []:
        assert isinstance(entry, str), (
            "action group %r: entry %r is not a module name (metadata/extend_group entries are not expected here)"
            % (GROUP, entry))
        members.append(entry[len(FQCN_PREFIX):] if entry.startswith(FQCN_PREFIX) else entry)
    return members


def _yaml_constant(path, name, owner=None):
    """The YAML string assigned to ``name`` (in class ``owner`` when given) in a Python file, parsed."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), filename=path)
    body = tree.body
    if owner is not None:
        body = next(node.body for node in body if isinstance(node, ast.ClassDef) and node.name == owner)
    for node in body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value))
    raise AssertionError("%s has no %s" % (path, name))


def documentation(module):
    """The module's DOCUMENTATION as ansible-doc shows it: parsed from the source without importing
    it, with this collection's doc fragments (extends_documentation_fragment) merged in."""
    doc = _yaml_constant(os.path.join(MODULES_DIR, module + ".py"), "DOCUMENTATION")
    for fragment in doc.get("extends_documentation_fragment") or []:
        if not fragment.startswith(FQCN_PREFIX):
            continue
        name, dummy, variable = fragment[len(FQCN_PREFIX):].partition(".")
        extra = _yaml_constant(os.path.join(COLLECTION_ROOT, "plugins", "doc_fragments", name + ".py"),
                               variable.upper() or "DOCUMENTATION", owner="ModuleDocFragment")
        for section in ("attributes", "options"):
            if extra.get(section):
                doc[section] = dict(extra[section], **(doc.get(section) or {}))
    return doc


def test_collection_has_modules():
    assert module_names(), "no modules found in %s" % MODULES_DIR


def test_role_engines_stay_out_of_the_group():
    engines = [name for name in all_module_names() if is_role_engine(name)]
    assert engines, "no role engine found: is_role_engine no longer tells them apart"
    assert not set(engines) & set(group_members()), engines


def test_group_lists_every_module_and_nothing_else():
    members = group_members()
    modules = module_names()
    missing = sorted(set(modules) - set(members))
    unknown = sorted(set(members) - set(modules))
    duplicates = sorted(set(name for name in members if members.count(name) > 1))
    assert not missing, "modules missing from action group %r in meta/runtime.yml: %s" % (GROUP, missing)
    assert not unknown, "action group %r lists names that are not modules of this collection: %s" % (GROUP, unknown)
    assert not duplicates, "action group %r lists these modules more than once: %s" % (GROUP, duplicates)


def test_only_the_zendesk_group_exists():
    """One group for the whole collection; a second one would have to be documented and tested too."""
    with open(RUNTIME_FILE, encoding="utf-8") as handle:
        runtime = yaml.safe_load(handle) or {}
    assert sorted(runtime.get("action_groups") or {}) == [GROUP]


@pytest.mark.parametrize("module", module_names())
def test_module_documents_its_group(module):
    doc = documentation(module)
    attribute = (doc.get("attributes") or {}).get("action_group")
    assert attribute is not None, "%s: DOCUMENTATION has no attributes.action_group" % module
    assert attribute.get("support") == "full", "%s: attributes.action_group.support must be full" % module
    membership = attribute.get("membership")
    if isinstance(membership, str):
        membership = [membership]
    assert membership == [GROUP_FQCN], (
        "%s: attributes.action_group.membership must be [%s], got %r" % (module, GROUP_FQCN, membership))
