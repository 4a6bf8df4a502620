# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cursor and offset pagination of the list endpoints (reference §1.6).

Cursor mode is chosen by any ``page[...]`` parameter (``page[size]``, ``page[after]``,
``page[before]``; the brackets may be %-encoded), offset mode otherwise (``page``, ``per_page``).
Records are ordered by id. Cursors are opaque base64url strings.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlencode

from .messages import ApiError

MAX_PAGE_SIZE = 100


def _bad(description):
    return ApiError(400, {"error": "InvalidPaginationParameter", "description": description})


def encode_cursor(record_id):
    raw = json.dumps({"o": "id", "v": record_id}, separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii"))
        value = data["v"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError):
        raise _bad("Invalid cursor: %s" % cursor) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("Invalid cursor: %s" % cursor)
    return value


def _int_param(request, name, default):
    raw = request.param(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _bad("%s must be an integer, got %r" % (name, raw)) from None


def _size(request, name, config):
    size = _int_param(request, name, MAX_PAGE_SIZE)
    if size < 1:
        raise _bad("%s must be at least 1" % name)
    if size > MAX_PAGE_SIZE:
        if config["page_size_over_max"] == "error":
            raise _bad("%s must be at most %d" % (name, MAX_PAGE_SIZE))
        size = MAX_PAGE_SIZE
    return size


def _url(request, drop, extra, config):
    """A page link: Zendesk's absolute URL, or the hostile ``page_link_template`` filled in."""
    kept = [(k, v) for k, v in request.query if not drop(k)]
    query = urlencode(kept + extra)
    template = config["page_link_template"]
    if template is not None:
        return template.replace("{path}", request.path).replace("{query}", query)
    return "%s%s?%s" % (request.base_url, request.path, query)


def is_cursor_request(request):
    return any(key.startswith("page[") for key, _value in request.query)


def paginate(request, records, key, config, render):
    """The list body ``{key: [render(r), ...], <pagination fields>}`` for ``records`` (dicts with ``id``).

    Cursor style for a request with ``page[...]`` unless ``cursor_pagination`` is off (an endpoint
    that ignores it), offset style otherwise.
    """
    records = sorted(records, key=lambda r: r["id"])
    if is_cursor_request(request) and config["cursor_pagination"]:
        body = _cursor_page(request, records, key, config)
    else:
        body = _offset_page(request, records, key, config)
    body[key] = [render(record) for record in body[key]]
    return body


def _cursor_page(request, records, key, config):
    size = _size(request, "page[size]", config)
    after = request.param("page[after]")
    before = request.param("page[before]")
    if after:
        start_after = decode_cursor(after)
        candidates = [r for r in records if r["id"] > start_after]
        page = candidates[:size]
        forward = True
    elif before:
        end_before = decode_cursor(before)
        candidates = [r for r in records if r["id"] < end_before]
        page = candidates[-size:]
        forward = False
    else:
        page = records[:size]
        forward = True

    def link(param, record_id):
        return _url(request, lambda k: k.startswith("page["), [("page[size]", str(size)), (param, encode_cursor(record_id))],
                    config)

    if page:
        first, last = page[0]["id"], page[-1]["id"]
        more_after = any(r["id"] > last for r in records)
        more_before = any(r["id"] < first for r in records)
        meta = {
            "has_more": more_after if forward else more_before,
            "after_cursor": encode_cursor(last),
            "before_cursor": encode_cursor(first),
        }
        links = {
            "prev": link("page[before]", first) if more_before else None,
            "next": link("page[after]", last) if more_after else None,
        }
    else:
        meta = {"has_more": False, "after_cursor": None, "before_cursor": None}
        links = {"prev": None, "next": None}
    endless = config["endless_pages"]
    if endless and forward:
        # Hostile: there is always more. "fresh" hands out a new cursor each time, "repeat" the one asked with.
        current = decode_cursor(after) if after else (page[-1]["id"] if page else 0)
        value = current + 1 if endless == "fresh" else current
        meta.update(has_more=True, after_cursor=encode_cursor(value))
        links["next"] = link("page[after]", value)
    return {key: page, "meta": meta, "links": links}


def _offset_page(request, records, key, config):
    number = _int_param(request, "page", 1)
    if number < 1:
        raise _bad("page must be at least 1")
    per_page = _size(request, "per_page", config)
    start = (number - 1) * per_page
    limit = config["offset_limit"]
    if start >= limit:
        raise _bad("Offset pagination is limited to the first %d records; use cursor pagination (page[size]) instead" % limit)
    page = records[start:start + per_page]

    def link(page_number):
        return _url(request, lambda k: k in ("page", "per_page"), [("page", str(page_number)), ("per_page", str(per_page))],
                    config)

    next_number = number + 1 if start + per_page < len(records) else None
    if config["endless_pages"]:  # hostile: there is always a next page ("repeat": this page again)
        next_number = number if config["endless_pages"] == "repeat" else number + 1
    return {
        key: page,
        "next_page": link(next_number) if next_number else None,
        "previous_page": link(number - 1) if number > 1 else None,
        "count": len(records),
    }
