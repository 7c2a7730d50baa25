"""Console sign-in through the AWS federation endpoint, as aws-vault's ``login`` does.

``getSigninToken`` takes the role session as JSON; the login URL built from the token
is itself a credential (anyone holding it is signed in), so callers print it only when
asked. The partition picks the host; AWS_ENDPOINT_URL_SIGNIN overrides it, as the
AWS_ENDPOINT_URL_<SERVICE> variables do for other services.

What a console sign-in can be asked for (`ConsoleRequest`): a session length (a role
session's `SessionDuration`, 900-43200 s; AWS's own default without it), a service's page
or a path under the console, and, for an identity, a GetFederationToken session from its
long-term key, as Granted offers. The federation endpoint refuses GetSessionToken sessions,
and GetFederationToken takes no MFA code, so such a console session has no MFA context:
what a policy guards with `aws:MultiFactorAuthPresent` is denied there.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tui.engine.errors import (
    AwsAuthError,
    AwsMfaError,
    AwsUnavailableError,
    UsageError,
    unusable_reply,
)
from tui.engine.sessions.service import SessionService

SIGNIN_HOSTS = {
    "aws": "https://signin.aws.amazon.com",
    "aws-cn": "https://signin.amazonaws.cn",
    "aws-us-gov": "https://signin.amazonaws-us-gov.com",
}
CONSOLE_DESTINATIONS = {
    "aws": "https://console.aws.amazon.com/",
    "aws-cn": "https://console.amazonaws.cn/",
    "aws-us-gov": "https://console.amazonaws-us-gov.com/",
}
ISSUER = "aws-mfa-tui"
#: A role session's console length (`SessionDuration`), and a federation token's.
ROLE_CONSOLE_SECONDS = (900, 43200)
FEDERATION_SECONDS = (900, 129600)
#: A federation token's length when none is asked for: one hour of console.
DEFAULT_FEDERATION_SECONDS = 3600
#: GetFederationToken grants what this allows *and* the user's own policies allow: all of
#: the user's permissions (AWS grants nothing without a policy).
FEDERATION_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
NO_MFA_CONTEXT = (
    "this console session comes from GetFederationToken, which takes no MFA code: it has "
    "no MFA context, so what a policy guards with aws:MultiFactorAuthPresent is denied there"
)
_SERVICE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class ConsoleRequest(NamedTuple):
    """What the console is opened with (`console PROFILE [--duration S] [--service NAME |
    --path /x] [--federation]`)."""

    duration: int | None = None
    service: str | None = None
    path: str | None = None
    #: For an identity: a GetFederationToken session from its long-term key.
    federation: bool = False


#: The console's home, with AWS's default session length.
HOME = ConsoleRequest()


#: The most of a federation reply that is read (a sign-in token is about 1 KiB).
MAX_REPLY = 64 * 1024


class SigninError(AwsAuthError):
    """The federation endpoint refused the session (exit 5); the message holds no secret."""


class SigninUnreachable(AwsUnavailableError):
    """The federation endpoint could not be reached, or failed (exit 6, as for AWS)."""


@dataclass(frozen=True)
class RoleSession:
    """A role session's parts; the secret ones never show in a repr (or a crash screen)."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)


def partition_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] in SIGNIN_HOSTS else "aws"


def federation_endpoint(partition: str, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    override = env.get("AWS_ENDPOINT_URL_SIGNIN")
    base = override or SIGNIN_HOSTS.get(partition, SIGNIN_HOSTS["aws"])
    return base.rstrip("/") + "/federation"


def session_json(session: RoleSession) -> str:
    return json.dumps({
        "sessionId": session.access_key_id,
        "sessionKey": session.secret_access_key,
        "sessionToken": session.session_token,
    })


def get_signin_token(session: RoleSession, endpoint: str, timeout: float = 10.0,
                     session_duration: int | None = None) -> str:
    form = {"Action": "getSigninToken", "Session": session_json(session)}
    if session_duration:
        form["SessionDuration"] = str(session_duration)
    body = urllib.parse.urlencode(form).encode()
    if urllib.parse.urlsplit(endpoint).scheme not in ("http", "https"):
        raise SigninError(f"the sign-in endpoint {endpoint!r} is not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        endpoint, data=body, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    from tui.engine.aws.call_guard import deadline_seconds

    seconds = deadline_seconds()
    deadline = time.monotonic() + seconds
    try:
        with urllib.request.urlopen(request, timeout=min(timeout, seconds)) as reply:  # noqa: S310
            body = _read_until(reply, deadline)
    except _Late:
        raise SigninUnreachable(
            f"the federation endpoint {endpoint} did not answer within {seconds:g} s, so the "
            "call was cut off: check your network or proxy and retry"
        ) from None
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:
            raise SigninUnreachable(
                f"the federation endpoint {endpoint} failed (HTTP {exc.code}): retry shortly"
            ) from None
        raise SigninError(
            f"the federation endpoint refused the session (HTTP {exc.code})"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SigninUnreachable(
            f"can't reach the federation endpoint {endpoint}: {reason}; check your network, "
            "VPN or proxy"
        ) from None
    try:
        payload = json.loads(body.decode()) if len(body) <= MAX_REPLY else None
    except ValueError:
        payload = None
    token = payload.get("SigninToken") if isinstance(payload, dict) else None
    if not isinstance(token, str) or not token:
        # A captive portal's page, a proxy's: not the endpoint talking (exit 6).
        raise unusable_reply(
            f"the federation endpoint {endpoint} answered with no sign-in token (not its JSON)"
        )
    return token


def browser_for(service: SessionService, name: str) -> str | None:
    """The `browser` setting for profile `name` (an identity's, for its session profile),
    else the top-level one; None: the default browser."""
    settings = service.current_settings
    owner = name
    try:
        owner = service.catalog().identity(name).name
    except AwsMfaError:
        pass  # a role: its own name
    return settings.for_profile(owner).browser or settings.for_profile(name).browser \
        or settings.browser


def destination(partition: str, request: ConsoleRequest = HOME,
                region: str | None = None) -> str:
    """The console page to land on: its home, a service's page, or a path under it."""
    base = CONSOLE_DESTINATIONS.get(partition, CONSOLE_DESTINATIONS["aws"])
    if request.service:
        if not _SERVICE.fullmatch(request.service):
            raise UsageError(
                "--service takes a console service name such as s3, ec2 or cloudwatch; "
                "see aws-mfa-tui console --help")
        query = f"?region={urllib.parse.quote(region)}" if region else ""
        return f"{base}{request.service}/home{query}"
    if request.path:
        path = request.path
        if (not path.startswith("/") or path.startswith("//") or len(path) > 1024
                or not path.isprintable() or any(c.isspace() for c in path)):
            raise UsageError(
                "--path takes a path under the console that starts with one `/`, e.g. "
                "/s3/buckets; see aws-mfa-tui console --help")
        return base.rstrip("/") + path
    return base


class _Late(Exception):
    """The federation reply was still coming when the call's deadline passed."""


def _read_until(reply: Any, deadline: float) -> bytes:
    """The reply, at most MAX_REPLY + 1 bytes of it, read before `deadline` (one socket
    read can still take the timeout: a reply that drips is cut at the next byte)."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_REPLY:
        if time.monotonic() > deadline:
            raise _Late
        chunk = reply.read1(MAX_REPLY + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def login_url(endpoint: str, token: str, partition: str = "aws",
              landing: str | None = None) -> str:
    query = urllib.parse.urlencode({
        "Action": "login",
        "Issuer": ISSUER,
        "Destination": landing or CONSOLE_DESTINATIONS.get(partition,
                                                           CONSOLE_DESTINATIONS["aws"]),
        "SigninToken": token,
    })
    return f"{endpoint}?{query}"


def console_url(session: RoleSession, partition: str, environ: dict[str, str] | None = None,
                landing: str | None = None, session_duration: int | None = None) -> str:
    endpoint = federation_endpoint(partition, environ)
    token = get_signin_token(session, endpoint, session_duration=session_duration)
    return login_url(endpoint, token, partition, landing)


def console_url_for(service: SessionService, name: str,
                    request: ConsoleRequest = HOME) -> str:
    """The sign-in URL for the stored session of role profile `name`, or (`federation`)
    for a GetFederationToken session of identity `name`. An identity's MFA session
    (GetSessionToken) is refused by the federation endpoint: say so, name its roles."""
    catalog = service.catalog()
    role = catalog.role(name)
    if role is None:
        for identity in catalog.identities:
            if name in (identity.name, identity.session_profile):
                if request.federation:
                    return _federation_console_url(service, identity.name, request)
                roles = ", ".join(r.name for r in catalog.roles_of(identity.name)) or "none"
                raise UsageError(
                    f"{name} is an MFA session (GetSessionToken), which the console "
                    f"federation endpoint refuses: use one of its roles ({roles}), or "
                    f"`aws-mfa-tui console {identity.name} --federation` for a "
                    "GetFederationToken console session from its long-term key (no MFA "
                    "context)"
                )
        raise UsageError(f"{name} is not a role profile")
    if request.federation:
        raise UsageError(
            f"--federation is for an identity's long-term key; {name} is a role: drop "
            "--federation; see aws-mfa-tui console --help")
    _in_range(request.duration, ROLE_CONSOLE_SECONDS, "for a role's console session")
    _, credentials = service.session_for(name)
    if credentials.expiration <= service.clock():
        raise UsageError(f"the session for {name} has expired: refresh it first")
    session = RoleSession(credentials.access_key_id, credentials.secret_access_key.reveal(),
                          credentials.session_token.reveal())
    partition = partition_of(role.role_arn)
    return console_url(session, partition, landing=destination(partition, request, role.region),
                       session_duration=request.duration)


def _federation_console_url(service: SessionService, name: str,
                            request: ConsoleRequest) -> str:
    from tui.engine.aws.client import make_client
    from tui.engine.aws.errors import translate_error
    from tui.engine.aws.sts_reply import session_from_reply

    _in_range(request.duration, FEDERATION_SECONDS, "for GetFederationToken")
    seconds = request.duration or DEFAULT_FEDERATION_SECONDS
    identity = service.catalog().identity(name)
    keys = service.long_term_keys(identity)
    client = make_client("sts", keys, identity.region)
    try:
        result = client.get_federation_token(
            Name=_federated_name(name), DurationSeconds=seconds, Policy=FEDERATION_POLICY)
    except Exception as exc:
        raise translate_error(exc, "sts:GetFederationToken", keys) from None
    credentials = session_from_reply(result, "sts:GetFederationToken", seconds)
    session = RoleSession(credentials.access_key_id, credentials.secret_access_key.reveal(),
                          credentials.session_token.reveal())
    partition = _partition_of_region(identity.region)
    # (No SessionDuration: the console session lasts as long as the federation token.)
    return console_url(session, partition, landing=destination(partition, request,
                                                               identity.region))


def _federated_name(profile: str) -> str:
    """GetFederationToken's Name: 2-32 of [A-Za-z0-9+=,.@-], from the profile's name."""
    name = re.sub(r"[^A-Za-z0-9+=,.@-]", "-", profile)[:32]
    return name if len(name) >= 2 else "aws-mfa-tui"


def _partition_of_region(region: str | None) -> str:
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _in_range(seconds: int | None, limits: tuple[int, int], what: str) -> None:
    low, high = limits
    if seconds is not None and not low <= seconds <= high:
        raise UsageError(f"--duration must be {low}-{high} seconds {what}; see "
                         "aws-mfa-tui console --help")
