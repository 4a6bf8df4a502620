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

import ipaddress
import os
import re
import ssl
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
    "allow_unencrypted_http": {"type": "bool"},
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
    "allow_unencrypted_http": "ZENDESK_ALLOW_UNENCRYPTED_HTTP",
}

DEFAULTS = {"validate_certs": True, "timeout": 30.0, "max_retries": 5, "max_retry_wait": 300.0,
            "allow_unencrypted_http": False}
BOOLEAN_OPTIONS = ("validate_certs", "allow_unencrypted_http")

# Options that pick one of two ways: an explicit choice in the task replaces the whole group from
# the environment (AWX injects ZENDESK_* while a play may still name its own account).
LOCATION_OPTIONS = ("subdomain", "url")
AUTH_OPTIONS = ("email", "api_token", "oauth_token")
TLS_OPTIONS = ("validate_certs", "ca_path")
GROUPED_OPTIONS = LOCATION_OPTIONS + AUTH_OPTIONS + TLS_OPTIONS + ("allow_unencrypted_http",)

SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
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
    if name in BOOLEAN_OPTIONS:
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
    # ZENDESK_ALLOW_UNENCRYPTED_HTTP vouches for the address that came with it (ZENDESK_URL), never for a
    # url given in the task: that one needs allow_unencrypted_http in the task too.
    if options["allow_unencrypted_http"] is None and "url" in from_env:
        value = _from_environment("allow_unencrypted_http", environ)
        if value is not None:
            options["allow_unencrypted_http"] = value
            from_env.append("allow_unencrypted_http")
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
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConnectionOptionError(
                "url %r must be an absolute http(s) URL such as https://acme.zendesk.com" % url)
        if parts.query or parts.fragment:
            raise ConnectionOptionError("url %r must not carry a query string or fragment" % url)
        if parts.username or parts.password:
            raise ConnectionOptionError("url must not carry credentials: use email/api_token or oauth_token")
        try:
            port = parts.port
        except ValueError:
            port = 0
        if port == 0 or parts.netloc.endswith(":"):
            raise ConnectionOptionError("url %r has no valid port (%s): give a port from 1 to 65535, or none for the "
                                        "scheme's default" % (url, parts.netloc.rpartition(":")[2] or "empty"))
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


def check_ca_path(path, from_env=False):
    """A CA bundle requests can load: an existing, readable PEM file of certificates (or a directory of them)."""
    name = "ca_path (from %s)" % ENVIRONMENT["ca_path"] if from_env else "ca_path"
    fix = "give the path of a PEM file of the CA certificates that sign the server's certificate"
    if not os.path.exists(path):
        raise ConnectionOptionError("%s %r does not exist: %s" % (name, path, fix))
    if os.path.isdir(path):
        if not os.access(path, os.R_OK | os.X_OK):
            raise ConnectionOptionError("%s %r is a directory this user cannot read: %s" % (name, path, fix))
        return
    try:
        with open(path, "rb"):
            pass
        ssl.create_default_context(cafile=path)
    except ssl.SSLError as exc:
        raise ConnectionOptionError("%s %r holds no PEM certificate (%s): %s" % (name, path, exc.reason or exc, fix))
    except (OSError, ValueError) as exc:
        raise ConnectionOptionError("%s %r cannot be read (%s): %s" % (name, path, exc.strerror or exc, fix))


def is_loopback(host):
    """Whether host names this machine: localhost, 127.0.0.0/8 or ::1."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    if options["ca_path"]:
        if "ca_path" in from_env:
            options["ca_path"] = os.path.expanduser(options["ca_path"])
        check_ca_path(options["ca_path"], from_env="ca_path" in from_env)
    warnings = []
    parts = urlsplit(base_url)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        if not options["allow_unencrypted_http"]:
            raise ConnectionOptionError(
                "url %s uses plain http to %s, which is not this machine: the credentials, client secrets and tokens "
                "would cross the network unencrypted. Use https, or set allow_unencrypted_http: true (or "
                "ZENDESK_ALLOW_UNENCRYPTED_HTTP with ZENDESK_URL) if you accept that risk"
                % (base_url, parts.hostname))
        warnings.append("url uses plain http to %s (allow_unencrypted_http): credentials and tokens cross the network "
                        "unencrypted" % parts.hostname)
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
