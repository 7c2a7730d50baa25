"""What every AWS call goes through: a total deadline, and one line for a reply that isn't
AWS's.

- botocore's `read_timeout` bounds each socket read, not the call: a reply that drips a byte
  every few seconds never times out. `guard_client` gives each API call a total deadline
  (connect, every retry, every read; 30 s, or `AWS_MFA_TUI_CALL_TIMEOUT` seconds). When it
  passes, a watchdog thread shuts the client's sockets down, which wakes the blocked read at
  once, no new attempt is sent, and the call fails with "did not answer within N s".
  A connect is given no more time than is left, so it can't overrun the deadline.
- A reply that isn't AWS XML becomes `AwsReplyError` (exit 6), whatever its status and
  content type, described by its status and kind, never by its content. AWS XML is a body
  whose root element is `<OperationResponse>` (a success) or an error element
  (`ErrorResponse`, `Response`, `Error`) with a `<Code>`. Anything else (a captive portal's
  page, even well-formed XML like `<html><body>...`, random bytes, an empty body) is refused
  before botocore parses it: botocore would take a portal's HTTP 200 page for an operation
  with no result as a success, and other pages end in a bare KeyError inside its parser. A
  5xx page is still retried by botocore first (a load balancer's passing error page).
- A reply larger than `MAX_REPLY` (no AWS reply we read comes near it) is refused the same
  way, having read no more of it than that: its connection is dropped.

It hooks botocore in three places: `before-send` and `before-parse` events, the pool classes
of the client's own HTTP session (to see its connections), and the client's
`_make_api_call` (around every operation, so code that calls the client directly, like key
rotation, gets the same limits).

Those are botocore's and urllib3's internals: at the first client, and for each client's
own parts, `_check_internals` makes sure each is there with the shape used here. The
deadline and the cap are promises, so when one is missing no call is sent at all:
`InternalsChanged`, one line naming what is missing and the package to install.
"""

from __future__ import annotations

import inspect
import math
import os
import re
import socket
import threading
import time
from typing import Any

from tui.engine.errors import AwsUnavailableError, UsageError, unusable_reply
from tui.engine.patched_internals import InternalsChanged, missing, refuse

DEFAULT_DEADLINE = 30.0
DEADLINE_VARIABLE = "AWS_MFA_TUI_CALL_TIMEOUT"
#: How often the watchdog, once the deadline has passed, shuts down connections that were
#: still being opened when it fired.
_KILL_INTERVAL = 0.05
#: The most of one reply that is read (a session token is at most 64 KiB).
MAX_REPLY = 1024 * 1024


#: What the deadline and the cap stand on (see `_check_internals`).
PROMISE = "the 30 s deadline and the 1 MiB reply cap of every AWS call"
#: The checks of botocore and urllib3 that hold for the whole process, once passed.
_INTERNALS_CHECKED = False


def _check_internals(client: Any) -> dict[str, Any]:
    """The client's pool classes (the dict its pool managers share), once what the guard
    patches is known to be there; else `InternalsChanged`, before any call is sent."""
    global _INTERNALS_CHECKED
    if not _INTERNALS_CHECKED:
        import botocore.awsrequest
        import urllib3.response
        import urllib3.util.timeout

        gone = (missing(botocore.awsrequest, "AWSHTTPConnectionPool._new_conn",
                        "AWSHTTPConnectionPool._make_request",
                        "AWSHTTPConnectionPool._get_timeout",
                        "AWSHTTPSConnectionPool._new_conn")
                or missing(urllib3.util.timeout, "Timeout.connect_timeout",
                           "Timeout.read_timeout")
                or missing(urllib3.response, "HTTPResponse.read",
                           "HTTPResponse.read_chunked", "HTTPResponse.close"))
        if gone:
            raise refuse(PROMISE, gone, "botocore" if "botocore" in gone else "urllib3")
        make_request = botocore.awsrequest.AWSHTTPConnectionPool._make_request
        if "timeout" not in inspect.signature(make_request).parameters:
            raise refuse(PROMISE, "the `timeout` of HTTPConnectionPool._make_request",
                         "urllib3")
        _INTERNALS_CHECKED = True
    gone = missing(client, "_make_api_call", "meta.events.register",
                   "_endpoint.http_session._pool_classes_by_scheme")
    if gone:
        kind = type(client)
        raise refuse(PROMISE, gone.replace(f"{kind.__module__}.{kind.__name__}.",
                                           f"the {kind.__name__} client's "), "botocore")
    pool_classes = client._endpoint.http_session._pool_classes_by_scheme
    if not (isinstance(pool_classes, dict) and {"http", "https"} <= pool_classes.keys()):
        raise refuse(PROMISE, "the http/https pool classes of URLLib3Session", "botocore")
    return pool_classes


def deadline_seconds() -> float:
    raw = os.environ.get(DEADLINE_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_DEADLINE
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value <= 3600:
        raise UsageError(
            f"{DEADLINE_VARIABLE} must be a number of seconds above 0 and at most 3600 (e.g. 30)"
        )
    return value


class _DeadlinePassed(Exception):
    """Raised in `before-send` once the deadline has passed: botocore doesn't retry it."""


class _ReplyTooLarge(Exception):
    """Raised while reading a reply past MAX_REPLY bytes."""


class _NotAwsReply(Exception):
    """Raised in `before-parse` for a reply that isn't AWS XML: botocore doesn't retry it."""


#: The root element of a reply: after an optional BOM, XML declaration, comments, doctype.
_ROOT_ELEMENT = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*"
    rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]", re.DOTALL)
_ERROR_ROOTS = (b"ErrorResponse", b"Response", b"Error")


def is_aws_xml(body: bytes, status: int, operation: str) -> bool:
    """Whether `body` is what AWS's query protocol sends for `operation` with `status`:
    `<{operation}Response>` for a success, an error element holding a `<Code>` otherwise.
    Only the root element is looked at; botocore's parser and `sts_reply` check the rest."""
    found = _ROOT_ELEMENT.match(body)
    if found is None:
        return False
    root = found.group(1)
    if status < 300:  # (no operation name from botocore: any `...Response`)
        return root == operation.encode() + b"Response" if operation else \
            root.endswith(b"Response") and root not in _ERROR_ROOTS
    return root in _ERROR_ROOTS and b"<Code>" in body


class _Watchdog:
    """Shuts down `connections` once `seconds` pass, until `finish()`."""

    def __init__(self, seconds: float, connections: list[Any]) -> None:
        self.seconds = seconds
        self.connections = connections
        self.passed = False
        self.deadline = time.monotonic() + seconds
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="aws-call-deadline",
                                        daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.passed = True
        while True:
            for connection in list(self.connections):
                sock = getattr(connection, "sock", None)
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass  # already closed
            if self._done.wait(_KILL_INTERVAL):
                return

    def finish(self) -> None:
        self._done.set()

    def expired(self) -> bool:
        # A connect bounded by the time left may time out a hair before the watchdog runs.
        return self.passed or time.monotonic() >= self.deadline - 0.01

    def left(self) -> float:
        return max(self.deadline - time.monotonic(), 0.001)


def _capped(response: Any, flags: dict[str, Any]) -> Any:
    """Make a urllib3 response refuse to be read past MAX_REPLY bytes: the first read of a
    reply that says it is larger, or the read that passes the cap, closes the connection,
    sets `flags["too_large"]` (so `before-send` stops botocore's retry) and raises."""
    length = str((response.headers or {}).get("content-length", "")).strip()
    seen = [MAX_REPLY + 1 if length.isdigit() and int(length) > MAX_REPLY else 0]

    def count(data: bytes) -> bytes:
        seen[0] += len(data)
        if seen[0] > MAX_REPLY:
            flags["too_large"] = True
            response.close()
            raise _ReplyTooLarge
        return data

    read, read_chunked = response.read, response.read_chunked

    def capped_read(amt: int | None = None, *args: Any, **kwargs: Any) -> bytes:
        count(b"")
        return count(read(amt if amt is not None else MAX_REPLY + 1, *args, **kwargs))

    def capped_chunks(*args: Any, **kwargs: Any) -> Any:
        count(b"")
        for chunk in read_chunked(*args, **kwargs):
            yield count(chunk)

    response.read, response.read_chunked = capped_read, capped_chunks
    return response


def _recording_pools(connections: list[Any], time_left: Any,
                     flags: dict[str, Any]) -> dict[str, type]:
    """botocore's pool classes, but every connection they open is added to `connections`,
    no request gets more time than `time_left()` to connect, and replies are capped."""
    import botocore.awsrequest
    from urllib3.util.timeout import Timeout

    def recording(base: type) -> type:
        class RecordingPool(base):  # type: ignore[valid-type, misc]
            def _new_conn(self) -> Any:
                connection = super()._new_conn()
                if not hasattr(connection, "sock"):  # what the watchdog shuts down
                    flags["broken"] = refuse(PROMISE, "the `sock` of urllib3's connections",
                                             "urllib3")
                    raise flags["broken"]
                connections.append(connection)
                return connection

            def _make_request(self, conn: Any, method: str, url: str, *args: Any,
                              **kwargs: Any) -> Any:
                left = time_left()
                if left is not None:
                    timeout = self._get_timeout(kwargs.get("timeout", self.timeout))
                    connect = timeout.connect_timeout
                    kwargs["timeout"] = Timeout(
                        connect=left if connect is None else min(connect, left),
                        read=timeout.read_timeout)
                return _capped(super()._make_request(conn, method, url, *args, **kwargs),
                               flags)

        return RecordingPool

    return {"http": recording(botocore.awsrequest.AWSHTTPConnectionPool),
            "https": recording(botocore.awsrequest.AWSHTTPSConnectionPool)}


def guard_client(client: Any, service: str, seconds: float | None = None) -> Any:
    """Give every API call of this (new, unused) botocore client the deadline and the
    unparseable-reply translation. Returns the client."""
    seconds = deadline_seconds() if seconds is None else seconds
    pool_classes = _check_internals(client)
    connections: list[Any] = []
    raw: dict[str, Any] = {}
    state: dict[str, _Watchdog] = {}
    flags: dict[str, Any] = {}

    def time_left() -> float | None:
        watchdog = state.get("watchdog")
        return None if watchdog is None else watchdog.left()

    pool_classes.update(_recording_pools(connections, time_left, flags))

    def before_send(**kwargs: Any) -> None:
        watchdog = state.get("watchdog")
        if flags.get("too_large") or flags.get("broken") or (
                watchdog is not None and watchdog.passed):
            raise _DeadlinePassed

    def before_parse(response_dict: dict[str, Any], operation_model: Any = None,
                     **kwargs: Any) -> None:
        body = response_dict.get("body") or b""
        headers = response_dict.get("headers") or {}
        status = response_dict.get("status_code") or 0
        raw.update(status=status, size=len(body), head=body[:512], parsing=True,
                   content_type=str(headers.get("content-type", "")),
                   aws_xml=is_aws_xml(body, status, getattr(operation_model, "name", "")))
        if not raw["aws_xml"] and status < 500:  # (a 5xx page: botocore retries it first)
            raise _NotAwsReply

    def response_received(**kwargs: Any) -> None:
        raw["parsing"] = False

    client.meta.events.register("before-send", before_send)
    client.meta.events.register("before-parse", before_parse)
    client.meta.events.register("response-received", response_received)
    make_api_call = client._make_api_call

    def guarded(operation_name: str, api_params: dict[str, Any]) -> Any:
        raw.clear()
        flags.clear()
        watchdog = state["watchdog"] = _Watchdog(seconds, connections)
        try:
            return make_api_call(operation_name, api_params)
        except Exception as exc:
            if isinstance(flags.get("broken"), InternalsChanged):  # (wrapped by botocore)
                raise flags["broken"] from None
            if flags.get("too_large"):  # botocore wraps it in HTTPClientError
                raise unusable_reply(
                    f"{service}:{operation_name} got a reply larger than "
                    f"{MAX_REPLY // (1024 * 1024)} MiB, which no AWS reply is; it was not read"
                ) from None
            if watchdog.expired():
                raise AwsUnavailableError(
                    f"AWS did not answer {service}:{operation_name} within {seconds:g} s, so "
                    "the call was cut off: check your network or proxy and retry"
                ) from None
            # Not AWS XML (refused in `before-parse`, or a 5xx page after botocore's
            # retries), or something in it that botocore's parser choked on.
            if (isinstance(exc, _NotAwsReply) or raw.get("aws_xml") is False
                    or raw.get("parsing")):
                raise unusable_reply(
                    f"{service}:{operation_name} got {describe_reply(raw)}"
                ) from None
            raise
        finally:
            watchdog.finish()

    client._make_api_call = guarded
    return client


def describe_reply(raw: dict[str, Any]) -> str:
    """What an unparseable reply was, without a byte of its content."""
    status = raw.get("status")
    if status is None:
        return "a reply that is not AWS XML"
    head = bytes(raw.get("head") or b"").lstrip().lower()
    portal = "a captive portal or a proxy? Sign in to the network and retry"
    if 300 <= status < 400:
        return f"a redirect (HTTP {status}) instead of an AWS reply: {portal}"
    if "html" in raw.get("content_type", "").lower() or head.startswith((b"<!doctype html",
                                                                          b"<html")):
        return f"a web page (HTTP {status}) instead of an AWS reply: {portal}"
    if not raw.get("size"):
        return f"an empty reply (HTTP {status})"
    return f"a reply that is not AWS XML (HTTP {status}, {raw['size']} bytes)"
