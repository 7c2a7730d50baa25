"""The words for where a session stands, one vocabulary for the TUI's State column,
`status`, `status --short` and `status --json`.

"no session" is the one word for a profile with no session yet: it says what is missing,
where "none" reads as no state at all and "off" as something switched off. A session marked
by a key rotation reads "stale (key rotated)" everywhere, whatever expiry it still holds.
"""

from __future__ import annotations

from tui.engine.sessions.schedule import SessionState

NO_SESSION = "no session"
BLOCKED = "blocked"

#: Each state's word, in the order `status --short` puts what needs action first.
STATE_WORDS: dict[SessionState, str] = {
    SessionState.EXPIRED: "expired",
    SessionState.ERROR: "error",
    SessionState.EXPIRING: "expiring",
    SessionState.NONE: NO_SESSION,
    SessionState.FRESH: "fresh",
}


def stale_words(reason: str) -> str:
    """`stale = key-rotated` in a section -> "stale (key rotated)"."""
    return f"stale ({reason.replace('-', ' ')})"


def state_words(state: SessionState, stale: str | None = None,
                blocked: str | None = None) -> str:
    """The state as a person reads it: "blocked" for a profile that can't be refreshed
    (its problem says why), "stale (...)" for a session marked stale, else the state's word."""
    if blocked:
        return BLOCKED
    if stale:
        return stale_words(stale)
    return STATE_WORDS[state]
