"""The demo's stand-in for the AWS federation endpoint (`/federation` on the emulator's port).

Under `--demo`, `AWS_ENDPOINT_URL_SIGNIN` points here, so `o` in the TUI and `console` never
send the demo's made-up sessions to the real signin.aws.amazon.com:

- `POST /federation` with `Action=getSigninToken` (and a `Session` JSON holding a key id,
  a secret and a token) answers `{"SigninToken": ...}` with a random token, as AWS does;
  `Action=getFederationToken`-style extras are ignored;
- `GET /federation?Action=login&SigninToken=...` answers a page saying that this is where
  the AWS console would open, for which session length and destination, and that nothing
  was sent to AWS.

Every other request goes on to the emulator.
"""

from __future__ import annotations

import html
import json
import secrets
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

PATH = "/federation"


def with_federation_stand_in(app: Callable[..., Iterable[bytes]]) -> Callable[..., Any]:
    """The WSGI `app`, with `/federation` answered by the stand-in."""
    issued: set[str] = set()

    def stand_in(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != PATH:
            return app(environ, start_response)
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = urllib.parse.parse_qs(environ["wsgi.input"].read(min(length, 65536))
                                         .decode("utf-8", "replace"))
        else:
            form = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        action = form.get("Action", [""])[0]
        if action == "getSigninToken":
            return _sign_in_token(form, issued, start_response)
        if action == "login":
            return _login_page(form, issued, start_response)
        return _answer(start_response, "400 Bad Request", "text/plain", b"unknown Action")

    return stand_in


def _sign_in_token(form: dict[str, list[str]], issued: set[str],
                   start_response: Callable[..., Any]) -> list[bytes]:
    try:
        session = json.loads(form.get("Session", [""])[0])
    except ValueError:
        session = None
    if not (isinstance(session, dict)
            and all(session.get(k) for k in ("sessionId", "sessionKey", "sessionToken"))):
        return _answer(start_response, "400 Bad Request", "text/plain", b"bad Session")
    token = "demo-" + secrets.token_urlsafe(48)
    issued.add(token)
    body = json.dumps({"SigninToken": token}).encode()
    return _answer(start_response, "200 OK", "application/json", body)


def _login_page(form: dict[str, list[str]], issued: set[str],
                start_response: Callable[..., Any]) -> list[bytes]:
    token = form.get("SigninToken", [""])[0]
    if token not in issued:
        return _answer(start_response, "403 Forbidden", "text/plain", b"unknown SigninToken")
    destination = html.escape(form.get("Destination", [""])[0])
    page = (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
        "<title>aws-mfa-tui demo: AWS console</title></head><body>"
        "<h1>aws-mfa-tui demo</h1><p>This is where the AWS console would open "
        f"(at {destination or 'its home page'}). The demo's sessions are made up, so they "
        "were sent to this local stand-in for the federation endpoint, and nothing was "
        "sent to AWS.</p></body></html>"
    ).encode()
    return _answer(start_response, "200 OK", "text/html; charset=utf-8", page)


def _answer(start_response: Callable[..., Any], status: str, content_type: str,
            body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", content_type),
                            ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store")])
    return [body]
