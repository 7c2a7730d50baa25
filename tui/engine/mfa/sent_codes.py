"""The codes already sent, shared by every process of this user: a code goes to AWS once.

AWS takes a TOTP code once, so a code sent a second time (`refresh --force --token-code`
run twice, two processes given one code) only fails, after a round trip. `SentCodes`
remembers each code sent for each device for its 30-second step plus slack (`KEEP`), in
`sent-codes` in the private runtime folder, and refuses one already there without a call.

Neither file holds a code: each line is an expiry time and an HMAC-SHA256 of the device
and the code, under a random key kept beside it (`sent-codes.key`). Both files are 0600 in
a 0700 folder. Without the key a six-digit code could be found from its plain hash in a
million tries; with it, only by someone who can read the key, who could read the
credentials file too. Writers take an exclusive `flock` on `sent-codes` and rewrite it in
place; a half-written line (a crash) is skipped when read. When the runtime folder can't
be used, the memory is this process's only, as it was before.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from tui.engine.errors import MfaCodeError
from tui.engine.mfa.codes import TOTP_PERIOD, UsedCodes
from tui.engine.secret import Secret

#: How long a sent code is remembered: its own 30-second step, and a step either side
#: (AWS accepts a code a step early or late, for clocks that drift).
KEEP = 3 * TOTP_PERIOD
MEMORY_FILE = "sent-codes"
KEY_FILE = "sent-codes.key"
_KEY_BYTES = 32


class SentCodes(UsedCodes):
    """`UsedCodes` kept in the runtime folder, so every process refuses a code one of them
    sent. `folder` is looked up at each claim (tests move it with XDG_RUNTIME_DIR)."""

    def __init__(self, keep_seconds: float = KEEP,
                 clock: Callable[[], float] = time.time,
                 folder: Callable[[], Path] | None = None) -> None:
        super().__init__(keep_seconds, clock)
        self._folder = folder

    def claim(self, serial: str, code: Secret) -> None:
        with self._lock:  # one thread at a time here; the flock covers other processes
            try:
                folder = self._where()
                key = _key(folder / KEY_FILE)
                fd = os.open(folder / MEMORY_FILE,
                             os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            except OSError:
                fd = -1
        if fd < 0:
            super().claim(serial, code)  # no shared memory: this process's own
            return
        try:
            self._claim_in(fd, _mark(key, serial, code))
        finally:
            os.close(fd)

    def forget(self) -> None:
        """Forget every code sent (tests start each from nothing)."""
        super().forget()
        with contextlib.suppress(OSError):
            os.unlink(self._where() / MEMORY_FILE)

    def _where(self) -> Path:
        if self._folder is not None:
            return self._folder()
        from tui.engine.private_folders import runtime_folder

        return runtime_folder()

    def _claim_in(self, fd: int, mark: str) -> None:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)  # held for microseconds: no bound needed
        try:
            now = self.clock()
            with os.fdopen(os.dup(fd), "r+", encoding="ascii", errors="replace") as handle:
                kept = [line for line in handle.read().splitlines()
                        if _live(line, now)]
                if any(line.split(" ", 1)[1] == mark for line in kept):
                    raise MfaCodeError(
                        "that MFA code was already used (a code works once): wait for the "
                        "next 30-second code")
                kept.append(f"{int(now + self.keep_seconds)} {mark}")
                handle.seek(0)
                handle.write("".join(line + "\n" for line in kept))
                handle.truncate()
                handle.flush()
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _live(line: str, now: float) -> bool:
    """A whole line (`expiry mark`) whose time has not passed."""
    parts = line.split(" ")
    return len(parts) == 2 and parts[0].isdigit() and len(parts[1]) == 64 and (
        int(parts[0]) > now)


def _mark(key: bytes, serial: str, code: Secret) -> str:
    import hmac

    return hmac.new(key, f"{serial}\0{code.reveal()}".encode(), "sha256").hexdigest()


def _key(path: Path) -> bytes:
    """The random key, made (0600, O_EXCL) by the first process that needs it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        for _ in range(50):  # its maker may not have written it yet
            with open(path, "rb") as handle:
                key = handle.read()
            if len(key) == _KEY_BYTES:
                return key
            time.sleep(0.01)
        raise OSError(f"{path} is not a key") from None
    key = os.urandom(_KEY_BYTES)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    return key


#: The memory every `SessionService` uses unless given another (tests give their own).
SENT_CODES = SentCodes()
