"""Profiles waiting for an MFA code: one modal each, in turn (a code works only once).

Holds the names in order, counts "2 of 3" for the modal's title, and knows which modal
is open, so results can be routed to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.app.screens.mfa_code_modal import MfaCodeModal


@dataclass
class CodeRequests:
    waiting: list[str] = field(default_factory=list)
    modal: MfaCodeModal | None = None
    _asked: int = 0

    def __contains__(self, name: str) -> bool:
        return name in self.waiting

    def add(self, name: str) -> None:
        if name not in self.waiting:
            self.waiting.append(name)
            self._asked += 1

    def next_name(self) -> str | None:
        return self.waiting.pop(0) if self.waiting else None

    def position(self) -> tuple[int, int]:
        """(this one, of how many) for the modal being opened."""
        return self._asked - len(self.waiting), self._asked

    def modal_for(self, name: str) -> MfaCodeModal | None:
        if self.modal is not None and self.modal.row.name == name:
            return self.modal
        return None

    def cancel_rest(self) -> list[str]:
        skipped, self.waiting = self.waiting, []
        self._asked = 0
        return skipped

    def finished(self) -> None:
        if not self.waiting:
            self._asked = 0
