"""A real local AWS endpoint for tests: moto's server app behind a fault injector.

Requests go over HTTP on loopback, through botocore's real serializer, signer, parser and
retry logic. moto can't produce some AWS errors (invalid MFA code, throttling, 5xx, a hung
endpoint), so `FaultInjector` answers chosen requests with the XML AWS really sends, and
records each request's action and parameters so tests can check what was (not) sent.
"""

from __future__ import annotations

import io
import re
import secrets
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.serving import WSGIRequestHandler, make_server

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"


@dataclass
class Fault:
    action: str
    status: int = 400
    code: str = "AccessDenied"
    message: str = "Access denied"
    times: int = 1  # how many matching requests to answer; -1 = all
    delay: float = 0.0  # seconds to stall before answering (a hung endpoint)
    passthrough: bool = False  # after the delay, let moto answer
    sender: bool = True
    #: A whole reply body to send instead of an error (e.g. a ListMFADevices result moto
    #: can't produce, such as a FIDO key); `status` is then usually 200.
    body: str | None = None
    #: Answer only requests whose parameters pass this test (e.g. a DurationSeconds over
    #: a role's MaxSessionDuration, the way AWS checks it); others go to moto.
    when: Callable[[dict[str, str]], bool] | None = None
    #: The Content-Type of a `body` reply (a captive portal's page is `text/html`).
    content_type: str = "text/xml"


@dataclass
class Request:
    action: str
    params: dict[str, str]
    access_key_id: str | None


@dataclass
class FaultInjector:
    app: object
    faults: list[Fault] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    #: Give each STS session its own key, secret and token (moto hands out the same ones).
    unique_sessions: bool = False
    #: Each unique key id handed out -> moto's own key id, which requests are mapped back to.
    _moto_key_ids: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, action: str, **kwargs) -> Fault:
        fault = Fault(action, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.requests.clear()
            self.unique_sessions = False
            self._moto_key_ids.clear()

    def calls(self, action: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.action == action]

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
        if not params and environ.get("QUERY_STRING"):
            params = {k: v[0] for k, v in urllib.parse.parse_qs(environ["QUERY_STRING"]).items()}
        action = params.get("Action", "")
        auth = environ.get("HTTP_AUTHORIZATION", "")
        key_id = None
        if "Credential=" in auth:
            key_id = auth.split("Credential=", 1)[1].split("/", 1)[0]
        fault = None
        with self._lock:
            if action:
                self.requests.append(Request(action, params, key_id))
            for candidate in self.faults:
                if candidate.action in (action, "*") and candidate.times != 0 and (
                        candidate.when is None or candidate.when(params)):
                    fault = candidate
                    if candidate.times > 0:
                        candidate.times -= 1
                    break
        if fault is None:
            if self.unique_sessions:
                return self._unique(environ, start_response, action, key_id)
            return self.app(environ, start_response)
        if fault.delay:
            time.sleep(fault.delay)
        if fault.passthrough:
            return self.app(environ, start_response)
        ns = IAM_NS if "iam" in environ.get("HTTP_HOST", "") or action in IAM_ACTIONS else STS_NS
        if fault.body is not None:
            reply = fault.body.encode()
            start_response(f"{fault.status} OK", [
                ("Content-Type", fault.content_type), ("Content-Length", str(len(reply))),
                ("x-amzn-RequestId", str(uuid.uuid4())),
            ])
            return [reply]
        xml = (
            f'<ErrorResponse xmlns="{ns}"><Error><Type>{"Sender" if fault.sender else "Receiver"}'
            f"</Type><Code>{fault.code}</Code><Message>{fault.message}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        ).encode()
        reason = {400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error",
                  503: "Service Unavailable"}.get(fault.status, "Error")
        start_response(f"{fault.status} {reason}", [
            ("Content-Type", "text/xml"), ("Content-Length", str(len(xml))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ])
        return [xml]


    def _unique(self, environ, start_response, action: str, key_id: str | None):
        """Pass the request to moto with its key id mapped back to moto's, and give a new
        session's reply a key id, secret and token of its own."""
        with self._lock:
            moto_key_id = self._moto_key_ids.get(key_id or "")
        if moto_key_id:
            environ["HTTP_AUTHORIZATION"] = environ["HTTP_AUTHORIZATION"].replace(
                f"Credential={key_id}/", f"Credential={moto_key_id}/", 1)
        if action not in SESSION_ACTIONS:
            return self.app(environ, start_response)
        reply: dict[str, object] = {}

        def keep(status, headers, exc_info=None):
            reply["status"], reply["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.app(environ, keep)).decode()
        found = re.search(r"<AccessKeyId>([^<]+)</AccessKeyId>", body)
        if found and str(reply["status"]).startswith("200"):
            moto_id = found.group(1)
            unique_id = moto_id[:4] + secrets.token_hex(8).upper()
            with self._lock:
                self._moto_key_ids[unique_id] = moto_id
            body = body.replace(found.group(0), f"<AccessKeyId>{unique_id}</AccessKeyId>")
            body = re.sub(r"<SecretAccessKey>[^<]+</SecretAccessKey>",
                          f"<SecretAccessKey>{secrets.token_urlsafe(30)}</SecretAccessKey>", body)
            body = re.sub(r"<SessionToken>[^<]+</SessionToken>",
                          f"<SessionToken>FQoGZXIvY{secrets.token_urlsafe(90)}</SessionToken>",
                          body)
        data = body.encode()
        headers = [(name, value) for name, value in reply["headers"]  # type: ignore[attr-defined]
                   if name.lower() != "content-length"]
        start_response(reply["status"], [*headers, ("Content-Length", str(len(data)))])
        return [data]


#: STS calls whose reply is a new session.
SESSION_ACTIONS = {"GetSessionToken", "AssumeRole", "GetFederationToken"}

IAM_ACTIONS = {
    "GetRole", "SimulatePrincipalPolicy", "ListMFADevices", "ListAccessKeys",
    "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey",
    "GetAccessKeyLastUsed", "GetUser", "CreateUser", "CreatePolicy",
}


def list_mfa_devices_reply(user: str, serials: list[str]) -> str:
    """IAM's ListMFADevices reply, as AWS sends it, listing these serials for `user`."""
    members = "".join(
        f"<member><UserName>{user}</UserName><SerialNumber>{serial}</SerialNumber>"
        "<EnableDate>2026-01-05T09:00:00Z</EnableDate></member>"
        for serial in serials
    )
    return (
        f'<ListMFADevicesResponse xmlns="{IAM_NS}"><ListMFADevicesResult>'
        f"<MFADevices>{members}</MFADevices><IsTruncated>false</IsTruncated>"
        f"</ListMFADevicesResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
        "</ResponseMetadata></ListMFADevicesResponse>"
    )


class _SkewableHandler(WSGIRequestHandler):
    """werkzeug's handler, whose `Date` header follows the server's `date_offset`."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        offset = getattr(self.server, "date_offset", 0.0)
        return super().date_time_string((timestamp or time.time()) + offset)


class LocalAws:
    """moto's WSGI app served by werkzeug on 127.0.0.1, with a fault injector in front."""

    def __init__(self) -> None:
        from moto.server import DomainDispatcherApplication, create_backend_app

        self.injector = FaultInjector(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", 0, self.injector, threaded=True,
                                   request_handler=_SkewableHandler)
        self._server.date_offset = 0.0  # type: ignore[attr-defined]
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LocalAws:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def _post(self, path: str, body: bytes = b"", content_type: str = "text/plain") -> None:
        request = urllib.request.Request(
            self.url + path, data=body, method="POST", headers={"Content-Type": content_type}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def skew_clock(self, seconds: float) -> None:
        """Every reply's `Date` header is this many seconds off (a skewed AWS clock, as a
        skewed local clock looks from here) until the next reset."""
        self._server.date_offset = seconds  # type: ignore[attr-defined]

    def reset(self) -> None:
        """Forget every user, key and device, switch signature checks off, drop faults."""
        self.skew_clock(0)
        self.set_auth(False)
        self._post("/moto-api/reset")
        self.injector.clear()

    def make_sessions_unique(self) -> None:
        """From now until the next reset, every STS session (GetSessionToken, AssumeRole,
        GetFederationToken) gets a key id, secret and token of its own, as on real AWS; moto
        alone returns the same ones every time. Requests signed with such a key reach moto
        under moto's own key id, so GetCallerIdentity still tells a role from a user. Needs
        signature checking off (the default), since moto can't check the new secrets."""
        self.injector.unique_sessions = True

    def set_auth(self, enabled: bool) -> None:
        """Switch moto's signature and key checking on (`0` = from the first request) or off."""
        # moto enforces signatures once it has seen this many requests: 0 = now, inf = never.
        self._post("/moto-api/reset-auth", b"0" if enabled else b"inf")
