"""Asks for one MFA code for one profile. It submits on the sixth digit (or Enter).

The modal only shows things and hands the code on: the main screen runs the refresh in a
worker and tells the modal how it went. A rejected code rings the bell and the modal stays
open for the next code; Escape cancels. Digits show as dots and the field is cleared as
soon as the code is handed on, as a `Secret`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tui.engine.mfa_code import CODE_LENGTH, seconds_left_in_window
from tui.engine.profile_status import StatusRow
from tui.engine.secret import Secret


class MfaCodeModal(ModalScreen[bool]):
    """Dismissed with True once the refresh succeeded, False when cancelled."""

    DEFAULT_CSS = """
    MfaCodeModal { align: center middle; }
    MfaCodeModal > #dialog {
        width: 64; max-width: 100%; height: auto;
        padding: 1 2; border: thick $primary; background: $surface;
    }
    MfaCodeModal #title { text-style: bold; color: $text-primary; margin-bottom: 1; }
    MfaCodeModal .field { color: $text-muted; }
    MfaCodeModal #code { width: 20; margin: 1 0 0 0; }
    MfaCodeModal #window { color: $text-muted; }
    MfaCodeModal #problem { color: $text-error; height: auto; }
    MfaCodeModal #problem.-checking { color: $text-accent; }
    MfaCodeModal #hint { color: $text-muted; margin-top: 1; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="mfa.cancel",
                tooltip="Close without refreshing (and skip any profiles queued after this)"),
    ]

    def __init__(self, row: StatusRow, on_code: Callable[[StatusRow, Secret], None],
                 now: datetime, position: tuple[int, int] = (1, 1)) -> None:
        super().__init__()
        self.row = row
        self.serial = row.mfa_serial
        self.on_code = on_code
        self.checking = False
        self._now = now
        self._position = position

    def compose(self) -> ComposeResult:
        row = self.row
        index, total = self._position
        queue = f"  ({index} of {total})" if total > 1 else ""
        what = "role" if row.kind == "role" else "identity"
        with Vertical(id="dialog"):
            yield Label(f"MFA code for {row.name}{queue}", id="title")
            yield Static(f"{what}: {row.name} → [{row.target}]", classes="field", markup=False)
            yield Static(self._device_text(), id="device", classes="field", markup=False)
            yield Input(placeholder="6 digits", restrict=r"[0-9]*", max_length=CODE_LENGTH,
                        password=True, id="code", valid_empty=True)
            yield Static(self._window_text(self._now), id="window")
            yield Static("", id="problem", markup=False)
            yield Static("Submits on the 6th digit · Enter submits · Esc cancels", id="hint")

    def _device_text(self) -> str:
        return f"device: {self.serial or 'looking it up in IAM…'}"

    @staticmethod
    def _window_text(now: datetime) -> str:
        left = seconds_left_in_window(now.timestamp())
        return f"current code changes in {left:2d} s"

    # ------------------------------------------------------------ told by the main screen
    def clock_tick(self, now: datetime) -> None:
        self.query_one("#window", Static).update(self._window_text(now))

    def set_serial(self, serial: str | None, error: str | None = None) -> None:
        self.serial = serial
        if serial:
            self.query_one("#device", Static).update(self._device_text())
        elif error:
            self.query_one("#device", Static).update("device: unknown")
            self.show_problem(error, ring=False)

    def show_problem(self, message: str, ring: bool = True) -> None:
        """The code was refused (or something else went wrong): say so, wait for another."""
        self.checking = False
        problem = self.query_one("#problem", Static)
        problem.remove_class("-checking")
        problem.update(message)
        code = self.query_one("#code", Input)
        code.disabled = False
        code.value = ""
        code.focus()
        if ring:
            self.app.bell()

    def show_checking(self) -> None:
        self.checking = True
        problem = self.query_one("#problem", Static)
        problem.add_class("-checking")
        problem.update("checking the code with AWS…")
        self.query_one("#code", Input).disabled = True

    # ------------------------------------------------------------ typing
    def on_input_changed(self, event: Input.Changed) -> None:
        if len(event.value) == CODE_LENGTH and not self.checking:
            self._submit(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.checking:
            return
        if len(event.value) != CODE_LENGTH:
            self.show_problem(f"an MFA code is {CODE_LENGTH} digits", ring=True)
            return
        self._submit(event.value)

    def _submit(self, typed: str) -> None:
        code = Secret(typed)
        self.query_one("#code", Input).value = ""
        self.show_checking()
        self.on_code(self.row, code)

    def action_cancel(self) -> None:
        self.dismiss(False)
