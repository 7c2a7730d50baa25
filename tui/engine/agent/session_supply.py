"""Handing sessions to other programs from a long-lived process: the agent (the TUI,
`watch`) and the credentials endpoint of `exec --server`.

`SessionSupply` is the seam they use: "a session for PROFILE, for this requester, asking
a code through this source when one is needed". `RememberedSessions` is today's supply,
over one `SessionService`: it keeps each session it handed out in memory and hands it out
again while it is fresh and the files have not changed, renews otherwise, one renewal at a
time per identity (the callers of one identity wait for it and share its session)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import NamedTuple, Protocol

from tui.engine.credential_values import SessionCredentials
from tui.engine.errors import UsageError
from tui.engine.mfa.codes import MfaCodeSource
from tui.engine.sessions.handout import usable_session
from tui.engine.sessions.schedule import SessionState
from tui.engine.sessions.service import SessionService


class Requester(NamedTuple):
    """Who asks for a session: shown to the person ("terraform (pid 4121)"), never a secret."""

    program: str
    pid: int | None = None

    def __str__(self) -> str:
        return f"{self.program} (pid {self.pid})" if self.pid else self.program


def requester_of(pid: int | None) -> Requester:
    """The program running as `pid` (its /proc comm), or `pid N` when it can't be read."""
    if not pid:
        return Requester("unknown")
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as handle:
            name = handle.read().strip()
    except OSError:
        name = ""
    return Requester(name or "a program", pid)


class SessionSupply(Protocol):
    def session_for(self, profile: str, requester: Requester,
                    code_source: MfaCodeSource | None = None) -> SessionCredentials:
        """A usable session for `profile`; raises AwsMfaError (one line) when there is none."""
        ...


def identity_of(service: SessionService, name: str) -> str:
    """The identity whose code renews this profile (the name itself for others)."""
    catalog = service.catalog()
    role = catalog.role(name)
    if role is not None:
        return role.identity
    try:
        return catalog.identity(name).name
    except UsageError:
        return name


class _Remembered(NamedTuple):
    files: tuple[tuple[int, int, int], ...]
    credentials: SessionCredentials


class RememberedSessions:
    """Today's `SessionSupply`, over a `SessionService` (see the module's notes)."""

    def __init__(self, service: SessionService,
                 notice: Callable[[str], None] | None = None) -> None:
        self.service = service
        self.notice = notice
        self._remembered: dict[str, _Remembered] = {}
        self._renewing: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _files(self) -> tuple[tuple[int, int, int], ...]:
        """What the files look like now: a change means another writer was there."""
        paths = self.service.paths
        marks = []
        for path in (paths.credentials, paths.config, paths.settings):
            try:
                info = os.stat(path)
            except OSError:
                marks.append((0, 0, 0))
            else:
                marks.append((info.st_ino, info.st_size, info.st_mtime_ns))
        return tuple(marks)

    def _fresh(self, profile: str) -> SessionCredentials | None:
        with self._guard:
            remembered = self._remembered.get(profile)
        if remembered is None or remembered.files != self._files():
            return None
        entry = self.service.schedule().entry(profile, remembered.credentials.expiration)
        return remembered.credentials if entry.state is SessionState.FRESH else None

    def _renewal_lock(self, profile: str) -> threading.Lock:
        """One renewal at a time per identity: a role's renewal may renew its identity."""
        key = identity_of(self.service, profile)
        with self._guard:
            return self._renewing.setdefault(key, threading.Lock())

    def session_for(self, profile: str, requester: Requester,
                    code_source: MfaCodeSource | None = None) -> SessionCredentials:
        fresh = self._fresh(profile)
        if fresh is not None:
            return fresh
        with self._renewal_lock(profile):
            fresh = self._fresh(profile)  # renewed by the caller we waited for
            if fresh is not None:
                return fresh
            handed = usable_session(self.service, profile, code_source)
            for note in handed.notes if self.notice else ():
                self.notice(f"{profile}: {note}")  # type: ignore[misc]
            credentials = handed.credentials
            # The files as they are after our own write: a later change is someone else's.
            remembered = _Remembered(self._files(), credentials)
            with self._guard:
                self._remembered[profile] = remembered
            return credentials

    def forget(self) -> None:
        with self._guard:
            self._remembered.clear()


class AgentSessions:
    """A `SessionSupply` that asks the agent (the open TUI, `watch`) first, naming the
    requester, and `fallback` when no agent answers or it leaves the asking to us."""

    def __init__(self, files: list[str], fallback: SessionSupply) -> None:
        self.files = files
        self.fallback = fallback

    def session_for(self, profile: str, requester: Requester,
                    code_source: MfaCodeSource | None = None) -> SessionCredentials:
        from tui.engine.agent.client import session_from_agent
        from tui.engine.credential_values import parse_expiration
        from tui.engine.secret import Secret

        session = session_from_agent(profile, self.files,
                                     for_pid=requester.pid or os.getpid())
        expiration = parse_expiration(session["Expiration"]) if session else None
        if session is None or expiration is None:
            return self.fallback.session_for(profile, requester, code_source)
        return SessionCredentials(session["AccessKeyId"], Secret(session["SecretAccessKey"]),
                                  Secret(session["SessionToken"]), expiration)
