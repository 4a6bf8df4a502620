# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The oauth_bootstrap role at scale: the client by the store's id in a large account, many integrations in one
run (oauth_bootstrap_integrations), and set_stats by identifier over several runs of the role.

Real ansible-playbook runs against the simulator; every count is read from the simulator's request log, every
outcome from its state and from the vault files (decrypted with ansible's own library).
"""

from __future__ import annotations

import glob
import math
import os

import pytest
import yaml

import playbook_runner
from playbook_runner import ADMIN_API_TOKEN, ADMIN_EMAIL, live_tokens
from test_role import (  # noqa: F401  pylint: disable=unused-import
    IDENTIFIER,
    ROLE,
    VAULT_PASSWORD,
    api_requests,
    find_and_verify,
    succeeded,
    the_client,
    ws,
)

LIST = ("GET", "/api/v2/oauth/clients")
CREATE = ("POST", "/api/v2/oauth/clients")
MINT = ("POST", "/api/v2/oauth/tokens")
VERIFY = ("GET", "/api/v2/oauth/tokens/current")
PAGE = 100  # clients per page the API client asks for
BIG = 10000
FLEET = 50
REPO = playbook_runner.REPO
WORK = "zendesk.oauth.oauth_bootstrap : Ensure the OAuth client and its token, kept in the store"


def by_id(client_id):
    return ("GET", "/api/v2/oauth/clients/%d" % client_id)


def statuses(sim):
    return [(entry["method"], entry["path"], entry["status"]) for entry in sim.control.requests()]


# -- item: the client by the id the store holds ---------------------------------------------------------------------
def test_a_run_with_nothing_to_do_sends_two_requests_in_an_account_of_ten_thousand_clients(ws, sim):
    sim.control.seed(clients=BIG, prefix="bulk")

    succeeded(ws.converge())
    # The first run has no id: it pages through every client (ours is not there yet), then creates and mints.
    assert api_requests(sim) == [LIST] * math.ceil(BIG / PAGE) + [CREATE, MINT]

    stats = succeeded(ws.converge())

    assert stats["changed"] == 0
    assert api_requests(sim) == find_and_verify(sim)
    assert len(api_requests(sim)) == 2


def test_a_store_whose_client_was_deleted_and_made_again_finds_the_new_one_by_paging(ws, sim, admin_session):
    """The stored id answers 404: the role pages, adopts the client of that identifier, and stores its new id."""
    sim.control.seed(clients=250, prefix="bulk")
    succeeded(ws.converge())
    old_id = the_client(sim)["id"]
    assert admin_session.delete("%s/api/v2/oauth/clients/%d" % (sim.url, old_id), timeout=30).status_code == 204
    remade = admin_session.post(sim.url + "/api/v2/oauth/clients", timeout=30, json={"client": {
        "identifier": IDENTIFIER, "name": "Made again by hand", "kind": "confidential"}}).json()["client"]
    sim.control.clear_requests()

    succeeded(ws.converge())

    sent = statuses(sim)
    pages = math.ceil(251 / PAGE)
    assert sent[:1 + pages] == [by_id(old_id) + (404,)] + [LIST + (200,)] * pages
    assert CREATE + (201,) not in sent  # adopted, not created
    assert ws.vault_content()["zendesk_oauth_client_id"] == remade["id"]
    sim.control.clear_requests()
    succeeded(ws.converge())
    assert api_requests(sim) == [by_id(remade["id"]), VERIFY]


def test_a_store_whose_id_is_another_clients_is_checked_and_the_clients_paged(ws, sim):
    """An id that names another client (a store edited by hand, a restored backup) is never taken for ours."""
    seeded = sim.control.seed(clients=250, prefix="bulk")
    succeeded(ws.converge())
    ours = the_client(sim)["id"]
    record = ws.vault_content()
    record["zendesk_oauth_client_id"] = seeded["clients"][0]["id"]
    with open(ws.vault_file, "wb") as handle:
        handle.write(playbook_runner.vault_encrypt(yaml.safe_dump(record), VAULT_PASSWORD))
    sim.control.clear_requests()

    stats = succeeded(ws.converge())

    pages = math.ceil(251 / PAGE)
    assert api_requests(sim)[:1 + pages] == [by_id(seeded["clients"][0]["id"])] + [LIST] * pages
    assert ws.vault_content()["zendesk_oauth_client_id"] == ours
    assert len([c for c in sim.control.state()["clients"] if c["identifier"] == IDENTIFIER]) == 1


def test_the_client_module_with_a_right_hint_sends_one_request_at_ten_thousand_clients(tmp_path, sim):
    seeded = sim.control.seed(clients=BIG, prefix="bulk")
    last = seeded["clients"][-1]
    args = dict(playbook_runner.admin_connection(sim.url), identifier=last["identifier"], name=last["name"])

    def run(hint):
        sim.control.clear_requests()
        result = playbook_runner.run_module("zendesk_oauth_client", dict(args, id_hint=hint), str(tmp_path))
        assert result.get("failed") is not True, result
        assert result["changed"] is False and result["client"]["id"] == last["id"]
        return statuses(sim)

    assert run(last["id"]) == [by_id(last["id"]) + (200,)]
    # 404 and another client's id: checked, then the pages up to the last one, which holds this client.
    assert run(999999999999) == [by_id(999999999999) + (404,)] + [LIST + (200,)] * (BIG // PAGE)
    assert run(seeded["clients"][0]["id"]) == [by_id(seeded["clients"][0]["id"]) + (200,)] + [LIST + (200,)] * (
        BIG // PAGE)


def test_the_client_module_refuses_a_hint_that_is_no_id_before_any_request(tmp_path, sim):
    result = playbook_runner.run_module("zendesk_oauth_client", dict(
        playbook_runner.admin_connection(sim.url), identifier=IDENTIFIER, name="ACME", id_hint=0), str(tmp_path))
    assert result["failed"] and "id_hint=0 is not a Zendesk id" in result["msg"]
    assert sim.control.requests() == []


# -- item: many integrations in one run ------------------------------------------------------------------------------
def integrations(root, names):
    return [{"client_identifier": name, "client_name": "Integration %s" % name,
             "vault_file": os.path.join(root, "stores", name + ".vault.yml")} for name in names]


def fleet_play(ws, entries, tasks=(), **overrides):
    role_vars = ws.role_vars(**dict({"oauth_bootstrap_client_identifier": None, "oauth_bootstrap_client_name": None,
                                     "oauth_bootstrap_vault_file": None, "oauth_bootstrap_integrations": entries},
                                    **overrides))
    return playbook_runner.play(list(tasks), roles=[dict({"role": ROLE}, **role_vars)])


def run_fleet(ws, sim, entries, tasks=(), **overrides):
    sim.control.clear_requests()
    return playbook_runner.run_playbook([fleet_play(ws, entries, tasks, **overrides)], ws.root)


def stored(path):
    return yaml.safe_load(playbook_runner.vault_decrypt(path, VAULT_PASSWORD))


def assert_every_store_holds_its_client_and_live_token(sim, entries):
    state = sim.control.state()
    clients = {client["identifier"]: client for client in state["clients"]}
    for entry in entries:
        record = stored(entry["vault_file"])
        client = clients[entry["client_identifier"]]
        tokens = live_tokens(state, client["id"])
        assert record["zendesk_oauth_client_id"] == client["id"]
        assert [token["full_token"] for token in tokens] == [record["zendesk_oauth_full_token"]]
        assert record["zendesk_oauth_client_secret"] == client["secret"]


@pytest.fixture
def stores(ws):
    os.makedirs(os.path.join(ws.root, "stores"))


def test_fifty_integrations_one_listing_then_two_requests_each(ws, sim, stores):
    entries = integrations(ws.root, ["integration_%02d" % number for number in range(FLEET)])
    count_facts = {"name": "Count the facts by identifier", "ansible.builtin.assert": {"that": [
        "oauth_bootstrap_clients | length == %d" % FLEET, "oauth_bootstrap_tokens | length == %d" % FLEET]}}

    first = run_fleet(ws, sim, entries, [count_facts])

    succeeded(first)
    sent = api_requests(sim)
    assert len(sent) == 1 + 2 * FLEET == 101
    assert sent == [LIST] + [CREATE, MINT] * FLEET
    assert_every_store_holds_its_client_and_live_token(sim, entries)
    published = first.json["custom_stats"]["_run"]
    clients = {client["identifier"]: client for client in sim.control.state()["clients"]}
    assert {name: data["zendesk_oauth_client_id"] for name, data in published["zendesk_oauth_clients"].items()} == {
        name: client["id"] for name, client in clients.items()}
    assert published["zendesk_oauth_client_identifier"] == entries[-1]["client_identifier"]  # flat: the last one

    second = run_fleet(ws, sim, entries, [count_facts])

    assert succeeded(second)["changed"] == 0
    sent = api_requests(sim)
    assert len(sent) == 2 * FLEET
    assert sent == [request for entry in entries for request in (by_id(clients[entry["client_identifier"]]["id"]),
                                                                 VERIFY)]
    assert_every_store_holds_its_client_and_live_token(sim, entries)


def test_integrations_added_to_a_fleet_share_one_listing(ws, sim, stores):
    entries = integrations(ws.root, ["one", "two", "three", "four"])
    succeeded(run_fleet(ws, sim, entries[:2]))

    succeeded(run_fleet(ws, sim, entries))

    ids = {client["identifier"]: client["id"] for client in sim.control.state()["clients"]}
    assert api_requests(sim) == [by_id(ids["one"]), VERIFY, by_id(ids["two"]), VERIFY, LIST, CREATE, MINT, CREATE, MINT]
    assert_every_store_holds_its_client_and_live_token(sim, entries)


def test_each_integration_takes_its_own_variables_over_the_roles(ws, sim, stores):
    entries = integrations(ws.root, ["reader", "writer"])
    entries[1].update(scopes=["tickets:write"], client_kind="public")

    succeeded(run_fleet(ws, sim, entries, oauth_bootstrap_scopes=["tickets:read"]))

    state = sim.control.state()
    clients = {client["identifier"]: client for client in state["clients"]}
    made = [(clients[name]["kind"], live_tokens(state, clients[name]["id"])[0]["scopes"])
            for name in ("reader", "writer")]
    assert made == [("confidential", ["tickets:read"]), ("public", ["tickets:write"])]


def test_a_failing_integration_stops_the_run_and_says_what_is_done(ws, sim, stores):
    entries = integrations(ws.root, ["first", "second", "third"])
    entries[1]["client_name"] = "x" * 300  # Zendesk refuses a name over 255 characters (422)

    result = run_fleet(ws, sim, entries)

    assert result.rc != 0
    message = result.result(WORK)["msg"]
    assert message.startswith("Integration second: Ensure the OAuth client failed")
    assert "done before it (stored): first; the other 1 were not started" in message
    assert sorted(client["identifier"] for client in sim.control.state()["clients"]) == ["first"]
    assert_every_store_holds_its_client_and_live_token(sim, entries[:1])
    assert not os.path.exists(entries[2]["vault_file"])


def test_problems_of_every_integration_are_named_before_any_request(ws, sim, stores):
    entries = integrations(ws.root, ["first", "second", "third"])
    entries[0]["scopes"] = ["tickts:read"]
    entries[2]["vault_file"] = os.path.join(ws.root, "missing", "third.vault.yml")
    entries.append(dict(entries[1]))

    result = run_fleet(ws, sim, entries)

    assert result.rc != 0
    message = result.result(WORK)["msg"]
    assert "entries 2 and 4 have the same client_identifier second" in message
    assert sim.control.requests() == []
    result = run_fleet(ws, sim, entries[:3])
    message = result.result(WORK)["msg"]
    assert "Integration first: oauth_bootstrap_scopes" in message and "tickts" in message
    assert "Integration third: oauth_bootstrap_vault_file" in message
    assert message.endswith("Nothing was sent to Zendesk.")
    assert sim.control.requests() == []
    assert glob.glob(os.path.join(ws.root, "stores", "*")) == []


def test_shared_variables_of_one_integration_are_refused_with_a_list(ws, sim, stores):
    entries = integrations(ws.root, ["first", "second"])
    result = run_fleet(ws, sim, entries, oauth_bootstrap_vault_file=os.path.join(ws.root, "stores", "all.vault.yml"))
    assert result.rc != 0
    assert "oauth_bootstrap_vault_file is set with oauth_bootstrap_integrations" in result.output
    assert sim.control.requests() == []


# -- set_stats by identifier, over the role's runs, on the oldest and the newest ansible-core ------------------------
def core_pythons():
    """This venv's ansible-core, and the oldest supported line's venv when the Makefile made it (.venvs/core-2.17)."""
    found = [pytest.param(None, id="this-venv")]
    oldest = os.path.join(REPO, ".venvs", "core-2.17", "bin", "python")
    found.append(pytest.param(oldest, id="core-2.17", marks=pytest.mark.skipif(
        not os.path.exists(oldest), reason="no .venvs/core-2.17 (make test-matrix MATRIX=2.17:3.11 makes it)")))
    return found


@pytest.mark.parametrize("python", core_pythons())
def test_set_stats_merges_every_integration_of_every_run_by_identifier_and_never_adds_ids(ws, sim, stores, python):
    entries = integrations(ws.root, ["alpha", "beta"])
    single = dict({"role": ROLE}, **ws.role_vars(oauth_bootstrap_client_identifier="gamma",
                                                 oauth_bootstrap_store="fact"))
    again = dict({"role": ROLE}, **ws.role_vars(oauth_bootstrap_client_identifier=None,
                                                oauth_bootstrap_client_name=None, oauth_bootstrap_vault_file=None,
                                                oauth_bootstrap_integrations=entries[:1]))
    play = fleet_play(ws, entries)
    play["roles"] += [single, again]  # alpha and beta, then gamma, then alpha again (its second run: nothing to do)

    result = playbook_runner.run_playbook([play], ws.root, python=python)

    succeeded(result)
    ids = {client["identifier"]: client["id"] for client in sim.control.state()["clients"]}
    published = result.json["custom_stats"]["_run"]
    assert {name: data["zendesk_oauth_client_id"] for name, data in published["zendesk_oauth_clients"].items()} == ids
    assert published["zendesk_oauth_accounts"] == {sim.url: published["zendesk_oauth_clients"]}
    # The flat keys: the last run's (alpha again), its id as it is, not added to the first run's.
    flat = (published["zendesk_oauth_client_identifier"], published["zendesk_oauth_client_id"])
    assert flat == ("alpha", ids["alpha"])
    assert ADMIN_EMAIL not in str(published) and ADMIN_API_TOKEN not in str(published)
