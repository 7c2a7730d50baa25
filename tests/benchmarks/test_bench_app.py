"""The TUI's two performance targets, measured on whole processes in a pseudo-terminal:

1. First paint with 200 profiles: no slower than 1.2x a bare Textual DataTable app showing
   the same names (`bare_datatable_app.py`). Runs are interleaved; medians compared.
   botocore must not be imported before the first paint. Timed from the spawn of the
   process to the end of its first screen refresh that drew the rows and the footer's
   keys (the process writes that moment's `time.monotonic()`, a clock shared by all
   processes; until the footer's keys came in the first frame, a later refresh drew
   them, and the benchmark stopped before it): the time to exit is left out,
   as Textual's exit waits for its input thread's next 0.1 s poll (and one more), a
   0.1-0.2 s wait whose phase, not the app's work, decided the whole-process figure.
2. Idle CPU (utime+stime from /proc), two apps side by side: <= 0.5% of a core with 50
   sessions counting down, <= 1.0% with 2,000 profiles (2,000 identity rows, each with
   its session counting down; about 25 rows on screen).

    .venv/bin/python -m pytest tests/benchmarks/test_bench_app.py --benchmark-only -s
"""

from __future__ import annotations

import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

BARE_APP = Path(__file__).with_name("bare_datatable_app.py")
ROUNDS = 9

# Our real entry point (the CLI), told to exit right after the first refresh that drew
# the table's rows and the footer's keys (the bare app's one frame has all it shows).
FIRST_PAINT = """
import os, sys, time
from textual.widgets._footer import FooterKey
from tui.app.widgets.profile_table import ProfileTable

show = ProfileTable.show

def show_then_exit(self, rows, *args, **kwargs):
    show(self, rows, *args, **kwargs)
    with open(os.environ["BENCH_REPORT"], "w") as report:
        report.write(f"rows={len(rows)} botocore={'botocore' in sys.modules}")
    self.app.call_after_refresh(painted, self.app)

def painted(app):
    # Private: only the compositor knows which widgets are on screen in this frame.
    drawn = app.screen._compositor.visible_widgets
    if not any(isinstance(widget, FooterKey) for widget in drawn):
        app.call_after_refresh(painted, app)  # the keys are drawn by a later refresh
        return
    with open(os.environ["BENCH_PAINTED"], "w") as moment:
        moment.write(repr(time.monotonic()))
    app.exit()

ProfileTable.show = show_then_exit
from tui.cli import main
raise SystemExit(main([]))
"""


def write_profiles(sandbox, identities: int, sessions: int) -> None:
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    expires = (datetime.now(UTC) + timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = []
    for i in range(identities):
        parts.append(f"[p{i:03d}]\naws_access_key_id = AKIA{i:016d}\n"
                     f"aws_secret_access_key = {'s' * 40}\n")
        if i < sessions:
            parts.append(f"[p{i:03d}-mfa]\naws_access_key_id = ASIA{i:016d}\n"
                         f"aws_secret_access_key = x\naws_session_token = {'t' * 300}\n"
                         f"expiration = {expires}\n")
    sandbox.credentials.write_text("\n".join(parts))


def environment(sandbox) -> dict[str, str]:
    # Bytecode is written and reused, as an installed app's is: with PYTHONDONTWRITEBYTECODE
    # (set on the test machines) each run would compile our ~40 modules from source again,
    # ~80 ms that the one-file bare app doesn't pay.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(TERM="xterm-256color", TEXTUAL_ANIMATIONS="none",
               AWS_SHARED_CREDENTIALS_FILE=str(sandbox.credentials),
               AWS_CONFIG_FILE=str(sandbox.config),
               AWS_MFA_TUI_SETTINGS=str(sandbox.settings))
    return env


class PtyProcess:
    """A process on a 100x30 pseudo-terminal whose output is drained (and dropped)."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.master = master
        self.started = time.perf_counter()
        self.spawned = time.monotonic()
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                        env=env, close_fds=True, start_new_session=True)
        os.close(slave)
        self._drain = threading.Thread(target=self._read, daemon=True)
        self._drain.start()

    def _read(self) -> None:
        while True:
            try:
                if not os.read(self.master, 65536):
                    return
            except OSError:
                return

    def wait(self, timeout: float = 60) -> float:
        self.process.wait(timeout=timeout)
        return time.perf_counter() - self.started

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


@pytest.mark.benchmark(group="tui")
def test_first_paint_200_profiles_vs_bare_datatable(benchmark, sandbox_home, tmp_path):
    write_profiles(sandbox_home, identities=200, sessions=100)
    env = environment(sandbox_home)
    report = tmp_path / "report.txt"
    painted = tmp_path / "painted.txt"
    env["BENCH_REPORT"] = str(report)
    env["BENCH_PAINTED"] = str(painted)
    ours_argv = [sys.executable, "-c", FIRST_PAINT]
    bare_argv = [sys.executable, str(BARE_APP), str(sandbox_home.credentials)]
    for argv in (ours_argv, bare_argv):  # warm the bytecode and file caches
        PtyProcess(argv, env).wait()

    ours, bare = [], []
    whole: dict[str, list[float]] = {"ours": [], "bare": []}

    def interleaved() -> None:
        for _ in range(ROUNDS):
            for argv, times, name in ((ours_argv, ours, "ours"), (bare_argv, bare, "bare")):
                painted.unlink(missing_ok=True)
                run = PtyProcess(argv, env)
                try:
                    whole[name].append(run.wait())
                finally:
                    run.close()
                times.append(float(painted.read_text()) - run.spawned)

    benchmark.pedantic(interleaved, rounds=1, iterations=1)
    ratio = statistics.median(ours) / statistics.median(bare)
    benchmark.extra_info.update(ours_median_s=statistics.median(ours),
                                bare_median_s=statistics.median(bare), ratio=ratio)
    print(f"\nfirst paint, 200 profiles: ours median {statistics.median(ours):.3f} s "
          f"(min {min(ours):.3f}), bare DataTable median {statistics.median(bare):.3f} s "
          f"(min {min(bare):.3f}), ratio {ratio:.2f}; spawn to exit: ours median "
          f"{statistics.median(whole['ours']):.3f} s, bare {statistics.median(whole['bare']):.3f} s")
    assert report.read_text() == "rows=200 botocore=False"
    assert ratio <= 1.2


#: The idle apps measured side by side: name, identities, sessions, goal (share of a core).
IDLE_APPS = (("50 sessions", 50, 50, 0.005), ("2,000 profiles", 2000, 2000, 0.010))
IDLE_WINDOWS = 5
IDLE_WINDOW_S = 12.0


def idle_sandbox(tmp_path: Path, name: str, identities: int, sessions: int):
    """A sandbox HOME of its own for each app measured at the same time."""
    from tests.conftest import Sandbox

    home = tmp_path / name.replace(" ", "-").replace(",", "")
    home.mkdir()
    aws_dir = home / ".aws"
    sandbox = Sandbox(home=home, aws_dir=aws_dir, credentials=aws_dir / "credentials",
                      config=aws_dir / "config", settings=home / "settings.toml")
    write_profiles(sandbox, identities, sessions)
    return sandbox


def idle_cpu_shares(benchmark, apps: dict[str, tuple[list[str], dict[str, str]]],
                    windows: int, window_s: float, settle_s: float
                    ) -> dict[str, list[float]]:
    """Start `apps` (name -> argv, environment) side by side, each in its pseudo-terminal,
    and give each one's share of a core in each of the same `windows` windows."""
    runs: dict[str, PtyProcess] = {}
    try:
        for name, (argv, env) in apps.items():
            runs[name] = PtyProcess(argv, env)
        time.sleep(settle_s)  # first paint and the first ticks
        for name, run in runs.items():
            assert run.process.poll() is None, f"{name}: the app exited"
        shares: dict[str, list[float]] = {name: [] for name in runs}

        def measure() -> None:
            for _ in range(windows):
                before = {name: run.cpu_seconds() for name, run in runs.items()}
                time.sleep(window_s)
                for name, run in runs.items():
                    shares[name].append((run.cpu_seconds() - before[name]) / window_s)

        benchmark.pedantic(measure, rounds=1, iterations=1)
        return shares
    finally:
        for run in runs.values():
            run.close()


@pytest.mark.benchmark(group="tui")
def test_idle_cpu_50_sessions_and_2000_profiles(benchmark, tmp_path):
    """CPU time (utime+stime from /proc) of the running apps over the same windows.

    Both apps, and the bare DataTable app (which never ticks: the floor of an idle
    Textual process, its input thread polling 10 times a second), run at once in their
    own pseudo-terminals, so a busy moment on the shared machine falls on all of them.
    Each app's median window is compared with its goal.
    """
    apps: dict[str, tuple[list[str], dict[str, str]]] = {}
    for name, identities, sessions, _goal in IDLE_APPS:
        sandbox = idle_sandbox(tmp_path, name, identities, sessions)
        env = environment(sandbox)
        env["HOME"] = str(sandbox.home)
        apps[name] = ([sys.executable, "-m", "tui"], env)
    bare = idle_sandbox(tmp_path, "bare", 50, 50)
    apps["bare DataTable"] = ([sys.executable, str(BARE_APP), str(bare.credentials), "--stay"],
                              environment(bare))
    shares = idle_cpu_shares(benchmark, apps, IDLE_WINDOWS, IDLE_WINDOW_S, settle_s=8)
    medians = {name: statistics.median(values) for name, values in shares.items()}
    benchmark.extra_info.update(cpu_share_medians=medians, cpu_shares=shares)
    print(f"\nidle CPU, whole process, {IDLE_WINDOWS} windows of {IDLE_WINDOW_S:.0f} s "
          f"(load average {os.getloadavg()[0]:.2f}):")
    for name, values in shares.items():
        print(f"  {name}: median {medians[name] * 100:.2f}% of a core "
              f"(windows {', '.join(f'{v * 100:.2f}' for v in values)}%)")
    tick = 1 / os.sysconf("SC_CLK_TCK") / IDLE_WINDOW_S  # /proc counts in clock ticks
    for name, _identities, _sessions, goal in IDLE_APPS:
        assert medians[name] <= goal + tick / 2, name
