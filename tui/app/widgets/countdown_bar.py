"""The countdown: a row's state and time left at any moment, and the bar that shows it.

A `StatusRow` is a snapshot taken when the files were read. `SessionCountdown` re-asks the
engine's pure schedule for the same session at a new moment, so the 1-second tick needs no
file read and no AWS call. `CountdownBar` draws the share of the session's lifetime left in
theme colours: success while fresh, warning inside the lead time, error once expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from rich.text import Text

from tui.engine.profiles.status import StatusRow
from tui.engine.sessions.schedule import RefreshSchedule, ScheduleEntry, SessionState

_EIGHTHS = " ▏▎▍▌▋▊▉"


@dataclass(frozen=True)
class SessionCountdown:
    row: StatusRow
    lifetime: float | None

    @classmethod
    def of(cls, row: StatusRow) -> SessionCountdown:
        return cls(row, row.lifetime)

    def at(self, now: datetime, lead_time: int) -> ScheduleEntry:
        entry = self.row.entry
        return _schedule(lead_time).entry(
            entry.profile, entry.expires_at, self.lifetime, entry.error, now
        )


@lru_cache(maxsize=8)
def _schedule(lead_time: int) -> RefreshSchedule:
    return RefreshSchedule(lead_time=lead_time)


@dataclass(frozen=True)
class CountdownBar:
    """`fraction` of `width` cells filled, in eighths, coloured by session state."""

    fraction: float
    state: SessionState
    width: int = 10

    def colour_name(self) -> str:
        if self.state is SessionState.FRESH:
            return "success"
        if self.state is SessionState.EXPIRING:
            return "warning"
        if self.state in (SessionState.EXPIRED, SessionState.ERROR):
            return "error"
        return "muted"

    def cells(self) -> str:
        if self.state in (SessionState.NONE,):
            return "·" * self.width
        eighths = round(max(0.0, min(1.0, self.fraction)) * self.width * 8)
        if self.fraction > 0 and eighths == 0:
            eighths = 1  # a live session never looks empty
        full, part = divmod(eighths, 8)
        text = "█" * full + (_EIGHTHS[part] if part else "")
        return text + "░" * (self.width - len(text))

    def spans(self, colours: dict[str, str]) -> tuple[tuple[str, str], ...]:
        """(text, style) pieces: the filled part in the state's colour, the rest dimmed.
        (Cached by what they show: the bar moves by an eighth of a cell now and then,
        while every row asks for its spans every second.)"""
        if self.state in (SessionState.NONE,):
            return _spans(self.cells(), self.state, "")
        return _spans(self.cells(), self.state, colours.get(self.colour_name(), ""))

    def render(self, colours: dict[str, str]) -> Text:
        bar = Text()
        for text, style in self.spans(colours):
            bar.append(text, style=style)
        return bar


@lru_cache(maxsize=1024)
def _spans(text: str, state: SessionState, colour: str) -> tuple[tuple[str, str], ...]:
    if state in (SessionState.NONE,):
        return ((text, "dim"),)
    filled = len(text.rstrip("░"))
    return ((text[:filled], colour),
            (text[filled:], f"{colour} dim" if colour else "dim"))
