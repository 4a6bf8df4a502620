# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo run with ansible-navigator, the documented way: ``DEMO_RUNNER=ansible-navigator
examples/demo.sh``, which runs ``ansible-navigator run --ee false --mode stdout`` with the settings
file examples/ansible-navigator.yml (no container engine on this machine, or needed).

The demo itself checks its result (the token works against the simulator; the second run reports
changed=0) and fails otherwise; this test also checks that ansible-navigator left no log or
playbook artifact in the examples folder or the working directory.
"""

from __future__ import annotations

import os
import subprocess

import playbook_runner

REPO = playbook_runner.REPO
EXAMPLES = os.path.join(REPO, "examples")


def test_the_demo_runs_with_ansible_navigator(tmp_path):
    cwd, home, demo_dir = tmp_path / "cwd", tmp_path / "home", tmp_path / "demo"
    cwd.mkdir()
    home.mkdir()
    examples_before = sorted(os.listdir(EXAMPLES))
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": str(tmp_path),
        "VENV": os.path.dirname(playbook_runner.BIN_DIR),
        "DEMO_RUNNER": "ansible-navigator",
        "DEMO_DIR": str(demo_dir),
    }
    done = subprocess.run(["bash", os.path.join(EXAMPLES, "demo.sh")], cwd=str(cwd), env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "First run: ansible-navigator examples/bootstrap.yml" in output
    first_recap = output.split("PLAY RECAP", 1)[1].split("\n")[1]
    assert "changed=0" not in first_recap and "failed=0" in first_recap, first_recap
    assert "Token works    GET /api/v2/users/me with it as Bearer -> 200" in output
    second = output.split("Second run", 1)[1]
    assert "changed=0" in second.split("PLAY RECAP", 1)[1].split("\n")[1]
    assert (demo_dir / "zendesk_oauth.vault.yml").is_file()
    assert sorted(os.listdir(EXAMPLES)) == examples_before, "ansible-navigator wrote into examples/"
    assert os.listdir(cwd) == [], "ansible-navigator wrote into the working directory: %s" % os.listdir(cwd)
