"""Making the credentials file hold a rotation's key, and keep it.

A program that takes no lock can read the file, wait, and write back what it read (an
editor's buffer saved later, a slow script). Written back after our edit, that puts the old
key in again; once the old key is deleted in IAM, the file then holds no working key, and
the new key's secret lives only in our process. So a rotation looks at the file again at
fixed points (before the old key is deactivated, after it is deleted, at the end), and
`KeyInFile.keep` makes each look:

- it reads the file (the store's settled read) and sorts the rotation's sections into
  those that hold the wanted key (id and secret), those another program put the unwanted
  key back into, and those holding anything else (someone's own change: left alone);
- a section put back is written again (the process still holds the secret), and the look
  starts over;
- the look before the old key is deactivated (the last one before anything that can't be
  undone) passes only when every read for `HOLD` seconds found the key: a writer that read
  the file before our write puts its copy back within its own round, and the look must
  outlast that round. Once another program has been seen changing the file since our write,
  every later look holds too, and passes only once that program has written a version that
  keeps our key (its round that began before our write is then over: a writer's rounds
  follow each other) or nobody wrote for `QUIET` seconds (it stopped); otherwise a look
  passes at the first read that finds the key;
- it gives up after `timeout` seconds and says what it found.

What no look can prevent: a writer whose round (from its read to its write) is longer than
`HOLD` and that puts its copy back after the last look. (The lock only excludes programs
that take it.)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import AwsMfaError
from tui.engine.secret import Secret

#: How long every read must find the key before the old key is retired, and at every look
#: once another program was seen changing the file: ten times the round of a writer that
#: waits up to 50 ms between its read and its write.
HOLD = 0.5
#: Once another program was seen writing the file, a look that saw no later write of its
#: that kept our key waits this long without any write before it passes.
QUIET = 2.0
#: How long a look keeps writing the key again before it gives up.
TIMEOUT = 10.0
#: Between reads while holding.
POLL = 0.02


@dataclass(frozen=True)
class FileLook:
    """What one look found (section names only, never a value)."""

    holding: tuple[str, ...]  # hold the wanted key
    put_back: tuple[str, ...]  # hold the unwanted key: another program put it back
    others: tuple[str, ...]  # hold something else: changed by someone on purpose
    written_again: int = 0  # how many times the key was written again
    readable: bool = True
    #: The file changed since the look before (by anyone).
    changed: bool = False
    #: ... by another program, and this read saw exactly its version.
    theirs: bool = False
    #: Why the look passed: "first read", "held", "their write kept it" or "quiet"; empty
    #: when it didn't (it gave up).
    passed: str = ""

    @property
    def kept(self) -> bool:
        return (self.readable and not self.put_back and bool(self.holding)
                and bool(self.passed))


@dataclass
class KeyInFile:
    """The looks of one rotation (or recovery) at its sections of one credentials file."""

    store: CredentialsStore
    sections: tuple[str, ...]
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    hold: float = HOLD
    timeout: float = TIMEOUT
    #: Another program was seen changing the file: every look holds.
    busy: bool = False
    _ours: tuple[int, int, int, int] | None = None
    #: The stamp the last look saw.
    _seen: tuple[int, int, int, int] | None = None

    def note_our_write(self) -> None:
        """Right after a write of ours: the stamp it left (a later one is someone else's)."""
        info = self._stat()
        self._ours = self._seen = _stamp(info) if info is not None else None

    def _stat(self) -> os.stat_result | None:
        try:
            return os.stat(self.store.path)
        except OSError:
            return None

    def _stamp_now(self) -> tuple[int, int, int, int] | None:
        info = self._stat()
        return _stamp(info) if info is not None else None

    def look(self, want: str, secrets: Mapping[str, Secret], unwanted: str) -> FileLook:
        """Read the file once and sort the sections (see the module docstring)."""
        before = self._stamp_now()
        try:
            document = self.store.read()
        except AwsMfaError:
            return FileLook((), (), (), readable=False, changed=True)
        after = self._stamp_now()
        changed = after != self._seen
        self._seen = after
        if after != self._ours and changed:
            self.busy = True
        holding, put_back, others = [], [], []
        for name in self.sections:
            values = document.get_section(name)
            key_id = values.get("aws_access_key_id")
            secret = values.get("aws_secret_access_key", "")
            if key_id == want and name in secrets and Secret(secret) == secrets[name]:
                holding.append(name)
            elif key_id == unwanted:
                put_back.append(name)
            else:
                others.append(name)
        return FileLook(tuple(holding), tuple(put_back), tuple(others), changed=changed,
                        theirs=changed and after != self._ours and before == after)

    def keep(self, want: str, secrets: Mapping[str, Secret], unwanted: str,
             write_again: Callable[[FileLook], object],
             on_put_back: Callable[[FileLook], None] | None = None,
             hold: bool = False) -> FileLook:
        """Look until the file holds `want` in every section that doesn't hold someone
        else's change (and, with `hold` or once busy, kept it for `self.hold` seconds),
        writing it again wherever `unwanted` is back. Returns the last look; `kept` is
        False when it gave up after `timeout` seconds."""
        start = self.monotonic()
        deadline = start + self.timeout
        held_since: float | None = None
        quiet_since = start
        #: Another program wrote a version holding `want`: a writer whose round began
        #: before our write has finished that round (its copy was older).
        proof = False
        written = 0
        while True:
            found = self.look(want, secrets, unwanted)
            found = replace(found, written_again=written)
            now = self.monotonic()
            if found.changed:
                quiet_since = now
            if found.put_back and now <= deadline:
                self.busy = True
                held_since = None
                proof = False
                if on_put_back is not None:
                    on_put_back(found)
                try:
                    write_again(found)
                except AwsMfaError:
                    self.sleep(POLL)  # the file moved under the edit: look again
                    continue
                self.note_our_write()
                quiet_since = self.monotonic()
                written += 1
                self.sleep(POLL)
                continue
            if found.readable and not found.put_back:
                proof = proof or found.theirs
                if not (hold or self.busy):
                    return replace(found, passed="first read")
                held_since = now if held_since is None else held_since
                # Held long enough, and: nobody else writes, or someone wrote since and
                # kept our key, or nobody wrote for QUIET seconds.
                if now - held_since >= self.hold and (
                        not self.busy or proof or now - quiet_since >= QUIET):
                    return replace(found, passed="held" if not self.busy else
                                          "their write kept it" if proof else "quiet")
            else:
                held_since = None
            if now > deadline:
                return found
            self.sleep(POLL)


def _stamp(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
