# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The docs site, built as ``make docs`` builds it (.ci/docsite.sh), read as a visitor reads it.

- The landing page says what the collection does and where to start, and links there.
- The role's page has an example, the facts the role sets, every key its store holds and the keys
  it publishes for the next job.
- Every ``ZENDESK_*`` variable the modules read has its entry on the environment-variable page,
  and the module pages link each mention to it.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import subprocess

import pytest
import yaml

import playbook_runner

REPO = playbook_runner.REPO
COLLECTION_PAGES = os.path.join("collections", "zendesk", "oauth")
ROLE_README = os.path.join(REPO, "roles", "oauth_bootstrap", "README.md")
DOC_FRAGMENT = os.path.join(REPO, "plugins", "doc_fragments", "zendesk.py")
CONNECTION_PY = os.path.join(REPO, "plugins", "module_utils", "_connection.py")
MODULE_ACTION_PY = os.path.join(REPO, "plugins", "plugin_utils", "_module_action.py")
DOCS_CONFIG = os.path.join(REPO, "docs", "docsite", "config.yml")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site make docs built (DOCSITE_HTML: make docs runs this file on it), else one built here."""
    if os.environ.get("DOCSITE_HTML"):
        assert os.path.isfile(os.path.join(os.environ["DOCSITE_HTML"], "index.html")), "DOCSITE_HTML has no site"
        return os.environ["DOCSITE_HTML"]
    out = tmp_path_factory.mktemp("docsite") / "html"
    env = dict(os.environ, PATH=playbook_runner.BIN_DIR + os.pathsep + os.environ.get("PATH", ""),
               ANSIBLE_COLLECTIONS_PATH=playbook_runner.collections_path(), ANSIBLE_NOCOLOR="1")
    done = subprocess.run(["bash", os.path.join(REPO, ".ci", "docsite.sh"), str(out)], env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return str(out)


def page(site, relative):
    """(visible text, [link targets]) of a built page."""
    with open(os.path.join(site, relative), encoding="utf-8") as handle:
        markup = handle.read()
    body = markup.split('role="main"', 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    links = [html.unescape(link) for link in re.findall(r'href="([^"]+)"', body)]
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))
    return text, links


def test_the_landing_page_says_what_the_collection_does_and_where_to_start(site):
    text, links = page(site, "index.html")
    assert "Welcome to my Ansible collection documentation" not in text
    assert "OAuth clients and OAuth access tokens" in text and "Where to start" in text
    for target in ("docsite/guide_getting_started.html", "oauth_bootstrap_role.html", "docsite/guide_awx.html",
                   "docsite/environment_variables.html", "zendesk_oauth_client_module.html"):
        assert any(link.startswith(COLLECTION_PAGES + "/" + target) for link in links), "no link to %s" % target
    assert "examples/demo.sh" in text and "make demo" in text


def stored_keys():
    """The keys of the role's store, from the table of roles/oauth_bootstrap/README.md."""
    with open(ROLE_README, encoding="utf-8") as handle:
        readme = handle.read()
    section = readme.split("## What the store holds", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(zendesk_oauth_\w+)` \|", section, flags=re.M)


def test_the_role_page_has_an_example_its_facts_and_every_stored_key(site):
    text, unused = page(site, os.path.join(COLLECTION_PAGES, "oauth_bootstrap_role.html"))
    examples = text.rsplit(" Examples ", 1)
    assert len(examples) == 2 and re.search(r"role ?: zendesk\.oauth\.oauth_bootstrap", examples[1]), (
        "no example on the role page")
    for fact in ("oauth_bootstrap_client", "oauth_bootstrap_token"):
        assert fact + " is the " in text, "the fact %s is not described" % fact
    keys = stored_keys()
    assert len(keys) == 10, keys
    for key in keys:
        assert re.search(r"\b%s - " % key, text), "the stored key %s is not described" % key
    for published in ("zendesk_oauth_client_id", "zendesk_oauth_token_id", "zendesk_oauth_token_expires_at"):
        assert published in text.split("For the next job.", 1)[1]


def variables_the_modules_read():
    spec = importlib.util.spec_from_file_location("zendesk_oauth_connection_for_docs", CONNECTION_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(DOC_FRAGMENT, encoding="utf-8") as handle:
        documented = set(re.findall(r"E\((ZENDESK_[A-Z_]+)\)", handle.read()))
    # The connection options' variables, and the switch of the action plugins (read on the controller).
    with open(MODULE_ACTION_PY, encoding="utf-8") as handle:
        [switch] = re.findall(r'^EXECUTION_ENVIRONMENT = "(ZENDESK_[A-Z_]+)"$', handle.read(), re.M)
    assert documented == set(module.ENVIRONMENT.values()) | {switch}, (
        "the doc fragment and the code disagree")
    return sorted(documented)


def test_every_zendesk_variable_is_in_the_environment_variable_index(site):
    names = variables_the_modules_read()
    with open(DOCS_CONFIG, encoding="utf-8") as handle:
        assert sorted(yaml.safe_load(handle)["envvar_directives"]) == names
    text, unused = page(site, os.path.join(COLLECTION_PAGES, "docsite", "environment_variables.html"))
    with open(os.path.join(site, COLLECTION_PAGES, "docsite", "environment_variables.html"), encoding="utf-8") as handle:
        anchors = set(re.findall(r'id="envvar-(ZENDESK_[A-Z_]+)"', handle.read()))
    assert sorted(anchors) == names
    assert "No environment variables have been defined" not in text


def test_module_pages_link_the_variables_to_their_entries(site):
    unused, links = page(site, os.path.join(COLLECTION_PAGES, "zendesk_oauth_client_module.html"))
    for name in variables_the_modules_read():
        assert "docsite/environment_variables.html#envvar-" + name in links, "%s is not linked" % name
