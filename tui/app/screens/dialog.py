"""The one base of every dialog: a centred box. Its styling is in app.tcss (`Dialog`,
`Dialog > #dialog`), in theme variables only; a dialog sets just its width there."""

from __future__ import annotations

from typing import TypeVar

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button
from textual.worker import Worker, WorkerState

Result = TypeVar("Result")


class Dialog(ModalScreen[Result]):
    """A modal whose content sits in one `#dialog` container.

    A `VerticalScroll` right inside `#dialog` gets the height the terminal leaves beside
    the dialog's other lines, so on a short terminal it scrolls and the lines after it
    (a hint, buttons) stay on screen. (`max-height: 1fr` in CSS doesn't: in a box of
    auto height it resolves to the whole screen.)"""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker of this dialog raised: the app says so (the event doesn't bubble)."""
        if event.state is WorkerState.ERROR:
            self.app.show_worker_error(event.worker)  # type: ignore[attr-defined]

    def on_resize(self, _event: events.Resize) -> None:
        self.call_after_refresh(self._fit_scroll)

    def _fit_scroll(self) -> None:
        for scroll in self.query("#dialog > VerticalScroll").results(VerticalScroll):
            box = scroll.parent
            if not isinstance(box, Vertical):
                continue
            others = sum(child.outer_size.height + child.styles.margin.height
                         for child in box.children if child is not scroll and child.display)
            room = self.size.height - box.styles.gutter.height - others \
                - scroll.styles.margin.height
            scroll.styles.max_height = max(3, room)


class Question(Dialog[bool]):
    """A yes/no dialog: the text from `compose_text`, then a safe "no" button (focused)
    and a "yes" button. It is dismissed with True for yes and False for no. A subclass
    names the buttons and binds its keys to the `yes` and `no` actions."""

    #: (button id, label) of each answer.
    YES: tuple[str, str] = ("yes", "Yes (y)")
    NO: tuple[str, str] = ("no", "No (n)")

    def compose_text(self) -> ComposeResult:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield from self.compose_text()
            with Horizontal(id="buttons"):
                yield Button(self.NO[1], id=self.NO[0])
                yield Button(self.YES[1], variant="warning", id=self.YES[0])

    def on_mount(self) -> None:
        self.query_one(f"#{self.NO[0]}", Button).focus()

    @on(Button.Pressed)
    def _answered(self, event: Button.Pressed) -> None:
        if event.button.id == self.YES[0]:
            self.action_yes()
        elif event.button.id == self.NO[0]:
            self.action_no()

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
