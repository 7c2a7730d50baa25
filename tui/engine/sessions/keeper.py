"""The one owner of "keep sessions fresh": what is due, in what order, how, and when next.

`watch`, the TUI (and the credentials agent) each run a loop; none of them decides. They
hand the `Keeper` the status rows (`update`) and ask it, whenever they wake up, what to do
now (`due`). Each answer is a `Renewal`: a row whose session entered its lead time (or
ended), parents before the roles assumed from them, with whether it renews alone (a role
chained from a valid session, or the identity's mfa_command) or needs a person's code.

- Decided once per expiry: a session is offered once for each expiry it has; a new
  session (a new expiry) starts over. A row being renewed (`busy`) is held and looked at
  again on the next call, not forgotten.
- After a failure (`failed`) the row is offered again after a backoff: 5 s, 10 s, 20 s ...
  up to 10 minutes; for a refused code, not before the next 30-second code; for an error
  that is not transient (a rejected key, a denied policy), not before a minute.
- `next_wakeup` is the earliest of: a lead time beginning, a retry, and the moment a
  session some chained role is assumed from stops being usable (then the rows must be
  read again: `reread_due`, since such a role now needs a code).

A call costs what changed, not every row: rows not yet in their lead time wait in a heap
keyed by when it begins, so a TUI with 2,000 rows looks at the few whose time came. The
clock is the caller's (`now` on every call): tests move it, nothing here sleeps.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from tui.engine.mfa.codes import seconds_left_in_window
from tui.engine.named_tuple import NamedTuple
from tui.engine.profiles.status import CHAIN_MARGIN, CodeMode, ProfileKind, StatusRow
from tui.engine.sessions.schedule import RefreshSchedule, ScheduleEntry, SessionState

FIRST_RETRY = 5.0
MAX_RETRY = 600.0
#: Seconds before retrying after an error that is not transient (don't hammer AWS).
REFUSED_RETRY = 60.0
#: States in which a session with an expiry is due.
_DUE = (SessionState.EXPIRING, SessionState.EXPIRED)


class Renewal(NamedTuple):
    """One row to act on now."""

    row: StatusRow
    #: The row's schedule entry at the moment asked about.
    entry: ScheduleEntry
    #: It renews without a person: chained from a valid session, or an mfa_command.
    alone: bool
    #: The keeper had not seen this row before (at start, say): an already-ended session
    #: needing a code is shown, not rung about.
    first_look: bool
    #: Offered again after a failed renewal.
    retry: bool = False

    @property
    def name(self) -> str:
        return self.row.name


class Keeper:
    """Keeps one set of rows fresh. Not thread-safe: one loop owns it."""

    def __init__(self, lead_time: int = 300, *, start_missing: bool = False) -> None:
        self.lead_time = lead_time
        #: Also renew sessions that don't exist yet (watch does; the TUI leaves that to
        #: the person, who may never use that profile).
        self.start_missing = start_missing
        self.rows: list[StatusRow] = []
        #: Rows that need a person's code now (offered, not renewed since).
        self.needs_code: set[str] = set()
        self._by_name: dict[str, StatusRow] = {}
        self._handled: dict[str, datetime | None] = {}
        self._seen: set[str] = set()
        #: (start of lead time, name) for rows not yet in it, soonest first.
        self._heap: list[tuple[datetime, str]] = []
        #: The lead time and the moment the heap was built for (None: build it again).
        self._heap_for: tuple[int, datetime] | None = None
        self._held: set[str] = set()
        self._delays: dict[str, float] = {}
        self._not_before: dict[str, datetime] = {}
        self._chain_ends: datetime | None = None
        #: Rows needing a code, soonest expiry first (None: sort again).
        self._waiting: list[tuple[datetime, str]] | None = None

    # ------------------------------------------------------------ what the loop tells
    def update(self, rows: list[StatusRow], now: datetime) -> None:
        """New rows (the files were read again): every row is looked at on the next
        `due`, and what was known of rows that are gone is dropped."""
        self.rows = rows
        self._by_name = {}
        for row in rows:
            self._by_name.setdefault(row.name, row)
        names = set(self._by_name)
        self.needs_code &= names
        self._seen &= names
        for gone in [n for n in self._handled if n not in names]:
            del self._handled[gone]
        for gone in [n for n in self._not_before if n not in names]:
            self.succeeded(gone)
        self._heap_for = None
        self._waiting = None
        self._chain_ends = self._first_chain_end(now)

    def succeeded(self, name: str) -> None:
        """A renewal of `name` worked (or it no longer needs one): no backoff, no code."""
        self._delays.pop(name, None)
        self._not_before.pop(name, None)
        if name in self.needs_code:
            self.needs_code.discard(name)
            self._waiting = None

    def failed(self, name: str, now: datetime, *, code_refused: bool = False,
               transient: bool = True) -> float:
        """A renewal of `name` failed: it is offered again after the returned delay."""
        delay = min(self._delays.get(name, FIRST_RETRY / 2) * 2, MAX_RETRY)
        if code_refused:
            # A code is good once: the earliest useful retry is the next 30-second code.
            delay = max(delay, seconds_left_in_window(now.timestamp()) + 1.0)
        elif not transient:
            delay = max(delay, REFUSED_RETRY)
        self._delays[name] = delay
        self._not_before[name] = now + timedelta(seconds=delay)
        self._handled.pop(name, None)
        return delay

    # ------------------------------------------------------------ what the keeper says
    def due(self, now: datetime, busy: Collection[str] = (),
            lead_time: int | None = None) -> list[Renewal]:
        """The rows to act on now, each parent before the roles assumed from it. Rows in
        `busy` (being renewed) are held for the next call."""
        if lead_time is not None:
            self.lead_time = lead_time
        schedule = RefreshSchedule(self.lead_time)
        renewals = []
        for row in sorted(self._candidates(now), key=lambda r: r.depth):
            if row.blocked:
                continue
            if row.name in busy:
                self._held.add(row.name)
                continue
            retry = row.name in self._not_before
            if retry and now < self._not_before[row.name]:
                continue
            entry = schedule.entry(row.name, row.entry.expires_at, row.lifetime,
                                   row.entry.error, now)
            first_look = row.name not in self._seen
            self._seen.add(row.name)
            if not self._is_due(entry):
                if entry.state is SessionState.FRESH:
                    self.succeeded(row.name)
                continue
            if self._handled.get(row.name, False) == entry.expires_at:
                continue  # decided already for this expiry
            self._handled[row.name] = entry.expires_at
            alone = row.refreshes_itself
            if not alone and row.name not in self.needs_code:
                self.needs_code.add(row.name)
                self._waiting = None
            renewals.append(Renewal(row, entry, alone, first_look, retry))
        return renewals

    def next_wakeup(self, now: datetime) -> datetime | None:
        """The next moment `due` may have something new (never before `now`)."""
        times = list(self._not_before.values())
        if self._held or (self._heap_for is None and self.rows):
            times.append(now)  # rows not looked at yet
        elif self._heap:
            times.append(self._heap[0][0])
        if self._chain_ends is not None:
            times.append(self._chain_ends)
        return max(now, min(times)) if times else None

    def reread_due(self, now: datetime) -> bool:
        """Whether a session some chained role is assumed from stopped being usable since
        the rows were read: read them again (such a role now needs a code). Says so once."""
        if self._chain_ends is None or now < self._chain_ends:
            return False
        self._chain_ends = None
        return True

    def soonest_needing_code(self, now: datetime) -> tuple[str, timedelta] | None:
        """The row needing a code whose session ends first (the first still running, else
        the first that ended), and its time left."""
        if self._waiting is None:
            self._waiting = sorted(
                (row.entry.expires_at, row.name) for name in self.needs_code
                if (row := self._by_name.get(name)) is not None
                and row.entry.expires_at is not None)
        waiting = self._waiting
        if not waiting:
            return None
        from bisect import bisect_right

        first_live = bisect_right(waiting, now, key=lambda pair: pair[0])
        expires_at, name = waiting[first_live] if first_live < len(waiting) else waiting[0]
        return name, expires_at - now

    # ------------------------------------------------------------ inside
    def _is_due(self, entry: ScheduleEntry) -> bool:
        if entry.state in _DUE and entry.expires_at is not None:
            return True
        return self.start_missing and entry.state is SessionState.NONE

    def _candidates(self, now: datetime) -> Iterable[StatusRow]:
        """Every row after `update` (or a change of lead time, or a clock set back); else
        the rows whose lead time began since the last call, the held ones and the
        retries whose time came."""
        last = self._heap_for
        if last is None or last[0] != self.lead_time or now < last[1]:
            start = timedelta(seconds=self.lead_time)
            self._heap = [(row.entry.expires_at - start, row.name) for row in self.rows
                          if not row.blocked and row.entry.expires_at is not None
                          and row.entry.expires_at - start > now]
            heapq.heapify(self._heap)
            self._held.clear()
            names = [row.name for row in self.rows]
        else:
            names = sorted(self._held)
            self._held.clear()
            while self._heap and self._heap[0][0] <= now:
                names.append(heapq.heappop(self._heap)[1])
            names += [n for n, t in self._not_before.items() if t <= now and n not in names]
        self._heap_for = (self.lead_time, now)
        return [row for name in dict.fromkeys(names) if (row := self._by_name.get(name))]

    def _first_chain_end(self, now: datetime) -> datetime | None:
        """The soonest moment after `now` when a session some chained role is assumed
        from (up its chain) stops being usable for chaining."""
        ends: list[datetime] = []
        for row in self.rows:
            if row.kind != ProfileKind.ROLE or row.code_mode != CodeMode.CHAINED:
                continue
            source = self._by_name.get(row.parent or row.identity)
            while source is not None:
                if source.entry.expires_at is not None:
                    ends.append(source.entry.expires_at - CHAIN_MARGIN)
                if source.kind != ProfileKind.ROLE:
                    break
                source = self._by_name.get(source.parent or source.identity)
        return min((end for end in ends if end > now), default=None)
