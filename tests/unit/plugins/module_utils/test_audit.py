# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The token audit (plugins/module_utils/_audit.py): scopes, filters and the comparison with the stores, table by
table."""

from __future__ import annotations

import pytest

from ansible_collections.zendesk.oauth.plugins.module_utils import _audit as audit
from ansible_collections.zendesk.oauth.plugins.module_utils._oauth import iso_time, parse_time

BASE = "https://acme.zendesk.com"
NOW = parse_time("2026-12-01T10:00:00Z")
DAY = audit.DAY


def at(offset):
    """An ISO time `offset` seconds from NOW."""
    return iso_time(NOW + offset)


def token(token_id, client_id=1, scopes=("read",), created=-40 * DAY, used=None, expires=None, **extra):
    record = {"id": token_id, "client_id": client_id, "user_id": 42, "scopes": list(scopes),
              "created_at": at(created), "used_at": at(used) if used is not None else None,
              "expires_at": at(expires) if expires is not None else None}
    record.update(extra)
    return record


# -- scopes ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scopes, allowed, excess", [
    (["read"], ["read"], []),
    (["tickets:read"], ["read"], []),                     # read covers every resource's read
    (["tickets:read", "users:read"], ["tickets", "users:read"], []),
    (["tickets"], ["tickets:read"], ["tickets"]),         # tickets is read and write
    (["tickets"], ["tickets:read", "tickets:write"], []),
    (["tickets"], ["read", "write"], []),
    (["write"], ["tickets:write"], ["write"]),            # write is every resource
    (["read", "write"], ["read"], ["write"]),
    (["impersonate", "read"], ["read", "write"], ["impersonate"]),
    (["impersonate"], ["impersonate"], []),
    (["unrestricted"], ["read", "write"], []),            # a resource like any other
    (["read"], [], ["read"]),
    (["read", "read"], ["tickets:read"], ["read"]),
])
def test_excess_scopes(scopes, allowed, excess):
    assert audit.excess_scopes(scopes, allowed) == excess


@pytest.mark.parametrize("scopes, wanted, grants", [
    (["write"], ["write", "impersonate"], True),
    (["tickets:write"], ["write"], False),                # write names every resource
    (["tickets:write"], ["tickets:write"], True),
    (["tickets"], ["tickets:write"], True),
    (["write"], ["tickets:write"], True),
    (["read"], ["tickets"], False),                       # tickets is tickets:read and tickets:write
    (["read", "write"], ["tickets"], True),
    (["tickets:read", "tickets:write"], ["tickets"], True),
    (["read"], ["write", "impersonate", "unrestricted"], False),
    (["unrestricted:read"], ["unrestricted"], False),
    (["unrestricted"], ["unrestricted"], True),
    (["impersonate"], ["impersonate"], True),
    ([], ["read"], False),
])
def test_grants_any(scopes, wanted, grants):
    assert audit.grants_any(scopes, wanted) is grants


def test_granted_among():
    # read and write on every resource grant what unrestricted (a resource) grants, too
    assert audit.granted_among(["read", "write", "impersonate"], ["write", "impersonate", "unrestricted"]) == [
        "write", "impersonate", "unrestricted"]
    assert audit.granted_among(["tickets", "read"], ["write", "impersonate", "unrestricted"]) == []


# -- one token ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("expires, within, expected", [
    (None, 7 * DAY, False),               # never expires
    (3 * DAY, 7 * DAY, True),
    (7 * DAY, 7 * DAY, True),             # at the edge
    (7 * DAY + 1, 7 * DAY, False),
    (-DAY, 0, True),                      # expired
    (60, 0, False),
])
def test_expires_within(expires, within, expected):
    assert audit.expires_within(token(1, expires=expires), NOW, within) is expected


@pytest.mark.parametrize("created, used, days, expected", [
    (-40 * DAY, None, 30, True),          # never used, made 40 days ago
    (-10 * DAY, None, 30, False),         # never used, but made 10 days ago
    (-40 * DAY, -31 * DAY, 30, True),
    (-40 * DAY, -30 * DAY, 30, True),     # at the edge
    (-40 * DAY, -29 * DAY, 30, False),
    (-40 * DAY, -DAY, 1, True),
])
def test_unused_for(created, used, days, expected):
    assert audit.unused_for(token(1, created=created, used=used), NOW, days) is expected


def test_never_used():
    assert audit.never_used(token(1)) and not audit.never_used(token(1, used=-5))


def test_unused_for_is_false_without_times():
    assert audit.unused_for({"id": 1, "created_at": None, "used_at": None}, NOW, 1) is False


# -- the filters of zendesk_oauth_token_info ---------------------------------------------------------------
FILTERED = [
    token(1, scopes=["read"], used=-2 * DAY, expires=2 * DAY),
    token(2, scopes=["read", "write"], used=-45 * DAY),
    token(3, scopes=["impersonate"], client_id=2),
    token(4, scopes=["tickets:write"], client_id=3, created=-DAY, expires=-60),
    token(5, scopes=["read"], client_id=920000000001, created=-100 * DAY, used=-99 * DAY),
]


@pytest.mark.parametrize("filters, ids", [
    ({}, [1, 2, 3, 4, 5]),
    ({"expiring_within": 7 * DAY}, [1, 4]),
    ({"expiring_within": 0}, [4]),
    ({"unused_for_days": 30}, [2, 3, 5]),
    ({"never_used_only": True}, [3, 4]),
    ({"any_scope": ["write", "impersonate"]}, [2, 3]),
    ({"any_scope": ["tickets:write"]}, [2, 4]),
    ({"client_ids_not_in": {1}}, [3, 4, 5]),
    ({"client_ids_not_in": {1, 920000000001}}, [3, 4]),
    ({"unused_for_days": 30, "any_scope": ["write"]}, [2]),               # every filter must match
    ({"never_used_only": True, "expiring_within": 7 * DAY}, [4]),
])
def test_token_filter(filters, ids):
    keep = audit.token_filter(NOW, **filters)
    assert [item["id"] for item in FILTERED if keep(item)] == ids


def test_token_filter_knows_a_global_client_id_field():
    keep = audit.token_filter(NOW, client_ids_not_in={920000000007})
    assert not keep(token(9, client_id=None, global_client_id=920000000007))


@pytest.mark.parametrize("params, problem", [
    ({}, None),
    ({"expiring_within": 0, "unused_for_days": 1, "any_scope": ["write"], "clients_not_in": ["a", "1"]}, None),
    ({"expiring_within": -1}, "expiring_within=-1 is negative"),
    ({"unused_for_days": 0}, "unused_for_days=0 is below 1"),
    ({"any_scope": []}, "any_scope is empty"),
    ({"clients_not_in": ["acme", " "]}, "clients_not_in has an empty entry"),
])
def test_filter_problems(params, problem):
    found = audit.filter_problems(params)
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0]


def test_split_client_refs():
    assert audit.split_client_refs(["900000000001", "acme", 900000000002, " acme ", "billing"]) == (
        {900000000001, 900000000002}, ["acme", "billing"])


# -- the audit ---------------------------------------------------------------------------------------------
CLIENTS = [{"id": 1, "identifier": "acme", "name": "ACME"}, {"id": 2, "identifier": "billing", "name": "Billing"},
           {"id": 3, "identifier": "legacy", "name": "Legacy"}]


def record(client_id=1, identifier="acme", token_id=None, scopes=("read",), url=BASE, pending=None):
    data = {"zendesk_oauth_url": url, "zendesk_oauth_client_identifier": identifier,
            "zendesk_oauth_client_id": client_id,
            "zendesk_oauth_token_id": token_id, "zendesk_oauth_full_token": "secret-value",
            "zendesk_oauth_scopes": list(scopes)}
    if pending is not None:
        data["zendesk_oauth_pending"] = pending
    return data


def vault(name, **fields):
    return audit.holding_from_record(name, "vault_file", record(**fields))


def run(tokens, holdings, **settings):
    return audit.audit(tokens, CLIENTS, holdings, BASE, audit.Settings(NOW, **settings))


def rows(report):
    return dict((row["id"], row) for row in report["tokens"])


def test_held_and_unheld_tokens_and_why_an_unheld_one_is_kept():
    tokens = [
        token(10, client_id=1),                                   # held by a.vault
        token(11, client_id=1),                                   # unheld, its client is known: may be revoked
        token(12, client_id=3),                                   # unheld, no store knows client 3
        token(13, client_id=920000000001),                        # a global client's
        token(14, client_id=1, created=-600),                     # made 10 minutes ago
    ]
    report = run(tokens, [vault("a.vault", token_id=10)])
    found = report["findings"]
    assert found["unheld"] == [11, 12, 13, 14]
    assert found["revocable"] == [11]
    assert found["kept_unheld"] == [12, 13, 14]
    table = rows(report)
    assert table[10]["held_by"] == ["a.vault"] and not table[10]["unheld"]
    assert [table[token_id]["kept"] for token_id in (11, 12, 13, 14)] == [
        None, audit.KEPT_OTHER_CLIENT, audit.KEPT_GLOBAL_CLIENT, audit.KEPT_TOO_NEW]
    assert "600s ago" in table[14]["kept_because"]
    assert table[13]["global_client"] and table[13]["client_identifier"] is None
    assert report["counts"]["held"] == 1 and report["counts"]["unheld"] == 4


def test_revoke_other_clients_and_min_age():
    tokens = [token(11, client_id=3), token(12, client_id=920000000001), token(13, client_id=1, created=-600)]
    report = run(tokens, [vault("a.vault", token_id=None)], revoke_other_clients=True, revoke_min_age=300)
    assert report["findings"]["revocable"] == [11, 13]       # never a global client's
    assert rows(report)[12]["kept"] == audit.KEPT_GLOBAL_CLIENT


@pytest.mark.parametrize("pending, created, kept", [
    # a run under way (its window not over) may be storing a token it made in the window
    ({"operation": "mint", "since": at(-2 * 3600), "until": at(600)}, -3600, audit.KEPT_RUN_IN_FLIGHT),
    ({"operation": "refresh", "since": at(-2 * 3600), "until": at(600)}, -3600, audit.KEPT_RUN_IN_FLIGHT),
    # made before the window: not that run's
    ({"operation": "mint", "since": at(-2 * 3600), "until": at(600)}, -3 * 3600, None),
    # the window is over: the run died or is done, and nobody holds what it made
    ({"operation": "mint", "since": at(-3 * 3600), "until": at(-2 * 3600)}, -2 * 3600 - 60, None),
    # a pending revocation names replaced tokens: nobody holds them
    ({"operation": "revoke", "token_ids": [11]}, -3600, None),
])
def test_a_run_in_flight_keeps_its_token(pending, created, kept):
    report = run([token(10), token(11, created=created)], [vault("a.vault", token_id=10, pending=pending)],
                 revoke_min_age=60)
    assert rows(report)[11]["kept"] == kept
    assert (report["findings"]["revocable"] == [11]) is (kept is None)


def test_a_pending_run_of_another_client_keeps_nothing_of_this_one():
    pending = {"operation": "mint", "since": at(-2 * 3600), "until": at(600), "client_id": 2}
    report = run([token(11, created=-3600)], [vault("a.vault", token_id=None, pending=pending),
                                              vault("b.vault", client_id=2, identifier="billing", token_id=None,
                                                    pending=pending)], revoke_min_age=60)
    # a.vault's client is 1: its journal covers client 1; b.vault's covers client 2. Token 11 is client 1's.
    assert rows(report)[11]["kept"] == audit.KEPT_RUN_IN_FLIGHT
    report = run([token(11, created=-3600)], [vault("a.vault", token_id=None),
                                              vault("b.vault", client_id=2, identifier="billing", token_id=None,
                                                    pending=pending)], revoke_min_age=60)
    assert rows(report)[11]["kept"] is None


@pytest.mark.parametrize("tokens, holdings, broad, excess, because", [
    # a held token: compared with the scopes its own store records
    ([token(10, scopes=["read", "write"])], [vault("a", token_id=10, scopes=["read"])], [10], ["write"],
     "more than the store that holds it records (read)"),
    ([token(10, scopes=["tickets:read"])], [vault("a", token_id=10, scopes=["read"])], [], [], None),
    # an unheld token of a client whose stores hold read only
    ([token(10), token(11, scopes=["read", "impersonate"])], [vault("a", token_id=10, scopes=["read"])], [11],
     ["impersonate"], "more than the stores of its client hold (read)"),
    # two stores of one client: the union is what the client needs
    ([token(10), token(12, scopes=["write"]), token(11, scopes=["read", "write"])],
     [vault("a", token_id=10, scopes=["read"]), vault("b", token_id=12, scopes=["write"])], [], [], None),
    # no store speaks for the client: only the broad scopes count
    ([token(11, client_id=3, scopes=["read", "impersonate"])], [], [11], ["impersonate"],
     "no store holds a token of its client"),
    ([token(11, client_id=3, scopes=["tickets:write"])], [], [], [], None),
    ([token(11, client_id=3, scopes=["unrestricted:read"])], [], [], [], None),
    ([token(11, client_id=3, scopes=["unrestricted", "read", "write"])], [], [11], ["unrestricted", "write"],
     "grants broad scopes"),
])
def test_broader_than_needed(tokens, holdings, broad, excess, because):
    report = run(tokens, holdings)
    assert report["findings"]["broad"] == broad
    if broad:
        row = rows(report)[broad[0]]
        assert row["excess_scopes"] == excess and because in row["broad_because"]


def test_a_fact_holding_without_scopes_needs_what_its_token_has():
    holding = audit.Holding("fact token 10", "fact", token_id=10)
    report = run([token(10, scopes=["read", "write"]), token(11, scopes=["write"]), token(12, scopes=["impersonate"])],
                 [holding])
    assert report["findings"]["broad"] == [12]
    assert report["findings"]["unheld"] == [11, 12]


def test_a_store_is_matched_to_its_client_by_identifier_when_the_id_is_stale():
    # the client was deleted and made again: a new id, the same identifier
    stale = vault("b", client_id=77, identifier="billing", scopes=["read"])
    report = run([token(11, client_id=2, scopes=["write"])], [stale])
    assert report["findings"]["revocable"] == [11] and report["findings"]["broad"] == [11]


@pytest.mark.parametrize("holding, status", [
    (audit.holding_from_record("e", "vault_file", {}), audit.STORE_EMPTY),
    (vault("o", url="https://other.zendesk.com", token_id=10), audit.STORE_OTHER_ACCOUNT),
    (vault("n", token_id=None), audit.STORE_NO_TOKEN),
    (vault("g", token_id=99), audit.STORE_TOKEN_NOT_LISTED),
    (audit.Holding("f", "fact", url=BASE, works=False), audit.STORE_TOKEN_DOES_NOT_WORK),
    (vault("ok", token_id=10), audit.STORE_OK),
    (vault("slash", url=BASE.upper() + "/", token_id=10), audit.STORE_OK),
])
def test_store_rows(holding, status):
    report = run([token(10)], [holding])
    row = report["stores"][0]
    assert row["status"] == status
    assert (row["problem"] is None) is (status == audit.STORE_OK)
    # only a store of this account that works holds its token
    assert report["findings"]["unheld"] == ([] if status == audit.STORE_OK else [10])
    assert "secret-value" not in repr(report)


def test_another_account_s_store_does_not_make_its_client_known():
    report = run([token(11)], [vault("o", url="https://other.zendesk.com", token_id=10)])
    assert rows(report)[11]["kept"] == audit.KEPT_OTHER_CLIENT


def test_expiring_idle_never_used_and_the_held_ones():
    tokens = [token(10, expires=DAY, used=-DAY), token(11, expires=-DAY), token(12, used=-31 * DAY),
              token(13, created=-5 * DAY)]
    report = run(tokens, [vault("a", token_id=10), vault("b", token_id=11)], expiring_within=2 * DAY,
                 unused_for_days=30)
    found = report["findings"]
    assert found["expiring"] == [10, 11] and found["expired"] == [11] and found["held_expiring"] == [10, 11]
    assert found["idle"] == [11, 12] and found["never_used"] == [11, 13]


def test_client_rows():
    report = run([token(10), token(11), token(12, client_id=920000000001)], [vault("a", token_id=10)])
    by_id = dict((row["id"], row) for row in report["clients"])
    assert sorted(by_id) == [1, 2, 3, 920000000001]
    assert by_id[1] == {"id": 1, "identifier": "acme", "name": "ACME", "global_client": False,
                        "known_to_stores": True, "needs": ["read"], "tokens": 2, "held": 1, "unheld": 1}
    assert by_id[920000000001]["global_client"] and by_id[920000000001]["tokens"] == 1
    assert by_id[2]["tokens"] == 0 and not by_id[2]["known_to_stores"]


def test_mark_revocations():
    report = run([token(10), token(11), token(12)], [vault("a", token_id=None)])
    audit.mark_revocations(report, revoked=[11], failed=[12])
    assert [row["action"] for row in report["tokens"]] == [None, "revoked", "revoke_failed"]
    assert report["counts"]["revoked"] == 1 and report["counts"]["revoke_failed"] == 1
    audit.mark_revocations(report, would_revoke=[12, 10])
    assert report["would_revoke"] == [10, 12] and report["revoked"] == []
    assert [row["action"] for row in report["tokens"]] == ["would_revoke", None, "would_revoke"]


def test_the_report_is_plain_json():
    import json
    report = run([token(10)], [vault("a", token_id=10)])
    assert json.loads(json.dumps(report)) == report
    assert report["as_of"] == "2026-12-01T10:00:00Z" and report["report_version"] == audit.REPORT_VERSION
