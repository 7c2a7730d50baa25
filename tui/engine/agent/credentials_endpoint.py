"""A credentials endpoint on loopback, in the form every SDK's container-credentials provider
reads (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`).

    GET http://127.0.0.1:PORT/credentials        Authorization: <token>
    200 {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}

botocore (`ContainerProvider`, `ContainerMetadataFetcher`) sends the token as the whole
`Authorization` value and fetches again when less than 15 minutes are left (on every call
once less than 10 are), so a program follows each renewal the supply makes.

Refused: no token (401), a wrong token (403), a `Host` that is not loopback (403: a web
page whose name resolves to 127.0.0.1 must not read it, DNS rebinding), any other method
(405) or path (404). Nothing is logged per request; errors are one line, never a secret.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tui.engine.agent.session_supply import Requester, SessionSupply
from tui.engine.credential_values import SessionCredentials, format_expiration
from tui.engine.errors import AwsMfaError
from tui.engine.mfa.codes import MfaCodeSource

PATH = "/credentials"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def container_reply(credentials: SessionCredentials) -> dict[str, str]:
    """The JSON botocore's ContainerProvider reads."""
    return {
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key.reveal(),
        "Token": credentials.session_token.reveal(),
        "Expiration": format_expiration(credentials.expiration),
    }


class CredentialsEndpoint:
    """Serves one profile's session on 127.0.0.1 (a random port) to whoever has the token."""

    def __init__(self, supply: SessionSupply, profile: str,
                 requester: Callable[[], Requester] = lambda: Requester("exec --server"),
                 code_source: Callable[[], MfaCodeSource | None] = lambda: None) -> None:
        self.supply = supply
        self.profile = profile
        self.requester = requester
        self.code_source = code_source
        #: 256 random bits; travels only in environments, never in argv.
        self.token = secrets.token_urlsafe(32)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.endpoint = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="credentials-endpoint", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    def environment(self) -> dict[str, str]:
        """The two variables a child needs."""
        return {"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.url,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.token}

    def start(self) -> CredentialsEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> CredentialsEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def allows_host(self, host: str | None) -> bool:
        """`127.0.0.1`, `localhost` or `[::1]`, with this endpoint's port or none."""
        host = (host or "").strip().lower()
        if host.startswith("["):
            name, _, rest = host.partition("]")
            name += "]"
            if rest and not rest.startswith(":"):
                return False
            port = rest[1:]
        else:
            name, _, port = host.partition(":")
        if port and port != str(self.port):
            return False
        return name in _LOOPBACK_NAMES

    def token_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    endpoint: CredentialsEndpoint


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDKs keep their connection
    # Headers and body leave in two writes: with Nagle's algorithm the body would wait
    # for the client's delayed ACK of the headers, 40 ms per request.
    disable_nagle_algorithm = True
    server: _Server
    server_version = "aws-mfa-tui"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        pass  # nothing per request: the child's own output stays clean

    def _reply(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, status: int, code: str, message: str) -> None:
        self._reply(status, {"code": code, "message": message})

    def do_GET(self) -> None:
        endpoint = self.server.endpoint
        if not endpoint.allows_host(self.headers.get("Host")):
            return self._refuse(403, "ForbiddenHost", "only loopback names may be used")
        token = self.headers.get("Authorization")
        if token is None:
            return self._refuse(401, "Unauthorized", "the authorization token is missing")
        if not endpoint.token_matches(token):
            return self._refuse(403, "Forbidden", "the authorization token is wrong")
        if self.path != PATH:
            return self._refuse(404, "NotFound", f"the credentials are at {PATH}")
        try:
            credentials = endpoint.supply.session_for(
                endpoint.profile, endpoint.requester(), endpoint.code_source())
        except AwsMfaError as exc:
            return self._refuse(503, type(exc).__name__, f"aws-mfa-tui: {exc}")
        except Exception as exc:  # a bug of ours: the child gets a line, never a traceback
            return self._refuse(500, "InternalError",
                                f"aws-mfa-tui: unexpected error ({type(exc).__name__})")
        self._reply(200, container_reply(credentials))

    def _not_allowed(self) -> None:
        self._refuse(405, "MethodNotAllowed", "only GET is served")

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed  # type: ignore[assignment]
