"""Key rotations cut off before the TUI started (SIGKILL, power loss), found in the rotation
journal once the rows are first painted.

The main screen reads the journal once, in a thread worker, after the first status load:
the journal's modules (rotation, IAM calls, json) would otherwise be imported by a thread
racing the first paint. Cut-off rotations of profiles that no longer exist are closed and
reported once, one line each; the first profile whose rotation can still be finished opens
the rotation screen, which finishes it (after a code, when one is needed).
"""

from __future__ import annotations

from tui.app.messages import CutOffRotation
from tui.engine.errors import AwsMfaError
from tui.engine.sessions.service import SessionService


def cut_off_rotations(service: SessionService) -> CutOffRotation | None:
    """In a worker: what the journal shows was cut off, or None when nothing was."""
    from tui.engine.rotation.recovery import close_abandoned, unfinished_profiles

    try:
        abandoned = close_abandoned(service)
        names = unfinished_profiles(service)
    except AwsMfaError:
        return None  # an unreadable file is reported by the table's own load
    if not names and not abandoned:
        return None
    return CutOffRotation(names[0] if names else None, abandoned)
