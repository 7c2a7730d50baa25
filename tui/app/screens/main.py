"""The main screen: the profile table, the line about the highlighted profile, the log.

It owns every state change. Engine calls run in thread workers (`@work`), which post
the small messages `engine_calls` returns; the handlers here update the table. The app's one
1-second tick calls `clock_tick`, which recomputes countdowns from the injected clock and
acts on what the engine's `Keeper` says is due: a renewal that needs no person starts (and
is retried with backoff when it fails, as `watch` does); one that needs a code rings.
Outside edits of the files arrive as `FilesChanged` from a background `FileWatcher`. Codes
are asked one profile at a time (`code_prompts`); a rotation cut off before the start is
found in its journal once the rows are painted (`rotation_journal_check`).

Every name from the files or from AWS reaches a toast as plain text (`markup=False`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ActiveBinding, Screen
from textual.widgets import Header
from textual.worker import Worker, WorkerState, get_current_worker

from tui.app import engine_calls, messages
from tui.app.code_prompts import CodePrompts
from tui.app.file_watcher import FileWatcher, files_stamp
from tui.app.rotation_journal_check import cut_off_rotations
from tui.app.time_words import time_left_words, until_words
from tui.app.widgets.file_problem import FileProblem
from tui.app.widgets.footer import AppFooter
from tui.app.widgets.log_panel import LogPanel
from tui.app.widgets.profile_columns import NO_FLAGS, RowFlags, stale_reason, theme_colours
from tui.app.widgets.profile_summary import ProfileSummary
from tui.app.widgets.profile_table import FlagsOf, ProfileTable
from tui.engine.profiles.identity_details import IdentityDetails
from tui.engine.profiles.status import CodeMode, ProfileKind, StatusRow
from tui.engine.sessions.keeper import Keeper, Renewal
from tui.engine.sessions.schedule import SessionState, format_time_left
from tui.engine.sessions.service import SessionService

#: How long the mounted screen waits for the first status read (`FirstStatus`) before it
#: draws without the rows and reads them in a worker.
FIRST_STATUS_WAIT = 0.2

# The other screens are imported when first opened: the first paint doesn't wait for them.


class MainScreen(Screen[None]):
    BINDINGS = [
        Binding("r", "refresh_selected", "Refresh", id="main.refresh",
                tooltip="Refresh the highlighted profile, or every marked one"),
        Binding("a", "refresh_due", "Due", id="main.refresh_due",
                tooltip="Refresh every session that is expiring or expired"),
        Binding("K", "rotate_key", "Rotate", id="main.rotate",
                tooltip="Rotate the access key of the highlighted identity"),
        Binding("l", "logout", "Logout", id="main.logout",
                tooltip="Log out the marked (or highlighted) session profiles, after asking"),
        Binding("s", "settings", "Settings", id="main.settings",
                tooltip="Session length, lead time, naming, mfa_command, theme"),
        Binding("o", "console", "Console", id="main.console",
                tooltip="AWS console for the highlighted role"),
        Binding("g", "toggle_log", "Log", id="main.log",
                tooltip="Show or hide the event log"),
    ]

    def __init__(self, service: SessionService) -> None:
        super().__init__()
        self.service = service
        self.rows: list[StatusRow] = []
        self._by_name: dict[str, StatusRow] = {}
        #: What is due and when: the engine's one rule, shared with `watch`.
        self.keeper = Keeper(service.current_settings.lead_time)
        self.loaded = False
        #: Why the files can't be read, until they parse again.
        self.file_error: str | None = None
        self._journal_checked = False
        self.busy: set[str] = set()
        #: Roles to refresh once the session they are assumed from is renewed.
        self._after_source: list[str] = []
        #: Rows whose refresh waits for its mfa_command (a security key to be touched?).
        self.waiting_for_command: set[str] = set()
        self.errors: dict[str, str] = {}
        self.marked: set[str] = set()
        self.codes = CodePrompts(self)
        self._frame = 0
        #: Status reads asked for, and the latest one handled (`StatusLoaded.read`).
        self._reads = self._reads_done = 0
        paths = service.paths
        self.watcher = FileWatcher((paths.credentials, paths.config, paths.settings),
                                   self.post_message)
        watched = self.watcher.paths
        self._first_status: engine_calls.FirstStatus | None = engine_calls.FirstStatus(
            service, lambda: files_stamp(watched))
        self._now = service.clock()
        self._table: ProfileTable | None = None
        self._log: LogPanel | None = None
        self._summary: ProfileSummary | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◷")
        yield ProfileTable(id="profiles")
        yield FileProblem(id="file-problem")
        yield ProfileSummary(id="summary")
        yield LogPanel(id="log")
        # ctrl+p is one of the app's keys: Textual's docked palette item was cut when narrow
        yield AppFooter(compact=True, show_command_palette=False)

    #: Keys the footer shows first, so a narrow terminal still shows how to quit and get help.
    FOOTER_FIRST = ("q", "question_mark")

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        bindings = super().active_bindings
        first = {key: bindings[key] for key in self.FOOTER_FIRST if key in bindings}
        return {**first, **{k: v for k, v in bindings.items() if k not in first}}

    @property
    def table(self) -> ProfileTable:
        """(Looked up once: the 1-second tick uses it for every row.)"""
        if self._table is None:
            self._table = self.query_one(ProfileTable)
        return self._table

    @property
    def log_panel(self) -> LogPanel:
        if self._log is None:
            self._log = self.query_one(LogPanel)
        return self._log

    def on_mount(self) -> None:
        self.table.colours = theme_colours(self.app.theme_variables)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        first = self._first_status.wait(FIRST_STATUS_WAIT) if self._first_status else None
        self._first_status = None
        if first is None:
            self.reload()
        else:  # read already: the first frame shows the rows
            self._reads += 1
            first.read = self._reads
            self._status_loaded(first)
            self.app.post_message(first)  # (as if it had bubbled up: the demo waits for it)
        self.watcher.start()

    def _check_rotation_journal(self) -> None:
        """Once, after the first paint of the rows (see `rotation_journal_check`)."""
        if not self._journal_checked:
            self._journal_checked = True
            self._read_rotation_journal()

    @work(thread=True, exclusive=True, group="rotation-journal", exit_on_error=False,
          description="cut-off rotations in the journal")
    def _read_rotation_journal(self) -> None:
        if (message := cut_off_rotations(self.service)) is not None:
            self.post_message(message)

    def on_unmount(self) -> None:
        self.watcher.stop()

    @on(messages.CutOffRotation)
    def _finish_cut_off_rotation(self, message: messages.CutOffRotation) -> None:
        """The rotation screen finishes it (after a code, when one is needed)."""
        for line in message.abandoned:
            self.note(line, "warning", toast=True)
        if message.identity is not None:
            self.open_rotation(message.identity)

    def _theme_changed(self, _theme: object) -> None:
        self.table.colours = theme_colours(self.app.theme_variables)
        self.table.show(self.rows, self.flags(), self._now, self.lead_time, self._frame)

    # ------------------------------------------------------------------ workers
    def reload(self) -> None:
        """Read the files again (in a worker) and rebuild the table."""
        self._reads += 1
        self._read_status(self._reads)

    @work(thread=True, group="status", name="status", exit_on_error=False,
          description="read the files' status")
    def _read_status(self, read: int) -> None:
        if not get_current_worker().is_cancelled:
            paths = self.watcher.paths
            self.post_message(engine_calls.load_status(self.service, lambda: files_stamp(paths),
                                                       read))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker of ours raised (the app shows it): free its row."""
        if event.state is not WorkerState.ERROR:
            return
        worker = event.worker
        self.app.show_worker_error(worker)  # type: ignore[attr-defined]
        if worker.name.startswith("refresh:"):
            name = worker.name.split(":", 1)[1]
            self.busy.discard(name)
            self.waiting_for_command.discard(name)
            self.errors[name] = f"unexpected error: {type(worker.error).__name__}"
        if worker.name == "status":
            self._reads_done = self._reads

    # ------------------------------------------------------------------ state
    @property
    def lead_time(self) -> int:
        return self.service.current_settings.lead_time

    @property
    def now(self) -> datetime:
        """The time of the last tick (the injected clock's)."""
        return self._now

    @property
    def reading_status(self) -> bool:
        """A status read is under way: the table is about to change."""
        return self._reads_done < self._reads

    def flags(self) -> FlagsOf:
        """Each row's flags, built only when the table draws that row."""
        starting = self.app.emulator_starting  # type: ignore[attr-defined]
        return lambda name: self.flags_of(name, starting)

    def flags_of(self, name: str, starting: bool | None = None) -> RowFlags:
        """`starting`: whether the demo's emulator is starting, if known already."""
        if starting is None:
            starting = self.app.emulator_starting  # type: ignore[attr-defined]
        if not (starting or name in self.marked or name in self.busy
                or name in self.keeper.needs_code or name in self.errors
                or name in self.waiting_for_command):
            return NO_FLAGS  # most rows, every second
        return RowFlags(
            marked=name in self.marked, busy=name in self.busy,
            needs_code=name in self.keeper.needs_code, error=self.errors.get(name),
            waiting_for_command=name in self.waiting_for_command, starting=starting,
        )

    def row_named(self, name: str) -> StatusRow | None:
        return self._by_name.get(name)

    def note(self, message: str, level: str = "info", toast: bool = False) -> None:
        self.log_panel.add(self._now, message, level)
        if toast:
            severity = {"info": "information"}.get(level, level)
            self.app.notify(message, severity=severity,  # type: ignore[arg-type]
                            timeout=8 if level == "error" else 5, markup=False)

    def repaint(self) -> None:
        self.table.paint(self._now, self.lead_time, self.flags(), self._frame)
        self._show_summary()

    def _show_summary(self) -> None:
        row = self.table.highlighted_row()
        note = None
        if self.app.emulator_starting:  # type: ignore[attr-defined]
            note = self.app.demo_words  # type: ignore[attr-defined]
        elif row is None and self.file_error:
            note = "No profiles listed until the file parses."
        elif row is not None and row.name in self.waiting_for_command:
            note = "waiting for its mfa_command: touch your security key?"
        elif row is not None and row.name in self.keeper.needs_code:
            note = "needs a code: press r"
        if self._summary is None:
            self._summary = self.query_one(ProfileSummary)
        self._summary.show_row(row, self.errors.get(row.name) if row else None, note)

    # ------------------------------------------------------------------ the tick
    def clock_tick(self, now: datetime) -> None:
        self._now = now
        self._frame += 1
        if not self.reading_status and self.keeper.reread_due(now):
            self.reload()  # chained roles whose source ended now need a code: say so
        self._act_on(now)
        self.repaint()
        self._update_title(now)

    def _act_on(self, now: datetime) -> None:
        """Do what the Keeper says is due: renew by itself, or ring for a code."""
        for renewal in self.keeper.due(now, self.busy, self.lead_time):
            if renewal.alone:
                self._renew_alone(renewal)
            elif not (renewal.first_look and renewal.entry.state is SessionState.EXPIRED):
                self._alert_code_needed(renewal.row, renewal.entry.time_left)

    def _renew_alone(self, renewal: Renewal) -> None:
        if renewal.retry:
            self.note(f"{renewal.name}: trying again")
        else:
            self.note(f"{renewal.name} is inside its lead time: refreshing it by itself")
        self.start_refresh([renewal.name])

    def _alert_code_needed(self, row: StatusRow, left: timedelta | None) -> None:
        if stale_reason(row):
            when = f"its session is stale ({stale_reason(row)})"
        elif left is not None and left.total_seconds() <= 0:
            when = f"its session expired {time_left_words(left)}"
        else:
            when = f"{time_left_words(left)} left"
        text = f"{row.name} needs a new MFA code: {when} (press r)"
        self.app.code_needed(row.name, text)  # type: ignore[attr-defined]
        self.note(text, level="warning", toast=True)

    def _update_title(self, now: datetime) -> None:
        """The header and the terminal (tmux) title say which session needs a code."""
        text = self._code_title(now)
        idle = self.app.demo_words  # type: ignore[attr-defined]
        self.app.sub_title = text or idle
        self.app.set_terminal_title(  # type: ignore[attr-defined]
            f"aws-mfa-tui: {text}" if text else "aws-mfa-tui")

    def _code_title(self, now: datetime) -> str | None:
        """"work needs a code: 0:04:12 left", for the header and the terminal title."""
        soonest = self.keeper.soonest_needing_code(now)
        if soonest is None:
            return None
        name, left = soonest
        if left.total_seconds() > 0:
            return f"{name} needs a code: {format_time_left(left)} left"
        return f"{name} expired: needs a code"

    # ------------------------------------------------------------------ results
    @on(messages.StatusLoaded)
    def _status_loaded(self, message: messages.StatusLoaded) -> None:
        """(A later read replaces one still queued: `StatusLoaded.can_replace`.)"""
        self._reads_done = max(self._reads_done, message.read)
        self.watcher.known = message.stamp
        self.call_after_refresh(self._check_rotation_journal)
        # On screen until the files parse (a toast fades): see `FileProblem`.
        self.file_error = message.error
        self.query_one(FileProblem).show_problem(message.error, kept_rows=bool(self.rows))
        if message.error:  # (in the log; no toast: it would cover the banner saying it)
            self.note(message.error, level="error")
            if self.rows:  # keep showing what we had; the next change of the file reloads
                return
        first = not self.loaded
        self.loaded = True
        self.rows = message.rows
        self._by_name = {}
        for row in self.rows:
            self._by_name.setdefault(row.name, row)
        self.keeper.update(self.rows, self._now)
        self.marked &= set(self._by_name)
        self.table.show(self.rows, self.flags(), self._now, self.lead_time, self._frame)
        if first:
            identities = sum(1 for r in self.rows if r.kind == ProfileKind.IDENTITY)
            self.note(f"{identities} identity profiles, {len(self.rows) - identities} roles "
                      f"from {self.service.paths.credentials}")
            self.table.focus()
        self._act_on(self._now)
        self.repaint()
        self._update_title(self._now)
        if self._after_source:  # their source was renewed (or failed): their turn now
            waiting, self._after_source = self._after_source, []
            self.start_refresh(waiting)
        self.codes.open_next()

    @on(messages.FilesChanged)
    def _files_changed(self) -> None:
        """An outside edit (the watcher saw new modification times): read them again."""
        if not self.loaded or self.reading_status:
            return  # the load under way sets the stamp; a later change is seen again
        if not self.busy:
            self.note("the credentials, config or settings file changed: reloaded")
        self.reload()

    @on(messages.CommandWaiting)
    def _command_waiting(self, message: messages.CommandWaiting) -> None:
        if message.waiting:
            self.waiting_for_command.add(message.name)
            self.note(f"{message.name}: waiting for its mfa_command `{message.program}`: "
                      "touch your security key?", toast=True)
        else:
            self.waiting_for_command.discard(message.name)
        self.repaint()

    @on(messages.RefreshFinished)
    def refresh_finished(self, message: messages.RefreshFinished) -> None:
        self.busy.discard(message.name)
        self.waiting_for_command.discard(message.name)
        self.marked.discard(message.name)  # the action that used the mark is done
        if message.error:
            self.errors[message.name] = message.error
            retry = ""
            row = self.row_named(message.name)
            if not message.with_code and row is not None and row.refreshes_itself:
                delay = self.keeper.failed(message.name, self._now,
                                           code_refused=message.code_refused,
                                           transient=message.transient)
                retry = f" (retrying in {int(delay)} s)"
            self.note(f"{message.name}: {message.error}{retry}", level="error", toast=True)
            self.repaint()
            return
        self.errors.pop(message.name, None)
        self.keeper.succeeded(message.name)
        result = message.result
        if result is not None:
            self.note(f"refreshed {message.name} into [{result.target}], valid "
                      f"{until_words(result.expiration, self._now)}", toast=message.with_code)
            for extra in result.notes:
                self.note(f"{message.name}: {extra}", level="warning", toast=True)
        self.reload()

    @on(messages.LoggedOut)
    def _logged_out(self, message: messages.LoggedOut) -> None:
        if message.error:
            self.note(message.error, level="error", toast=True)
        if message.removed:
            self.note(f"logged out: {', '.join(message.removed)}", toast=True)
        self.marked.clear()
        self.reload()

    # ------------------------------------------------------------------ refreshing
    def start_refresh(self, names: list[str]) -> None:
        """Refresh these rows: by themselves when they can, else one code modal each.
        A role whose source (up its chain) is being renewed waits for it."""
        rows = sorted(filter(None, map(self.row_named, names)), key=lambda r: r.depth)
        # One refresh per section: aws-mfa's role session is both its identity's row and
        # the role's, and renewing either renews it.
        targets: set[str] = set()
        for row in rows:
            if row.target in targets:
                continue
            targets.add(row.target)
            name = row.name
            if name in self.busy or name in self.codes:
                continue
            if row.blocked:
                self.note(f"{name}: {row.blocked}", level="error", toast=True)
                self.marked.discard(name)
            elif self._source_busy(row):
                if name not in self._after_source:
                    self._after_source.append(name)
            elif row.code_mode in (CodeMode.CHAINED, CodeMode.COMMAND):
                self.run_refresh(row)
            else:
                self.codes.add(name)
        self.codes.open_next()

    def _source_busy(self, row: StatusRow) -> bool:
        """Whether a session this role is assumed from, up its chain, is being renewed."""
        while row.kind == ProfileKind.ROLE:
            source = self._by_name.get(row.parent or row.identity)
            if source is None:
                return False
            if source.name in self.busy:
                return True
            row = source
        return False

    def run_refresh(self, row: StatusRow) -> None:
        """A refresh that needs no typed code (chained, or from the mfa_command)."""
        self.busy.add(row.name)
        self.errors.pop(row.name, None)
        program = (row.mfa_command or "").split(" ", 1)[0]

        def told(waiting: bool) -> None:
            self.post_message(messages.CommandWaiting(row.name, waiting, program))

        self._refresh_alone(row, told)
        self.repaint()

    @work(thread=True, group="refresh", exit_on_error=False,
          description="a refresh with no code typed")
    def _refresh_alone(self, row: StatusRow, told: Callable[[bool], None]) -> None:
        worker = get_current_worker()
        worker.name = f"refresh:{row.name}"  # which row to free should it raise
        if not worker.is_cancelled:
            self.post_message(engine_calls.refresh(self.service, row, None, told))

    # ------------------------------------------------------------------ actions
    def selected_names(self) -> list[str]:
        if self.marked:
            return [row.name for row in self.rows if row.name in self.marked]
        row = self.table.highlighted_row()
        return [row.name] if row else []

    def action_refresh_selected(self) -> None:
        names = self.selected_names()
        if not names:
            self.app.notify("No profile to refresh", severity="warning")
            return
        self.start_refresh(names)

    def action_refresh_due(self) -> None:
        due = [row for row in self.rows if not row.blocked and self.table.countdown_at(
            row, self._now, self.lead_time).state in (SessionState.EXPIRING,
                                                      SessionState.EXPIRED)]
        due.sort(key=lambda row: row.kind != ProfileKind.IDENTITY)  # identities first: roles chain
        if not due:
            self.app.notify("Nothing is expiring", timeout=3)
            return
        self.start_refresh([row.name for row in due])

    def action_console(self) -> None:
        row = self.table.highlighted_row()
        if row is not None:
            self._open_console(row.name)

    @work(thread=True, exclusive=True, exit_on_error=False, group="console",
          description="open the AWS console")
    def _open_console(self, name: str) -> None:
        self.post_message(engine_calls.open_console(self.service, name))

    @on(messages.ConsoleOutcome)
    def _console_outcome(self, message: messages.ConsoleOutcome) -> None:
        self.note(message.text, toast=True)

    def action_toggle_log(self) -> None:
        self.log_panel.toggle()

    def action_settings(self) -> None:
        from tui.app.screens.settings import SettingsScreen

        def saved(done: bool | None) -> None:
            if done:
                self.note("settings saved", toast=True)
                self.reload()

        self.app.push_screen(SettingsScreen(self.service), saved)

    def action_rotate_key(self, name: str | None = None) -> None:
        row = self.row_named(name) if name else self.table.highlighted_row()
        if row is not None:
            self.open_rotation(row.identity)

    def open_rotation(self, identity: str) -> None:
        from tui.app.screens.rotation import RotationScreen

        self.app.push_screen(RotationScreen(self.service, identity),
                             lambda _result: self.reload())

    def action_logout(self) -> None:
        from tui.app.screens.confirm_logout import ConfirmLogoutModal

        rows = [self.row_named(name) for name in self.selected_names()]
        sessions = [row for row in rows if row is not None and row.entry.expires_at]
        if not sessions:
            self.app.notify("No session to log out here", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                names = [row.name for row in sessions]
                self._log_out(names)

        self.app.push_screen(ConfirmLogoutModal([row.target for row in sessions]), confirmed)

    @work(thread=True, group="logout", exit_on_error=False, description="log out sessions")
    def _log_out(self, names: list[str]) -> None:
        if not get_current_worker().is_cancelled:
            self.post_message(engine_calls.logout(self.service, names))

    def open_details(self, name: str) -> None:
        from tui.app.screens.details import DetailsScreen

        row = self.row_named(name)
        if row is None:
            return

        def closed(details: IdentityDetails | None) -> None:
            """IAM named the user: the Account/user column shows it from now on."""
            if details is not None and details.user_name and row.kind == ProfileKind.IDENTITY and (
                    self.table.users.get(row.identity) != details.user_name):
                self.table.users[row.identity] = details.user_name
                self.table.show(self.rows, self.flags(), self._now, self.lead_time, self._frame)

        self.app.push_screen(DetailsScreen(self.service, row, self.errors.get(name),
                                           self._now), closed)

    @on(ProfileTable.DetailsRequested)
    def _details_requested(self, message: ProfileTable.DetailsRequested) -> None:
        self.open_details(message.name)

    @on(ProfileTable.MarkToggled)
    def _mark_toggled(self, message: ProfileTable.MarkToggled) -> None:
        self.marked ^= {message.name}
        self.repaint()
        self.table.action_cursor_down()

    @on(ProfileTable.Highlighted)
    def _highlighted(self) -> None:
        self._show_summary()

    def on_resize(self) -> None:
        self.call_after_refresh(
            self.table.relayout, self._now, self.lead_time, self.flags(), self._frame)

