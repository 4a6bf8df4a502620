# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared connection options: their argument spec, ZENDESK_* environment fallbacks and checks.

INTERNAL: this file is not a public API of the collection and may change at any time.

Pure Python (no Ansible imports). Everything here runs before the first request, so bad input
fails with a message naming the option and the fix, and nothing is sent.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# The spec shared by every module; documented once in plugins/doc_fragments/zendesk.py.
CONNECTION_ARGUMENT_SPEC = {
    "subdomain": {"type": "str"},
    "url": {"type": "str"},
    "email": {"type": "str"},
    "api_token": {"type": "str", "no_log": True},
    "oauth_token": {"type": "str", "no_log": True},
    "validate_certs": {"type": "bool"},
    "ca_path": {"type": "path"},
    "timeout": {"type": "float"},
    "max_retries": {"type": "int"},
    "max_retry_wait": {"type": "float"},
}

ENVIRONMENT = {
    "subdomain": "ZENDESK_SUBDOMAIN",
    "url": "ZENDESK_URL",
    "email": "ZENDESK_EMAIL",
    "api_token": "ZENDESK_API_TOKEN",
    "oauth_token": "ZENDESK_OAUTH_TOKEN",
    "validate_certs": "ZENDESK_VALIDATE_CERTS",
    "ca_path": "ZENDESK_CA_PATH",
    "timeout": "ZENDESK_TIMEOUT",
    "max_retries": "ZENDESK_MAX_RETRIES",
    "max_retry_wait": "ZENDESK_MAX_RETRY_WAIT",
}

DEFAULTS = {"validate_certs": True, "timeout": 30.0, "max_retries": 5, "max_retry_wait": 300.0}

# Options that pick one of two ways: an explicit choice in the task replaces the whole group from
# the environment (AWX injects ZENDESK_* while a play may still name its own account).
LOCATION_OPTIONS = ("subdomain", "url")
AUTH_OPTIONS = ("email", "api_token", "oauth_token")
TLS_OPTIONS = ("validate_certs", "ca_path")
GROUPED_OPTIONS = LOCATION_OPTIONS + AUTH_OPTIONS + TLS_OPTIONS

SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_TIMEOUT = 600
MAX_RETRIES = 20
MAX_RETRY_WAIT = 3600
TRUE_STRINGS = ("1", "true", "yes", "on", "y", "t")
FALSE_STRINGS = ("0", "false", "no", "off", "n", "f")


# What to give when credentials are needed and none are set.
CREDENTIALS_FIX = ("give email with api_token, or oauth_token (or the ZENDESK_EMAIL + ZENDESK_API_TOKEN / "
                   "ZENDESK_OAUTH_TOKEN environment variables)")

# auth_required="optional": credentials are checked and used when any is given, and not needed otherwise.
AUTH_OPTIONAL = "optional"


class ConnectionOptionError(ValueError):
    """A connection option is wrong; the message names it and says what is allowed."""


def _from_environment(name, environ):
    value = environ.get(ENVIRONMENT[name])
    if value is None or value == "":
        return None
    if name == "validate_certs":
        lowered = value.strip().lower()
        if lowered in TRUE_STRINGS:
            return True
        if lowered in FALSE_STRINGS:
            return False
        raise ConnectionOptionError("%s=%r is not a boolean (use true or false)" % (ENVIRONMENT[name], value))
    if name in ("timeout", "max_retry_wait", "max_retries"):
        try:
            return int(value) if name == "max_retries" else float(value)
        except ValueError:
            raise ConnectionOptionError("%s=%r is not a number" % (ENVIRONMENT[name], value))
    return value


def merge_environment(params, environ):
    """The effective connection options: task values first, then ZENDESK_* variables, then defaults.

    Returns (options, names of the values taken from the environment).
    """
    options = {name: params.get(name) for name in CONNECTION_ARGUMENT_SPEC}
    from_env = []
    groups = (LOCATION_OPTIONS, AUTH_OPTIONS, TLS_OPTIONS) + tuple((n,) for n in ENVIRONMENT if n not in GROUPED_OPTIONS)
    for group in groups:
        if any(options[name] not in (None, "") for name in group):
            continue
        for name in group:
            value = _from_environment(name, environ)
            if value is not None:
                options[name] = value
                from_env.append(name)
    for name, default in DEFAULTS.items():
        if options[name] is None:
            options[name] = default
    return options, from_env


def base_url_from(subdomain, url):
    """https://{subdomain}.zendesk.com, or the given URL checked and without a trailing slash."""
    if subdomain and url:
        raise ConnectionOptionError("subdomain and url are mutually exclusive: give subdomain for "
                                    "https://<subdomain>.zendesk.com, or url for any other base URL")
    if subdomain:
        if not SUBDOMAIN_RE.match(subdomain):
            hint = ""
            if "." in subdomain or "/" in subdomain:
                hint = " Give only the first label (acme for https://acme.zendesk.com), or use url for a full URL."
            raise ConnectionOptionError(
                "subdomain %r is not a Zendesk subdomain: use 1-63 lowercase letters, digits and hyphens, "
                "not starting or ending with a hyphen.%s" % (subdomain, hint))
        return "https://%s.zendesk.com" % subdomain
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConnectionOptionError(
                "url %r must be an absolute http(s) URL such as https://acme.zendesk.com" % url)
        if parts.query or parts.fragment:
            raise ConnectionOptionError("url %r must not carry a query string or fragment" % url)
        if parts.username or parts.password:
            raise ConnectionOptionError("url must not carry credentials: use email/api_token or oauth_token")
        return "%s://%s%s" % (parts.scheme, parts.netloc, parts.path.rstrip("/"))
    raise ConnectionOptionError("one of subdomain or url is required (or the ZENDESK_SUBDOMAIN / ZENDESK_URL "
                                "environment variable)")


def check_auth(email, api_token, oauth_token):
    """Exactly one way to authenticate: email + api_token, or oauth_token."""
    if oauth_token and (email or api_token):
        raise ConnectionOptionError("give either oauth_token, or email with api_token, not both")
    if oauth_token:
        return "bearer"
    if email and api_token:
        if "@" not in email:
            raise ConnectionOptionError("email %r is not an email address: use the Zendesk admin's sign-in email" % email)
        return "basic"
    if email:
        raise ConnectionOptionError("email needs api_token (Basic auth with an API token), or use oauth_token instead")
    if api_token:
        raise ConnectionOptionError("api_token needs email (the admin's sign-in email), or use oauth_token instead")
    raise ConnectionOptionError("no credentials: " + CREDENTIALS_FIX)


def check_limits(options):
    timeout = options["timeout"]
    if not 0 < timeout <= MAX_TIMEOUT:
        raise ConnectionOptionError("timeout=%s is out of range: give seconds greater than 0 and at most %d"
                                    % (timeout, MAX_TIMEOUT))
    if not 0 <= options["max_retries"] <= MAX_RETRIES:
        raise ConnectionOptionError("max_retries=%s is out of range: give 0 to %d" % (options["max_retries"], MAX_RETRIES))
    if not 0 <= options["max_retry_wait"] <= MAX_RETRY_WAIT:
        raise ConnectionOptionError("max_retry_wait=%s is out of range: give 0 to %d seconds"
                                    % (options["max_retry_wait"], MAX_RETRY_WAIT))
    if options["ca_path"] and not options["validate_certs"]:
        raise ConnectionOptionError("ca_path is set but validate_certs is false: drop one of them")


def resolve_connection(params, environ, auth_required=True):
    """Check every connection option; return (client keyword arguments, warnings, secrets from the environment).

    With auth_required=False (an endpoint where the caller authenticates itself in the request,
    such as the OAuth grant endpoint) no credentials are needed, and any that are given, in the
    task, through module_defaults or ZENDESK_*, are left out of the client: they are never sent.
    With auth_required="optional" (a module whose requests may authenticate themselves, such as a
    held token verified as its own Bearer) credentials given anywhere are checked and used as with
    True, and none at all is no error: the client then has none, and the module asks for them
    (has_credentials) before a request that needs them.
    """
    options, from_env = merge_environment(params, environ)
    secrets = [options[name] for name in ("api_token", "oauth_token") if name in from_env]
    base_url = base_url_from(options["subdomain"], options["url"])
    if auth_required == AUTH_OPTIONAL and not any(options[name] for name in AUTH_OPTIONS):
        options.update(dict.fromkeys(AUTH_OPTIONS))
    elif auth_required:
        check_auth(options["email"], options["api_token"], options["oauth_token"])
    else:
        options.update(dict.fromkeys(AUTH_OPTIONS))
    check_limits(options)
    warnings = []
    parts = urlsplit(base_url)
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        warnings.append("url uses plain http to %s: credentials and tokens cross the network unencrypted" % parts.hostname)
    if parts.scheme == "https" and not options["validate_certs"]:
        warnings.append("validate_certs is false: the server's TLS certificate is not checked (insecure)")
    client_kwargs = {
        "base_url": base_url,
        "email": options["email"],
        "api_token": options["api_token"],
        "oauth_token": options["oauth_token"],
        "validate_certs": options["validate_certs"],
        "ca_path": options["ca_path"],
        "timeout": options["timeout"],
        "max_retries": options["max_retries"],
        "max_retry_wait": options["max_retry_wait"],
    }
    return client_kwargs, warnings, secrets


def has_credentials(client_kwargs):
    """Whether the client that resolve_connection described sends credentials (checked there: a pair is whole)."""
    return bool(client_kwargs["oauth_token"] or client_kwargs["api_token"])
