"""How commands tell a person what happened (stderr, one line each)."""

from __future__ import annotations

from datetime import datetime

from tui.commands.context import notice
from tui.engine.credential_values import format_expiration
from tui.engine.sessions.schedule import format_time_left
from tui.engine.sessions.service import RefreshResult


def report_result(result: RefreshResult, now: datetime) -> None:
    for note in result.notes:
        notice(f"{result.profile}: {note}")
    if result.expiration is None:
        return
    left = format_time_left(result.expiration - now)
    if result.skipped:
        notice(f"{result.target} is still fresh ({left} left); use --force to renew it now")
    else:
        notice(
            f"{result.target} updated; expires {format_expiration(result.expiration)} "
            f"({left} from now)"
        )
