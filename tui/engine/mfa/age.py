"""The second clock: when a session's MFA code was used, and when a policy stops honouring it.

Policies can guard with `aws:MultiFactorAuthAge` ("MFA within the last hour") as well as
`aws:MultiFactorAuthPresent`. Such a session is useless to them long before it expires, so
every session we write records two moments in one line botocore ignores:

    aws_mfa_tui_times = issued=2026-12-05T08:00:00Z mfa=2026-12-05T08:00:00Z key=ASIA...
                        expires=2026-12-05T20:00:00Z     (one line in the file)

- `issued`: when we got the session (the countdown bar is scaled to its own length);
- `mfa`: when the MFA code behind it was used (`none` when no code was). A role session
  carries the moment of the MFA it comes from: the code typed for AssumeRole, or, for a
  role assumed from an MFA session, that session's own moment (AWS evaluates the age of
  the caller's MFA when the role is assumed; see README "MFA age").
- `key` and `expires`: the session the record belongs to. A peer program (aws-mfa,
  awsmfa, aws-iam-login) that later rewrites the section without touching this line
  changes the key id and the expiry, so the record no longer matches and is ignored:
  it can't go stale silently.

Pure functions of the files and the clock: no AWS call, no textual.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tui.engine.credential_values import format_expiration as _stamp
from tui.engine.credential_values import parse_expiration as _parse
from tui.engine.named_tuple import NamedTuple

#: The credentials-file key holding the record (botocore ignores unknown keys).
TIMES_KEY = "aws_mfa_tui_times"
#: The shortest and longest `max_mfa_age` settings accepts, in seconds.
MIN_MFA_AGE = 60
MAX_MFA_AGE = 129600


class SessionTimes(NamedTuple):
    """When a session was issued and when the MFA behind it was used."""

    issued_at: datetime
    #: When the MFA code behind the session was used; None when no MFA was used or the
    #: moment isn't known (a role assumed from a session another program wrote).
    mfa_at: datetime | None
    mfa_used: bool = True

    def record(self, access_key_id: str, expiration: datetime) -> str:
        """The line's value, tied to the session it belongs to."""
        mfa = _stamp(self.mfa_at) if self.mfa_at else ("unknown" if self.mfa_used else "none")
        return (f"issued={_stamp(self.issued_at)} mfa={mfa} key={access_key_id} "
                f"expires={_stamp(expiration)}")


def read_times(value: str | None, access_key_id: str | None,
               expiration: datetime | None) -> SessionTimes | None:
    """The record in `value`, or None when there is none, it can't be read, or it belongs
    to another session than the one the section now holds (a peer rewrote it)."""
    if not value or not access_key_id or expiration is None:
        return None
    fields = dict(part.split("=", 1) for part in value.split() if "=" in part)
    if fields.get("key") != access_key_id:
        return None
    expires = _parse(fields.get("expires"))
    if expires is None or abs((expires - expiration).total_seconds()) >= 1:
        return None
    issued = _parse(fields.get("issued"))
    if issued is None:
        return None
    mfa_text = fields.get("mfa")
    if mfa_text in ("none", "unknown"):
        return SessionTimes(issued, None, mfa_text == "unknown")
    mfa = _parse(mfa_text)
    return SessionTimes(issued, mfa) if mfa is not None else None


def session_length(times: SessionTimes | None, expiration: datetime | None) -> float | None:
    """The session's own length in seconds, when we recorded when we got it."""
    if times is None or expiration is None:
        return None
    length = (expiration - times.issued_at).total_seconds()
    return length if length > 0 else None


def mfa_deadline(times: SessionTimes | None, max_mfa_age: int | None) -> datetime | None:
    """When the MFA behind the session becomes older than `max_mfa_age`, or None when no
    age applies (no limit set, no MFA used, or the moment isn't known)."""
    if not max_mfa_age or times is None or times.mfa_at is None:
        return None
    return times.mfa_at + timedelta(seconds=max_mfa_age)


class Clock(NamedTuple):
    """Which of a session's two clocks ends first, and when."""

    ends_at: datetime | None
    #: "mfa" when the MFA age limit comes before the expiry, else "session".
    name: str
    #: The length of that clock, in seconds (for the bar), when known.
    length: float | None


def earlier_clock(expiration: datetime | None, times: SessionTimes | None,
                  max_mfa_age: int | None, lifetime: float | None) -> Clock:
    """The clock that runs out first: the session's expiry, or its MFA age limit.

    The one rule for "when does this session stop being useful": status rows, the TUI,
    `watch` and the Keeper all take the due moment from here. `lifetime`: the session's
    configured length, used for the bar when the record doesn't say (a peer's session)."""
    if not max_mfa_age:  # (most sessions: one clock)
        return Clock(expiration, "session", session_length(times, expiration) or lifetime)
    deadline = mfa_deadline(times, max_mfa_age)
    if expiration is not None and deadline is not None and deadline < expiration:
        return Clock(deadline, "mfa", float(max_mfa_age or 0) or None)
    return Clock(expiration, "session", session_length(times, expiration) or lifetime)


def past_mfa_age(times: SessionTimes | None, max_mfa_age: int | None, now: datetime,
                 margin: timedelta = timedelta(0)) -> bool:
    """Whether the MFA behind a session is (within `margin` of being) too old for
    `max_mfa_age`: a call that needs fresh MFA would be refused, so a code is needed."""
    deadline = mfa_deadline(times, max_mfa_age)
    return deadline is not None and deadline - now <= margin
