"""Engine part of console sign-in, against a loopback fake of the federation endpoint."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tui.engine.console_signin import (
    RoleSession,
    SigninError,
    console_url,
    federation_endpoint,
    partition_of,
)


class _Fake(BaseHTTPRequestHandler):
    received: list[dict[str, list[str]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        type(self).received.append(form)
        self.send_response(type(self).status)
        self.end_headers()
        if type(self).status == 200:
            self.wfile.write(json.dumps({"SigninToken": "TOKEN123"}).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake() -> Iterator[str]:
    _Fake.received = []
    _Fake.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


SESSION = RoleSession("ASIAEXAMPLE", "secretkey/xyz", "tokenvalue")


def test_getsignintoken_gets_the_session_json_and_url_is_built(fake: str) -> None:
    url = console_url(SESSION, "aws", {"AWS_ENDPOINT_URL_SIGNIN": fake})
    (form,) = _Fake.received
    assert form["Action"] == ["getSigninToken"]
    assert json.loads(form["Session"][0]) == {
        "sessionId": "ASIAEXAMPLE", "sessionKey": "secretkey/xyz", "sessionToken": "tokenvalue",
    }
    parsed = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parsed.query)
    assert url.startswith(fake + "/federation?")
    assert query["Action"] == ["login"]
    assert query["Destination"] == ["https://console.aws.amazon.com/"]
    assert query["SigninToken"] == ["TOKEN123"]
    assert query["Issuer"]


def test_refusal_is_one_line_without_secrets(fake: str) -> None:
    _Fake.status = 400
    with pytest.raises(SigninError) as info:
        console_url(SESSION, "aws", {"AWS_ENDPOINT_URL_SIGNIN": fake})
    message = str(info.value)
    assert "\n" not in message and "secretkey" not in message and "tokenvalue" not in message


@pytest.mark.parametrize(("arn", "host"), [
    ("arn:aws:iam::1:role/r", "https://signin.aws.amazon.com/federation"),
    ("arn:aws-cn:iam::1:role/r", "https://signin.amazonaws.cn/federation"),
    ("arn:aws-us-gov:iam::1:role/r", "https://signin.amazonaws-us-gov.com/federation"),
])
def test_partition_picks_the_host(arn: str, host: str) -> None:
    assert federation_endpoint(partition_of(arn), {}) == host
