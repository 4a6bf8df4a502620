# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API client against a server that misbehaves (the simulator's hostile behaviours).

Credentials go to the base URL only (links and redirects), no secret reaches a message, and a
list ends. A second simulator stands for "another host": its request log shows what reached it.
"""

from __future__ import annotations

import base64
import socket
from urllib.parse import quote, urlsplit

import pytest

from ansible_collections.zendesk.oauth.plugins.module_utils._api import (
    MAX_CURSOR_PAGES,
    MAX_OFFSET_PAGES,
    ZendeskClient,
    ZendeskError,
)
from ansible_collections.zendesk.oauth.plugins.module_utils._grants import Grant, GrantAPI
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import OAuthAPI

from ansible_collections.zendesk.oauth.tests.simulator import ADMIN, Simulator, SimulatorControl

CLIENTS_PATH = "/api/v2/oauth/clients"
BASIC = base64.b64encode(("%s/token:%s" % (ADMIN["email"], ADMIN["api_token"])).encode()).decode()


@pytest.fixture(scope="module")
def other_host():
    """Another server, standing for a host the user never configured."""
    server = Simulator(port=0)
    server.start()
    server.control = SimulatorControl(server.url)
    yield server
    server.stop()


@pytest.fixture
def elsewhere(other_host):
    other_host.control.reset()
    return other_host


def admin_client(url, **options):
    options.setdefault("sleep", lambda seconds: None)
    return ZendeskClient(url, email=ADMIN["email"], api_token=ADMIN["api_token"], rng=lambda: 1.0, **options)


def reached(server):
    """What reached a server: (method, path, auth kind, body) of each request."""
    return [(e["method"], e["path"], e["auth"], e["body"]) for e in server.control.requests()]


# ------------------------------------------------------------------------------------------------
# links and redirects
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("base, link, expected", [
    # With a subdomain, ".evil.com/..." appended to the base named another host (acme.zendesk.com.evil.com).
    ("https://acme.zendesk.com", ".evil.com/api/v2/oauth/clients?page=2",
     "https://acme.zendesk.com/.evil.com/api/v2/oauth/clients?page=2"),
    # "1/..." appended to a base with a port named another port (8080 -> 80801).
    ("http://127.0.0.1:8080", "1/api/v2/oauth/clients.json?page=2",
     "http://127.0.0.1:8080/1/api/v2/oauth/clients.json?page=2"),
    ("https://acme.zendesk.com", "/api/v2/oauth/clients?page=2",
     "https://acme.zendesk.com/api/v2/oauth/clients?page=2"),
    ("https://acme.zendesk.com", "https://ACME.zendesk.com:443/api/v2/x?y=1",
     "https://ACME.zendesk.com:443/api/v2/x?y=1"),
    ("https://proxy.example/zd", "api/v2/oauth/clients?page=2",
     "https://proxy.example/zd/api/v2/oauth/clients?page=2"),
])
def test_a_link_is_resolved_against_the_base_url_and_stays_on_its_host(base, link, expected):
    client = ZendeskClient(base, oauth_token="an-admin-oauth-token")
    resolved = client._url_for(link)
    assert resolved == expected
    assert urlsplit(resolved).hostname == urlsplit(base).hostname


@pytest.mark.parametrize("link", [
    "https://evil.example/api/v2/oauth/clients?page=2",       # another host
    "http://acme.zendesk.com/api/v2/oauth/clients?page=2",    # another scheme
    "https://acme.zendesk.com:8443/api/v2/oauth/clients",     # another port
    "//evil.example/api/v2/oauth/clients",                    # scheme-relative: another host
    "https://user@acme.zendesk.com/api/v2/oauth/clients",     # a user name would replace the credential
    "https://acme.zendesk.com:99999/api/v2/oauth/clients",    # not a port
])
def test_a_link_that_leaves_the_base_is_refused(link):
    client = ZendeskClient("https://acme.zendesk.com", oauth_token="an-admin-oauth-token")
    with pytest.raises(ZendeskError) as caught:
        client._url_for(link)
    assert "refused to follow" in str(caught.value) and "https://acme.zendesk.com" in str(caught.value)


def free_port_pair():
    """A port P of this machine whose decimal 'P' + '1' is a free port too (the relative-link hijack)."""
    for port in range(2000, 6500, 37):
        sockets = []
        try:
            for candidate in (port, port * 10 + 1):
                probe = socket.socket()
                sockets.append(probe)
                probe.bind(("127.0.0.1", candidate))
            return port
        except OSError:
            continue
        finally:
            for probe in sockets:
                probe.close()
    pytest.skip("no free pair of ports P and P*10+1 on this machine")


def test_a_relative_next_page_never_takes_the_credential_to_another_port():
    """next_page "1/api/..." on a base at port P: appended, it named port P*10+1 (another server)."""
    port = free_port_pair()
    with Simulator(port=port) as sim, Simulator(port=port * 10 + 1) as neighbour:
        sim.control, neighbour.control = SimulatorControl(sim.url), SimulatorControl(neighbour.url)
        sim.control.seed(clients=150)
        neighbour.control.seed(clients=150)
        sim.control.set_config(cursor_pagination=False, page_link_template="1{path}?{query}")
        neighbour.control.clear_requests()

        with pytest.raises(ZendeskError):
            list(OAuthAPI(admin_client(sim.url, max_retries=0)).iter_clients())

        assert reached(neighbour) == [], "the admin's credential went to another port"
        assert [(e["path"], e["status"]) for e in sim.control.requests()][-1] == ("/1/api/v2/oauth/clients", 404)


def test_a_next_page_on_another_host_is_refused_and_never_sent(sim, elsewhere):
    sim.control.seed(clients=150)
    sim.control.set_config(cursor_pagination=False, page_link_template=elsewhere.url + "{path}?{query}")
    with pytest.raises(ZendeskError) as caught:
        list(OAuthAPI(admin_client(sim.url)).iter_clients())
    assert "refused to follow the next page link %s/api/v2/oauth/clients" % elsewhere.url in str(caught.value)
    assert reached(elsewhere) == []
    assert len(sim.control.requests()) == 1


def test_a_cursor_list_walks_on_its_own_path_whatever_links_say(sim, elsewhere):
    """links.next points elsewhere, after_cursor is there: the next page is asked for on the base URL."""
    sim.control.seed(clients=250)
    sim.control.set_config(page_link_template=elsewhere.url + "{path}?{query}")
    assert len(list(OAuthAPI(admin_client(sim.url)).iter_clients())) == 250
    assert reached(elsewhere) == [] and len(sim.control.requests()) == 3


def test_a_redirected_grant_is_not_followed_and_its_secret_goes_nowhere(sim, elsewhere):
    """A 307 to POST /oauth/tokens: requests would re-post client_secret there and take its answer as a token."""
    sim.control.seed(clients=[{"identifier": "app", "name": "App", "kind": "confidential", "secret": "s3cret-of-app"}])
    sim.control.queue_faults([{"method": "POST", "path": "/oauth/tokens", "fault": "redirect", "status": 307,
                               "location": elsewhere.url + "/oauth/tokens"}])
    grants = GrantAPI(ZendeskClient(sim.url, sleep=lambda seconds: None))
    with pytest.raises(ZendeskError) as caught:
        grants.exchange(Grant("client_credentials", "app", client_secret="s3cret-of-app", scopes=["read"]))
    assert caught.value.status == 307 and "never follows a redirect" in str(caught.value)
    assert reached(elsewhere) == [], "the client secret was posted to the redirect's target"
    assert len(sim.control.requests()) == 1


@pytest.mark.parametrize("status", [301, 302, 307])
def test_a_read_follows_a_redirect_on_its_own_host_only(sim, elsewhere, status):
    sim.control.seed(clients=[{"identifier": "app", "name": "App"}])
    sim.control.queue_faults([{"method": "GET", "path": "/api/v2/users/me", "fault": "redirect", "status": status,
                               "location": "/api/v2/oauth/clients"}])
    assert admin_client(sim.url).get("/api/v2/users/me")["clients"][0]["identifier"] == "app"

    sim.control.queue_faults([{"method": "GET", "path": "/api/v2/users/me", "fault": "redirect", "status": status,
                               "location": elsewhere.url + "/api/v2/users/me"}])
    with pytest.raises(ZendeskError) as caught:
        admin_client(sim.url).get("/api/v2/users/me")
    assert caught.value.status == status and "refused to follow the redirect" in str(caught.value)
    assert reached(elsewhere) == []


def test_a_write_follows_no_redirect_even_on_its_own_host(sim):
    sim.control.queue_faults([{"method": "POST", "path": CLIENTS_PATH, "fault": "redirect", "status": 308,
                               "location": CLIENTS_PATH}])
    with pytest.raises(ZendeskError) as caught:
        admin_client(sim.url).post(CLIENTS_PATH, json={"client": {"identifier": "app", "name": "App"}})
    assert caught.value.status == 308
    assert sim.control.state()["clients"] == [] and len(sim.control.requests()) == 1


# ------------------------------------------------------------------------------------------------
# secrets in answers
# ------------------------------------------------------------------------------------------------
def assert_clean(text, *secrets):
    for secret in secrets:
        for form in (secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()):
            assert form not in text, "a secret (%s...) is in: %s" % (form[:6], text)


def test_an_error_that_echoes_the_authorization_header_is_scrubbed(sim):
    sim.control.set_config(echo_request=True)
    with pytest.raises(ZendeskError) as caught:
        admin_client(sim.url).get("/api/v2/oauth/clients/12345")
    error = caught.value
    assert error.status == 404 and "Authorization: Basic ********" in str(error)
    assert_clean(str(error), ADMIN["api_token"], "%s/token:%s" % (ADMIN["email"], ADMIN["api_token"]))
    assert_clean(repr(error.as_dict()), ADMIN["api_token"])
    assert BASIC not in repr(error.args)


def test_an_echoed_bearer_token_and_grant_body_are_scrubbed(sim):
    sim.control.set_config(echo_request=True)
    sim.control.seed(clients=[{"identifier": "app", "name": "App", "kind": "public", "secret": "s3cret-of-app"}])
    client = ZendeskClient(sim.url, sleep=lambda seconds: None)
    with pytest.raises(ZendeskError) as caught:  # client_credentials needs a confidential client: 400
        GrantAPI(client).exchange(Grant("client_credentials", "app", client_secret="s3cret-of-app", scopes=["read"]))
    assert caught.value.status == 400 and "unauthorized_client" in str(caught.value)
    assert_clean(str(caught.value), "s3cret-of-app")
    with pytest.raises(ZendeskError) as caught:
        client.get("/api/v2/oauth/clients", bearer="a-held-token-0123456789")  # 401, the header echoed
    assert "Bearer ********" in str(caught.value) and "s3cret-of-app" not in str(caught.value)
    assert_clean(str(caught.value), "a-held-token-0123456789")


@pytest.mark.parametrize("shown", [
    "{secret}", "{url}", "{b64}", "{json}", "Basic {basic}", "x={url}&y", "{secret}{secret}",
])
def test_the_scrubber_masks_every_form_a_secret_comes_back_in(shown):
    secret = 'p@ss/w0rd+"ü"'
    client = ZendeskClient("https://acme.zendesk.com", email="admin@acme.example", api_token=secret)
    basic = base64.b64encode(("admin@acme.example/token:" + secret).encode()).decode()
    text = "before %s after" % shown.format(secret=secret, url=quote(secret, safe=""), json='p@ss/w0rd+\\"\\u00fc\\"',
                                            b64=base64.b64encode(secret.encode()).decode(), basic=basic)
    cleaned = client.scrub(text)
    assert cleaned.startswith("before ") and cleaned.endswith(" after") and "********" in cleaned
    assert_clean(cleaned, secret)
    assert client.scrub({"details": [{"k": text}]}) == {"details": [{"k": cleaned}]}


# ------------------------------------------------------------------------------------------------
# lists that do not end
# ------------------------------------------------------------------------------------------------
class Budget(object):
    """A response hook: fails the test once the client sends more than `limit` requests (no runaway)."""

    def __init__(self, limit):
        self.limit = limit
        self.seen = 0

    def __call__(self, response, *args, **kwargs):
        self.seen += 1
        if self.seen > self.limit:
            raise RuntimeError("the client sent %d requests and did not stop by itself" % self.seen)


@pytest.mark.parametrize("cursor, bound", [(True, MAX_CURSOR_PAGES), (False, MAX_OFFSET_PAGES)],
                         ids=["cursor", "offset"])
def test_a_list_that_never_ends_stops_at_the_documented_bound(sim, cursor, bound):
    sim.control.set_config(endless_pages="fresh", cursor_pagination=cursor)
    client = admin_client(sim.url)
    budget = Budget(MAX_CURSOR_PAGES + 20)
    client.session.hooks["response"].append(budget)
    with pytest.raises(ZendeskError) as caught:
        list(OAuthAPI(client).iter_clients())
    assert budget.seen == bound
    assert "stopped after %d %s pages" % (bound, "cursor" if cursor else "offset") in str(caught.value)
    assert "at most %d cursor pages" % MAX_CURSOR_PAGES in str(caught.value)


@pytest.mark.parametrize("cursor", [True, False], ids=["cursor", "offset"])
def test_a_cursor_handed_out_again_stops_the_list(sim, cursor):
    sim.control.seed(clients=3)
    sim.control.set_config(endless_pages="repeat", cursor_pagination=cursor)
    with pytest.raises(ZendeskError) as caught:
        list(OAuthAPI(admin_client(sim.url)).iter_clients())
    assert "pagination loop" in str(caught.value)
    assert len(sim.control.requests()) <= 3
