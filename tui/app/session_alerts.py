"""What to do when a session enters its lead time, decided once per session expiry.

Chained role sessions and sessions with an mfa_command refresh by themselves. Any other
needs a person: the row is marked "needs code", and (unless it was already expired when
the app first saw it) the bell rings and a toast says so. The decision is keyed on the
session's expiry, so a new session starts over and nothing fires twice.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tui.engine.profile_status import StatusRow
from tui.engine.schedule import ScheduleEntry, SessionState, format_time_left

DUE = (SessionState.EXPIRING, SessionState.EXPIRED)


@dataclass
class SessionAlerts:
    needs_code: set[str] = field(default_factory=set)
    _handled: dict[str, datetime | None] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)
    #: The rows needing a code, soonest expiry first; None when needs_code or the rows
    #: changed (so the title costs O(log n) a tick, not a scan of every row).
    _waiting: list[tuple[datetime, str]] | None = None

    def seen(self, name: str) -> bool:
        return name in self._seen

    def check(self, row: StatusRow, entry: ScheduleEntry, first_look: bool) -> str | None:
        """"refresh" (by itself), "alert" (ring and tell), or None (nothing new)."""
        self._seen.add(row.name)
        if entry.state not in DUE or entry.expires_at is None:
            if entry.state is SessionState.FRESH and row.name in self.needs_code:
                self.needs_code.discard(row.name)
                self._waiting = None
            return None
        if row.name in self._handled and self._handled[row.name] == entry.expires_at:
            return None
        self._handled[row.name] = entry.expires_at
        if row.refreshes_itself:
            return "refresh"
        self.needs_code.add(row.name)
        self._waiting = None
        if first_look and entry.state is SessionState.EXPIRED:
            return None
        return "alert"

    def refreshed(self, name: str) -> None:
        self.needs_code.discard(name)
        self._waiting = None

    def forget_missing(self, names: set[str]) -> None:
        """Called with each new set of rows (it drops the cached soonest row too)."""
        self._waiting = None
        self.needs_code &= names
        self._seen &= names
        for name in [n for n in self._handled if n not in names]:
            del self._handled[name]

    def soonest(self, rows: list[StatusRow], now: datetime) -> tuple[str, timedelta] | None:
        """The row needing a code whose session ends first, and its time left."""
        if self._waiting is None:
            self._waiting = sorted(
                ((r.entry.expires_at, r.name) for r in rows
                 if r.name in self.needs_code and r.entry.expires_at is not None),
                key=lambda pair: pair[0])
        waiting = self._waiting
        if not waiting:
            return None
        first_live = bisect_right(waiting, now, key=lambda pair: pair[0])
        expires_at, name = waiting[first_live] if first_live < len(waiting) else waiting[0]
        return name, expires_at - now

    def title(self, rows: list[StatusRow], now: datetime) -> str | None:
        """"work needs a code: 0:04:12 left", for the header and the terminal title."""
        soonest = self.soonest(rows, now)
        if soonest is None:
            return None
        name, left = soonest
        if left.total_seconds() > 0:
            return f"{name} needs a code: {format_time_left(left)} left"
        return f"{name} expired: needs a code"
