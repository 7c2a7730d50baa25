"""Putting a new version of the credentials file in place, and the file-safety rules that go
with it: a temp file beside the target (0600 from creation, then the mode to keep), fsynced,
`os.replace`d over the target, and the folder fsynced; temp files a dead writer left; the
folder made if missing; a file that isn't ours, or is read-only, refused; a file others can
read made 0600 once it holds secrets; a folder others can write warned about once.

`CredentialsStore` (in `store`) decides what to write and when; this module only does the
writing, and knows nothing of INI or of other writers. Paths are strings (`os.path`), as
in `store`: `status` never loads pathlib.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Callable

from tui.engine.credentials_file.settled_read import MAX_SIZE, stamp_of
from tui.engine.errors import CredentialsFileError
from tui.engine.named_tuple import TYPE_CHECKING
from tui.engine.private_folders import make_private_folders

if TYPE_CHECKING:
    from os import PathLike

    #: A file or folder, as a string or a path object.
    Path = str | PathLike[str]

#: Says one line to the person (the store's `notice`).
Tell = Callable[[str], None]

TEMP_PREFIX = ".credentials."
TEMP_SUFFIX = ".tmp"
# Exactly the names tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX) makes.
_TEMP_NAME = re.compile(r"\.credentials\.[a-z0-9_]{8}\.tmp")

_WARNED: set[str] = set()  # folders already warned about in this process


def folder_of(path: Path) -> str:
    """The folder a file is in ("." for a bare name, as `Path.parent` gives)."""
    return os.path.dirname(path) or "."


def replace_file(target: Path, data: bytes, mode: int,
                 ready: Callable[[], bool] | None = None) -> tuple[int, int, int, int] | None:
    """Write `data` to a temp file and put it in place; return the new file's stamp.
    `ready` is asked last, right before the replace (after the slow fsync): when it
    says no, nothing is replaced and None is returned."""
    directory = folder_of(target)
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
            stamp = stamp_of(os.fstat(fd))
        finally:
            os.close(fd)
        if ready is not None and not ready():
            os.unlink(temp)
            return None
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
    fsync_directory(directory)
    # rename changes ctime on some filesystems: stamp what the path now shows.
    with contextlib.suppress(OSError):
        info = os.stat(target)
        if info.st_ino == stamp[0]:
            return stamp_of(info)
    return stamp


def remove_dead_temps(directory: Path) -> None:
    """Remove temp files of ours (call it inside the lock: each is a dead writer's)."""
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


def fsync_directory(directory: Path) -> None:
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


def ensure_directory(directory: Path) -> None:
    """The credentials file's folder, made (0700) when missing."""
    try:
        if os.path.isdir(directory):
            return
        if os.path.exists(directory):
            raise CredentialsFileError(f"{directory} exists and is not a directory")
        make_private_folders(directory)
    except OSError as exc:
        raise CredentialsFileError(f"can't create {directory}: {exc.strerror}") from None


def mode_to_write(target: Path, fd: int | None, private: bool, tell: Tell | None) -> int:
    """The mode for the new version of `target` (open at `fd`, None when there is no file
    yet), after refusing a file that isn't ours to replace. `private`: it will hold
    secrets, so a file others can read becomes 0600, and the person is told."""
    if fd is None:
        return 0o600
    info = os.fstat(fd)
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid != os.geteuid():
        owner, me = user_name(info.st_uid), user_name(os.geteuid())
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
        _tell_private(target, mode, tell)
        mode = 0o600
    return mode


def make_private(target: Path, fd: int, tell: Tell | None) -> None:
    """The file (open at `fd`) holds secrets and others may read it: make it 0600 in
    place, when it is ours."""
    with contextlib.suppress(OSError):
        info = os.fstat(fd)
        mode = stat.S_IMODE(info.st_mode)
        if info.st_uid == os.geteuid() and mode & 0o077:
            os.fchmod(fd, 0o600)
            _tell_private(target, mode, tell)


def _tell_private(target: Path, mode: int, tell: Tell | None) -> None:
    if tell is not None:
        tell(f"{target} was readable by others (mode {mode:04o}); made it 0600, "
             "since it now holds session secrets")


def warn_open_folders(tell: Tell | None, *paths: Path) -> None:
    """Say once per process when the file, its lock or our temp files live in a folder
    other users can write: they could replace the file or take the lock."""
    if tell is None:
        return
    for path in paths:
        folder = folder_of(path)
        if folder in _WARNED:
            continue
        _WARNED.add(folder)
        try:
            info = os.stat(folder)
        except OSError:
            continue
        mode = stat.S_IMODE(info.st_mode)
        if info.st_uid not in (os.geteuid(), 0):
            who = f"it belongs to {user_name(info.st_uid)}"
        elif mode & stat.S_IWOTH:
            who = f"every user may write it (mode {mode:04o})"
        elif mode & stat.S_IWGRP and info.st_gid != os.getegid():
            who = f"its group may write it (mode {mode:04o})"
        else:
            continue
        tell(
            f"warning: {path} and its lock are in {folder}, where others can write "
            f"({who}): another user could replace the file or hold the lock; move it "
            "to a folder only you can write"
        )


def user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return str(uid)


def os_error(path: Path, exc: OSError) -> CredentialsFileError:
    """One line for an OSError met reading the file."""
    if isinstance(exc, PermissionError):
        return CredentialsFileError(
            f"{path} can't be read (permission denied); check its owner and mode"
        )
    if isinstance(exc, IsADirectoryError):
        return CredentialsFileError(f"{path} is a directory, not a credentials file; move it away")
    return CredentialsFileError(f"{path} can't be read: {exc.strerror or exc}")


def too_large(path: Path, size: int) -> CredentialsFileError:
    return CredentialsFileError(
        f"{path} is over {MAX_SIZE >> 20} MiB ({size / (1 << 20):.0f} MiB read so far), far "
        "more than any credentials file; it was not read (is it the right file?)"
    )
