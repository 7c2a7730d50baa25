"""The TUI's memory over a long day: at most +2 MiB RSS over 20 simulated hours with 200
sessions whose alerts keep firing, in process (Pilot), with the clock injected.

Every simulated hour the 200 sessions are written again (as if renewed elsewhere), ending
10 to 60 minutes later, so each one enters its lead time within the hour: 200 alerts an
hour (bell, toast, log line), 4,000 in all, and 20 reloads of the files. The log panel
stays hidden the whole time (the case where Textual's `RichLog` queued every line).

RSS comes from /proc/self/statm after `gc.collect()`, with no toast left on screen,
first after a 2-hour warm-up, then every hour. The app's clock tick hands glibc's free
heap pages back every 10 minutes of its clock (tui.engine.free_memory), here the injected
one: without that the heap's free pages pile up and RSS creeps ~0.1 MiB an hour, with
Python's own heap flat. Toasts live for 5 to 8 s of wall-clock time, which the speeded
clock doesn't move, so after each draw (every 5 simulated minutes) the toasts shown expire.

    .venv/bin/python -m pytest tests/benchmarks/test_bench_memory.py --benchmark-only -s

BENCH_WITHOUT=footer (or styles, trim; see workaround_switches.py) measures the day without
that workaround, for the README's table of what each one buys.
"""

from __future__ import annotations

import gc
import os
from datetime import timedelta

import pytest
from textual.widgets._toast import Toast

from tests.benchmarks.workaround_switches import without
from tests.support.app import SIZE, make_service, settle
from tests.support.memory import MIB, rss_bytes
from tui.app.app import AwsMfaApp
from tui.app.widgets.log_panel import MAX_LINES
from tui.engine.credential_values import format_expiration

SESSIONS = 200
HOURS = int(os.environ.get("BENCH_HOURS", "20"))
WARM_UP_HOURS = 2
STEP = timedelta(seconds=30)
#: Steps between two draws (a Pilot pause costs far more than a tick).
DRAW_EVERY = 10


def write_sessions(sandbox, now) -> None:
    """200 identities, each with a session ending 10 + i * 0.25 minutes after `now`."""
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    parts, config = [], []
    for index in range(SESSIONS):
        name = f"p{index:03d}"
        expires = now + timedelta(minutes=10, seconds=15 * index)
        parts.append(f"[{name}]\naws_access_key_id = AKIA{index:016d}\n"
                     f"aws_secret_access_key = LONGTERM{index:016d}\n")
        parts.append(f"[{name}-mfa]\naws_access_key_id = ASIA{index:016d}\n"
                     f"aws_secret_access_key = SECRET{index:016d}\n"
                     f"aws_session_token = TOKEN{index:016d}\n"
                     f"expiration = {format_expiration(expires)}\n")
        config.append(f"[profile {name}]\nmfa_serial = arn:aws:iam::123456789012:mfa/{name}\n")
    sandbox.credentials.write_text("\n".join(parts))
    sandbox.config.write_text("\n".join(config))


@pytest.mark.benchmark(group="tui-memory")
@pytest.mark.timeout(900)
async def test_rss_over_20_simulated_hours_with_alerts(benchmark, sandbox_home, clock,
                                                       monkeypatch):
    rung = [0]

    def bell(_app: AwsMfaApp) -> None:
        rung[0] += 1

    monkeypatch.setattr(AwsMfaApp, "bell", bell)
    without(os.environ.get("BENCH_WITHOUT", ""))  # (this process only: one variant a run)
    write_sessions(sandbox_home, clock.now)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    samples: list[tuple[int, int]] = []  # (simulated hour, RSS bytes)

    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        assert len(screen.rows) == SESSIONS

        async def sample(hour: int) -> None:
            # Every sample with no toast on screen: the 17 to 77 toasts the alerts of the
            # moment happened to leave (tens of KB each) made samples differ by ~2 MiB.
            while toasts := app.screen.query(Toast):
                for toast in toasts:
                    toast._expire()
                await pilot.pause()
            gc.collect()
            samples.append((hour, rss_bytes()))

        async def one_day() -> None:
            for hour in range(1, HOURS + 1):
                for step in range(int(timedelta(hours=1) / STEP)):
                    clock.advance(seconds=STEP.total_seconds())
                    app.clock_tick()
                    if step % DRAW_EVERY == 0:
                        await pilot.pause()  # draw what changed; new toasts are mounted
                        # Minutes have passed for them: they expire as their timers do.
                        # (Not clear_notifications(): Textual's rack then keeps each
                        # toast's holder, 60 KB a toast, which the app never does.)
                        for toast in app.screen.query(Toast):
                            toast._expire()
                write_sessions(sandbox_home, clock.now)  # renewed elsewhere: alerts again
                screen.reload()
                await settle(app, pilot)
                if hour >= WARM_UP_HOURS:
                    await sample(hour)

        await one_day()  # (pedantic() can't await: the figures go to extra_info)
        log = screen.log_panel
        deferred = len(log.pending)
        assert not log.has_class("-shown"), "the log panel stayed hidden"
        assert len(log.lines_written) <= MAX_LINES and deferred <= MAX_LINES

    base = samples[0][1]
    growth = samples[-1][1] - base
    peak = max(rss for _, rss in samples) - base
    benchmark.extra_info.update(growth_mib=growth / MIB, peak_mib=peak / MIB, bells=rung[0],
                                samples_mib=[round(rss / MIB, 2) for _, rss in samples])
    print(f"\n[without: {os.environ.get('BENCH_WITHOUT') or 'nothing'}] RSS over {HOURS} simulated hours, {SESSIONS} sessions, {rung[0]} alerts: "
          f"{base / MIB:.1f} MiB after the {WARM_UP_HOURS}-hour warm-up, "
          f"{growth / MIB:+.2f} MiB at the end (peak {peak / MIB:+.2f} MiB); "
          f"hidden log queue {deferred} lines")
    print("  per hour: " + ", ".join(f"{hour}h {rss / MIB:.1f}" for hour, rss in samples))
    assert rung[0] >= SESSIONS * (HOURS - 1), "the alerts didn't keep firing"
    assert growth <= 2 * MIB
