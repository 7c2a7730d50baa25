"""Durations that negotiate: asking AWS for a session no longer than it will give.

AWS refuses a `DurationSeconds` longer than a role's MaxSessionDuration (1 to 12 hours), than
1 hour for a role assumed from a session (a chain), or outside GetSessionToken's range. The
rules, in order:

1. Where the shorter duration is known before the call, it is used up front: the chain
   cap (the source is a session; `SessionService._chained_duration`) and GetSessionToken's
   range (`check_duration`) are known; a role's MaxSessionDuration is read with IAM
   GetRole where the key may call it, before any call that carries a code.
2. A call that carries a code is never retried: the code is spent. A retry that would need
   a second code is made only with a second code from the code source (a person at the
   prompt, an mfa_command); with none (`--token-code`), the error says what to set.
3. A call without a code that AWS refuses as too long is retried once with the longest
   allowed: read from the error, else from GetRole, else 1 hour.

What was used and why is said once per role, as a note.
"""

from __future__ import annotations

from collections.abc import Callable

from tui.engine.aws import calls as aws_calls
from tui.engine.aws.calls import DurationRejected
from tui.engine.credential_values import AwsKeys, SessionCredentials
from tui.engine.errors import MfaCodeError, UsageError
from tui.engine.secret import Secret

#: What AWS allows when nothing else says: every role allows at least 1 hour.
FALLBACK_DURATION = 3600

#: (device, code) for a call: (None, None) for a call without MFA.
Mfa = tuple[str | None, Secret | None]


def up_front(role_name: str, role_arn: str, duration: int | None, lookup_keys: AwsKeys,
             notes: list[str]) -> int | None:
    """The duration to ask for a role assumed with a code: `duration`, or the role's
    MaxSessionDuration when GetRole says it is shorter (with a note)."""
    if not duration or duration <= FALLBACK_DURATION:
        return duration
    cap = aws_calls.role_max_duration(lookup_keys, role_arn)
    if cap is not None and cap < duration:
        notes.append(f"{role_name} allows at most {cap} s (its MaxSessionDuration, from IAM "
                     f"GetRole): asked for {cap} s, not {duration} s")
        return cap
    return duration


def assume(
    keys: AwsKeys, role_name: str, role_arn: str, session_name: str, duration: int | None,
    mfa: Mfa, region: str | None, lookup_keys: AwsKeys,
    next_code: Callable[[], Mfa], notes: list[str],
) -> SessionCredentials:
    """AssumeRole, negotiating the duration as the module says. `next_code` gives a second
    code when a retry needs one (it raises `MfaCodeError` when there is none)."""
    device, code = mfa
    try:
        return aws_calls.assume_role(keys, role_arn, session_name, duration, device, code,
                                     region)
    except DurationRejected as rejected:
        allowed = rejected.allowed or aws_calls.role_max_duration(lookup_keys, role_arn) or (
            FALLBACK_DURATION)
        if duration and allowed >= duration:
            allowed = FALLBACK_DURATION  # the cap we read can't be right: the safe floor
        if code is not None:
            try:
                device, code = next_code()
            except MfaCodeError:
                raise UsageError(
                    f"AWS refused {duration} s for {role_name} ({rejected.reason}) and the "
                    f"code is spent, so nothing was saved: set duration_seconds = {allowed} "
                    f"for it (or pass --duration {allowed}) and run again with the next code"
                ) from None
        notes.append(f"AWS refused {duration} s for {role_name} ({rejected.reason}): "
                     f"asked again for {allowed} s")
        return aws_calls.assume_role(keys, role_arn, session_name, allowed, device, code,
                                     region)
