# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every response body the simulator produces for the operations of Zendesk's OpenAPI document
validates against the document's response schema (and, for lists, its pagination schemas).

The schemas are in the repository, reduced from Zendesk's document to the response shapes:
``tests/simulator/reference/zendesk-oas-oauth.yaml`` (its header names the copy it comes from).
Real Zendesk bodies carry ``null`` where the OAS marks nothing nullable, so every typed schema also
accepts null; ``additionalProperties`` stays as the OAS has it.
"""

from __future__ import annotations

import copy
import os

import jsonschema
import pytest
import requests
import yaml

from simulator import ADMIN

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OAS_FILE = os.path.join(REPO, "tests", "simulator", "reference", "zendesk-oas-oauth.yaml")
OAS_ONLY_KEYS = ("nullable", "readOnly", "example", "examples", "description", "title", "format")


def _resolve(node, document):
    """The schema with every local ``$ref`` inlined (the fragment has no recursive schemas)."""
    if isinstance(node, list):
        return [_resolve(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _resolve(target, document)
    return dict((key, _resolve(value, document)) for key, value in node.items())


def _nullable(node):
    """JSON Schema from an OAS 3.0 schema, with ``null`` allowed wherever a type is given."""
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {}
    for key, value in node.items():
        if key in OAS_ONLY_KEYS:
            continue
        if key == "properties":
            converted[key] = dict((name, _nullable(schema)) for name, schema in value.items())
        else:
            converted[key] = _nullable(value)
    if isinstance(converted.get("type"), str):
        converted["type"] = [converted["type"], "null"]
    return converted


@pytest.fixture(scope="module")
def oas():
    with open(OAS_FILE, "r", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _operations(document):
    """{operationId: (method, path, {status: json schema or None})} for every operation of the fragment."""
    found = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = {}
            for status, response in operation.get("responses", {}).items():
                content = (response.get("content") or {}).get("application/json")
                schema = content.get("schema") if content else None
                responses[int(status)] = _nullable(_resolve(schema, document)) if schema else None
            found[operation["operationId"]] = (method.upper(), path, responses)
    return found


def _component(document, name):
    return _nullable(_resolve(document["components"]["schemas"][name], document))


def _validate(schema, body, label):
    try:
        jsonschema.validate(body, schema)
    except jsonschema.ValidationError as exc:
        pytest.fail("%s: %s at %s" % (label, exc.message, "/".join(str(p) for p in exc.absolute_path)))


class Fixture:
    """A populated account: clients of both kinds, API tokens, grant tokens with refresh, a global client."""

    def __init__(self, sim):
        self.sim = sim
        self.url = sim.url
        self.session = requests.Session()
        self.session.auth = ("%s/token" % ADMIN["email"], ADMIN["api_token"])
        full = self.create_client("full", company="ACME", description="All fields", redirect_uri=["https://a.example/cb"])
        self.create_client("bare")
        self.client = full
        self.token = self.session.post(self.url + "/api/v2/oauth/tokens",
                                       json={"token": {"client_id": full["id"], "scopes": ["read", "write"]}}).json()["token"]
        code = sim.control.mint_code("full", scope="read write")
        self.grant_body = {"grant_type": "authorization_code", "code": code, "client_id": "full", "client_secret": full["secret"]}
        sim.control.seed(global_clients=[{"id": 223443, "name": "Stats Widget", "identifier": "stats_widget", "kind": "public",
                                          "company": "Zendesk", "description": "Global", "logo_url": "https://x.example/l.png"}],
                         tokens=[{"global_client_id": 223443}])

    def create_client(self, identifier, **fields):
        body = dict(fields, name=identifier.title(), identifier=identifier, kind="confidential")
        answer = self.session.post(self.url + "/api/v2/oauth/clients", json={"client": body})
        assert answer.status_code == 201, answer.text
        return answer.json()["client"]


def _bodies(fixture):
    """{operationId: [(label, status, body, pagination schema name or None)]}: real answers of the simulator."""
    session, url = fixture.session, fixture.url
    client_url = "%s/api/v2/oauth/clients/%d" % (url, fixture.client["id"])
    token_url = "%s/api/v2/oauth/tokens/%d" % (url, fixture.token["id"])

    def get(path, **kwargs):
        answer = session.get(url + path, **kwargs)
        return answer.status_code, answer.json()

    def lists(path):
        cursor_status, cursor_body = get(path, params={"page[size]": 1})
        offset_status, offset_body = get(path, params={"per_page": 1})
        return [("cursor", cursor_status, cursor_body, "CursorPaginationMeta"),
                ("offset", offset_status, offset_body, "OffsetPaginationObject")]

    bodies = {
        "ListOAuthClients": lists("/api/v2/oauth/clients"),
        "ListCurrentUserOAuthClients": lists("/api/v2/users/me/oauth/clients"),
        "ListGlobalOAuthClients": lists("/api/v2/oauth/global_clients"),
        "GlobalOAuthClientsTokenSummary": lists("/api/v2/oauth/global_clients/token_summary"),
        "ListOAuthTokens": lists("/api/v2/oauth/tokens?all=true"),
        "ShowClient": [("show", ) + get("/api/v2/oauth/clients/%d.json" % fixture.client["id"]) + (None,)],
        "ShowGlobalClient": [("show", ) + get("/api/v2/oauth/global_clients/223443") + (None,)],
        "ShowToken": [("show", ) + get("/api/v2/oauth/tokens/%d" % fixture.token["id"]) + (None,)],
        "CreateOAuthClient": [("create", 201, {"client": fixture.client}, None)],
        "CreateOAuthToken": [("create", 201, {"token": fixture.token}, None)],
    }
    answer = session.put(client_url, json={"client": {"name": "Renamed", "description": None}})
    bodies["UpdateClient"] = [("update", answer.status_code, answer.json(), None)]
    answer = requests.post(url + "/oauth/tokens", json=fixture.grant_body)
    granted = answer.json()
    bodies["CreateTokenForGrantType"] = [("authorization_code", answer.status_code, granted, None)]
    answer = session.put(client_url + "/generate_secret")
    bodies["ClientGenerateSecret"] = [("generate", answer.status_code, answer.json(), None)]
    secret = answer.json()["client"]["secret"]
    answer = requests.post(url + "/oauth/tokens", json={"grant_type": "client_credentials", "client_id": "full",
                                                        "client_secret": secret, "scope": "read"})
    bodies["CreateTokenForGrantType"].append(("client_credentials", answer.status_code, answer.json(), None))
    current = {"Authorization": "Bearer %s" % granted["access_token"]}
    answer = requests.get(url + "/api/v2/oauth/tokens/current", headers=current)
    bodies["ShowCurrentToken"] = [("current with refresh token", answer.status_code, answer.json(), None)]
    bodies["ListOAuthTokens"].append(("with grant tokens",) + get("/api/v2/oauth/tokens?all=true") + (None,))
    answer = requests.delete(url + "/api/v2/oauth/tokens/current", headers=current)
    bodies["RevokeCurrentOAuthToken"] = [("revoke current", answer.status_code, answer.content, None)]
    answer = session.delete(token_url)
    bodies["RevokeOAuthToken"] = [("revoke", answer.status_code, answer.content, None)]
    answer = session.delete(client_url)
    bodies["DeleteClient"] = [("delete", answer.status_code, answer.content, None)]
    return bodies


def test_every_operation_of_the_fragment_answers_per_its_schema(sim, oas):
    operations = _operations(oas)
    bodies = _bodies(Fixture(sim))
    assert sorted(bodies) == sorted(operations), "simulator coverage differs from the OAS fragment's operations"
    checked = 0
    for operation_id, (method, path, responses) in sorted(operations.items()):
        for label, status, body, pagination in bodies[operation_id]:
            where = "%s %s %s (%s)" % (operation_id, method, path, label)
            assert status in responses, "%s: status %s, the OAS documents %s" % (where, status, sorted(responses))
            schema = responses[status]
            if schema is None:
                assert status == 204 and body == b"", "%s: expected an empty body" % where
                continue
            _validate(schema, body, where)
            if pagination:
                _validate(_component(oas, pagination), body, where + " " + pagination)
            checked += 1
    assert checked >= 20


def test_null_is_accepted_but_wrong_types_are_not(oas):
    schema = _component(oas, "OAuthClientObject")
    jsonschema.validate({"name": "n", "identifier": "i", "user_id": 1, "company": None, "redirect_uri": None}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "n", "identifier": "i", "user_id": "1"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "n", "identifier": "i"}, schema)
    original = oas["components"]["schemas"]["OAuthClientObject"]
    assert copy.deepcopy(original) == original and "nullable" not in original["properties"]["company"]
