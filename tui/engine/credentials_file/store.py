"""The one writer of ~/.aws/credentials: locked, atomic, and byte-faithful outside its edit.

Every change is a read-modify-write that
1. holds an exclusive `flock` on `.credentials.lock` beside the credentials file and beside
   the file it resolves to (see `lock`; the protocol aws-mfa-credentials uses);
2. re-reads and re-parses the file inside the lock, refusing a file botocore couldn't read,
   one owned by another user, or one whose owner may not write it;
3. edits only the lines of the sections it changes (see `ini_document`);
4. writes a temp file in the same directory (0600 from creation, then the old file's mode),
   fsyncs it, `os.replace`s the real file, and fsyncs the directory (`file_replace`, which
   also holds the rules on who may own the file and who may read it).

A reader (botocore in another process) therefore always sees one complete version. A
symlinked credentials file stays a symlink: we replace its target. Inside the lock every
temp file of ours is a dead writer's, so each edit removes any it finds.

Programs that take no lock (awscli's `aws configure set` truncates the file and writes it
in place) are met as well as they can be: a read that such a writer is in the middle of is
never taken for the file (`settled_read`); the edit starts over if the file changed
between our read and our replace; and if the writer wrote into the inode we replaced, our
edit is redone on top of its version. What can't be prevented: such a writer that read the
file before our replace and writes after it puts back the version it read.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from tui.engine.credential_values import SessionCredentials
from tui.engine.credentials_file.file_replace import (
    ensure_directory,
    make_private,
    mode_to_write,
    os_error,
    remove_dead_temps,
    replace_file,
    too_large,
    warn_open_folders,
)
from tui.engine.credentials_file.ini_document import IniDocument
from tui.engine.credentials_file.known_state import KnownState, KnownStateFile
from tui.engine.credentials_file.lock import GIVE_UP_HINT, LOCK_FILE_NAME, Notice, credentials_lock
from tui.engine.credentials_file.settled_read import (
    BUDGET,
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
from tui.engine.named_tuple import TYPE_CHECKING
from tui.engine.secret import Secret

if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")

#: How many times one look at the inode we replaced may redo our edit on what another
#: program wrote into it.
MAX_ATTEMPTS = 50
#: How many times, after a write into a file another program is changing, we look again
#: whether our edit is still there (a writer that takes no lock may have put its version
#: back) and redo it if not.
VERIFY_ROUNDS = 3

SESSION_KEYS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "expiration",
)
#: Marks a session made from a key that was rotated away (botocore ignores unknown keys).
STALE_KEY = "stale"
STALE_KEY_ROTATED = "key-rotated"
#: The session key id the mark was made for: a peer that rewrites the section's keys but
#: keeps other lines (aws-iam-login, aws-mfa) leaves the mark behind a new session.
STALE_SESSION_KEY = "stale_session"


class CredentialsStore:
    """Reads and edits one shared credentials file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        lock_timeout: float | None = None,
        notice: Notice | None = None,
    ):
        self.path = Path(os.path.expanduser(os.fspath(path)))
        #: None: wait for a busy lock until interrupted (told through `notice` after 2 s).
        self.lock_timeout = lock_timeout
        self.notice = notice
        # What the file last held, shared with every other process of ours (see
        # `known_state`): a later read that lost sections or shrank is distrusted.
        self._known_file = KnownStateFile(self.path)
        # The path's stamp right after our last write: a file still at it was changed by
        # nobody since, so a write right after ours is no sign of a busy file.
        self._our_stamp: tuple[int, int, int, int] | None = None

    @property
    def lock_path(self) -> Path:
        """The lock beside the path as given, where aws-mfa-credentials looks for it."""
        return self.path.parent / LOCK_FILE_NAME

    # ------------------------------------------------------------------ reading
    def _target(self) -> Path:
        """The real file to read and replace: the symlink's target when it is one."""
        path = self.path
        try:
            if not path.is_symlink():
                warn_open_folders(self.notice, path)
                return path
            target = Path(os.path.realpath(path))
            warn_open_folders(self.notice, path, target)
            if not target.exists() and not target.parent.is_dir():
                raise CredentialsFileError(
                    f"{path} is a symlink to {target}, whose folder does not exist; "
                    "fix or remove the link"
                )
            return target
        except OSError as exc:
            raise os_error(path, exc) from None

    def _known(self) -> KnownState | None:
        return self._known_file.load()

    def _waiting(self, target: Path) -> Callable[[str], None] | None:
        if self.notice is None:
            return None
        notice = self.notice

        def tell(why: str) -> None:
            notice(f"{target} {why}: another program is writing it without a lock; waiting "
                   f"until it is whole, or holds still for {QUIET:g} s{GIVE_UP_HINT}")
        return tell

    def _open(self, target: Path, deadline: float | None) -> Read | None:
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
                data, info, weak = settled_read(fd, self._known(), deadline,
                                                self._our_stamp, self._waiting(target))
                # Replaced while we read: read the new file.
                if os.stat(target).st_ino == info.st_ino:
                    return Read(fd, data, stamp_of(info), weak)
            except OSError as exc:
                os.close(fd)
                raise os_error(target, exc) from None
            except Unsettled as exc:
                os.close(fd)
                raise self._unsettled(target, exc) from None
            except TooLarge as exc:
                os.close(fd)
                raise too_large(target, exc.size) from None
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        raise CredentialsFileError(f"{target} is replaced faster than it can be read")

    def _parse(self, read: Read | None, values: bool = True) -> IniDocument:
        """`values=False` for a parse that is only edited (see `IniDocument.parse_bytes`).
        A read that is not weak becomes the file's last known state."""
        document = IniDocument.parse_bytes(read.data if read else b"", str(self.path),
                                           values=values)
        if read is not None and not read.weak:
            self._remember(document, len(read.data), read.stamp)
        return document

    def _remember(self, document: IniDocument, size: int,
                  stamp: tuple[int, int, int, int] | None,
                  kept: frozenset[str] | None = None) -> None:
        """`kept`: after our write, the sections we read (and kept): a writer that takes no
        lock may put back the version it read, without the sections we added; that loses
        our write, but is no sign of a cut-off read."""
        names = frozenset(document.sections())
        if kept is not None:
            names &= kept
        known = self._known()
        if known is None:
            long_term = frozenset(n for n, values in document.as_dict().items()
                                  if _is_long_term(values))
        else:  # only new sections are looked at (a walk per section costs)
            long_term = (known.long_term & names) | frozenset(
                n for n in names - known.names if _is_long_term(document.get_section(n)))
        self._known_file.save(KnownState(names, long_term, size, stamp))

    def _expect(self, document: IniDocument, size: int) -> None:
        """Before a write that removes sections or shrinks the file: widen the known state
        so that the file as it is and as it will be both fit it (a process killed between
        our replace and the state's update must not make the next one wait)."""
        known = self._known()
        names = frozenset(document.sections())
        if known is not None and (size < known.size or not known.names <= names):
            self._known_file.save(KnownState(known.names & names, known.long_term & names,
                                             min(size, known.size)))

    def _unsettled(self, target: Path, exc: Unsettled) -> CredentialsFileError:
        return CredentialsFileError(
            f"{target} {exc.what} for {exc.seconds:.1f} s (another program rewrites it "
            "without a lock, e.g. a loop of `aws configure set`); nothing was written, try "
            "again"
        )

    def read(self) -> IniDocument:
        """Parse the file as it is now (no lock: our writers replace it atomically)."""
        target = self._target()
        read = self._open(target, time.monotonic() + BUDGET)
        try:
            return self._parse(read)
        finally:
            if read is not None:
                os.close(read.fd)

    def exists(self) -> bool:
        return self.path.exists()

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the credentials lock(s) (re-entrant within one thread)."""
        ensure_directory(self.path.parent)
        with credentials_lock(self.path, self.lock_timeout, self.notice):
            yield

    def edit(self, change: Callable[[IniDocument], T], private: bool = False,
             patient: bool = False) -> T:
        """Run `change` on a fresh parse inside the lock; write only if the text changed.

        `change` may run more than once: when another program changed the file between our
        read and our replace, the edit starts over on its version. `private`: the edit puts
        secrets in the file, so a file others can read is made 0600 (and told), even when
        its bytes don't change. Raises CredentialsFileError, having written nothing, when
        the file never settles for `BUDGET` seconds; with `patient` (the edit holds a
        session AWS granted) it never gives up, says so after `BUDGET` seconds, and only
        Ctrl-C ends the wait.
        """
        with self.locked():
            target = self._target()
            remove_dead_temps(target.parent)
            started = time.monotonic()
            deadline = None if patient else started + BUDGET
            result, written = self._edit_once(target, change, private, deadline, started)
            # A writer that takes no lock and read the file before our replace may write
            # its version back after it, in place. Look again a moment later while the
            # file is being changed, and redo the edit (a no-op when it is still there).
            for _ in range(VERIFY_ROUNDS):
                if written is None:
                    break
                time.sleep(SETTLE)
                with contextlib.suppress(OSError):
                    if stamp_of(os.stat(target)) == written:
                        break
                try:
                    _, written = self._edit_once(target, change, private,
                                                 time.monotonic() + BUDGET, time.monotonic())
                except CredentialsFileError:
                    break  # e.g. replace_key: the key is no longer the old one, so ours held
            return result

    def _edit_once(
        self, target: Path, change: Callable[[IniDocument], T], private: bool,
        deadline: float | None, started: float,
    ) -> tuple[T, tuple[int, int, int, int] | None]:
        """One locked read-change-replace; returns the result, and the stamp of what we
        wrote if we wrote while another program was changing the file (else None)."""
        again: Read | None = None
        told = False
        attempt = 0
        while True:
            attempt += 1
            read, again = again or self._open(target, deadline), None
            try:
                document = self._parse(read, values=False)
                read_names = frozenset(document.sections())
                result = change(document)
                new = document.to_bytes()
                if new == (read.data if read else b""):
                    if private and read is not None:
                        make_private(target, read.fd, self.notice)
                    return result, None
                mode = mode_to_write(target, read.fd if read else None, private,
                                     self.notice)
                self._expect(document, len(new))
                check: list[tuple[bool, Read | None]] = []

                def ready(read: Read | None = read, names: frozenset[str] = read_names,
                          check: list[tuple[bool, Read | None]] = check) -> bool:
                    check.append(self._changed(target, read, names, deadline))
                    return not check[0][0]

                written = replace_file(target, new, mode, ready)
                newer = check[0][1]
                if written is None:
                    now = time.monotonic()
                    if deadline is not None and now > deadline:
                        raise self._unsettled(target, Unsettled(
                            f"was changed by another program under each of our {attempt} "
                            "attempts to write it", now - started))
                    if deadline is None and not told and now - started > BUDGET:
                        told = True
                        if self.notice is not None:
                            self.notice(
                                f"{target} has been changed by another program under each of "
                                f"our {attempt} attempts to write it for {now - started:.0f} "
                                f"s; still trying, to keep what AWS granted{GIVE_UP_HINT}")
                    if newer is not None and read is not None:
                        # It added to what we read: redo the edit on that at once, on the
                        # same descriptor (a full settled read may never come in time).
                        again, read = newer, None
                    continue  # another writer got in between: start over on its version
                read, stamp = newer, written
                # (The read's stamp, not the old inode's: our replace changed its ctime.)
                hot = read is not None and self._busy(read.stamp)
                if read is not None:
                    # A weak base (a stalled writer's part may be all we saw): watch the
                    # inode we replaced long enough for that writer to finish in it.
                    watch = QUIET if read.weak else SETTLE if hot else 0.0
                    stamp, redone = self._redo_on_orphan(
                        target, read, read_names, stamp, new, change, mode, deadline, watch)
                    if redone is not None:
                        # What landed in the file we replaced, with our edit on it.
                        document = redone
                        new = document.to_bytes()
                        read_names = frozenset(document.sections())
                        read = read._replace(data=new)
                self._our_stamp = stamp
                # (The size we read, if smaller: a version put back is no cut-off read.)
                size = min(len(new), len(read.data)) if read is not None else 0
                self._remember(document, size, stamp, kept=read_names)
                return result, stamp if hot else None
            finally:
                if read is not None:
                    os.close(read.fd)

    def _busy(self, stamp: tuple[int, int, int, int]) -> bool:
        """Was the file we read changed lately by another program (not just by us)?"""
        return stamp != self._our_stamp and recent(stamp)

    def _changed(self, target: Path, read: Read | None, names: frozenset[str],
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

    def _redo_on_orphan(
        self, target: Path, read: Read, read_names: frozenset[str],
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
            current = self._open(target, deadline)
            if current is None:
                return stamp, redone
            try:
                if current.data == ours:
                    change(orphan)
                    document = orphan
                else:
                    document = self._parse(current, values=False)
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
                    check.append(self._changed(target, current, frozenset(), deadline))
                    return not check[0][0] and check[0][1] is not None

                written = replace_file(target, new, mode, ready)
                if written is None:
                    continue
                ours, stamp, redone = new, written, document
            finally:
                os.close(current.fd)
        return stamp, redone

    def set_section(
        self, name: str, values: Mapping[str, str], remove: tuple[str, ...] = (),
        private: bool = False,
    ) -> bool:
        return self.edit(lambda doc: doc.set_values(name, values, remove), private=private)

    def write_session(self, name: str, credentials: SessionCredentials,
                      layout: str | None = None, extra: Mapping[str, str] | None = None,
                      role_arn: str | None = None) -> None:
        """Write a session profile in the layout of the tool whose section it is (the keys,
        forms and removals `session_layouts` names). `extra` (not secret, e.g. `region`) is
        set too; `role_arn`: an aws-mfa role session."""
        from tui.engine.credentials_file.session_layouts import MFA_LOGIN_MARKER, session_section

        section = session_section(
            layout, credentials.access_key_id, credentials.secret_access_key.reveal(),
            credentials.session_token.reveal(), credentials.expiration, role_arn, extra)

        def change(document: IniDocument) -> bool:
            changed = document.set_values(name, section.values,
                                          remove=(STALE_KEY, STALE_SESSION_KEY,
                                                  *section.remove))
            if section.comment:
                changed = document.replace_comment(
                    name, MFA_LOGIN_MARKER, section.comment) or changed
            return changed

        self.edit(change, private=True, patient=True)

    def remove_section(self, name: str) -> bool:
        return self.edit(lambda doc: doc.remove_section(name))

    # ------------------------------------------------------------------ rotation verbs
    def sections_with_key(self, key_id: str) -> list[str]:
        """Sections holding long-term keys (no session token) whose key id is `key_id`."""
        return _long_term_sections(self.read(), key_id)

    def replace_key(self, old_id: str, new_id: str, new_secret: Secret,
                    required: str) -> dict[str, Secret]:
        """Put the new key id and secret wherever the old key id is (one locked, atomic
        edit). Returns {section: its previous secret}. Raises CredentialsFileError, writing
        nothing, when section `required` no longer holds the old key."""
        def replace(document: IniDocument) -> dict[str, Secret]:
            names = _long_term_sections(document, old_id)
            if required not in names:
                raise CredentialsFileError(
                    f"[{required}] no longer holds key {old_id}: another program changed it"
                )
            previous = {}
            for name in names:
                previous[name] = Secret(
                    document.get_section(name).get("aws_secret_access_key", ""))
                document.set_values(name, {"aws_access_key_id": new_id,
                                           "aws_secret_access_key": new_secret.reveal()})
            return previous

        return self.edit(replace, private=True)

    def restore_keys(self, current_id: str, old_id: str,
                     previous: Mapping[str, Secret]) -> list[str]:
        """Undo `replace_key`: the old key id and each section's old secret, in the sections
        of `previous` that still hold `current_id`."""
        def restore(document: IniDocument) -> list[str]:
            names = [n for n in _long_term_sections(document, current_id) if n in previous]
            for name in names:
                document.set_values(name, {"aws_access_key_id": old_id,
                                           "aws_secret_access_key": previous[name].reveal()})
            return names

        return self.edit(restore, private=True)

    def mark_stale(self, names: tuple[str, ...] | list[str],
                   reason: str = STALE_KEY_ROTATED) -> tuple[str, ...]:
        """Mark session sections stale (`stale = key-rotated`), keeping their expiration:
        botocore ignores the key, our status layer reads it, and the next session written
        into the section removes it. Sections without a session token are left alone."""
        def mark(document: IniDocument) -> tuple[str, ...]:
            done = []
            for name in names:
                values = document.get_section(name)
                if values.get("aws_session_token") or values.get("aws_security_token"):
                    session = values.get("aws_access_key_id")
                    document.set_values(name, {STALE_KEY: reason, **(
                        {STALE_SESSION_KEY: session} if session else {})})
                    done.append(name)
            return tuple(done)

        return self.edit(mark)

def _is_long_term(values: Mapping[str, str]) -> bool:
    return bool(values.get("aws_access_key_id") and values.get("aws_secret_access_key")
                # as profiles.is_long_term
                and not values.get("aws_session_token")
                and not values.get("aws_security_token"))


def _long_term_sections(document: IniDocument, key_id: str) -> list[str]:
    return [name for name, values in document.as_dict().items()
            if values.get("aws_access_key_id") == key_id and _is_long_term(values)]
