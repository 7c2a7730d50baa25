"""A tick costs what is on screen plus O(1): with 2,000 rows, each second computes schedule
entries and builds `RowFlags` only for the rows drawn (and the few whose lead time began),
while the bell, the "needs code" state and the title behave as before. Counted, not timed."""

from __future__ import annotations

from tests.support.app import (
    MANY_ROWS,
    SIZE,
    make_service,
    settle,
    table_rows,
    write_many,
)
from tui.app.app import AwsMfaApp
from tui.app.screens import main as main_module
from tui.engine.sessions.schedule import RefreshSchedule

ROWS = MANY_ROWS
#: Besides the rows on screen: the rows whose lead time began this tick, the cursor's row.
SLACK = 5


class Counter:
    """The distinct rows touched since the last reset: a row the compositor happens to
    paint twice in one tick is still one visible row, not a scan of all of them."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def add(self, name: str) -> None:
        self.names.add(name)

    def reset(self) -> int:
        count, self.names = len(self.names), set()
        return count


async def test_a_tick_costs_the_visible_rows_not_all(sandbox_home, clock, bells, monkeypatch):
    write_many(sandbox_home)
    entries, flags = Counter(), Counter()
    real_entry, real_flags_of = RefreshSchedule.entry, main_module.MainScreen.flags_of

    def counted_entry(self, name, *args, **kwargs):
        entries.add(name)
        return real_entry(self, name, *args, **kwargs)

    def counted_flags_of(self, name, *args):
        flags.add(name)
        return real_flags_of(self, name, *args)

    monkeypatch.setattr(RefreshSchedule, "entry", counted_entry)
    monkeypatch.setattr(main_module.MainScreen, "flags_of", counted_flags_of)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        assert len(screen.rows) == ROWS
        visible = screen.table.size.height - 1
        assert 0 < visible < 40
        assert bells == [] and not screen.keeper.needs_code
        entries.reset(), flags.reset()
        per_tick = []
        for _ in range(4):  # row p1999 enters its lead time on the third tick
            clock.advance(seconds=1)
            app.clock_tick()
            await pilot.pause()
            per_tick.append((entries.reset(), flags.reset()))
        assert all(e <= visible + SLACK and f <= visible + SLACK for e, f in per_tick), \
            (per_tick, visible)
        # the behaviour is the same: one bell, the row needs a code, the title names it
        assert len(bells) == 1
        assert screen.keeper.needs_code == {"p1999"}
        assert app.sub_title.startswith("p1999 needs a code: 0:04:5")
        # scrolled into view, the row reads "needs code"
        await pilot.press("end")
        assert screen.table.highlighted_row().name == "p1999"
        await pilot.pause()
        assert table_rows(app)["p1999"]["state"] == "needs code"
