"""The one MFA code field: digits only, six at most, shown as dots. Used by the MFA code
modal and the rotation screen."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from tui.engine.mfa.codes import CODE_LENGTH


class CodeInput(Input):
    """An `Input` for a six-digit MFA code; its value is handed on as a `Secret` and
    cleared by the screen that reads it."""

    DEFAULT_CSS = """
    CodeInput { width: 20; }
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("placeholder", f"{CODE_LENGTH} digits")
        super().__init__(restrict=r"[0-9]*", max_length=CODE_LENGTH, password=True, **kwargs)
