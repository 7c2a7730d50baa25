"""What each column of the profile table shows, and how wide it is.

Cells are described as spans of (text, style) strings: cheap to compute and compare every
second, so the table only draws the rows whose spans changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.color import Color

from tui.app.time_words import time_left_words
from tui.app.widgets.countdown_bar import CountdownBar
from tui.engine.profiles.status import ProfileKind, StatusRow
from tui.engine.sessions.schedule import ScheduleEntry, SessionState
from tui.engine.sessions.state_words import stale_words, state_words

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATE_WIDTH = 12
#: The state column when some session was marked stale by a key rotation.
STALE_LABEL = stale_words("key-rotated")
LEFT_WIDTH = 8
MIN_BAR = 10
#: The bar grows into spare room up to this many cells (a 200-column terminal uses it).
MAX_BAR = 60
#: A cut name keeps at least this many cells (its two ends, see `middle_cut`).
MIN_NAME = 10
ACCOUNT_WIDTH = (12, 30)

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
    #: A refresh is waiting for its mfa_command (e.g. a security key to be touched).
    waiting_for_command: bool = False
    #: The demo's emulator is still starting (the summary line says so in full).
    starting: bool = False


#: The flags of a row the UI knows nothing more about (most rows, most of the time).
NO_FLAGS = RowFlags()


def stale_reason(row: StatusRow) -> str | None:
    """Why a session was marked stale (a key rotation), when the status row says so."""
    return row.stale.replace("-", " ") if row.stale else None


def _arn_parts(arn: str | None) -> tuple[str, str] | None:
    """(account, last name) of an ARN, or None."""
    if not arn or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None
    return parts[4], parts[5].rsplit("/", 1)[-1]


def account_and_user(row: StatusRow, user: str | None = None) -> str:
    """`ACCOUNT/USER` with no AWS call. A role shows its account and role name; an
    identity its account (from the MFA device's ARN) and its IAM user once known (`user`,
    learned from IAM), never the device's name, which is often not the user's."""
    if row.kind == ProfileKind.ROLE:
        parts = _arn_parts(row.role_arn)
        if parts is None:
            return ""
        account, name = parts
        return f"{account}/{name}" if account else name
    parts = _arn_parts(row.mfa_serial)
    account = parts[0] if parts else ""
    if user:
        return f"{account}/{user}" if account else user
    return account


def state_label(row: StatusRow, state: SessionState, flags: RowFlags, frame: int) -> str:
    """The state in a word or two. An ended session reads "expired" (the time column says
    how long ago), one marked stale by a key rotation "stale (key rotated)"."""
    spin = SPINNER[frame % len(SPINNER)]
    if flags.waiting_for_command:
        return f"{spin} touch key?"
    if flags.busy:
        return f"{spin} refresh"
    if flags.starting:
        return f"{spin} starting"
    if flags.error and not row.blocked:
        return "error"
    if flags.needs_code and state is SessionState.EXPIRING and not (row.blocked or row.stale):
        return "needs code"
    # What the files say, in the words `status` uses (see `sessions.state_words`).
    return state_words(state, row.stale, row.blocked)


def theme_colours(variables: dict[str, str]) -> dict[str, str]:
    colours = {}
    for name in ("success", "warning", "error", "accent"):
        try:
            colour = Color.parse(variables.get(name, ""))
            # An ANSI theme's "ansi_green" is no Rich colour: "color(2)" is.
            colours[name] = colour.hex if colour.ansi is None else colour.rich_color.name
        except Exception:  # a theme without this colour: fall back to plain text
            colours[name] = ""
    return colours


def _gap(widths: list[int]) -> int:
    """Cells taken by columns of these widths: a leading space, two after each column."""
    return 1 + sum(w + 2 for w in widths)


def fit_columns(rows: list[StatusRow], width: int,
                users: dict[str, str] | None = None) -> list[Column]:
    """Columns that fit `width` cells. Name, state and time left always stay; as the
    terminal narrows the account goes first, then the bar, then the session profile
    (shown in full or not at all; a bar takes the room it leaves, if it can). A profile
    name that must be cut is cut in the middle (`middle_cut`) and never below `MIN_NAME`;
    the bar grows into spare room, up to `MAX_BAR`."""
    users = users or {}
    profile = max([7, *(len(r.name) + 2 * r.depth for r in rows)])
    target = max([15, *(len(r.target) for r in rows)])
    low, high = ACCOUNT_WIDTH
    account = min(high, max([low, *(len(account_and_user(r, users.get(r.identity)))
                                    for r in rows)]))
    state = max([STATE_WIDTH, *(len(stale_words(r.stale)) for r in rows if r.stale)])
    left = LEFT_WIDTH + 4 if any(r.clock == "mfa" for r in rows) else LEFT_WIDTH  # "MFA "
    fixed = [1, state, left]  # mark, state, left

    def cut(room: int, names: list[int]) -> list[int] | None:
        """Share `room` among the name columns: each its full width if it can, else the
        first (the profile) first, never below MIN_NAME."""
        floors = [min(n, MIN_NAME) for n in names]
        if sum(floors) > room:
            return None
        widths = floors[:]
        spare = room - sum(floors)
        for i, need in enumerate(names):
            extra = min(need - widths[i], spare)
            widths[i] += extra
            spare -= extra
        return widths

    plain = width - _gap(fixed)  # room left for names, account and bar, with their gaps
    show_account, bar_width = False, 0
    if profile + target + account + MIN_BAR + 8 <= plain:
        # 1. everything, names in full, with at least a MIN_BAR bar
        bar_width = min(MAX_BAR, plain - 8 - profile - target - account)
        names, show_account = [profile, target], True
    elif profile + target + MIN_BAR + 6 <= plain:
        # 2. both names in full and a bar
        names, bar_width = [profile, target], min(MAX_BAR, plain - 6 - profile - target)
    elif profile + target + 4 <= plain:
        # 3. both names in full
        names = [profile, target]
    else:
        # 4. the profile (cut if need be) and a bar in what room is left; 5. the profile
        # alone. The session profile is never cut (`prod…ssion` names nothing): the
        # summary line names the highlighted row's.
        shared = cut(plain - 4 - MIN_BAR, [profile])
        if shared is not None:
            names, bar_width = shared, min(MAX_BAR, plain - 4 - shared[0])
        else:
            names = [max(4, min(profile, plain - 2))]
    columns = [Column("mark", " ", 1), Column("profile", "Profile", names[0])]
    if len(names) > 1:
        columns.append(Column("target", "Session profile", names[1]))
    if show_account:
        columns.append(Column("account", "Account/user", account))
    columns += [Column("state", "State", state), Column("left", "Left", left, True)]
    if bar_width:
        columns.append(Column("bar", "Countdown", bar_width))
    return columns


STATIC_COLUMNS = ("profile", "target", "account")


def static_cells(row: StatusRow, user: str | None = None) -> dict[str, Cell]:
    """The cells that only change when the files do (or IAM names the user)."""
    # A chained role sits under its parent role: two cells of indent per level below the first.
    indent = "  " * max(row.depth - 1, 0)
    name = row.name if row.kind == ProfileKind.IDENTITY else f"{indent}└ {row.name}"
    return {
        "profile": ((name, "bold" if row.kind == ProfileKind.IDENTITY else ""),),
        "target": ((row.target, "dim" if row.kind == ProfileKind.ROLE else ""),),
        "account": ((account_and_user(row, user), "dim"),),
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
    elif label == "needs code" or stale_reason(row):
        state_style = f"bold {colours.get('warning', '')}".strip()
    stale = stale_reason(row)
    left = "—" if stale or not entry.expires_at else time_left_words(entry.time_left)
    if row.clock == "mfa" and not stale:  # the MFA age limit comes before the expiry
        left = f"MFA {left}"
    if stale:  # no fake expiry: the bar is empty, the time unknown
        state = SessionState.NONE
    return {
        "mark": (("●" if flags.marked else " ", colours.get("accent", "")),),
        "state": ((label, state_style),),
        "left": ((left, state_style if state != SessionState.FRESH else ""),),
        "bar": CountdownBar(entry.fraction_left, state, bar_width).spans(colours)
        if bar_width else (),
    }
