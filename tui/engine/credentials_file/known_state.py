"""What the credentials file last held when aws-mfa-tui saw it whole: its section names,
which of them hold long-term keys, its size and its stamp. Never a value.

None of our edits removes a long-term key section, and a writer that takes no lock can
leave the file empty or cut half-way for seconds. So a read that lost a section this state
had, or shrank, or is empty, is not taken for the file while the file is being changed
(see `settled_read`). A fresh process (every CLI command) has no earlier read of its own:
the state is kept in a private file (0600, in a 0700 folder), one per credentials file,
shared by every aws-mfa-tui process of this user.

The file is plain lines (a header, `size`, `stamp`, then a `name` or `long_term` line per
section), read without importing json or hashlib: every `status --short` reads it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from tui.engine.named_tuple import NamedTuple
from tui.engine.private_folders import state_folder


class KnownState(NamedTuple):
    names: frozenset[str]
    long_term: frozenset[str]
    size: int
    stamp: tuple[int, int, int, int] | None = None  # inode, size, mtime_ns, ctime_ns

    def lost(self, names: frozenset[str]) -> frozenset[str]:
        """The sections of this state that `names` lacks."""
        return self.names - names


class KnownStateFile:
    """The state file of one credentials file (resolved, so a symlink and its target
    share it). Reads are cached by the state file's stamp: a long-lived store reloads it
    only when another process wrote it."""

    def __init__(self, credentials: Path):
        real = os.path.realpath(credentials)
        self._name = f"known-{_path_hash(real)}.state"
        self._path: Path | None = None
        self._cached: tuple[tuple[int, int, int], KnownState | None] | None = None

    def path(self) -> Path:
        if self._path is None:
            self._path = state_folder() / self._name
        return self._path

    def load(self) -> KnownState | None:
        """The last known state, or None (none yet, or unreadable: then we know nothing)."""
        try:
            path = self.path()
            info = os.stat(path)
        except OSError:
            return None
        key = (info.st_ino, info.st_size, info.st_mtime_ns)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        try:
            with open(path, "rb") as handle:
                state = _parse(handle.read(16 << 20).decode("utf-8"))
        except (OSError, ValueError):
            state = None
        self._cached = (key, state)
        return state

    def save(self, state: KnownState) -> None:
        """Atomically replace the state (0600). Never raises: without it we only wait
        longer next time."""
        if self.load() == state:
            return
        with contextlib.suppress(OSError):
            path = self.path()
            temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(fd, 0o600)
                handle.write(_text(state).encode("utf-8"))
                handle.flush()
                info = os.fstat(fd)
            os.replace(temp, path)
            # What we wrote is what a load would read back (the same inode, size and mtime).
            self._cached = ((info.st_ino, info.st_size, info.st_mtime_ns), state)


HEADER = "aws-mfa-tui known state 1"


def _text(state: KnownState) -> str:
    stamp = " ".join(str(n) for n in state.stamp) if state.stamp else "-"
    lines = [HEADER, f"size {state.size}", f"stamp {stamp}"]
    lines += [f"name {name}" for name in state.names]  # (in no order: a set)
    lines += [f"long_term {name}" for name in state.long_term]
    return "\n".join(lines) + "\n"


def _parse(text: str) -> KnownState | None:
    """The state `_text` wrote, or None for anything else (then we know nothing)."""
    lines = text.split("\n")
    if lines[0] != HEADER or lines[-1] != "":
        return None
    names: set[str] = set()
    long_term: set[str] = set()
    size: int | None = None
    stamp: tuple[int, int, int, int] | None = None
    for line in lines[1:-1]:
        kind, _, value = line.partition(" ")
        if kind == "name":
            names.add(value)
        elif kind == "long_term":
            long_term.add(value)
        elif kind == "size":
            size = int(value)
        elif kind == "stamp" and value != "-":
            numbers = tuple(int(n) for n in value.split())
            if len(numbers) != 4:
                return None
            stamp = numbers  # type: ignore[assignment]
        elif kind != "stamp":
            return None
    if size is None:
        return None
    return KnownState(frozenset(names), frozenset(long_term), size, stamp)


def _path_hash(text: str) -> str:
    """64-bit FNV-1a of the path: a stable file name per credentials file, with no import
    (hashlib costs `status --short` 2 ms)."""
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"
