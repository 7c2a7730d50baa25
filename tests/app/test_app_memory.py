"""Widgets the app removes are freed: two Textual leaks worked around (the 20-hour RSS
figure is in tests/benchmarks/test_bench_memory.py)."""

from __future__ import annotations

import gc
import weakref
from datetime import timedelta

# Private: what textual_fixes item 1 (textual#6665) patches.
from textual._styles_cache import StylesCache
from textual.color import Color

# Private: what the footer fix (textual#6666) patches.
from textual.widgets._footer import FooterKey

from tests.support.app import SIZE, START, add_session, make_service, screen_text, settle
from tui.app.app import AwsMfaApp
from tui.engine import free_memory


async def test_footer_keys_are_freed_when_the_footer_recomposes(sandbox_home, clock):
    add_session(sandbox_home.credentials, "work-mfa", START + timedelta(hours=8))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        old = [weakref.ref(key) for key in app.screen.query(FooterKey)]
        assert old
        table = app.main_screen.table
        for _ in range(3):  # each change of the bindings rebuilds the footer's keys
            app.screen.set_focus(None)  # (the table's keys, Mark and Details, go)
            await pilot.pause()
            await pilot.pause()
            assert "Details" not in screen_text(app)
            app.screen.set_focus(table)
            await pilot.pause()
            await pilot.pause()
        gc.collect()
        assert app.screen.query(FooterKey), "the footer shows its keys again"
        assert [ref for ref in old if ref() is not None] == []


def test_a_widgets_styles_cache_is_not_kept_by_the_colour_cache(sandbox_home, clock):
    """Every widget drawn (each toast: hundreds a day) asks its StylesCache for the
    background styles; Textual's lru_cache on that method kept the cache, with every line
    it held, after the widget was gone."""
    AwsMfaApp(make_service(sandbox_home, clock))  # the app applies the workaround
    cache = StylesCache()
    inner, outer = cache.get_inner_outer(Color(10, 20, 30), Color(0, 0, 0, 0.5))
    assert (inner, outer) == StylesCache().get_inner_outer(Color(10, 20, 30),
                                                           Color(0, 0, 0, 0.5))
    assert outer.background == Color(10, 20, 30)
    freed = weakref.ref(cache)
    del cache
    gc.collect()
    assert freed() is None


async def test_the_clock_tick_gives_free_pages_back_every_ten_minutes(sandbox_home, clock,
                                                                        monkeypatch):
    """The app's one timer drives the release (tui.engine.free_memory): without it the
    20-hour benchmark's resident size creeps by ~0.1 MiB an hour."""
    add_session(sandbox_home.credentials, "work-mfa", START + timedelta(hours=8))
    released = []
    monkeypatch.setattr(free_memory, "release", lambda: released.append(clock.now) or True)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        started = clock.now
        for _ in range(25):  # 25 minutes by the app's clock
            clock.advance(seconds=60)
            app.clock_tick()
        assert released == [started + timedelta(minutes=10), started + timedelta(minutes=20)]
