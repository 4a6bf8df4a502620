# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The oauth_token_audit role's report for people: the summary in the play output, and the Markdown file.

INTERNAL: this file is not a public API of the collection and may change at any time.

Both are made from the report plugins/module_utils/_audit.py builds (the JSON file is that report itself).
"""

from __future__ import annotations

from collections import Counter

from ansible_collections.zendesk.oauth.plugins.module_utils._audit import DAY, KEPT_REASONS

# How many token ids a summary line names before it says "and N more".
MAX_IDS_IN_LINE = 20


def duration(seconds):
    """604800 -> '7 days', 7200 -> '2 hours', 90 -> '90 seconds'."""
    for size, unit in ((DAY, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return "%d %s%s" % (count, unit, "" if count == 1 else "s")
    return "%d second%s" % (seconds, "" if seconds == 1 else "s")


def id_list(ids, limit=MAX_IDS_IN_LINE):
    ids = list(ids)
    text = ", ".join(str(token_id) for token_id in ids[:limit])
    return text + (" and %d more (see the report)" % (len(ids) - limit) if len(ids) > limit else "")


def client_name(row):
    """A client as a person reads it: its identifier and id, or the id of a client that is not the account's."""
    if row.get("client_identifier"):
        return "%s (%s)" % (row["client_identifier"], row["client_id"])
    return "%s (global client)" % row["client_id"] if row.get("global_client") else str(row["client_id"])


def _held_ids(report, ids):
    """'; held: 1 (store), 2 (store)' for the held tokens among ids, '' when there are none."""
    rows = dict((row["id"], row) for row in report["tokens"])
    named = ["%s (%s)" % (token_id, ", ".join(rows[token_id]["held_by"])) for token_id in ids]
    if not named:
        return ""
    shown = named[:MAX_IDS_IN_LINE]
    more = " and %d more (see the report)" % (len(named) - len(shown)) if len(named) > len(shown) else ""
    return "; held by a store: %s%s" % (", ".join(shown), more)


def by_client(report, ids):
    """['  <client>: id, id, ...'] for the tokens ids, grouped by client in id order (every id is named)."""
    rows = dict((row["id"], row) for row in report["tokens"])
    groups = {}
    for token_id in sorted(ids):
        groups.setdefault(rows[token_id]["client_id"], []).append(token_id)
    return ["  %s: %s" % (client_name(rows[group[0]]), ", ".join(str(token_id) for token_id in group))
            for unused, group in sorted(groups.items(), key=lambda item: item[1][0])]


def summary_lines(report, check_mode, revoke_unheld, files):
    """What the play shows: a line per finding, then what was (or would be) revoked, then where the report is
    (files: the report files written; None leaves that line out). Lines of a list start with two spaces."""
    counts, settings, findings = report["counts"], report["settings"], report["findings"]
    rows = dict((row["id"], row) for row in report["tokens"])
    with_tokens = len(set(row["client_id"] for row in report["tokens"]))
    lines = ["Zendesk %s as of %s: %d tokens of %d clients, compared with %d store%s"
             % (report["url"], report["as_of"], counts["tokens"], with_tokens, counts["stores"],
                "" if counts["stores"] == 1 else "s")]
    kept = Counter(rows[token_id]["kept"] for token_id in findings["kept_unheld"])
    kept_text = ", ".join("%d %s" % (kept[code], text) for code, text in KEPT_REASONS.items() if kept[code])
    lines.append("Held by a store: %d. Held by no store: %d (%d may be revoked%s)"
                 % (counts["held"], counts["unheld"], counts["revocable"], "; kept: " + kept_text if kept else ""))
    lines.append("Expire within %s: %d (%d already expired%s)%s"
                 % (duration(settings["expiring_within"]), counts["expiring"], counts["expired"],
                    "" if settings["include_expired"] else ", expired tokens not listed",
                    _held_ids(report, findings["held_expiring"])))
    lines.append("Unused for %d days or more: %d; never used: %d"
                 % (settings["unused_for_days"], counts["idle"], counts["never_used"]))
    lines.append("Broader than their client needs: %d%s" % (counts["broad"], _held_ids(report, findings["held_broad"])))
    for store in report["stores"]:
        if store["problem"]:
            lines.append("Store %s: %s" % (store["store"], store["problem"]))
    if not revoke_unheld:
        lines.append("Nothing revoked (oauth_token_audit_revoke_unheld is false); %d token%s no store holds may be "
                     "revoked" % (counts["revocable"], "" if counts["revocable"] == 1 else "s"))
    elif check_mode:
        lines.append("Check mode: would revoke %d token%s no store holds%s" % (
            counts["would_revoke"], "" if counts["would_revoke"] == 1 else "s", ":" if counts["would_revoke"] else ""))
        lines.extend(by_client(report, report["would_revoke"]))
    else:
        lines.append("Revoked %d token%s no store holds%s" % (
            counts["revoked"], "" if counts["revoked"] == 1 else "s", ":" if counts["revoked"] else ""))
        lines.extend(by_client(report, report["revoked"]))
        if report["revoke_failed"]:
            lines.append("Revoking failed for %d token%s: %s" % (
                counts["revoke_failed"], "" if counts["revoke_failed"] == 1 else "s", id_list(report["revoke_failed"])))
    if files is not None:
        lines.append("Report: %s" % ", ".join(files) if files else
                     "Report: the fact oauth_token_audit_report (no file asked for: oauth_token_audit_report_json, "
                     "oauth_token_audit_report_markdown)")
    return lines


# -- Markdown ----------------------------------------------------------------------------------------------
def _cell(value):
    if value is None or value == []:
        return ""
    if isinstance(value, (list, tuple)):
        value = " ".join(str(item) for item in value)
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(headers, rows):
    lines = ["| %s |" % " | ".join(headers), "|%s|" % "|".join("---" for unused in headers)]
    lines.extend("| %s |" % " | ".join(_cell(value) for value in row) for row in rows)
    return lines


def revocation(row):
    if row["action"] == "revoked":
        return "revoked"
    if row["action"] == "would_revoke":
        return "would be revoked (check mode)"
    if row["action"] == "revoke_failed":
        return "revocation failed"
    if row["revocable"]:
        return "may be revoked"
    return "kept: %s" % row["kept_because"] if row["kept_because"] else ""


def markdown(report, check_mode, revoke_unheld):
    """The Markdown report: the summary, then a table per finding, the stores and the clients."""
    settings = report["settings"]
    tokens = report["tokens"]
    out = ["# OAuth token audit of %s" % report["url"], "",
           "As of %s (Zendesk's clock). Expiring: within %s. Idle: unused for %d days. Broad scopes, for clients no "
           "store speaks for: %s. Expired tokens listed: %s." % (
               report["as_of"], duration(settings["expiring_within"]), settings["unused_for_days"],
               " ".join(settings["broad_scopes"]) or "none", "yes" if settings["include_expired"] else "no"), "",
           "## Summary", ""]
    out.extend(("  - %s" if line.startswith("  ") else "- %s") % line.strip()
               for line in summary_lines(report, check_mode, revoke_unheld, None))
    sections = [
        ("Tokens no store holds", [row for row in tokens if row["unheld"]],
         ("Token", "Client", "User", "Scopes", "Created", "Last used", "Expires", "Revocation"),
         lambda row: (row["id"], client_name(row), row["user_id"], row["scopes"], row["created_at"], row["used_at"],
                      row["expires_at"], revocation(row))),
        ("Tokens that expire within %s" % duration(settings["expiring_within"]),
         [row for row in tokens if row["expiring"]],
         ("Token", "Client", "Held by", "Expires", "Expired"),
         lambda row: (row["id"], client_name(row), row["held_by"], row["expires_at"], "yes" if row["expired"] else "")),
        ("Tokens unused for %d days or more" % settings["unused_for_days"], [row for row in tokens if row["idle"]],
         ("Token", "Client", "Held by", "Last used", "Created"),
         lambda row: (row["id"], client_name(row), row["held_by"], row["used_at"] or "never", row["created_at"])),
        ("Tokens broader than their client needs", [row for row in tokens if row["broad"]],
         ("Token", "Client", "Held by", "Scopes", "Beyond the need", "Why"),
         lambda row: (row["id"], client_name(row), row["held_by"], row["scopes"], row["excess_scopes"],
                      row["broad_because"])),
    ]
    for title, rows, headers, cells in sections:
        out.extend(["", "## %s (%d)" % (title, len(rows)), ""])
        out.extend(_table(headers, [cells(row) for row in rows]) if rows else ["None."])
    out.extend(["", "## Stores (%d)" % len(report["stores"]), ""])
    store_rows = [(store["store"], store["kind"], store["client_identifier"] or store["client_id"], store["token_id"],
                   store["scopes"], store["problem"] or "holds a token Zendesk lists") for store in report["stores"]]
    out.extend(_table(("Store", "Kind", "Client", "Token", "Scopes", "Status"), store_rows) if store_rows
               else ["None: every token counts as held by no store."])
    out.extend(["", "## Clients (%d)" % len(report["clients"]), ""])
    client_rows = [(client["id"], client["identifier"] or ("global client" if client["global_client"] else ""),
                    client["tokens"], client["held"], client["unheld"], "yes" if client["known_to_stores"] else "no",
                    client["needs"]) for client in report["clients"]]
    out.extend(_table(("Client", "Identifier", "Tokens", "Held", "Held by none", "A store holds a token of it",
                       "Scopes the stores hold"), client_rows))
    return "\n".join(out) + "\n"
