# -*- coding: utf-8 -*-
# Copyright: Contributors to the zendesk.oauth collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared connection options: environment fallbacks and checks that run before any request."""

from __future__ import annotations

import base64
import os

import pytest

from ansible_collections.zendesk.oauth.plugins.module_utils._connection import (
    CONNECTION_ARGUMENT_SPEC,
    ConnectionOptionError,
    has_credentials,
    resolve_connection,
)
from ansible_collections.zendesk.oauth.plugins.module_utils._api import ZendeskClient


def params(**given):
    values = dict.fromkeys(CONNECTION_ARGUMENT_SPEC)
    values.update(given)
    return values


BASIC = {"email": "admin@example.com", "api_token": "t0ken"}


def test_subdomain_builds_zendesk_url_and_defaults_apply():
    kwargs, warnings, secrets = resolve_connection(params(subdomain="acme", **BASIC), {})
    assert kwargs["base_url"] == "https://acme.zendesk.com"
    assert (kwargs["validate_certs"], kwargs["timeout"], kwargs["max_retries"], kwargs["max_retry_wait"]) == (
        True, 30.0, 5, 300.0)
    assert warnings == [] and secrets == []


@pytest.mark.parametrize("subdomain, fragment", [
    ("acme.zendesk.com", "Give only the first label"),
    ("https://acme", "Give only the first label"),
    ("-acme", "not starting or ending with a hyphen"),
    ("Acme", "lowercase"),
    ("a" * 64, "1-63"),
])
def test_malformed_subdomain_is_refused_with_the_fix(subdomain, fragment):
    with pytest.raises(ConnectionOptionError, match="subdomain") as caught:
        resolve_connection(params(subdomain=subdomain, **BASIC), {})
    assert fragment in str(caught.value)


@pytest.mark.parametrize("url", ["acme.zendesk.com", "ftp://acme.zendesk.com", "https://", "https://h/?a=1",
                                 "https://user:pw@acme.zendesk.com"])
def test_malformed_url_is_refused(url):
    with pytest.raises(ConnectionOptionError, match="url"):
        resolve_connection(params(url=url, **BASIC), {})


def test_url_keeps_path_without_trailing_slash():
    kwargs, warnings, dummy = resolve_connection(params(url="https://proxy.example:8443/zd/", **BASIC), {})
    assert kwargs["base_url"] == "https://proxy.example:8443/zd" and warnings == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://127.8.9.10", "http://localhost:9",
                                 "http://[::1]:8080/zd", "http://api.localhost"])
def test_plain_http_to_this_machine_is_allowed_silently(url):
    kwargs, warnings, dummy = resolve_connection(params(url=url, **BASIC), {})
    assert kwargs["base_url"] == url and warnings == []


@pytest.mark.parametrize("url", ["http://proxy.example:8080/zd", "http://10.0.0.5", "http://[2001:db8::1]:80",
                                 "http://localhost.example.com"])
def test_plain_http_elsewhere_is_refused_unless_allowed_by_name(url):
    with pytest.raises(ConnectionOptionError) as caught:
        resolve_connection(params(url=url, **BASIC), {})
    assert "plain http" in str(caught.value) and "allow_unencrypted_http: true" in str(caught.value)
    kwargs, warnings, dummy = resolve_connection(params(url=url, allow_unencrypted_http=True, **BASIC), {})
    assert kwargs["base_url"] == url and any("unencrypted" in w for w in warnings)


def test_the_environment_allows_plain_http_only_for_the_url_it_gives():
    env = {"ZENDESK_URL": "http://zendesk-test.internal", "ZENDESK_ALLOW_UNENCRYPTED_HTTP": "true"}
    kwargs, warnings, dummy = resolve_connection(params(**BASIC), env)
    assert kwargs["base_url"] == "http://zendesk-test.internal" and any("unencrypted" in w for w in warnings)
    # A url in the task is not vouched for by the environment's permission.
    with pytest.raises(ConnectionOptionError, match="plain http"):
        resolve_connection(params(url="http://other.internal", **BASIC), env)
    # The task may still say no to the environment's URL.
    with pytest.raises(ConnectionOptionError, match="plain http"):
        resolve_connection(params(allow_unencrypted_http=False, **BASIC), env)
    with pytest.raises(ConnectionOptionError, match="ZENDESK_ALLOW_UNENCRYPTED_HTTP"):
        resolve_connection(params(**BASIC), dict(env, ZENDESK_ALLOW_UNENCRYPTED_HTTP="perhaps"))


@pytest.mark.parametrize("url, port", [("https://acme.example:99999", "99999"), ("https://acme.example:0", "0"),
                                       ("https://acme.example:http", "http"), ("https://acme.example:", "empty"),
                                       ("https://acme.example:65536/zd", "65536")])
def test_a_port_outside_1_to_65535_is_refused(url, port):
    with pytest.raises(ConnectionOptionError) as caught:
        resolve_connection(params(url=url, **BASIC), {})
    assert "url" in str(caught.value) and "(%s)" % port in str(caught.value) and "1 to 65535" in str(caught.value)


def test_ports_1_and_65535_are_fine():
    for url in ("https://acme.example:1", "https://acme.example:65535"):
        assert resolve_connection(params(url=url, **BASIC), {})[0]["base_url"] == url


def test_ca_path_must_name_a_readable_pem_bundle(tmp_path):
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(ConnectionOptionError) as caught:
        resolve_connection(params(subdomain="acme", ca_path=missing, **BASIC), {})
    assert str(caught.value).startswith("ca_path %r does not exist" % missing)
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate\n")
    with pytest.raises(ConnectionOptionError, match="holds no PEM certificate"):
        resolve_connection(params(subdomain="acme", ca_path=str(not_pem), **BASIC), {})
    with pytest.raises(ConnectionOptionError, match=r"ca_path \(from ZENDESK_CA_PATH\) .* does not exist"):
        resolve_connection(params(subdomain="acme", **BASIC), {"ZENDESK_CA_PATH": missing})


def test_a_ca_bundle_that_loads_is_accepted(tmp_path):
    import ssl
    bundle = ssl.get_default_verify_paths().cafile or ssl.get_default_verify_paths().openssl_cafile
    if not bundle or not os.path.isfile(bundle):
        pytest.skip("this machine has no system CA bundle file")
    kwargs = resolve_connection(params(subdomain="acme", ca_path=bundle, **BASIC), {})[0]
    assert kwargs["ca_path"] == bundle
    assert resolve_connection(params(subdomain="acme", ca_path=str(tmp_path), **BASIC), {})[0]["ca_path"] == str(
        tmp_path)


def test_subdomain_and_url_together_are_refused():
    with pytest.raises(ConnectionOptionError, match="mutually exclusive"):
        resolve_connection(params(subdomain="acme", url="https://acme.zendesk.com", **BASIC), {})


@pytest.mark.parametrize("given, fragment", [
    ({}, "no credentials"),
    ({"email": "admin@example.com"}, "email needs api_token"),
    ({"api_token": "x"}, "api_token needs email"),
    ({"email": "admin", "api_token": "x"}, "not an email address"),
    ({"email": "admin@example.com", "api_token": "x", "oauth_token": "y"}, "not both"),
])
def test_exactly_one_auth_method(given, fragment):
    with pytest.raises(ConnectionOptionError, match=fragment):
        resolve_connection(params(subdomain="acme", **given), {})


@pytest.mark.parametrize("given, fragment", [
    ({"timeout": 0}, "timeout=0"), ({"timeout": -1}, "timeout"), ({"timeout": 100000}, "timeout"),
    ({"max_retries": -1}, "max_retries"), ({"max_retries": 1000}, "max_retries"),
    ({"max_retry_wait": -5}, "max_retry_wait"), ({"max_retry_wait": 10 ** 6}, "max_retry_wait"),
    ({"ca_path": "/ca.pem", "validate_certs": False}, "ca_path is set but validate_certs is false"),
])
def test_limits_are_checked(given, fragment):
    with pytest.raises(ConnectionOptionError, match=fragment):
        resolve_connection(params(subdomain="acme", **dict(BASIC, **given)), {})


def test_environment_fills_what_the_task_leaves_out_and_its_secrets_are_reported():
    env = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "env-bearer", "ZENDESK_TIMEOUT": "12",
           "ZENDESK_VALIDATE_CERTS": "no", "ZENDESK_MAX_RETRIES": "2"}
    kwargs, warnings, secrets = resolve_connection(params(), env)
    assert kwargs["base_url"] == "https://acme.zendesk.com"
    assert kwargs["oauth_token"] == "env-bearer" and secrets == ["env-bearer"]
    assert (kwargs["timeout"], kwargs["validate_certs"], kwargs["max_retries"]) == (12.0, False, 2)
    assert any("validate_certs is false" in w for w in warnings)


def test_task_values_replace_a_whole_group_from_the_environment():
    """AWX injects ZENDESK_* for one account; a task naming url and a bearer token must not be mixed with them."""
    env = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "admin@example.com", "ZENDESK_API_TOKEN": "env-token"}
    kwargs, dummy, secrets = resolve_connection(params(url="http://127.0.0.1:9", oauth_token="task-bearer"), env)
    assert kwargs["base_url"] == "http://127.0.0.1:9"
    assert kwargs["email"] is None and kwargs["api_token"] is None and secrets == []


def test_bad_environment_values_name_the_variable():
    with pytest.raises(ConnectionOptionError, match="ZENDESK_VALIDATE_CERTS"):
        resolve_connection(params(subdomain="acme", **BASIC), {"ZENDESK_VALIDATE_CERTS": "maybe"})
    with pytest.raises(ConnectionOptionError, match="ZENDESK_TIMEOUT"):
        resolve_connection(params(subdomain="acme", **BASIC), {"ZENDESK_TIMEOUT": "soon"})


def test_client_sends_basic_token_auth_or_bearer():
    basic = ZendeskClient("https://acme.zendesk.com", email="admin@example.com", api_token="abc")
    expected = base64.b64encode(b"admin@example.com/token:abc").decode("ascii")
    assert basic.session.headers["Authorization"] == "Basic " + expected
    bearer = ZendeskClient("https://acme.zendesk.com", oauth_token="xyz")
    assert bearer.session.headers["Authorization"] == "Bearer xyz"
    assert bearer.session.verify is True
    assert ZendeskClient("https://a", oauth_token="x", ca_path="/ca.pem").session.verify == "/ca.pem"
    assert ZendeskClient("https://a", oauth_token="x", validate_certs=False).session.verify is False


def test_without_auth_required_no_credentials_are_needed_and_given_ones_are_dropped():
    kwargs, dummy, secrets = resolve_connection(params(subdomain="acme"), {}, auth_required=False)
    assert kwargs["base_url"] == "https://acme.zendesk.com" and secrets == []
    assert (kwargs["email"], kwargs["api_token"], kwargs["oauth_token"]) == (None, None, None)
    # Given in the task (for example through module_defaults), even half of a pair: not checked, not kept.
    kwargs, dummy, dummy = resolve_connection(params(subdomain="acme", email="admin@example.com"), {},
                                              auth_required=False)
    assert kwargs["email"] is None
    assert ZendeskClient(**kwargs).session.headers.get("Authorization") is None


def test_without_auth_required_secrets_from_the_environment_are_still_reported_for_masking():
    env = {"ZENDESK_URL": "http://127.0.0.1:9", "ZENDESK_OAUTH_TOKEN": "env-bearer"}
    kwargs, dummy, secrets = resolve_connection(params(), env, auth_required=False)
    assert kwargs["oauth_token"] is None and secrets == ["env-bearer"]


def test_auth_is_still_required_by_default():
    with pytest.raises(ConnectionOptionError, match="no credentials"):
        resolve_connection(params(subdomain="acme"), {})


def test_optional_auth_needs_no_credentials_and_sends_none():
    kwargs, dummy, secrets = resolve_connection(params(subdomain="acme"), {}, auth_required="optional")
    assert (kwargs["email"], kwargs["api_token"], kwargs["oauth_token"]) == (None, None, None) and secrets == []
    assert not has_credentials(kwargs)
    assert ZendeskClient(**kwargs).session.headers.get("Authorization") is None
    kwargs, dummy, dummy = resolve_connection(params(subdomain="acme", email="", api_token=""), {},
                                              auth_required="optional")
    assert not has_credentials(kwargs) and kwargs["email"] is None


@pytest.mark.parametrize("given", [BASIC, {"oauth_token": "bearer"}])
def test_optional_auth_keeps_and_uses_the_credentials_given(given):
    kwargs, dummy, dummy = resolve_connection(params(subdomain="acme", **given), {}, auth_required="optional")
    assert has_credentials(kwargs)
    assert all(kwargs[name] == value for name, value in given.items())
    assert ZendeskClient(**kwargs).session.headers["Authorization"].split()[0] in ("Basic", "Bearer")


@pytest.mark.parametrize("given, fragment", [
    ({"email": "admin@example.com"}, "email needs api_token"),
    ({"api_token": "x"}, "api_token needs email"),
    ({"email": "admin", "api_token": "x"}, "not an email address"),
    ({"email": "admin@example.com", "api_token": "x", "oauth_token": "y"}, "not both"),
])
def test_optional_auth_still_checks_the_credentials_given(given, fragment):
    with pytest.raises(ConnectionOptionError, match=fragment):
        resolve_connection(params(subdomain="acme", **given), {}, auth_required="optional")


def test_optional_auth_takes_credentials_from_the_environment_and_reports_them_for_masking():
    env = {"ZENDESK_URL": "http://127.0.0.1:9", "ZENDESK_EMAIL": "admin@example.com", "ZENDESK_API_TOKEN": "env-token"}
    kwargs, dummy, secrets = resolve_connection(params(), env, auth_required="optional")
    assert has_credentials(kwargs) and kwargs["api_token"] == "env-token" and secrets == ["env-token"]
    with pytest.raises(ConnectionOptionError, match="ZENDESK_EMAIL|email needs api_token"):
        resolve_connection(params(), {"ZENDESK_URL": "http://127.0.0.1:9", "ZENDESK_EMAIL": "admin@example.com"},
                           auth_required="optional")
