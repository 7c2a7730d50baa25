"""Engine part of console sign-in, against a loopback fake of the federation endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from botocore.configloader import raw_config_parse

from tests.support.app import (
    START,
    add_config,
    add_session,
    make_service,
    settle,
)
from tui.engine.console.signin import (
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


def _cli(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *argv], capture_output=True, text=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture
def prod(aws, make_user, sandbox_home) -> dict[str, str]:
    make_user("alice", profile="work")
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    sandbox_home.config.write_text(f"[profile prod]\nrole_arn = {arn}\nsource_profile = work\n")
    env = dict(os.environ)
    assert _cli("refresh", "work", "--token-code", "123456", env=env).returncode == 0
    done = _cli("assume", "prod", env=env)
    assert done.returncode == 0, done.stderr
    return raw_config_parse(str(sandbox_home.credentials))["prod-session"]


def test_console_print_sends_the_role_session_and_prints_the_url(prod, fake) -> None:
    env = {**os.environ, "AWS_ENDPOINT_URL_SIGNIN": fake}
    done = _cli("console", "prod", "--print", env=env)
    assert done.returncode == 0, done.stderr
    (form,) = _Fake.received
    assert json.loads(form["Session"][0]) == {
        "sessionId": prod["aws_access_key_id"], "sessionKey": prod["aws_secret_access_key"],
        "sessionToken": prod["aws_session_token"],
    }
    assert "SigninToken=TOKEN123" in done.stdout


def test_console_for_an_mfa_session_names_its_roles(prod, fake) -> None:
    done = _cli("console", "work", env={**os.environ, "AWS_ENDPOINT_URL_SIGNIN": fake})
    assert done.returncode == 2
    assert "prod" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert _Fake.received == []


async def test_o_in_the_tui_opens_the_console_for_the_highlighted_role(
        sandbox_home, clock, fake, monkeypatch) -> None:
    import webbrowser
    from datetime import timedelta

    from tui.app.app import AwsMfaApp

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", fake)
    sandbox_home.aws_dir.mkdir(mode=0o700, exist_ok=True)
    sandbox_home.credentials.write_text(
        "[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = s\n")
    add_config(sandbox_home.config, "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/w")
    add_session(sandbox_home.credentials, "work-mfa", START + timedelta(hours=8))
    add_config(sandbox_home.config, "[profile prod]\nrole_arn = arn:aws:iam::123456789012:"
               "role/Admin\nsource_profile = work-mfa")
    add_session(sandbox_home.credentials, "prod-session", START + timedelta(hours=1))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test() as pilot:
        await settle(app, pilot)
        while (row := app.main_screen.table.highlighted_row()) and row.name != "prod":
            await pilot.press("down")
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        # The browser is handed a private page that leads on: no token in its argv.
        assert len(opened) == 1 and opened[0].startswith("file://")
        assert "TOKEN123" not in opened[0]
        page = Path(urllib.request.url2pathname(urllib.parse.urlsplit(opened[0]).path))
        assert "SigninToken=TOKEN123" in page.read_text()
        assert page.stat().st_mode & 0o077 == 0
        assert len(_Fake.received) == 1


def test_a_role_session_never_shows_its_secrets_in_a_repr():
    # Textual's crash screen renders locals: the secret parts must not be in the repr.
    text = repr(SESSION)
    assert "ASIAEXAMPLE" in text
    assert "secretkey/xyz" not in text and "tokenvalue" not in text


# ------------------------------------------------- what the endpoint's failures exit with
class _Portal(BaseHTTPRequestHandler):
    status = 200

    def do_POST(self) -> None:
        body = b"<html><body>Sign in to the hotel wifi</body></html>"
        self.send_response(type(self).status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def portal() -> Iterator[type[_Portal]]:
    server = HTTPServer(("127.0.0.1", 0), _Portal)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Portal.status = 200
    _Portal.url = f"http://127.0.0.1:{server.server_port}"  # type: ignore[attr-defined]
    yield _Portal
    server.shutdown()
    server.server_close()


def test_an_unreachable_endpoint_exits_6(prod) -> None:
    done = _cli("console", "prod", "--print",
                env={**os.environ, "AWS_ENDPOINT_URL_SIGNIN": "http://127.0.0.1:9"})
    assert done.returncode == 6, done.stderr
    assert "can't reach the federation endpoint" in done.stderr
    assert done.stderr.count("\n") == 1 and done.stdout == ""


@pytest.mark.parametrize(("status", "code", "says"), [
    (200, 6, "answered with no sign-in token"),  # a captive portal's page
    (503, 6, "failed (HTTP 503)"),
    (400, 5, "refused the session (HTTP 400)"),
])
def test_what_each_answer_exits_with(prod, portal, status, code, says) -> None:
    portal.status = status
    done = _cli("console", "prod", "--print",
                env={**os.environ, "AWS_ENDPOINT_URL_SIGNIN": portal.url})
    assert done.returncode == code, done.stderr
    assert says in done.stderr and done.stderr.count("\n") == 1
    assert prod["aws_secret_access_key"] not in done.stderr


@pytest.fixture(autouse=True)
def no_runtime_folder(monkeypatch):
    """Sign-in pages go under the sandbox's cache folder, never a real $XDG_RUNTIME_DIR."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)


class _Drip(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.dumps({"SigninToken": "TOKEN123"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for index in range(len(body)):
                self.wfile.write(body[index:index + 1])
                self.wfile.flush()
                time.sleep(0.3)
        except OSError:
            pass  # we hung up: that's the point

    def log_message(self, *args: object) -> None:
        pass


def test_a_dripping_endpoint_is_cut_off_by_the_call_deadline(prod) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Drip)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = _cli("console", "prod", "--print",
                    env={**os.environ, "AWS_MFA_TUI_CALL_TIMEOUT": "1.5",
                         "AWS_ENDPOINT_URL_SIGNIN": f"http://127.0.0.1:{server.server_port}"})
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 6, done.stderr
    assert "did not answer within 1.5 s" in done.stderr and done.stdout == ""
