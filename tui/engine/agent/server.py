"""The agent: the open TUI (or `watch`) hands sessions to this user's other programs over a
Unix socket, as ssh-agent hands out keys.

- The socket is `agent.sock` in the private runtime folder (0700), itself 0600.
- Every connection's peer is checked with SO_PEERCRED: another uid is refused and logged.
- One agent at a time: the agent holds an flock on `agent.lock` for its whole life. A
  second one finds it held and doesn't serve; a socket left by a killed agent (whose
  lock the kernel released) is replaced.
- Each connection is one request in the small JSON-lines protocol of `protocol`.
  A client that hangs up while it waits (Ctrl-C) is withdrawn from the code prompt.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import socket
import struct
import threading
from collections.abc import Callable
from pathlib import Path

from tui.engine.agent.code_prompts import CodeAsker, CodePrompts, Waiter
from tui.engine.agent.protocol import (
    LOCK_NAME,
    SOCKET_NAME,
    ProtocolError,
    SocketAddress,
    decode,
    encode,
    read_line,
)
from tui.engine.agent.session_supply import Requester, SessionSupply, requester_of
from tui.engine.credential_values import SessionCredentials, format_expiration
from tui.engine.errors import AwsMfaError, MfaCodeError
from tui.engine.mfa.codes import CodeRequest, MfaCodeSource
from tui.engine.private_folders import runtime_folder

#: How long a client may take to send its request line.
REQUEST_TIMEOUT = 5.0


class AgentRunning(Exception):
    """Another agent already serves this user."""


class NoWayToAsk(MfaCodeError):
    """The agent can't ask a person for this code: the client asks itself."""


class _AskRequester(MfaCodeSource):
    def get_code(self, request: CodeRequest):  # type: ignore[override]
        raise NoWayToAsk(f"{request.profile} needs an MFA code: the agent has no way to ask")


class _CommandFirst(MfaCodeSource):
    """The identity's mfa_command when it has one (as without the agent), else `source`."""

    def __init__(self, source: MfaCodeSource) -> None:
        self.source = source

    def get_code(self, request: CodeRequest):  # type: ignore[override]
        if request.mfa_command:
            from tui.engine.mfa.codes import CommandCode

            return CommandCode(request.mfa_command).get_code(request)
        return self.source.get_code(request)

    @property
    def interactive(self) -> bool:
        return self.source.interactive


def same_files(paths) -> tuple[str, ...]:  # paths: Iterable[str | os.PathLike]
    """Paths as the comparable real paths they name."""
    return tuple(os.path.realpath(os.fspath(path)) for path in paths)


def peer_credentials(conn: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end, from the kernel."""
    size = struct.calcsize("3i")
    pid, uid, gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET,
                                                        socket.SO_PEERCRED, size))
    return pid, uid, gid


class AgentServer:
    """Serves `supply`'s sessions. `asker` is the front end's code dialog (the TUI); without
    one, `code_source(requester)` gives the source for codes (`watch`: mfa_command or
    askpass), and a code nothing can give is left to the client (`ask_yourself`)."""

    def __init__(self, supply: SessionSupply, *, log: Callable[[str], None],
                 asker: CodeAsker | None = None,
                 identity_of: Callable[[str], str] = lambda profile: profile,
                 code_source: Callable[[Requester], MfaCodeSource | None] | None = None,
                 region_of: Callable[[str], str | None] = lambda profile: None,
                 files: tuple[Path, ...] = (),
                 folder: Path | None = None) -> None:
        self.supply = supply
        self.log = log
        self.prompts = CodePrompts(asker, identity_of) if asker is not None else None
        self.code_source = code_source
        self.region_of = region_of
        #: The credentials, config and settings files it serves from: a client using
        #: others does without the agent.
        self.files = same_files(files)
        self.folder = folder
        self.path: Path | None = None
        self._lock_fd: int | None = None
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._inode: int | None = None

    # ------------------------------------------------------------ life
    def start(self) -> AgentServer:
        """Bind and serve in a thread; AgentRunning when another agent serves."""
        folder = self.folder or runtime_folder()
        lock_fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(lock_fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise AgentRunning("another aws-mfa-tui agent serves this user") from None
            raise
        self._lock_fd = lock_fd
        path = folder / SOCKET_NAME
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by an agent that was killed: its lock is free
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            with SocketAddress(path) as address:
                listener.bind(address)
        finally:
            os.umask(old_umask)
        os.chmod(path, 0o600)
        listener.listen(64)
        self._inode = os.stat(path).st_ino
        self.path, self._listener = path, listener
        self._thread = threading.Thread(target=self._serve, name="agent", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.path is not None:
            with contextlib.suppress(OSError):
                if os.stat(self.path).st_ino == self._inode:
                    self.path.unlink()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> AgentServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ serving
    def _serve(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                continue
            threading.Thread(target=self._handle, args=(conn,), name="agent-client",
                             daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            pid, uid, _ = peer_credentials(conn)
            if uid != os.geteuid():
                self.log(f"agent: refused a connection from uid {uid} (pid {pid})")
                return
            conn.settimeout(REQUEST_TIMEOUT)
            try:
                request = decode(read_line(conn))
            except (ProtocolError, OSError):
                return
            conn.settimeout(None)
            reply = self._answer(request, pid, conn)
            with contextlib.suppress(OSError):
                conn.sendall(encode(reply))

    def _answer(self, request: dict[str, object], peer_pid: int,
                conn: socket.socket) -> dict[str, object]:
        op = request.get("op")
        if op == "hello":
            return {"ok": True, "agent": "aws-mfa-tui", "pid": os.getpid()}
        if op != "session" or not isinstance(request.get("profile"), str):
            return {"ok": False, "error": f"unknown request {op!r}", "exit": 2}
        profile = str(request["profile"])
        files = request.get("files")
        if self.files and (not isinstance(files, list) or same_files(files) != self.files):
            return {"ok": False, "ask_yourself": True, "exit": 2,
                    "error": "the agent serves other credentials files"}
        for_pid = request.get("for_pid")
        requester = requester_of(for_pid if isinstance(for_pid, int) else peer_pid)
        try:
            credentials = self.session_for(profile, requester, hangup=conn)
        except NoWayToAsk as exc:
            return {"ok": False, "error": str(exc), "exit": exc.exit_code, "ask_yourself": True}
        except AwsMfaError as exc:
            return {"ok": False, "error": str(exc), "exit": exc.exit_code}
        except Exception as exc:  # a bug of ours: one line, never a traceback
            return {"ok": False, "exit": 1,
                    "error": f"unexpected error in the agent ({type(exc).__name__})"}
        self.log(f"agent: served {profile} to {requester}")
        session = {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key.reveal(),
            "SessionToken": credentials.session_token.reveal(),
            "Expiration": format_expiration(credentials.expiration),
        }
        with contextlib.suppress(AwsMfaError):
            region = self.region_of(profile)
            if region:
                session["Region"] = region
        return {"ok": True, "session": session}

    def session_for(self, profile: str, requester: Requester,
                    code_source: MfaCodeSource | None = None,
                    hangup: socket.socket | None = None) -> SessionCredentials:
        """A session as the agent serves it (a `SessionSupply`, for an endpoint the TUI
        serves): codes asked through the agent; `hangup`, the client whose hanging up
        withdraws the request."""
        if self.prompts is None:
            source = self.code_source(requester) if self.code_source else None
            return self.supply.session_for(profile, requester,
                                           _CommandFirst(source or _AskRequester()))
        with self.prompts.waiting(requester, profile) as waiter:
            if hangup is not None:
                threading.Thread(target=_watch_hangup, args=(hangup, waiter),
                                 name="agent-hangup", daemon=True).start()
            try:
                return self.supply.session_for(
                    profile, requester, _CommandFirst(self.prompts.source_for(waiter)))
            finally:
                waiter.withdrawn.set()  # also ends the watcher


def _watch_hangup(conn: socket.socket, waiter: Waiter) -> None:
    """Marks the waiter withdrawn when its client hangs up (Ctrl-C, its own time limit)."""
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN | select.POLLHUP | select.POLLRDHUP)
    while not waiter.withdrawn.is_set():
        try:
            events = poller.poll(100)
        except (OSError, ValueError):
            break
        if events:
            waiter.withdrawn.set()
            return


def agent_for(service, *, log: Callable[[str], None], asker: CodeAsker | None = None,
              code_source: Callable[[Requester], MfaCodeSource | None] | None = None,
              supply: SessionSupply | None = None) -> AgentServer:
    """The agent over one `SessionService` (service: tui.engine.sessions.service.SessionService)."""
    from tui.engine.agent.session_supply import RememberedSessions, identity_of
    from tui.engine.sessions.handout import region_of

    return AgentServer(
        supply or RememberedSessions(service), log=log, asker=asker, code_source=code_source,
        identity_of=lambda profile: identity_of(service, profile),
        region_of=lambda profile: region_of(service.catalog(), profile),
        files=(service.paths.credentials, service.paths.config, service.paths.settings),
    )
