"""When each session needs attention: a pure function of expiry, lead time and the clock.

`status`, the TUI and the `Keeper` (which decides what `watch` and the TUI renew, and
when) ask the schedule what state a profile is in and when it next needs action. The clock
is injected, so tests and snapshots are exact, and it is wall-clock time (not monotonic),
so the answer is right after a laptop wakes from sleep.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tui.engine.named_tuple import NamedTuple

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class SessionState(enum.Enum):
    FRESH = "fresh"
    EXPIRING = "expiring"  # inside the lead time: refresh now
    EXPIRED = "expired"
    NONE = "none"  # no session yet
    ERROR = "error"  # the last attempt failed, or the target can't be written

    #: Members are singletons compared by identity, so identity hashes them: Enum's own
    #: `__hash__` is Python code (`hash(self._name_)`), run for every dict lookup keyed
    #: by a state, several per row (`status` at 2,000 rows: about 6,000 a run).
    __hash__ = object.__hash__

    @property
    def needs_refresh(self) -> bool:
        return self in (SessionState.EXPIRING, SessionState.EXPIRED, SessionState.NONE)


class ScheduleEntry(NamedTuple):
    profile: str
    state: SessionState
    expires_at: datetime | None
    time_left: timedelta | None
    #: When this profile next needs action (refresh at expiry - lead time). None: never.
    next_action_at: datetime | None
    #: Share of the session's lifetime left, 0.0-1.0 (for countdown bars).
    fraction_left: float
    error: str | None = None


_NO_TIME = timedelta(0)
#: Each lead time as a timedelta, made once (`entry` runs for every row on every tick).
_LEADS: dict[int, timedelta] = {}


def _lead(seconds: int) -> timedelta:
    lead = _LEADS[seconds] = timedelta(seconds=seconds)
    return lead


class RefreshSchedule(NamedTuple):
    lead_time: int = 300
    clock: Clock = system_clock

    def now(self) -> datetime:
        return self.clock()

    def entry(
        self,
        profile: str,
        expires_at: datetime | None,
        lifetime: float | None = None,
        error: str | None = None,
        now: datetime | None = None,
    ) -> ScheduleEntry:
        now = now or self.clock()
        if expires_at is None:
            state = SessionState.ERROR if error else SessionState.NONE
            return ScheduleEntry(profile, state, None, None, now, 0.0, error)
        lead = _LEADS.get(self.lead_time) or _lead(self.lead_time)
        left = expires_at - now
        if left <= _NO_TIME:
            state = SessionState.EXPIRED
            fraction = 0.0
        else:
            state = SessionState.EXPIRING if left <= lead else SessionState.FRESH
            seconds = left.total_seconds()
            total = lifetime or seconds
            fraction = max(0.0, min(1.0, seconds / total)) if total > 0 else 0.0
        if error:
            state = SessionState.ERROR
        next_action = max(now, expires_at - lead)
        return ScheduleEntry(profile, state, expires_at, left, next_action, fraction, error)


def format_time_left(left: timedelta | None) -> str:
    """`H:MM:SS`; expired sessions show how long ago as `-H:MM:SS`."""
    if left is None:
        return "-:--:--"
    seconds = int(left.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
