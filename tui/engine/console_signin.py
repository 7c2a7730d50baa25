"""Console sign-in through the AWS federation endpoint, as aws-vault's ``login`` does.

``getSigninToken`` takes the role session as JSON; the login URL built from the token
is itself a credential (anyone holding it is signed in), so callers print it only when
asked. The partition picks the host; AWS_ENDPOINT_URL_SIGNIN overrides it, as the
AWS_ENDPOINT_URL_<SERVICE> variables do for other services.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from tui.engine.errors import AwsAuthError, AwsUnavailableError, UsageError, unusable_reply
from tui.engine.sessions import SessionService

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


def get_signin_token(session: RoleSession, endpoint: str, timeout: float = 10.0) -> str:
    body = urllib.parse.urlencode(
        {"Action": "getSigninToken", "Session": session_json(session)}
    ).encode()
    if urllib.parse.urlsplit(endpoint).scheme not in ("http", "https"):
        raise SigninError(f"the sign-in endpoint {endpoint!r} is not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        endpoint, data=body, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
            body = reply.read(MAX_REPLY + 1)
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


def login_url(endpoint: str, token: str, partition: str = "aws") -> str:
    query = urllib.parse.urlencode({
        "Action": "login",
        "Issuer": ISSUER,
        "Destination": CONSOLE_DESTINATIONS.get(partition, CONSOLE_DESTINATIONS["aws"]),
        "SigninToken": token,
    })
    return f"{endpoint}?{query}"


def console_url(session: RoleSession, partition: str, environ: dict[str, str] | None = None) -> str:
    endpoint = federation_endpoint(partition, environ)
    return login_url(endpoint, get_signin_token(session, endpoint), partition)


def console_url_for(service: SessionService, name: str) -> str:
    """The sign-in URL for the stored session of role profile `name`. An identity's MFA
    session (GetSessionToken) is refused by the federation endpoint: say so, name its roles."""
    catalog = service.catalog()
    role = catalog.role(name)
    if role is None:
        for identity in catalog.identities:
            if name in (identity.name, identity.session_profile):
                roles = ", ".join(r.name for r in catalog.roles_of(identity.name)) or "none"
                raise UsageError(
                    f"{name} is an MFA session (GetSessionToken), which the console "
                    f"federation endpoint refuses: use one of its roles ({roles})"
                )
        raise UsageError(f"{name} is not a role profile")
    _, credentials = service.session_for(name)
    if credentials.expiration <= service.clock():
        raise UsageError(f"the session for {name} has expired: refresh it first")
    session = RoleSession(credentials.access_key_id, credentials.secret_access_key.reveal(),
                          credentials.session_token.reveal())
    return console_url(session, partition_of(role.role_arn))
