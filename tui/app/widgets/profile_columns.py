"""What each column of the profile table shows, and how wide it is.

Cells are described as spans of (text, style) strings: cheap to compute and compare every
second, so the table only draws the rows whose spans changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.color import Color

from tui.app.widgets.countdown_bar import CountdownBar
from tui.engine.profile_status import StatusRow
from tui.engine.schedule import ScheduleEntry, SessionState, format_time_left

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATE_WIDTH = 10
LEFT_WIDTH = 8
MIN_BAR = 10
MAX_BAR = 30

Span = tuple[str, str]  # text, Rich style string
Cell = tuple[Span, ...]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    right: bool = False


@dataclass(frozen=True)
class RowFlags:
    """What the UI knows about a row beyond the files."""

    marked: bool = False
    busy: bool = False
    needs_code: bool = False
    error: str | None = None


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


def fit_columns(rows: list[StatusRow], width: int) -> list[Column]:
    """Columns that fit `width` cells: the account/user column only when everything fits
    with a 10-cell bar; the bar grows into what is left."""
    profile = max([7, *(len(r.name) + 2 * r.depth for r in rows)])
    target = max([15, *(len(r.target) for r in rows)])
    account = min(26, max([12, *(len(account_and_user(r)) for r in rows)]))
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
    columns = [Column("mark", " ", 1), Column("profile", "Profile", profile),
               Column("target", "Session profile", target)]
    if wide:
        columns.append(Column("account", "Account/user", account))
    columns += [Column("state", "State", STATE_WIDTH), Column("left", "Left", LEFT_WIDTH, True),
                Column("bar", "Countdown", bar)]
    return columns


STATIC_COLUMNS = ("profile", "target", "account")


def static_cells(row: StatusRow) -> dict[str, Cell]:
    """The cells that only change when the files do."""
    name = row.name if row.kind == "identity" else f"{'  ' * (row.depth - 1)}└ {row.name}"
    return {
        "profile": ((name, "bold" if row.kind == "identity" else ""),),
        "target": ((row.target, "dim" if row.kind == "role" else ""),),
        "account": ((account_and_user(row), "dim"),),
    }


def moving_cells(row: StatusRow, entry: ScheduleEntry, flags: RowFlags, frame: int,
                 colours: dict[str, str], bar_width: int) -> dict[str, Cell]:
    """The cells that change with the clock or with what the UI knows (mark, busy...)."""
    state = entry.state
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
    left = format_time_left(entry.time_left) if entry.expires_at else "—"
    return {
        "mark": (("●" if flags.marked else " ", colours.get("accent", "")),),
        "state": ((label, state_style),),
        "left": ((left, state_style if state != SessionState.FRESH else ""),),
        "bar": CountdownBar(entry.fraction_left, state, bar_width).spans(colours),
    }
