"""The agent's wire format: one JSON object per line over a Unix socket, versioned.

    -> {"v": 1, "op": "hello"}
    <- {"v": 1, "ok": true, "agent": "aws-mfa-tui", "pid": 4000}
    -> {"v": 1, "op": "session", "profile": "work", "for_pid": 4121}
    <- {"v": 1, "ok": true, "session": {"AccessKeyId", "SecretAccessKey", "SessionToken",
                                        "Expiration"}}
    <- {"v": 1, "ok": false, "error": "one line", "exit": 4, "ask_yourself": false}

A request is answered once and the connection closed. Only sessions travel, never
long-term keys or codes. `for_pid` names the program that asks (the SDK that runs
`credential_process`): the agent shows its name and pid. `ask_yourself` means the agent
has no way to ask a person for a code: the client asks as it would without an agent.

This module imports no more than the standard library's json and os, so a client that
finds a fresh session in the agent costs little more than starting Python.
"""

from __future__ import annotations

import json
import os

VERSION = 1
SOCKET_NAME = "agent.sock"
LOCK_NAME = "agent.lock"
#: A line longer than this is not ours: the connection is dropped.
MAX_LINE = 64 * 1024
#: AF_UNIX paths are limited to 108 bytes; longer ones are reached through the folder's fd.
_MAX_SOCKET_PATH = 100


class ProtocolError(Exception):
    """A line that isn't this protocol's (or a version this side doesn't speak)."""


def encode(message: dict[str, object]) -> bytes:
    return json.dumps({"v": VERSION, **message}, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, object]:
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("not a JSON line") from None
    if not isinstance(message, dict):
        raise ProtocolError("not a JSON object")
    if message.get("v") != VERSION:
        raise ProtocolError(f"protocol version {message.get('v')!r}, not {VERSION}")
    return message


def read_line(sock) -> bytes:  # sock: socket.socket
    """One line (without its newline); b"" when the peer closed first."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        end = chunk.find(b"\n")
        if end >= 0:
            chunks.append(chunk[:end])
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_LINE:
            raise ProtocolError("line too long")


class SocketAddress:
    """A socket path usable with bind/connect whatever its length: a long one is reached as
    /proc/self/fd/N/agent.sock through an fd on its folder (closed by `close`)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._folder_fd: int | None = None
        if len(os.fsencode(self.path)) > _MAX_SOCKET_PATH:
            folder, name = os.path.split(self.path)
            self._folder_fd = os.open(folder, os.O_PATH | os.O_DIRECTORY)
            self.address = f"/proc/self/fd/{self._folder_fd}/{name}"
        else:
            self.address = self.path

    def close(self) -> None:
        if self._folder_fd is not None:
            os.close(self._folder_fd)
            self._folder_fd = None

    def __enter__(self) -> str:
        return self.address

    def __exit__(self, *exc: object) -> None:
        self.close()
