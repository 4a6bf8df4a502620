# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reduce Zendesk's OpenAPI document to what tests/system/test_simulator_openapi.py checks.

    python tests/simulator/reference/reduce_oas.py Ticketing.yaml "SOURCE NOTE" \
        > tests/simulator/reference/zendesk-oas-oauth.yaml

Keeps the OAuth operations (clients, tokens, global clients, the grant endpoint): for each, its
``operationId`` and, per response status, the JSON schema of the body; every schema those
reference, transitively; and the two pagination schemas. Descriptions, samples, parameters and
everything else are left out: the file records the shapes of Zendesk's answers, nothing more.
SOURCE NOTE (which copy of the document, and its date) goes into the header. Run it again when
Zendesk publishes a new document.
"""

from __future__ import annotations

import sys
import textwrap

import yaml

OAUTH_PATHS = ("/api/v2/oauth/", "/api/v2/users/me/oauth/", "/oauth/tokens")
SCHEMA_KEYS = ("type", "properties", "items", "required", "additionalProperties", "allOf", "oneOf", "anyOf",
               "enum", "nullable", "format", "$ref")
METHODS = ("get", "put", "post", "delete", "patch")
# The list answers of these operations page (cursor or offset), but their schemas do not say so: the
# document describes pagination in these general schemas only, which the test applies to list answers.
PAGINATION_SCHEMAS = ("CursorPaginationMeta", "OffsetPaginationObject")

HEADER = """\
# Response shapes of the OAuth operations of Zendesk's OpenAPI document (OpenAPI 3.0.3), for
# tests/system/test_simulator_openapi.py: per operation, the JSON schema of each answer's body, and
# the schemas they reference. Reduced with reduce_oas.py (next to this file), which drops every
# description, sample and parameter: the shapes are Zendesk's, as published.
# Source: the "Download OpenAPI file" link on https://developer.zendesk.com/api-reference/ticketing/introduction/
%s
# What the document lacks or gets wrong for these operations: zendesk-oauth-api.md, section 8.
"""


def keep_schema(node):
    """The schema with only the keys that shape a body (recursively)."""
    if isinstance(node, list):
        return [keep_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept = {}
    for key, value in node.items():
        if key not in SCHEMA_KEYS:
            continue
        if key == "properties":
            kept[key] = {name: keep_schema(schema) for name, schema in value.items()}
        else:
            kept[key] = keep_schema(value)
    return kept


def refs(node):
    """Every ``#/components/schemas/<name>`` referenced under ``node``."""
    if isinstance(node, list):
        for item in node:
            yield from refs(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and value.startswith("#/components/schemas/"):
                yield value.rsplit("/", 1)[1]
            else:
                yield from refs(value)


def reduce_document(document):
    paths = {}
    for path, item in document["paths"].items():
        if not path.startswith(OAUTH_PATHS):
            continue
        operations = {}
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = {}
            for status, response in operation.get("responses", {}).items():
                response = resolve_response(response, document)
                content = (response.get("content") or {}).get("application/json")
                responses[str(status)] = {"content": {"application/json": {"schema": keep_schema(content["schema"])}}} \
                    if content and content.get("schema") else {}
            operations[method] = {"operationId": operation["operationId"], "responses": responses}
        paths[path] = operations
    schemas, todo = {}, sorted(set(refs(paths)) | set(PAGINATION_SCHEMAS))
    while todo:
        name = todo.pop()
        if name in schemas:
            continue
        schemas[name] = keep_schema(document["components"]["schemas"][name])
        todo.extend(sorted(set(refs(schemas[name])) - set(schemas)))
    return {"openapi": document["openapi"], "info": {"title": document["info"]["title"],
                                                     "version": document["info"]["version"]},
            "paths": paths, "components": {"schemas": dict(sorted(schemas.items()))}}


def resolve_response(response, document):
    if "$ref" in response:
        target = document
        for part in response["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return target
    return response


class _IndentedDumper(yaml.SafeDumper):
    """Lists indented under their key, as yamllint (ansible-lint) wants them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    with open(argv[1], encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    source = textwrap.wrap("Copy used: " + argv[2], 100, initial_indent="# ", subsequent_indent="#   ")
    sys.stdout.write(HEADER % "\n".join(source))
    yaml.dump(reduce_document(document), sys.stdout, Dumper=_IndentedDumper, sort_keys=False, width=110,
              default_flow_style=False)


if __name__ == "__main__":
    main(sys.argv)
