"""A steady row (fresh or expiring, nothing flagged) only has its time left formatted on a
tick; its state and bar are worked out again just before they change. The cells shown must
be those worked out in full at every second, across every state change and bar step."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.app import SIZE, START, add_config, add_session, make_service, settle
from tui.app.app import AwsMfaApp

#: (session lifetime in the config, seconds until the session ends)
SESSIONS = [
    (900, 200),      # inside the lead time already
    (900, 301),      # one second before it
    (900, 1000),     # longer left than its lifetime: a full bar for a while
    (3600, 420),     # enters the lead time, then expires, during the walk
    (3600, 3599),
    (43200, 900),
    (43200, 43199),  # a bar that moves an eighth every few minutes
    (129600, 5000),  # 36 hours
]


def write_sessions(sandbox) -> None:
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    with open(sandbox.credentials, "w") as handle:
        for index in range(len(SESSIONS)):
            handle.write(f"[p{index}]\naws_access_key_id = AKIA{index:016d}\n"
                         f"aws_secret_access_key = LONGTERM{index:016d}\n\n")
    for index, (lifetime, left) in enumerate(SESSIONS):
        add_session(sandbox.credentials, f"p{index}-mfa", START + timedelta(seconds=left))
        add_config(sandbox.config, f"[profile p{index}]\nduration_seconds = {lifetime}\n")


@pytest.mark.parametrize("width", [100, 200])
async def test_steady_rows_show_what_a_full_working_out_shows(sandbox_home, clock, bells,
                                                              width):
    write_sessions(sandbox_home)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(width, SIZE[1])) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        table = screen.table
        assert len(table.rows_shown) == len(SESSIONS)
        # Seconds, then a few jumps (a laptop waking up) and the clock set back: at
        # 3,368 s the 3,599 s session is expiring, 600 s earlier it was fresh.
        steps = [1] * 1300 + [61, 7, 2000, 1, 1, -600, 1, 1, 3600, -30, -3600] + [1] * 200
        steady_ticks = 0
        for number, step in enumerate(steps):
            clock.advance(seconds=step)
            now = clock.now
            # A lead time changed in the settings for a while.
            lead = 1800 if 600 <= number < 900 else screen.lead_time
            table.paint(now, lead, screen.flags(), 0)
            # Private, on purpose: this checks the table's steady-row cache against cells
            # worked out in full, which no public surface tells apart.
            for index, row in enumerate(table.rows_shown):
                steady_ticks += table._steady[index] is not None
                full = table._moving_cells(index, row, now, lead, screen.flags_of(row.name), 0)
                assert table._cells[index] == full, (row.name, now - START)
        # The fast path was taken, or this test would prove nothing about it.
        assert steady_ticks > len(steps) * len(SESSIONS) // 2
