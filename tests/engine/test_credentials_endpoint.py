"""The credentials endpoint on its own (`agent/credentials_endpoint.py`), over real HTTP on
127.0.0.1: botocore's own container provider reads it; every refusal (no token, a wrong
one, a foreign Host, another path or method) is its status and one line, the token checked
whole and before the path; the reply's shape and headers read with urllib; the endpoint's
code source handed to the supply; an error of the supply reaches the SDK as one line and
never as a traceback; no secret is in a refusal; a stopped endpoint is gone.

The supply here is a small one of the test's own: the endpoint's job is HTTP, and the real
supply (`RememberedSessions`, the agent's) is served by `exec --server` in
tests/commands/test_exec_server.py, with boto3 and the AWS CLI across a renewal."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from botocore.credentials import ContainerProvider

from tui.engine.agent.credentials_endpoint import CredentialsEndpoint
from tui.engine.agent.session_supply import Requester
from tui.engine.credential_values import SessionCredentials
from tui.engine.errors import AwsMfaError, MfaCodeError
from tui.engine.mfa.codes import FixedCode
from tui.engine.secret import Secret

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN" * 10


class OneSession:
    """A supply with one session, or one error, that counts who asked."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.asked: list[tuple[str, Requester]] = []
        self.code_sources: list[object] = []
        self.expiration = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)

    def session_for(self, profile, requester, code_source=None) -> SessionCredentials:
        self.asked.append((profile, requester))
        self.code_sources.append(code_source)
        if self.error is not None:
            raise self.error
        return SessionCredentials("ASIAENDPOINT00000001", Secret(SECRET), Secret(TOKEN),
                                  self.expiration)


@pytest.fixture
def served():
    started: list[CredentialsEndpoint] = []

    def serve(supply: OneSession) -> CredentialsEndpoint:
        started.append(CredentialsEndpoint(supply, "work",
                                           requester=lambda: Requester("terraform", 4121)))
        return started[-1].start()

    yield serve
    for endpoint in started:
        endpoint.stop()


def _get(endpoint: CredentialsEndpoint, path: str = "/credentials",
         headers: dict[str, str] | None = None, method: str = "GET"):
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
    try:
        given = {"Authorization": endpoint.token} if headers is None else headers
        connection.request(method, path, headers=given)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_botocore_s_container_provider_reads_it(served, monkeypatch):
    supply = OneSession()
    endpoint = served(supply)
    for name, value in endpoint.environment().items():
        monkeypatch.setenv(name, value)
    credentials = ContainerProvider().load().get_frozen_credentials()
    assert (credentials.access_key, credentials.secret_key, credentials.token) == (
        "ASIAENDPOINT00000001", SECRET, TOKEN)
    assert supply.asked == [("work", Requester("terraform", 4121))]


def test_the_variables_carry_a_loopback_url_and_a_long_random_token(served):
    first, second = served(OneSession()), served(OneSession())
    assert first.environment()["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == (
        f"http://127.0.0.1:{first.port}/credentials")
    assert len(first.token) >= 43 and first.token != second.token  # 256 bits, base64


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({}, 401, "Unauthorized"),
    ({"Authorization": "wrong"}, 403, "Forbidden"),
    ({"Host": "evil.example:80"}, 403, "ForbiddenHost"),
], ids=["no-token", "wrong-token", "foreign-host"])
def test_refusals_name_their_reason_and_carry_no_secret(served, headers, status, code):
    supply = OneSession()
    endpoint = served(supply)
    if headers.get("Host"):
        headers = {**headers, "Authorization": endpoint.token}
    got, body = _get(endpoint, headers=headers)
    assert (got, body["code"]) == (status, code)
    assert SECRET not in json.dumps(body) and endpoint.token not in json.dumps(body)
    assert supply.asked == []


def test_other_paths_and_methods_are_refused(served):
    endpoint = served(OneSession())
    assert _get(endpoint, "/other")[0] == 404
    assert _get(endpoint, method="POST")[0] == 405


@pytest.mark.parametrize(("host", "allowed"), [
    ("127.0.0.1", True), ("localhost", True), ("[::1]", True), ("LOCALHOST", True),
    ("127.0.0.1:{port}", True), ("[::1]:{port}", True),
    ("127.0.0.1:1", False), ("[::1]x", False), ("example.com", False), ("", False),
    ("127.0.0.1.evil.example", False),
])
def test_only_loopback_names_with_this_port_or_none_are_hosts(served, host, allowed):
    endpoint = served(OneSession())
    assert endpoint.allows_host(host.format(port=endpoint.port)) is allowed


def test_an_error_of_the_supply_is_one_line_to_the_sdk(served):
    endpoint = served(OneSession(MfaCodeError("alice needs a new MFA code")))
    status, body = _get(endpoint)
    assert (status, body["code"]) == (503, "MfaCodeError")
    assert body["message"] == "aws-mfa-tui: alice needs a new MFA code"
    endpoint = served(OneSession(AwsMfaError("the network is down")))
    assert _get(endpoint)[1]["message"] == "aws-mfa-tui: the network is down"


def test_a_bug_of_ours_is_a_line_not_a_traceback(served):
    endpoint = served(OneSession(KeyError("aws_session_token")))
    status, body = _get(endpoint)
    assert status == 500
    assert body == {"code": "InternalError",
                    "message": "aws-mfa-tui: unexpected error (KeyError)"}


def test_one_connection_serves_many_requests(served):
    supply = OneSession()
    endpoint = served(supply)
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
    try:
        for _ in range(3):  # keep-alive, as the SDKs keep their connection
            connection.request("GET", "/credentials",
                               headers={"Authorization": endpoint.token})
            response = connection.getresponse()
            assert response.status == 200 and json.loads(response.read())["Token"] == TOKEN
    finally:
        connection.close()
    assert len(supply.asked) == 3


def test_the_reply_is_the_container_shape_and_is_not_kept_by_a_cache(served):
    supply = OneSession()
    endpoint = served(supply)
    request = urllib.request.Request(endpoint.url, headers={"Authorization": endpoint.token})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
        headers = response.headers
    assert body == {"AccessKeyId": "ASIAENDPOINT00000001", "SecretAccessKey": SECRET,
                    "Token": TOKEN,
                    "Expiration": supply.expiration.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Server"].strip() == "aws-mfa-tui"  # no Python version for a prober


def test_the_token_is_checked_before_the_path_and_must_be_the_whole_value(served):
    endpoint = served(OneSession())
    assert _get(endpoint, "/other", headers={})[0] == 401  # nothing told without a token
    for given in (f"Bearer {endpoint.token}", f" {endpoint.token}x", endpoint.token[:-1]):
        status, body = _get(endpoint, headers={"Authorization": given})
        assert (status, body["code"]) == (403, "Forbidden")


def test_each_request_asks_the_supply_with_the_endpoint_s_code_source(served):
    supply = OneSession()
    code = FixedCode(Secret("123456"))
    endpoint = CredentialsEndpoint(supply, "work", code_source=lambda: code).start()
    try:
        assert _get(endpoint)[0] == 200
    finally:
        endpoint.stop()
    assert supply.asked == [("work", Requester("exec --server"))]
    assert supply.code_sources == [code]


def test_a_stopped_endpoint_is_no_longer_there(served):
    endpoint = served(OneSession())
    request = urllib.request.Request(endpoint.url, headers={"Authorization": endpoint.token})
    endpoint.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(request, timeout=5)
