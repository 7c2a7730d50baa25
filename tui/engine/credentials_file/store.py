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
never taken for the file (`other_writers`); the edit starts over if the file changed
between our read and our replace; and if the writer wrote into the inode we replaced, our
edit is redone on top of its version. What can't be prevented: such a writer that read the
file before our replace and writes after it puts back the version it read.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping

from tui.engine.credential_values import SessionCredentials, is_long_term
from tui.engine.credentials_file.file_replace import (
    ensure_directory,
    folder_of,
    make_private,
    mode_to_write,
    os_error,
    remove_dead_temps,
    replace_file,
    warn_open_folders,
)
from tui.engine.credentials_file.ini_document import IniDocument
from tui.engine.credentials_file.lock import GIVE_UP_HINT, Notice, credentials_lock
from tui.engine.credentials_file.other_writers import OtherWriters
from tui.engine.credentials_file.settled_read import (
    BUDGET,
    QUIET,
    SETTLE,
    Read,
    Unsettled,
    stamp_of,
)
from tui.engine.errors import CredentialsFileError
from tui.engine.named_tuple import TYPE_CHECKING
from tui.engine.secret import Secret

if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")

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
        # A string, as are the paths below it: `status` reads through here and never loads
        # pathlib (its imports cost about 3.5 ms a run).
        self.path = os.path.expanduser(os.fspath(path))
        #: None: wait for a busy lock until interrupted (told through `notice` after 2 s).
        self.lock_timeout = lock_timeout
        self.notice = notice
        # Reads judged, and edits redone, beside writers that take no lock.
        self._others = OtherWriters(self.path, lambda: self.notice)

    # ------------------------------------------------------------------ reading
    def _target(self) -> str:
        """The real file to read and replace: the symlink's target when it is one."""
        path = self.path
        try:
            if not os.path.islink(path):
                warn_open_folders(self.notice, path)
                return path
            target = os.path.realpath(path)
            warn_open_folders(self.notice, path, target)
            if not os.path.exists(target) and not os.path.isdir(folder_of(target)):
                raise CredentialsFileError(
                    f"{path} is a symlink to {target}, whose folder does not exist; "
                    "fix or remove the link"
                )
            return target
        except OSError as exc:
            raise os_error(path, exc) from None

    def read(self) -> IniDocument:
        """Parse the file as it is now (no lock: our writers replace it atomically)."""
        target = self._target()
        read = self._others.open(target, time.monotonic() + BUDGET)
        try:
            return self._others.parse(read)
        finally:
            if read is not None:
                os.close(read.fd)

    def exists(self) -> bool:
        return os.path.exists(self.path)

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the credentials lock(s) (re-entrant within one thread)."""
        ensure_directory(folder_of(self.path))
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
            remove_dead_temps(folder_of(target))
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
        self, target: str, change: Callable[[IniDocument], T], private: bool,
        deadline: float | None, started: float,
    ) -> tuple[T, tuple[int, int, int, int] | None]:
        """One locked read-change-replace; returns the result, and the stamp of what we
        wrote if we wrote while another program was changing the file (else None)."""
        again: Read | None = None
        told = False
        attempt = 0
        while True:
            attempt += 1
            read, again = again or self._others.open(target, deadline), None
            try:
                document = self._others.parse(read, values=False)
                read_names = document.section_names()
                result = change(document)
                new = document.to_bytes()
                if new == (read.data if read else b""):
                    if private and read is not None:
                        make_private(target, read.fd, self.notice)
                    return result, None
                mode = mode_to_write(target, read.fd if read else None, private,
                                     self.notice)
                self._others.expect(document, len(new))
                check: list[tuple[bool, Read | None]] = []

                def ready(read: Read | None = read, names: frozenset[str] = read_names,
                          check: list[tuple[bool, Read | None]] = check) -> bool:
                    check.append(self._others.changed(target, read, names, deadline))
                    return not check[0][0]

                written = replace_file(target, new, mode, ready)
                newer = check[0][1]
                if written is None:
                    now = time.monotonic()
                    if deadline is not None and now > deadline:
                        raise self._others.unsettled(target, Unsettled(
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
                hot = read is not None and self._others.busy(read.stamp)
                if read is not None:
                    # A weak base (a stalled writer's part may be all we saw): watch the
                    # inode we replaced long enough for that writer to finish in it.
                    watch = QUIET if read.weak else SETTLE if hot else 0.0
                    stamp, redone = self._others.redo_on_orphan(
                        target, read, read_names, stamp, new, change, mode, deadline, watch)
                    if redone is not None:
                        # What landed in the file we replaced, with our edit on it.
                        document = redone
                        new = document.to_bytes()
                        read_names = document.section_names()
                        read = read._replace(data=new)
                self._others.our_stamp = stamp
                # (The size we read, if smaller: a version put back is no cut-off read.)
                size = min(len(new), len(read.data)) if read is not None else 0
                self._others.remember(document, size, stamp, kept=read_names)
                return result, stamp if hot else None
            finally:
                if read is not None:
                    os.close(read.fd)

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

def _long_term_sections(document: IniDocument, key_id: str) -> list[str]:
    return [name for name, values in document.as_dict().items()
            if values.get("aws_access_key_id") == key_id and is_long_term(values)]
