"""The event log stays bounded while hidden (Textual's RichLog queues writes until it
learns its size, which a display:none widget never does; ours is made when first shown)."""

from __future__ import annotations

from textual.widgets import RichLog

from tests.support.app import SIZE, make_service, settle
from tui.app.app import AwsMfaApp
from tui.app.widgets.log_panel import MAX_LINES, LogPanel


async def test_hidden_log_keeps_at_most_max_lines_queued(sandbox_home, clock):
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        log = app.screen.query_one(LogPanel)
        for index in range(MAX_LINES * 3):
            log.add(clock.now, f"line {index}")
        await pilot.pause()
        assert len(log.pending) <= MAX_LINES
        assert len(log.lines_written) == MAX_LINES
        await pilot.press("g")  # shown: the newest lines are there
        await pilot.pause()
        assert log.lines_written[-1].endswith(f"line {MAX_LINES * 3 - 1}")
        shown = log.query_one(RichLog)
        assert len(shown.lines) <= MAX_LINES and not log.pending
        assert "line 1499" in shown.lines[-1].text
