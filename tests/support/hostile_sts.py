"""A tiny STS impostor for tests: answers every request with one chosen reply.

moto only sends well-formed replies, so the hostile ones (an expired or empty session, a
30 MB token, a captive-portal page, random bytes, a reply that drips a byte at a time) come
from this server instead: plain `http.server` on 127.0.0.1, a thread per request, daemon
threads throughout. It stops by itself: `stop()` (the fixture calls it), a drip that ends
after `drip_limit` bytes, and a client that hangs up ends its handler.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ACCESS_KEY_ID = "ASIAHOSTILEEXAMPLE01"
SECRET = "hostileSecretKeyExample0000000000000000X"
TOKEN = "FwoGZXIvYXdzEHostileSessionTokenExample" * 4


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_hours(hours: float) -> str:
    return iso(datetime.now(UTC) + timedelta(hours=hours))


def credentials_xml(action: str = "GetSessionToken", *, key_id: str | None = ACCESS_KEY_ID,
                    secret: str | None = SECRET, token: str | None = TOKEN,
                    expiration: str | None = None) -> bytes:
    """A reply shaped like AWS's; None leaves that element out."""
    expiration = in_hours(12) if expiration is None and action == "GetSessionToken" else (
        expiration if expiration is not None else in_hours(1))
    parts = []
    if key_id is not None:
        parts.append(f"<AccessKeyId>{key_id}</AccessKeyId>")
    if secret is not None:
        parts.append(f"<SecretAccessKey>{secret}</SecretAccessKey>")
    if token is not None:
        parts.append(f"<SessionToken>{token}</SessionToken>")
    if expiration:
        parts.append(f"<Expiration>{expiration}</Expiration>")
    extra = ""
    if action == "AssumeRole":
        extra = ("<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>"
                 "<Arn>arn:aws:sts::123456789012:assumed-role/Admin/s</Arn></AssumedRoleUser>")
    return (
        f'<{action}Response xmlns="{NS}"><{action}Result><Credentials>{"".join(parts)}'
        f"</Credentials>{extra}</{action}Result><ResponseMetadata><RequestId>"
        f"c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata></{action}Response>"
    ).encode()


CALLER_XML = (
    f'<GetCallerIdentityResponse xmlns="{NS}"><GetCallerIdentityResult>'
    "<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId>"
    "<Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata>"
    "<RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>"
).encode()

CAPTIVE_PORTAL = (
    b"<!DOCTYPE html>\n<html><head><title>Welcome to CoffeeShop WiFi</title></head>"
    b"<body><form action='/login'><input name='room'><button>Accept</button></form>"
    b"</body></html>"
)


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/xml"
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds between single bytes of the body (0 = send it at once).
    drip: float = 0.0
    #: A dripping reply gives up after this many bytes, so the server always ends.
    drip_limit: int = 200


class HostileSts:
    """Answers each action with `replies[action]` (404 for others), recording the actions."""

    def __init__(self, replies: dict[str, Reply] | None = None) -> None:
        self.replies = dict(replies or {})
        self.actions: list[str] = []
        self.bodies: list[str] = []
        #: Actions whose reply the client hung up on before it was all sent.
        self.hung_up: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                import urllib.parse

                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                action = urllib.parse.parse_qs(body).get("Action", [""])[0]
                owner.actions.append(action)
                owner.bodies.append(body)
                reply = owner.replies.get(action, Reply(b"", status=404))
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    if not reply.drip:
                        self.wfile.write(reply.body)
                        return
                    for index in range(min(len(reply.body), reply.drip_limit)):
                        self.wfile.write(reply.body[index:index + 1])
                        self.wfile.flush()
                        time.sleep(reply.drip)
                    self.close_connection = True
                except OSError:
                    owner.hung_up.append(action)
                    self.close_connection = True  # the client hung up: that's the point

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)

    def start(self) -> HostileSts:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
