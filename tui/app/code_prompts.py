"""The main screen's code prompts: profiles waiting for an MFA code are asked one at a time
(a code works only once), each in its own code modal, which runs the refresh itself and
hands back how it ended.

`CodePromptQueue` holds the names in order, counts "2 of 3" for the modal's title, and
knows the name whose modal is open; it holds no screen. `CodePrompts` opens the next modal
once the previous one closed and the table is current, shows the row as busy while its
code is with AWS, and, when a modal closes without a refresh, skips the rest of the queue.

Programs that wait on the agent get their own code dialog (`agent_prompts`): its code goes
to their renewal, so it never queues here.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from tui.engine.profiles.status import CodeMode, StatusRow

if TYPE_CHECKING:
    from datetime import datetime

    from textual.app import App

    from tui.app.messages import RefreshFinished
    from tui.engine.sessions.service import SessionService


class PromptingScreen(Protocol):
    """What `CodePrompts` asks of the screen it serves (the main screen): its rows, which are
    busy, marked or failed, and how to refresh, repaint and note. Named here so this module
    needs no import of the screen, which imports it."""

    service: SessionService
    busy: set[str]
    errors: dict[str, str]
    marked: set[str]

    @property
    def app(self) -> App[object]: ...

    @property
    def reading_status(self) -> bool: ...

    @property
    def now(self) -> datetime: ...

    def row_named(self, name: str) -> StatusRow | None: ...

    def run_refresh(self, row: StatusRow) -> None: ...

    def refresh_finished(self, message: RefreshFinished) -> None: ...

    def note(self, message: str, level: str = "info", toast: bool = False) -> None: ...

    def repaint(self) -> None: ...


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


class CodePrompts:
    """The code modals of one main screen, opened one after another."""

    def __init__(self, screen: PromptingScreen) -> None:
        self.screen = screen
        self.queue = CodePromptQueue()

    def __contains__(self, name: str) -> bool:
        return name in self.queue

    def add(self, name: str) -> None:
        self.queue.add(name)

    def open_next(self) -> None:
        """Open the next code modal, once the previous one closed and the table is current."""
        screen = self.screen
        if screen.reading_status:
            return
        while (step := self.queue.next_step(screen.row_named, screen.busy)) is not None:
            what, row = step
            if what is NextStep.RUN:
                screen.run_refresh(row)
                continue
            from tui.app.screens.mfa_code_modal import MfaCodeModal

            modal = MfaCodeModal(screen.service, row, screen.now, self.queue.position(),
                                 on_checking=self._checking,
                                 late_result=screen.refresh_finished)
            screen.app.push_screen(
                modal, lambda result, modal=modal: self._closed(result, modal.outcome))
            return

    def _checking(self, name: str, checking: bool) -> None:
        """The code modal sent a code to AWS (or heard back): the row shows it."""
        screen = self.screen
        if checking:
            screen.busy.add(name)
            screen.errors.pop(name, None)
        else:
            screen.busy.discard(name)
        screen.repaint()

    def _closed(self, result: RefreshFinished | None, why: str = "no code entered") -> None:
        screen = self.screen
        name = self.queue.closed()
        if result is None or result.error:
            if result is None and name is not None:
                screen.note(f"{name}: {why}")
                screen.marked.discard(name)
            skipped = self.queue.cancel_rest()
            if skipped:
                screen.note(f"skipped {', '.join(skipped)}")
                screen.marked.difference_update(skipped)
        if result is not None:
            screen.refresh_finished(result)
        screen.repaint()
        self.open_next()
