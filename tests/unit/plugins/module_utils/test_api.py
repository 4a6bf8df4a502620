# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared API client against the running simulator: auth, retries, pagination, errors, lost answers."""

from __future__ import annotations

import pytest

from ansible_collections.zendesk.oauth.plugins.module_utils._api import (
    ZendeskAmbiguousError,
    ZendeskClient,
    ZendeskError,
)
from ansible_collections.zendesk.oauth.plugins.module_utils._compare import why_unfit
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import (
    ADOPTED_AFTER_LOST_RESPONSE,
    ADOPTED_CONCURRENT,
    CREATED,
    ClientListing,
    OAuthAPI,
    parse_time,
)

from ansible_collections.zendesk.oauth.tests.simulator import ADMIN as SIM_ADMIN, AGENT as SIM_AGENT

ADMIN = {"email": SIM_ADMIN["email"], "api_token": SIM_ADMIN["api_token"]}
AGENT = {"email": SIM_AGENT["email"], "api_token": SIM_AGENT["api_token"]}


class Recorder(object):
    """An injected sleep: records the waits instead of taking them."""

    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)


def client_for(sim, sleep=None, **options):
    credentials = options.pop("credentials", ADMIN)
    warnings = options.pop("warnings", [])
    return ZendeskClient(sim.url, sleep=sleep or Recorder(), warn=warnings.append, rng=lambda: 1.0,
                         **dict(credentials, **options))


def log(sim, method=None):
    entries = sim.control.requests()
    return [e for e in entries if method is None or e["method"] == method]


def test_basic_token_auth_is_accepted_and_logged(sim):
    body = client_for(sim).get("/api/v2/users/me")
    assert body["user"]["email"] == "admin@example.com"
    assert [(e["method"], e["path"], e["status"], e["auth"]) for e in log(sim)] == [
        ("GET", "/api/v2/users/me", 200, "basic")]


def test_a_netrc_entry_for_the_host_never_replaces_the_credential(sim, tmp_path, monkeypatch):
    """requests applies ~/.netrc ($NETRC) to a session without an auth object: the task's credential must win."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login %s password %s\n" % (AGENT["email"], AGENT["api_token"]))
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    body = client_for(sim).get("/api/v2/users/me")
    assert body["user"]["email"] == ADMIN["email"]
    assert [(e["path"], e["status"], e["auth"]) for e in log(sim)] == [("/api/v2/users/me", 200, "basic")]


def test_bearer_auth_and_a_held_token_checked_per_request(sim):
    api = OAuthAPI(client_for(sim))
    made = api.create_client({"identifier": "app", "name": "App", "kind": "confidential"})[0]
    mint = api.create_token(made["id"], ["read", "users:read"])
    token = mint.token
    assert mint.orphans_revoked == [] and mint.suspects == [] and mint.lost == 0
    assert len(token["full_token"]) > 10 and token["token"] == token["full_token"][:10]
    bearer = ZendeskClient(sim.url, oauth_token=token["full_token"], sleep=Recorder())
    assert bearer.get("/api/v2/users/me")["user"]["id"] == token["user_id"]
    assert api.current_token(token["full_token"])["id"] == token["id"]
    assert api.revoke_token(token["id"]) is True
    assert api.current_token(token["full_token"]) is None
    assert api.revoke_token(token["id"]) is False


def test_wrong_credentials_give_401_with_what_to_check(sim):
    with pytest.raises(ZendeskError) as caught:
        client_for(sim, credentials={"email": "admin@example.com", "api_token": "wrong"}).get("/api/v2/oauth/clients")
    assert caught.value.status == 401
    assert "GET /api/v2/oauth/clients" in str(caught.value) and "api_token" in str(caught.value)


def test_non_admin_gets_403_saying_admin_is_needed(sim):
    with pytest.raises(ZendeskError) as caught:
        OAuthAPI(client_for(sim, credentials=AGENT)).create_client({"identifier": "x", "name": "X"})
    assert caught.value.status == 403 and "admin" in str(caught.value)
    assert sim.control.state()["clients"] == []


def test_validation_error_names_the_field(sim):
    api = OAuthAPI(client_for(sim))
    with pytest.raises(ZendeskError) as caught:
        api.client.post("/api/v2/oauth/clients", json={"client": {"identifier": "x", "name": ""}})
    assert caught.value.status == 422 and caught.value.error == "RecordInvalid"
    assert "name: cannot be blank" in str(caught.value).lower()


def test_missing_record_is_404_and_none_from_the_resources(sim):
    api = OAuthAPI(client_for(sim))
    assert api.get_client(123) is None and api.get_token(456) is None
    assert api.delete_client(123) is False
    with pytest.raises(ZendeskError) as caught:
        api.client.get("/api/v2/oauth/clients/123")
    assert caught.value.status == 404 and caught.value.error == "RecordNotFound"


def test_pagination_walks_every_page_once(sim):
    sim.control.seed(clients=250, prefix="bulk")
    sim.control.clear_requests()
    identifiers = [c["identifier"] for c in OAuthAPI(client_for(sim)).iter_clients()]
    assert len(identifiers) == 250 and len(set(identifiers)) == 250
    gets = log(sim, "GET")
    assert len(gets) == 3 and all(e["status"] == 200 for e in gets)


def test_lookup_by_identifier_stops_at_the_page_that_has_it(sim):
    sim.control.seed(clients=250, prefix="bulk")
    sim.control.clear_requests()
    api = OAuthAPI(client_for(sim))
    first = sim.control.state()["clients"][0]["identifier"]
    assert api.find_client(first)["identifier"] == first
    assert len(log(sim)) == 1
    sim.control.clear_requests()
    assert api.find_client("missing") is None
    assert len(log(sim)) == 3


def paths(sim):
    return [(e["method"], e["path"], e["status"]) for e in log(sim)]


def test_a_right_id_hint_finds_the_client_in_one_request_whatever_the_number_of_clients(sim):
    seeded = sim.control.seed(clients=250, prefix="bulk")
    last = seeded["clients"][-1]
    sim.control.clear_requests()
    found = OAuthAPI(client_for(sim)).find_client(last["identifier"], id_hint=last["id"])
    assert found["id"] == last["id"]
    assert paths(sim) == [("GET", "/api/v2/oauth/clients/%d" % last["id"], 200)]


@pytest.mark.parametrize("hint", ["missing", "another"])
def test_a_wrong_id_hint_is_checked_and_the_clients_paged(sim, hint):
    seeded = sim.control.seed(clients=250, prefix="bulk")
    first, last = seeded["clients"][0], seeded["clients"][-1]
    hint_id = 999999999999 if hint == "missing" else first["id"]
    sim.control.clear_requests()
    found = OAuthAPI(client_for(sim)).find_client(last["identifier"], id_hint=hint_id)
    assert found["id"] == last["id"]
    assert paths(sim) == [("GET", "/api/v2/oauth/clients/%d" % hint_id, 404 if hint == "missing" else 200)] + [
        ("GET", "/api/v2/oauth/clients", 200)] * 3


def test_a_shared_listing_lists_the_clients_once_for_many_lookups(sim):
    seeded = sim.control.seed(clients=250, prefix="bulk")
    sim.control.clear_requests()
    listing = ClientListing()
    api = OAuthAPI(client_for(sim), listing=listing)
    assert [api.find_client(c["identifier"])["id"] for c in seeded["clients"][::50]] == [
        c["id"] for c in seeded["clients"][::50]]
    assert api.find_client("missing") is None
    assert paths(sim) == [("GET", "/api/v2/oauth/clients", 200)] * 3
    # The run's own writes keep it current, with no secret in it; a second API on the same listing reads it.
    created, unused = api.create_client({"identifier": "new_one", "name": "New one"})
    renamed = api.update_client(created["id"], {"name": "Renamed"})
    other = OAuthAPI(client_for(sim), listing=listing)
    assert other.find_client("new_one") == dict((k, v) for k, v in renamed.items() if k != "secret")
    assert api.delete_client(created["id"]) is True
    assert other.find_client("new_one") is None
    assert [e["method"] for e in log(sim)] == ["GET"] * 3 + ["POST", "PUT", "DELETE"]


def test_a_duplicate_refused_while_a_listing_is_shared_is_adopted_from_zendesk_not_the_listing(sim):
    listing = ClientListing()
    api = OAuthAPI(client_for(sim), listing=listing)
    assert api.find_client("raced") is None  # listed: not there yet
    made = sim.control.seed(clients=[{"identifier": "raced", "name": "Made by another run"}])["clients"][0]
    sim.control.clear_requests()
    adopted, outcome = api.create_client({"identifier": "raced", "name": "Raced"})
    assert outcome == ADOPTED_CONCURRENT and adopted["id"] == made["id"]
    assert [(e["method"], e["status"]) for e in log(sim)] == [("POST", 422), ("GET", 200)]
    assert api.find_client("raced")["id"] == made["id"]  # learnt


def test_retry_after_is_honoured_through_the_injected_clock(sim):
    sim.control.queue_faults([{"method": "GET", "path": "/api/v2/users/me", "fault": "429", "retry_after": 7}])
    sleep, warnings = Recorder(), []
    assert client_for(sim, sleep=sleep, warnings=warnings).get("/api/v2/users/me")["user"]["id"]
    assert sleep.waits == [7.0]
    assert [e["status"] for e in log(sim)] == [429, 200]
    assert "429" in warnings[0] and "7.0s" in warnings[0]


def test_rate_limit_wait_beyond_the_bound_fails_clearly_without_waiting(sim):
    sim.control.queue_faults([{"method": "GET", "path": "/api/v2/users/me", "fault": "429", "retry_after": 120}])
    sleep = Recorder()
    with pytest.raises(ZendeskError) as caught:
        client_for(sim, sleep=sleep, max_retry_wait=60).get("/api/v2/users/me")
    assert caught.value.status == 429 and "max_retry_wait=60" in str(caught.value)
    assert sleep.waits == [] and len(log(sim)) == 1


def test_server_errors_on_get_are_retried_with_capped_backoff(sim):
    sim.control.queue_faults([{"method": "GET", "path": "/api/v2/users/me", "fault": "503", "count": 2}])
    sleep = Recorder()
    client_for(sim, sleep=sleep).get("/api/v2/users/me")
    assert [e["status"] for e in log(sim)] == [503, 503, 200]
    assert sleep.waits == [1.0, 2.0]  # rng pinned to 1.0: base 1 s doubling, full step


def test_retries_stop_at_max_retries(sim):
    sim.control.queue_faults([{"method": "GET", "path": "/api/v2/users/me", "fault": "500", "count": 5}])
    with pytest.raises(ZendeskError) as caught:
        client_for(sim, max_retries=2).get("/api/v2/users/me")
    assert caught.value.status == 500 and "max_retries=2" in str(caught.value)
    assert len(log(sim)) == 3


def test_dropped_connection_on_get_is_retried(sim):
    sim.control.queue_faults([{"method": "GET", "path": "/api/v2/oauth/clients", "fault": "drop"}])
    assert list(OAuthAPI(client_for(sim)).iter_clients()) == []
    assert len(log(sim, "GET")) == 2


@pytest.mark.parametrize("fault", ["drop", "500", "ambiguous"])
def test_a_post_is_never_resent_blindly(sim, fault):
    sim.control.queue_faults([{"method": "POST", "path": "/api/v2/oauth/clients", "fault": fault}])
    with pytest.raises(ZendeskAmbiguousError):
        client_for(sim).post("/api/v2/oauth/clients", json={"client": {"identifier": "app", "name": "App"}})
    assert len(log(sim, "POST")) == 1


def test_lost_create_answer_adopts_the_client_made(sim):
    sim.control.queue_faults([{"method": "POST", "path": "/api/v2/oauth/clients", "fault": "ambiguous"}])
    client, outcome = OAuthAPI(client_for(sim)).create_client({"identifier": "app", "name": "App"})
    assert outcome == ADOPTED_AFTER_LOST_RESPONSE and client["identifier"] == "app"
    assert [c["identifier"] for c in sim.control.state()["clients"]] == ["app"]
    assert len(log(sim, "POST")) == 1


def test_create_that_did_not_land_is_sent_again(sim):
    sim.control.queue_faults([{"method": "POST", "path": "/api/v2/oauth/clients", "fault": "drop"}])
    client, outcome = OAuthAPI(client_for(sim)).create_client({"identifier": "app", "name": "App"})
    assert outcome == CREATED and len(client["secret"]) > 20
    assert len(sim.control.state()["clients"]) == 1 and len(log(sim, "POST")) == 2


def test_duplicate_from_a_concurrent_run_is_adopted(sim):
    api = OAuthAPI(client_for(sim))
    api.client.post("/api/v2/oauth/clients", json={"client": {"identifier": "app", "name": "App"}})
    client, outcome = api.create_client({"identifier": "app", "name": "App"})
    assert outcome == ADOPTED_CONCURRENT and len(sim.control.state()["clients"]) == 1


def made_in_this_run(client):
    """What create_token is told about a client this run has just created: no token of it can be older."""
    return {"known_ids": (), "baseline": parse_time(client["created_at"]), "known_ids_complete": True}


def test_lost_token_answer_revokes_the_orphan_and_mints_one_token(sim):
    api = OAuthAPI(client_for(sim))
    made = api.create_client({"identifier": "app", "name": "App"})[0]
    sim.control.queue_faults([{"method": "POST", "path": "/api/v2/oauth/tokens", "fault": "ambiguous"}])
    mint = api.create_token(made["id"], ["read"], **made_in_this_run(made))
    assert mint.suspects == [] and mint.unresolved == 0 and mint.lost == 1 and mint.warnings(made["id"], ["read"]) == []
    state = sim.control.state()
    assert [t["id"] for t in state["tokens"]] == [mint.token["id"]]
    assert [t["id"] for t in state["revoked_tokens"]] == mint.orphans_revoked and len(mint.orphans_revoked) == 1
    assert state["tokens"][0]["full_token"] == mint.token["full_token"]


def test_a_failed_look_after_the_mint_keeps_the_new_token(sim):
    """Lost answer, then a mint, then the late look fails: the minted token is returned, not lost."""
    api = OAuthAPI(client_for(sim, max_retries=2))
    made = api.create_client({"identifier": "app", "name": "App"})[0]
    sim.control.queue_faults([{"method": "POST", "path": "/api/v2/oauth/tokens", "fault": "500"}])
    calls = []
    real_look = api._orphans

    def look(*args):
        calls.append(args)
        if len(calls) == 2:  # the look after the mint
            sim.control.queue_faults([{"method": "GET", "path": "/api/v2/oauth/tokens", "fault": "500", "count": 3}])
        return real_look(*args)

    api._orphans = look
    mint = api.create_token(made["id"], ["read"])

    assert isinstance(mint.look_error, ZendeskError) and mint.look_error.status == 500
    assert len(calls) == 2
    live = {t["id"]: t for t in sim.control.state()["tokens"]}
    assert live[mint.token["id"]]["full_token"] == mint.token["full_token"]
    warnings = mint.warnings(made["id"], ["read"])
    assert len(warnings) == 1 and str(mint.token["id"]) in warnings[0] and "token_id: ID" in warnings[0]


def test_more_candidates_than_lost_answers_are_named_and_none_is_revoked(sim):
    """A token another run made after the baseline is as likely the orphan as the real one: both are named."""
    api = OAuthAPI(client_for(sim))
    made = api.create_client({"identifier": "app", "name": "App"})[0]
    other = api.create_token(made["id"], ["read"]).token  # made after the client: passes every test of time
    sim.control.queue_faults([{"method": "POST", "path": "/api/v2/oauth/tokens", "fault": "ambiguous"}])
    mint = api.create_token(made["id"], ["read"], **made_in_this_run(made))

    state = sim.control.state()
    assert state["revoked_tokens"] == [], "a token was revoked although it could not tell which was the orphan"
    assert other["id"] in mint.suspects and len(mint.suspects) == 2 and mint.orphans_revoked == []
    assert sorted(t["id"] for t in state["tokens"]) == sorted(mint.suspects + [mint.token["id"]])
    warning = mint.warnings(made["id"], ["read"])[0]
    assert all(str(token_id) in warning for token_id in mint.suspects) and "state: absent, token_id: ID" in warning


def test_a_token_post_that_timed_out_is_given_time_to_land_before_the_look(sim):
    """The server still works on a timed-out POST: the look waits `timeout` more, finds it, revokes it.

    The token is made a second after the POST was sent, a later second than any baseline: proved.
    """
    import time
    api = OAuthAPI(client_for(sim, sleep=time.sleep, timeout=0.5))
    made = api.create_client({"identifier": "app", "name": "App"})[0]
    sim.control.queue_faults([{"method": "POST", "path": "/api/v2/oauth/tokens", "fault": "slow", "delay": 1.0}])
    mint = api.create_token(made["id"], ["read"])
    state = sim.control.state()
    assert [t["id"] for t in state["tokens"]] == [mint.token["id"]] and mint.suspects == []
    assert [t["id"] for t in state["revoked_tokens"]] == mint.orphans_revoked and len(mint.orphans_revoked) == 1
    assert api.client.waited >= 0.5


def test_a_held_token_verifies_itself_and_no_admin_credential_goes_with_it(sim):
    seeded = sim.control.seed(clients=[{"identifier": "app", "name": "App"}],
                              tokens=[{"client_identifier": "app", "scopes": ["read"]}])
    full_token = seeded["tokens"][0]["full_token"]
    sim.control.clear_requests()
    # No credentials at all (the token info module with only full_token), then an admin's Basic credentials.
    for credentials in ({}, ADMIN):
        held = OAuthAPI(client_for(sim, credentials=credentials)).current_token(full_token)
        assert held["id"] == seeded["token_ids"][0] and held["client_id"] == seeded["client_ids"][0]
        assert "full_token" not in held
    assert [(e["path"], e["status"], e["auth"], e["user_id"]) for e in log(sim)] == [
        ("/api/v2/oauth/tokens/current", 200, "bearer", SIM_ADMIN["id"])] * 2


def test_a_revoked_or_unknown_held_token_is_none(sim):
    seeded = sim.control.seed(clients=[{"identifier": "app", "name": "App"}], tokens=[{"client_identifier": "app"}])
    api = OAuthAPI(client_for(sim, credentials={}))
    assert OAuthAPI(client_for(sim)).revoke_token(seeded["token_ids"][0]) is True
    assert api.current_token(seeded["tokens"][0]["full_token"]) is None
    assert api.current_token("never-minted") is None
    assert [e["status"] for e in log(sim, "GET")] == [401, 401]


def test_held_token_fit_counts_expiry_by_the_server_clock(sim):
    seeded = sim.control.seed(clients=[{"identifier": "app", "name": "App"}],
                              tokens=[{"client_identifier": "app", "scopes": ["read"], "expires_in": 3600}])
    client_id, full_token = seeded["client_ids"][0], seeded["tokens"][0]["full_token"]
    api = OAuthAPI(client_for(sim, credentials={}))
    held = api.current_token(full_token)
    assert why_unfit(held, client_id, ["read"], api.server_now(), 3000) is None
    assert why_unfit(held, client_id, ["read"], api.server_now(), 3700).endswith("within expiry_margin=3700s")
    sim.control.advance_clock(700)
    held = api.current_token(full_token)
    assert why_unfit(held, client_id, ["read"], api.server_now(), 3000).endswith("within expiry_margin=3000s")
    sim.control.advance_clock(3000)
    assert why_unfit(api.current_token(full_token), client_id, ["read"], api.server_now(), 0) == (
        "it is revoked, expired or unknown to Zendesk")


def test_tokens_of_one_client_or_of_all_the_callers_clients(sim):
    seeded = sim.control.seed(clients=[{"identifier": "a", "name": "A"}, {"identifier": "b", "name": "B"}],
                              tokens=[{"client_identifier": "a"}, {"client_identifier": "b"},
                                      {"client_identifier": "b", "user_id": SIM_AGENT["id"]}])
    api = OAuthAPI(client_for(sim))
    sim.control.clear_requests()
    assert [t["id"] for t in api.iter_tokens(seeded["client_ids"][1])] == seeded["token_ids"][1:2]
    assert [t["id"] for t in api.iter_tokens()] == seeded["token_ids"][:2]
    assert [e["params"].get("client_id") for e in log(sim)] == [str(seeded["client_ids"][1]), None]
