# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The zendesk.oauth.oauth_token_audit role on a seeded account with a known answer, by real ansible-playbook runs.

The account: 1,000 live tokens over 50 clients (49 of the account's own, 20 tokens each, and a global client
with 20), made and used at chosen times on the simulator's clock, and 32 stores that hold some of them: 20
Ansible Vault files, 7 KV secrets on a real OpenBao server (read with a read-only token), 3 tokens the play
holds (2 by id, 1 by value), a vault file that holds a revoked token and one written for another account. Each
token's expected findings follow from the plan below, written out by hand (never from the code under test),
and the JSON report is compared with them exactly; the revocations are read from the simulator.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import datetime, timezone

import pytest
import requests
import yaml

import playbook_runner
from playbook_runner import ADMIN_API_TOKEN, ADMIN_EMAIL

ROLE = "zendesk.oauth.oauth_token_audit"
DAY = 86400
VAULT_PASSWORD = "audit-vault-password-4f1c9e"
LOCAL_CLIENTS = 49
PER_CLIENT = 20
GLOBAL_ID = 920000000001
GLOBAL = LOCAL_CLIENTS                      # the global client's index in the plan
VAULT = range(0, 20)                         # clients whose token 0 a vault file holds
KV = range(20, 27)                           # ... a KV secret holds
FACT_BY_ID = (27, 28)                        # ... the play holds, given by id
FACT_BY_VALUE = 29                           # ... the play holds, given by value
MANAGED = range(0, 30)                       # clients some store holds a token of
BROAD_HELD = (5, 21)                         # their held token has scopes beyond what the store records
IN_FLIGHT = (3, 19)                          # made 2 hours ago, while client 3's store has a mint journal open
TOO_NEW = ((2, 18), (2, 19))                 # made 10 minutes ago (oauth_token_audit_revoke_min_age: 3600)
LATE = (IN_FLIGHT,) + TOO_NEW
PATTERNS = (["read"], ["tickets:read"], ["read", "write"], ["impersonate"])
EXPIRES = {1: 100, 2: 62, 3: 50}             # j % 5 -> days after day 0 (the audit is on day 60)
USES = {1: 20, 2: 58}                        # j % 3 -> the day it is used


def needs(i):
    """The scopes client i's store records."""
    return ["read"] if i % 2 == 0 else ["tickets:read", "users:read"]


def plan(i, j):
    """Token j of client i: its scopes, expiry (day), the day it is used (None: never)."""
    if i in MANAGED and j == 0:  # the held token
        return {"scopes": ["read", "write"] if i in BROAD_HELD else needs(i),
                "expires": 61 if i % 10 == 3 else None, "use": None}
    if (i, j) in LATE:
        return {"scopes": PATTERNS[j % 4], "expires": None, "use": None}
    expires, use = EXPIRES.get(j % 5), USES.get(j % 3)
    if use == 58 and expires == 50:  # expired by then: it cannot be used
        use = None
    return {"scopes": PATTERNS[j % 4], "expires": expires, "use": use}


def expected_row(i, j, held_by):
    """What the report must say of token j of client i (by hand, from the plan)."""
    p = plan(i, j)
    late = (i, j) in LATE
    use = 60 if (i, j) == (FACT_BY_VALUE, 0) else p["use"]   # the audit verifies that token with itself
    if i == GLOBAL or i not in MANAGED:
        broad = p["scopes"] in (["read", "write"], ["impersonate"])
    elif j == 0:
        broad = i in BROAD_HELD
    else:
        broad = {("read",): i % 2 == 1, ("tickets:read",): False}.get(tuple(p["scopes"]), True)
    unheld = not held_by
    if not unheld:
        kept = None
    elif i == GLOBAL:
        kept = "global_client"
    elif i not in MANAGED:
        kept = "other_client"
    elif (i, j) in TOO_NEW:
        kept = "too_new"
    elif (i, j) == IN_FLIGHT:
        kept = "run_in_flight"
    else:
        kept = None
    return {
        "held_by": held_by, "unheld": unheld,
        "expiring": p["expires"] in (61, 62, 50), "expired": p["expires"] == 50,
        "idle": (use is None and not late) or (use is not None and 60 - use >= 30),
        "never_used": use is None,
        "broad": broad, "kept": kept, "revocable": unheld and kept is None,
    }


class Account:
    """The seeded account: ids by (client, token) and the stores, on the simulator's clock."""

    def __init__(self, root, sim, bao):
        self.root = str(root)
        self.sim = sim
        self.bao = bao
        self.kv_prefix = "audit-%s" % secrets.token_hex(4)
        self.ids = {}
        self.full = {}
        self.client_ids = {}
        self.stores = []
        self.held = {}   # token id -> [store names]
        self.report_json = os.path.join(self.root, "reports", "audit.json")
        self.report_markdown = os.path.join(self.root, "reports", "audit.md")
        os.makedirs(os.path.join(self.root, "reports"))
        os.makedirs(os.path.join(self.root, "stores"))

    # -- the account -------------------------------------------------------------------------------------
    def seed(self):
        control = self.sim.control
        first = [(i, j) for i in range(LOCAL_CLIENTS + 1) for j in range(PER_CLIENT) if (i, j) not in LATE]
        answer = control.seed(
            clients=[{"identifier": "audit-%02d" % i, "name": "Audit client %d" % i, "kind": "confidential"}
                     for i in range(LOCAL_CLIENTS)],
            global_clients=[{"id": GLOBAL_ID, "name": "A Marketplace app", "identifier": "marketplace_app",
                             "kind": "public"}],
            tokens=[self.token_spec(i, j) for i, j in first] + [{"client_identifier": "audit-00", "scopes": ["read"]}])
        self.client_ids = dict(enumerate(answer["client_ids"]))
        self.client_ids[GLOBAL] = GLOBAL_ID
        for (i, j), record in zip(first, answer["tokens"]):
            self.ids[(i, j)], self.full[(i, j)] = record["id"], record["full_token"]
        self.revoked_id = answer["tokens"][-1]["id"]   # a store holds it, and it is revoked before the audit
        with self.admin() as session:
            gone = session.delete(self.sim.url + "/api/v2/oauth/tokens/%d" % self.revoked_id, timeout=30)
        assert gone.status_code == 204
        for day in (20, 58):
            control.advance_clock(day * DAY - self.day() * DAY)
            with requests.Session() as session:
                for (i, j), token_id in self.ids.items():
                    if plan(i, j)["use"] == day:
                        answer = session.get(self.sim.url + "/api/v2/oauth/tokens/current", timeout=30,
                                             headers={"Authorization": "Bearer " + self.full[(i, j)]})
                        assert answer.status_code == 200, (i, j, answer.text)
        control.advance_clock(60 * DAY - 2 * 3600 - self.day() * DAY)
        self.seed_late([IN_FLIGHT])
        self.journal_since = control.clock()["epoch"] - 60
        control.advance_clock(2 * 3600 - 600)
        self.seed_late(TOO_NEW)
        control.advance_clock(600)
        assert len(self.ids) == LOCAL_CLIENTS * PER_CLIENT + PER_CLIENT == 1000

    def token_spec(self, i, j):
        p = plan(i, j)
        spec = {"scopes": p["scopes"]}
        if i == GLOBAL:
            spec["global_client_id"] = GLOBAL_ID
        else:
            spec["client_identifier"] = "audit-%02d" % i
        if p["expires"] is not None:
            spec["expires_in"] = p["expires"] * DAY
        return spec

    def seed_late(self, keys):
        answer = self.sim.control.seed(tokens=[self.token_spec(i, j) for i, j in keys])
        for key, record in zip(keys, answer["tokens"]):
            self.ids[key], self.full[key] = record["id"], record["full_token"]

    def day(self):
        """Whole days since day 0 on the simulator's clock (the tokens of day 0 were made at its start)."""
        created = min(token["created_at"] for token in self.sim.control.state()["tokens"])
        return int((self.sim.control.clock()["epoch"] - _epoch(created)) // DAY)

    def admin(self):
        session = requests.Session()
        session.auth = ("%s/token" % ADMIN_EMAIL, ADMIN_API_TOKEN)
        return session

    # -- the stores --------------------------------------------------------------------------------------
    def record(self, i, token_id, url=None, pending=None):
        data = {
            "zendesk_oauth_url": url or self.sim.url, "zendesk_oauth_client_identifier": "audit-%02d" % i,
            "zendesk_oauth_client_id": self.client_ids[i], "zendesk_oauth_client_secret": None,
            "zendesk_oauth_token_id": token_id, "zendesk_oauth_full_token": self.full.get((i, 0), "x" * 64),
            "zendesk_oauth_refresh_token": None, "zendesk_oauth_scopes": needs(i),
            "zendesk_oauth_token_expires_at": None, "zendesk_oauth_refresh_token_expires_at": None,
        }
        if pending:
            data["zendesk_oauth_pending"] = pending
        return data

    def vault_file(self, name, data):
        path = os.path.join(self.root, "stores", name)
        with open(path, "wb") as handle:
            handle.write(playbook_runner.vault_encrypt(yaml.safe_dump(data), VAULT_PASSWORD))
        return path

    def hold(self, token_id, name):
        self.held.setdefault(token_id, []).append(name)

    def write_stores(self):
        password_file = os.path.join(self.root, "vault.pass")
        with open(password_file, "w", encoding="utf-8") as handle:
            handle.write(VAULT_PASSWORD + "\n")
        now = self.sim.control.clock()["epoch"]
        for i in VAULT:
            pending = None
            if i == IN_FLIGHT[0]:
                pending = {"operation": "mint", "since": _iso(self.journal_since), "until": _iso(now + 3600),
                           "client_id": self.client_ids[i], "scopes": needs(i)}
            path = self.vault_file("client-%02d.vault.yml" % i, self.record(i, self.ids[(i, 0)], pending=pending))
            entry = {"store": "vault_file", "vault_file": path}
            entry.update({"vault_password_file": password_file} if i % 2 else {"vault_password": VAULT_PASSWORD})
            self.stores.append(entry)
            self.hold(self.ids[(i, 0)], path)   # a vault file's name in the report is its path
        policy = "audit-read-%s" % self.kv_prefix
        self.bao.write_policy(policy, 'path "secret/data/%s/*" {\n  capabilities = ["read"]\n}\n' % self.kv_prefix)
        self.kv_token = self.bao.token_with_policy(policy)
        for i in KV:
            path = "%s/client-%02d" % (self.kv_prefix, i)
            self.bao.write_secret("secret", path, self.record(i, self.ids[(i, 0)]))
            self.stores.append({"store": "kv", "name": "kv client %d" % i, "kv_url": self.bao.url, "kv_path": path})
            self.hold(self.ids[(i, 0)], "kv client %d" % i)
        for i in FACT_BY_ID:
            self.stores.append({"store": "fact", "token_id": self.ids[(i, 0)], "scopes": needs(i)})
            self.hold(self.ids[(i, 0)], "fact token %d" % self.ids[(i, 0)])
        self.stores.append({"store": "fact", "name": "the play's own token",
                            "full_token": self.full[(FACT_BY_VALUE, 0)],
                            "scopes": needs(FACT_BY_VALUE)})
        self.hold(self.ids[(FACT_BY_VALUE, 0)], "the play's own token")
        self.stale = self.vault_file("stale.vault.yml", self.record(0, self.revoked_id))
        self.other = self.vault_file("other.vault.yml",
                                     self.record(1, self.ids[(1, 5)], url="https://other.zendesk.com"))
        for path in (self.stale, self.other):
            self.stores.append({"store": "vault_file", "vault_file": path, "vault_password_file": password_file})

    # -- the role ----------------------------------------------------------------------------------------
    def run(self, check=False, diff=False, stdout_callback="json", **overrides):
        self.sim.control.clear_requests()
        role_vars = {
            "oauth_token_audit_url": self.sim.url, "oauth_token_audit_email": ADMIN_EMAIL,
            "oauth_token_audit_api_token": ADMIN_API_TOKEN, "oauth_token_audit_stores": self.stores,
            "oauth_token_audit_include_expired": True,
            "oauth_token_audit_report_json": self.report_json,
            "oauth_token_audit_report_markdown": self.report_markdown,
        }
        role_vars.update(("oauth_token_audit_" + key, value) for key, value in overrides.items())
        play = playbook_runner.play([], roles=[dict({"role": ROLE}, **role_vars)])
        extra = (["--check"] if check else []) + (["--diff"] if diff else [])
        env = {"VAULT_TOKEN": self.kv_token, "VAULT_ADDR": "", "BAO_ADDR": "", "BAO_TOKEN": ""}
        result = playbook_runner.run_playbook([play], self.root, env=env, extra_args=extra,
                                              stdout_callback=stdout_callback)
        assert result.rc == 0, result
        return result

    def expected(self):
        rows = {}
        for (i, j), token_id in self.ids.items():
            rows[token_id] = expected_row(i, j, sorted(self.held.get(token_id, [])))
        return rows


def _epoch(iso):
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def _iso(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def account(tmp_path, sim, openbao):
    seeded = Account(tmp_path, sim, openbao)
    seeded.seed()
    seeded.write_stores()
    return seeded


# The play's own token verified with itself, one page of clients, ten pages of tokens.
AUDIT_REQUESTS = ([("GET", "/api/v2/oauth/tokens/current"), ("GET", "/api/v2/oauth/clients")]
                  + [("GET", "/api/v2/oauth/tokens")] * 10)
FLAGS = ("held_by", "unheld", "expiring", "expired", "idle", "never_used", "broad", "kept", "revocable")


def sent(sim):
    return [(entry["method"], entry["path"]) for entry in sim.control.requests()]


def ids_where(expected, flag):
    return sorted(token_id for token_id, row in expected.items() if row[flag])


def audit_result(result):
    return result.result("zendesk.oauth.oauth_token_audit : Audit the account's OAuth tokens against the stores")


def test_the_report_matches_the_known_answer_and_revokes_exactly_the_unheld(account, sim):
    expected = account.expected()
    revocable = ids_where(expected, "revocable")
    assert len(revocable) == 30 * 19 - 3 == 567

    # 1. A real run that revokes nothing ("false" as a string is false): the report, exactly.
    result = account.run(revoke_unheld="false")
    assert sent(sim) == AUDIT_REQUESTS                         # 12 requests
    run = audit_result(result)
    assert run["changed"] is False and run["revoked"] == [] and run["would_revoke"] == []
    with open(account.report_json, encoding="utf-8") as handle:
        report = json.load(handle)
    assert report == run["ansible_facts"]["oauth_token_audit_report"]
    got = dict((row["id"], dict((flag, row[flag]) for flag in FLAGS)) for row in report["tokens"])
    assert got == expected
    for flag in ("unheld", "revocable", "expiring", "expired", "idle", "never_used", "broad"):
        assert report["findings"][flag] == ids_where(expected, flag), flag
    assert report["findings"]["kept_unheld"] == sorted(set(ids_where(expected, "unheld")) - set(revocable))
    assert report["findings"]["held_expiring"] == sorted(account.ids[(i, 0)] for i in (3, 13, 23))
    assert report["findings"]["held_broad"] == sorted(account.ids[(i, 0)] for i in BROAD_HELD)
    assert report["counts"] == {
        "tokens": 1000, "clients": 50, "stores": 32, "held": 30, "unheld": 970, "revocable": 567, "kept_unheld": 403,
        "expiring": len(ids_where(expected, "expiring")), "expired": len(ids_where(expected, "expired")),
        "idle": len(ids_where(expected, "idle")), "never_used": len(ids_where(expected, "never_used")),
        "broad": len(ids_where(expected, "broad")), "held_expiring": 3, "held_broad": 2, "store_problems": 2,
        "revoked": 0, "would_revoke": 0, "revoke_failed": 0}
    statuses = [(row["store"], row["status"]) for row in report["stores"]]
    assert statuses[-2:] == [(account.stale, "token_not_listed"), (account.other, "other_account")]
    assert set(status for unused, status in statuses[:-2]) == {"ok"}
    global_row = [row for row in report["clients"] if row["id"] == GLOBAL_ID]
    assert global_row == [{"id": GLOBAL_ID, "identifier": None, "name": None, "global_client": True,
                           "known_to_stores": False, "needs": None, "tokens": 20, "held": 0, "unheld": 20}]
    summary = run["summary"]
    assert summary[1] == ("Held by a store: 30. Held by no store: 970 (567 may be revoked; kept: 20 of global clients "
                          "(never revoked), 380 of clients no store holds a token of, 2 made within "
                          "oauth_token_audit_revoke_min_age, 1 a run under way may be storing)")
    with open(account.report_markdown, encoding="utf-8") as handle:
        markdown = handle.read()
    assert "## Tokens no store holds (970)" in markdown and "## Stores (32)" in markdown
    assert [t["id"] for t in sim.control.state()["revoked_tokens"]] == [account.revoked_id]

    # 2. Check mode with diff (Ansible's own output: callbacks that print JSON leave the diff out): the list of
    # what it would revoke, the diff of those tokens, and nothing sent but the reads.
    result = account.run(check=True, diff=True, stdout_callback=None, revoke_unheld=True)
    assert sent(sim) == AUDIT_REQUESTS
    assert [t["id"] for t in sim.control.state()["revoked_tokens"]] == [account.revoked_id]
    diff = result.stdout.split("--- before: tokens of %s that no store holds\n+++ after: after they are revoked\n"
                               % sim.url)[1].split("changed: [localhost]")[0].splitlines()
    assert sorted(int(found) for line in diff if line.startswith("-")
                  for found in re.findall(r'"id": (\d+)', line)) == revocable
    assert [line for line in diff if line.startswith("+")] == ['+    "tokens": []']
    shown = result.stdout.split("Check mode: would revoke 567 tokens no store holds:")[1].split("Report: ")[0]
    assert sorted(int(found) for found in re.findall(r"\b(91\d{10})\b", shown)) == revocable
    assert "changed=1" in result.stdout
    with open(account.report_json, encoding="utf-8") as handle:
        assert json.load(handle)["would_revoke"] == revocable

    # 3. For real ("yes" as a string is true): exactly the unheld ones, read from the simulator.
    result = account.run(revoke_unheld="yes")
    run = audit_result(result)
    deletes = [path for method, path in sent(sim) if method == "DELETE"]
    assert sent(sim)[:len(AUDIT_REQUESTS)] == AUDIT_REQUESTS and len(sent(sim)) == len(AUDIT_REQUESTS) + 567
    assert sorted(int(path.rsplit("/", 1)[1]) for path in deletes) == revocable
    state = sim.control.state()
    assert sorted(t["id"] for t in state["revoked_tokens"]) == sorted(revocable + [account.revoked_id])
    assert sorted(t["id"] for t in state["tokens"]) == sorted(set(account.ids.values()) - set(revocable))
    assert run["changed"] is True and run["revoked"] == revocable and run["revoke_failed"] == []

    # 4. Again: nothing left to revoke, nothing changed; 433 tokens are 5 pages.
    result = account.run(revoke_unheld=True)
    assert sent(sim) == AUDIT_REQUESTS[:2] + [("GET", "/api/v2/oauth/tokens")] * 5
    run = audit_result(result)
    assert run["changed"] is False and run["revoked"] == [] and run["counts"]["revocable"] == 0
    assert run["counts"]["tokens"] == 1000 - 567

    # No secret anywhere: the vault password, the KV token, the admin's API token, any token's value.
    for secret in [VAULT_PASSWORD, account.kv_token, ADMIN_API_TOKEN] + list(account.full.values()):
        assert secret not in result.output
        for path in (account.report_json, account.report_markdown):
            with open(path, encoding="utf-8") as handle:
                assert secret not in handle.read()


def test_the_stores_are_only_read(account, sim):
    """The audit writes no store: no vault file, lock file or KV version is made or changed."""
    files = dict((name, _content(os.path.join(account.root, "stores", name)))
                 for name in os.listdir(os.path.join(account.root, "stores")))
    versions = [account.bao.read_secret("secret", "%s/client-%02d" % (account.kv_prefix, i)).version for i in KV]
    account.run(revoke_unheld=True)
    assert dict((name, _content(os.path.join(account.root, "stores", name)))
                for name in os.listdir(os.path.join(account.root, "stores"))) == files
    assert [account.bao.read_secret("secret", "%s/client-%02d" % (account.kv_prefix, i)).version
            for i in KV] == versions
    assert versions == [1] * len(KV)


def _content(path):
    with open(path, "rb") as handle:
        return handle.read()


class SmallAccount:
    """Two clients with three tokens each, made 2 days ago; a vault file holds the first client's first token."""

    def __init__(self, root, sim):
        self.root = str(root)
        self.sim = sim
        seeded = sim.control.seed(clients=2, tokens_per_client=3, prefix="small")
        self.client_ids, self.token_ids = seeded["client_ids"], seeded["token_ids"]
        sim.control.advance_clock(2 * DAY)
        self.vault = os.path.join(self.root, "small.vault.yml")
        with open(self.vault, "wb") as handle:
            handle.write(playbook_runner.vault_encrypt(yaml.safe_dump({
                "zendesk_oauth_url": sim.url, "zendesk_oauth_client_identifier": "small-00001",
                "zendesk_oauth_client_id": self.client_ids[0], "zendesk_oauth_token_id": self.token_ids[0],
                "zendesk_oauth_scopes": ["read"], "zendesk_oauth_full_token": seeded["tokens"][0]["full_token"]}),
                VAULT_PASSWORD))
        self.store = {"store": "vault_file", "vault_file": self.vault, "vault_password": VAULT_PASSWORD}

    def run(self, module_defaults=None, check=False, **role_vars):
        self.sim.control.clear_requests()
        play = playbook_runner.play([], connection=module_defaults, roles=[dict(
            {"role": ROLE}, **dict(("oauth_token_audit_" + key, value) for key, value in role_vars.items()))])
        return playbook_runner.run_playbook([play], self.root, extra_args=["--check"] if check else [])


CONNECTION = {"url": None, "email": ADMIN_EMAIL, "api_token": ADMIN_API_TOKEN}


@pytest.mark.parametrize("case, role_vars, message", [
    ("a store that holds nothing, with revocation",
     {"stores": [{"store": "vault_file", "vault_file": "/nonexistent-h8/none.vault.yml",
                  "vault_password": VAULT_PASSWORD}], "revoke_unheld": True},
     "/nonexistent-h8/none.vault.yml: its directory /nonexistent-h8 must exist"),
    ("a missing vault file, with revocation", {"stores": "MISSING", "revoke_unheld": True},
     "holds no record (no file, or no secret at that path): the token it should hold would look unheld"),
    ("a fact entry with both an id and a value",
     {"stores": [{"store": "fact", "token_id": 910000000001, "full_token": "a-token-value-of-the-play"}]},
     "oauth_token_audit_stores[0] is a fact store: give exactly one of token_id"),
    ("a vault entry with a KV field", {"stores": "WITH_KV_PATH"},
     "oauth_token_audit_stores[0] is a vault_file store, and kv_path belongs to another kind of store"),
    ("a wrong vault password", {"stores": "WRONG_PASSWORD"},
     "with the vault password given (oauth_token_audit_stores[0].vault_password or"),
    ("revocation without stores", {"revoke_unheld": True},
     "oauth_token_audit_revoke_unheld needs oauth_token_audit_stores"),
    ("no credential", {"email": None, "api_token": None}, "The connection: "),
    ("a negative minimum age", {"revoke_min_age": "-1"}, "oauth_token_audit_revoke_min_age=-1 is negative"),
])
def test_refused_before_any_request(tmp_path, sim, case, role_vars, message):
    small = SmallAccount(tmp_path, sim)
    stores = role_vars.get("stores")
    if stores == "MISSING":
        role_vars["stores"] = [dict(small.store, vault_file=os.path.join(small.root, "gone.vault.yml"))]
    elif stores == "WITH_KV_PATH":
        role_vars["stores"] = [dict(small.store, kv_path="zendesk/small")]
    elif stores == "WRONG_PASSWORD":
        role_vars["stores"] = [dict(small.store, vault_password="not-the-password-0")]
    values = dict(url=sim.url, email=ADMIN_EMAIL, api_token=ADMIN_API_TOKEN)
    values.update(role_vars)
    result = small.run(**dict((key, value) for key, value in values.items() if value is not None))
    assert result.rc != 0, (case, result)
    assert message in result.output and "Nothing was sent to Zendesk" in result.output, (case, result)
    assert sim.control.requests() == [], case
    assert sim.control.state()["revoked_tokens"] == []
    for secret in (VAULT_PASSWORD, ADMIN_API_TOKEN, "a-token-value-of-the-play"):
        assert secret not in result.output, case


def test_the_connection_from_module_defaults_and_check_mode(tmp_path, sim):
    """The group's module_defaults give the connection; check mode revokes nothing and says what it would."""
    small = SmallAccount(tmp_path, sim)
    connection = {"url": sim.url, "email": ADMIN_EMAIL, "api_token": ADMIN_API_TOKEN}
    result = small.run(module_defaults=connection, check=True, stores=[small.store], revoke_unheld=True,
                       revoke_min_age=DAY)
    assert result.rc == 0, result
    run = audit_result(result)
    assert run["would_revoke"] == small.token_ids[1:3] and run["changed"] is True
    assert sent(sim) == [("GET", "/api/v2/oauth/clients"), ("GET", "/api/v2/oauth/tokens")]
    assert [entry["auth"] for entry in sim.control.requests()] == ["basic", "basic"]
    assert sim.control.state()["revoked_tokens"] == []
    # a day's minimum age keeps tokens made 2 days ago revocable; three days' keeps them all
    result = small.run(module_defaults=connection, stores=[small.store], revoke_unheld=True, revoke_min_age=3 * DAY)
    run = audit_result(result)
    assert run["revoked"] == [] and run["changed"] is False and run["counts"]["kept_unheld"] == 5
    assert [token["id"] for token in sim.control.state()["revoked_tokens"]] == []
