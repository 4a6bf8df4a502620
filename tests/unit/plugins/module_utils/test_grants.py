# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The grant endpoint (POST /oauth/tokens) against the running simulator: both grant types,
rotation, checks before any request, error messages, no Authorization header, lost answers."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ansible_collections.zendesk.oauth.plugins.module_utils._api import (
    ZendeskAmbiguousError,
    ZendeskClient,
    ZendeskError,
)
from ansible_collections.zendesk.oauth.plugins.module_utils._grants import (
    CLIENT_CREDENTIALS,
    GRANT_PATH,
    REFRESH_TOKEN,
    RESULT_KEYS,
    Grant,
    GrantAPI,
    GrantInputError,
    iso_utc,
    read_answer,
)

from ansible_collections.zendesk.oauth.tests.simulator import ADMIN as SIM_ADMIN

CONFIDENTIAL = {"identifier": "grant_app", "name": "Grant app", "kind": "confidential"}
PUBLIC = {"identifier": "grant_public", "name": "Grant public app", "kind": "public"}


class Recorder(object):
    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)


def grants_for(sim, **credentials):
    """A GrantAPI on a client built as the module builds it: no credentials unless given here."""
    client = ZendeskClient(sim.url, sleep=Recorder(), rng=lambda: 1.0, **credentials)
    return GrantAPI(client)


def seed_clients(sim):
    seeded = sim.control.seed(clients=[CONFIDENTIAL, PUBLIC])
    return {client["identifier"]: client for client in seeded["clients"]}


def seed_pair(sim, identifier, **spec):
    """A live access/refresh pair of a client, as an earlier authorization-code exchange left it."""
    token = sim.control.seed(tokens=[dict({"client_identifier": identifier, "scopes": ["read", "write"],
                                           "refresh_token": True}, **spec)])["tokens"][0]
    return token["full_token"], token["refresh_token"]


def grant_log(sim):
    return [entry for entry in sim.control.requests() if entry["path"] == GRANT_PATH]


def me_status(sim, access_token):
    """The status of GET /api/v2/users/me with the token as Bearer (401 when dead)."""
    client = ZendeskClient(sim.url, oauth_token=access_token, sleep=Recorder(), max_retries=0)
    try:
        client.get("/api/v2/users/me")
    except ZendeskError as exc:
        return exc.status
    return 200


def epoch(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


# -- client_credentials ------------------------------------------------------------------------

def test_client_credentials_token_works_as_bearer_and_is_sent_without_authorization(sim):
    clients = seed_clients(sim)
    result = grants_for(sim).client_credentials("grant_app", clients["grant_app"]["secret"], ["read", "users:read"])
    assert set(result) == set(RESULT_KEYS)
    assert result["token_type"] == "bearer" and len(result["access_token"]) == 64
    assert result["scopes"] == ["read", "users:read"]
    assert result["refresh_token"] is None and result["refresh_token_expires_in"] is None
    assert result["expires_in"] is None and result["expires_at"] is None  # the simulator's default: no expiry
    assert me_status(sim, result["access_token"]) == 200
    entry = grant_log(sim)[0]
    assert (entry["method"], entry["status"], entry["auth"]) == ("POST", 201, "none")
    assert entry["body"] == {"grant_type": "client_credentials", "client_id": "grant_app",
                             "client_secret": clients["grant_app"]["secret"], "scope": "read users:read"}
    live = [token for token in sim.control.state()["tokens"] if token["full_token"] == result["access_token"]]
    assert live[0]["user_id"] == SIM_ADMIN["id"] and live[0]["source"] == "client_credentials"


def test_admin_credentials_on_the_client_are_not_sent_to_the_grant_endpoint(sim):
    clients = seed_clients(sim)
    grants = grants_for(sim, email=SIM_ADMIN["email"], api_token=SIM_ADMIN["api_token"])
    grants.client_credentials("grant_app", clients["grant_app"]["secret"], ["read"])
    grants.client.get("/api/v2/users/me")  # the same client still authenticates its API calls
    assert [(entry["path"], entry["auth"]) for entry in sim.control.requests()] == [
        (GRANT_PATH, "none"), ("/api/v2/users/me", "basic")]


def test_expires_in_is_sent_and_expires_at_counts_from_the_answer(sim):
    clients = seed_clients(sim)
    result = grants_for(sim).client_credentials("grant_app", clients["grant_app"]["secret"], ["read"],
                                                expires_in=3600)
    assert result["expires_in"] == 3600
    stored = [token for token in sim.control.state()["tokens"] if token["full_token"] == result["access_token"]][0]
    assert abs(epoch(result["expires_at"]) - epoch(stored["expires_at"])) <= 2
    assert grant_log(sim)[0]["body"]["expires_in"] == 3600


def test_grant_default_expiry_is_reported(sim):
    sim.control.set_config(grant_default_expires_in=1800)
    clients = seed_clients(sim)
    result = grants_for(sim).client_credentials("grant_app", clients["grant_app"]["secret"], ["read"])
    assert result["expires_in"] == 1800 and result["expires_at"] is not None


@pytest.mark.parametrize("status", [200, 201])
def test_both_success_statuses_are_accepted(sim, status):
    sim.control.set_config(grant_status=status)
    clients = seed_clients(sim)
    result = grants_for(sim).client_credentials("grant_app", clients["grant_app"]["secret"], ["read"])
    assert result["access_token"]
    assert [entry["status"] for entry in grant_log(sim)] == [status]


def test_public_client_is_refused_client_credentials_with_the_fix(sim):
    clients = seed_clients(sim)
    with pytest.raises(ZendeskError) as caught:
        grants_for(sim).client_credentials("grant_public", clients["grant_public"]["secret"], ["read"])
    assert caught.value.status == 400 and caught.value.error == "unauthorized_client"
    assert "client_credentials needs a confidential client (kind: confidential)" in str(caught.value)
    assert str(caught.value).startswith("POST /oauth/tokens: 400 unauthorized_client")


# -- refresh_token -------------------------------------------------------------------------------

def test_refresh_rotates_the_pair_and_the_old_refresh_token_then_gives_invalid_grant(sim):
    clients = seed_clients(sim)
    old_access, old_refresh = seed_pair(sim, "grant_app")
    grants = grants_for(sim)
    secret = clients["grant_app"]["secret"]
    new = grants.refresh("grant_app", old_refresh, client_secret=secret)
    assert new["refresh_token"] and new["refresh_token"] != old_refresh and new["access_token"] != old_access
    assert new["scopes"] == ["read", "write"]  # kept from the refreshed token
    assert new["refresh_token_expires_in"] == 2592000
    assert abs(epoch(new["refresh_token_expires_at"]) - datetime.now(timezone.utc).timestamp() - 2592000) <= 5
    assert me_status(sim, old_access) == 401 and me_status(sim, new["access_token"]) == 200
    with pytest.raises(ZendeskError) as caught:
        grants.refresh("grant_app", old_refresh, client_secret=secret)
    assert caught.value.error == "invalid_grant" and caught.value.status == 400
    assert "already used (refresh tokens rotate" in str(caught.value) and "use the newest one" in str(caught.value)
    assert "zendesk.oauth.zendesk_oauth_token" in str(caught.value)
    newest = grants.refresh("grant_app", new["refresh_token"], client_secret=secret)
    assert me_status(sim, newest["access_token"]) == 200
    assert [entry["auth"] for entry in grant_log(sim)] == ["none"] * 3


def test_refresh_sends_narrower_scopes_and_lifetimes(sim):
    clients = seed_clients(sim)
    dummy, refresh = seed_pair(sim, "grant_app")
    result = grants_for(sim).refresh("grant_app", refresh, client_secret=clients["grant_app"]["secret"],
                                     scopes=["read"], expires_in=7200, refresh_token_expires_in=1209600)
    assert result["scopes"] == ["read"] and result["expires_in"] == 7200
    assert result["refresh_token_expires_in"] == 1209600
    assert epoch(result["refresh_token_expires_at"]) - epoch(result["expires_at"]) == 1209600 - 7200
    body = grant_log(sim)[0]["body"]
    assert (body["scope"], body["expires_in"], body["refresh_token_expires_in"]) == ("read", 7200, 1209600)


def test_public_client_refreshes_without_a_secret(sim):
    seed_clients(sim)
    dummy, refresh = seed_pair(sim, "grant_public")
    result = grants_for(sim).refresh("grant_public", refresh)
    assert result["refresh_token"] and "client_secret" not in grant_log(sim)[0]["body"]


def test_confidential_refresh_without_secret_says_to_send_it(sim):
    seed_clients(sim)
    dummy, refresh = seed_pair(sim, "grant_app")
    with pytest.raises(ZendeskError) as caught:
        grants_for(sim).refresh("grant_app", refresh)
    assert caught.value.error == "invalid_client"
    assert "must send client_secret with the refresh_token grant too" in str(caught.value)


# -- checks before any request ---------------------------------------------------------------------

CC = {"grant_type": CLIENT_CREDENTIALS, "client_identifier": "grant_app", "client_secret": "s3cret", "scopes": ["read"]}
RT = {"grant_type": REFRESH_TOKEN, "client_identifier": "grant_app", "refresh_token": "r3fresh"}


@pytest.mark.parametrize("base, changes, fragment", [
    (CC, {"expires_in": 300}, "expires_in=300 is out of Zendesk's bounds: give more than 300 and less than 172800"),
    (CC, {"expires_in": 172800}, "expires_in=172800 is out of Zendesk's bounds"),
    (CC, {"expires_in": -1}, "expires_in=-1 is out of Zendesk's bounds"),
    (CC, {"expires_in": True}, "expires_in=True is not a whole number of seconds"),
    (RT, {"expires_in": 299}, "expires_in=299 is out of Zendesk's bounds"),
    (RT, {"refresh_token_expires_in": 604800}, "refresh_token_expires_in=604800 is out of Zendesk's bounds: give "
                                               "more than 604800 and less than 7776000"),
    (RT, {"refresh_token_expires_in": 7776000}, "refresh_token_expires_in=7776000 is out of Zendesk's bounds"),
    (CC, {"refresh_token_expires_in": 1209600}, "refresh_token_expires_in is only used with grant_type=refresh_token"),
    (CC, {"refresh_token": "r3fresh"}, "refresh_token is only used with grant_type=refresh_token"),
    (CC, {"client_secret": None}, "grant_type=client_credentials needs client_secret"),
    (CC, {"client_secret": " "}, "client_secret is empty"),
    (CC, {"scopes": None}, "grant_type=client_credentials needs scopes"),
    (CC, {"scopes": []}, "scopes must not be empty"),
    (CC, {"scopes": ["read write"]}, "scopes entry 'read write' is malformed"),
    (CC, {"scopes": ["Tickets:read"]}, "scopes entry 'Tickets:read' is malformed"),
    (CC, {"client_identifier": ""}, "client_identifier is empty"),
    (RT, {"refresh_token": None}, "grant_type=refresh_token needs refresh_token"),
    (RT, {"refresh_token": "  "}, "grant_type=refresh_token needs refresh_token"),
    (RT, {"grant_type": "password"}, "grant_type 'password' is not supported"),
])
def test_bad_input_is_refused_before_any_request(sim, base, changes, fragment):
    with pytest.raises(GrantInputError) as caught:
        grants_for(sim).exchange(Grant(**dict(base, **changes)))
    assert fragment in str(caught.value)
    assert sim.control.requests() == []


@pytest.mark.parametrize("base, changes", [
    (CC, {"expires_in": 301}),
    (CC, {"expires_in": 172799}),
    (RT, {"expires_in": 172799, "refresh_token_expires_in": 604801}),
    (RT, {"refresh_token_expires_in": 7775999}),
])
def test_values_just_inside_the_bounds_are_accepted(base, changes):
    assert Grant(**dict(base, **changes)).body["grant_type"] == base["grant_type"]


def test_scopes_are_one_space_separated_string_without_duplicates():
    grant = Grant(CLIENT_CREDENTIALS, "grant_app", client_secret="s3cret",
                  scopes=["tickets:read", "users:write", "tickets:read"])
    assert grant.body["scope"] == "tickets:read users:write" and grant.warnings == []


def test_undocumented_resource_fails_by_default_and_warns_when_asked():
    with pytest.raises(GrantInputError, match="widgets.*unknown_scopes: warn"):
        Grant(CLIENT_CREDENTIALS, "app", client_secret="s3cret", scopes=["widgets:read"])
    grant = Grant(CLIENT_CREDENTIALS, "900000000001", client_secret="s3cret", scopes=["widgets:read"],
                  unknown_scopes="warn")
    assert any("all digits" in warning and "not its numeric id" in warning for warning in grant.warnings)
    assert any("not among the resources Zendesk documents" in warning and "widgets" in warning
               for warning in grant.warnings)


# -- errors Zendesk answers -------------------------------------------------------------------------

def test_wrong_secret_is_invalid_client_with_what_to_check(sim):
    seed_clients(sim)
    with pytest.raises(ZendeskError) as caught:
        grants_for(sim).client_credentials("grant_app", "not-the-secret", ["read"])
    text = str(caught.value)
    assert caught.value.status == 401 and caught.value.error == "invalid_client"
    assert "client_identifier is the client's identifier string (not its numeric id)" in text
    assert "client_secret is current (regenerate_secret" in text
    assert "email/api_token" not in text  # the generic 401 hint is about API credentials, which are not used here
    assert "not-the-secret" not in text


def test_numeric_identifier_is_named_as_the_likely_cause(sim):
    clients = seed_clients(sim)
    numeric = str(clients["grant_app"]["id"])
    with pytest.raises(ZendeskError) as caught:
        grants_for(sim).client_credentials(numeric, clients["grant_app"]["secret"], ["read"])
    assert "client_identifier '%s' is all digits, which looks like the client's numeric id" % numeric in str(
        caught.value)


def test_invalid_scope_and_unsupported_grant_type_say_what_to_do(sim):
    clients = seed_clients(sim)
    grants = grants_for(sim)
    no_scope = Grant(CLIENT_CREDENTIALS, "grant_app", client_secret=clients["grant_app"]["secret"], scopes=["read"])
    del no_scope.body["scope"]  # what Zendesk answers when a scope is refused
    with pytest.raises(ZendeskError) as caught:
        grants.exchange(no_scope)
    assert caught.value.error == "invalid_scope" and "scopes the client is allowed" in str(caught.value)
    password = Grant(CLIENT_CREDENTIALS, "grant_app", client_secret=clients["grant_app"]["secret"], scopes=["read"])
    password.body["grant_type"] = "password"
    with pytest.raises(ZendeskError) as caught:
        grants.exchange(password)
    assert caught.value.error == "unsupported_grant_type"
    assert "does not accept this grant type" in str(caught.value)


# -- lost answers and rate limits ---------------------------------------------------------------------

def test_lost_refresh_answer_is_not_resent_and_says_the_token_may_be_consumed(sim):
    clients = seed_clients(sim)
    dummy, refresh = seed_pair(sim, "grant_app")
    sim.control.queue_faults([{"method": "POST", "path": GRANT_PATH, "fault": "ambiguous"}])
    grants = grants_for(sim)
    with pytest.raises(ZendeskAmbiguousError) as caught:
        grants.refresh("grant_app", refresh, client_secret=clients["grant_app"]["secret"])
    text = str(caught.value)
    assert "may have rotated the pair" in text and "may now be consumed" in text
    assert "zendesk.oauth.zendesk_oauth_token" in text
    assert len(grant_log(sim)) == 1  # sent once, never again
    # The write landed: the refresh token sent is dead, as the message warned.
    with pytest.raises(ZendeskError) as caught:
        grants.refresh("grant_app", refresh, client_secret=clients["grant_app"]["secret"])
    assert caught.value.error == "invalid_grant"


def test_server_error_on_client_credentials_is_not_resent(sim):
    clients = seed_clients(sim)
    sim.control.queue_faults([{"method": "POST", "path": GRANT_PATH, "fault": "500"}])
    with pytest.raises(ZendeskAmbiguousError) as caught:
        grants_for(sim).client_credentials("grant_app", clients["grant_app"]["secret"], ["read"])
    assert "may have issued a token whose value was in the lost answer" in str(caught.value)
    assert [entry["status"] for entry in grant_log(sim)] == [500]


def test_rate_limit_is_waited_out_and_sent_again(sim):
    clients = seed_clients(sim)
    sim.control.queue_faults([{"method": "POST", "path": GRANT_PATH, "fault": "429", "retry_after": 3}])
    grants = grants_for(sim)
    result = grants.client_credentials("grant_app", clients["grant_app"]["secret"], ["read"])
    assert result["access_token"] and grants.client._sleep.waits == [3.0]
    assert [entry["status"] for entry in grant_log(sim)] == [429, 201]


# -- reading the answer -------------------------------------------------------------------------------

class AnsweringClient(object):
    """A stand-in for ZendeskClient that answers one grant (the Date header is what it sets)."""

    def __init__(self, body, date=None, earlier=None):
        self.body, self.date, self.last_server_time = body, date, earlier

    def request(self, method, path, **kwargs):
        assert kwargs["authenticate"] is False and kwargs["ok_statuses"] == (200, 201)
        if self.date is not None:
            self.last_server_time = self.date
        return 201, self.body


ANSWER = {"access_token": "a" * 64, "token_type": "bearer", "scope": "read write", "expires_in": 1800,
          "refresh_token": "r" * 64, "refresh_token_expires_in": 604900}


def test_expiry_counts_from_the_server_date_when_there_is_one():
    client = AnsweringClient(ANSWER, date=2000000000.0, earlier=1.0)
    result = GrantAPI(client, now=lambda: 1000.0).exchange(Grant(**RT))
    assert result["expires_at"] == iso_utc(2000000000 + 1800) == "2033-05-18T04:03:20Z"
    assert result["refresh_token_expires_at"] == iso_utc(2000000000 + 604900)
    assert client.last_server_time == 2000000000.0


def test_expiry_counts_from_local_time_without_a_date_and_keeps_the_earlier_server_time():
    client = AnsweringClient(ANSWER, date=None, earlier=5.0)
    result = GrantAPI(client, now=lambda: 1000.0).exchange(Grant(**RT))
    assert result["expires_at"] == "1970-01-01T00:46:40Z"
    assert client.last_server_time == 5.0


def test_answer_without_expiry_or_scope():
    grant = Grant(**CC)
    result = read_answer({"access_token": "x", "token_type": "bearer"}, grant, 0)
    assert result["scopes"] == ["read"]  # the scopes asked for
    assert result["expires_at"] is None and result["refresh_token"] is None
    assert read_answer({"access_token": "x"}, Grant(**RT), 0)["scopes"] is None


def test_answer_without_access_token_is_an_error():
    with pytest.raises(ZendeskError, match="holds no access_token"):
        read_answer({"token_type": "bearer"}, Grant(**CC), 0)
