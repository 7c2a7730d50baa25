"""A tick costs what is on screen plus O(1): with 2,000 rows, each second computes schedule
entries and builds `RowFlags` only for the rows drawn (and the few whose lead time began),
while the bell, the "needs code" state and the title behave as before. Counted, not timed."""

# ruff: noqa: F811  (pytest fixtures imported from the harness are parameters here)
from __future__ import annotations

from datetime import timedelta

from tests.test_app_harness import (  # noqa: F401 (fixtures)
    SIZE,
    START,
    bells,
    clock,
    make_service,
    settle,
    table_rows,
)
from tui.app.app import AwsMfaApp
from tui.app.screens import main as main_module
from tui.engine.schedule import RefreshSchedule

ROWS = 2000
#: Besides the rows on screen: the rows whose lead time began this tick, the cursor's row.
SLACK = 5


def write_many(sandbox, rows: int = ROWS) -> None:
    """2,000 identities with sessions, the last one (off screen) ending first: 2 s after
    the start its lead time (300 s) begins; the others stay fresh for minutes."""
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    credentials, config = [], []
    for index in range(rows):
        name = f"p{index:04d}"
        expires = START + timedelta(seconds=302 + 60 * (rows - 1 - index))
        credentials.append(f"[{name}]\naws_access_key_id = AKIA{index:016d}\n"
                           f"aws_secret_access_key = LONGTERM{index:016d}\n")
        credentials.append(f"[{name}-mfa]\naws_access_key_id = ASIA{index:016d}\n"
                           f"aws_secret_access_key = SECRET{index:016d}\n"
                           f"aws_session_token = TOKEN{index:016d}\n"
                           f"expiration = {expires.isoformat().replace('+00:00', 'Z')}\n")
        config.append(f"[profile {name}]\nmfa_serial = arn:aws:iam::123456789012:mfa/{name}\n")
    sandbox.credentials.write_text("\n".join(credentials))
    sandbox.config.write_text("\n".join(config))


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

    def counted_flags_of(self, name):
        flags.add(name)
        return real_flags_of(self, name)

    monkeypatch.setattr(RefreshSchedule, "entry", counted_entry)
    monkeypatch.setattr(main_module.MainScreen, "flags_of", counted_flags_of)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        assert len(screen.rows) == ROWS
        visible = screen.table.size.height - 1
        assert 0 < visible < 40
        assert bells == [] and not screen.alerts.needs_code
        entries.reset(), flags.reset()
        per_tick = []
        for _ in range(4):  # row p1999 enters its lead time on the third tick
            clock.advance(seconds=1)
            app._tick()
            await pilot.pause()
            per_tick.append((entries.reset(), flags.reset()))
        assert all(e <= visible + SLACK and f <= visible + SLACK for e, f in per_tick), \
            (per_tick, visible)
        # the behaviour is the same: one bell, the row needs a code, the title names it
        assert len(bells) == 1
        assert screen.alerts.needs_code == {"p1999"}
        assert app.sub_title.startswith("p1999 needs a code: 0:04:5")
        # scrolled into view, the row reads "needs code"
        await pilot.press("end")
        assert screen.table.highlighted_row().name == "p1999"
        await pilot.pause()
        assert table_rows(app)["p1999"]["state"] == "needs code"


class CountedRows(list):
    def __init__(self, rows) -> None:
        super().__init__(rows)
        self.scans = 0

    def __iter__(self):
        self.scans += 1
        return super().__iter__()


def test_the_title_comes_from_a_cached_soonest_row(sandbox_home, clock):
    write_many(sandbox_home)
    service = make_service(sandbox_home, clock)
    rows = CountedRows(service.status())
    alerts = main_module.SessionAlerts()
    alerts.forget_missing({row.name for row in rows})
    later = START + timedelta(seconds=3)
    for row in rows[-3:]:
        alerts.check(row, RefreshSchedule(lead_time=300).entry(
            row.name, row.entry.expires_at, None, None, later), first_look=False)
    assert alerts.needs_code == {"p1999"}
    rows.scans = 0
    titles = [alerts.title(rows, later + timedelta(seconds=s)) for s in range(10)]
    assert titles[0] == "p1999 needs a code: 0:04:59 left"
    assert titles[-1] == "p1999 needs a code: 0:04:50 left"
    assert rows.scans <= 1  # built once, then read from the cache
    # past its expiry, and no other needs a code: it says so
    assert alerts.title(rows, START + timedelta(hours=1)) == "p1999 expired: needs a code"
