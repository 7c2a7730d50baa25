"""The one writer of ~/.aws/credentials: locked, atomic, and byte-faithful outside its edit.

Every change is a read-modify-write that
1. holds an exclusive `flock` on `.credentials.lock` beside the credentials file (the
   protocol aws-mfa-credentials uses, so both tools can run side by side);
2. re-reads and re-parses the file inside the lock, refusing a file botocore couldn't read;
3. edits only the lines of the sections it changes (see `ini_document`);
4. writes a temp file in the same directory (0600 from creation, then the old file's mode),
   fsyncs it, `os.replace`s the real file, and fsyncs the directory.

A reader (botocore in another process) therefore always sees one complete version. A
symlinked credentials file stays a symlink: we replace its target. A writer killed between
creating its temp file and the replace leaves that temp file behind; the next write (inside
the lock, so no other writer of ours can be using it) removes such files once they are
`stale_temp_seconds` old.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple, TypeVar

from tui.engine.errors import CredentialsFileError, LockTimeoutError
from tui.engine.ini_document import IniDocument
from tui.engine.secret import Secret

T = TypeVar("T")

LOCK_FILE_NAME = ".credentials.lock"
DEFAULT_LOCK_TIMEOUT = 30.0
#: A temp file of ours this old, found while we hold the lock, was left by a killed writer.
DEFAULT_STALE_TEMP_SECONDS = 60.0
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


# One filelock instance per lock path per process: filelock 4.x raises "Deadlock" when two
# instances on one path meet in one thread. thread_local=True gives each thread its own fd,
# so threads of one process exclude each other as processes do.
_LOCKS: dict[tuple[str, float], object] = {}
_LOCKS_GUARD = threading.Lock()


def _file_lock(path: Path, timeout: float):  # -> filelock.FileLock
    import filelock

    key = (str(path), timeout)
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = filelock.FileLock(
                str(path),
                timeout=timeout,
                mode=0o600,
                thread_local=True,
                fallback_to_soft=False,
                preserve_lock_file=True,
            )
            _LOCKS[key] = lock
        return lock


class CredentialsStore:
    """Reads and edits one shared credentials file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        stale_temp_seconds: float = DEFAULT_STALE_TEMP_SECONDS,
    ):
        self.path = Path(os.path.expanduser(os.fspath(path)))
        self.lock_timeout = lock_timeout
        self.stale_temp_seconds = stale_temp_seconds

    @property
    def lock_path(self) -> Path:
        # Beside the path as given (not its symlink target), where other tools look for it.
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

    def _read_bytes(self, target: Path) -> bytes | None:
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
            with open(fd, "rb", closefd=False) as handle:
                return handle.read()
        except OSError as exc:
            raise _os_error(target, exc) from None
        finally:
            os.close(fd)

    def read(self) -> IniDocument:
        """Parse the file as it is now (no lock: writers replace it atomically)."""
        target = self._target()
        data = self._read_bytes(target)
        return IniDocument.parse_bytes(data or b"", str(self.path))

    def exists(self) -> bool:
        return self.path.exists()

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the credentials lock (re-entrant within one thread)."""
        self._ensure_directory()
        import filelock

        lock = _file_lock(self.lock_path, self.lock_timeout)
        try:
            lock.acquire()  # type: ignore[attr-defined]
        except filelock.Timeout:
            raise LockTimeoutError(
                f"waited {self.lock_timeout:g} s for the lock {self.lock_path}: another program "
                f"is editing the credentials file; find it with `fuser {self.lock_path}`"
            ) from None
        except OSError as exc:
            raise CredentialsFileError(
                f"can't lock {self.lock_path}: {exc.strerror or exc}"
            ) from None
        try:
            yield
        finally:
            lock.release()  # type: ignore[attr-defined]

    def edit(self, change: Callable[[IniDocument], T]) -> T:
        """Run `change` on a fresh parse inside the lock; write only if the text changed."""
        with self.locked():
            target = self._target()
            data = self._read_bytes(target)
            document = IniDocument.parse_bytes(data or b"", str(self.path))
            result = change(document)
            new = document.to_bytes()
            if data is None and not new:
                return result
            if new != data:
                self._replace(target, new, existed=data is not None)
            return result

    def set_section(
        self, name: str, values: Mapping[str, str], remove: tuple[str, ...] = ()
    ) -> bool:
        return self.edit(lambda doc: doc.set_values(name, values, remove))

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

        self.edit(change)

    def remove_section(self, name: str) -> bool:
        return self.edit(lambda doc: doc.remove_section(name))

    def _ensure_directory(self) -> None:
        directory = self.path.parent
        try:
            if directory.is_dir():
                return
            if directory.exists():
                raise CredentialsFileError(f"{directory} exists and is not a directory")
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise CredentialsFileError(f"can't create {directory}: {exc.strerror}") from None

    def _remove_stale_temps(self, directory: Path) -> None:
        """Remove temp files that killed writers left behind (called inside the lock)."""
        now = time.time()
        try:
            entries = os.scandir(directory)
        except OSError:
            return
        with entries:
            for entry in entries:
                if not _TEMP_NAME.fullmatch(entry.name):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(info.st_mode) and (
                        now - info.st_mtime >= self.stale_temp_seconds
                    ):
                        os.unlink(entry.path)
                except OSError:
                    pass

    def _replace(self, target: Path, data: bytes, existed: bool) -> None:
        directory = target.parent
        mode = 0o600
        owner: tuple[int, int] | None = None
        if existed:
            try:
                info = os.stat(target)
                mode = stat.S_IMODE(info.st_mode)
                owner = (info.st_uid, info.st_gid)
            except FileNotFoundError:
                pass
        self._remove_stale_temps(directory)
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
                if owner is not None and os.geteuid() == 0 and owner != (0, 0):
                    os.fchown(fd, *owner)
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
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
