# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guard of the live suite: what it lets through, how it spaces requests, and that a refused
request never reaches the server (against the in-process simulator, checked in its request log)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest

from account import Account, admin_authorization, clean
from guard import Budget, CapReached, Call, Dropped, GuardProxy, Policy, Upstream, fingerprint, retry_after_seconds
from simulator import ADMIN, Simulator, SimulatorControl

PREFIX = "zendesk-oauth-live-20261130t101500-a1b2-"


def learnt(policy, *clients):
    """A policy that has seen a client list holding ``clients`` (dicts with id and identifier)."""
    policy.learn(Call("GET", "/api/v2/oauth/clients"), 200, {"clients": list(clients)})
    return policy


OURS = {"id": 11, "identifier": PREFIX + "client"}
FOREIGN = {"id": 22, "identifier": "acme_production"}
LOOK_ALIKE = {"id": 33, "identifier": "x-" + PREFIX + "client"}


@pytest.fixture
def policy():
    return learnt(Policy(PREFIX), OURS, FOREIGN, LOOK_ALIKE)


@pytest.mark.parametrize("call", [
    Call("GET", "/api/v2/users/me"),
    Call("GET", "/api/v2/oauth/clients.json", {"page[size]": "100"}),
    Call("POST", "/api/v2/oauth/clients", body={"client": {"identifier": PREFIX + "new", "name": "n"}}),
    Call("GET", "/api/v2/oauth/clients/11"),
    Call("PUT", "/api/v2/oauth/clients/11", body={"client": {"company": "c"}}),
    Call("PUT", "/api/v2/oauth/clients/11", body={"client": {"identifier": PREFIX + "renamed"}}),
    Call("PUT", "/api/v2/oauth/clients/11/generate_secret.json"),
    Call("DELETE", "/api/v2/oauth/clients/11"),
    Call("GET", "/api/v2/oauth/tokens", {"client_id": "11", "all": "true"}),
    Call("POST", "/api/v2/oauth/tokens", body={"token": {"client_id": 11, "scopes": ["read"]}}),
    Call("POST", "/oauth/tokens", body={"grant_type": "client_credentials", "client_id": PREFIX + "client"}),
], ids=str)
def test_the_runs_own_records_may_be_used(policy, call):
    assert policy.check(call) is None


@pytest.mark.parametrize("call", [
    Call("POST", "/api/v2/oauth/clients", body={"client": {"identifier": "acme_new", "name": "n"}}),
    Call("POST", "/api/v2/oauth/clients", body={"client": {"name": "no identifier"}}),
    Call("GET", "/api/v2/oauth/clients/22"),
    Call("PUT", "/api/v2/oauth/clients/22", body={"client": {"company": "c"}}),
    Call("DELETE", "/api/v2/oauth/clients/22"),
    Call("DELETE", "/api/v2/oauth/clients/33"),
    Call("PUT", "/api/v2/oauth/clients/22/generate_secret"),
    Call("PUT", "/api/v2/oauth/clients/11", body={"client": {"identifier": "acme_taken_over"}}),
    Call("GET", "/api/v2/oauth/tokens"),
    Call("GET", "/api/v2/oauth/tokens", {"all": "true"}),
    Call("GET", "/api/v2/oauth/tokens", {"client_id": "22"}),
    Call("POST", "/api/v2/oauth/tokens", body={"token": {"client_id": 22, "scopes": ["read"]}}),
    Call("GET", "/api/v2/oauth/tokens/500"),
    Call("DELETE", "/api/v2/oauth/tokens/500"),
    Call("GET", "/api/v2/oauth/tokens/current", bearer="the-admins-own-oauth-token"),
    Call("DELETE", "/api/v2/oauth/tokens/current", bearer="the-admins-own-oauth-token"),
    Call("POST", "/oauth/tokens", body={"grant_type": "client_credentials", "client_id": "acme_production"}),
    Call("GET", "/api/v2/oauth/global_clients"),
    Call("PUT", "/api/v2/users/me"),
    Call("DELETE", "/api/v2/oauth/clients"),
], ids=str)
def test_anything_else_is_refused(policy, call):
    assert policy.check(call)


def test_tokens_are_the_runs_once_seen_with_its_clients(policy):
    revoke_ours, revoke_foreign = Call("DELETE", "/api/v2/oauth/tokens/501"), Call("DELETE", "/api/v2/oauth/tokens/502")
    listing = {"tokens": [{"id": 501, "client_id": 11}, {"id": 502, "client_id": 22}]}
    policy.learn(Call("GET", "/api/v2/oauth/tokens", {"client_id": "11"}), 200, listing)
    assert policy.check(revoke_ours) is None
    assert policy.check(revoke_foreign)  # Zendesk ignoring the client_id filter must not make it ours


def test_a_bearer_is_the_runs_once_issued_through_the_door(policy):
    minted, granted = "m" * 64, "g" * 40
    for bearer in (minted, granted):
        assert policy.check(Call("DELETE", "/api/v2/oauth/tokens/current", bearer=bearer))
    policy.learn(Call("POST", "/api/v2/oauth/tokens"), 201,
                 {"token": {"id": 600, "client_id": 11, "full_token": minted}})
    policy.learn(Call("POST", "/oauth/tokens", body={"client_id": PREFIX + "client"}), 200, {"access_token": granted})
    for bearer in (minted, granted):
        assert policy.check(Call("GET", "/api/v2/oauth/tokens/current", bearer=bearer)) is None
        assert policy.check(Call("DELETE", "/api/v2/oauth/tokens/current", bearer=bearer)) is None
    assert fingerprint(minted) in policy.bearers and minted not in policy.bearers


def test_an_error_answer_teaches_nothing(policy):
    policy.learn(Call("POST", "/api/v2/oauth/clients"), 422, {"client": {"id": 77, "identifier": PREFIX + "x"}})
    assert policy.check(Call("DELETE", "/api/v2/oauth/clients/77"))


def test_the_clean_up_may_only_read_and_delete():
    policy = learnt(Policy(PREFIX, creating=False), OURS, FOREIGN)
    assert policy.check(Call("DELETE", "/api/v2/oauth/clients/11")) is None
    assert policy.check(Call("GET", "/api/v2/oauth/tokens", {"client_id": "11", "all": "true"})) is None
    for call in (Call("POST", "/api/v2/oauth/clients", body={"client": {"identifier": PREFIX + "new"}}),
                 Call("PUT", "/api/v2/oauth/clients/11", body={"client": {"company": "c"}}),
                 Call("PUT", "/api/v2/oauth/clients/11/generate_secret"),
                 Call("POST", "/api/v2/oauth/tokens", body={"token": {"client_id": 11, "scopes": ["read"]}}),
                 Call("POST", "/oauth/tokens", body={"client_id": PREFIX + "client"}),
                 Call("DELETE", "/api/v2/oauth/clients/22")):
        assert policy.check(call), call


def test_no_prefix_no_policy():
    with pytest.raises(ValueError):
        Policy("")


class FakeTime:
    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 3))
        self.now += seconds


def test_the_budget_spaces_requests_to_the_minute_and_stops_at_the_cap():
    fake = FakeTime()
    budget = Budget(per_minute=3, limit=5, clock=fake.clock, sleep=fake.sleep)
    for step in (1, 1, 1):
        budget.acquire()
        fake.now += step
    assert fake.slept == []
    budget.acquire()  # the 4th waits until the 1st is 60 s old
    assert sum(fake.slept) == 57.0 and max(fake.slept) <= 1.0
    assert fake.now == 1060.0
    budget.acquire()  # the 5th until the 2nd is
    assert sum(fake.slept) == 58.0
    assert (budget.count, budget.peak, budget.paced) == (5, 3, 58.0)
    with pytest.raises(CapReached):
        budget.acquire()


def test_after_a_429_every_request_waits_for_retry_after():
    fake = FakeTime()
    budget = Budget(per_minute=100, limit=10, clock=fake.clock, sleep=fake.sleep)
    budget.acquire()
    budget.rate_limited(7)
    budget.acquire()
    assert sum(fake.slept) == 7.0
    assert budget.held == 7.0


def test_a_held_request_is_dropped_when_the_run_stops():
    fake = FakeTime()
    budget = Budget(per_minute=1, limit=10, clock=fake.clock, sleep=fake.sleep)
    budget.acquire()
    with pytest.raises(Dropped):
        budget.acquire(dropped=lambda: fake.now >= 1003)
    assert sum(fake.slept) == 3.0 and budget.count == 1


@pytest.mark.parametrize("value, seconds", [("3", 3), (" 12 ", 12), (None, 10), ("soon", 10)])
def test_retry_after_seconds(value, seconds):
    assert retry_after_seconds(value) == seconds


# -- the door itself, in front of the in-process simulator --------------------------------------------
@pytest.fixture
def door():
    with Simulator(port=0) as sim:
        control = SimulatorControl(sim.url)
        control.seed(clients=[{"identifier": "acme_production", "name": "ACME", "kind": "confidential"}],
                     tokens=[{"client_identifier": "acme_production", "scopes": ["read"]}])
        proxy = GuardProxy(Upstream(sim.url), Policy(PREFIX), Budget(per_minute=100, limit=50))
        url = proxy.start()
        try:
            yield url, control, proxy
        finally:
            proxy.stop()


def test_the_door_forwards_the_runs_calls_and_keeps_others_from_the_server(door):
    url, control, proxy = door
    account = Account(url, admin_authorization(ADMIN["email"], ADMIN["api_token"]))
    foreign = control.state()["clients"][0]
    control.clear_requests()

    created = account.call("POST", "/api/v2/oauth/clients", body={"client": {"identifier": PREFIX + "a", "name": "a"}})
    refused = [account.call("DELETE", "/api/v2/oauth/clients/%d" % foreign["id"]),
               account.call("POST", "/api/v2/oauth/clients", body={"client": {"identifier": "acme_b", "name": "b"}}),
               account.call("GET", "/api/v2/oauth/tokens", params={"all": "true"})]
    done = clean(account, PREFIX, say=lambda text: None)

    assert created.status == 201
    assert [answer.status for answer in refused] == [403, 403, 403]
    assert all(answer.body["error"] == "LiveGuardRefused" for answer in refused)
    seen = ["%s %s" % (entry["method"], entry["path"]) for entry in control.requests()]
    assert "DELETE /api/v2/oauth/clients/%d" % foreign["id"] not in seen
    assert not [call for call in seen if call.startswith("POST") and "acme" in call]
    assert done == {"clients": [PREFIX + "a"], "tokens": 0, "left": []}
    state = control.state()
    assert [client["identifier"] for client in state["clients"]] == ["acme_production"]
    assert len(state["tokens"]) == 1 and state["tokens"][0]["client_id"] == foreign["id"]
    assert proxy.budget.count == len(seen)
    assert len(proxy.traffic.refusals) == 3


def test_the_door_passes_the_servers_date_header_only(door):
    url, unused, proxy = door
    del unused
    request = urllib.request.Request(url + "/api/v2/users/me", headers={
        "Authorization": admin_authorization(ADMIN["email"], ADMIN["api_token"])})
    with urllib.request.urlopen(request, timeout=10) as response:
        dates = response.headers.get_all("Date")
        body = json.loads(response.read())
    assert len(dates) == 1
    assert body["user"]["role"] == "admin"
    assert proxy.traffic.dated == 1 and proxy.traffic.rate_limits


def test_the_door_stops_at_the_cap(door):
    url, control, proxy = door
    proxy.budget.limit = proxy.budget.count + 1
    account = Account(url, admin_authorization(ADMIN["email"], ADMIN["api_token"]))
    control.clear_requests()
    assert account.call("GET", "/api/v2/users/me").status == 200
    capped = account.call("GET", "/api/v2/users/me")
    assert capped.status == 503 and capped.body["error"] == "LiveRequestCapReached"
    assert len(control.requests()) == 1


def test_a_request_held_for_the_budget_never_goes_out_once_the_run_stops(door):
    url, control, proxy = door
    proxy.budget.per_minute = proxy.budget.count + 1  # the next request fills the minute
    account = Account(url, admin_authorization(ADMIN["email"], ADMIN["api_token"]))
    control.clear_requests()
    assert account.call("GET", "/api/v2/users/me").status == 200
    answers = []
    held = threading.Thread(target=lambda: answers.append(account.call(
        "POST", "/api/v2/oauth/clients", body={"client": {"identifier": PREFIX + "late", "name": "late"}})))
    held.start()
    time.sleep(1.5)  # it is being held: the minute is full
    assert not answers
    proxy.drop_held()
    held.join(10)
    assert answers[0].status == 503 and answers[0].body["error"] == "LiveRunStopping"
    assert [entry["path"] for entry in control.requests()] == ["/api/v2/users/me"]
    assert not proxy.traffic.created_clients()
