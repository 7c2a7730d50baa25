"""One renewal at a time per session, across every process of this user.

Twenty SDK processes started together (Terraform's parallelism, a shell loop) each find the
session missing or inside its lead time. Without a rule each would run the mfa_command and
call STS, and since AWS takes a code once, all but one would fail. So whoever renews a
session section first holds its renewal lock; the others wait for it, then read the
session it wrote (`SessionService.refresh` and `assume` check again under the lock).

The lock is an exclusive `flock` on a file in the private runtime folder
(`private_folders.runtime_folder`), one per credentials file and section. Threads of one
process each open their own descriptor, so they exclude each other too. Locks are taken
child before parent (a role, then the session it is assumed from), never the other way,
so renewals can't deadlock. A wait is bounded (`RENEWAL_WAIT`: a person at an askpass
prompt has 300 s) and Ctrl-C ends it. When the runtime folder can't be used, renewals go
ahead unlocked, as before.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tui.engine.errors import LockTimeoutError

#: Longest wait for another process's renewal (askpass allows a person 300 s).
RENEWAL_WAIT = 330.0
#: Seconds of waiting before the wait is told.
NOTICE_AFTER = 2.0
_POLL = 0.02

Notice = Callable[[str], None]


def lock_path(folder: Path, credentials: Path, section: str) -> Path:
    """The lock file of one section of one credentials file (whatever path reaches it)."""
    import hashlib  # (not at import: credential-process with a fresh session needs none)

    key = f"{os.path.realpath(credentials)}\0{section}".encode()
    return folder / f"renew-{hashlib.sha256(key).hexdigest()[:32]}.lock"


@contextlib.contextmanager
def renewal_lock(credentials: Path, section: str, timeout: float = RENEWAL_WAIT,
                 notice: Notice | None = None) -> Iterator[bool]:
    """Hold the renewal lock of `section`; yields whether another process held it first
    (its session is then in the file: read it again before renewing)."""
    from tui.engine.private_folders import runtime_folder

    try:
        path = lock_path(runtime_folder(), credentials, section)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError:
        yield False  # no private folder to meet in: renew unlocked, as before
        return
    try:
        waited = _acquire(fd, section, timeout, notice)
        try:
            yield waited
        finally:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, section: str, timeout: float, notice: Notice | None) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        pass
    start = time.monotonic()
    told = False
    while True:
        time.sleep(_POLL)  # Ctrl-C lands here
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        waited = time.monotonic() - start
        if waited >= timeout:
            raise LockTimeoutError(
                f"waited {timeout:g} s for another aws-mfa-tui renewing [{section}]; "
                "try again once it has finished")
        if not told and waited >= NOTICE_AFTER and notice is not None:
            told = True
            notice(f"waiting for another aws-mfa-tui renewing [{section}] "
                   "(it may be asking for a code); Ctrl-C gives up")
