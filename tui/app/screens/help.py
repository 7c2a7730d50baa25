"""Every key, with what it does: built from the bindings themselves, so it can't go stale."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui.app.screens.dialog import Dialog

KEY_NAMES = {
    "question_mark": "?", "space": "space", "enter": "enter", "escape": "esc",
    "ctrl+p": "ctrl+p", "up": "↑", "down": "↓",
}


def key_label(keys: str) -> str:
    return " / ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def help_table(sections: Iterable[tuple[str, Iterable[BindingType]]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, min_width=10)
    table.add_column()
    listed: set[str] = set()  # a key that is on the screen's list and everywhere: once
    for index, (title, bindings) in enumerate(sections):
        if index:
            table.add_row("", "")  # between sections
        table.add_row(Text(title, style="underline"), "")
        for binding in bindings:
            if not isinstance(binding, Binding) or binding.key in listed:
                continue
            listed.add(binding.key)
            table.add_row(key_label(binding.key), binding.tooltip or binding.description)
    return table


class HelpScreen(Dialog[None]):

    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close",
                tooltip="Close this help"),
    ]

    def __init__(self, sections: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Keys", id="title")
            with VerticalScroll():
                yield Static(help_table(self.sections))
            yield Static("Esc closes", id="hint")

    def action_close(self) -> None:
        self.dismiss(None)
