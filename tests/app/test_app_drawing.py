"""What a tick draws: only the widgets that meet the changed cells, and the same cells as
Textual's own drawing (`textual_fixes` item 3, `ProfileTable.render_lines`)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from rich.console import Console
from textual.geometry import Region
from textual.widget import Widget

from tests.support.app import SIZE, START, add_session, make_service, settle
from tui.app import textual_fixes
from tui.app.app import AwsMfaApp

ROWS = 50


def write_fresh(sandbox) -> None:
    """50 identities, each with a session that stays fresh for 10 hours: no toasts."""
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    with open(sandbox.credentials, "w") as handle:
        for index in range(ROWS):
            handle.write(f"[p{index:03d}]\naws_access_key_id = AKIA{index:016d}\n"
                         f"aws_secret_access_key = LONGTERM{index:016d}\n\n")
    for index in range(ROWS):
        add_session(sandbox.credentials, f"p{index:03d}-mfa",
                    START + timedelta(hours=10, seconds=index))


def written(app: AwsMfaApp, regions: list[Region]) -> str:
    """What a partial update of `regions` writes to the terminal."""
    compositor = app.screen._compositor
    compositor._dirty_regions.clear()
    compositor._dirty_regions.update(regions)
    update = compositor.render_partial_update()
    assert update is not None
    console = Console(width=SIZE[0], color_system="truecolor", force_terminal=True,
                      legacy_windows=False)
    return update.render_segments(console)


async def test_a_tick_draws_only_the_table(sandbox_home, clock, bells, monkeypatch):
    write_fresh(sandbox_home)
    drawn: Counter[str] = Counter()
    render_lines = Widget.render_lines

    def counted(self, crop):
        drawn[type(self).__name__] += crop.height
        return render_lines(self, crop)

    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        own_render_lines = type(table).render_lines

        def table_counted(self, crop):
            drawn[type(self).__name__] += crop.height
            return own_render_lines(self, crop)

        monkeypatch.setattr(Widget, "render_lines", counted)
        monkeypatch.setattr(type(table), "render_lines", table_counted)
        for _ in range(3):
            await pilot.pause()
            drawn.clear()
            clock.advance(seconds=1)
            app._tick()
            await pilot.pause()
            # The "Left" column of the rows on screen changed: the table draws those rows
            # and nothing else draws at all (Textual drew every widget on the screen, the
            # header, footer, summary, scrollbar and the screen behind, in full).
            assert drawn == {"ProfileTable": table.size.height - 1}


@pytest.mark.parametrize("where", ["left column", "header and table", "footer", "whole rows",
                                   "two corners", "the scrollbar"])
async def test_a_partial_update_writes_what_textual_writes(sandbox_home, clock, bells,
                                                           monkeypatch, where):
    write_fresh(sandbox_home)
    width, height = SIZE
    regions = {
        "left column": [Region(58, 2, 8, 25)],
        "header and table": [Region(0, 0, width, 1), Region(20, 3, 5, 2)],
        "footer": [Region(3, height - 1, 10, 1)],
        "whole rows": [Region(0, 5, width, 3)],
        "two corners": [Region(0, 0, 3, 1), Region(width - 3, height - 1, 3, 1)],
        "the scrollbar": [Region(width - 2, 1, 2, 20)],
    }[where]
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        ours = written(app, regions)
        monkeypatch.setattr(type(app.screen._compositor), "_get_renders",
                            textual_fixes._textual_get_renders)
        assert written(app, regions) == ours


async def test_the_tables_own_drawing_is_textuals(sandbox_home, clock, bells):
    write_fresh(sandbox_home)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        width, height = table.region.size
        crops = [Region(0, 0, width, height), Region(58, 1, 8, 20), Region(0, 3, 10, 1)]
        for focused in (True, False):
            if focused:
                table.focus()
            else:
                table.blur()
            await pilot.pause()
            for crop in crops:
                ours = [strip.text for strip in table.render_lines(crop)]
                ours_styled = [list(strip) for strip in table.render_lines(crop)]
                table._styles_cache.clear()
                textuals = Widget.render_lines(table, crop)
                assert ours == [strip.text for strip in textuals]
                assert ours_styled == [list(strip) for strip in textuals]


async def test_a_styled_table_is_drawn_by_textual(sandbox_home, clock, bells):
    """A border (a user's CSS, say) is left to Textual's drawing."""
    write_fresh(sandbox_home)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        table.render_lines(Region(0, 0, *table.region.size))
        table.styles.border = ("round", "red")
        await pilot.pause()
        lines = [strip.text for strip in table.render_lines(Region(0, 0, *table.region.size))]
        assert lines[0].startswith("╭") and lines[-1].startswith("╰")
        assert lines[1].startswith("│")
