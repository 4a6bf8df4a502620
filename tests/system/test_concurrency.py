# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two playbooks bootstrap the same client identifier at the same time (two processes, started together).

To make the race certain rather than a matter of luck, the first client create the simulator sees
is held back (a queued ``slow`` fault of 12 s, well within the modules' timeout): both runs have
looked the identifier up and found nothing before either create lands, so both send one.
Zendesk refuses the second with 422 DuplicateValue on ``identifier``, and that run adopts the
client the other one made.

What the user should expect:

- Clients: exactly one client with the identifier, whatever the timing. The run that adopted it
  warns that another run created it, and gets no secret (Zendesk showed it to the other run
  only): its vault file holds ``zendesk_oauth_client_secret: null``.
- Tokens, one vault file per run (two controllers, two CI jobs): each run holds no token yet,
  so each mints its own. Two live tokens, each in exactly one vault file, both working; neither
  run revokes the other's (``oauth_bootstrap_revoke_unheld_tokens`` is false by default).
- Both runs on the SAME vault file (overlapping AWX jobs, a schedule beside a manual run): they
  do not race at all. The first holds the lock on the vault file's directory from its first read to
  its last write; the second waits, then reads what the first stored and only verifies it: one
  client, one live token, held, the secret kept.
"""

from __future__ import annotations

import os

import yaml

from playbook_runner import (ADMIN_API_TOKEN, finish, live_tokens, clients_named, play, start_playbook,
                             vault_decrypt, write_playbook)

IDENTIFIER = "raced"
PASSWORD = "concurrency-vault-password"
CLIENTS_PATH = "/api/v2/oauth/clients"


def bootstrap_playbook(directory, url, vault_file, name):
    password_file = os.path.join(directory, name + ".password")
    with open(password_file, "w", encoding="utf-8") as handle:
        handle.write(PASSWORD)
    return write_playbook(directory, [play([], roles=[{"role": "zendesk.oauth.oauth_bootstrap", "vars": {
        "oauth_bootstrap_client_identifier": IDENTIFIER,
        "oauth_bootstrap_url": url,
        "oauth_bootstrap_email": "admin@example.com",
        "oauth_bootstrap_api_token": ADMIN_API_TOKEN,
        "oauth_bootstrap_vault_file": vault_file,
        "oauth_bootstrap_vault_password_file": password_file,
    }}])], name=name + ".yml")


def race(sim, tmp_path, vault_files, hold=3):
    """Start both bootstraps together; returns their results (the first client create is held back `hold` s)."""
    sim.control.queue_faults([{"method": "POST", "path": CLIENTS_PATH, "fault": "slow", "delay": hold}])
    processes = []
    for index, vault_file in enumerate(vault_files):
        home = str(tmp_path / ("run-%d" % index))
        os.makedirs(home)
        playbook = bootstrap_playbook(home, sim.url, vault_file, "bootstrap")
        processes.append(start_playbook(playbook, home))
    return [finish(process) for process in processes]


def held(vault_file):
    return yaml.safe_load(vault_decrypt(vault_file, PASSWORD))


def check_one_client(sim, results):
    for result in results:
        assert result.rc == 0, result
    state = sim.control.state()
    clients = clients_named(state, IDENTIFIER)
    assert len(clients) == 1, "duplicate clients: %s" % [c["id"] for c in clients]
    posts = [entry for entry in sim.control.requests()
             if entry["method"] == "POST" and entry["path"].startswith(CLIENTS_PATH)]
    assert sorted(entry["status"] for entry in posts) == [201, 422], "the race did not happen: %s" % posts
    adopted = [r for r in results if "created by another run at the same time" in r.output]
    assert len(adopted) == 1, "exactly one run should say it adopted the client"
    return state, clients[0]


def test_two_runs_with_their_own_vault_files_share_one_client_and_hold_one_token_each(sim, tmp_path):
    # Two controllers: each vault file in a directory of its own (a directory is what a run locks).
    vault_files = [str(tmp_path / "controller-a" / "vault.yml"), str(tmp_path / "controller-b" / "vault.yml")]
    for path in vault_files:
        os.makedirs(os.path.dirname(path))
    # Held back long enough that the other run, however slow to start on a busy machine, looks first.
    results = race(sim, tmp_path, vault_files, hold=12)
    state, client = check_one_client(sim, results)

    contents = [held(path) for path in vault_files]
    live = dict((token["full_token"], token["id"]) for token in live_tokens(state, client["id"]))
    held_tokens = [content["zendesk_oauth_full_token"] for content in contents]
    assert len(live) == 2 and set(held_tokens) == set(live), "each run should hold one of the two live tokens"
    assert [content["zendesk_oauth_client_id"] for content in contents] == [client["id"]] * 2
    secrets = sorted((content["zendesk_oauth_client_secret"] is not None for content in contents))
    assert secrets == [False, True], "the creator holds the secret, the adopter none"
    assert [c["zendesk_oauth_client_secret"] for c in contents if c["zendesk_oauth_client_secret"]] == [
        client["secret"]]


def test_two_runs_on_one_vault_file_wait_for_each_other_and_hold_one_token(sim, tmp_path):
    vault_file = str(tmp_path / "shared-vault.yml")
    results = race(sim, tmp_path, [vault_file, vault_file])

    for result in results:
        assert result.rc == 0, result
    state = sim.control.state()
    clients = clients_named(state, IDENTIFIER)
    assert len(clients) == 1
    posts = [entry["path"] for entry in sim.control.requests() if entry["method"] == "POST"]
    assert posts == [CLIENTS_PATH, "/api/v2/oauth/tokens"], "the second run should only have verified: %s" % posts
    content = held(vault_file)  # whole and decryptable
    assert os.stat(vault_file).st_mode & 0o777 == 0o600
    live = dict((token["full_token"], token["id"]) for token in live_tokens(state, clients[0]["id"]))
    assert list(live) == [content["zendesk_oauth_full_token"]], "exactly one live token, the one the file holds"
    assert content["zendesk_oauth_client_secret"] == clients[0]["secret"]
    assert sorted(os.listdir(str(tmp_path))) == ["run-0", "run-1", "shared-vault.yml"]  # no lock or temp file left
