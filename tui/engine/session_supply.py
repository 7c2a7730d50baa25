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

from tui.engine.credentials_store import SessionCredentials
from tui.engine.errors import UsageError
from tui.engine.mfa_code import MfaCodeSource
from tui.engine.profiles import ProfileCatalog
from tui.engine.schedule import SessionState
from tui.engine.sessions import SessionService


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


def usable_session(service: SessionService, name: str,
                   code_source: MfaCodeSource | None = None,
                   notice: Callable[[str], None] | None = None) -> SessionCredentials:
    """The session of a role, identity or session profile, renewed first when it is missing
    or inside its lead time and a code source is available; a still-valid session is kept
    when no code can be had (`notice` says so)."""
    catalog = service.catalog()
    managed = catalog.role(name) is not None
    if not managed:
        try:
            catalog.identity(name)
            managed = True
        except UsageError:
            if name not in catalog.credentials:
                raise UsageError(unknown_profile(catalog, name)) from None
            # else a session profile we don't manage: use it as it is
    if managed:
        result = service.renew(name, code_source, force=False, keep_valid=True)
        for note in result.notes if result.skipped and notice else ():
            notice(f"{name}: {note}")  # type: ignore[misc]
    _, credentials = service.session_for(name)
    if credentials.expiration <= service.clock():
        raise UsageError(f"the session for {name} has expired: run `aws-mfa-tui refresh {name}`")
    return credentials


def unknown_profile(catalog: ProfileCatalog, name: str) -> str:
    """A name that is no identity, session profile or role, with the ones there are."""
    def some(names: list[str]) -> str:
        shown = ", ".join(names[:4]) or "none"
        return shown + (f", +{len(names) - 4} more" if len(names) > 4 else "")

    identities = catalog.identities
    return (f"no profile `{name}`: this takes an identity ({some([i.name for i in identities])}"
            f"), its session profile ({some([i.session_profile for i in identities])}), "
            f"a role ({some([r.name for r in catalog.roles])}) or another session section")


def region_of(service: SessionService, name: str) -> str | None:
    """The region of a role, an identity, or a session profile (from ~/.aws/config)."""
    catalog = service.catalog()
    role = catalog.role(name)
    if role is not None:
        return role.region
    for identity in catalog.identities:
        if name in (identity.name, identity.session_profile):
            return catalog.config.get(name, {}).get("region") or identity.region
    return catalog.config.get(name, {}).get("region")


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
            credentials = usable_session(self.service, profile, code_source, self.notice)
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
        from tui.engine.agent_client import session_from_agent
        from tui.engine.credentials_store import parse_expiration
        from tui.engine.secret import Secret

        session = session_from_agent(profile, self.files,
                                     for_pid=requester.pid or os.getpid())
        expiration = parse_expiration(session["Expiration"]) if session else None
        if session is None or expiration is None:
            return self.fallback.session_for(profile, requester, code_source)
        return SessionCredentials(session["AccessKeyId"], Secret(session["SecretAccessKey"]),
                                  Secret(session["SessionToken"]), expiration)
