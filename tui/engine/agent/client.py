"""Asking the agent (the open TUI, or `watch`) for a session, as ssh asks ssh-agent.

No agent (no socket, or one nobody answers): None, and the caller does what it does
without one. The agent's errors come back as today's one-line errors with their exit
codes. A client waits a bounded time; Ctrl-C hangs up, which withdraws its request.

Light on purpose: a session from the agent's memory costs a connect and a line, with no
file parsed and no AWS library imported.
"""

from __future__ import annotations

# The C module: `socket` would import selectors, array and enum tables, a third of the
# whole cost of `credential-process` through the agent.
import _socket
import os

from tui.engine.agent.protocol import (
    SOCKET_NAME,
    ProtocolError,
    SocketAddress,
    decode,
    encode,
    read_line,
)
from tui.engine.errors import AwsMfaError, MfaCodeError, UsageError

#: The longest a client waits for the agent (a person may be typing a code).
CLIENT_WAIT = 300.0
#: Connecting to a live agent is immediate; one that doesn't accept is not there.
CONNECT_TIMEOUT = 2.0


class AgentError(AwsMfaError):
    """An error the agent reported, with the exit code it carries."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def socket_path() -> str | None:
    """The agent's socket in the runtime folder; None when there is no usable folder."""
    from tui.engine.private_folders import runtime_folder

    try:
        return str(runtime_folder() / SOCKET_NAME)
    except OSError:
        return None


def ask_agent(message: dict[str, object], wait: float = CLIENT_WAIT,
              path: str | None = None) -> dict[str, object] | None:
    """The agent's reply to one request, or None when no agent answers."""
    path = path or socket_path()
    if path is None:
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            with SocketAddress(path) as address:
                sock.connect(address)
        except OSError:
            return None  # no socket, a stale one, or a folder we can't enter
        sock.settimeout(wait)
        try:
            sock.sendall(encode(message))
            line = read_line(sock)
        except TimeoutError:
            raise MfaCodeError(
                f"the aws-mfa-tui agent gave no session within {int(wait)} s") from None
        except KeyboardInterrupt:
            raise KeyboardInterrupt("interrupted: the request to the agent is withdrawn"
                                    ) from None
        except (OSError, ProtocolError):
            return None  # it went away, or sent no line we can read: do without it
        if not line:
            return None  # it went away: do without it
        try:
            return decode(line)
        except ProtocolError:
            return None
    finally:
        sock.close()


def session_from_agent(profile: str, files: list[str], wait: float = CLIENT_WAIT,
                       path: str | None = None,
                       for_pid: int | None = None) -> dict[str, str] | None:
    """{"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Region"?} from the
    agent; None when there is no agent, it serves other `files` (credentials, config,
    settings), or it leaves the asking to us. `for_pid`: who asks (default: our parent,
    the program that runs us)."""
    reply = ask_agent({"op": "session", "profile": profile, "files": files,
                       "for_pid": for_pid or os.getppid()}, wait, path)
    if reply is None:
        return None
    session = reply.get("session")
    if reply.get("ok") and isinstance(session, dict):
        return {str(k): str(v) for k, v in session.items()}
    if reply.get("ask_yourself"):
        return None
    exit_code = reply.get("exit")
    message = str(reply.get("error") or "the agent gave no session")
    if exit_code == UsageError.exit_code:
        raise UsageError(message)  # told as without the agent (with the `--help` hint)
    raise AgentError(message, exit_code if isinstance(exit_code, int) else 1)
