"""Asks before removing session profiles from the credentials file."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from tui.app.screens.dialog import Question


class ConfirmLogoutModal(Question):

    BINDINGS = [
        Binding("y", "yes", "Log out", id="logout.yes", tooltip="Remove these sessions"),
        Binding("n,escape", "no", "Keep", id="logout.no", tooltip="Keep these sessions"),
    ]

    YES = ("confirm", "Log out (y)")
    NO = ("cancel", "Keep (n)")

    def __init__(self, sessions: list[str]) -> None:
        super().__init__()
        self.sessions = sessions

    def compose_text(self) -> ComposeResult:
        count = len(self.sessions)
        yield Static(f"Log out {count} session profile{'s' if count != 1 else ''}?",
                     id="title")
        yield Static("\n".join(f"  [{name}]" for name in self.sessions), markup=False)
        yield Static("Their temporary credentials are removed from the credentials file. "
                     "Long-term keys are never touched.", id="note")
