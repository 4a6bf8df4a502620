# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator against the reference (tests/simulator/reference/zendesk-oauth-api.md), over real HTTP.

Assertions are on status codes, bodies, counts and state; never on wall-clock time.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import threading
from urllib.parse import urlparse

import pytest
import requests

from simulator import ADMIN, AGENT, Simulator, SimulatorControl, SimulatorControlError

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ISO = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")
CLIENTS = "/api/v2/oauth/clients"
TOKENS = "/api/v2/oauth/tokens"


# ---------------------------------------------------------------------- helpers
def api_session(user):
    session = requests.Session()
    session.auth = ("%s/token" % user["email"], user["api_token"])
    return session


def create_client(session, url, expect=201, **fields):
    body = {"name": "Provisioner", "identifier": "provisioner", "kind": "confidential"}
    body.update(fields)
    answer = session.post(url + CLIENTS + ".json", json={"client": body})
    assert answer.status_code == expect, answer.text
    return answer.json()["client"] if expect == 201 else answer.json()


def create_token(session, url, client_id, scopes=("read", "write"), expect=201):
    answer = session.post(url + TOKENS + ".json", json={"token": {"client_id": client_id, "scopes": list(scopes)}})
    assert answer.status_code == expect, answer.text
    return answer.json()["token"] if expect == 201 else answer.json()


def bearer(token):
    return {"Authorization": "Bearer %s" % token}


def grant(url, expect=None, **body):
    answer = requests.post(url + "/oauth/tokens", json=body)
    if expect is not None:
        assert answer.status_code == expect, answer.text
    return answer


def detail_code(body, field):
    assert body["error"] == "RecordInvalid"
    assert body["description"] == "Record validation errors"
    return body["details"][field][0]["error"]


# ---------------------------------------------------------------------- clients
def test_create_client_answers_201_with_the_full_secret_once(sim, admin_session):
    client = create_client(admin_session, sim.url, company="ACME", redirect_uri=["https://example.com/cb"])
    assert client["id"] == 900000000001
    assert client["url"] == "%s%s/900000000001.json" % (sim.url, CLIENTS)
    assert client["user_id"] == ADMIN["id"]
    assert client["kind"] == "confidential"
    assert client["global"] is False
    assert client["logo_url"] is None and client["description"] is None
    assert client["company"] == "ACME"
    assert client["redirect_uri"] == ["https://example.com/cb"]
    assert HEX64.match(client["secret"])
    assert ISO.match(client["created_at"]) and client["created_at"] == client["updated_at"]

    shown = admin_session.get(client["url"]).json()["client"]
    assert shown["secret"] == client["secret"][:15] + "..."
    listed = admin_session.get(sim.url + CLIENTS).json()["clients"]
    assert [c["secret"] for c in listed] == [client["secret"][:15] + "..."]
    assert sim.control.state()["clients"][0]["secret"] == client["secret"]


def test_create_sets_location_and_every_response_has_length_and_rate_headers(sim, admin_session):
    answer = admin_session.post(sim.url + CLIENTS, json={"client": {"name": "A", "identifier": "a"}})
    assert answer.headers["Location"] == answer.json()["client"]["url"]
    for name in ("Content-Length", "X-Rate-Limit", "X-Rate-Limit-Remaining", "X-Request-Id"):
        assert name in answer.headers
    assert answer.headers["X-Zendesk-API-Version"] == "v2"
    assert int(answer.headers["Content-Length"]) == len(answer.content)


@pytest.mark.parametrize("mode, expected", [("null", None), ("masked", "********")])
def test_secret_on_read_is_configurable(sim, admin_session, mode, expected):
    sim.control.set_config(client_secret_on_read=mode)
    client = create_client(admin_session, sim.url)
    assert HEX64.match(client["secret"])
    assert admin_session.get(client["url"]).json()["client"]["secret"] == expected


def test_json_suffix_is_optional_on_every_path(sim, admin_session):
    client = create_client(admin_session, sim.url)
    for path in ("%s/%d" % (CLIENTS, client["id"]), "%s/%d.json" % (CLIENTS, client["id"])):
        assert admin_session.get(sim.url + path).json()["client"]["id"] == client["id"]
    assert admin_session.put(sim.url + "%s/%d/generate_secret.json" % (CLIENTS, client["id"])).status_code == 200
    assert admin_session.put(sim.url + "%s/%d/generate_secret" % (CLIENTS, client["id"])).status_code == 200


def test_generate_secret_returns_the_new_secret_in_full_and_kills_the_old(sim, admin_session):
    client = create_client(admin_session, sim.url)
    sim.control.advance_clock(10)
    answer = admin_session.put("%s%s/%d/generate_secret" % (sim.url, CLIENTS, client["id"]))
    assert answer.status_code == 200
    rotated = answer.json()["client"]
    assert HEX64.match(rotated["secret"]) and rotated["secret"] != client["secret"]
    assert rotated["updated_at"] > client["updated_at"]
    assert sim.control.state()["clients"][0]["secret"] == rotated["secret"]
    old = grant(sim.url, grant_type="client_credentials", client_id="provisioner", client_secret=client["secret"], scope="read")
    assert old.status_code == 401 and old.json()["error"] == "invalid_client"
    grant(sim.url, 201, grant_type="client_credentials", client_id="provisioner", client_secret=rotated["secret"], scope="read")


def test_update_changes_writable_fields_and_ignores_read_only_ones(sim, admin_session):
    client = create_client(admin_session, sim.url)
    sim.control.advance_clock(60)
    body = {"client": {"name": "Renamed", "description": "d", "redirect_uri": ["https://x.example/cb"],
                       "id": 1, "secret": "mine", "global": True, "logo_url": "https://x/l.png", "created_at": "2000-01-01T00:00:00Z",
                       "unknown_field": 1}}
    answer = admin_session.put(client["url"], json=body)
    assert answer.status_code == 200
    updated = answer.json()["client"]
    assert updated["name"] == "Renamed" and updated["description"] == "d"
    assert updated["redirect_uri"] == ["https://x.example/cb"]
    assert updated["id"] == client["id"] and updated["global"] is False and updated["logo_url"] is None
    assert updated["created_at"] == client["created_at"] and updated["updated_at"] > client["updated_at"]
    assert updated["secret"] == client["secret"][:15] + "..."
    assert updated["identifier"] == "provisioner" and updated["kind"] == "confidential"
    sim.control.advance_clock(60)
    unchanged = admin_session.put(client["url"], json={"client": {"name": "Renamed"}}).json()["client"]
    assert unchanged["updated_at"] == updated["updated_at"]


def test_delete_answers_204_empty_and_revokes_the_clients_tokens(sim, admin_session):
    client = create_client(admin_session, sim.url)
    token = create_token(admin_session, sim.url, client["id"])
    answer = admin_session.delete(client["url"])
    assert answer.status_code == 204
    assert answer.content == b"" and answer.headers["Content-Length"] == "0"
    missing = admin_session.get(client["url"])
    assert missing.status_code == 404 and missing.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert admin_session.delete(client["url"]).status_code == 404
    state = sim.control.state()
    assert state["clients"] == [] and state["tokens"] == []
    assert [t["id"] for t in state["revoked_tokens"]] == [token["id"]]
    assert requests.get(sim.url + TOKENS + "/current", headers=bearer(token["full_token"])).status_code == 401


def test_kind_defaults_per_config_and_user_id_defaults_to_the_caller(sim, admin_session):
    assert create_client(admin_session, sim.url, kind=None, identifier="p1")["kind"] == "public"
    sim.control.set_config(default_kind="confidential")
    second = create_client(admin_session, sim.url, kind=None, identifier="p2")
    assert second["kind"] == "confidential" and second["user_id"] == ADMIN["id"]
    third = create_client(admin_session, sim.url, identifier="p3", user_id=AGENT["id"])
    assert third["user_id"] == AGENT["id"]


@pytest.mark.parametrize("fields, field, code", [
    ({"name": ""}, "name", "BlankValue"),
    ({"name": None}, "name", "BlankValue"),
    ({"identifier": "  "}, "identifier", "BlankValue"),
    ({"kind": "secretive"}, "kind", "InvalidValue"),
    ({"redirect_uri": ["/relative/path"]}, "redirect_uri", "InvalidValue"),
    ({"redirect_uri": "https://not-a-list.example"}, "redirect_uri", "InvalidValue"),
    ({"user_id": 12345}, "user_id", "InvalidValue"),
    ({"name": "x" * 256}, "name", "TooLong"),
])
def test_create_validation_errors_are_422_record_invalid(sim, admin_session, fields, field, code):
    body = create_client(admin_session, sim.url, expect=422, **fields)
    assert detail_code(body, field) == code
    assert sim.control.state()["clients"] == []


def test_missing_wrapper_reports_every_blank_field(sim, admin_session):
    answer = admin_session.post(sim.url + CLIENTS, json={"name": "no wrapper"})
    assert answer.status_code == 422
    assert set(answer.json()["details"]) == {"name", "identifier"}


def test_duplicate_identifier_is_422_duplicate_value_on_create_and_update(sim, admin_session):
    create_client(admin_session, sim.url)
    body = create_client(admin_session, sim.url, expect=422)
    assert body["details"]["identifier"] == [
        {"description": "Identifier: provisioner has already been taken", "error": "DuplicateValue"}]
    other = create_client(admin_session, sim.url, identifier="other")
    answer = admin_session.put(other["url"], json={"client": {"identifier": "provisioner"}})
    assert answer.status_code == 422 and detail_code(answer.json(), "identifier") == "DuplicateValue"
    assert admin_session.put(other["url"], json={"client": {"identifier": "other"}}).status_code == 200


def test_update_validation_and_unknown_ids(sim, admin_session):
    client = create_client(admin_session, sim.url)
    answer = admin_session.put(client["url"], json={"client": {"name": ""}})
    assert answer.status_code == 422 and detail_code(answer.json(), "name") == "BlankValue"
    for method in ("get", "put", "delete"):
        for path in ("/999", "/abc"):
            missing = admin_session.request(method, sim.url + CLIENTS + path, json={"client": {}})
            assert missing.status_code == 404 and missing.json()["error"] == "RecordNotFound"
    assert admin_session.put(sim.url + CLIENTS + "/999/generate_secret").status_code == 404


def test_unknown_path_is_invalid_endpoint_and_bad_json_is_400(sim, admin_session):
    answer = admin_session.get(sim.url + "/api/v2/oauth/nothing")
    assert answer.status_code == 404 and answer.json() == {"error": "InvalidEndpoint", "description": "Not found"}
    assert admin_session.patch(sim.url + CLIENTS).status_code == 404
    broken = admin_session.post(sim.url + CLIENTS, data="{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error"] == "InvalidJSON"


def test_my_clients_lists_only_the_callers_clients(sim, admin_session):
    mine = create_client(admin_session, sim.url, identifier="mine")
    create_client(admin_session, sim.url, identifier="theirs", user_id=AGENT["id"])
    listed = admin_session.get(sim.url + "/api/v2/users/me/oauth/clients.json").json()
    assert [c["id"] for c in listed["clients"]] == [mine["id"]]
    assert listed["count"] == 1


def test_global_clients_are_read_only_and_seedable(sim, admin_session):
    listed = admin_session.get(sim.url + "/api/v2/oauth/global_clients.json")
    assert listed.status_code == 200 and listed.json()["global_clients"] == []
    summary = admin_session.get(sim.url + "/api/v2/oauth/global_clients/token_summary")
    assert summary.status_code == 200 and summary.json()["global_clients"] == []
    assert admin_session.get(sim.url + "/api/v2/oauth/global_clients/223443").status_code == 404
    assert admin_session.post(sim.url + "/api/v2/oauth/global_clients", json={}).status_code == 404

    seeded = sim.control.seed(global_clients=[{"id": 223443, "name": "Stats Widget", "identifier": "stats_widget",
                                               "company": "Zendesk", "kind": "public"}, {"name": "Other"}],
                              tokens=[{"global_client_id": 223443, "user_id": AGENT["id"]}, {"global_client_id": 223443}])
    assert [g["id"] for g in seeded["global_clients"]] == [223443, 920000000001]
    shown = admin_session.get(sim.url + "/api/v2/oauth/global_clients/223443.json").json()["global_client"]
    assert shown == {"id": 223443, "name": "Stats Widget", "identifier": "stats_widget", "company": "Zendesk",
                     "description": None, "kind": "public", "logo_url": None}
    assert len(admin_session.get(sim.url + "/api/v2/oauth/global_clients").json()["global_clients"]) == 2
    summary = admin_session.get(sim.url + "/api/v2/oauth/global_clients/token_summary?global_client_id=223443").json()
    assert summary["global_clients"] == [{"id": 223443, "last_used_at": None, "tokens_count": 2}]
    tokens = admin_session.get(sim.url + TOKENS + "?all=true&global_client_id=223443").json()["tokens"]
    assert [t["id"] for t in tokens] == seeded["token_ids"]


# ---------------------------------------------------------------------- authentication and permissions
@pytest.mark.parametrize("auth", [
    None,
    ("admin@example.com/token", "wrong"),
    ("nobody@example.com/token", ADMIN["api_token"]),
    ("admin@example.com", "a-password"),
])
def test_bad_basic_credentials_are_401(sim, auth):
    answer = requests.get(sim.url + CLIENTS, auth=auth)
    assert answer.status_code == 401
    assert answer.json() == {"error": "Couldn't authenticate you"}


def test_oauth_token_in_basic_auth_is_401(sim, admin_session):
    token = create_token(admin_session, sim.url, create_client(admin_session, sim.url)["id"])
    answer = requests.get(sim.url + CLIENTS, auth=("admin@example.com", token["full_token"]))
    assert answer.status_code == 401 and answer.json()["error"] == "Couldn't authenticate you"
    answer = requests.get(sim.url + CLIENTS, auth=("admin@example.com/token", token["full_token"]))
    assert answer.status_code == 401


def test_agents_get_403_on_admin_endpoints_in_the_configured_shape(sim, admin_session, agent_session):
    client = create_client(admin_session, sim.url)
    flat = {"error": "Forbidden",
            "description": "You do not have access to this page. Please contact the account owner of this help desk for further help."}
    for method, path in (("get", CLIENTS), ("post", CLIENTS), ("get", "%s/%d" % (CLIENTS, client["id"])),
                         ("put", "%s/%d" % (CLIENTS, client["id"])), ("delete", "%s/%d" % (CLIENTS, client["id"])),
                         ("put", "%s/%d/generate_secret" % (CLIENTS, client["id"])), ("post", TOKENS),
                         ("get", TOKENS + "?all=true"), ("get", "/api/v2/oauth/global_clients")):
        answer = agent_session.request(method, sim.url + path, json={"client": {"name": "x"}})
        assert answer.status_code == 403, (method, path)
        assert answer.json() == flat
    sim.control.set_config(forbidden_shape="nested")
    nested = agent_session.get(sim.url + CLIENTS).json()
    assert nested == {"error": {"title": "Forbidden", "message": flat["description"]}}
    assert len(sim.control.state()["clients"]) == 1


def test_users_me(sim, agent_session):
    answer = agent_session.get(sim.url + "/api/v2/users/me.json")
    assert answer.status_code == 200
    user = answer.json()["user"]
    assert user["id"] == AGENT["id"] and user["email"] == AGENT["email"] and user["role"] == "agent"


def test_bearer_scopes_read_and_write(sim, admin_session):
    client = create_client(admin_session, sim.url)
    reader = create_token(admin_session, sim.url, client["id"], scopes=["read"])
    headers = bearer(reader["full_token"])
    assert requests.get(sim.url + CLIENTS, headers=headers).status_code == 200
    denied = requests.post(sim.url + CLIENTS, headers=headers, json={"client": {"name": "n", "identifier": "n"}})
    assert denied.status_code == 403
    assert denied.json() == {"error": "Forbidden", "description": "You are missing the following required scopes: write"}
    writer = create_token(admin_session, sim.url, client["id"], scopes=["write"])
    assert requests.get(sim.url + CLIENTS, headers=bearer(writer["full_token"])).json()["description"].endswith("scopes: read")
    created = requests.post(sim.url + CLIENTS, headers=bearer(writer["full_token"]), json={"client": {"name": "n", "identifier": "n"}})
    assert created.status_code == 201
    assert len(sim.control.state()["clients"]) == 2


@pytest.mark.parametrize("scopes, status", [
    (["users:read"], 200), (["users"], 200), (["read"], 200), (["tickets:read"], 403), (["users:write"], 403),
])
def test_users_me_scope(sim, admin_session, scopes, status):
    token = create_token(admin_session, sim.url, create_client(admin_session, sim.url)["id"], scopes=scopes)
    answer = requests.get(sim.url + "/api/v2/users/me", headers=bearer(token["full_token"]))
    assert answer.status_code == status
    if status == 403:
        assert answer.json()["description"] == "You are missing the following required scopes: users:read"


def test_invalid_scopes_are_accepted_at_creation_and_refused_at_use(sim, admin_session):
    token = create_token(admin_session, sim.url, create_client(admin_session, sim.url)["id"], scopes=["nonsense:scope"])
    assert token["scopes"] == ["nonsense:scope"]
    assert requests.get(sim.url + CLIENTS, headers=bearer(token["full_token"])).status_code == 403
    # the token is still valid as such
    assert requests.get(sim.url + TOKENS + "/current", headers=bearer(token["full_token"])).status_code == 200


def test_used_at_is_stamped_when_a_bearer_token_authenticates(sim, admin_session):
    token = create_token(admin_session, sim.url, create_client(admin_session, sim.url)["id"])
    assert token["used_at"] is None
    sim.control.advance_clock(30)
    current = requests.get(sim.url + TOKENS + "/current", headers=bearer(token["full_token"])).json()["token"]
    assert ISO.match(current["used_at"]) and current["used_at"] > token["created_at"]


def test_revoked_and_expired_bearer_tokens_are_401_invalid_token(sim, admin_session):
    sim.control.set_config(token_default_ttl=3600)
    client = create_client(admin_session, sim.url)
    revoked = create_token(admin_session, sim.url, client["id"])
    expiring = create_token(admin_session, sim.url, client["id"])
    assert ISO.match(expiring["expires_at"])
    assert admin_session.delete("%s%s/%d" % (sim.url, TOKENS, revoked["id"])).status_code == 204
    answer = requests.get(sim.url + CLIENTS, headers=bearer(revoked["full_token"]))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    assert "error_description" in answer.json()
    assert requests.get(sim.url + CLIENTS, headers=bearer(expiring["full_token"])).status_code == 200
    sim.control.advance_clock(3601)
    answer = requests.get(sim.url + CLIENTS, headers=bearer(expiring["full_token"]))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    assert requests.get(sim.url + CLIENTS, headers=bearer("0" * 64)).status_code == 401
    listed = admin_session.get(sim.url + TOKENS).json()["tokens"]
    assert listed == []
    with_expired = admin_session.get(sim.url + TOKENS + "?all=true&include_expired=true").json()["tokens"]
    assert [t["id"] for t in with_expired] == [expiring["id"]]


# ---------------------------------------------------------------------- tokens
def test_create_token_returns_full_token_once(sim, admin_session):
    client = create_client(admin_session, sim.url)
    answer = admin_session.post(sim.url + TOKENS + ".json", json={"token": {"client_id": client["id"], "scopes": ["tickets:read"]}})
    assert answer.status_code == 201
    token = answer.json()["token"]
    assert token["id"] == 910000000001 and token["client_id"] == client["id"] and token["user_id"] == ADMIN["id"]
    assert HEX64.match(token["full_token"]) and token["token"] == token["full_token"][:10]
    assert token["scopes"] == ["tickets:read"]
    assert token["refresh_token"] is None and token["expires_at"] is None and token["used_at"] is None
    assert token["refresh_token_expires_at"] is None
    assert token["url"] == "%s%s/%d.json" % (sim.url, TOKENS, token["id"])
    assert answer.headers["Location"] == token["url"]
    shown = admin_session.get(token["url"]).json()["token"]
    listed = admin_session.get(sim.url + TOKENS).json()["tokens"]
    for seen in (shown, listed[0]):
        assert "full_token" not in seen and seen["token"] == token["token"]
    assert sim.control.state()["tokens"][0]["full_token"] == token["full_token"]


def test_create_token_accepts_a_numeric_string_client_id(sim, admin_session):
    client = create_client(admin_session, sim.url)
    assert create_token(admin_session, sim.url, str(client["id"]))["client_id"] == client["id"]


@pytest.mark.parametrize("token, field, code", [
    ({"scopes": ["read"]}, "client_id", "BlankValue"),
    ({"client_id": 42, "scopes": ["read"]}, "client_id", "InvalidValue"),
    ({"client_id": "provisioner", "scopes": ["read"]}, "client_id", "InvalidValue"),
    ({"client_id": "CLIENT", "scopes": []}, "scopes", "BlankValue"),
    ({"client_id": "CLIENT"}, "scopes", "BlankValue"),
    ({"client_id": "CLIENT", "scopes": "read write"}, "scopes", "InvalidValue"),
])
def test_create_token_validation(sim, admin_session, token, field, code):
    client = create_client(admin_session, sim.url)
    if token.get("client_id") == "CLIENT":
        token = dict(token, client_id=client["id"])
    answer = admin_session.post(sim.url + TOKENS, json={"token": token})
    assert answer.status_code == 422
    assert detail_code(answer.json(), field) == code
    assert sim.control.state()["tokens"] == []


def test_list_tokens_filters(sim, admin_session, agent_session):
    first = create_client(admin_session, sim.url, identifier="first")
    second = create_client(admin_session, sim.url, identifier="second")
    mine = create_token(admin_session, sim.url, first["id"])
    other = create_token(admin_session, sim.url, second["id"])
    agents = grant(sim.url, 201, grant_type="authorization_code", client_id="first", client_secret=first["secret"],
                   code=sim.control.mint_code("first", user_id=AGENT["id"]), scope="read").json()

    def ids(session, query=""):
        answer = session.get(sim.url + TOKENS + query)
        assert answer.status_code == 200, answer.text
        return [t["id"] for t in answer.json()["tokens"]]

    agent_token_id = sim.control.state()["tokens"][-1]["id"]
    assert ids(admin_session) == [mine["id"], other["id"]]
    assert ids(admin_session, "?all=true") == [mine["id"], other["id"], agent_token_id]
    assert ids(admin_session, "?all=true&client_id=%d" % first["id"]) == [mine["id"], agent_token_id]
    assert ids(admin_session, "?client_id=%d" % second["id"]) == [other["id"]]
    assert ids(admin_session, "?client_id=1") == []
    assert ids(admin_session, "?all=true&global_client_id=5") == []
    assert ids(agent_session) == [agent_token_id]
    assert requests.get(sim.url + TOKENS, headers=bearer(agents["access_token"])).json()["tokens"][0]["id"] == agent_token_id


def test_show_and_revoke_token_by_id(sim, admin_session, agent_session):
    token = create_token(admin_session, sim.url, create_client(admin_session, sim.url)["id"])
    assert agent_session.get(token["url"]).status_code == 404
    assert agent_session.delete(token["url"]).status_code == 404
    assert admin_session.get(sim.url + TOKENS + "/999").status_code == 404
    assert admin_session.get(sim.url + TOKENS + "/xyz").status_code == 404
    answer = admin_session.delete(token["url"])
    assert answer.status_code == 204 and answer.content == b""
    assert admin_session.get(token["url"]).status_code == 404
    assert admin_session.delete(token["url"]).status_code == 404
    revoked = sim.control.state()["revoked_tokens"]
    assert [t["id"] for t in revoked] == [token["id"]]


def test_current_token_show_and_revoke(sim, admin_session):
    token = create_token(admin_session, sim.url, create_client(admin_session, sim.url)["id"], scopes=["tickets:read"])
    headers = bearer(token["full_token"])
    shown = requests.get(sim.url + TOKENS + "/current.json", headers=headers)
    assert shown.status_code == 200
    assert shown.json()["token"]["id"] == token["id"] and "full_token" not in shown.json()["token"]
    assert admin_session.get(sim.url + TOKENS + "/current").status_code == 404
    assert requests.delete(sim.url + TOKENS + "/current", headers=headers).status_code == 204
    assert requests.get(sim.url + TOKENS + "/current", headers=headers).status_code == 401
    assert sim.control.state()["tokens"] == []


# ---------------------------------------------------------------------- pagination
def _follow(session, url, key):
    ids, pages = [], []
    while url:
        answer = session.get(url)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append(body)
        ids.extend(item["id"] for item in body[key])
        url = body["links"]["next"] if "links" in body else body["next_page"]
    return ids, pages


def test_cursor_pagination_over_260_clients_loses_and_repeats_nothing(sim, admin_session):
    seeded = sim.control.seed(clients=260)["client_ids"]
    ids, pages = _follow(admin_session, sim.url + CLIENTS + ".json?page[size]=100", "clients")
    assert ids == sorted(seeded) and len(set(ids)) == 260
    assert [len(p["clients"]) for p in pages] == [100, 100, 60]
    assert [p["meta"]["has_more"] for p in pages] == [True, True, False]
    assert pages[0]["links"]["prev"] is None and pages[-1]["links"]["next"] is None
    assert pages[0]["links"]["next"].startswith(sim.url + CLIENTS + ".json?")
    assert "count" not in pages[0] and "next_page" not in pages[0]
    # back from the last page with page[before]
    previous = admin_session.get(pages[-1]["links"]["prev"]).json()
    assert [c["id"] for c in previous["clients"]] == ids[100:200]
    assert previous["meta"]["has_more"] is True
    # %-encoded brackets work the same
    encoded = admin_session.get(sim.url + CLIENTS, params={"page[size]": 50, "page[after]": pages[0]["meta"]["after_cursor"]})
    assert "%5B" in encoded.url
    assert [c["id"] for c in encoded.json()["clients"]] == ids[100:150]


def test_cursor_links_keep_other_query_parameters_and_use_the_host_header(sim, admin_session):
    client = create_client(admin_session, sim.url)
    sim.control.seed(tokens=[{"client_id": client["id"], "user_id": ADMIN["id"]} for _i in range(5)])
    body = admin_session.get(sim.url + TOKENS, params={"page[size]": 2, "client_id": client["id"]},
                             headers={"Host": "acme.zendesk.example"}).json()
    assert body["links"]["next"].startswith("http://acme.zendesk.example%s?" % TOKENS)
    assert "client_id=%d" % client["id"] in body["links"]["next"]
    ids, _pages = _follow(admin_session, sim.url + TOKENS + "?page[size]=2&client_id=%d" % client["id"], "tokens")
    assert len(ids) == 5 and len(set(ids)) == 5


def test_offset_pagination_over_260_clients(sim, admin_session):
    seeded = sim.control.seed(clients=260)["client_ids"]
    ids, pages = _follow(admin_session, sim.url + CLIENTS + "?per_page=100", "clients")
    assert ids == sorted(seeded)
    assert [p["count"] for p in pages] == [260, 260, 260]
    assert pages[0]["previous_page"] is None and pages[1]["previous_page"].startswith(sim.url)
    assert pages[-1]["next_page"] is None
    assert "page=2" in pages[0]["next_page"] and "meta" not in pages[0]
    default = admin_session.get(sim.url + CLIENTS).json()
    assert len(default["clients"]) == 100 and default["count"] == 260


def test_offset_pagination_past_the_limit_is_400(sim, admin_session):
    sim.control.set_config(offset_limit=200)
    sim.control.seed(clients=260)
    assert admin_session.get(sim.url + CLIENTS + "?page=2&per_page=100").status_code == 200
    answer = admin_session.get(sim.url + CLIENTS + "?page=3&per_page=100")
    assert answer.status_code == 400 and answer.json()["error"] == "InvalidPaginationParameter"
    ids, _pages = _follow(admin_session, sim.url + CLIENTS + "?page[size]=100", "clients")
    assert len(ids) == 260


def test_page_size_over_100(sim, admin_session):
    sim.control.seed(clients=120)
    assert admin_session.get(sim.url + CLIENTS + "?page[size]=101").status_code == 400
    assert admin_session.get(sim.url + CLIENTS + "?page[size]=0").status_code == 400
    assert admin_session.get(sim.url + CLIENTS + "?page[after]=garbage!").status_code == 400
    sim.control.set_config(page_size_over_max="clamp")
    assert len(admin_session.get(sim.url + CLIENTS + "?page[size]=500").json()["clients"]) == 100
    assert len(admin_session.get(sim.url + CLIENTS + "?per_page=500").json()["clients"]) == 100


# ---------------------------------------------------------------------- rate limit
def test_rate_limit_429_with_retry_after_and_remaining_header(sim, admin_session):
    sim.control.set_config(rate_limit_per_minute=3)
    remaining = [admin_session.get(sim.url + CLIENTS).headers["X-Rate-Limit-Remaining"] for _i in range(3)]
    assert remaining == ["2", "1", "0"]
    sim.control.state()  # the control plane is never limited
    limited = admin_session.get(sim.url + CLIENTS)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-Rate-Limit"] == "3" and limited.headers["X-Rate-Limit-Remaining"] == "0"
    assert limited.text == "Number of allowed API requests per minute exceeded"
    sim.control.set_config(rate_limit_body="json")
    assert admin_session.get(sim.url + CLIENTS).json()["error"] == "APIRateLimitExceeded"
    sim.control.advance_clock(61)
    assert admin_session.get(sim.url + CLIENTS).status_code == 200
    statuses = [e["status"] for e in sim.control.requests()]
    assert statuses == [200, 200, 200, 429, 429, 200]


# ---------------------------------------------------------------------- faults
def test_queued_error_faults_answer_once_then_normal(sim, admin_session):
    sim.control.queue_faults([
        {"method": "GET", "path": CLIENTS + ".json", "fault": "500"},
        {"method": "GET", "path": CLIENTS, "fault": "503", "retry_after": 7},
        {"method": "GET", "path": CLIENTS, "fault": "429", "retry_after": 3, "count": 2},
    ])
    assert admin_session.get(sim.url + "/api/v2/users/me").status_code == 200  # other path: no fault
    first = admin_session.get(sim.url + CLIENTS)
    assert first.status_code == 500 and first.json() == {"error": "InternalServerError"}
    second = admin_session.get(sim.url + CLIENTS + "?page[size]=10")
    assert second.status_code == 503 and second.headers["Retry-After"] == "7"
    for _i in range(2):
        limited = admin_session.get(sim.url + CLIENTS)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert admin_session.get(sim.url + CLIENTS).status_code == 200
    assert sim.control.state()  # control plane unaffected
    faults = [e["fault"] for e in sim.control.requests()]
    assert faults == [None, "500", "503", "429", "429", None]


def test_drop_closes_the_connection_and_commits_nothing(sim, admin_session):
    sim.control.queue_faults([{"method": "POST", "path": CLIENTS, "fault": "drop"}])
    with pytest.raises(requests.ConnectionError):
        admin_session.post(sim.url + CLIENTS, json={"client": {"name": "A", "identifier": "a"}})
    assert sim.control.state()["clients"] == []
    log = sim.control.requests()
    assert log[-1]["fault"] == "drop" and log[-1]["status"] is None
    # the same session goes on over a new connection
    assert admin_session.post(sim.url + CLIENTS, json={"client": {"name": "A", "identifier": "a"}}).status_code == 201


def test_ambiguous_commits_then_closes_the_connection(sim, admin_session):
    sim.control.queue_faults([{"method": "POST", "path_regex": r"^/api/v2/oauth/(clients|tokens)$", "fault": "ambiguous", "count": 2}])
    with pytest.raises(requests.ConnectionError):
        admin_session.post(sim.url + CLIENTS + ".json", json={"client": {"name": "A", "identifier": "a", "kind": "confidential"}})
    clients = sim.control.state()["clients"]
    assert [c["identifier"] for c in clients] == ["a"]
    with pytest.raises(requests.ConnectionError):
        admin_session.post(sim.url + TOKENS, json={"token": {"client_id": clients[0]["id"], "scopes": ["read"]}})
    assert len(sim.control.state()["tokens"]) == 1
    retried = admin_session.post(sim.url + CLIENTS, json={"client": {"name": "A", "identifier": "a"}})
    assert retried.status_code == 422 and detail_code(retried.json(), "identifier") == "DuplicateValue"
    log = sim.control.requests()
    assert [(e["fault"], e["status"]) for e in log] == [("ambiguous", None), ("ambiguous", None), (None, 422)]


def test_slow_answers_normally_after_the_delay(sim, admin_session):
    sim.control.queue_faults([{"path": CLIENTS, "fault": "slow", "delay": 0.2}])
    answer = admin_session.post(sim.url + CLIENTS, json={"client": {"name": "A", "identifier": "a"}})
    assert answer.status_code == 201
    assert sim.control.requests()[-1]["fault"] == "slow"
    assert sim.control.pending_faults() == []


def test_queued_faults_match_method_and_path(sim, admin_session):
    sim.control.queue_faults([{"method": "DELETE", "path": CLIENTS + "/1", "fault": "500"}])
    assert admin_session.get(sim.url + CLIENTS + "/1").status_code == 404
    assert len(sim.control.pending_faults()) == 1
    assert admin_session.delete(sim.url + CLIENTS + "/1.json").status_code == 500
    assert sim.control.pending_faults() == []


def test_random_faults_follow_the_rates_and_seed(sim, admin_session):
    sim.control.set_config(fault_rates={"500": 1.0})
    assert {admin_session.get(sim.url + CLIENTS).status_code for _i in range(5)} == {500}
    assert sim.control.state()["clients"] == []

    def run():
        sim.control.reset(config={"fault_rates": {"500": 0.3, "503": 0.3}, "fault_seed": 7})
        return [admin_session.get(sim.url + CLIENTS).status_code for _i in range(20)]

    first = run()
    assert first == run()
    assert {200, 500, 503} == set(first)


def test_bad_fault_and_config_specs_are_refused(sim):
    with pytest.raises(SimulatorControlError) as error:
        sim.control.queue_faults([{"fault": "explode"}])
    assert error.value.status == 400
    with pytest.raises(SimulatorControlError):
        sim.control.set_config(no_such_key=1)
    with pytest.raises(SimulatorControlError):
        sim.control.set_config(fault_rates={"500": 2})
    assert sim.control.config()["fault_rates"]["500"] == 0


# ---------------------------------------------------------------------- connections and threads
def test_http11_keep_alive_serves_many_requests_on_one_connection(sim):
    address = urlparse(sim.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    auth = "Basic " + base64.b64encode(("%s/token:%s" % (ADMIN["email"], ADMIN["api_token"])).encode()).decode()
    try:
        connection.request("GET", CLIENTS, headers={"Authorization": auth})
        first = connection.getresponse()
        assert first.status == 200 and first.getheader("Content-Length") == str(len(first.read()))
        socket_used = connection.sock
        assert socket_used is not None
        for method, path in (("DELETE", CLIENTS + "/1"), ("GET", "/api/v2/users/me"), ("POST", "/oauth/tokens")):
            connection.request(method, path, body=b"{}", headers={"Authorization": auth, "Content-Type": "application/json"})
            answer = connection.getresponse()
            answer.read()
            assert answer.status in (400, 404, 200)
            assert connection.sock is socket_used, "the simulator closed a keep-alive connection"
        sim.control.queue_faults([{"fault": "drop"}])
        connection.request("GET", CLIENTS, headers={"Authorization": auth})
        with pytest.raises(http.client.RemoteDisconnected):
            connection.getresponse()
    finally:
        connection.close()


def test_concurrent_writes_get_unique_ids(sim):
    errors, created = [], []

    def worker(number):
        with api_session(ADMIN) as session:
            for index in range(15):
                answer = session.post(sim.url + CLIENTS, json={"client": {"name": "c", "identifier": "c-%d-%d" % (number, index)}})
                if answer.status_code != 201:
                    errors.append(answer.text)
                else:
                    created.append(answer.json()["client"]["id"])

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(created) == list(range(900000000001, 900000000001 + 120))
    assert len(sim.control.state()["clients"]) == 120


# ---------------------------------------------------------------------- request log
def test_request_log_records_data_plane_calls_only(sim, admin_session):
    token = create_token(admin_session, sim.url, create_client(admin_session, sim.url)["id"])
    requests.get(sim.url + CLIENTS + ".json?page[size]=5", headers=bearer(token["full_token"]))
    requests.get(sim.url + CLIENTS)
    sim.control.state()
    log = sim.control.requests()
    assert [(e["method"], e["path"], e["status"], e["auth"], e["user_id"]) for e in log] == [
        ("POST", CLIENTS + ".json", 201, "basic", ADMIN["id"]),
        ("POST", TOKENS + ".json", 201, "basic", ADMIN["id"]),
        ("GET", CLIENTS + ".json", 200, "bearer", ADMIN["id"]),
        ("GET", CLIENTS, 401, "none", None),
    ]
    assert [e["seq"] for e in log] == [1, 2, 3, 4]
    assert log[2]["query"] == "page%5Bsize%5D=5" and log[2]["params"] == {"page[size]": "5"}
    assert log[0]["body"]["client"]["identifier"] == "provisioner"
    assert all(ISO.match(e["time"]) and e["fault"] is None for e in log)
    sim.control.clear_requests()
    assert sim.control.requests() == []


# ---------------------------------------------------------------------- persistence
def test_state_file_survives_a_restart_and_ids_continue(tmp_path):
    path = str(tmp_path / "state.json")
    with Simulator(state_file=path) as first:
        with api_session(ADMIN) as session:
            client = create_client(session, first.url)
            token = create_token(session, first.url, client["id"])
        SimulatorControl(first.url).advance_clock(1000)
    assert json.load(open(path, encoding="utf-8"))["next_client_id"] == 900000000002
    assert os.listdir(str(tmp_path)) == ["state.json"]
    with Simulator(state_file=path) as second:
        state = SimulatorControl(second.url).state()
        assert state["clients"][0]["secret"] == client["secret"]
        assert state["tokens"][0]["full_token"] == token["full_token"]
        assert requests.get(second.url + CLIENTS, headers=bearer(token["full_token"])).status_code == 200
        with api_session(ADMIN) as session:
            assert create_client(session, second.url, identifier="next")["id"] == 900000000002
            assert create_token(session, second.url, client["id"])["id"] == 910000000002
            grant(second.url, 201, grant_type="client_credentials", client_id="provisioner",
                  client_secret=client["secret"], scope="read")


# ---------------------------------------------------------------------- grant endpoint
def test_client_credentials_for_a_confidential_client(sim, admin_session):
    client = create_client(admin_session, sim.url, user_id=AGENT["id"])
    answer = grant(sim.url, 201, grant_type="client_credentials", client_id="provisioner", client_secret=client["secret"],
                   scope="read write", expires_in=86400)
    body = answer.json()
    assert body["token_type"] == "bearer" and body["scope"] == "read write" and body["expires_in"] == 86400
    assert HEX64.match(body["access_token"])
    assert "refresh_token" not in body
    current = requests.get(sim.url + TOKENS + "/current", headers=bearer(body["access_token"])).json()["token"]
    assert current["user_id"] == AGENT["id"] and current["client_id"] == client["id"]
    assert current["scopes"] == ["read", "write"] and current["refresh_token"] is None
    assert ISO.match(current["expires_at"])


def test_client_credentials_refusals(sim, admin_session):
    public = create_client(admin_session, sim.url, identifier="pub", kind="public")
    confidential = create_client(admin_session, sim.url, identifier="conf")
    refused = grant(sim.url, 400, grant_type="client_credentials", client_id="pub", client_secret=public["secret"], scope="read")
    assert refused.json()["error"] == "unauthorized_client"
    for client_id, secret in (("conf", "wrong"), ("conf", None), (str(confidential["id"]), confidential["secret"]),
                              (confidential["id"], confidential["secret"]), ("missing", "x")):
        answer = grant(sim.url, 401, grant_type="client_credentials", client_id=client_id, client_secret=secret, scope="read")
        assert answer.json()["error"] == "invalid_client"
        assert "client identifier provided is invalid" in answer.json()["error_description"]
    no_scope = grant(sim.url, 400, grant_type="client_credentials", client_id="conf", client_secret=confidential["secret"])
    assert no_scope.json()["error"] == "invalid_scope"
    for grant_type in ("password", None, "implicit"):
        answer = grant(sim.url, 400, grant_type=grant_type, client_id="conf", client_secret=confidential["secret"], scope="read")
        assert answer.json()["error"] == "unsupported_grant_type"
    assert sim.control.state()["tokens"] == []


@pytest.mark.parametrize("expires_in, status", [(300, 400), (301, 201), (172799, 201), (172800, 400), ("soon", 400)])
def test_expires_in_bounds(sim, admin_session, expires_in, status):
    client = create_client(admin_session, sim.url)
    answer = grant(sim.url, status, grant_type="client_credentials", client_id="provisioner", client_secret=client["secret"],
                   scope="read", expires_in=expires_in)
    if status == 400:
        assert answer.json()["error"] == "invalid_request"


def test_grant_token_expires_on_the_simulated_clock(sim, admin_session):
    client = create_client(admin_session, sim.url)
    body = grant(sim.url, 201, grant_type="client_credentials", client_id="provisioner", client_secret=client["secret"],
                 scope="read", expires_in=600).json()
    sim.control.advance_clock(599)
    assert requests.get(sim.url + CLIENTS, headers=bearer(body["access_token"])).status_code == 200
    sim.control.advance_clock(2)
    assert requests.get(sim.url + CLIENTS, headers=bearer(body["access_token"])).status_code == 401


def test_scope_given_as_an_array_yields_an_unusable_token(sim, admin_session):
    client = create_client(admin_session, sim.url)
    body = grant(sim.url, 201, grant_type="client_credentials", client_id="provisioner", client_secret=client["secret"],
                 scope=["read", "write"]).json()
    headers = bearer(body["access_token"])
    assert requests.get(sim.url + CLIENTS, headers=headers).status_code == 403
    assert requests.get(sim.url + "/api/v2/users/me", headers=headers).status_code == 403
    assert requests.post(sim.url + CLIENTS, headers=headers, json={"client": {"name": "x", "identifier": "x"}}).status_code == 403


def test_authorization_code_is_single_use_and_valid_120_seconds(sim, admin_session):
    client = create_client(admin_session, sim.url, redirect_uri=["https://app.example/cb"])
    code = sim.control.mint_code("provisioner", scope="read", redirect_uri="https://app.example/cb")
    sim.control.advance_clock(119)
    body = grant(sim.url, 201, grant_type="authorization_code", code=code, client_id="provisioner",
                 client_secret=client["secret"], redirect_uri="https://app.example/cb").json()
    assert body["scope"] == "read" and HEX64.match(body["refresh_token"])
    assert body["refresh_token_expires_in"] == 2592000 and body["expires_in"] is None
    reused = grant(sim.url, 400, grant_type="authorization_code", code=code, client_id="provisioner", client_secret=client["secret"],
                   redirect_uri="https://app.example/cb")
    assert reused.json()["error"] == "invalid_grant"
    late = sim.control.mint_code("provisioner", scope="read", redirect_uri="https://app.example/cb")
    sim.control.advance_clock(121)
    answer = grant(sim.url, 400, grant_type="authorization_code", code=late, client_id="provisioner",
                   client_secret=client["secret"], redirect_uri="https://app.example/cb")
    assert answer.json()["error"] == "invalid_grant"
    wrong_uri = sim.control.mint_code("provisioner", redirect_uri="https://app.example/cb")
    grant(sim.url, 400, grant_type="authorization_code", code=wrong_uri, client_id="provisioner",
          client_secret=client["secret"], redirect_uri="https://evil.example/cb")
    assert len(sim.control.state()["tokens"]) == 1


def test_authorization_code_with_pkce_for_a_public_client(sim, admin_session):
    create_client(admin_session, sim.url, kind="public")
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    good = sim.control.mint_code("provisioner", code_challenge=challenge, code_challenge_method="S256")
    grant(sim.url, 201, grant_type="authorization_code", code=good, client_id="provisioner", code_verifier=verifier)
    bad = sim.control.mint_code("provisioner", code_challenge=challenge, code_challenge_method="S256")
    grant(sim.url, 400, grant_type="authorization_code", code=bad, client_id="provisioner", code_verifier="other")


def test_refresh_token_rotation_kills_the_old_pair(sim, admin_session):
    client = create_client(admin_session, sim.url)
    code = sim.control.mint_code("provisioner", scope="read write")
    first = grant(sim.url, 201, grant_type="authorization_code", code=code, client_id="provisioner",
                  client_secret=client["secret"], expires_in=3600).json()
    stored = sim.control.state()["tokens"][0]
    assert stored["refresh_token"] == first["refresh_token"] and ISO.match(stored["refresh_token_expires_at"])
    shown = admin_session.get(sim.url + TOKENS).json()["tokens"][0]
    assert shown["refresh_token"] == first["refresh_token"][:15] + "..."
    second = grant(sim.url, 201, grant_type="refresh_token", refresh_token=first["refresh_token"], client_id="provisioner",
                   client_secret=client["secret"], expires_in=7200, refresh_token_expires_in=604801).json()
    assert second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == "read write" and second["expires_in"] == 7200 and second["refresh_token_expires_in"] == 604801
    assert requests.get(sim.url + CLIENTS, headers=bearer(first["access_token"])).status_code == 401
    assert requests.get(sim.url + CLIENTS, headers=bearer(second["access_token"])).status_code == 200
    again = grant(sim.url, 400, grant_type="refresh_token", refresh_token=first["refresh_token"], client_id="provisioner",
                  client_secret=client["secret"])
    assert again.json()["error"] == "invalid_grant"
    wrong_secret = grant(sim.url, 401, grant_type="refresh_token", refresh_token=second["refresh_token"],
                         client_id="provisioner", client_secret="nope")
    assert wrong_secret.json()["error"] == "invalid_client"
    bad_bounds = grant(sim.url, 400, grant_type="refresh_token", refresh_token=second["refresh_token"], client_id="provisioner",
                       client_secret=client["secret"], refresh_token_expires_in=604800)
    assert bad_bounds.json()["error"] == "invalid_request"
    third = grant(sim.url, 201, grant_type="refresh_token", refresh_token=second["refresh_token"], client_id="provisioner",
                  client_secret=client["secret"], scope="read").json()
    assert third["scope"] == "read"
    state = sim.control.state()
    assert [t["full_token"] for t in state["tokens"]] == [third["access_token"]]
    assert len(state["revoked_tokens"]) == 2


def test_refresh_token_expires(sim, admin_session):
    client = create_client(admin_session, sim.url)
    body = grant(sim.url, 201, grant_type="authorization_code", code=sim.control.mint_code("provisioner"), client_id="provisioner",
                 client_secret=client["secret"], refresh_token_expires_in=604900).json()
    sim.control.advance_clock(604901)
    answer = grant(sim.url, 400, grant_type="refresh_token", refresh_token=body["refresh_token"], client_id="provisioner",
                   client_secret=client["secret"])
    assert answer.json()["error"] == "invalid_grant"


def test_grant_status_is_configurable_and_form_bodies_are_accepted(sim, admin_session):
    client = create_client(admin_session, sim.url)
    sim.control.set_config(grant_status=200, grant_default_expires_in=1800)
    form = {"grant_type": "client_credentials", "client_id": "provisioner", "client_secret": client["secret"], "scope": "read"}
    answer = requests.post(sim.url + "/oauth/tokens", data=form)
    assert answer.status_code == 200 and answer.json()["expires_in"] == 1800
    assert answer.headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------------- control plane and process
def test_seed_with_explicit_records(sim):
    seeded = sim.control.seed(clients=[{"name": "Known", "identifier": "known", "kind": "confidential", "secret": "s" * 64}],
                              tokens=[{"client_identifier": "known", "scopes": ["read"], "full_token": "t" * 64}])
    assert seeded["clients"][0]["secret"] == "s" * 64
    assert requests.get(sim.url + CLIENTS, headers=bearer("t" * 64)).status_code == 200
    grant(sim.url, 201, grant_type="client_credentials", client_id="known", client_secret="s" * 64, scope="read")
    bulk = sim.control.seed(clients=3, tokens_per_client=2, prefix="x")
    assert len(bulk["client_ids"]) == 3 and len(bulk["token_ids"]) == 6
    assert [c["identifier"] for c in bulk["clients"]] == ["x-00001", "x-00002", "x-00003"]
    assert len(sim.control.seed(clients=1, prefix="x")["client_ids"]) == 1


def test_reset_restores_a_fresh_account(sim, admin_session):
    create_client(admin_session, sim.url)
    sim.control.queue_faults([{"fault": "500"}])
    sim.control.advance_clock(5000)
    config = sim.control.reset(config={"default_kind": "confidential"})
    assert config["default_kind"] == "confidential"
    state = sim.control.state()
    assert state["clients"] == [] and state["counters"]["next_client_id"] == 900000000001
    assert [u["id"] for u in state["users"]] == [ADMIN["id"], AGENT["id"]]
    assert state["users"][0]["api_token"] == ADMIN["api_token"]
    assert sim.control.requests() == [] and sim.control.pending_faults() == []
    assert sim.control.reset()["default_kind"] == "public"


def test_frozen_clock_moves_only_when_advanced(sim, admin_session):
    sim.control.set_config(freeze_clock=True, rate_limit_per_minute=1)
    first = sim.control.clock()
    assert first["frozen"] is True
    assert admin_session.get(sim.url + CLIENTS).status_code == 200
    assert admin_session.get(sim.url + CLIENTS).headers["Retry-After"] == "60"
    assert sim.control.clock()["epoch"] == first["epoch"]
    assert sim.control.advance_clock(60)["epoch"] == first["epoch"] + 60
    assert admin_session.get(sim.url + CLIENTS).status_code == 200
    sim.control.set_config(freeze_clock=False)
    assert sim.control.clock()["epoch"] >= first["epoch"] + 60


def test_cli_process_prints_its_url_and_serves(tmp_path):
    port_file = tmp_path / "port"
    state_file = tmp_path / "state.json"
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    command = [sys.executable, "-m", "simulator", "--port", "0", "--port-file", str(port_file), "--state-file", str(state_file),
               "--config", json.dumps({"default_kind": "confidential"}), "--lifetime", "60"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            line = process.stdout.readline().strip()
            port = int(port_file.read_text(encoding="utf-8"))
            assert line == "Zendesk simulator listening on http://127.0.0.1:%d" % port
            url = "http://127.0.0.1:%d" % port
            with api_session(ADMIN) as session:
                assert create_client(session, url, kind=None)["kind"] == "confidential"
            SimulatorControl(url).shutdown()
            assert process.wait(timeout=20) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert json.loads(state_file.read_text(encoding="utf-8"))["clients"][0]["identifier"] == "provisioner"


def test_https(tmp_path):
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    cert_file, key_file, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    certificate.cert_chain_pems[0].write_to_path(str(cert_file))
    certificate.private_key_pem.write_to_path(str(key_file))
    authority.cert_pem.write_to_path(str(ca_file))
    with Simulator(tls_cert=str(cert_file), tls_key=str(key_file)) as server:
        assert server.url.startswith("https://")
        with api_session(ADMIN) as session:
            session.trust_env = False  # REQUESTS_CA_BUNDLE would override session.verify
            session.verify = str(ca_file)
            client = create_client(session, server.url)
            assert client["url"].startswith("https://")
        assert SimulatorControl(server.url, verify=False).state()["clients"][0]["id"] == client["id"]


def test_date_header_follows_the_simulated_clock(sim, admin_session):
    """Clients judge expiry by the server's Date header, so it must move with the clock that expires tokens."""
    from email.utils import parsedate_to_datetime
    sim.control.advance_clock(3 * 86400)
    answer = admin_session.get(sim.url + "/api/v2/users/me", timeout=30)
    served = parsedate_to_datetime(answer.headers["Date"]).timestamp()
    assert abs(served - sim.state.clock.now()) < 5
