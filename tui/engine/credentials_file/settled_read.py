"""Reading a file that programs which take no lock may be rewriting in place.

awscli's ConfigFileWriter (behind `aws configure set` and `aws configure mfa-login`) reads
the file, truncates it and writes it again, with no lock: for a moment it is empty or a
prefix. Other writers stall in the middle (a script writing line by line, an editor, a
loaded machine): a prefix cut at a section boundary parses, and can stay for seconds.
`settled_read` is how the credentials store reads such a file without taking one of those
moments for it. It rests on one fact that doesn't depend on the clock: none of our edits
removes a section, so a read that lacks a section the file was last known to have (see
`known_state`), or is shorter than it was, or is empty, is not the file as its writer
means it, unless nothing changes it for `QUIET` seconds. Used inside the credentials lock
and, for `status`, without it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from tui.engine.credentials_file.ini_document import IniDocument
from tui.engine.credentials_file.known_state import KnownState
from tui.engine.errors import CredentialsFileError
from tui.engine.named_tuple import NamedTuple

#: A whole read that has every known section, of a file changed less than this long ago,
#: must be confirmed by a second read SETTLE later.
RECENT_NS = 1_000_000_000
SETTLE = 0.002
#: A read that lost sections, shrank or is empty is believed only once nothing has
#: changed the file for this long (real editors and scripts pause for seconds, not one).
QUIET = 5.0
#: The most one read or edit may spend on a file that never settles (unless it holds a
#: session AWS granted: that is waited for until Ctrl-C).
BUDGET = 15.0
#: Seconds of waiting before the wait is told.
NOTICE_AFTER = 2.0
#: No credentials file is this big: a bigger one is refused without being read.
MAX_SIZE = 16 << 20


class Read(NamedTuple):
    """One stable read of the file: its bytes, the fstat that held before and after, and
    the descriptor (kept open so that, after our replace, we can see whether a writer that
    takes no lock wrote into the inode we replaced). `weak`: a suspect read (empty, cut
    off, lost sections) taken for lack of anything better: it is not remembered as the
    file's known state, and after a write based on it the replaced inode is watched for
    `QUIET` seconds, for what a stalled writer puts there."""

    fd: int
    data: bytes
    stamp: tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns
    weak: bool = False


def stamp_of(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def recently_changed(info: os.stat_result) -> bool:
    return recent(stamp_of(info))


def recent(stamp: tuple[int, int, int, int]) -> bool:
    """Changed less than RECENT_NS ago, or stamped in the future (a clock that was ahead)."""
    return time.time_ns() - max(stamp[2], stamp[3]) < RECENT_NS


class Unsettled(CredentialsFileError):
    """The file never settled: `what` says what we saw, `seconds` how long we looked."""

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(what)
        self.what, self.seconds = what, seconds


class TooLarge(CredentialsFileError):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size}")
        self.size = size


def read_fd(fd: int) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)
        if offset > MAX_SIZE:
            raise TooLarge(offset)


def whole_read(fd: int, deadline: float | None,
               started: float | None = None) -> tuple[bytes, os.stat_result]:
    """One read that no write overlapped: fstat the same before and after, and as many
    bytes as the file holds (mtime is coarse: a truncate and rewrite within one clock
    tick leaves it as it was, but not the bytes we got)."""
    first = time.monotonic() if started is None else started
    while True:
        before = os.fstat(fd)
        if before.st_size > MAX_SIZE:
            raise TooLarge(before.st_size)
        data = read_fd(fd)
        after = os.fstat(fd)
        if stamp_of(before) == stamp_of(after) and len(data) == after.st_size:
            return data, after
        now = time.monotonic()
        if deadline is not None and now > deadline:
            raise Unsettled("was being written every time we read it", now - first)
        time.sleep(0.0005)


def names_of(data: bytes) -> frozenset[str] | None:
    """The sections of a read that parses (none for an empty or blank one), or None."""
    if _LAST_NAMES and _LAST_NAMES[0][0] == data:  # a writer rewriting the same bytes
        return _LAST_NAMES[0][1]
    try:
        names = IniDocument.parse_bytes(data, "").section_names()
    except CredentialsFileError:
        names = None
    _LAST_NAMES[:] = [(data, names)]
    return names


_LAST_NAMES: list[tuple[bytes, frozenset[str] | None]] = []


def suspicion(data: bytes, names: frozenset[str] | None,
              known: KnownState | None) -> str | None:
    """Why a read may be a moment of another program's write, or None when it looks like
    the whole file: it has every section the file was last known to have, and no fewer
    bytes. Without a known state, only an empty or unparseable read is suspect."""
    if names is None:
        return "does not parse (cut off mid-line?)"
    if known is None:
        return "is empty" if not data.strip() else None
    lost = known.lost(names)
    if lost:
        long_term = len(lost & known.long_term)
        return (f"lacks {len(lost)} of the {len(known.names)} sections it had"
                + (f" ({long_term} with long-term keys)" if long_term else ""))
    if not data.strip() and known.size:
        return "is empty"
    if len(data) < known.size:
        return f"shrank from {known.size} to {len(data)} bytes"
    return None


def settled_read(
    fd: int, known: KnownState | None, deadline: float | None,
    ours: tuple[int, int, int, int] | None = None,
    waiting: Callable[[str], None] | None = None,
) -> tuple[bytes, os.stat_result, bool]:
    """Read `fd`, never taking a moment of another program's write for the file.

    Returns the bytes, their fstat, and whether the read is weak (see `Read.weak`).
    - A file whose stamp is `ours` or the known state's (changed by nobody since we last
      saw it whole), or unchanged for `QUIET` seconds, is read at once.
    - A read that looks whole (`suspicion`) is taken at once if the file is a second old,
      else when a second read SETTLE later has no fewer sections.
    - A suspect read (it lost known sections, shrank, is empty or doesn't parse) is taken
      only once every read for `QUIET` seconds, counted from the file's last change, got
      the same bytes. A writer that stalls for less than that finishes first, and the
      whole file is read instead. Without a known state (the first run on this file) an
      empty read is taken once the file is a second old; an unparseable one no shorter
      than the known state (or with none) is taken then too, to be refused.
    An mtime in the future counts as "changed when first seen here", never as a long wait.
    `waiting` is told once, after NOTICE_AFTER seconds, what we are waiting for. Raises
    `Unsettled` at `deadline` (None: never).
    """
    started = time.monotonic()
    first_seen: dict[tuple[int, int, int, int], float] = {}
    candidate: frozenset[str] | None = None
    last: bytes | None = None  # the last read, and since when the file has held it
    since = started
    told = False
    while True:
        data, info = whole_read(fd, deadline, started)
        stamp = stamp_of(info)
        if stamp == ours or (known is not None and stamp == known.stamp):
            return data, info, False
        now = time.monotonic()
        age = _age(stamp, first_seen, now)
        if data != last:
            # Quiet since the file's last change (for the first read: since its mtime).
            last, since = data, (now - age if last is None else now)
        names: frozenset[str] | None
        why: str | None
        if known is not None and len(data) < known.size:
            # Shorter than it was: suspect without the cost of a parse (against a writer
            # that never pauses, most reads are such prefixes).
            names, why = None, ("is empty" if not data.strip()
                                else f"shrank from {known.size} to {len(data)} bytes")
        else:
            names = names_of(data)
            why = suspicion(data, names, known)
        if age >= QUIET:
            # Still for long enough: it is what it is. If it lost what the file had, a
            # writer may still be stalled in it: weak.
            return data, info, why is not None and known is not None
        if why is None and names is not None:
            if age >= RECENT_NS / 1e9 or (candidate is not None and candidate <= names):
                return data, info, False
            candidate = names
            time.sleep(SETTLE)
            continue
        # (A candidate stays one: a later whole read with its sections confirms it.)
        if age >= RECENT_NS / 1e9:
            if names is None and (known is None or len(data) >= known.size):
                # Unparseable, and no shorter than it was: refused as it is, not a write
                # stopped half-way.
                return data, info, False
            if known is None:
                # Empty, and nothing known to have been lost (the first run on this file).
                return data, info, False
        if now - since >= QUIET:
            return data, info, True
        if deadline is not None and now > deadline:
            raise Unsettled(f"{why} and kept changing", now - started)
        if waiting is not None and not told and now - started >= NOTICE_AFTER:
            told = True
            waiting(why or "")
        time.sleep(0.001)


def _age(stamp: tuple[int, int, int, int], first_seen: dict, now: float) -> float:
    """Seconds since the file last changed. A stamp in the future (NFS, a stepped clock,
    an unpacked archive) counts from the moment this read first saw it."""
    wall = (time.time_ns() - max(stamp[2], stamp[3])) / 1e9
    if wall >= 0:
        return wall
    return now - first_seen.setdefault(stamp, now)
