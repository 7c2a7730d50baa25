"""Reading a file that programs which take no lock may be rewriting in place.

awscli's ConfigFileWriter (behind `aws configure set` and `aws configure mfa-login`) reads
the file, truncates it and writes it again, with no lock: for a moment it is empty or a
prefix, and a writer that never pauses leaves it so for most of each round (measured: most
reads of a 1,500-profile file rewritten non-stop were empty, for up to most of a second on
a busy machine). `settled_read` is how the credentials store reads such a file without
taking one of those moments for it. Used inside the credentials lock and, for `status`,
without it.
"""

from __future__ import annotations

import os
import time

from tui.engine.errors import CredentialsFileError
from tui.engine.ini_document import IniDocument
from tui.engine.named_tuple import NamedTuple

#: A read of a file changed less than this long ago must be confirmed by a second read
#: SETTLE later.
RECENT_NS = 1_000_000_000
SETTLE = 0.002
#: How long only reads that lost sections (but look whole) must come before the fullest
#: of them is believed: another program may really have removed those sections.
SUSPECT_WAIT = 0.5
#: The most one read or edit may spend waiting for a file that never stops changing.
BUDGET = 10.0


class Read(NamedTuple):
    """One stable read of the file: its bytes, the fstat that held before and after, and
    the descriptor (kept open so that, after our replace, we can see whether a writer that
    takes no lock wrote into the inode we replaced)."""

    fd: int
    data: bytes
    stamp: tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns


def stamp_of(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def recently_changed(info: os.stat_result) -> bool:
    return recent(stamp_of(info))


def recent(stamp: tuple[int, int, int, int]) -> bool:
    return time.time_ns() - max(stamp[2], stamp[3]) < RECENT_NS


def read_fd(fd: int) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


class Unsettled(CredentialsFileError):
    """The file never stopped changing long enough to be read (see `BUDGET`)."""


def whole_read(fd: int, deadline: float) -> tuple[bytes, os.stat_result]:
    """One read that no write overlapped: fstat the same before and after, and as many
    bytes as the file holds (mtime is coarse: a truncate and rewrite within one clock
    tick leaves it as it was, but not the bytes we got)."""
    while True:
        before = os.fstat(fd)
        data = read_fd(fd)
        after = os.fstat(fd)
        if stamp_of(before) == stamp_of(after) and len(data) == after.st_size:
            return data, after
        if time.monotonic() > deadline:
            raise Unsettled("")
        time.sleep(0.0005)


def names_of(data: bytes) -> frozenset[str] | None:
    """The sections of a read that looks whole, or None: empty, no final newline (a write
    cut off mid-line; every writer we know ends its file with one), or unparseable."""
    if not data.strip() or not data.endswith(b"\n"):
        return None
    if _LAST_NAMES and _LAST_NAMES[0][0] == data:  # a writer rewriting the same bytes
        return _LAST_NAMES[0][1]
    try:
        names = frozenset(IniDocument.parse_bytes(data, "").sections())
    except CredentialsFileError:
        names = None
    _LAST_NAMES[:] = [(data, names)]
    return names


_LAST_NAMES: list[tuple[bytes, frozenset[str] | None]] = []


def settled_read(fd: int, reference: frozenset[str] | None, deadline: float,
                 ours: tuple[int, int, int, int] | None = None
                 ) -> tuple[bytes, os.stat_result]:
    """Read `fd`, never taking a moment of another program's write for the file.

    A writer that takes no lock (awscli's ConfigFileWriter) truncates the file and writes
    it again in place: for a moment it is empty or a prefix. It may also never pause, so
    waiting for the file to be still is no test. A file unchanged for a second is read at
    once. Otherwise a read is taken when
    - no write overlapped it (`whole_read`);
    - it looks whole (`names_of`) and has every section of `reference` (the sections of
      this store's last read that it kept);
    - and an earlier such read, SETTLE or more before, has no section it lacks (a read of
      a prefix is followed by one with more: that later one is taken then).
    A read that lost sections (another program may really have removed them) is believed
    only when nothing but suspect reads came for SUSPECT_WAIT, and then only the fullest of
    them. An empty, cut-off or unparseable read is believed only once the file is a second
    old. Raises `Unsettled` at `deadline`. A file whose stamp is still `ours` (the one
    this store's last write left) was changed by nobody since: it is read at once too.
    """
    candidate: frozenset[str] | None = None
    suspect_since: float | None = None
    fullest: tuple[int, int, bytes] | None = None  # sections, length, bytes
    while True:
        data, info = whole_read(fd, deadline)
        if not recently_changed(info) or (ours is not None and stamp_of(info) == ours):
            return data, info
        now = time.monotonic()
        if now > deadline:
            raise Unsettled("")
        names = names_of(data)
        if names is not None and (reference is None or reference <= names):
            if candidate is not None:  # and so `candidate <= names`: not a prefix of it
                return data, info
            candidate, reference = names, names
            suspect_since = fullest = None
            time.sleep(SETTLE)
            continue
        # Empty, cut off or unparseable: never taken while the file is changing. (A writer
        # that never pauses leaves it so for most of each round, and on a busy machine for
        # most of a second; one killed mid-write leaves it unchanged, read once it is old.)
        if names is not None:
            if suspect_since is None:
                suspect_since = now
            if fullest is None or (len(names), len(data)) > fullest[:2]:
                fullest = (len(names), len(data), data)
            if now - suspect_since >= SUSPECT_WAIT and data == fullest[2]:
                return data, info
        time.sleep(0.001 if names is None else 0.005)
