"""Asks before removing session profiles from the credentials file."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui.app.screens.dialog import Dialog


class ConfirmLogoutModal(Dialog[bool]):

    BINDINGS = [
        Binding("y", "confirm", "Log out", id="logout.yes", tooltip="Remove these sessions"),
        Binding("n,escape", "cancel", "Keep", id="logout.no", tooltip="Keep these sessions"),
    ]

    def __init__(self, sessions: list[str]) -> None:
        super().__init__()
        self.sessions = sessions

    def compose(self) -> ComposeResult:
        count = len(self.sessions)
        with Vertical(id="dialog"):
            yield Static(f"Log out {count} session profile{'s' if count != 1 else ''}?",
                         id="title")
            yield Static("\n".join(f"  [{name}]" for name in self.sessions), markup=False)
            yield Static("Their temporary credentials are removed from the credentials file. "
                         "Long-term keys are never touched.", id="note")
            with Horizontal(id="buttons"):
                yield Button("Keep (n)", id="cancel")
                yield Button("Log out (y)", variant="warning", id="confirm")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
