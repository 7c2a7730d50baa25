"""Codes the agent's clients need, asked once per identity of the person at the agent.

A client whose session needs a code waits; the front end (the TUI's code dialog) is
shown one `CodePrompt` per identity, naming who asks. The code typed there is used once,
by the one renewal the waiting clients share. A client that gives up (Ctrl-C, its own time
limit) is withdrawn; when nobody waits for an identity any more, its prompt is withdrawn
from the front end and no code is sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from tui.engine.agent.session_supply import Requester
from tui.engine.errors import MfaCodeError
from tui.engine.mfa.codes import CodeRequest, MfaCodeSource
from tui.engine.secret import Secret

#: The longest the agent keeps a prompt open for clients that still wait.
MAX_PROMPT_WAIT = 600.0
_POLL = 0.1


class CodePrompt:
    """One identity's open question, "the code, please", and who is waiting for it."""

    def __init__(self, request: CodeRequest, requesters: list[Requester]) -> None:
        self.request = request
        self.requesters = requesters
        self._answered = threading.Event()
        self._code: Secret | None = None

    @property
    def identity(self) -> str:
        return self.request.profile

    def who(self) -> str:
        """`terraform (pid 4121)`, `terraform (pid 4121) and 2 more`."""
        if not self.requesters:
            return "a program"
        first = str(self.requesters[0])
        more = len(self.requesters) - 1
        return f"{first} and {more} more" if more else first

    def answer(self, code: Secret | None) -> None:
        """The code typed, or None when the person cancelled."""
        self._code = code
        self._answered.set()

    @property
    def answered(self) -> bool:
        return self._answered.is_set()


class CodeAsker(Protocol):
    """The front end: shows a prompt (called from an agent thread) and takes it away."""

    def show(self, prompt: CodePrompt) -> None: ...

    def withdraw(self, prompt: CodePrompt) -> None: ...


class Waiter:
    """A client waiting for a session."""

    def __init__(self, requester: Requester, profile: str) -> None:
        self.requester = requester
        self.profile = profile
        self.withdrawn = threading.Event()


class CodePrompts:
    def __init__(self, asker: CodeAsker, identity_of: Callable[[str], str],
                 max_wait: float = MAX_PROMPT_WAIT) -> None:
        self.asker = asker
        self.identity_of = identity_of
        self.max_wait = max_wait
        self._waiters: list[Waiter] = []
        self._prompts: dict[str, CodePrompt] = {}
        self._identities: dict[str, str] = {}
        self._guard = threading.Lock()

    @contextmanager
    def waiting(self, requester: Requester, profile: str) -> Iterator[Waiter]:
        waiter = Waiter(requester, profile)
        with self._guard:
            self._waiters.append(waiter)
        try:
            yield waiter
        finally:
            with self._guard:
                self._waiters.remove(waiter)

    def source_for(self, waiter: Waiter) -> MfaCodeSource:
        return _AgentCode(self, waiter)

    def _identity(self, profile: str) -> str:
        with self._guard:
            known = self._identities.get(profile)
        if known is None:
            try:
                known = self.identity_of(profile)
            except Exception:
                known = profile
            with self._guard:
                self._identities[profile] = known
        return known

    def _waiting_for(self, identity: str) -> list[Requester]:
        with self._guard:
            waiters = [w for w in self._waiters if not w.withdrawn.is_set()]
        return [w.requester for w in waiters if self._identity(w.profile) == identity]

    def ask(self, request: CodeRequest, waiter: Waiter) -> Secret:
        identity = request.profile
        self._identity(waiter.profile)
        with self._guard:
            self._identities.setdefault(waiter.profile, identity)
        prompt = CodePrompt(request, self._waiting_for(identity) or [waiter.requester])
        with self._guard:
            self._prompts[identity] = prompt
        self.asker.show(prompt)
        deadline = time.monotonic() + self.max_wait
        try:
            while not prompt._answered.wait(_POLL):
                if not self._waiting_for(identity) or time.monotonic() > deadline:
                    self.asker.withdraw(prompt)
                    raise MfaCodeError(f"{identity} needs an MFA code and nobody waits for "
                                       "it any more")
                current = self._waiting_for(identity)
                if current != prompt.requesters:
                    prompt.requesters = current
        finally:
            with self._guard:
                self._prompts.pop(identity, None)
                self._identities.clear()
        if prompt._code is None:
            raise MfaCodeError("no MFA code was entered")
        return prompt._code


class _AgentCode(MfaCodeSource):
    """A code from the person at the agent, for one waiting client."""

    def __init__(self, prompts: CodePrompts, waiter: Waiter) -> None:
        self.prompts = prompts
        self.waiter = waiter

    def get_code(self, request: CodeRequest) -> Secret | None:
        return self.prompts.ask(request, self.waiter)

    @property
    def interactive(self) -> bool:
        return True
