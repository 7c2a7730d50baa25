"""`status`: every identity, session and role profile with state and time left.

`--short` is one line for tmux's status-right or a shell prompt (`work 3:12:05 · prod
!0:04:12`); it reads only the files and never imports boto3, so it stays cheap when tmux
runs it every few seconds. `--json` is for scripts. Nothing here prints a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.commands.context import (
    data,
    half_keys,
    no_identities_hint,
    notice,
    paths_from,
    settings_from,
)
from tui.engine.credentials_store import CredentialsStore, format_expiration
from tui.engine.profile_status import StatusRow, status_rows
from tui.engine.profiles import build_catalog, read_config
from tui.engine.schedule import RefreshSchedule, SessionState, format_time_left
from tui.engine.secret import mask_key_id

if TYPE_CHECKING:
    import argparse

_MARK = {
    SessionState.FRESH: "",
    SessionState.EXPIRING: "!",
    SessionState.EXPIRED: "!",
    SessionState.ERROR: "!",
    SessionState.NONE: "",
}


def run(args: argparse.Namespace) -> int:
    # Files only: this never imports the AWS call layer (tmux runs it every few seconds).
    paths = paths_from(args)
    settings = settings_from(args)
    catalog = build_catalog(CredentialsStore(paths.credentials).read(),
                            read_config(paths.config), settings)
    rows = status_rows(catalog, RefreshSchedule(lead_time=settings.lead_time))
    if not catalog.identities:
        notice(no_identities_hint(paths.credentials, catalog.credentials))
    elif not args.short:
        for line in half_keys(catalog.credentials):
            notice(line)
    if args.short:
        data(short_line(rows))
    elif args.json:
        import json

        data(json.dumps([as_json(row) for row in rows], indent=2))
    else:
        data(table(rows))
    return 0


def short_line(rows: list[StatusRow]) -> str:
    parts = []
    for row in rows:
        entry = row.entry
        if entry.state is SessionState.NONE:
            parts.append(f"{row.name} off")
        elif entry.state is SessionState.EXPIRED:
            parts.append(f"{row.name} !expired")
        elif entry.state is SessionState.ERROR and entry.time_left is None:
            parts.append(f"{row.name} !error")
        else:
            parts.append(f"{row.name} {_MARK[entry.state]}{format_time_left(entry.time_left)}")
    return " · ".join(parts) if parts else "no profiles"


def as_json(row: StatusRow) -> dict[str, object]:
    entry = row.entry
    return {
        "kind": row.kind,
        "profile": row.name,
        "identity": row.identity,
        "session_profile": row.target,
        "state": entry.state.value,
        "expiration": format_expiration(entry.expires_at) if entry.expires_at else None,
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
    lines = [f"{'PROFILE':<24} {'SESSION PROFILE':<24} {'STATE':<9} {'LEFT':>9}  EXPIRES (UTC)"]
    for row in rows:
        entry = row.entry
        name = f"{'  ' * row.depth}{row.name}"  # roles indented by chain depth
        expires = format_expiration(entry.expires_at) if entry.expires_at else "-"
        left = format_time_left(entry.time_left) if entry.time_left is not None else "-"
        lines.append(
            f"{name:<24} {row.target:<24} {entry.state.value:<9} {left:>9}  {expires}"
        )
        if row.blocked:
            lines.append(f"{'':<24} ! {row.blocked}")
    return "\n".join(lines)
