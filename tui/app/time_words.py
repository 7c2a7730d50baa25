"""Times in words for the screen: "0:04:12" left, "25m ago" once expired, and an expiry
with its date and zone when it isn't today. The engine's `format_time_left` stays the
CLI's compact form; nothing here shows a negative time."""

from __future__ import annotations

from datetime import datetime, timedelta

from tui.engine.sessions.schedule import format_time_left


def ago(seconds: float) -> str:
    """How long ago, coarse: "12s ago", "25m ago", "3h ago", "2d ago"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600}h ago"
    return f"{seconds // 86400}d ago"


def time_left_words(left: timedelta | None) -> str:
    """`H:MM:SS` while the session lasts, "25m ago" once it has ended, "—" without one."""
    if left is None:
        return "—"
    if left.total_seconds() <= 0:
        return ago(-left.total_seconds())
    return format_time_left(left)


def until_words(expiration: datetime | None, now: datetime) -> str:
    """"until 06:39:12" today (local time), else "until 2026-03-03 06:39 CET"."""
    if expiration is None:
        return "with no expiry given"
    local, today = expiration.astimezone(), now.astimezone()
    if local.date() == today.date():
        return f"until {local:%H:%M:%S}"
    return f"until {local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def middle_cut(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut in the middle so both ends stay:
    `staging-readonly` in 10 is `stag…donly`."""
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    keep = width - 1
    head = keep // 2
    return f"{text[:head]}…{text[len(text) - (keep - head):]}"
