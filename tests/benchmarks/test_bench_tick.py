"""What one 1-second tick of the main screen costs at 50, 200 and 2,000 rows, in process.

The screen's own work on a tick (`app.clock_tick()`: lead-time checks, the cells of the rows
on screen, the title), timed by pytest-benchmark; Textual drawing the changed region
afterwards is not included. A tick should cost what is on screen plus O(1), so the three
sizes should be close.

    .venv/bin/python -m pytest tests/benchmarks/test_bench_tick.py --benchmark-only -s
"""


from __future__ import annotations

import pytest

from tests.support.app import SIZE, make_service, settle, write_many
from tui.app.app import AwsMfaApp

TICKS = 200


@pytest.mark.benchmark(group="tick")
@pytest.mark.parametrize("rows", [50, 200, 2000])
async def test_tick_cost(benchmark, sandbox_home, clock, bells, rows):
    write_many(sandbox_home, rows)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert len(app.main_screen.rows) == rows

        def tick() -> None:
            clock.advance(seconds=1)
            app.clock_tick()

        benchmark.pedantic(tick, rounds=TICKS, iterations=1, warmup_rounds=5)
    stats = benchmark.stats.stats
    print(f"\n{rows} rows: tick median {stats.median * 1000:.3f} ms, "
          f"min {stats.min * 1000:.3f} ms, max {stats.max * 1000:.3f} ms")
