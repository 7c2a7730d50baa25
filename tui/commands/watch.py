"""`watch [PROFILE...]`: a headless keeper for a terminal or a service.

It sleeps until the engine's `Keeper` says a session enters its lead time, then refreshes
it through the code sources (mfa_command, a terminal prompt, askpass) or, for a role chained
from a valid MFA session, with no code at all. Network errors and throttling are retried
with backoff; no error makes it exit. SIGTERM and Ctrl-C end it cleanly (exit 0).

Sleeps are capped at 30 s and measured on the wall clock, so it is right after a laptop
wakes up, and notices sessions that another tool refreshed meanwhile.
"""

from __future__ import annotations

import argparse
import signal
import threading
from dataclasses import dataclass, field

from tui.commands.agent_first import serve_for_watch
from tui.commands.common_options import profile_names
from tui.commands.context import notice, service_from
from tui.commands.report import report_result
from tui.engine import free_memory
from tui.engine.errors import AwsMfaError, MfaCodeError, UsageError
from tui.engine.profiles.status import StatusRow
from tui.engine.sessions.keeper import Keeper
from tui.engine.sessions.service import SessionService

MAX_SLEEP = 30.0


def options(parser: argparse.ArgumentParser) -> None:
    profile_names(parser)
    parser.add_argument("--once", action="store_true",
                        help="refresh whatever is due, then exit (for cron or a systemd timer)")


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    agent = None if args.once else serve_for_watch(service)
    try:
        watch = Watch(service, args.profiles, retry=not args.once)
        watched = ", ".join(watch.describe()) or "no profiles"
        notice(f"checking {watched} once" if args.once
               else f"watching {watched}; Ctrl-C to stop")
        while not stop.is_set():
            watch.pass_once()
            if args.once:
                break
            free_memory.release()  # it may sleep for hours: not on pages it no longer uses
            stop.wait(watch.seconds_until_next())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if agent is not None:
            agent.stop()
    if args.once:
        # For cron or a timer: the worst failure's exit code, so the caller sees it.
        worst = max((e.exit_code for e in watch.failures), default=0)
        if watch.failures:
            notice(f"{len(watch.failures)} profile(s) failed; exit {worst}")
        return worst
    notice("stopped")
    return 0


@dataclass
class Watch:
    """The loop's state: which profiles, the engine's `Keeper`, and what was reported.
    What is due, in what order, and when to retry are the Keeper's to say."""

    service: SessionService
    only: list[str]
    retry: bool = True  # False for --once: nothing will retry, so say nothing of it
    keeper: Keeper = field(default_factory=lambda: Keeper(start_missing=True))
    failures: list[AwsMfaError] = field(default_factory=list)
    #: Why profiles can't be kept fresh (e.g. a broken role chain), each said once.
    told: set[str] = field(default_factory=set)

    def rows(self) -> list[StatusRow]:
        rows = self.service.status()
        if not self.only:
            return rows
        wanted = set(self.only)
        return [r for r in rows if r.name in wanted or r.target in wanted or r.identity in wanted]

    def describe(self) -> list[str]:
        """The names watched; an unknown name is a usage error (not a silent no-op)."""
        try:
            if self.only:
                from tui.commands.status import rows_named

                rows_named(self.service.status(), self.only)
            return [row.name for row in self.rows()]
        except UsageError:
            raise
        except AwsMfaError as exc:
            notice(str(exc))
            return []

    def pass_once(self) -> None:
        try:
            rows = self.rows()
        except AwsMfaError as exc:  # e.g. the file is mid-edit by hand and doesn't parse
            notice(str(exc))
            self.failures.append(exc)
            return
        self.tell_blocked(rows)
        now = self.service.clock()
        self.keeper.update(rows, now)
        for renewal in self.keeper.due(now, lead_time=self.service.current_settings.lead_time):
            self.refresh(renewal.row)

    def tell_blocked(self, rows: list[StatusRow]) -> None:
        """Say once why a profile can't be refreshed (a cycle in a role chain names the
        chain once, not once per role in it); with --once it counts as a failure."""
        names: dict[str, list[str]] = {}
        for row in rows:
            if row.blocked:
                names.setdefault(row.blocked, []).append(row.name)
        for reason, who in names.items():
            if reason in self.told:
                continue
            self.told.add(reason)
            notice(f"{', '.join(who)}: {reason}")
            if not self.retry:
                self.failures.append(UsageError(reason))

    def refresh(self, row: StatusRow) -> None:
        try:
            # Not forced: a row renewed meanwhile (another process, or an identity whose
            # section holds aws-mfa's role session, renewed with that role) is skipped.
            result = self.service.renew(row.name, force=False)
        except AwsMfaError as exc:
            self.failures.append(exc)
            if not self.retry:
                notice(f"{row.name}: {exc}")
                return
            delay = self.keeper.failed(row.name, self.service.clock(),
                                       code_refused=isinstance(exc, MfaCodeError),
                                       transient=exc.transient)
            notice(f"{row.name}: {exc} (retrying in {int(delay)} s)")
            return
        self.keeper.succeeded(row.name)
        report_result(result, self.service.clock())

    def seconds_until_next(self) -> float:
        now = self.service.clock()
        wake = self.keeper.next_wakeup(now)
        if wake is None:
            return MAX_SLEEP
        return max(1.0, min(MAX_SLEEP, (wake - now).total_seconds()))
