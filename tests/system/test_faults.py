# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lost creates and rate limits, proved through real module runs against the simulator.

A create whose answer is lost (the simulator's ``ambiguous`` fault commits the write, then closes
the connection) must never leave a duplicate client or a token nobody holds; a rate limit is
waited out as Retry-After says, within the bound the user sets (``max_retry_wait``).

Playbook tests follow the documented usage: a task whose result carries a secret has
``no_log: true`` and stores the secret in a 0600 file; a debug task shows the non-secret fields.
Everything is checked through the simulator's own state and request log. The exact waits are
proved one level down, with the API client's injected sleep against the same simulator.
"""

from __future__ import annotations

import os
import time

import pytest
import requests

from playbook_runner import admin_connection, clients_named, live_tokens, module_utils, play, run_playbook

CLIENTS_PATH = "/api/v2/oauth/clients"
TOKENS_PATH = "/api/v2/oauth/tokens"
CLIENT = "zendesk.oauth.zendesk_oauth_client"
CLIENT_INFO = "zendesk.oauth.zendesk_oauth_client_info"
TOKEN = "zendesk.oauth.zendesk_oauth_token"


def data_requests(sim, method=None, path=None):
    """The request log, optionally only one method and path (query and .json stripped)."""
    found = []
    for entry in sim.control.requests():
        entry_path = entry["path"].partition("?")[0]
        if entry_path.endswith(".json"):
            entry_path = entry_path[:-5]
        if (method is None or entry["method"] == method) and (path is None or entry_path == path):
            found.append(dict(entry, path=entry_path))
    return found


def admin_api(sim):
    session = requests.Session()
    session.auth = ("admin@example.com/token", admin_connection(sim.url)["api_token"])
    return session


def make_client(sim, identifier="faults"):
    with admin_api(sim) as session:
        answer = session.post(sim.url + CLIENTS_PATH, json={"client": {
            "identifier": identifier, "name": identifier, "kind": "confidential"}})
    answer.raise_for_status()
    return answer.json()["client"]


def mint_token(sim, client_id, scopes=("read",)):
    with admin_api(sim) as session:
        answer = session.post(sim.url + TOKENS_PATH, json={"token": {"client_id": client_id, "scopes": list(scopes)}})
    answer.raise_for_status()
    return answer.json()["token"]


def admin_role_connection(url):
    """The oauth_bootstrap role's connection variables for the simulator's admin."""
    connection = admin_connection(url)
    return {"oauth_bootstrap_url": connection["url"], "oauth_bootstrap_email": connection["email"],
            "oauth_bootstrap_api_token": connection["api_token"]}


def summary_task(register, fields):
    """A debug task showing only the named, non-secret fields of a registered result."""
    return {"name": "summary of " + register, "ansible.builtin.debug": {"msg": {
        field: "{{ %s.%s | default(None) }}" % (register, field) for field in fields}}}


def store_token_tasks(register, path):
    """Store a minted token the documented way: only when one was minted, 0600, no_log."""
    return [{
        "name": "store the token",
        "ansible.builtin.copy": {"content": "{{ %s.token.full_token }}" % register, "dest": path, "mode": "0600"},
        "when": "%s.token.full_token is defined and %s.token.full_token is not none" % (register, register),
        "no_log": True,
    }]


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


# ------------------------------------------------------------------------------------------------
# lost client create
# ------------------------------------------------------------------------------------------------
def test_lost_client_create_adopts_the_one_client_and_says_how_to_get_a_secret(sim, tmp_path):
    sim.control.queue_faults([{"method": "POST", "path": CLIENTS_PATH, "fault": "ambiguous"}])
    secret_file = str(tmp_path / "client-secret")
    tasks = [
        {"name": "client", CLIENT: {"identifier": "lost-answer", "name": "Lost answer", "kind": "confidential"},
         "register": "created", "no_log": True},
        summary_task("created", ["changed", "secret_lost", "warnings", "failed", "msg"]),
        {"name": "has a secret", "ansible.builtin.debug": {"msg": "{{ created.secret is defined }}"}},
        # What the warning tells the user to do, run the documented way.
        {"name": "rotate the lost secret", CLIENT: {"identifier": "lost-answer", "regenerate_secret": True},
         "register": "rotated", "no_log": True, "when": "created.secret_lost"},
        {"name": "store the secret", "ansible.builtin.copy": {"content": "{{ rotated.secret }}", "dest": secret_file,
                                                              "mode": "0600"},
         "no_log": True, "when": "created.secret_lost"},
    ]
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    assert result.rc == 0, result

    summary = result.result("summary of created")["msg"]
    assert summary["changed"] is True and summary["secret_lost"] is True
    assert result.result("has a secret")["msg"] is False, "a secret was returned although its answer was lost"
    assert any("regenerate_secret: true" in warning for warning in summary["warnings"]), summary["warnings"]

    state = sim.control.state()
    clients = clients_named(state, "lost-answer")
    assert len(clients) == 1, "duplicate clients: %s" % clients
    posts = data_requests(sim, "POST", CLIENTS_PATH)
    assert [(p["fault"], p["status"]) for p in posts] == [("ambiguous", None)], "the create was sent again: %s" % posts
    assert read(secret_file) == clients[0]["secret"], "the stored secret is not the client's secret"
    assert os.stat(secret_file).st_mode & 0o777 == 0o600


# ------------------------------------------------------------------------------------------------
# lost token create
# ------------------------------------------------------------------------------------------------
# fault on the first POST /tokens, whether it committed a token, what the log shows for that POST
LOST_TOKEN_CASES = [
    ("ambiguous", True, None),   # committed, answer lost: one orphan, revoked
    ("drop", False, None),       # connection closed before anything happened: nothing to revoke
    ("500", False, 500),         # a server error on a POST is ambiguous too: looked up, nothing found
]


@pytest.mark.parametrize("fault, committed, logged_status", LOST_TOKEN_CASES, ids=[c[0] for c in LOST_TOKEN_CASES])
def test_lost_token_create_leaves_one_live_token_and_the_user_holds_it(sim, tmp_path, fault, committed,
                                                                       logged_status):
    client = make_client(sim)
    sim.control.queue_faults([{"method": "POST", "path": TOKENS_PATH, "fault": fault}])
    token_file = str(tmp_path / "token")
    tasks = [{"name": "token", TOKEN: {"client_identifier": "faults", "scopes": ["read"]},
              "register": "minted", "no_log": True}]
    tasks += store_token_tasks("minted", token_file)
    tasks.append(summary_task("minted", ["changed", "orphans_revoked", "token.id", "warnings"]))
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    assert result.rc == 0, result
    summary = result.result("summary of minted")["msg"]

    state = sim.control.state()
    revoked_ids = [token["id"] for token in state["revoked_tokens"]]
    live = live_tokens(state, client["id"])
    assert len(live) == 1, "expected one live token, got %s" % [t["id"] for t in live]
    assert live[0]["full_token"] == read(token_file), "the live token is not the one the user holds"
    assert summary["token.id"] == live[0]["id"]

    posts = data_requests(sim, "POST", TOKENS_PATH)
    assert [(p["fault"], p["status"]) for p in posts] == [(fault, logged_status), (None, 201)], posts
    if committed:
        assert len(summary["orphans_revoked"]) == 1, summary
        assert summary["orphans_revoked"] == revoked_ids, "the orphan reported is not the one revoked in Zendesk"
    else:
        assert summary["orphans_revoked"] == [] and revoked_ids == []


def test_candidates_it_cannot_prove_are_named_and_never_revoked(sim, tmp_path):
    """Two tokens could be the one the lost answer made: the module revokes neither, names both, and mints.

    The held token is unknown to Zendesk, so nothing is listed before the mint; a token minted by
    someone else in the same second (same client, scopes and admin) is then as likely the orphan as
    the real one. The simulator's clock is frozen, so 'the same second' holds however slowly
    ansible-playbook starts on a loaded machine (the module judges time by the server's Date).
    """
    sim.control.set_config(freeze_clock=True)
    client = make_client(sim)
    other = mint_token(sim, client["id"])
    sim.control.queue_faults([{"method": "POST", "path": TOKENS_PATH, "fault": "ambiguous"}])
    token_file = str(tmp_path / "token")
    tasks = [{"name": "token", TOKEN: {"client_id": client["id"], "scopes": ["read"],
                                       "full_token": "a-token-zendesk-does-not-know-0123456789"},
              "register": "minted", "no_log": True}]
    tasks += store_token_tasks("minted", token_file)
    tasks.append(summary_task("minted", ["failed", "orphans_revoked", "orphans_suspected", "token.id", "warnings"]))
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    assert result.rc == 0, result
    summary = result.result("summary of minted")["msg"]

    state = sim.control.state()
    assert state["revoked_tokens"] == [], "a token was revoked although it could not tell which was the orphan"
    live_ids = sorted(token["id"] for token in live_tokens(state, client["id"]))
    suspects = sorted(summary["orphans_suspected"])
    assert other["id"] in suspects and len(suspects) == 2 and summary["orphans_revoked"] == []
    assert live_ids == sorted(suspects + [summary["token.id"]])
    assert read(token_file) in [token["full_token"] for token in live_tokens(state, client["id"])]
    named = [warning for warning in summary["warnings"] if "cannot prove" in warning]
    assert len(named) == 1 and all(str(token_id) in named[0] for token_id in suspects), summary["warnings"]
    assert "token_id: ID" in named[0] and "state: absent" in named[0]


@pytest.mark.parametrize("older_tokens, fault", [(1, "503"), (2, "drop")])
def test_a_failed_mint_never_names_or_revokes_a_minutes_old_token(sim, tmp_path, older_tokens, fault):
    """The module called directly with client_id, as the role mints (recreate, nothing to revoke), so it
    sends nothing before the POST; the POST fails and makes nothing. Tokens of the same client and scopes
    minted minutes ago are nobody's orphans: neither revoked (one) nor named as 'could be the one made' (two)."""
    client = make_client(sim)
    older = [mint_token(sim, client["id"]) for unused in range(older_tokens)][0]
    sim.control.advance_clock(300)
    sim.control.queue_faults([{"method": "POST", "path": TOKENS_PATH, "fault": fault, "retry_after": 0}])
    tasks = [{"name": "token", TOKEN: {"client_id": client["id"], "scopes": ["read"], "recreate": "always",
                                       "revoke_replaced": False},
              "register": "minted", "no_log": True, "ignore_errors": True},
             summary_task("minted", ["failed", "msg", "orphans_revoked", "orphans_suspected",
                                     "lost_creates_unresolved", "warnings"])]
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    summary = result.result("summary of minted")["msg"]
    assert not summary["failed"], summary["msg"]

    state = sim.control.state()
    assert state["revoked_tokens"] == [], "a token this run did not make was revoked"
    assert older["id"] in [token["id"] for token in state["tokens"]]
    assert str(older["id"]) not in " ".join([summary["msg"] or ""] + list(summary["warnings"] or []))
    assert summary["orphans_revoked"] == [] and summary["orphans_suspected"] == []
    assert summary["lost_creates_unresolved"] == 1


def test_a_failed_mint_of_a_second_store_leaves_the_first_store_s_token_working(sim, tmp_path):
    """The issue's reproduction with the role: a second role run, storing into another vault file, mints for
    the same client; its POST /api/v2/oauth/tokens answers 503 with nothing made. The first store's token
    must still work."""
    password_file = str(tmp_path / "vault.pass")
    with open(password_file, "w", encoding="utf-8") as handle:
        handle.write("faults-vault-password-0c3d\n")

    def role_run(name):
        role = {"role": "zendesk.oauth.oauth_bootstrap", "vars": dict(admin_role_connection(sim.url), **{
            "oauth_bootstrap_client_identifier": "two-stores", "oauth_bootstrap_client_name": "Two stores",
            "oauth_bootstrap_scopes": ["read"], "oauth_bootstrap_vault_file": str(tmp_path / (name + ".vault.yml")),
            "oauth_bootstrap_vault_password_file": password_file})}
        home = tmp_path / name
        home.mkdir()
        return run_playbook([play([], name=name, roles=[role])], str(home))

    first = role_run("first")
    assert first.rc == 0, first
    first_token = sim.control.state()["tokens"][0]
    sim.control.advance_clock(120)
    sim.control.queue_faults([{"method": "POST", "path": TOKENS_PATH, "fault": "503", "retry_after": 0}])
    second = role_run("second")
    assert second.rc == 0, second

    state = sim.control.state()
    assert state["revoked_tokens"] == [], "a token of another store was revoked"
    assert first_token["id"] in [token["id"] for token in state["tokens"]]
    with requests.get(sim.url + "/api/v2/users/me", timeout=30,
                      headers={"Authorization": "Bearer " + first_token["full_token"]}) as answer:
        assert answer.status_code == 200, "the first store's token no longer works"
    assert [(p["fault"], p["status"]) for p in data_requests(sim, "POST", TOKENS_PATH)] == [
        (None, 201), ("503", 503), (None, 201)]


def test_slow_token_create_beyond_timeout_leaves_no_token_nobody_holds(sim, tmp_path):
    """Zendesk makes the token 0.6 s after the module's timeout=1 gave up: that token must not stay unheld.

    The contract: a write that lands within one more ``timeout`` after the module stopped waiting
    is found and revoked before the mint is sent again (or swept up after it), never left behind.
    """
    client = make_client(sim)
    sim.control.queue_faults([{"method": "POST", "path": TOKENS_PATH, "fault": "slow", "delay": 1.6}])
    token_file = str(tmp_path / "token")
    tasks = [{"name": "token", TOKEN: {"client_id": client["id"], "scopes": ["read"], "timeout": 1},
              "register": "minted", "no_log": True}]
    tasks += store_token_tasks("minted", token_file)
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    assert result.rc == 0, result
    wait_for_slow_requests(sim)

    live = live_tokens(sim.control.state(), client["id"])
    assert [t["full_token"] for t in live] == [read(token_file)], (
        "live tokens %s, the user holds one" % [t["id"] for t in live])


def test_a_creation_that_lands_after_the_last_look_is_said(sim, tmp_path):
    """Zendesk makes the token 3.5 s after a POST with timeout=1: after the wait (one timeout), the look, the new
    mint and the last look. Nothing can revoke it then; the result and a warning say which tokens to look at."""
    client = make_client(sim)
    sim.control.queue_faults([{"method": "POST", "path": TOKENS_PATH, "fault": "slow", "delay": 3.5}])
    token_file = str(tmp_path / "token")
    tasks = [{"name": "token", TOKEN: {"client_id": client["id"], "scopes": ["read"], "timeout": 1},
              "register": "minted", "no_log": True}]
    tasks += store_token_tasks("minted", token_file)
    tasks.append(summary_task("minted", ["lost_creates_unresolved", "orphans_revoked", "token.id", "warnings"]))
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    assert result.rc == 0, result
    summary = result.result("summary of minted")["msg"]
    wait_for_slow_requests(sim)

    live = live_tokens(sim.control.state(), client["id"])
    unheld = [token for token in live if token["full_token"] != read(token_file)]
    assert len(unheld) == 1, "the late creation did not land as planned: %s" % [t["id"] for t in live]
    assert summary["lost_creates_unresolved"] == 1 and summary["orphans_revoked"] == []
    said = [warning for warning in summary["warnings"] if "no token they made was found" in warning]
    assert len(said) == 1, summary["warnings"]
    since = said[0].split("created since ", 1)[1].split(" ", 1)[0]
    assert "client %s with scopes read" % client["id"] in said[0] and str(summary["token.id"]) in said[0]
    assert unheld[0]["created_at"] >= since, "the warning's time would not find the token left (%s < %s)" % (
        unheld[0]["created_at"], since)


def wait_for_slow_requests(sim, limit=30):
    """Until every slow request the simulator took has been answered (the log entry comes after the handler)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not sim.control.pending_faults() and all(
                entry["status"] is not None for entry in data_requests(sim) if entry["fault"] == "slow"):
            slow_posts = [e for e in data_requests(sim, "POST") if e["fault"] == "slow"]
            if slow_posts:
                return
        time.sleep(0.2)


def test_a_failed_revoke_after_a_mint_does_not_lose_the_new_token(sim, tmp_path):
    client = make_client(sim)
    held = mint_token(sim, client["id"])
    sim.control.queue_faults([{"method": "DELETE", "path_regex": r"^/api/v2/oauth/tokens/\d+$", "fault": "503",
                               "count": 10, "retry_after": 0}])
    token_file = str(tmp_path / "token")
    with open(token_file, "w", encoding="utf-8") as handle:
        handle.write(held["full_token"])
    tasks = [{"name": "token", TOKEN: {"client_id": client["id"], "scopes": ["read"], "recreate": "always",
                                       "full_token": "{{ lookup('ansible.builtin.file', '%s') }}" % token_file,
                                       "max_retries": 1},
              "register": "minted", "no_log": True, "ignore_errors": True}]
    tasks += store_token_tasks("minted", token_file)
    tasks.append(summary_task("minted", ["failed", "msg", "warnings"]))
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    summary = result.result("summary of minted")["msg"]

    assert not summary["failed"], "the task failed after minting: %s" % summary["msg"]
    live = live_tokens(sim.control.state(), client["id"])
    assert read(token_file) in [t["full_token"] for t in live], "the user does not hold a live token"
    unheld = [t for t in live if t["full_token"] != read(token_file)]
    named = " ".join([summary["msg"] or ""] + list(summary["warnings"] or []))
    assert all(str(t["id"]) in named for t in unheld), (
        "live tokens nobody holds and no message names: %s" % [t["id"] for t in unheld])


# ------------------------------------------------------------------------------------------------
# rate limits
# ------------------------------------------------------------------------------------------------
def test_queued_429s_are_waited_out_and_the_same_request_sent_again(sim, tmp_path):
    make_client(sim, "limited")
    sim.control.queue_faults([{"method": "GET", "path": CLIENTS_PATH, "fault": "429", "count": 2,
                               "retry_after": 1}])
    tasks = [{"name": "info", CLIENT_INFO: {"identifier": "limited"}, "register": "info"},
             summary_task("info", ["warnings"])]
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    assert result.rc == 0, result
    assert [c["identifier"] for c in result.result("info")["clients"]] == ["limited"]

    gets = data_requests(sim, "GET", CLIENTS_PATH)
    assert [(g["status"], g["fault"]) for g in gets] == [(429, "429"), (429, "429"), (200, None)], gets
    assert len({(g["path"], g["query"]) for g in gets}) == 1, "the retried request differs from the refused one"
    warnings = result.result("summary of info")["msg"]["warnings"]
    assert sum("429 rate limited; retrying in 1.0s" in w for w in warnings) == 2, warnings


def test_wait_bound_hit_fails_naming_max_retry_wait_and_sends_nothing_more(sim, tmp_path):
    """A budget of 3 requests a minute, one spent on making the client: the module's third request (the mint)
    is refused with a Retry-After of about 60 s, past max_retry_wait=5."""
    sim.control.set_config(rate_limit_per_minute=3)
    make_client(sim, "budget")
    sim.control.clear_requests()
    tasks = [{"name": "token", TOKEN: {"client_identifier": "budget", "scopes": ["read"], "max_retry_wait": 5},
              "register": "minted", "no_log": True, "ignore_errors": True},
             summary_task("minted", ["failed", "msg"])]
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    summary = result.result("summary of minted")["msg"]
    assert summary["failed"] is True
    assert "429" in summary["msg"] and "max_retry_wait=5" in summary["msg"], summary["msg"]

    log = data_requests(sim)
    assert [(entry["method"], entry["status"]) for entry in log] == [("GET", 200), ("GET", 200), ("POST", 429)], log
    assert sim.control.state()["tokens"] == [], "a token was minted past the budget"


def test_max_retries_bound_fails_naming_it_after_exactly_that_many_retries(sim, tmp_path):
    sim.control.queue_faults([{"method": "GET", "path": CLIENTS_PATH, "fault": "503", "count": 10,
                               "retry_after": 0}])
    tasks = [{"name": "info", CLIENT_INFO: {"max_retries": 2}, "ignore_errors": True}]
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    outcome = result.result("info")
    assert outcome["failed"] is True
    assert "503" in outcome["msg"] and "max_retries=2" in outcome["msg"], outcome["msg"]
    assert [e["status"] for e in data_requests(sim)] == [503, 503, 503]


class Sleeper:
    """The API client's injected sleep: records each wait and moves the simulator's clock by it."""

    def __init__(self, sim):
        self.sim = sim
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)
        self.sim.control.advance_clock(seconds)


def api_client(sim, sleeper, **options):
    api = module_utils("_api")
    client = api.ZendeskClient(sim.url, email="admin@example.com", api_token=admin_connection(sim.url)["api_token"],
                               sleep=sleeper, **options)
    retry_afters = []
    client.session.hooks["response"].append(
        lambda response, *args, **kwargs: retry_afters.append(response.headers.get("Retry-After"))
        if response.status_code == 429 else None)
    return client, retry_afters


def test_client_waits_exactly_what_retry_after_says_within_the_simulated_budget(sim):
    """Budget 3 requests/minute, 7 calls: every wait is the Retry-After just received, and each retry succeeds."""
    sim.control.set_config(rate_limit_per_minute=3)
    sleeper = Sleeper(sim)
    client, retry_afters = api_client(sim, sleeper, max_retry_wait=3600, max_retries=20)
    for unused_call in range(7):
        client.get(CLIENTS_PATH)

    assert sleeper.waits, "the budget was never hit"
    assert sleeper.waits == [float(value) for value in retry_afters], (sleeper.waits, retry_afters)
    assert client.waited == sum(sleeper.waits)
    statuses = [entry["status"] for entry in data_requests(sim)]
    assert statuses.count(200) == 7 and statuses.count(429) == len(sleeper.waits)
    assert all(after == 200 for before, after in zip(statuses, statuses[1:]) if before == 429), statuses


def test_client_total_wait_never_passes_max_retry_wait(sim):
    sim.control.queue_faults([{"method": "GET", "path": CLIENTS_PATH, "fault": "429", "count": 10,
                               "retry_after": 4}])
    sleeper = Sleeper(sim)
    client = api_client(sim, sleeper, max_retry_wait=10, max_retries=20)[0]
    api = module_utils("_api")
    with pytest.raises(api.ZendeskError) as caught:
        client.get(CLIENTS_PATH)
    assert sleeper.waits == [4.0, 4.0]
    assert sum(sleeper.waits) <= 10
    message = caught.value.render()
    assert "429" in message and "max_retry_wait=10" in message, message
    assert len(data_requests(sim)) == 3


# ------------------------------------------------------------------------------------------------
# lost answers of idempotent writes
# ------------------------------------------------------------------------------------------------
def test_a_revoke_whose_answer_was_lost_still_reports_the_token_revoked(sim, tmp_path):
    client = make_client(sim)
    token = mint_token(sim, client["id"])
    sim.control.queue_faults([{"method": "DELETE", "path_regex": r"^/api/v2/oauth/tokens/\d+$",
                               "fault": "ambiguous"}])
    tasks = [{"name": "revoke", TOKEN: {"state": "absent", "token_id": token["id"]}, "register": "revoked"}]
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    assert result.rc == 0, result

    state = sim.control.state()
    assert [t["id"] for t in state["revoked_tokens"]] == [token["id"]]
    deletes = data_requests(sim, "DELETE")
    assert [(d["fault"], d["status"]) for d in deletes] == [("ambiguous", None), (None, 404)], deletes
    outcome = result.result("revoke")
    assert outcome["changed"] is True and outcome["revoked"] == [token["id"]], outcome


def test_a_failed_look_for_a_lost_token_says_a_token_may_be_left(sim, tmp_path):
    client = make_client(sim)
    sim.control.queue_faults([
        {"method": "POST", "path": TOKENS_PATH, "fault": "ambiguous"},
        # after 1: the listing before the POST (the baseline) answers; the look after it does not
        {"method": "GET", "path": TOKENS_PATH, "fault": "503", "count": 10, "retry_after": 0, "after": 1},
    ])
    tasks = [{"name": "token", TOKEN: {"client_id": client["id"], "scopes": ["read"], "recreate": "always",
                                       "revoke_replaced": False, "max_retries": 2},
              "register": "minted", "no_log": True, "ignore_errors": True},
             summary_task("minted", ["failed", "msg"])]
    result = run_playbook([play(tasks, admin_connection(sim.url))], str(tmp_path))
    summary = result.result("summary of minted")["msg"]
    assert summary["failed"] is True

    left = live_tokens(sim.control.state(), client["id"])
    assert len(left) == 1, "the lost POST made one token"
    message = summary["msg"]
    assert "POST %s" % TOKENS_PATH in message, "the failure does not mention the create whose answer was lost: %s" % (
        message)
    assert str(client["id"]) in message and "revoke" in message.lower(), message
