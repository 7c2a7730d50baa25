"""An STS credentials reply, checked before anything is written.

Whatever answered the call (AWS, a proxy, a captive portal, an impostor) is distrusted until
its reply passes:

- key id, secret key and session token present, non-empty, printable ASCII without spaces
  or control characters (a newline would end up in the credentials file), and of sane size
  (a token over 64 KiB is refused);
- the expiration parses, lies in the future, and is no later than the duration asked for
  plus 5 minutes (clock skew AWS itself tolerates).

A reply that fails is `AwsReplyError` (exit 6) naming what is wrong, never the values.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tui.engine.credential_values import SessionCredentials, format_expiration, parse_expiration
from tui.engine.errors import AwsReplyError, unusable_reply
from tui.engine.secret import Secret

MAX_KEY_ID_LENGTH = 128  # IAM's documented limit
MAX_SECRET_LENGTH = 1024
MAX_TOKEN_BYTES = 64 * 1024
EXPIRY_SLACK = timedelta(minutes=5)
#: What AssumeRole grants when no DurationSeconds is sent.
ASSUME_ROLE_DEFAULT_DURATION = 3600
_FIELDS = (
    ("AccessKeyId", "access key id", MAX_KEY_ID_LENGTH),
    ("SecretAccessKey", "secret key", MAX_SECRET_LENGTH),
    ("SessionToken", "session token", MAX_TOKEN_BYTES),
)


def session_from_reply(result: Any, action: str, asked_seconds: int,
                       now: datetime | None = None) -> SessionCredentials:
    """The session in a GetSessionToken/AssumeRole result, or AwsReplyError."""
    credentials = result.get("Credentials") if isinstance(result, dict) else None
    if not isinstance(credentials, dict):
        raise _unusable(action, "it holds no credentials")
    values = [_checked(credentials, action, *spec) for spec in _FIELDS]
    expiration = _expiration(credentials.get("Expiration"), action)
    now = now or datetime.now(UTC)
    if expiration <= now:
        raise _unusable(
            action, f"the session it grants has already expired ({format_expiration(expiration)}"
            f", and this machine's clock says {format_expiration(now)})"
        )
    latest = now + timedelta(seconds=asked_seconds) + EXPIRY_SLACK
    if expiration > latest:
        raise _unusable(
            action, f"the session it grants lasts until {format_expiration(expiration)}, "
            f"longer than the {asked_seconds} s asked for"
        )
    key_id, secret, token = values
    return SessionCredentials(key_id, Secret(secret), Secret(token), expiration)


def _unusable(action: str, why: str) -> AwsReplyError:
    return unusable_reply(f"{action}: {why}; nothing was written")


def _checked(credentials: dict[str, Any], action: str, field: str, name: str,
             limit: int) -> str:
    value = credentials.get(field)
    if value is None:
        raise _unusable(action, f"it has no {name}")
    if not isinstance(value, str) or not value.strip():
        raise _unusable(action, f"its {name} is empty")
    if len(value.encode("utf-8", "replace")) > limit:
        size = "64 KiB" if limit == MAX_TOKEN_BYTES else f"{limit} characters"
        raise _unusable(action, f"its {name} is larger than {size}")
    if not (value.isascii() and value.isprintable()) or any(c.isspace() for c in value):
        raise _unusable(action, f"its {name} holds spaces, control or non-ASCII characters")
    return value


def _expiration(value: Any, action: str) -> datetime:
    """STS clients hand timestamps over unparsed (see `calls`); datetimes are accepted."""
    if isinstance(value, str) and value.strip():
        parsed = parse_expiration(value)
        if parsed is None:
            raise _unusable(action, "its expiration is not a date")
        moment = parsed
    elif isinstance(value, datetime):
        moment = value
    elif value is None:
        raise _unusable(action, "it has no expiration")
    else:
        raise _unusable(action, "its expiration is not a date")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
