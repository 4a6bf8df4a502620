# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A lost token creation never costs anyone else their token (OAuthAPI.create_token against the simulator).

A token is revoked as an orphan only when the call proves it made it; one it cannot prove is named,
never revoked; a lost answer whose token never turned up is counted and said.
"""

from __future__ import annotations

import time

import pytest

from ansible_collections.zendesk.oauth.plugins.module_utils._api import ZendeskClient
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import OAuthAPI, parse_time

from ansible_collections.zendesk.oauth.tests.simulator import ADMIN

TOKENS_PATH = "/api/v2/oauth/tokens"


def fresh_api(sim, **options):
    """An API client that has sent nothing yet: it knows no server time (the role's mint, a module given client_id)."""
    options.setdefault("sleep", lambda seconds: None)
    return OAuthAPI(ZendeskClient(sim.url, email=ADMIN["email"], api_token=ADMIN["api_token"], rng=lambda: 1.0,
                                  **options))


def seed_client_and_token(sim, used=False):
    seeded = sim.control.seed(clients=[{"identifier": "app", "name": "App", "kind": "confidential"}],
                              tokens=[{"client_identifier": "app", "scopes": ["read"]}])
    if used:  # the holder has used it: Zendesk stamps used_at
        OAuthAPI(ZendeskClient(sim.url, oauth_token=seeded["tokens"][0]["full_token"])).client.get("/api/v2/users/me")
    return seeded["client_ids"][0], seeded["token_ids"][0]


def live_ids(sim):
    return sorted(token["id"] for token in sim.control.state()["tokens"])


@pytest.mark.parametrize("fault", ["500", "503", "drop"])
def test_a_mint_that_made_nothing_revokes_no_older_token(sim, fault):
    """The issue's reproduction: a second run mints for the same client and scopes, its POST fails and makes
    nothing. The first run's token, minutes old, is nobody's orphan: it stays, and nothing is named."""
    client_id, held_by_another_store = seed_client_and_token(sim)
    sim.control.advance_clock(300)
    sim.control.queue_faults([{"method": "POST", "path": TOKENS_PATH, "fault": fault, "retry_after": 0}])

    mint = fresh_api(sim).create_token(client_id, ["read"])

    assert sim.control.state()["revoked_tokens"] == [], "a token this run did not make was revoked"
    assert live_ids(sim) == sorted([held_by_another_store, mint.token["id"]])
    assert mint.orphans_revoked == [] and mint.suspects == [] and mint.lost == 1
    # Nothing was found for the lost answer: that is said (a late landing would leave a token nobody holds).
    assert mint.unresolved == 1
    warnings = mint.warnings(client_id, ["read"])
    assert len(warnings) == 1 and str(held_by_another_store) not in warnings[0]
    assert "created since %s" % mint.since in warnings[0]


def test_a_lost_answer_without_any_earlier_answer_still_finds_its_own_late_token(sim):
    """No Date before the POST: the look's own Date, carried back with the local clock, is the baseline.
    A token Zendesk finishes a second after the POST is in a later second: proved and revoked; the old one stays."""
    client_id, older = seed_client_and_token(sim)
    sim.control.advance_clock(300)
    sim.control.queue_faults([{"method": "POST", "path": TOKENS_PATH, "fault": "slow", "delay": 1.2}])

    mint = fresh_api(sim, sleep=time.sleep, timeout=0.5).create_token(client_id, ["read"])

    state = sim.control.state()
    assert [token["id"] for token in state["revoked_tokens"]] == mint.orphans_revoked and len(mint.orphans_revoked) == 1
    assert older not in mint.orphans_revoked and live_ids(sim) == sorted([older, mint.token["id"]])
    assert mint.suspects == [] and mint.unresolved == 0


def test_a_token_someone_uses_is_never_an_orphan(sim):
    """Made after the baseline and with the same scopes, but used: someone holds it."""
    client_id, used = seed_client_and_token(sim, used=True)
    created = parse_time(sim.control.state()["tokens"][0]["created_at"])
    sim.control.queue_faults([{"method": "POST", "path": TOKENS_PATH, "fault": "500"}])

    mint = fresh_api(sim).create_token(client_id, ["read"], baseline=created - 10, known_ids_complete=True)

    assert sim.control.state()["revoked_tokens"] == [] and used not in mint.suspects


def test_a_token_of_the_baseline_second_is_named_not_revoked_without_a_listing(sim):
    """Made in the very second of the baseline, and the ids before the POST were not all read: another run's
    token made just before the POST looks the same, so it is named and left alive."""
    sim.control.set_config(freeze_clock=True)  # the baseline's second and the orphan's are the same
    client_id, older = seed_client_and_token(sim)
    api = fresh_api(sim)
    api.client.get("/api/v2/users/me")  # an earlier answer of this run: its Date is the baseline
    sim.control.queue_faults([{"method": "POST", "path": TOKENS_PATH, "fault": "ambiguous"}])

    mint = api.create_token(client_id, ["read"])

    assert sim.control.state()["revoked_tokens"] == []
    orphan = [token_id for token_id in live_ids(sim) if token_id not in (older, mint.token["id"])]
    assert len(orphan) == 1 and sorted(mint.suspects) == sorted(orphan + [older])
    warning = mint.warnings(client_id, ["read"])[0]
    assert str(orphan[0]) in warning and "state: absent, token_id: ID" in warning


def test_a_complete_listing_proves_an_orphan_of_the_same_second(sim):
    """With every id read at the baseline (the module lists the client's tokens first), a token missing from
    the list was made after it: the orphan is revoked even in the baseline's own second, the listed one is not."""
    sim.control.set_config(freeze_clock=True)
    client_id, older = seed_client_and_token(sim)
    api = fresh_api(sim)
    listed, as_of = api.list_tokens_as_of(client_id)
    sim.control.queue_faults([{"method": "POST", "path": TOKENS_PATH, "fault": "ambiguous"}])

    mint = api.create_token(client_id, ["read"], known_ids=[t["id"] for t in listed], baseline=as_of,
                            known_ids_complete=True)

    revoked = [token["id"] for token in sim.control.state()["revoked_tokens"]]
    assert revoked == mint.orphans_revoked and len(revoked) == 1 and older not in revoked
    assert live_ids(sim) == sorted([older, mint.token["id"]]) and mint.suspects == []


def test_complete_ids_need_their_baseline(sim):
    with pytest.raises(ValueError):
        fresh_api(sim).create_token(1, ["read"], known_ids=[], known_ids_complete=True)
    assert sim.control.requests() == []
