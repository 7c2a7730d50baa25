"""Living beside programs that write the credentials file without our lock.

awscli's `aws configure set` truncates the file and writes it in place, taking no lock. The
store (`store`) leans on one `OtherWriters` per file to
- read the file only once such a writer is not in the middle of it (`open`, on
  `settled_read`), judging a read against what the file last held (`known_state`), which is
  remembered after each trusted read and each of our writes (`remember`, `expect`);
- tell, right before our replace, whether the path is still the file we read (`changed`);
- redo our edit on what a stalled writer wrote into the inode we replaced
  (`redo_on_orphan`).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable

from tui.engine.credential_values import is_long_term
from tui.engine.credentials_file.file_replace import os_error, replace_file, too_large
from tui.engine.credentials_file.ini_document import IniDocument
from tui.engine.credentials_file.known_state import KnownState, KnownStateFile
from tui.engine.credentials_file.lock import GIVE_UP_HINT, Notice
from tui.engine.credentials_file.settled_read import (
    QUIET,
    SETTLE,
    Read,
    TooLarge,
    Unsettled,
    names_of,
    recent,
    settled_read,
    stamp_of,
    whole_read,
)
from tui.engine.errors import CredentialsFileError

#: How many times one look at the inode we replaced may redo our edit on what another
#: program wrote into it.
MAX_ATTEMPTS = 50


class OtherWriters:
    """What one credentials file last held, and how to read and write it beside writers
    that take no lock. `notice` gives the store's current notice (it may be set later)."""

    def __init__(self, path: str, notice: Callable[[], Notice | None]):
        self.path = path
        self._notice = notice
        # What the file last held, shared with every other process of ours (see
        # `known_state`): a later read that lost sections or shrank is distrusted.
        self._known_file = KnownStateFile(path)
        # The path's stamp right after our last write: a file still at it was changed by
        # nobody since, so a write right after ours is no sign of a busy file.
        self.our_stamp: tuple[int, int, int, int] | None = None

    def known(self) -> KnownState | None:
        return self._known_file.load()

    def waiting(self, target: str) -> Callable[[str], None] | None:
        notice = self._notice()
        if notice is None:
            return None

        def tell(why: str) -> None:
            notice(f"{target} {why}: another program is writing it without a lock; waiting "
                   f"until it is whole, or holds still for {QUIET:g} s{GIVE_UP_HINT}")
        return tell

    def open(self, target: str, deadline: float | None) -> Read | None:
        """A stable read of `target` (None if it does not exist); the caller closes `fd`."""
        for _ in range(1000):
            try:
                # O_NONBLOCK: a FIFO at this path must not hang us (it is refused below).
                fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except FileNotFoundError:
                if target != self.path:
                    raise CredentialsFileError(
                        f"{self.path} is a symlink to {target}, which does not exist; "
                        "fix the link or remove it"
                    ) from None
                return None
            except OSError as exc:
                raise os_error(target, exc) from None
            try:
                mode = os.fstat(fd).st_mode
                if stat.S_ISDIR(mode):
                    raise CredentialsFileError(
                        f"{target} is a directory, not a credentials file; move it away"
                    )
                if not stat.S_ISREG(mode):
                    raise CredentialsFileError(
                        f"{target} is not a regular file (a device, FIFO or socket); move it away"
                    )
                data, info, weak = settled_read(fd, self.known(), deadline,
                                                self.our_stamp, self.waiting(target))
                # Replaced while we read: read the new file.
                if os.stat(target).st_ino == info.st_ino:
                    return Read(fd, data, stamp_of(info), weak)
            except OSError as exc:
                os.close(fd)
                raise os_error(target, exc) from None
            except Unsettled as exc:
                os.close(fd)
                raise self.unsettled(target, exc) from None
            except TooLarge as exc:
                os.close(fd)
                raise too_large(target, exc.size) from None
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        raise CredentialsFileError(f"{target} is replaced faster than it can be read")

    def parse(self, read: Read | None, values: bool = True) -> IniDocument:
        """`values=False` for a parse that is only edited (see `IniDocument.parse_bytes`).
        A read that is not weak becomes the file's last known state."""
        document = IniDocument.parse_bytes(read.data if read else b"", str(self.path),
                                           values=values)
        if read is not None and not read.weak:
            known = self.known()
            if known is None or known.stamp != read.stamp:  # (else nothing new to remember)
                self.remember(document, len(read.data), read.stamp)
        return document

    def remember(self, document: IniDocument, size: int,
                  stamp: tuple[int, int, int, int] | None,
                  kept: frozenset[str] | None = None) -> None:
        """`kept`: after our write, the sections we read (and kept): a writer that takes no
        lock may put back the version it read, without the sections we added; that loses
        our write, but is no sign of a cut-off read."""
        names = document.section_names()
        if kept is not None and kept is not names:  # (the same object: no section added)
            names &= kept
        known = self.known()
        if known is not None and (names is known.names or names == known.names):
            # The same sections (most writes): the same objects, so that the state file
            # can keep its list as it is (see `KnownStateFile.save`).
            self._known_file.save(known._replace(size=size, stamp=stamp))
            return
        if known is None:
            long_term = frozenset(n for n, values in document.as_dict().items()
                                  if is_long_term(values))
        else:  # only new sections are looked at (a walk per section costs)
            long_term = (known.long_term & names) | frozenset(
                n for n in names - known.names if is_long_term(document.get_section(n)))
        self._known_file.save(KnownState(names, long_term, size, stamp))

    def expect(self, document: IniDocument, size: int) -> None:
        """Before a write that removes sections or shrinks the file: widen the known state
        so that the file as it is and as it will be both fit it (a process killed between
        our replace and the state's update must not make the next one wait)."""
        known = self.known()
        names = document.section_names()
        if known is not None and (size < known.size or not known.names <= names):
            self._known_file.save(KnownState(known.names & names, known.long_term & names,
                                             min(size, known.size)))

    def unsettled(self, target: str, exc: Unsettled) -> CredentialsFileError:
        return CredentialsFileError(
            f"{target} {exc.what} for {exc.seconds:.1f} s (another program rewrites it "
            "without a lock, e.g. a loop of `aws configure set`); nothing was written, try "
            "again"
        )

    def busy(self, stamp: tuple[int, int, int, int]) -> bool:
        """Was the file we read changed lately by another program (not just by us)?"""
        return stamp != self.our_stamp and recent(stamp)

    def changed(self, target: str, read: Read | None, names: frozenset[str],
                 deadline: float | None) -> tuple[bool, Read | None]:
        """Whether the path is no longer the file we read (checked right before replace).

        A rewrite in place of the very bytes we read (awscli rewrites the whole file for
        every change) is no change: against a writer that never pauses, the stamp alone
        would never hold still. Returns (False, the read with the stamp it has now), or
        (True, the newer version when it was rewritten in place, looks whole and has every
        section of ours, else None)."""
        # A moment for a writer we caught mid-write to finish; after that the edit starts
        # over with a settled read (which knows how long to wait).
        give_up = time.monotonic() + 1.0
        while True:
            try:
                now = os.stat(target)
            except FileNotFoundError:
                return read is not None, None
            if read is None or now.st_ino != read.stamp[0]:
                return True, None
            if stamp_of(now) == read.stamp:
                return False, read
            try:
                data, info = whole_read(read.fd, deadline)
            except (Unsettled, TooLarge):
                return True, None
            if data == read.data:
                return False, read._replace(stamp=stamp_of(info))
            newer = names_of(data) if data.endswith(b"\n") else None
            if newer:
                return True, (read._replace(data=data, stamp=stamp_of(info))
                              if names <= newer and len(data) >= len(read.data) else None)
            if time.monotonic() > give_up:
                return True, None
            time.sleep(0.0005)  # in the middle of its write: see what it writes

    def redo_on_orphan(
        self, target: str, read: Read, read_names: frozenset[str],
        stamp: tuple[int, int, int, int], ours: bytes,
        change: Callable[[IniDocument], object], mode: int, deadline: float | None,
        watch: float,
    ) -> tuple[tuple[int, int, int, int], IniDocument | None]:
        """A writer that takes no lock may have written into the inode we just replaced (it
        opened the path before our replace). Its change is then gone from the path. Looked
        at at once and then for `watch` seconds (its open and its write can straddle our
        replace; a stalled writer finishes later). Returns the stamp the path has after
        us, and the document we last wrote if we wrote again.

        If the path still holds our bytes, our edit is redone on top of the orphan's
        version. If it changed meanwhile (that writer rewrote it in place), the sections
        the orphan gained are copied into it instead."""
        until = time.monotonic() + watch
        redone: IniDocument | None = None
        base = KnownState(read_names, frozenset(), 0)
        redos = 0
        while redos < MAX_ATTEMPTS:
            # Not ctime: the replace itself changes the old inode's link count and ctime.
            if stamp_of(os.fstat(read.fd))[:3] == read.stamp[:3]:
                if time.monotonic() >= until:
                    return stamp, redone
                time.sleep(min(SETTLE * 5, max(0.0, until - time.monotonic())))
                continue
            # Judged against the version we read, not ours: the orphan lacks our edit.
            try:
                data, info, _ = settled_read(read.fd, base, deadline)
                orphan = IniDocument.parse_bytes(data, str(self.path))
            except CredentialsFileError:
                return stamp, redone
            read = read._replace(stamp=stamp_of(info))
            redos += 1
            # and look again a moment after this redo
            until = max(until, time.monotonic() + SETTLE)
            current = self.open(target, deadline)
            if current is None:
                return stamp, redone
            try:
                if current.data == ours:
                    change(orphan)
                    document = orphan
                else:
                    document = self.parse(current, values=False)
                    gained = [n for n in orphan.sections()
                              if n not in read_names and not document.has_section(n)]
                    for name in gained:
                        document.set_values(name, orphan.get_section(name))
                    if not gained:
                        continue
                new = document.to_bytes()
                check: list[tuple[bool, Read | None]] = []

                def ready(current: Read = current,
                          check: list[tuple[bool, Read | None]] = check) -> bool:
                    check.append(self.changed(target, current, frozenset(), deadline))
                    return not check[0][0] and check[0][1] is not None

                written = replace_file(target, new, mode, ready)
                if written is None:
                    continue
                ours, stamp, redone = new, written, document
            finally:
                os.close(current.fd)
        return stamp, redone


