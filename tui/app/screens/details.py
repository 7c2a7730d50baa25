"""Details of one profile: what the files say at once, what IAM says when it answers.

The time left counts down with the app's clock. Every value from the files or from AWS
is shown as plain text, never read as markup. Closing hands back what IAM said (or
None), so the main screen can name the IAM user in its Account/user column."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static
from textual.worker import get_current_worker

from tui.app import engine_calls, messages
from tui.app.screens.dialog import Dialog
from tui.app.time_words import time_left_words
from tui.app.widgets.countdown_bar import SessionCountdown
from tui.app.widgets.profile_columns import stale_reason
from tui.engine.profiles.identity_details import IdentityDetails
from tui.engine.profiles.status import CodeMode, ProfileKind, StatusRow
from tui.engine.secret import mask_key_id
from tui.engine.sessions.service import SessionService
from tui.engine.sessions.state_words import state_words


def _exact(moment: datetime | None) -> str:
    """In UTC, and in local time too where that isn't UTC."""
    if moment is None:
        return "—"
    utc = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    local = moment.astimezone()
    if not local.utcoffset():
        return utc
    return f"{utc} ({local:%H:%M:%S %Z} local)"


def _days(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "unknown"
    days = (now - then).days
    return "today" if days <= 0 else ("1 day" if days == 1 else f"{days} days")


class _PlainGrid(Table):
    """A grid whose string cells are plain text: names from the files may hold `[`."""

    def add_row(self, *cells: object, **kwargs: object) -> None:  # type: ignore[override]
        plain = [Text(c) if isinstance(c, str) else c for c in cells]
        super().add_row(*plain, **kwargs)  # type: ignore[arg-type]


class DetailsScreen(Dialog[IdentityDetails | None]):

    BINDINGS = [
        Binding("escape", "close", "Close", id="details.close", tooltip="Back to the table"),
        Binding("enter", "close", "Close", show=False, id="details.close_enter"),
    ]

    def __init__(self, service: SessionService, row: StatusRow, last_error: str | None,
                 now: datetime) -> None:
        super().__init__()
        self.service = service
        self.row = row
        self.last_error = last_error
        self.now = now
        self.details: IdentityDetails | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"{self.row.name}", id="title", markup=False)
            # Scrolls where the terminal is too short for it all (↑/↓, the mouse wheel).
            with VerticalScroll(id="lines"):
                yield Static(self._from_files(self.now), id="files")
                yield Static(Text("asking IAM about the access keys…", style="dim"),
                             id="iam")
            yield Static("Esc closes", id="hint")

    def on_mount(self) -> None:
        self.query_one("#lines", VerticalScroll).focus()
        self.load_details()

    def _fit_scroll(self) -> None:
        super()._fit_scroll()
        self.call_after_refresh(self._say_how_to_scroll)

    def _say_how_to_scroll(self) -> None:
        more = self.query_one("#lines", VerticalScroll).max_scroll_y > 0
        self.query_one("#hint", Static).update("Esc closes · ↑/↓ scroll" if more
                                               else "Esc closes")

    @work(thread=True, exclusive=True, group="details", exit_on_error=False,
          description="ask IAM about the identity")
    def load_details(self) -> None:
        if get_current_worker().is_cancelled:
            return
        self.post_message(engine_calls.identity_details(self.service, self.row))

    def _grid(self) -> _PlainGrid:
        grid = cast(_PlainGrid, _PlainGrid.grid(padding=(0, 2)))  # grid() builds a cls
        grid.add_column(style="bold", no_wrap=True, min_width=18)
        grid.add_column(overflow="fold")
        return grid

    def clock_tick(self, now: datetime) -> None:
        """The app's 1-second clock: the time left counts down here too."""
        self.now = now
        self.query_one("#files", Static).update(self._from_files(now))

    def _from_files(self, now: datetime) -> _PlainGrid:
        row = self.row
        entry = SessionCountdown.of(row).at(now, self.service.current_settings.lead_time)
        grid = self._grid()
        if row.kind == ProfileKind.ROLE:
            grid.add_row("Role", row.role_arn or "—")
            grid.add_row("Starts from", row.identity)
        grid.add_row("Session profile", row.target)
        grid.add_row("MFA device", row.mfa_serial or "not configured (found through IAM)")
        if row.kind == ProfileKind.IDENTITY:
            grid.add_row("Access key", mask_key_id(row.access_key_id))
        grid.add_row("Refreshes", {
            CodeMode.COMMAND: "by itself, with mfa_command",
            CodeMode.CHAINED: "by itself, chained from the MFA session",
            CodeMode.CODE: "with a code you type",
        }.get(row.code_mode, row.code_mode))
        grid.add_row("Expires", _exact(entry.expires_at))
        if not stale_reason(row) and entry.time_left is not None:
            left = entry.time_left
            grid.add_row("Time left" if left.total_seconds() > 0 else "Expired",
                         time_left_words(left))
        # In the words of the table and `status` ("no session", "stale (key rotated)").
        grid.add_row("State", state_words(entry.state, row.stale, row.blocked))
        problem = self.last_error or row.blocked
        grid.add_row("Last error", Text(problem, style="bold") if problem else Text("none"))
        return grid

    @on(messages.DetailsLoaded)
    def _show_iam(self, message: messages.DetailsLoaded) -> None:
        target = self.query_one("#iam", Static)
        if message.details is None:
            target.update(Text(f"IAM: {message.error}", style="bold"))
            return
        self.details = message.details
        target.update(self._from_iam(message.details))
        self.call_after_refresh(self._say_how_to_scroll)  # it may not all fit any more

    def _from_iam(self, details: IdentityDetails) -> _PlainGrid:
        grid = self._grid()
        grid.add_row("Account", details.account)
        grid.add_row("IAM ARN", details.arn)
        own = self.row.access_key_id if self.row.kind == ProfileKind.IDENTITY else None
        for key in details.keys:
            mark = " (this profile)" if own and key.access_key_id == own else ""
            used = (f", last used {_days(self.now, key.last_used)} ago"
                    if key.last_used else ", never used")
            used = used.replace("today ago", "today")
            grid.add_row(
                f"Key {mask_key_id(key.access_key_id)}",
                f"{key.status}, age {_days(self.now, key.created)}{used}{mark}",
            )
        grid.add_row("Asked IAM as", details.signed_with)
        return grid

    def action_close(self) -> None:
        self.dismiss(self.details)
