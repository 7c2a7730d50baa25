"""The demo's first paint: `aws-mfa-tui --demo` against the plain app on the same files.

Both run as whole processes on a 100x30 pseudo-terminal, interleaved, 7 rounds each. A
run's time is from the spawn until the last demo row (`sandbox`) has reached the
terminal. The demo must paint within 1.5x of the plain app (issue 12): its emulator is
started after the first paint, so moto's import no longer holds it back.

    .venv/bin/python -m pytest tests/benchmarks/test_bench_demo_paint.py --benchmark-only -s
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time

import pytest

ROUNDS = 7
MARKER = b"sandbox"  # the last row of the demo's table


def time_to_paint(argv: list[str], env: dict[str, str], bound: float = 120.0) -> float:
    """Seconds from spawn until MARKER is on the terminal; the process is then ended."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                               close_fds=True, start_new_session=True)
    os.close(slave)
    seen = b""
    painted = None
    try:
        while painted is None and time.perf_counter() - started < bound:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            seen += chunk
            if MARKER in seen[-(len(chunk) + len(MARKER)):]:
                painted = time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        os.close(master)
    assert painted is not None, seen[-2000:]
    return painted


@pytest.mark.benchmark(group="tui")
def test_demo_first_paint_within_1_5x_of_the_plain_app(benchmark, sandbox_home, tmp_path):
    from tui.demo import prepare_demo

    demo = prepare_demo()  # the demo's own files, copied for the plain app
    try:
        files = {}
        for option, path in (("--credentials-file", demo.paths.credentials),
                             ("--config-file", demo.paths.config),
                             ("--settings", demo.paths.settings)):
            files[option] = shutil.copy(path, tmp_path / path.name)
    finally:
        demo.stop()
    env = {**os.environ, "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none",
           "TMPDIR": str(tmp_path)}
    demo_argv = [sys.executable, "-m", "tui", "--demo"]
    plain_argv = [sys.executable, "-m", "tui",
                  *(part for option, path in files.items() for part in (option, str(path)))]
    for argv in (demo_argv, plain_argv):  # warm the bytecode and file caches
        time_to_paint(argv, env)
    demo_times: list[float] = []
    plain_times: list[float] = []

    def interleaved() -> None:
        for _ in range(ROUNDS):
            demo_times.append(time_to_paint(demo_argv, env))
            plain_times.append(time_to_paint(plain_argv, env))

    benchmark.pedantic(interleaved, rounds=1, iterations=1)
    ratio = statistics.median(demo_times) / statistics.median(plain_times)
    benchmark.extra_info.update(demo_median_s=statistics.median(demo_times),
                                plain_median_s=statistics.median(plain_times), ratio=ratio)
    print(f"\ndemo first paint: median {statistics.median(demo_times):.3f} s "
          f"({min(demo_times):.3f}-{max(demo_times):.3f}); plain app on the same files: "
          f"median {statistics.median(plain_times):.3f} s "
          f"({min(plain_times):.3f}-{max(plain_times):.3f}); ratio {ratio:.2f}; "
          f"load average {os.getloadavg()[0]:.2f}")
    assert not list(tmp_path.glob("aws-mfa-tui-demo-*")), "a demo left its folder"
    assert ratio <= 1.5
