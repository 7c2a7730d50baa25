"""What the credentials file last held when aws-mfa-tui saw it whole: its section names,
which of them hold long-term keys, its size and its stamp. Never a value.

None of our edits removes a long-term key section, and a writer that takes no lock can
leave the file empty or cut half-way for seconds. So a read that lost a section this state
had, or shrank, or is empty, is not taken for the file while the file is being changed
(see `settled_read`). A fresh process (every CLI command) has no earlier read of its own:
the state is kept in a private file (0600, in a 0700 folder), one per credentials file,
shared by every aws-mfa-tui process of this user.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
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
        self._name = f"known-{hashlib.sha256(real.encode()).hexdigest()[:20]}.json"
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
        state: KnownState | None
        try:
            with open(path, "rb") as handle:
                data = json.loads(handle.read(16 << 20))
            stamp = data.get("stamp")
            state = KnownState(
                frozenset(data["names"]), frozenset(data["long_term"]), int(data["size"]),
                tuple(int(n) for n in stamp) if stamp else None,  # type: ignore[arg-type]
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            state = None  # e.g. `[]`: JSON, but not what we write
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
                handle.write(json.dumps({
                    "names": sorted(state.names), "long_term": sorted(state.long_term),
                    "size": state.size, "stamp": list(state.stamp) if state.stamp else None,
                }).encode())
            os.replace(temp, path)
            self._cached = None
