# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS: the simulator behind HTTPS with a certificate from a test CA (trustme).

- default ``validate_certs``: the untrusted certificate is refused, and the message names TLS and
  ``ca_path`` (the way out); the simulator never sees a request;
- ``ca_path`` pointing at the test CA (or ``ZENDESK_CA_PATH``): it works;
- a CA that did not sign the certificate: refused just the same;
- ``validate_certs: false``: it works, with a warning that it is insecure;
- both still hold when the environment exports REQUESTS_CA_BUNDLE (as this machine does).

Each case has an HTTPS simulator of its own, so its request log speaks for that case alone; the
cases run as the tasks of one playbook, each with the environment it needs (``environment:``).
"""

from __future__ import annotations

import ssl

import certifi
import pytest

from playbook_runner import admin_connection, play, run_playbook
from simulator import Simulator, SimulatorControl

trustme = pytest.importorskip("trustme", reason="trustme (pinned in requirements-dev.txt) is needed for a test CA")

CLIENT_INFO = "zendesk.oauth.zendesk_oauth_client_info"
# case -> (module options, environment of the task)
NO_BUNDLE = {"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": ""}  # requests reads these; empty = unset
CASES = {
    "default-validation": ({}, NO_BUNDLE),
    "ca-path": ({"ca_path": "CA"}, NO_BUNDLE),
    "ca-path-from-environment": ({}, dict(NO_BUNDLE, ZENDESK_CA_PATH="CA")),
    "other-ca": ({"ca_path": "OTHER_CA"}, NO_BUNDLE),
    "validation-off": ({"validate_certs": False}, NO_BUNDLE),
    # Many hosts (this one, most CI images, execution environments) export REQUESTS_CA_BUNDLE.
    "ca-path-with-requests-bundle": ({"ca_path": "CA"}, {"REQUESTS_CA_BUNDLE": "SYSTEM_BUNDLE"}),
    "validation-off-with-requests-bundle": ({"validate_certs": False}, {"REQUESTS_CA_BUNDLE": "SYSTEM_BUNDLE"}),
}


@pytest.fixture(scope="module")
def tls_run(tmp_path_factory):
    """One playbook, one task per case, each against its own HTTPS simulator."""
    home = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = home / "server.pem", home / "server-key.pem", home / "ca.pem"
    certificate.cert_chain_pems[0].write_to_path(str(cert_file))
    certificate.private_key_pem.write_to_path(str(key_file))
    authority.cert_pem.write_to_path(str(ca_file))
    other_ca_file = home / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca_file))
    paths = {"CA": str(ca_file), "OTHER_CA": str(other_ca_file), "SYSTEM_BUNDLE": certifi.where()}

    servers, controls, tasks = {}, {}, []
    context = ssl.create_default_context(cafile=str(ca_file))
    try:
        for case, (options, environment) in CASES.items():
            servers[case] = Simulator(port=0, tls_cert=str(cert_file), tls_key=str(key_file))
            url = servers[case].start()
            assert url.startswith("https://"), url
            controls[case] = SimulatorControl(url, ssl_context=context)
            options = dict((key, paths.get(value, value) if isinstance(value, str) else value)
                           for key, value in options.items())
            tasks.append({"name": case, CLIENT_INFO: dict(admin_connection(url), **options), "ignore_errors": True,
                          "environment": dict((key, paths.get(value, value)) for key, value in environment.items())})
        yield run_playbook([play(tasks)], str(home)), controls
    finally:
        for server in servers.values():
            server.stop()


def test_untrusted_certificate_is_refused_naming_tls_and_ca_path(tls_run):
    result, controls = tls_run
    outcome = result.result("default-validation")
    assert outcome.get("failed") is True, outcome
    assert "TLS verification failed" in outcome["msg"] and "ca_path" in outcome["msg"], outcome["msg"]
    assert "validate_certs" in outcome["msg"]
    assert controls["default-validation"].requests() == [], "a request got through an untrusted TLS session"


def test_ca_path_to_the_test_ca_succeeds(tls_run):
    result, controls = tls_run
    outcome = result.result("ca-path")
    assert not outcome.get("failed"), outcome
    assert outcome["clients"] == []
    assert [(r["method"], r["status"]) for r in controls["ca-path"].requests()] == [("GET", 200)]


def test_ca_path_from_zendesk_ca_path_succeeds(tls_run):
    result, controls = tls_run
    assert not result.result("ca-path-from-environment").get("failed")
    assert [r["status"] for r in controls["ca-path-from-environment"].requests()] == [200]


def test_a_ca_that_did_not_sign_the_certificate_is_refused(tls_run):
    result, controls = tls_run
    outcome = result.result("other-ca")
    assert outcome.get("failed") is True
    assert "TLS verification failed" in outcome["msg"], outcome["msg"]
    assert controls["other-ca"].requests() == []


def test_validation_off_works_and_warns(tls_run):
    result, controls = tls_run
    outcome = result.result("validation-off")
    assert not outcome.get("failed"), outcome
    assert any("validate_certs is false" in w and "insecure" in w for w in outcome.get("warnings", [])), outcome
    assert [r["status"] for r in controls["validation-off"].requests()] == [200]


def test_ca_path_wins_over_requests_ca_bundle(tls_run):
    result, controls = tls_run
    outcome = result.result("ca-path-with-requests-bundle")
    assert not outcome.get("failed"), outcome.get("msg")
    assert [r["status"] for r in controls["ca-path-with-requests-bundle"].requests()] == [200]


def test_validation_off_wins_over_requests_ca_bundle(tls_run):
    result, controls = tls_run
    outcome = result.result("validation-off-with-requests-bundle")
    assert not outcome.get("failed"), outcome.get("msg")
    assert [r["status"] for r in controls["validation-off-with-requests-bundle"].requests()] == [200]
