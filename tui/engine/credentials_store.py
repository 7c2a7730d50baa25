"""The one writer of ~/.aws/credentials: locked, atomic, and byte-faithful outside its edit.

Every change is a read-modify-write that
1. holds an exclusive `flock` on `.credentials.lock` beside the credentials file and beside
   the file it resolves to (see `credentials_lock`; the protocol aws-mfa-credentials uses);
2. re-reads and re-parses the file inside the lock, refusing a file botocore couldn't read,
   one owned by another user, or one whose owner may not write it;
3. edits only the lines of the sections it changes (see `ini_document`);
4. writes a temp file in the same directory (0600 from creation, then the old file's mode),
   fsyncs it, `os.replace`s the real file, and fsyncs the directory.

A reader (botocore in another process) therefore always sees one complete version. A
symlinked credentials file stays a symlink: we replace its target. Inside the lock every
temp file of ours is a dead writer's, so each edit removes any it finds.

Programs that take no lock (awscli's `aws configure set` truncates the file and writes it
in place) are met as well as they can be: a read that such a writer is in the middle of is
never taken for the file (`_settled_read`); the edit starts over if the file changed
between our read and our replace; and if the writer wrote into the inode we replaced, our
edit is redone on top of its version. What can't be prevented: such a writer that read the
file before our replace and writes after it puts back the version it read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple, TypeVar

from tui.engine.credentials_lock import LOCK_FILE_NAME, Notice, credentials_lock
from tui.engine.errors import CredentialsFileError
from tui.engine.ini_document import IniDocument
from tui.engine.secret import Secret

T = TypeVar("T")

#: A read of a file changed less than this long ago is looked at again after SETTLE.
RECENT_NS = 1_000_000_000
SETTLE = 0.002
#: How long an empty file, or one that lost sections, must stay as it is to be believed.
SUSPECT_WAIT = 0.5
#: How often an edit starts over because another program changed the file under it.
MAX_ATTEMPTS = 50
TEMP_PREFIX = ".credentials."
TEMP_SUFFIX = ".tmp"
# Exactly the names tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX) makes.
_TEMP_NAME = re.compile(r"\.credentials\.[a-z0-9_]{8}\.tmp")

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


class SessionCredentials(NamedTuple):
    """Temporary credentials from STS. The secret parts are `Secret`s."""

    access_key_id: str
    secret_access_key: Secret
    session_token: Secret
    expiration: datetime

    def as_section(self) -> dict[str, str]:
        token = self.session_token.reveal()
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key.reveal(),
            "aws_session_token": token,
            # botocore reads aws_security_token first: a stale one would win, so write both.
            "aws_security_token": token,
            "expiration": format_expiration(self.expiration),
        }


def format_expiration(moment: datetime) -> str:
    """RFC 3339 UTC with a `Z`, the form Starship and other prompts read."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_expiration(value: str | None) -> datetime | None:
    """Read back what we (or aws-iam-login's `2022-07-25 19:00:00+00:00`) wrote."""
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class _Read(NamedTuple):
    """One stable read of the file: its bytes, the fstat that held before and after, and
    the descriptor (kept open so that, after our replace, we can see whether a writer that
    takes no lock wrote into the inode we replaced)."""

    fd: int
    data: bytes
    stamp: tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns


def _stamp(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _recently_changed(info: os.stat_result) -> bool:
    return time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) < RECENT_NS


def _read_fd(fd: int) -> bytes:
    chunks: list[bytes] = []
    offset = 0
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


def _settled_read(fd: int, section_names: frozenset[str] | None) -> tuple[bytes, os.stat_result]:
    """Read `fd` until a read is not in the middle of another program's write.

    A writer that takes no lock (awscli's ConfigFileWriter) truncates the file and writes
    it again in place: for a moment it is empty or a prefix. A read is taken only when
    - fstat is the same before and after it (no write happened during it);
    - and, if the file changed within the last second, fstat is still the same a moment
      later (the truncate-to-write gap of such a writer is microseconds);
    - and, if it is empty or lacks sections the last read had while the file changed
      recently, nothing changes for `SUSPECT_WAIT` seconds (a writer killed between its
      truncate and its write leaves such a file for good).
    """
    suspect: tuple[tuple[int, int, int, int], float] | None = None  # stamp, believed at
    while True:
        before = os.fstat(fd)
        data = _read_fd(fd)
        after = os.fstat(fd)
        if _stamp(before) != _stamp(after):
            time.sleep(0.0005)
            continue
        if not _recently_changed(after):
            return data, after
        time.sleep(SETTLE)
        if _stamp(os.fstat(fd)) != _stamp(after):
            continue
        if not _suspect(data, section_names):
            return data, after
        # Believed only once that very version stayed unchanged for SUSPECT_WAIT: a writer
        # descheduled between its truncate and its write leaves such a file for a moment
        # on every round, and a wait summed over many versions would take one of those.
        now = time.monotonic()
        if suspect is None or suspect[0] != _stamp(after):
            suspect = (_stamp(after), now + SUSPECT_WAIT)
        if now >= suspect[1]:
            return data, after
        time.sleep(0.005)


def _suspect(data: bytes, section_names: frozenset[str] | None) -> bool:
    if not data.strip():
        return True
    try:  # a prefix cut mid-line may not parse
        names = set(IniDocument.parse_bytes(data, "").sections())
    except CredentialsFileError:
        return True
    return section_names is not None and not section_names <= names


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
        # The sections of the last stable read: a later read that lost some is distrusted
        # for a moment (see `_settled_read`).
        self._last_names: frozenset[str] | None = None

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
                return path
            target = Path(os.path.realpath(path))
            if not target.exists() and not target.parent.is_dir():
                raise CredentialsFileError(
                    f"{path} is a symlink to {target}, whose folder does not exist; "
                    "fix or remove the link"
                )
            return target
        except OSError as exc:
            raise _os_error(path, exc) from None

    def _open(self, target: Path) -> _Read | None:
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
                raise _os_error(target, exc) from None
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
                data, info = _settled_read(fd, self._last_names)
                # Replaced while we read: read the new file.
                if os.stat(target).st_ino == info.st_ino:
                    return _Read(fd, data, _stamp(info))
            except OSError as exc:
                os.close(fd)
                raise _os_error(target, exc) from None
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        raise CredentialsFileError(f"{target} is replaced faster than it can be read")

    def _parse(self, read: _Read | None) -> IniDocument:
        document = IniDocument.parse_bytes(read.data if read else b"", str(self.path))
        self._last_names = frozenset(document.sections())
        return document

    def read(self) -> IniDocument:
        """Parse the file as it is now (no lock: our writers replace it atomically)."""
        read = self._open(self._target())
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
        self._ensure_directory()
        with credentials_lock(self.path, self.lock_timeout, self.notice):
            yield

    def edit(self, change: Callable[[IniDocument], T], private: bool = False) -> T:
        """Run `change` on a fresh parse inside the lock; write only if the text changed.

        `change` may run more than once: when another program changed the file between our
        read and our replace, the edit starts over on its version. `private`: the edit puts
        secrets in the file, so a file others can read is made 0600 (and told).
        """
        with self.locked():
            target = self._target()
            self._remove_dead_temps(target.parent)
            for attempt in range(MAX_ATTEMPTS):
                read = self._open(target)
                try:
                    document = self._parse(read)
                    read_names = frozenset(document.sections())
                    result = change(document)
                    new = document.to_bytes()
                    if new == (read.data if read else b""):
                        return result
                    mode = self._check_writable(target, read, private)
                    if attempt < MAX_ATTEMPTS - 1 and self._changed(target, read):
                        continue  # another writer got in between: start over on its version
                    stamp = self._replace(target, new, mode)
                    self._last_names = frozenset(document.sections())
                    if read is not None:
                        self._redo_on_orphan(target, read, read_names, stamp, change, mode)
                    return result
                finally:
                    if read is not None:
                        os.close(read.fd)
            raise AssertionError("unreachable")  # pragma: no cover

    def _changed(self, target: Path, read: _Read | None) -> bool:
        """Whether the path is no longer the file we read (checked right before replace)."""
        try:
            now = _stamp(os.stat(target))
        except FileNotFoundError:
            return read is not None
        return read is None or now != read.stamp

    def _redo_on_orphan(
        self, target: Path, read: _Read, read_names: frozenset[str],
        stamp: tuple[int, int, int, int], change: Callable[[IniDocument], object], mode: int,
    ) -> None:
        """A writer that takes no lock may have written into the inode we just replaced (it
        opened the path before our replace). Its change is then gone from the path: redo
        our edit on top of it, unless the path changed again meanwhile."""
        for _ in range(MAX_ATTEMPTS):
            # Not ctime: the replace itself changes the old inode's link count and ctime.
            if _stamp(os.fstat(read.fd))[:3] == read.stamp[:3]:
                return
            # Judged against the version we read, not ours: the orphan lacks our edit.
            data, info = _settled_read(read.fd, read_names)
            try:
                document = IniDocument.parse_bytes(data, str(self.path))
            except CredentialsFileError:
                return
            change(document)
            new = document.to_bytes()
            try:
                if _stamp(os.stat(target)) != stamp:
                    return
            except OSError:
                return
            read = read._replace(stamp=_stamp(info))
            stamp = self._replace(target, new, mode)
            self._last_names = frozenset(document.sections())

    def set_section(
        self, name: str, values: Mapping[str, str], remove: tuple[str, ...] = (),
        private: bool = False,
    ) -> bool:
        return self.edit(lambda doc: doc.set_values(name, values, remove), private=private)

    def write_session(self, name: str, credentials: SessionCredentials,
                      layout: str | None = None, extra: Mapping[str, str] | None = None
                      ) -> None:
        """Write a session profile: keys, both token keys, and its expiration, and the
        expiry in the form the peer tool whose layout the section follows reads it.
        `extra` (not secret, e.g. awsmfa's copied `region`) is set too."""
        values = {**(extra or {}), **credentials.as_section()}
        moment = credentials.expiration.astimezone(UTC).replace(microsecond=0)
        if layout == "aws-mfa":  # aws-mfa parses `%Y-%m-%d %H:%M:%S`, UTC
            values["expiration"] = moment.strftime("%Y-%m-%d %H:%M:%S")
            values["assumed_role"] = "False"
        elif layout == "aws-iam-login":
            values["expiration"] = moment.isoformat(sep=" ")
        elif layout == "awsmfa":
            values["awsmfa_expiration"] = moment.isoformat()

        def change(document: IniDocument) -> bool:
            changed = document.set_values(name, values, remove=(STALE_KEY,))
            if layout == "mfa-login":
                stamp = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
                changed = document.replace_comment(
                    name, "Credentials expire at:", f"# Credentials expire at: {stamp}"
                ) or changed
            return changed

        self.edit(change, private=True)

    def remove_section(self, name: str) -> bool:
        return self.edit(lambda doc: doc.remove_section(name))

    def _ensure_directory(self) -> None:
        directory = self.path.parent
        try:
            if directory.is_dir():
                return
            if directory.exists():
                raise CredentialsFileError(f"{directory} exists and is not a directory")
            make_private_folders(directory)
        except OSError as exc:
            raise CredentialsFileError(f"can't create {directory}: {exc.strerror}") from None

    def _check_writable(self, target: Path, read: _Read | None, private: bool) -> int:
        """The mode to write, after refusing a file that isn't ours to replace."""
        if read is None:
            return 0o600
        info = os.fstat(read.fd)
        mode = stat.S_IMODE(info.st_mode)
        if info.st_uid != os.geteuid():
            owner, me = _user_name(info.st_uid), _user_name(os.geteuid())
            raise CredentialsFileError(
                f"{target} belongs to {owner}, not to {me}: replacing it would make it "
                f"yours; nothing was written (fix: sudo chown {me} {target})"
            )
        if not mode & stat.S_IWUSR:
            raise CredentialsFileError(
                f"{target} is read-only (mode {mode:04o}); nothing was written "
                f"(to let aws-mfa-tui write it: chmod u+w {target})"
            )
        if private and mode & 0o077:
            if self.notice is not None:
                self.notice(
                    f"{target} was readable by others (mode {mode:04o}); made it 0600, "
                    "since it now holds session secrets"
                )
            mode = 0o600
        return mode

    def _remove_dead_temps(self, directory: Path) -> None:
        """Remove temp files of ours (called inside the lock: each is a dead writer's)."""
        try:
            entries = os.scandir(directory)
        except OSError:
            return
        with entries:
            for entry in entries:
                if not _TEMP_NAME.fullmatch(entry.name):
                    continue
                try:
                    if entry.is_file(follow_symlinks=False):
                        os.unlink(entry.path)
                except OSError:
                    pass

    def _replace(self, target: Path, data: bytes, mode: int) -> tuple[int, int, int, int]:
        """Write `data` to a temp file and put it in place; return the new file's stamp."""
        directory = target.parent
        try:
            import tempfile  # only writers need it: `status` stays light

            fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory)
        except OSError as exc:
            raise CredentialsFileError(
                f"can't write a temp file in {directory}: {exc.strerror}; nothing was changed"
            ) from None
        try:
            try:
                os.fchmod(fd, mode)
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
                stamp = _stamp(os.fstat(fd))
            finally:
                os.close(fd)
            os.replace(temp, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            if isinstance(exc, OSError):
                reason = exc.strerror or errno.errorcode.get(exc.errno or 0, str(exc))
                raise CredentialsFileError(
                    f"can't write {target}: {reason}; the file was left unchanged"
                ) from None
            raise
        _fsync_directory(directory)
        # rename changes ctime on some filesystems: stamp what the path now shows.
        with contextlib.suppress(OSError):
            info = os.stat(target)
            if info.st_ino == stamp[0]:
                return _stamp(info)
        return stamp

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

        return self.edit(replace)

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

        return self.edit(restore)

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
                    document.set_values(name, {STALE_KEY: reason})
                    done.append(name)
            return tuple(done)

        return self.edit(mark)

def make_private_folders(directory: Path) -> None:
    """Create `directory` and its missing parents, each 0700 whatever the umask (a plain
    `mkdir(parents=True)` makes the parents 0777 under umask 000). Folders that already
    exist are left as they are."""
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        if directory.parent == directory:
            break
        directory = directory.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # made by someone else meanwhile: theirs to keep as it is
        os.chmod(folder, 0o700)


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return str(uid)


def _long_term_sections(document: IniDocument, key_id: str) -> list[str]:
    return [name for name, values in document.as_dict().items()
            if values.get("aws_access_key_id") == key_id
            and values.get("aws_secret_access_key")  # as profiles.is_long_term
            and not values.get("aws_session_token") and not values.get("aws_security_token")]


def _os_error(path: Path, exc: OSError) -> CredentialsFileError:
    if isinstance(exc, PermissionError):
        return CredentialsFileError(
            f"{path} can't be read (permission denied); check its owner and mode"
        )
    if isinstance(exc, IsADirectoryError):
        return CredentialsFileError(f"{path} is a directory, not a credentials file; move it away")
    return CredentialsFileError(f"{path} can't be read: {exc.strerror or exc}")


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
