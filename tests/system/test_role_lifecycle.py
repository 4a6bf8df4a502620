# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The oauth_bootstrap role with expiring tokens: refresh, the client_credentials source, the fact
store and set_stats. Real ansible-playbook runs against the simulator; every outcome is read from
the simulator (state, request log), the vault file through ansible-vault, and tokens by using them.
"""

from __future__ import annotations

import pytest

import playbook_runner
from playbook_runner import ADMIN_API_TOKEN, ADMIN_EMAIL
from test_role import (  # noqa: F401  pylint: disable=unused-import
    IDENTIFIER,
    ROLE,
    api_requests,
    find_and_verify,
    revoked_ids,
    succeeded,
    the_client,
    the_live_token,
    works_as_bearer,
    ws,
)

TTL = 1800          # Zendesk's default access-token lifetime for new clients (reference §3.4)
MARGIN = 300        # the role's default expiry_margin
GRANT = ("POST", "/oauth/tokens")
MINT = ("POST", "/api/v2/oauth/tokens")


def sim_tokens(sim):
    state = sim.control.state()
    return {token["id"]: token for token in state["tokens"] + state["revoked_tokens"]}


def grant_types(sim):
    return [(entry.get("body") or {}).get("grant_type") for entry in sim.control.requests()
            if (entry["method"], entry["path"]) == GRANT]


@pytest.fixture
def expiring(sim):
    """Admin-minted tokens that expire after TTL seconds and carry a refresh token."""
    sim.control.set_config(token_default_ttl=TTL, token_refresh_on_create=True)
    return sim


def test_expiring_token_and_refresh_token_are_stored_and_kept(ws, expiring):
    succeeded(ws.converge())
    stored = ws.vault_content()
    token = the_live_token(expiring)

    assert stored["zendesk_oauth_full_token"] == token["full_token"]
    assert stored["zendesk_oauth_refresh_token"] == token["refresh_token"]
    assert stored["zendesk_oauth_token_expires_at"] == token["expires_at"]
    assert stored["zendesk_oauth_refresh_token_expires_at"] == token["refresh_token_expires_at"]

    expiring.control.advance_clock(TTL - MARGIN - 60)  # still outside the margin
    stats = succeeded(ws.converge())
    assert stats["changed"] == 0, stats
    assert api_requests(expiring) == find_and_verify(expiring)
    assert ws.vault_content() == stored


def test_token_within_the_margin_is_refreshed_and_the_new_pair_stored(ws, expiring):
    succeeded(ws.converge())
    old = ws.vault_content()
    expiring.control.advance_clock(TTL - MARGIN + 60)  # inside the margin, not yet expired

    result = ws.converge()

    assert succeeded(result)["changed"] > 0
    sent = api_requests(expiring)
    # Find the client, learn the token is about to expire, refresh, learn the new token's id.
    assert sent == find_and_verify(expiring) + [GRANT, ("GET", "/api/v2/oauth/tokens/current")]
    assert grant_types(expiring) == ["refresh_token"]
    assert MINT not in sent
    new = ws.vault_content()
    token = the_live_token(expiring)
    assert token["source"] == "refresh_token"
    assert new["zendesk_oauth_token_id"] == token["id"] != old["zendesk_oauth_token_id"]
    assert new["zendesk_oauth_full_token"] == token["full_token"]
    assert new["zendesk_oauth_refresh_token"] == token["refresh_token"] != old["zendesk_oauth_refresh_token"]
    assert new["zendesk_oauth_client_secret"] == old["zendesk_oauth_client_secret"]
    # Zendesk rotated the pair: the old token no longer works; the role revoked nothing itself.
    assert old["zendesk_oauth_token_id"] in revoked_ids(expiring)
    assert not works_as_bearer(expiring, old["zendesk_oauth_full_token"])
    assert works_as_bearer(expiring, new["zendesk_oauth_full_token"])
    assert not any(method == "DELETE" for method, _path in sent)

    stats = succeeded(ws.converge())
    assert stats["changed"] == 0, stats
    assert api_requests(expiring) == find_and_verify(expiring)


def test_expired_token_is_refreshed(ws, expiring):
    succeeded(ws.converge())
    expiring.control.advance_clock(TTL + 60)

    succeeded(ws.converge())

    assert grant_types(expiring) == ["refresh_token"]
    assert MINT not in api_requests(expiring)
    assert ws.vault_content()["zendesk_oauth_full_token"] == the_live_token(expiring)["full_token"]


def test_refused_refresh_falls_back_to_minting(ws, expiring):
    succeeded(ws.converge())
    old = ws.vault_content()
    # Past the refresh token's own lifetime (30 days by default): Zendesk answers invalid_grant.
    expiring.control.advance_clock(31 * 24 * 3600)

    result = ws.converge(stdout_callback=None)

    assert result.rc == 0, result
    assert "did not give a new token" in result.output and "invalid_grant" in result.output
    sent = api_requests(expiring)
    assert sent == find_and_verify(expiring) + [GRANT, MINT]
    new = ws.vault_content()
    tokens = sim_tokens(expiring)
    token = tokens[new["zendesk_oauth_token_id"]]
    assert tokens[old["zendesk_oauth_token_id"]]["expired"]  # 31 days on: long dead, nothing to revoke
    assert token["source"] == "api" and not token["expired"]
    assert new["zendesk_oauth_full_token"] == token["full_token"]
    assert new["zendesk_oauth_refresh_token"] == token["refresh_token"]
    assert works_as_bearer(expiring, new["zendesk_oauth_full_token"])


def test_refresh_off_mints_instead(ws, expiring):
    succeeded(ws.converge())
    expiring.control.advance_clock(TTL - MARGIN + 60)

    succeeded(ws.converge(oauth_bootstrap_refresh=False))

    sent = api_requests(expiring)
    assert GRANT not in sent
    old_id = [token_id for token_id in sim_tokens(expiring) if token_id != the_live_token(expiring)["id"]]
    # The old token still worked: stored first, then revoked by id.
    assert sent == find_and_verify(expiring) + [MINT, ("DELETE", "/api/v2/oauth/tokens/%d" % old_id[0])]


def test_check_mode_refresh_sends_no_grant(ws, expiring):
    succeeded(ws.converge())
    before = ws.vault_bytes()
    expiring.control.advance_clock(TTL - MARGIN + 60)

    result = ws.converge(check=True)

    assert succeeded(result)["changed"] > 0
    assert api_requests(expiring) == find_and_verify(expiring)
    assert ws.vault_bytes() == before


# ---------------------------------------------------------------------------------------- client_credentials
CLIENT_CREDENTIALS = {"oauth_bootstrap_token_source": "client_credentials", "oauth_bootstrap_token_expires_in": 3600}


def admin_oauth_token(sim):
    """An admin's OAuth token with read and write (the admin credential when API tokens are gone)."""
    seeded = sim.control.seed(clients=1, prefix="admin_console", tokens=[{"scopes": ["read", "write"]}])
    return seeded["tokens"][0]["full_token"]


def test_client_credentials_with_no_api_token_at_all(ws, sim):
    bearer = admin_oauth_token(sim)
    sim.control.clear_requests()
    no_api_token = dict(CLIENT_CREDENTIALS, oauth_bootstrap_email=None, oauth_bootstrap_api_token=None,
                        oauth_bootstrap_oauth_token=bearer)

    succeeded(ws.converge(**no_api_token))

    sent = sim.control.requests()
    assert [(entry["method"], entry["path"]) for entry in sent] == [
        ("GET", "/api/v2/oauth/clients"), ("POST", "/api/v2/oauth/clients"), GRANT,
        ("GET", "/api/v2/oauth/tokens/current")]
    assert "basic" not in {entry["auth"] for entry in sent}
    assert grant_types(sim) == ["client_credentials"]
    token = the_live_token(sim)
    assert token["source"] == "client_credentials"
    stored = ws.vault_content()
    assert stored["zendesk_oauth_token_id"] == token["id"]
    assert stored["zendesk_oauth_full_token"] == token["full_token"]
    assert stored["zendesk_oauth_refresh_token"] is None  # client_credentials issues none
    assert token["expires_at"] is not None
    assert stored["zendesk_oauth_token_expires_at"] == token["expires_at"]
    assert works_as_bearer(sim, stored["zendesk_oauth_full_token"])

    stats = succeeded(ws.converge(**no_api_token))
    assert stats["changed"] == 0, stats
    assert api_requests(sim) == find_and_verify(sim)


def test_client_credentials_token_near_expiry_is_replaced_then_revoked(ws, sim):
    succeeded(ws.converge(**CLIENT_CREDENTIALS))
    old = ws.vault_content()
    sim.control.advance_clock(3600 - MARGIN + 60)

    succeeded(ws.converge(**CLIENT_CREDENTIALS))

    new = ws.vault_content()
    token = the_live_token(sim)
    assert new["zendesk_oauth_token_id"] == token["id"] != old["zendesk_oauth_token_id"]
    revoke_old = ("DELETE", "/api/v2/oauth/tokens/%d" % old["zendesk_oauth_token_id"])
    assert api_requests(sim) == find_and_verify(sim) + [GRANT, ("GET", "/api/v2/oauth/tokens/current"), revoke_old]
    assert old["zendesk_oauth_token_id"] in revoked_ids(sim)
    assert MINT not in api_requests(sim)


def test_client_credentials_without_the_secret_says_how_to_get_it(ws, sim, admin_session):
    answer = admin_session.post(sim.url + "/api/v2/oauth/clients", timeout=30, json={"client": {
        "name": "made elsewhere", "identifier": IDENTIFIER, "kind": "confidential"}})
    assert answer.status_code == 201
    sim.control.clear_requests()

    result = ws.converge(stdout_callback=None, oauth_bootstrap_client_name="made elsewhere", **CLIENT_CREDENTIALS)

    assert result.rc != 0
    assert "oauth_bootstrap_client_secret" in result.output
    assert "oauth_bootstrap_client_regenerate_secret" in result.output
    assert GRANT not in api_requests(sim)
    assert sim.control.state()["tokens"] == []

    secret = the_client(sim)["secret"]
    succeeded(ws.converge(oauth_bootstrap_client_name="made elsewhere", oauth_bootstrap_client_secret=secret,
                          **CLIENT_CREDENTIALS))
    assert ws.vault_content()["zendesk_oauth_client_secret"] == secret
    assert the_live_token(sim)["source"] == "client_credentials"


def test_client_credentials_refuses_a_public_client_before_any_request(ws, sim):
    result = ws.converge(stdout_callback=None, oauth_bootstrap_client_kind="public", **CLIENT_CREDENTIALS)

    assert result.rc != 0
    assert "confidential" in result.output
    assert api_requests(sim) == []


# ------------------------------------------------------------------------------------------- fact store, set_stats
def test_set_stats_hands_ids_not_secrets_to_the_next_job(ws, sim):
    result = ws.converge()
    succeeded(result)
    token, client = the_live_token(sim), the_client(sim)

    published = result.json["custom_stats"]["_run"]
    flat = {
        "zendesk_oauth_client_identifier": IDENTIFIER,
        "zendesk_oauth_client_id": client["id"],
        "zendesk_oauth_token_id": token["id"],
        "zendesk_oauth_scopes": ["read"],
        "zendesk_oauth_token_expires_at": None,
    }
    assert published == dict(flat, zendesk_oauth_clients={IDENTIFIER: flat},
                             zendesk_oauth_accounts={sim.url: {IDENTIFIER: flat}})
    assert token["full_token"] not in str(result.json)
    assert client["secret"] not in str(result.json)

    result = ws.converge(oauth_bootstrap_set_stats_token=True)
    assert result.json["custom_stats"]["_run"]["zendesk_oauth_full_token"] == token["full_token"]

    result = ws.converge(oauth_bootstrap_set_stats=False)
    assert not result.json["custom_stats"].get("_run")


def test_two_uses_of_the_role_in_one_play_publish_the_last_ones_ids(ws, sim):
    """set_stats replaces (aggregation would add the ids and fail on nulls)."""
    play = playbook_runner.play([], roles=[dict({"role": ROLE}, **ws.role_vars()),
                                           dict({"role": ROLE}, **ws.role_vars(oauth_bootstrap_client_identifier="second",
                                                                               oauth_bootstrap_store="fact"))])
    result = playbook_runner.run_playbook(playbook_runner.write_playbook(ws.root, [play]), ws.root)

    succeeded(result)
    second = [client for client in sim.control.state()["clients"] if client["identifier"] == "second"][0]
    assert result.json["custom_stats"]["_run"]["zendesk_oauth_client_id"] == second["id"]
    assert result.json["custom_stats"]["_run"]["zendesk_oauth_client_identifier"] == "second"


def test_a_failing_no_log_task_still_says_what_went_wrong(ws, sim):
    """The client task is no_log (it returns the secret): the role repeats the module's own message."""
    sim.control.queue_faults([{"method": "GET", "path": "/api/v2/oauth/clients", "fault": "503", "count": 5}])

    result = ws.converge(stdout_callback=None, env={"ZENDESK_MAX_RETRIES": "1", "ZENDESK_MAX_RETRY_WAIT": "1"})

    assert result.rc != 0
    assert "Ensure the OAuth client failed" in result.output
    assert "503" in result.output and "GET /api/v2/oauth/clients" in result.output
    assert sim.control.state()["clients"] == []


def test_admin_credential_given_only_by_environment(ws, sim):
    """ADMIN_EMAIL / ADMIN_API_TOKEN as AWX injects them; the grant task ignores them."""
    env = {"ZENDESK_EMAIL": ADMIN_EMAIL, "ZENDESK_API_TOKEN": ADMIN_API_TOKEN}
    no_credential = dict(CLIENT_CREDENTIALS, oauth_bootstrap_email=None, oauth_bootstrap_api_token=None)

    succeeded(ws.converge(env=env, **no_credential))

    grant = [entry for entry in sim.control.requests() if (entry["method"], entry["path"]) == GRANT]
    assert len(grant) == 1 and grant[0]["auth"] == "none"
