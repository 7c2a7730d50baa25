"""The credentials lock: one per file, whatever path reaches it, and a wait that says so.

aws-mfa-credentials (and aws-mfa-tui before it) hold an exclusive `flock` on
`.credentials.lock` beside the path they were given. A symlinked file is reached by two
paths, so we also lock beside the resolved file (a symlinked folder, as a dotfiles
`~/.aws` is, leads to one lock file, taken once): every aws-mfa-tui excludes every other
whichever path it was given, and a holder of the lock beside the given path still excludes
us. Two locks are always taken in the same (sorted) order, so writers can't deadlock.

A busy lock is waited for, never given up on by default: a session AWS already granted (and
the one-time code it used) must not be thrown away. After `NOTICE_AFTER` seconds the wait is
told once through `notice`, naming the lock file; Ctrl-C ends it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

from tui.engine.errors import CredentialsFileError, LockTimeoutError
from tui.engine.named_tuple import TYPE_CHECKING

if TYPE_CHECKING:
    from os import PathLike
    from pathlib import Path

LOCK_FILE_NAME = ".credentials.lock"
#: Seconds of waiting for a busy lock before the wait is told.
NOTICE_AFTER = 2.0
#: How the wait notice ends on the command line (the TUI says it without this).
GIVE_UP_HINT = "; Ctrl-C gives up"

Notice = Callable[[str], None]

# One filelock instance per lock path per process: filelock 4.x raises "Deadlock" when two
# instances on one path meet in one thread. thread_local=True gives each thread its own fd,
# so threads of one process exclude each other as processes do.
_LOCKS: dict[str, object] = {}
_GUARD: dict[str, object] = {}  # its threading.Lock, made by the first writer (not `status`)


def _locks_guard():  # -> threading.Lock
    guard = _GUARD.get("locks")
    if guard is None:
        import threading

        # setdefault is atomic: threads racing here all get the one lock that was stored.
        guard = _GUARD.setdefault("locks", threading.Lock())
    return guard


def _file_lock(path: Path):  # -> filelock.FileLock
    import filelock

    with _locks_guard():
        lock = _LOCKS.get(str(path))
        if lock is None:
            lock = filelock.FileLock(
                str(path),
                mode=0o600,
                thread_local=True,
                fallback_to_soft=False,
                preserve_lock_file=True,
            )
            _LOCKS[str(path)] = lock
        return lock


def lock_paths(path: str | PathLike[str]) -> list[Path]:
    """Where to lock `path`: beside it as given and beside the file it resolves to. Each
    is spelled with its folder resolved, so one lock file reached two ways (a `~/.aws`
    that links to a dotfiles folder, a relative path) is one lock, one `_LOCKS` entry:
    two instances on one file in one thread would wait for each other."""
    from pathlib import Path  # (only writers lock: `status` never loads pathlib)

    given = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    resolved = os.path.dirname(os.path.realpath(path))
    return [Path(folder) / LOCK_FILE_NAME for folder in sorted({given, resolved})]


def _acquire(path: Path, timeout: float | None, notice: Notice | None) -> None:
    import filelock

    lock = _file_lock(path)
    first = NOTICE_AFTER if timeout is None else min(timeout, NOTICE_AFTER)
    try:
        try:
            lock.acquire(timeout=first)  # type: ignore[attr-defined]
            return
        except filelock.Timeout:
            if timeout is not None and timeout <= NOTICE_AFTER:
                raise
        if notice is not None:
            notice(
                f"waiting for the lock {path}: another program is editing the credentials "
                f"file (find it with `fuser {path}`){GIVE_UP_HINT}"
            )
        rest = -1 if timeout is None else timeout - NOTICE_AFTER
        lock.acquire(timeout=rest)  # type: ignore[attr-defined]
    except filelock.Timeout:
        raise LockTimeoutError(
            f"waited {timeout:g} s for the lock {path}: another program is editing the "
            f"credentials file; find it with `fuser {path}`"
        ) from None
    except OSError as exc:
        raise CredentialsFileError(f"can't lock {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def credentials_lock(
    path: str | PathLike[str], timeout: float | None = None, notice: Notice | None = None
) -> Iterator[None]:
    """Hold every lock of `path` (re-entrant within one thread)."""
    held: list[object] = []
    try:
        for lock_path in lock_paths(path):
            _acquire(lock_path, timeout, notice)
            held.append(_file_lock(lock_path))
        yield
    finally:
        for lock in reversed(held):
            lock.release()  # type: ignore[attr-defined]
