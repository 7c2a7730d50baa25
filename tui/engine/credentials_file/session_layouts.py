"""What a session section holds in each tool's layout: the one place that says which keys we
write, in which form, and which we take out, so the peer can go on writing the same section.

The rule: write the keys the peer itself keeps up to date, in its own form, plus ours only
where they can't go stale against the peer's next write (the peer rewrites the whole
section, or never writes that section at all). A token key the peer won't rewrite is taken
out, because botocore reads `aws_security_token` before `aws_session_token`: a stale one
beside the peer's new token would win.

- ours (`None`): both token keys and `expiration` in RFC 3339 (what Starship reads).
- aws-mfa 0.0.12 rewrites `assumed_role`, both token keys, `expiration` as
  `%Y-%m-%d %H:%M:%S` UTC, and `assumed_role_arn` for a role session (removed for a plain
  one); it takes a section missing any of those for invalid.
- awsmfa 0.2.9 replaces the whole section (a copy of the identity section plus the keys,
  `aws_session_token` and `awsmfa_expiration`): our `expiration` can't go stale there.
- aws-iam-login 0.3.6 rewrites only the key id, secret, `aws_session_token` and
  `expiration` (`2022-07-25 19:00:00+00:00`) of `[X-sts]`.
- `aws configure mfa-login` (AWS CLI 2.x) sets the keys and `aws_session_token` line by line
  and keeps its expiry in a comment, so neither `aws_security_token` nor `expiration`
  would be rewritten: its comment is the only expiry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from tui.engine.credential_values import format_expiration
from tui.engine.named_tuple import NamedTuple

AWS_MFA = "aws-mfa"
AWSMFA = "awsmfa"
AWS_IAM_LOGIN = "aws-iam-login"
MFA_LOGIN = "mfa-login"

#: The duration each peer asks for when told nothing: awsmfa 6 hours, aws-mfa 12 (1 hour
#: for a role), aws-iam-login and mfa-login send none, so STS gives its 12-hour default.
PEER_DEFAULT_DURATION = {AWSMFA: 21600}
AWS_MFA_ROLE_DURATION = 3600
#: The expiry comment `aws configure mfa-login` writes (and we rewrite).
MFA_LOGIN_MARKER = "Credentials expire at:"


class SessionSection(NamedTuple):
    """The keys to set in a session section, the keys to take out, and the expiry comment
    to put in place of the old one (mfa-login only)."""

    values: dict[str, str]
    remove: tuple[str, ...]
    comment: str | None = None


def session_section(layout: str | None, access_key_id: str, secret: str, token: str,
                    expiration: datetime, role_arn: str | None = None,
                    extra: Mapping[str, str] | None = None) -> SessionSection:
    """The session section for `layout`. `role_arn`: an aws-mfa role session (kept one);
    `extra` (not secret, e.g. `region`) is set too."""
    moment = expiration.astimezone(UTC).replace(microsecond=0)
    values = {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret,
              "aws_session_token": token}
    remove: list[str] = []
    comment = None
    if layout == AWS_MFA:
        values["aws_security_token"] = token
        values["expiration"] = moment.strftime("%Y-%m-%d %H:%M:%S")
        values["assumed_role"] = "True" if role_arn else "False"
        if role_arn:
            values["assumed_role_arn"] = role_arn
        else:
            remove.append("assumed_role_arn")
    elif layout == AWS_IAM_LOGIN:
        values["expiration"] = moment.isoformat(sep=" ")
        remove.append("aws_security_token")
    elif layout == AWSMFA:
        values["expiration"] = format_expiration(moment)
        values["awsmfa_expiration"] = moment.isoformat()
        remove.append("aws_security_token")
    elif layout == MFA_LOGIN:
        comment = f"# {MFA_LOGIN_MARKER} {moment.strftime('%Y-%m-%d %H:%M:%S UTC')}"
        remove.extend(("aws_security_token", "expiration"))
    else:
        # Ours: both token keys (a stale `aws_security_token` another tool left would win).
        values["aws_security_token"] = token
        values["expiration"] = format_expiration(moment)
    for key, value in (extra or {}).items():  # after the session's own keys, never over one
        values.setdefault(key, value)
    return SessionSection(values, tuple(remove), comment)
