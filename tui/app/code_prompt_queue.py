"""Profiles waiting for an MFA code, asked one at a time (a code works only once).

Holds the names in order, counts "2 of 3" for the code modal's title, and the name whose
modal is open. It holds no screen: the main screen opens the modal and hears its result.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from enum import Enum

from tui.engine.profile_status import CodeMode, StatusRow


class NextStep(Enum):
    ASK = "ask"  # open the code modal for this row
    RUN = "run"  # it needs no code now (e.g. a role that can chain): refresh it


@dataclass
class CodePromptQueue:
    waiting: list[str] = field(default_factory=list)
    #: The profile whose code modal is open, if any.
    asking: str | None = None
    _asked: int = 0

    def __contains__(self, name: str) -> bool:
        return name in self.waiting or name == self.asking

    def add(self, name: str) -> None:
        if name not in self:
            self.waiting.append(name)
            self._asked += 1

    def next_step(self, row_named: Callable[[str], StatusRow | None],
                  busy: Container[str]) -> tuple[NextStep, StatusRow] | None:
        """What to do for the next waiting profile, skipping any gone or already busy;
        None when nobody is waiting (or a modal is open)."""
        if self.asking is not None:
            return None
        while self.waiting:
            row = row_named(self.waiting.pop(0))
            if row is None or row.name in busy:
                continue
            if row.code_mode != CodeMode.CODE:
                return NextStep.RUN, row
            self.asking = row.name
            return NextStep.ASK, row
        self._asked = 0
        return None

    def position(self) -> tuple[int, int]:
        """(this one, of how many) for the modal being opened."""
        return self._asked - len(self.waiting), self._asked

    def closed(self) -> str | None:
        """The open modal closed: the name it was for."""
        name, self.asking = self.asking, None
        return name

    def cancel_rest(self) -> list[str]:
        skipped, self.waiting = self.waiting, []
        self._asked = 0
        return skipped
