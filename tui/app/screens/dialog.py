"""The one base of every dialog: a centred box. Its styling is in app.tcss (`Dialog`,
`Dialog > #dialog`), in theme variables only; a dialog sets just its width there."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

Result = TypeVar("Result")


class Dialog(ModalScreen[Result]):
    """A modal whose content sits in one `#dialog` container."""
