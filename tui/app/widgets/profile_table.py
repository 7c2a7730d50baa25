"""The main table: one row per identity profile, its session and role profiles beneath it.

The table never asks the engine for anything: the main screen hands it `StatusRow`s and
what the UI knows about each (marked, busy, needs a code, last error). It draws only the
lines on screen, keeps each drawn row as a `Strip`, and on the 1-second tick redraws just
the rows whose cells changed (a `DataTable` re-renders every visible cell when one cell
changes, which cost ~3% of a core with 50 countdowns; this costs a fraction of that).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.app.time_words import middle_cut
from tui.app.widgets.countdown_bar import SessionCountdown
from tui.app.widgets.profile_columns import (
    NO_FLAGS,
    STATIC_COLUMNS,
    Cell,
    Column,
    RowFlags,
    fit_columns,
    moving_cells,
    stale_reason,
    static_cells,
)
from tui.engine.profiles.status import StatusRow
from tui.engine.sessions.schedule import ScheduleEntry, SessionState, format_time_left

__all__ = ["FlagsOf", "ProfileTable", "RowFlags", "row_key"]

#: A row's flags by its name, built only for the rows the table draws.
FlagsOf = Callable[[str], RowFlags]


@dataclass(slots=True)
class _SteadyRow:
    """A row whose cells other than "Left" stay as they are from `since` until `until`
    (a fresh or expiring session, no flags): a tick only formats its time left."""

    since: datetime
    until: datetime
    lead_time: int
    expires_at: datetime
    cells: dict[str, Cell]


def _steady_until(entry: ScheduleEntry, lifetime: float | None, lead_time: int,
                  bar_width: int) -> datetime | None:
    """When a fresh or expiring row's state or bar next changes (a second early: the
    bar's rounding is then recomputed in full), or None for other rows."""
    expires_at = entry.expires_at
    if expires_at is None or entry.state not in (SessionState.FRESH, SessionState.EXPIRING):
        return None
    until = expires_at - timedelta(seconds=lead_time) if (
        entry.state is SessionState.FRESH) else expires_at
    if bar_width and lifetime:
        eighths = bar_width * 8
        filled = round(max(0.0, min(1.0, entry.fraction_left)) * eighths)
        # The bar loses an eighth once the share left falls below (filled - 0.5) eighths.
        change = expires_at - timedelta(seconds=max(0.0, filled - 0.5) / eighths * lifetime)
        until = min(until, change)
    return until - timedelta(seconds=1)


def row_key(row: StatusRow) -> str:
    return f"{row.kind}:{row.name}"


@lru_cache(maxsize=256)
def _style(text: str) -> Style:
    return Style.parse(text) if text else Style.null()


def _lay_out(column: Column, cell: Cell, base: Style) -> list[Segment]:
    """One cell's segments, padded or cut to its column, and the gap after it."""
    used = 0
    parts: list[Segment] = []
    for text, style in cell:
        room = column.width - used
        if room <= 0:
            break
        piece = text if len(text) <= room else (
            middle_cut(text, room) if column.key in STATIC_COLUMNS else set_cell_size(text, room))
        parts.append(Segment(piece, base + _style(style)))
        used += len(piece)
    if used < column.width:
        pad = Segment(" " * (column.width - used), base)
        parts = [pad, *parts] if column.right else [*parts, pad]
    return [*parts, Segment("  ", base)]


def _join(segments: list[Segment], piece: list[Segment]) -> None:
    """Append simplified `piece` to simplified `segments`, merging where they meet: what
    `Segment.simplify` of the two together gives."""
    if segments and piece:
        last, first = segments[-1], piece[0]
        if last.style == first.style and not first.control:
            segments[-1] = Segment(last.text + first.text, last.style)
            segments.extend(piece[1:])
            return
    segments.extend(piece)


class ProfileTable(ScrollView, can_focus=True):
    """Identity profiles with their session and role profiles, counting down."""

    COMPONENT_CLASSES = {"profile-table--header", "profile-table--cursor"}

    DEFAULT_CSS = """
    ProfileTable { background: $background; overflow-x: hidden; }
    ProfileTable > .profile-table--header { background: $panel; color: $text-muted;
                                            text-style: bold; }
    ProfileTable > .profile-table--cursor { background: $accent 25%; }
    ProfileTable:focus > .profile-table--cursor { background: $accent 40%; }
    """

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="profile.down",
                tooltip="Move to the next profile"),
        Binding("up,k", "cursor_up", "Up", show=False, id="profile.up",
                tooltip="Move to the previous profile"),
        Binding("pagedown", "page_down", "Page down", show=False, id="profile.page_down",
                tooltip="Move a page down"),
        Binding("pageup", "page_up", "Page up", show=False, id="profile.page_up",
                tooltip="Move a page up"),
        Binding("home", "first", "First", show=False, id="profile.first",
                tooltip="Move to the first profile"),
        Binding("end", "last", "Last", show=False, id="profile.last",
                tooltip="Move to the last profile"),
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
    class Highlighted(Message):
        name: str

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows_shown: list[StatusRow] = []
        self.colours: dict[str, str] = {}
        #: identity -> IAM user name, once IAM said it (for the Account/user column).
        self.users: dict[str, str] = {}
        self.cursor_row = 0
        self._countdowns: dict[str, SessionCountdown] = {}
        #: Each shown row's `row_key`, and what is known to stay put in its cells.
        self._keys: list[str] = []
        self._steady: list[_SteadyRow | None] = []
        self._static: list[dict[str, Cell]] = []
        self._cells: list[dict[str, Cell]] = []
        self._strips: dict[int, Strip] = {}
        #: row -> ((its mark cell, base style), the simplified segments before its moving
        #: cells).
        self._prefixes: dict[int, tuple[tuple[Cell, Style], list[Segment]]] = {}
        self._entries: dict[str, ScheduleEntry] = {}
        self._entries_at: tuple[datetime, int] | None = None
        #: The paint each row's cells were last computed at; rows off screen fall behind
        #: and are recomputed when drawn (so a tick costs the rows on screen, not all).
        self._painted_at: list[int] = []
        self._paint_count = 0
        #: Laid-out cells, by (column, cell, style): most repeat every tick.
        self._laid_out: dict[tuple[Column, Cell, Style], list[Segment]] = {}
        #: Base, header and cursor styles, and the line width: None once a theme, focus or
        #: size change may have changed them (looked up per line they cost a DOM walk).
        self._style_set: tuple[Style, Style, Style] | None = None
        self._line_width: int | None = None
        #: The cursor row's strip, recoloured, and the strip it was made from.
        self._cursor_strip: tuple[int, Strip, Strip] | None = None
        self._paint_args: tuple[datetime, int, FlagsOf, int] | None = None
        self._columns: list[Column] = []
        self._static_columns: list[Column] = []
        self._moving_columns: list[Column] = []
        self._used = 0
        self._width = 0

    # ------------------------------------------------------------------ content
    def show(self, rows: list[StatusRow], flags: FlagsOf, now: datetime,
             lead_time: int, frame: int = 0) -> None:
        """Rebuild every row from a fresh status (keeps the cursor on the same profile)."""
        current = self.highlighted_row()
        self.rows_shown = list(rows)
        self._keys = [row_key(r) for r in rows]
        self._countdowns = {key: SessionCountdown.of(r) for key, r in zip(self._keys, rows,
                                                                          strict=True)}
        self._layout()
        self._entries_at = None
        self._static = [static_cells(row, self.users.get(row.identity)) for row in rows]
        self._steady = [None] * len(rows)
        self._cells = [self._cells_of(index, now, lead_time, flags, frame)
                       for index in range(len(rows))]
        self._painted_at = [self._paint_count] * len(rows)
        self._strips.clear()
        self._prefixes.clear()
        self._style_set = self._line_width = self._cursor_strip = None
        # Width 0: the columns always fit, so there is never a horizontal scrollbar (a
        # virtual width that follows the widget's would make scrollbars flip-flop).
        self.virtual_size = Size(0, len(rows) + 1)
        self.cursor_row = min(self.cursor_row, max(0, len(rows) - 1))
        if current is not None:
            self.select_name(current.name)
        self.refresh()

    def _layout(self) -> None:
        self._width = self.size.width or self.app.size.width
        self._columns = fit_columns(self.rows_shown, self._width, self.users)
        self._static_columns = [c for c in self._columns if c.key in STATIC_COLUMNS]
        self._moving_columns = [c for c in self._columns[1:] if c.key not in STATIC_COLUMNS]
        self._used = 1 + sum(c.width + 2 for c in self._columns)

    @property
    def columns(self) -> list[Column]:
        return self._columns

    def _bar_width(self) -> int:
        return next((c.width for c in self._columns if c.key == "bar"), 0)

    def _cells_of(self, index: int, now: datetime, lead_time: int,
                  flags: FlagsOf, frame: int) -> dict[str, Cell]:
        """The row's moving cells at `now`. A steady row (`_SteadyRow`) only has its
        time left formatted; the others are worked out in full (`_moving_cells`)."""
        row = self.rows_shown[index]
        row_flags = flags(row.name)
        steady = self._steady[index]
        if (steady is not None and steady.since <= now < steady.until
                and steady.lead_time == lead_time
                and (row_flags is NO_FLAGS or row_flags == NO_FLAGS)):
            left = format_time_left(steady.expires_at - now)
            if row.clock == "mfa":  # the MFA age limit comes first (see moving_cells)
                left = f"MFA {left}"
            cells = steady.cells
            (shown, style), = cells["left"]
            if left != shown:
                cells = steady.cells = {**cells, "left": ((left, style),)}
            return cells
        cells = self._moving_cells(index, row, now, lead_time, row_flags, frame)
        steady = None
        if row_flags == NO_FLAGS and not stale_reason(row):
            entry = self.countdown_at(row, now, lead_time, self._keys[index])
            countdown = self._countdowns[self._keys[index]]
            until = _steady_until(entry, countdown.lifetime, lead_time, self._bar_width())
            if until is not None and entry.expires_at is not None and now < until:
                steady = _SteadyRow(now, until, lead_time, entry.expires_at, cells)
        self._steady[index] = steady
        return cells

    def _moving_cells(self, index: int, row: StatusRow, now: datetime, lead_time: int,
                      row_flags: RowFlags, frame: int) -> dict[str, Cell]:
        entry = self.countdown_at(row, now, lead_time, self._keys[index])
        return moving_cells(row, entry, row_flags, frame, self.colours,
                            self._bar_width())

    def paint(self, now: datetime, lead_time: int, flags: FlagsOf,
              frame: int = 0) -> int:
        """Recompute the cells of the rows on screen and redraw only what changed: one
        region per tick, as narrow as the columns that changed (usually just "Left").
        Rows off screen are recomputed when they scroll into view. Returns how many rows
        changed."""
        self._paint_args = (now, lead_time, flags, frame)
        self._paint_count += 1
        top = int(self.scroll_offset.y)
        bottom = min(len(self.rows_shown), top + max(0, self.size.height - 1))
        changed_rows: list[int] = []
        changed_columns: set[str] = set()
        for index in range(top, bottom):
            cells = self._cells_of(index, now, lead_time, flags, frame)
            old = self._cells[index]
            self._painted_at[index] = self._paint_count
            if cells != old:
                changed_columns.update(k for k, v in cells.items() if old.get(k) != v)
                self._cells[index] = cells
                self._strips.pop(index, None)
                changed_rows.append(index)
        if changed_rows:
            x, width = self._span_of(changed_columns)
            self.refresh(Region(x, changed_rows[0] + 1 - top, width,
                                changed_rows[-1] - changed_rows[0] + 1))
        return len(changed_rows)

    def _span_of(self, keys: set[str]) -> tuple[int, int]:
        """The x range on screen covering these columns."""
        x, start, end = 1, None, 0
        for column in self._columns:
            if column.key in keys:
                start = x if start is None else start
                end = x + column.width
            x += column.width + 2
        return (start or 0), max(1, end - (start or 0))

    def relayout(self, now: datetime, lead_time: int, flags: FlagsOf,
                 frame: int = 0) -> None:
        """Fit the columns again after a resize."""
        if self.size.width and self.size.width != self._width:
            self.show(self.rows_shown, flags, now, lead_time, frame)

    def countdown_at(self, row: StatusRow, now: datetime, lead_time: int,
                     key: str | None = None) -> ScheduleEntry:
        """The row's schedule entry at `now` (computed once per tick: the main screen's
        lead-time check and the painting share it). `key`: the row's `row_key`."""
        if self._entries_at != (now, lead_time):
            self._entries_at = (now, lead_time)
            self._entries = {}
        key = key or row_key(row)
        entry = self._entries.get(key)
        if entry is None:
            countdown = self._countdowns.get(key) or SessionCountdown.of(row)
            entry = self._entries[key] = countdown.at(now, lead_time)
        return entry

    def cell_texts(self) -> dict[str, dict[str, str]]:
        """name -> {column: text} as drawn now (for tests and the palette)."""
        keys = [c.key for c in self._columns]
        return {row.name: {k: "".join(t for t, _ in {**static, **cells}[k]) for k in keys}
                for row, static, cells in zip(self.rows_shown, self._static, self._cells,
                                              strict=True)}

    # ------------------------------------------------------------------ drawing
    def _styles(self) -> tuple[Style, Style, Style]:
        """Base, header and cursor styles: looked up again only after a theme (`show`) or
        focus change, not once per line (a style lookup walks the DOM)."""
        if self._style_set is None:
            self._style_set = (
                self.rich_style,
                self.get_component_rich_style("profile-table--header"),
                self.get_component_rich_style("profile-table--cursor"),
            )
            self._cursor_strip = None
        return self._style_set

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size,
                      layout: bool = True) -> bool:
        self._line_width = None
        return super()._size_updated(size, virtual_size, container_size, layout)

    def render_line(self, y: int) -> Strip:
        width = self._line_width
        if width is None:
            width = self._line_width = self.size.width
        base, header, cursor = self._styles()
        if y == 0:
            spans = {c.key: ((c.label, ""),) for c in self._columns}
            return self._strip(self._columns, spans, base + header, width)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.rows_shown):
            return Strip.blank(width, base)
        if self._painted_at[index] != self._paint_count and self._paint_args is not None:
            self._painted_at[index] = self._paint_count
            cells = self._cells_of(index, *self._paint_args)
            if cells != self._cells[index]:
                self._cells[index] = cells
                self._strips.pop(index, None)
        strip = self._strips.get(index)
        if strip is None:
            strip = self._strips[index] = self._row_strip(index, base, width)
        if index == self.cursor_row:  # the cursor's colours win over the cells'
            made = self._cursor_strip
            if made is None or made[0] != index or made[1] is not strip:
                made = self._cursor_strip = (index, strip, Strip(
                    [Segment(text, (style or base) + cursor, control)
                     for text, style, control in strip], strip.cell_length))
            strip = made[2]
        return strip

    def _row_strip(self, index: int, base: Style, width: int) -> Strip:
        """A row's line. The part before the moving cells (the mark and the file-given
        cells) is laid out and simplified once per mark; each tick only the moving cells
        (state, left, bar) are joined to it: what `Segment.simplify` of the whole line
        gives, at a fraction of the cost."""
        cells = self._cells[index]
        mark = (cells.get(self._columns[0].key, ()) if self._columns else (), base)
        made = self._prefixes.get(index)
        if made is None or made[0] != mark:
            prefix = [Segment(" ", base), *self._segments(self._columns[:1], cells, base),
                      *self._segments(self._static_columns, self._static[index], base)]
            made = self._prefixes[index] = (mark, list(Segment.simplify(prefix)))
        used = self._used
        if used > width:  # narrower than the columns: cut (rare; a resize follows)
            tail = self._segments(self._moving_columns, cells, base)
            return Strip([*made[1], *tail]).crop_extend(0, width, base)
        # Fewer, longer segments: every later step (filters, crop, output) is per segment.
        segments = self._segments(self._moving_columns, cells, base, list(made[1]))
        if used < width:
            _join(segments, [Segment(" " * (width - used), base)])
        return Strip(segments, width)

    def _strip(self, columns: list[Column], cells: Mapping[str, Cell], base: Style,
               width: int) -> Strip:
        segments = [Segment(" ", base), *self._segments(columns, cells, base)]
        return Strip(segments).crop_extend(0, width, base)

    def _segments(self, columns: list[Column], cells: Mapping[str, Cell], base: Style,
                  after: list[Segment] | None = None) -> list[Segment]:
        """The cells' segments, simplified (`Segment.simplify`), joined to `after`'s."""
        segments: list[Segment] = [] if after is None else after
        for column in columns:
            cell = cells.get(column.key, ())
            key = (column, cell, base)
            laid_out = self._laid_out.get(key)
            if laid_out is None:
                if len(self._laid_out) > 4096:
                    self._laid_out.clear()
                laid_out = self._laid_out[key] = list(Segment.simplify(
                    _lay_out(column, cell, base)))
            _join(segments, laid_out)
        return segments

    # ------------------------------------------------------------------ cursor
    def highlighted_row(self) -> StatusRow | None:
        if not self.rows_shown:
            return None
        return self.rows_shown[min(self.cursor_row, len(self.rows_shown) - 1)]

    def select_name(self, name: str) -> None:
        for index, row in enumerate(self.rows_shown):
            if row.name == name:
                self.move_cursor(index)
                return

    def move_cursor(self, index: int) -> None:
        if not self.rows_shown:
            return
        index = max(0, min(index, len(self.rows_shown) - 1))
        old, self.cursor_row = self.cursor_row, index
        self.refresh_line(old + 1)
        self.refresh_line(index + 1)
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + visible:
            self.scroll_to(y=index - visible + 1, animate=False)
        if old != index:
            self.post_message(self.Highlighted(self.rows_shown[index].name))

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + max(1, self.size.height - 2))

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - max(1, self.size.height - 2))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.rows_shown) - 1)

    def on_focus(self) -> None:
        self._style_set = None
        self.refresh_line(self.cursor_row + 1)

    def on_blur(self) -> None:
        self._style_set = None
        self.refresh_line(self.cursor_row + 1)

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y - 1
        if 0 <= index < len(self.rows_shown):
            self.move_cursor(index)
            if event.chain >= 2:
                self.action_open_details()

    def action_toggle_mark(self) -> None:
        row = self.highlighted_row()
        if row is not None:
            self.post_message(self.MarkToggled(row.name))

    def action_open_details(self) -> None:
        row = self.highlighted_row()
        if row is not None:
            self.post_message(self.DetailsRequested(row.name))
