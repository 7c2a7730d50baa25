"""What each workaround buys today: the same whole process with it and without it
(`workaround_switches.without`), interleaved A B A B, medians and paired ratios, with the
load average (the machine is shared). The README's "Workarounds and what they buy" quotes
these figures. Memory (styles, footer, trim) is test_bench_memory.py with BENCH_WITHOUT.

    .venv/bin/python -m pytest tests/benchmarks/test_bench_workarounds.py --benchmark-only -s
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.benchmarks.test_bench_app import (
    FIRST_PAINT,
    PtyProcess,
    environment,
    idle_cpu_shares,
    idle_sandbox,
    write_profiles,
)
from tests.benchmarks.test_bench_status_short import _write_files
from tests.benchmarks.workaround_switches import prelude

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = int(os.environ.get("WORKAROUND_BENCH_ROUNDS", "15"))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _interleaved(variants: dict[str, object], once) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for variant in variants.values():  # warm the bytecode and file caches
        once(variant)
    for _ in range(ROUNDS):
        for name, variant in variants.items():
            samples[name].append(once(variant))
    return samples


def _report(title: str, samples: dict[str, list[float]], unit: float = 1000,
            unit_name: str = "ms") -> dict[str, float]:
    base = samples["with all"]
    print(f"\n{title} ({ROUNDS} interleaved rounds, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}):")
    medians = {}
    for name, values in samples.items():
        median = statistics.median(values)
        medians[name] = median
        paired = statistics.median(b / a for a, b in zip(base, values, strict=True))
        print(f"  {name:<22} median {median * unit:8.1f} {unit_name}   paired ratio to "
              f"'with all' {paired:.3f}   (min {min(values) * unit:.1f})")
    return medians


@pytest.mark.benchmark(group="workarounds")
def test_status_short(benchmark, sandbox_home):
    """`status --short` with 20 identities, each with a session and a role."""
    _write_files(sandbox_home.home, 20)
    env = _env()
    variants = {"with all": "", "without fast": "fast", "without named_tuple": "named_tuple",
                "without gc": "gc", "without string paths": "pathlib",
                "without all four": "fast,named_tuple,gc,pathlib"}

    def once(names: object) -> float:
        argv = [sys.executable, "-c", prelude(str(names)), "status", "--short"]
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        return time.perf_counter() - start

    samples: dict[str, list[float]] = {}
    benchmark.pedantic(lambda: samples.update(_interleaved(variants, once)), rounds=1,
                       iterations=1)
    benchmark.extra_info.update(_report("status --short, whole process", samples))


CLIENTS = """
import time
from tests.benchmarks.workaround_switches import without
import os
without(os.environ["BENCH_WITHOUT"])
start = time.perf_counter()
from tui.engine.credential_values import AwsKeys
from tui.engine.aws.client import make_client
from tui.engine.secret import Secret
keys = AwsKeys("AKIAEXAMPLEEXAMPLE12", Secret("s" * 40), None)
make_client("sts", keys, None)
make_client("iam", keys, None)
print(time.perf_counter() - start)
"""


@pytest.mark.benchmark(group="workarounds")
def test_clients(benchmark, sandbox_home):
    """An STS and an IAM client made in a fresh process (no call sent): what a refresh,
    `credential-process` or the TUI's first AWS call pays before its request."""
    variants = {"with all": "", "without endpoints": "endpoints"}

    def once(names: object) -> float:
        done = subprocess.run([sys.executable, "-c", CLIENTS], env=_env(
            BENCH_WITHOUT=str(names), HOME=str(sandbox_home.home)), check=True,
            capture_output=True, text=True, cwd=ROOT)
        return float(done.stdout.split()[-1])

    samples: dict[str, list[float]] = {}
    benchmark.pedantic(lambda: samples.update(_interleaved(variants, once)), rounds=1,
                       iterations=1)
    benchmark.extra_info.update(_report("two clients (sts, iam), in a fresh process",
                                        samples))


@pytest.mark.benchmark(group="workarounds")
def test_first_paint(benchmark, sandbox_home, tmp_path):
    """The TUI's first paint with 200 profiles (as test_bench_app.py times it)."""
    write_profiles(sandbox_home, identities=200, sessions=100)
    painted = tmp_path / "painted.txt"
    env = environment(sandbox_home)
    env.update(BENCH_REPORT=str(tmp_path / "report.txt"), BENCH_PAINTED=str(painted),
               PYTHONPATH=str(ROOT))
    variants = {"with all": "", "without gc": "gc", "without footer": "footer",
                "without textual_fixes": "styles,input"}

    def once(names: object) -> float:
        script = ("from tests.benchmarks.workaround_switches import without\n"
                  f"without({str(names)!r})\n" + FIRST_PAINT)
        painted.unlink(missing_ok=True)
        run = PtyProcess([sys.executable, "-c", script], env)
        try:
            run.wait()
        finally:
            run.close()
        return float(painted.read_text()) - run.spawned

    samples: dict[str, list[float]] = {}
    benchmark.pedantic(lambda: samples.update(_interleaved(variants, once)), rounds=1,
                       iterations=1)
    benchmark.extra_info.update(_report("first paint, 200 profiles", samples))


IDLE_WINDOWS = 6
IDLE_WINDOW_S = 20.0


@pytest.mark.benchmark(group="workarounds")
@pytest.mark.parametrize("identities", [50, 2000])
def test_idle_cpu(benchmark, tmp_path, identities):
    """CPU time of idle apps (each session counting down), all side by side."""
    variants = {"with all": "", "without input": "input"}
    apps: dict[str, tuple[list[str], dict[str, str]]] = {}
    for name, names in variants.items():
        sandbox = idle_sandbox(tmp_path, name, identities, identities)
        env = environment(sandbox)
        env.update(HOME=str(sandbox.home), PYTHONPATH=str(ROOT))
        apps[name] = ([sys.executable, "-c", prelude(names)], env)
    shares = idle_cpu_shares(benchmark, apps, IDLE_WINDOWS, IDLE_WINDOW_S, settle_s=10)
    print(f"\nidle CPU, {identities} identities with sessions, {IDLE_WINDOWS} windows of "
          f"{IDLE_WINDOW_S:.0f} s side by side (load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}):")
    for name, values in shares.items():
        print(f"  {name:<18} all {IDLE_WINDOWS * IDLE_WINDOW_S:.0f} s: "
              f"{statistics.fmean(values) * 100:.3f}% of a core, median window "
              f"{statistics.median(values) * 100:.2f}% "
              f"(windows {', '.join(f'{v * 100:.2f}' for v in values)})")
    benchmark.extra_info.update(shares=shares)


HUNG_QUIT = """
import os, time, threading
from tests.benchmarks.workaround_switches import without
without(os.environ["BENCH_WITHOUT"])
from tui.app.widgets.profile_table import ProfileTable

show = ProfileTable.show

def show_then_quit(self, rows, *args, **kwargs):
    show(self, rows, *args, **kwargs)
    if not getattr(ProfileTable, "_hung", False):
        ProfileTable._hung = True
        # An AWS call that hangs (botocore's timeouts: 5 s connect, 10 s read, 3 tries).
        self.app.run_worker(lambda: time.sleep(20), thread=True)
        self.app.call_after_refresh(quit_now, self.app)

def quit_now(app):
    with open(os.environ["BENCH_PAINTED"], "w") as moment:
        moment.write(repr(time.monotonic()))
    app.exit()

ProfileTable.show = show_then_quit
from tui.cli import main
raise SystemExit(main([]))
"""


@pytest.mark.benchmark(group="workarounds")
def test_quit_during_a_hung_call(benchmark, sandbox_home, tmp_path):
    """From `exit()` to the process's end, with a thread worker stuck for 20 s."""
    write_profiles(sandbox_home, identities=5, sessions=5)
    quit_at = tmp_path / "quit.txt"
    env = environment(sandbox_home)
    env.update(BENCH_PAINTED=str(quit_at), PYTHONPATH=str(ROOT))
    samples: dict[str, list[float]] = {"with all": [], "without daemon": []}

    def measure() -> None:
        for _ in range(2):
            for name, names in (("with all", ""), ("without daemon", "daemon")):
                quit_at.unlink(missing_ok=True)
                run = PtyProcess([sys.executable, "-c", HUNG_QUIT],
                                 {**env, "BENCH_WITHOUT": names})
                try:
                    run.wait(timeout=60)
                finally:
                    run.close()
                samples[name].append(time.monotonic() - float(quit_at.read_text()))

    benchmark.pedantic(measure, rounds=1, iterations=1)
    for name, values in samples.items():
        print(f"\n  quit with a hung call, {name}: {', '.join(f'{v:.2f}' for v in values)} s")


@pytest.mark.benchmark(group="workarounds")
async def test_footer_after_focus_changes(benchmark, sandbox_home, clock):
    """RSS and FooterKeys alive after 300 focus round trips (each changes the footer's
    keys: a dialog, the log panel, the table losing focus). One variant a process:
    BENCH_WITHOUT=footer for Textual's own footer."""
    import gc

    from textual.widgets._footer import FooterKey

    from tests.benchmarks.workaround_switches import without
    from tests.support.app import SIZE, START, add_session, make_service, settle
    from tests.support.memory import MIB, rss_bytes
    from tui.app.app import AwsMfaApp

    without(os.environ.get("BENCH_WITHOUT", ""))
    add_session(sandbox_home.credentials, "work-mfa", START)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        samples = []
        for round_trip in range(301):
            if round_trip % 100 == 0:
                gc.collect()
                samples.append((rss_bytes(), sum(isinstance(o, FooterKey)
                                                 for o in gc.get_objects())))
            app.screen.set_focus(None)
            await pilot.pause()
            app.screen.set_focus(table)
            await pilot.pause()
    print(f"\n[without: {os.environ.get('BENCH_WITHOUT') or 'nothing'}] footer over 300 "
          "focus round trips: " + ", ".join(
              f"{(rss - samples[0][0]) / MIB:+.2f} MiB, {keys} keys alive"
              for rss, keys in samples))
    benchmark.extra_info.update(samples=samples)
