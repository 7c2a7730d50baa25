"""The C heap's free pages go back to the system (tui.engine.free_memory), for real: a
fragmented glibc heap shrinks, and the timer releases every 10 minutes by the clock."""

from __future__ import annotations

import platform
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.memory import MIB, rss_bytes
from tui.engine import free_memory
from tui.engine.free_memory import RELEASE_EVERY, FreeMemoryTimer

GLIBC = platform.libc_ver()[0] == "glibc"
needs_glibc = pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")


@needs_glibc
def test_a_fragmented_heap_gives_its_free_pages_back():
    # 1 KiB blocks come from malloc, not Python's small-object allocator. Keeping one in
    # 64 pins the heap everywhere, so it can't shrink from the top by itself.
    blocks = [bytes(1024) for _ in range(64 * 1024)]  # 64 MiB
    kept = blocks[::64]
    del blocks
    held = rss_bytes()
    assert free_memory.release()
    released = held - rss_bytes()
    assert released > 32 * MIB, f"only {released / MIB:.1f} MiB went back"
    assert len(kept) == 1024  # (still alive through the release)


def test_without_glibc_a_release_does_nothing(monkeypatch):
    free_memory._load_trim.cache_clear()
    monkeypatch.setattr(free_memory.sys, "platform", "darwin")
    try:
        assert free_memory.release() is False
    finally:
        free_memory._load_trim.cache_clear()


@needs_glibc
def test_the_timer_releases_every_ten_minutes_and_after_the_clock_jumps():
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    timer = FreeMemoryTimer(start)
    assert not timer.tick(start + RELEASE_EVERY - timedelta(seconds=1))
    assert timer.tick(start + RELEASE_EVERY)
    assert not timer.tick(start + RELEASE_EVERY + timedelta(seconds=1))
    assert timer.tick(start - timedelta(hours=1))  # the clock set back an hour
    assert not timer.tick(start - timedelta(hours=1) + timedelta(minutes=9))
