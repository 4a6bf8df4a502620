# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The repository and the collection it builds stand on their own.

- The repository refers to nothing outside itself: no absolute path of a development machine, no
  notes beside the checkout. The licence text is where every file header points.
- The built tarball carries the licence, the examples and the simulator the demo needs, and no
  development files.
- Installed with ``ansible-galaxy collection install`` into an empty collections path, the
  collection's own ``examples/bootstrap.yml`` works against the simulator, and keeps its vault
  file outside the installed collection, whose files the run leaves as they were.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import subprocess
import tarfile
import tempfile

import pytest

import playbook_runner

REPO = playbook_runner.REPO
LICENCE = os.path.join("LICENSES", "GPL-3.0-or-later.txt")
# Generated or machine-local places: not part of the repository.
NOT_OURS = {".git", ".venv", ".venvs", ".cache", "dist", "tests/output", "docs/build", ".pytest_cache"}
# Relative paths that climb out of a file's folder, and absolute paths: a reference to a place outside the
# repository is one of these that resolves outside it.
CLIMBING = re.compile(r"(?<![\w./-])((?:\.\./)+[\w.-]+)")
ABSOLUTE = re.compile(r"(?<![\w./~:-])(/[\w.-]+(?:/[\w.-]+)+)")


def outside_places():
    """Folders of this machine a repository file must not name: the one the checkout sits in (notes kept beside it)
    and the user's home. Found at run time, so that the test itself names no path of any machine."""
    home = pwd.getpwuid(os.getuid()).pw_dir
    return [place for place in (os.path.dirname(os.path.realpath(REPO)), os.path.realpath(home))
            if place not in ("/", os.path.realpath(tempfile.gettempdir()))]


def points_outside(relative, line, places):
    """The paths in `line` (of the repository file `relative`) that lead out of the repository."""
    repo = os.path.realpath(REPO)
    found = []
    for climbing in CLIMBING.findall(line):
        target = os.path.normpath(os.path.join(repo, os.path.dirname(relative), climbing))
        if not (target + os.sep).startswith(repo + os.sep):
            found.append(climbing)
    for absolute in ABSOLUTE.findall(line):
        if any((absolute + os.sep).startswith(place + os.sep) for place in places):
            found.append(absolute)
    return found


def repository_files():
    for root, dirs, files in os.walk(REPO):
        relative = os.path.relpath(root, REPO)
        dirs[:] = sorted(d for d in dirs if os.path.normpath(os.path.join(relative, d)) not in NOT_OURS
                         and d != "__pycache__")
        for name in sorted(files):
            path = os.path.normpath(os.path.join(relative, name))
            if path not in NOT_OURS:  # .git is a file in a git worktree
                yield path


def read_text(relative):
    with open(os.path.join(REPO, relative), "rb") as handle:
        data = handle.read()
    return None if b"\0" in data else data.decode("utf-8", "replace")


def test_the_repository_refers_to_nothing_outside_it():
    found = []
    places = outside_places()
    for relative in repository_files():
        text = read_text(relative)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for path in points_outside(relative, line, places):
                found.append("%s:%d: %s" % (relative, number, path))
    assert found == [], "references to places outside the repository:\n" + "\n".join(found)


def test_the_licence_is_where_the_headers_point():
    with open(os.path.join(REPO, LICENCE), encoding="utf-8") as handle:
        text = handle.read()
    assert text.lstrip().startswith("GNU GENERAL PUBLIC LICENSE") and "Version 3, 29 June 2007" in text
    pointers = set()
    for relative in repository_files():
        pointers.update(re.findall(r"\bLICENSES/[\w.+-]+\.txt\b", read_text(relative) or ""))
    assert pointers == {LICENCE}, "headers point to licence files that are not there: %s" % (pointers - {LICENCE})


# ------------------------------------------------------------------ the tarball, installed
@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    env = dict(playbook_runner.ansible_env(str(dist)))
    done = subprocess.run([os.path.join(playbook_runner.BIN_DIR, "ansible-galaxy"), "collection", "build",
                           "--output-path", str(dist), REPO], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    [built] = [os.path.join(dist, name) for name in os.listdir(dist) if name.endswith(".tar.gz")]
    return built


def test_the_tarball_carries_what_a_user_needs_and_no_development_files(tarball):
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    for needed in (LICENCE, "README.md", "meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt",
                   "examples/bootstrap.yml", "examples/demo.sh", "examples/ansible-navigator.yml",
                   "extensions/awx/credential_types/zendesk/inputs.yml", "tests/simulator/__main__.py",
                   "roles/oauth_bootstrap/meta/argument_specs.yml", "docs/docsite/index.rst"):
        assert needed in names, "%s is not in the tarball" % needed
    for unwanted in (".ci", ".venv", ".cache", "tests/system", "tests/simulator/reference", "requirements-dev.txt",
                     "execution-environment.yml", "Makefile", "bench"):
        assert not any(name == unwanted or name.startswith(unwanted + "/") for name in names), (
            "%s is in the tarball" % unwanted)


def tree_digest(root):
    """{relative path: sha256} of every file under ``root``."""
    digests = {}
    for folder, unused, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                digests[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return digests


def test_the_installed_collection_runs_its_example_and_keeps_the_store_outside(sim, tarball, tmp_path):
    collections = tmp_path / "collections"
    home = tmp_path / "home"
    home.mkdir()
    env = {"ANSIBLE_COLLECTIONS_PATH": str(collections)}
    done = subprocess.run([os.path.join(playbook_runner.BIN_DIR, "ansible-galaxy"), "collection", "install",
                           "--no-deps", "-p", str(collections), tarball],
                          env=playbook_runner.ansible_env(str(home), env), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    installed = collections / "ansible_collections" / "zendesk" / "oauth"
    before = tree_digest(installed)

    # What a user brings: the vault password in a file of their own; the vault file goes beside it.
    mine = tmp_path / "mine"
    mine.mkdir()
    password_file = mine / "zendesk.pass"
    password_file.write_text("installed-collection-test\n", encoding="utf-8")
    extra_vars = {"zendesk_url": sim.url, "zendesk_email": playbook_runner.ADMIN_EMAIL,
                  "zendesk_api_token": playbook_runner.ADMIN_API_TOKEN,
                  "zendesk_vault_password_file": str(password_file)}
    playbook = str(installed / "examples" / "bootstrap.yml")
    # One run: that a second one changes nothing is the demo's own check (make demo-installed).
    done = playbook_runner.run_playbook(playbook, str(home), extra_vars=extra_vars, env=env)
    assert done.rc == 0, done

    vault_file = mine / "zendesk_oauth.vault.yml"
    held = playbook_runner.vault_decrypt(str(vault_file), "installed-collection-test")
    [token] = [t for t in sim.control.state()["tokens"] if "zendesk_oauth_token_id: %d" % t["id"] in held]
    assert token["full_token"] in held
    assert tree_digest(installed) == before, "the run wrote into the installed collection"
