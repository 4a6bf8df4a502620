# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live suite's settings, and its start: the credential check and the leftovers of earlier runs."""

from __future__ import annotations

import pytest

import run
from account import Account
from simulator import ADMIN, AGENT, Simulator, SimulatorControl

ADMIN_ENV = {"ZENDESK_EMAIL": ADMIN["email"], "ZENDESK_API_TOKEN": ADMIN["api_token"]}


def settings(**environ):
    return run.Settings({key: str(value) for key, value in environ.items()})


def test_nothing_set_means_not_run_with_both_things_named():
    missing = settings().missing
    assert len(missing) == 2
    assert "ZENDESK_URL" in missing[0] and "ZENDESK_SUBDOMAIN" in missing[0]
    assert "ZENDESK_API_TOKEN" in missing[1] and "ZENDESK_OAUTH_TOKEN" in missing[1]
    assert len(settings(ZENDESK_SUBDOMAIN="acme").missing) == 1
    assert len(settings(ZENDESK_OAUTH_TOKEN="t").missing) == 1


def test_a_complete_environment():
    found = settings(ZENDESK_SUBDOMAIN="acme", ZENDESK_OAUTH_TOKEN="t")
    assert (found.missing, found.url, found.prefix) == ([], "https://acme.zendesk.com", run.DEFAULT_PREFIX)
    assert found.module_environment("http://127.0.0.1:9")["ZENDESK_OAUTH_TOKEN"] == "t"
    assert "ZENDESK_EMAIL" not in found.module_environment("http://127.0.0.1:9")
    local = settings(ZENDESK_URL="http://127.0.0.1:8080/", **ADMIN_ENV)
    assert local.url == "http://127.0.0.1:8080" and not local.missing


@pytest.mark.parametrize("environ, named", [
    ({"ZENDESK_URL": "https://acme.zendesk.com", "ZENDESK_SUBDOMAIN": "acme"}, "set one"),
    ({"ZENDESK_URL": "http://acme.zendesk.com"}, "plain http"),
    ({"ZENDESK_URL": "acme.zendesk.com"}, "absolute https URL"),
    ({"ZENDESK_SUBDOMAIN": "acme.zendesk.com"}, "ZENDESK_SUBDOMAIN"),
    ({"ZENDESK_EMAIL": "a@b.example"}, "go together"),
    ({"ZENDESK_OAUTH_TOKEN": "t", "ZENDESK_API_TOKEN": "x", "ZENDESK_EMAIL": "a@b.example"}, "not both"),
    ({"ZENDESK_LIVE_PREFIX": "zd-"}, "ZENDESK_LIVE_PREFIX"),
    ({"ZENDESK_LIVE_PREFIX": "zendesk-oauth-live"}, "ending with"),
    ({"ZENDESK_LIVE_PREFIX": "Zendesk-Live-"}, "lowercase"),
    ({"ZENDESK_LIVE_REQUESTS_PER_MINUTE": "5000"}, "ZENDESK_LIVE_REQUESTS_PER_MINUTE"),
    ({"ZENDESK_LIVE_MAX_REQUESTS": "20"}, "ZENDESK_LIVE_MAX_REQUESTS"),
    ({"ZENDESK_LIVE_CLEAN_FIRST": "maybe"}, "true or false"),
])
def test_what_the_suite_refuses_to_run_with(environ, named):
    with pytest.raises(run.SettingsError, match=named):
        settings(**environ)


@pytest.fixture
def account_with_leftovers():
    """A simulator holding another team's client and 2 clients of earlier live runs (each with a token)."""
    with Simulator(port=0) as sim:
        control = SimulatorControl(sim.url)
        leftovers = [run.DEFAULT_PREFIX + "19991231t235959-dead-%d" % number for number in (1, 2)]
        control.seed(clients=[{"identifier": identifier, "name": "x", "kind": "confidential"}
                              for identifier in ["acme_production"] + leftovers],
                     tokens=[{"client_identifier": identifier, "scopes": ["read"]}
                             for identifier in ["acme_production"] + leftovers])
        yield sim.url, control


def start(url, **environ):
    """A Run with its door open, as Run.main leaves it before the preflight."""
    live = run.Run(settings(ZENDESK_URL=url, **dict(ADMIN_ENV, **environ)))
    live.account = Account(live.proxy.start(), live.settings.authorization())
    return live


def identifiers(control):
    return sorted(client["identifier"] for client in control.state()["clients"])


def test_more_leftovers_than_the_bound_refuse_the_start_and_change_nothing(account_with_leftovers):
    url, control = account_with_leftovers
    before = control.state()
    control.clear_requests()
    live = start(url, ZENDESK_LIVE_MAX_LEFTOVERS=1)
    try:
        assert live.preflight() == run.EXIT_REFUSED
    finally:
        live.proxy.stop()
    assert [entry["method"] for entry in control.requests()] == ["GET", "GET"]
    assert control.state()["clients"] == before["clients"] and control.state()["tokens"] == before["tokens"]


def test_within_the_bound_the_run_goes_on_and_leaves_them(account_with_leftovers):
    url, control = account_with_leftovers
    live = start(url, ZENDESK_LIVE_MAX_LEFTOVERS=2)
    try:
        assert live.preflight() is None
    finally:
        live.proxy.stop()
    assert len(identifiers(control)) == 3


def test_clean_first_removes_the_leftovers_and_their_tokens_only(account_with_leftovers):
    url, control = account_with_leftovers
    live = start(url, ZENDESK_LIVE_MAX_LEFTOVERS=0, ZENDESK_LIVE_CLEAN_FIRST=1)
    try:
        assert live.preflight() is None
    finally:
        live.proxy.stop()
    state = control.state()
    assert identifiers(control) == ["acme_production"]
    assert [token["client_id"] for token in state["tokens"]] == [state["clients"][0]["id"]]
    assert not live.proxy.traffic.refusals


def test_an_agent_is_refused_before_anything_is_read(account_with_leftovers):
    url, control = account_with_leftovers
    control.clear_requests()
    live = run.Run(settings(ZENDESK_URL=url, ZENDESK_EMAIL=AGENT["email"], ZENDESK_API_TOKEN=AGENT["api_token"]))
    live.account = Account(live.proxy.start(), live.settings.authorization())
    try:
        assert live.preflight() == run.EXIT_REFUSED
    finally:
        live.proxy.stop()
    assert [entry["path"] for entry in control.requests()] == ["/api/v2/users/me"]
