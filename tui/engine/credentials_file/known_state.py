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

import os
import time

from tui.engine.named_tuple import TYPE_CHECKING, NamedTuple
from tui.engine.private_folders import state_folder

if TYPE_CHECKING:  # (types only: `status --short` reads this module, and skips typing)
    from collections.abc import Callable
    from pathlib import Path
    from typing import TypeVar

    T = TypeVar("T")
    #: A state file's generation, and the size and stamp that amend it.
    _Amendment = tuple[str, int, "tuple[int, int, int, int] | None"]


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
    only when another process wrote it.

    Most of our writes change only the file's size and stamp, not its sections. Those go
    to a small companion file (`.stamp`): one fixed-width record, written in place, that
    names the generation of the state file it amends and carries its own checksum. A save
    then costs one small write instead of a line per section (1,000s of them) and a
    replace. A companion of another generation (a crash between the two, or another
    process that saved a new state meanwhile) or one whose checksum fails (a read that met
    a write half-way) is ignored: the state file alone is then what is known, which only
    makes a later read wait longer, never trust more.
    """

    def __init__(self, credentials: str | Path):
        real = os.path.realpath(credentials)
        self._name = f"known-{_path_hash(real)}.state"
        self._path: str | None = None
        self._cached: tuple[tuple[int, int, int], tuple[KnownState, str] | None] | None = None
        # The companion's last bytes and their parse. Keyed by the bytes, not the stamp:
        # written in place, it keeps its inode and size, and two writes within one tick of
        # the filesystem's clock keep its mtime too.
        self._cached_stamp: tuple[bytes, _Amendment | None] | None = None

    def path(self) -> str:
        if self._path is None:
            self._path = os.path.join(state_folder(), self._name)
        return self._path

    def stamp_path(self) -> str:
        return self.path().removesuffix(".state") + ".stamp"

    def load(self) -> KnownState | None:
        """The last known state, or None (none yet, or unreadable: then we know nothing)."""
        full = self._load_full()
        return None if full is None else self._amended(full)

    def save(self, state: KnownState) -> None:
        """Atomically replace the state (0600). Never raises: without it we only wait
        longer next time."""
        full = self._load_full()
        if full is not None and _same(full[0].names, state.names) \
                and _same(full[0].long_term, state.long_term):
            now = self._amended(full)
            if (now.size, now.stamp) != (state.size, state.stamp):
                self._amend((full[1], state.size, state.stamp))
            return
        generation = f"{os.getpid()}.{time.time_ns()}"
        self._cached = self._replace(self.path(), _text(state, generation),
                                     (state, generation))

    def _amended(self, full: tuple[KnownState, str]) -> KnownState:
        """The state file's state, with the companion's size and stamp when it amends
        this generation."""
        state, generation = full
        amendment = self._load_amendment()
        if amendment is not None and amendment[0] == generation:
            return state._replace(size=amendment[1], stamp=amendment[2])
        return state

    def _load_full(self) -> tuple[KnownState, str] | None:
        try:
            info = os.stat(self.path())
        except OSError:
            return None
        key = (info.st_ino, info.st_size, info.st_mtime_ns)
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, _read(self.path(), _parse))
        return self._cached[1]

    def _load_amendment(self) -> _Amendment | None:
        try:
            fd = os.open(self.stamp_path(), os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            raw = os.read(fd, 2 * RECORD_SIZE)
        except OSError:
            return None
        finally:
            os.close(fd)
        if self._cached_stamp is None or self._cached_stamp[0] != raw:
            try:
                parsed = _parse_amendment(raw.decode("ascii"))
            except ValueError:  # (UnicodeDecodeError too)
                parsed = None
            self._cached_stamp = (raw, parsed)
        return self._cached_stamp[1]

    def _amend(self, amendment: _Amendment) -> None:
        """Write the companion's record in place (see the class)."""
        try:
            fd = os.open(self.stamp_path(), os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return
        try:
            os.fchmod(fd, 0o600)
            record = _amendment_record(amendment)
            os.pwrite(fd, record, 0)
            self._cached_stamp = (record, amendment)
        except OSError:
            self._cached_stamp = None
        finally:
            os.close(fd)

    @staticmethod
    def _replace(path: str, text: str, value: T) -> tuple[tuple[int, int, int], T] | None:
        """Write `text` to `path` atomically; returns the cache entry for what a load would
        read back (the same inode, size and mtime), or None when it could not be written."""
        try:
            folder, name = os.path.split(path)
            temp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(fd, 0o600)
                handle.write(text.encode("utf-8"))
                handle.flush()
                info = os.fstat(fd)
            os.replace(temp, path)
        except OSError:
            return None
        return (info.st_ino, info.st_size, info.st_mtime_ns), value


def _same(a: frozenset[str], b: frozenset[str]) -> bool:
    return a is b or a == b  # (a set's == doesn't look at identity first)


def _read(path: str, parse: Callable[[str], T | None]) -> T | None:
    try:
        with open(path, "rb") as handle:
            return parse(handle.read(16 << 20).decode("utf-8"))
    except (OSError, ValueError):
        return None


HEADER = "aws-mfa-tui known state 1"


STAMP_HEADER = "aws-mfa-tui known stamp 1"


def _stamp_text(stamp: tuple[int, int, int, int] | None) -> str:
    return " ".join(str(n) for n in stamp) if stamp else "-"


def _parse_stamp(value: str) -> tuple[int, int, int, int] | None:
    """Raises ValueError for anything `_stamp_text` didn't write."""
    if value == "-":
        return None
    numbers = tuple(int(n) for n in value.split())
    if len(numbers) != 4:
        raise ValueError(value)
    return numbers  # type: ignore[return-value]


def _text(state: KnownState, generation: str) -> str:
    lines = [HEADER, f"generation {generation}", f"size {state.size}",
             f"stamp {_stamp_text(state.stamp)}"]
    lines += [f"name {name}" for name in state.names]  # (in no order: a set)
    lines += [f"long_term {name}" for name in state.long_term]
    return "\n".join(lines) + "\n"


#: The companion's one record, padded to this many bytes: each write covers the last.
RECORD_SIZE = 256


def _amendment_record(amendment: _Amendment) -> bytes:
    generation, size, stamp = amendment
    line = f"{generation} {size} {_stamp_text(stamp)}"
    return f"{STAMP_HEADER}\n{line} {_fnv(line)}\n".encode().ljust(RECORD_SIZE)


def _parse_amendment(text: str) -> _Amendment | None:
    """The amendment `_amendment_record` wrote, or None for anything else (a record cut
    by a concurrent write fails its checksum)."""
    lines = text.rstrip(" ").split("\n")
    if len(lines) != 3 or lines[0] != STAMP_HEADER or lines[2] != "":
        return None
    line, _, check = lines[1].rpartition(" ")
    if check != _fnv(line):
        return None
    generation, size, stamp = [*line.split(" ", 2), "", ""][:3]
    return generation, int(size), _parse_stamp(stamp)


def _parse(text: str) -> tuple[KnownState, str] | None:
    """The state `_text` wrote and its generation, or None for anything else (then we know
    nothing)."""
    fast = _parse_in_order(text)
    if fast is not None:
        return fast
    lines = text.split("\n")
    if lines[0] != HEADER or lines[-1] != "":
        return None
    names: set[str] = set()
    long_term: set[str] = set()
    size: int | None = None
    stamp: tuple[int, int, int, int] | None = None
    generation = ""
    for line in lines[1:-1]:
        kind, _, value = line.partition(" ")
        if kind == "name":
            names.add(value)
        elif kind == "long_term":
            long_term.add(value)
        elif kind == "size":
            size = int(value)
        elif kind == "stamp":
            stamp = _parse_stamp(value)
        elif kind == "generation":
            generation = value
        else:
            return None
    if size is None:
        return None
    return KnownState(frozenset(names), frozenset(long_term), size, stamp), generation


def _parse_in_order(text: str) -> tuple[KnownState, str] | None:
    """`_parse` for a state laid out exactly as `_text` writes it, with each block split by
    one string method instead of a loop over its lines (`status` reads the state on every
    run; at 2,000 profiles the loop took about 1 ms). None for any other layout: `_parse`
    then reads it line by line."""
    parts = text.split("\n", 4)
    if len(parts) != 5 or parts[0] != HEADER:
        return None
    _, generation, size, stamp, rest = parts
    if not (generation.startswith("generation ") and size.startswith("size ")
            and stamp.startswith("stamp ")):
        return None
    if rest.startswith("long_term "):  # (no name lines)
        cut = 0
    else:
        found = rest.find("\nlong_term ")
        cut = len(rest) if found < 0 else found + 1  # (-1: no long-term section)
    name_block, long_block = rest[:cut], rest[cut:]
    names = _block(name_block, "name ")
    long_term = _block(long_block, "long_term ")
    if names is None or long_term is None:
        return None
    try:
        state = KnownState(names, long_term, int(size[5:]), _parse_stamp(stamp[6:]))
    except ValueError:
        return None
    return state, generation[11:]


def _block(block: str, prefix: str) -> frozenset[str] | None:
    """The values of a run of `prefix value` lines (each ending in a newline), or None when
    the run is anything else."""
    if not block:
        return frozenset()
    if not block.startswith(prefix) or not block.endswith("\n"):
        return None
    values = block[len(prefix):-1].split("\n" + prefix)
    if block.count("\n") != len(values):  # a line of another kind inside the run
        return None
    return frozenset(values)


def _path_hash(text: str) -> str:
    """A stable file name per credentials file, with no import (hashlib costs
    `status --short` 2 ms)."""
    return _fnv(text)


def _fnv(text: str) -> str:
    """64-bit FNV-1a."""
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"
