"""The values credentials travel as: keys to sign with, an STS session, and its expiry text.

They are plain values with no behaviour beyond their own fields, so every layer (the
credentials file, the AWS calls, the commands that hand sessions out) can name them
without importing another. `status --short` loads this module: it imports no `typing`
(see `named_tuple`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from tui.engine.named_tuple import TYPE_CHECKING, NamedTuple
from tui.engine.secret import Secret

if TYPE_CHECKING:
    from collections.abc import Mapping


def is_long_term(values: Mapping[str, str]) -> bool:
    """Whether a section holds an IAM user's long-term keys (both halves, and no session
    token). The one rule: the catalog calls it for every section on every build, and the
    store for the sections it keeps track of."""
    return bool(
        values.get("aws_access_key_id")
        and values.get("aws_secret_access_key")
        # (the session token's two names spelled out: this runs per section)
        and not (values.get("aws_session_token") or values.get("aws_security_token"))
    )


def format_expiration(moment: datetime) -> str:
    """RFC 3339 UTC with a `Z`, the form Starship and other prompts read."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_expiration(value: str | None) -> datetime | None:
    """Read back what we (or aws-iam-login's `2022-07-25 19:00:00+00:00`) wrote."""
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class SessionCredentials(NamedTuple):
    """Temporary credentials from STS. The secret parts are `Secret`s."""

    access_key_id: str
    secret_access_key: Secret
    session_token: Secret
    expiration: datetime

    def as_section(self) -> dict[str, str]:
        token = self.session_token.reveal()
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key.reveal(),
            "aws_session_token": token,
            # botocore reads aws_security_token first: a stale one would win, so write both.
            "aws_security_token": token,
            "expiration": format_expiration(self.expiration),
        }


class AwsKeys(NamedTuple):
    """Credentials to sign with: long-term keys, or a session (with its token)."""

    access_key_id: str
    secret_access_key: Secret
    session_token: Secret | None = None
    #: The profile these came from, for messages ("the key of profile work ...").
    profile: str = ""

    @classmethod
    def from_section(cls, profile: str, values: dict[str, str]) -> AwsKeys:
        token = values.get("aws_session_token") or values.get("aws_security_token")
        return cls(
            access_key_id=values.get("aws_access_key_id", ""),
            secret_access_key=Secret(values.get("aws_secret_access_key", "")),
            session_token=Secret(token) if token else None,
            profile=profile,
        )

    @classmethod
    def from_session(cls, profile: str, session: SessionCredentials) -> AwsKeys:
        return cls(session.access_key_id, session.secret_access_key, session.session_token,
                   profile)
