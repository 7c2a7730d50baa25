"""Asks which MFA device an identity uses, when IAM lists several that STS can use.

It is dismissed with the chosen serial, or None (Esc). The caller saves the choice in
settings, so the next refresh uses it without asking. Security keys IAM listed but STS
can't use are not offered: a line names them.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.app.screens.dialog import Dialog


class MfaDeviceChooser(Dialog[str | None]):

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="devices.cancel",
                tooltip="Choose no device (nothing is refreshed)"),
    ]

    def __init__(self, identity: str, serials: tuple[str, ...],
                 skipped: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.identity = identity
        self.serials = serials
        self.skipped = skipped

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"Which MFA device for {self.identity}?", id="title", markup=False)
            yield Static(f"IAM lists {len(self.serials)} MFA devices for this user. The one "
                         "you choose is remembered for this profile in the settings file.",
                         classes="field", markup=False)
            yield OptionList(*(Option(serial, id=serial) for serial in self.serials),
                             id="devices")
            if self.skipped:
                count = len(self.skipped)
                yield Static(f"Skipped {count} FIDO/U2F security key{'s' if count > 1 else ''}"
                             f", which STS can't use: {', '.join(self.skipped)}",
                             id="skipped", markup=False)
            yield Static("↑↓ move · Enter chooses · Esc cancels", id="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
