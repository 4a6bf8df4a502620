# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""examples/accounts: one inventory host per Zendesk account, run with forks, against one simulator process per
account (each with its own rate limit).

The example's playbook and group_vars run as they are; only the inventory's hosts are the test's: three accounts
whose URLs are the simulators'. Every outcome is read from each account's own simulator (state, request log) and
from the vault files (decrypted with ansible's own library).
"""

from __future__ import annotations

import os
import shutil

import pytest
import yaml

import playbook_runner
from playbook_runner import ADMIN_API_TOKEN, ADMIN_EMAIL, live_tokens
from simulated_accounts import SimulatedAccounts

EXAMPLE = os.path.join(playbook_runner.REPO, "examples", "accounts")
ACCOUNTS = 3
# The smallest rate limit of a Zendesk plan is 200 requests a minute; this one is far smaller, so that one account
# would run out if the requests of every account counted against one budget (3 accounts x 7 requests > 10).
BUDGET = 10
VAULT_PASSWORD = "accounts-example-vault-password"


def integrations():
    with open(os.path.join(EXAMPLE, "inventory", "group_vars", "zendesk_accounts.yml"), encoding="utf-8") as handle:
        return [entry["client_identifier"] for entry in yaml.safe_load(handle)["zendesk_integrations"]]


@pytest.fixture
def accounts(tmp_path):
    with SimulatedAccounts(ACCOUNTS, str(tmp_path / "simulators"), rate_limit_per_minute=BUDGET,
                           lifetime=600) as running:
        yield running


@pytest.fixture
def example(tmp_path, accounts):
    """A copy of examples/accounts whose inventory names the simulated accounts (one admin token each, as a vault
    file would hold it)."""
    root = tmp_path / "accounts"
    shutil.copytree(EXAMPLE, root)
    hosts = {"account_%d" % number: {"zendesk_url": url, "zendesk_email": ADMIN_EMAIL,
                                     "vault_zendesk_api_token": ADMIN_API_TOKEN}
             for number, url in enumerate(accounts.urls)}
    (root / "inventory" / "hosts.yml").write_text(yaml.safe_dump({"zendesk_accounts": {"hosts": hosts}}),
                                                  encoding="utf-8")
    (tmp_path / "vault.pass").write_text(VAULT_PASSWORD + "\n", encoding="utf-8")
    return root


def run(example, tmp_path, accounts):
    accounts.clear_requests()
    result = playbook_runner.run_playbook(
        str(example / "bootstrap.yml"), str(tmp_path),
        extra_vars={"zendesk_vault_password_file": str(tmp_path / "vault.pass")},
        extra_args=["-i", str(example / "inventory"), "--forks", str(ACCOUNTS)])
    assert result.rc == 0, result
    for control in accounts.controls:  # a new rate window for the next run (the simulated clock)
        control.advance_clock(61)
    return result


def stored(path):
    return yaml.safe_load(playbook_runner.vault_decrypt(path, VAULT_PASSWORD))


def test_every_account_gets_its_integrations_with_its_own_requests_in_its_own_budget(example, tmp_path, accounts):
    names = integrations()

    first = run(example, tmp_path, accounts)

    first_logs = accounts.requests()
    for number, (url, control, log) in enumerate(zip(accounts.urls, accounts.controls, first_logs)):
        state = control.state()
        clients = {client["identifier"]: client for client in state["clients"]}
        assert sorted(clients) == sorted(names)
        for name in names:
            record = stored(str(example / "stores" / ("account_%d" % number) / (name + ".vault.yml")))
            assert record["zendesk_oauth_url"] == url
            assert record["zendesk_oauth_client_id"] == clients[name]["id"]
            assert [token["full_token"] for token in live_tokens(state, clients[name]["id"])] == [
                record["zendesk_oauth_full_token"]]
        # This account's own requests only: one listing, then a client and a token per integration; none refused.
        assert [(entry["method"], entry["path"]) for entry in log] == [("GET", "/api/v2/oauth/clients")] + [
            ("POST", "/api/v2/oauth/clients"), ("POST", "/api/v2/oauth/tokens")] * len(names)
        assert len(log) <= BUDGET and all(entry["status"] != 429 for entry in log)
    assert sum(len(log) for log in first_logs) > BUDGET  # one budget for all would not have done
    published = first.json["custom_stats"]["_run"]["zendesk_oauth_accounts"]
    assert {url: {name: data["zendesk_oauth_client_id"] for name, data in clients.items()}
            for url, clients in published.items()} == {
        url: {client["identifier"]: client["id"] for client in control.state()["clients"]}
        for url, control in zip(accounts.urls, accounts.controls)}

    second = run(example, tmp_path, accounts)

    assert all(stats["changed"] == 0 for stats in second.json["stats"].values()), second.json["stats"]
    for log in accounts.requests():
        assert [entry["path"] for entry in log][1::2] == ["/api/v2/oauth/tokens/current"] * len(names)
        assert all(entry["path"].startswith("/api/v2/oauth/clients/") for entry in log[0::2])  # by the stored id
        assert len(log) == 2 * len(names) and all(entry["status"] == 200 for entry in log)


def test_the_guide_shows_the_example_files_as_they_are():
    """The fleet guide copies examples/accounts/ (marked skip: this file runs them); no copy drifts from its file."""
    import docs_examples  # pylint: disable=import-outside-toplevel
    shown = {}
    for snippet in docs_examples.snippets_of("docs/docsite/rst/guide_fleet.rst"):
        if snippet.kind == "skip" and snippet.reason.startswith("examples/accounts/"):
            shown[snippet.reason.split(",")[0]] = yaml.safe_load(snippet.text)
    assert sorted(shown) == ["examples/accounts/bootstrap.yml",
                             "examples/accounts/inventory/group_vars/zendesk_accounts.yml",
                             "examples/accounts/inventory/hosts.yml"]
    for path, data in shown.items():
        with open(os.path.join(playbook_runner.REPO, path), encoding="utf-8") as handle:
            assert yaml.safe_load(handle) == data, path
