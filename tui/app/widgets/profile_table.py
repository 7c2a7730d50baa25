"""The main table: one row per identity profile, its session and role profiles beneath it.

The table never asks the engine for anything: the main screen hands it `StatusRow`s and
what the UI knows about each (marked, busy, needs a code, last error). `paint()` computes
every cell and only sends the cells whose text changed to the `DataTable`, so the
1-second countdown repaints a handful of cells, not the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.color import Color
from textual.message import Message
from textual.widgets import DataTable

from tui.app.widgets.countdown_bar import CountdownBar, SessionCountdown
from tui.engine.schedule import ScheduleEntry, SessionState, format_time_left
from tui.engine.sessions import StatusRow

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATE_WIDTH = 10
LEFT_WIDTH = 8
MIN_BAR = 10
MAX_BAR = 30


@dataclass(frozen=True)
class RowFlags:
    """What the UI knows about a row beyond the files."""

    marked: bool = False
    busy: bool = False
    needs_code: bool = False
    error: str | None = None


def row_key(row: StatusRow) -> str:
    return f"{row.kind}:{row.name}"


def account_and_user(row: StatusRow) -> str:
    """`ACCOUNT/USER` from `arn:aws:iam::ACCOUNT:mfa/USER` (or the role ARN): no AWS call."""
    arn = row.role_arn if row.kind == "role" else row.mfa_serial
    if not arn or not arn.startswith("arn:"):
        return ""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return ""
    name = parts[5].rsplit("/", 1)[-1]
    return f"{parts[4]}/{name}" if parts[4] else name


def state_label(row: StatusRow, state: SessionState, flags: RowFlags, frame: int) -> str:
    if flags.busy:
        return f"{SPINNER[frame % len(SPINNER)]} refresh"
    if row.blocked:
        return "blocked"
    if flags.error:
        return "error"
    if flags.needs_code and state in (SessionState.EXPIRING, SessionState.EXPIRED):
        return "needs code"
    return {
        SessionState.FRESH: "fresh",
        SessionState.EXPIRING: "expiring",
        SessionState.EXPIRED: "expired",
        SessionState.NONE: "no session",
        SessionState.ERROR: "error",
    }[state]


def theme_colours(variables: dict[str, str]) -> dict[str, str]:
    colours = {}
    for name in ("success", "warning", "error", "accent"):
        try:
            colours[name] = Color.parse(variables.get(name, "")).hex
        except Exception:  # a theme without this colour: fall back to plain text
            colours[name] = ""
    return colours


class ProfileTable(DataTable[Text]):
    """Identity profiles with their session and role profiles, counting down."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="profile.down",
                tooltip="Move to the next profile"),
        Binding("k", "cursor_up", "Up", show=False, id="profile.up",
                tooltip="Move to the previous profile"),
        Binding("space", "toggle_mark", "Mark", id="profile.mark",
                tooltip="Mark or unmark this profile for refresh or logout"),
        Binding("enter", "open_details", "Details", id="profile.details",
                tooltip="Show the device, key, key age, expiry and last error"),
    ]

    @dataclass
    class MarkToggled(Message):
        name: str

    @dataclass
    class DetailsRequested(Message):
        name: str

    @dataclass
    class Populated(Message):
        """Rows were (re)built from a fresh status."""

        count: int

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self.rows_shown: list[StatusRow] = []
        self._countdowns: dict[str, SessionCountdown] = {}
        self._painted: dict[tuple[str, str], tuple[str, str]] = {}
        self._wide: bool | None = None
        self._width = 0
        self._bar = MIN_BAR
        self.colours: dict[str, str] = {}

    # ------------------------------------------------------------------ columns
    def _columns(self, width: int) -> list[tuple[str, str, int]]:
        """Column keys, labels and widths that fit `width` cells: the account/user column
        only when everything fits with a 10-cell bar, the bar grows into the rest."""
        profile = max([7, *(len(r.name) + (2 if r.kind == "role" else 0)
                            for r in self.rows_shown)])
        target = max([15, *(len(r.target) for r in self.rows_shown)])
        account = min(26, max([12, *(len(account_and_user(r)) for r in self.rows_shown)]))
        fixed = 1 + STATE_WIDTH + LEFT_WIDTH
        wide_room = width - 2 - 2 * 7 - fixed
        wide = profile + target + account + MIN_BAR <= wide_room
        if wide:
            bar = min(MAX_BAR, wide_room - profile - target - account)
        else:
            room = width - 2 - 2 * 6 - fixed - MIN_BAR
            profile = min(profile, max(10, room // 2))
            target = min(target, max(10, room - profile))
            bar = max(MIN_BAR, min(MAX_BAR, room + MIN_BAR - profile - target))
        columns = [("mark", " ", 1), ("profile", "Profile", profile),
                   ("target", "Session profile", target)]
        if wide:
            columns.append(("account", "Account/user", account))
        columns += [("state", "State", STATE_WIDTH), ("left", "Left", LEFT_WIDTH),
                    ("bar", "Countdown", bar)]
        return columns

    # ------------------------------------------------------------------ painting
    def show(self, rows: list[StatusRow], flags: dict[str, RowFlags], now: datetime,
             lead_time: int, frame: int = 0) -> None:
        """Rebuild every row from a fresh status (keeps the cursor on the same profile)."""
        current = self._highlighted_name()
        self.rows_shown = list(rows)
        self._countdowns = {row_key(r): SessionCountdown.of(r) for r in rows}
        self._rebuild(now, lead_time, flags, frame)
        if current is not None:
            self.select_name(current)
        self.post_message(self.Populated(len(rows)))

    def _rebuild(self, now: datetime, lead_time: int, flags: dict[str, RowFlags],
                 frame: int) -> None:
        columns = self._columns(self.size.width or self.app.size.width)
        self._width = self.size.width
        self._wide = any(key == "account" for key, _, _ in columns)
        self._bar = columns[-1][2]
        self.clear(columns=True)
        self._painted.clear()
        for key, label, width in columns:
            self.add_column(label, width=width, key=key)
        for row in self.rows_shown:
            cells = self._cells(row, now, lead_time, flags.get(row.name, RowFlags()), frame)
            key = row_key(row)
            for column, cell in cells.items():
                self._painted[(key, column)] = (cell.plain, str(cell.style))
            self.add_row(*cells.values(), key=key)

    def paint(self, now: datetime, lead_time: int, flags: dict[str, RowFlags],
              frame: int = 0) -> int:
        """Update only the cells whose text changed; returns how many changed."""
        if self._wide is None:
            return 0
        changed = 0
        for row in self.rows_shown:
            key = row_key(row)
            cells = self._cells(row, now, lead_time, flags.get(row.name, RowFlags()), frame)
            for column, cell in cells.items():
                look = (cell.plain, str(cell.style))
                if self._painted.get((key, column)) != look:
                    self._painted[(key, column)] = look
                    self.update_cell(key, column, cell)
                    changed += 1
        return changed

    def relayout(self, now: datetime, lead_time: int, flags: dict[str, RowFlags],
                 frame: int = 0) -> None:
        """Rebuild the columns when the width changed."""
        if self._wide is not None and self.size.width != self._width:
            current = self._highlighted_name()
            self._rebuild(now, lead_time, flags, frame)
            if current is not None:
                self.select_name(current)

    def _cells(self, row: StatusRow, now: datetime, lead_time: int, flags: RowFlags,
               frame: int) -> dict[str, Text]:
        entry = self._countdowns[row_key(row)].at(now, lead_time)
        state = entry.state
        colours = self.colours
        state_style = {
            SessionState.FRESH: colours.get("success", ""),
            SessionState.EXPIRING: colours.get("warning", ""),
            SessionState.EXPIRED: colours.get("error", ""),
            SessionState.ERROR: colours.get("error", ""),
        }.get(state, "dim")
        label = state_label(row, state, flags, frame)
        if flags.busy:
            state_style = colours.get("accent", "")
        elif row.blocked or flags.error:
            state_style = f"bold {colours.get('error', '')}".strip()
        elif label == "needs code":
            state_style = f"bold {colours.get('warning', '')}".strip()
        name = row.name if row.kind == "identity" else f"└ {row.name}"
        cells = {
            "mark": Text("●" if flags.marked else " ", style=colours.get("accent", "")),
            "profile": Text(name, style="bold" if row.kind == "identity" else ""),
            "target": Text(row.target, style="dim" if row.kind == "role" else ""),
        }
        if self._wide:
            cells["account"] = Text(account_and_user(row), style="dim")
        left = format_time_left(entry.time_left) if entry.expires_at else "—"
        cells["state"] = Text(label, style=state_style)
        cells["left"] = Text(left, style=state_style if state != SessionState.FRESH else "",
                             justify="right")
        cells["bar"] = CountdownBar(entry.fraction_left, state, self._bar).render(colours)
        return cells

    def countdown_at(self, row: StatusRow, now: datetime, lead_time: int) -> ScheduleEntry:
        countdown = self._countdowns.get(row_key(row)) or SessionCountdown.of(row)
        return countdown.at(now, lead_time)

    # ------------------------------------------------------------------ cursor
    def _highlighted_name(self) -> str | None:
        row = self.highlighted_row()
        return row.name if row else None

    def highlighted_row(self) -> StatusRow | None:
        if not self.rows_shown or self.row_count == 0:
            return None
        index = min(max(self.cursor_row, 0), len(self.rows_shown) - 1)
        return self.rows_shown[index]

    def select_name(self, name: str) -> None:
        for index, row in enumerate(self.rows_shown):
            if row.name == name:
                self.move_cursor(row=index, animate=False)
                return

    def action_toggle_mark(self) -> None:
        row = self.highlighted_row()
        if row is not None:
            self.post_message(self.MarkToggled(row.name))

    def action_open_details(self) -> None:
        row = self.highlighted_row()
        if row is not None:
            self.post_message(self.DetailsRequested(row.name))
