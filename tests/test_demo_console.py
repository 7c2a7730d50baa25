"""In `--demo`, the console signs in at the emulator's local stand-in for the federation
endpoint, never at the real signin.aws.amazon.com."""

from __future__ import annotations

import os
import urllib.parse
import urllib.request

from tests.support.cli import cli


def test_demo_console_signs_in_at_the_local_stand_in():
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL_SIGNIN"}
    done = cli("--demo", "console", "prod-admin", "--print", env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname == "127.0.0.1" and parts.path == "/federation"
    assert "amazon" not in parts.netloc
    query = urllib.parse.parse_qs(parts.query)
    assert query["Action"] == ["login"] and query["SigninToken"][0].startswith("demo-")


def test_the_stand_in_answers_like_the_federation_endpoint():
    import json

    from werkzeug.test import Client

    from tui.demo_federation import with_federation_stand_in

    def emulator(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"the emulator"]

    client = Client(with_federation_stand_in(emulator))
    assert client.get("/").get_data() == b"the emulator"
    session = json.dumps({"sessionId": "ASIA1", "sessionKey": "s", "sessionToken": "t"})
    reply = client.post("/federation", data={"Action": "getSigninToken", "Session": session})
    token = reply.get_json()["SigninToken"]
    page = client.get("/federation", query_string={"Action": "login", "SigninToken": token,
                                                   "Destination": "https://console/x"})
    assert page.status_code == 200 and b"nothing was sent to AWS" in page.get_data()
    assert client.get("/federation", query_string={
        "Action": "login", "SigninToken": "forged"}).status_code == 403
    bad = client.post("/federation", data={"Action": "getSigninToken", "Session": "{}"})
    assert bad.status_code == 400
