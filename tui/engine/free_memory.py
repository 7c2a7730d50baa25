"""Hand the C allocator's free pages back to the system, now and then.

A process kept open all day (the TUI, `watch`) allocates and frees the same kinds of
memory millions of times. Python's own heap stays flat over a simulated day (tracemalloc
and `sys._debugmallocstats()` agree), but glibc's malloc keeps the pages it freed inside
its heap: the blocks still in use are spread over them, so the heap can't shrink from the
top, and the resident size creeps up by about 0.1 MiB an hour with nothing live behind it.
`malloc_trim(0)` gives every whole free page back (since glibc 2.8 it releases the middle
of the heap too, with `madvise`). It costs about 0.5 ms on the app's ~17 MiB heap.

Elsewhere (macOS, musl, Windows) there is nothing to call and `release()` does nothing.
ctypes is loaded on the first release, not at start: it isn't needed for the first paint.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import datetime, timedelta

#: How often a long-running process gives free pages back.
RELEASE_EVERY = timedelta(minutes=10)


@functools.cache
def _load_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None)  # the C library this process already runs on
        trim = libc.malloc_trim  # glibc only; musl has none
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


def release() -> bool:
    """Give the C heap's free pages back to the system; True if there was a way to."""
    trim = _load_trim()
    if trim is None:
        return False
    trim(0)
    return True


class FreeMemoryTimer:
    """`release()` at most every `RELEASE_EVERY` by the app's clock. A clock set back by
    that much or more counts as time passed, so a release is never put off for long."""

    def __init__(self, now: datetime, every: timedelta = RELEASE_EVERY) -> None:
        self._every = every
        self._last = now

    def tick(self, now: datetime) -> bool:
        """Release if the time has come; True if it did."""
        if abs(now - self._last) < self._every:
            return False
        self._last = now
        return release()
