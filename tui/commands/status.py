"""`status`: every identity, session and role profile with state and time left.

`--short` is one line for tmux's status-right or a shell prompt (`work 3:12:05 · prod
!0:04:12`); it reads only the files and never imports boto3, so it stays cheap when tmux
runs it every few seconds. It is never wider than `--width` terminal cells (80): when not
everything fits, what needs action comes first and the rest is counted (`staging !0:03:12
· work 8:11:05 · +47 fresh`). `--json` is for scripts. Nothing here prints a secret.

Naming profiles (identities, their session profiles, or roles) shows just those.
"""

from __future__ import annotations

from tui.commands.context import (
    data,
    half_keys,
    no_identities_hint,
    notice,
    settings_from,
)
from tui.engine.credential_values import format_expiration
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import UsageError
from tui.engine.named_tuple import TYPE_CHECKING
from tui.engine.profiles.catalog import build_catalog, read_config
from tui.engine.profiles.status import StatusRow, status_rows
from tui.engine.secret import mask_key_id
from tui.engine.sessions.schedule import RefreshSchedule, SessionState, format_time_left
from tui.engine.sessions.state_words import NO_SESSION, state_words

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

_MARK = {
    SessionState.FRESH: "",
    SessionState.EXPIRING: "!",
    SessionState.EXPIRED: "!",
    SessionState.ERROR: "!",
    SessionState.NONE: "",
}


def state_of(row: StatusRow) -> str:
    """The row's state in the TUI's words ("no session", "stale (key rotated)", ...)."""
    return state_words(row.entry.state, row.stale, row.blocked)


def options(parser: argparse.ArgumentParser) -> None:
    # Imported here: `status` read plainly (plain_options) declares nothing.
    from tui.commands.common_options import json_output, profile_names

    profile_names(parser, help="only these identities, session profiles or roles "
                  "(default: all)")
    group = parser.add_mutually_exclusive_group()
    json_output(group, help="machine-readable output")
    group.add_argument("--short", action="store_true",
                       help="one compact line for tmux status-right or a shell prompt")
    parser.add_argument("--width", type=int, metavar="CELLS",
                        help="with --short: the most terminal cells the line may take "
                        "(default 80); what needs action comes first, the rest is counted")



def plain_options(tokens: Sequence[str]) -> dict[str, object] | None:
    """What `options` reads from the words after `status`, read without argparse when they
    are spelled out plainly: `--short` or `--json`, `--width N` (ASCII digits), each once,
    and profile names in one run. None for anything else (abbreviations, `=` forms, repeats,
    `--help`, `--`, an empty word, a profile after an option after a profile), which goes
    through argparse. tmux runs `status --short` every few seconds, and argparse with what it
    imports is about a seventh of that run, 6 ms of 40 (README, "Workarounds and what they
    buy")."""
    flags: dict[str, str | None] = {}
    profiles: list[str] = []
    last_profile_at = -1
    at = 0
    while at < len(tokens):
        token = tokens[at]
        if token in ("--short", "--json") and not flags.keys() & {"--short", "--json"}:
            flags[token] = None
        elif token == "--width" and token not in flags and at + 1 < len(tokens) \
                and tokens[at + 1].isascii() and tokens[at + 1].isdigit():
            flags[token] = tokens[at + 1]
            at += 1
        elif token.startswith("-") or token == "":
            return None
        elif profiles and last_profile_at != at - 1:
            return None  # `status a --short b`: argparse takes profile names in one run
        else:
            profiles.append(token)
            last_profile_at = at
        at += 1
    width = flags.get("--width")
    return {"json": "--json" in flags, "short": "--short" in flags, "profiles": profiles,
            "width": int(width) if width is not None else None}

def run(args: argparse.Namespace) -> int:
    # Files only: this never imports the AWS call layer (tmux runs it every few seconds).
    width = _width(args)
    settings = settings_from(args)
    catalog = build_catalog(CredentialsStore(args.credentials_file).read(),
                            read_config(args.config_file), settings)
    rows = status_rows(catalog, RefreshSchedule(lead_time=settings.lead_time))
    if getattr(args, "profiles", None):
        rows = rows_named(rows, args.profiles)
    if not catalog.identities:
        notice(no_identities_hint(args.credentials_file, catalog.credentials))
    elif not args.short:
        for line in half_keys(catalog.credentials):
            notice(line)
    if args.short:
        data(short_line(rows, width))
    elif args.json:
        import json

        data(json.dumps([as_json(row) for row in rows], indent=2))
    else:
        data(table(rows))
    return 0


DEFAULT_WIDTH = 80
SEPARATOR = " · "
#: The order entries are counted in when they don't all fit (`+2 no session +45 fresh`):
#: what needs action first (expired, blocked or failed, expiring, stale, no session).
_ACTION_ORDER = {
    SessionState.EXPIRED: 0,
    SessionState.ERROR: 1,
    SessionState.EXPIRING: 2,
    SessionState.NONE: 4,
    SessionState.FRESH: 5,
}


def _by_action(rows: list[StatusRow]) -> list[StatusRow]:
    """`rows`, what needs action first (`_ACTION_ORDER`), then, among expiring and failed
    sessions, soonest first; otherwise in listing order. (Grouped, then only the groups
    that need it sorted: `status --short` does this for every row of a long listing.)"""
    groups: dict[int, list[StatusRow]] = {}
    for row in rows:
        urgency = 3 if row.stale else _ACTION_ORDER[row.entry.state]
        group = groups.get(urgency)
        if group is None:
            groups[urgency] = group = []
        group.append(row)
    order: list[StatusRow] = []
    for urgency in sorted(groups):
        group = groups[urgency]
        if any(row.entry.state in _SOONEST_FIRST for row in group):
            group.sort(key=lambda row: _soonest_first(row)
                       if row.entry.state in _SOONEST_FIRST else 0)
        order += group
    return order


def _width(args: argparse.Namespace) -> int:
    width = getattr(args, "width", None)
    if width is None:
        return DEFAULT_WIDTH
    if not args.short:
        raise UsageError("--width goes with --short; see aws-mfa-tui status --help")
    if width < 1:
        raise UsageError("--width must be at least 1 (terminal cells)")
    return int(width)


def rows_named(rows: list[StatusRow], names: list[str]) -> list[StatusRow]:
    """The rows of the named identities, session profiles and roles, in listing order."""
    wanted = set(names)
    known = {row.name for row in rows} | {row.target for row in rows}
    unknown = [name for name in dict.fromkeys(names) if name not in known]
    if unknown:
        raise UsageError(f"no such profile: {', '.join(unknown)} (not an identity, a session "
                         "profile or a role); `aws-mfa-tui status` lists them")
    return [row for row in rows if row.name in wanted or row.target in wanted]


def short_entry(row: StatusRow) -> str:
    entry = row.entry
    name = row.name if row.name.isprintable() else "".join(
        c if c.isprintable() else "?" for c in row.name)  # a tab would break the bar
    mfa = "MFA " if row.clock == "mfa" else ""  # the MFA age limit comes first
    if row.stale or row.blocked or entry.state is SessionState.EXPIRED:
        return f"{name} !{mfa}{state_of(row)}"
    if entry.state is SessionState.NONE:
        return f"{name} {NO_SESSION}"
    if entry.state is SessionState.ERROR and entry.time_left is None:
        return f"{name} !{state_of(row)}"
    return f"{name} {_MARK[entry.state]}{mfa}{format_time_left(entry.time_left)}"


def short_line(rows: list[StatusRow], width: int = DEFAULT_WIDTH) -> str:
    """One line of at most `width` terminal cells.

    Everything, in listing order, when it fits. Otherwise what needs action comes first
    (expired, error, expiring soonest first, no session), then fresh sessions, as many as
    fit before a count of the rest by state (`+2 expiring +45 fresh`). Only when not even
    that count fits alone is it shortened (`+47 more`, `+47`, then cut).
    """
    if not rows:
        return cut("no profiles", width)
    gap = len(SEPARATOR)
    parts: list[str] = []
    used = -gap
    for row in rows:  # stops at the first entry past the width: 2,000 rows cost little
        parts.append(short_entry(row))
        used += gap + cells(parts[-1])
        if used > width:
            break
    else:
        return SEPARATOR.join(parts)
    order = _by_action(rows)
    left: dict[str, int] = {}
    for row in order:
        word = state_of(row)
        left[word] = left.get(word, 0) + 1
    # The most entries that fit with a count of the rest after them (never all of them:
    # all of them didn't fit in any order).
    compact = count_of(left, width) is None
    shown = 0
    count = count_of(left, width, compact) or cut(f"+{len(rows)}", width)
    used = -gap
    parts = []
    for placed, row in enumerate(order[:-1], start=1):
        parts.append(short_entry(row))
        used += gap + cells(parts[-1])
        left[state_of(row)] -= 1
        if used + gap >= width:
            break
        fitting = count_of(left, width - used - gap, compact)
        if fitting:
            shown, count = placed, fitting
    return SEPARATOR.join([*parts[:shown], count])


_SOONEST_FIRST = (SessionState.ERROR, SessionState.EXPIRING)


def _soonest_first(row: StatusRow) -> float:
    left = row.entry.time_left
    return float("-inf") if left is None else left.total_seconds()


def count_of(left: dict[str, int], room: int, compact: bool = False) -> str | None:
    """The count of what wasn't shown, by state (`+2 no session +45 fresh`), in the order
    `left` lists the states, or with `compact`
    the longest of `+47 more` and `+47` that fits in `room` cells; None if none fits."""
    total = sum(left.values())
    if compact:
        forms = [f"+{total} more", f"+{total}"]
    else:
        forms = [" ".join(f"+{count} {word}" for word, count in left.items() if count)]
    return next((count for count in forms if len(count) <= room), None)


def cells(text: str) -> int:
    """Terminal cells `text` takes: East Asian wide and full-width characters take two,
    combining marks and zero-width format characters none, anything else one (ambiguous
    ones too, as tmux counts them by default)."""
    if text.isascii():
        return len(text)
    import unicodedata  # only for names that aren't ASCII

    size = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        size += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return size


def cut(text: str, width: int) -> str:
    """`text`, cut to `width` cells with an ellipsis when it is wider."""
    if cells(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        size = cells(char)
        if used + size > width - 1:
            break
        kept.append(char)
        used += size
    return "".join(kept) + "…"


def as_json(row: StatusRow) -> dict[str, object]:
    entry = row.entry
    return {
        "kind": row.kind,
        "profile": row.name,
        "identity": row.identity,
        "session_profile": row.target,
        "state": state_of(row),
        # Why the session must be renewed whatever its expiry says (`key-rotated`), or None.
        "stale": row.stale,
        "expiration": format_expiration(row.expiration) if row.expiration else None,
        # What the time left counts down to: the session's expiry, or ("mfa") the moment
        # its MFA becomes older than `max_mfa_age`, whichever comes first.
        "clock": row.clock,
        "mfa_expires": format_expiration(row.mfa_deadline) if row.mfa_deadline else None,
        "seconds_left": int(entry.time_left.total_seconds()) if entry.time_left else None,
        "refresh_at": format_expiration(entry.next_action_at) if entry.next_action_at else None,
        "mfa_serial": row.mfa_serial,
        "refreshes": row.code_mode,
        "role_arn": row.role_arn,
        "access_key_id": mask_key_id(row.access_key_id) if row.access_key_id else None,
        "problem": row.blocked,
        # Whose file convention the session follows: ours, or a peer tool's.
        "layout": row.layout or "aws-mfa-tui",
    }


def table(rows: list[StatusRow]) -> str:
    if not rows:
        return "no identity profiles with long-term keys found"
    states = [state_of(row) for row in rows]
    wide = max(len(state) for state in states)
    left_wide = 13 if any(row.clock == "mfa" for row in rows) else 9  # room for "MFA "
    lines = [f"{'PROFILE':<24} {'SESSION PROFILE':<24} {'STATE':<{wide}} "
             f"{'LEFT':>{left_wide}}  EXPIRES (UTC)"]
    for row, state in zip(rows, states, strict=True):
        entry = row.entry
        name = f"{'  ' * row.depth}{row.name}"  # roles indented by chain depth
        expires = format_expiration(row.expiration) if row.expiration else "-"
        left = format_time_left(entry.time_left) if entry.time_left is not None else "-"
        if row.clock == "mfa":  # the MFA age limit comes before the expiry
            left = f"MFA {left}"
        lines.append(
            f"{name:<24} {row.target:<24} {state:<{wide}} {left:>{left_wide}}  {expires}"
        )
        if row.blocked:
            lines.append(f"{'':<24} ! {row.blocked}")
    return "\n".join(lines)
