"""Writers that take no lock and stall in the middle of their write, raced by real processes.

Each writer of the tests' own (`STALLING_WRITER`) rewrites the credentials file in place,
pausing half-way at a section boundary, or with the file empty, or between every line. While
it loops, fresh `aws-mfa-tui logout` processes (the CLI: no earlier read of their own) remove
session sections. Whatever the pause, no long-term profile may be lost; a logout may give
up (exit 3, one line saying what happened), and the count of those is printed. (A
long-lived store, and `refresh`: `test_credentials_store_stalling_kept.py`.)
"""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.support.writers import (
    CLI,
    LOGOUTS,
    each_writer,
    lost_long_term,
    seed_for,
    start_writer,
    stop_writer,
)

WRITERS = [
    ("boundary", 0.05), ("boundary", 0.15), ("boundary", 1.0), ("boundary", 3.0),
    ("truncate", 0.05), ("truncate", 1.2), ("truncate", 3.0),
    ("lines", 0.003), ("lines", 0.01),
]


@pytest.mark.slow
@each_writer(WRITERS)
def test_fresh_logouts_never_cost_a_long_term_profile(sandbox_home, tmp_path, how, stall):
    path = sandbox_home.credentials
    long_term = seed_for(path, how)
    # As on any machine where aws-mfa-tui has run once: the file's known state exists.
    # (The very first run has nothing to judge a read by: see the README.)
    assert subprocess.run([*CLI, "status"], capture_output=True, timeout=60).returncode == 0
    assert list((sandbox_home.home / ".local" / "state" / "aws-mfa-tui").glob("known-*"))
    stop = tmp_path / "stop"
    writer = start_writer(path, stop, how, stall)
    gave_up, took = [], []
    try:
        for n in range(LOGOUTS):
            started = time.monotonic()
            done = subprocess.run([*CLI, "logout", f"s-{n}"], capture_output=True, text=True,
                                  timeout=120)
            took.append(time.monotonic() - started)
            assert done.returncode in (0, 2, 3), done.stderr
            if done.returncode != 0:
                gave_up.append(done.stderr.strip())
                assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    finally:
        rounds = stop_writer(writer, stop, stall)
    lost = lost_long_term(path, long_term)
    print(f"{how} {stall:g}s ({rounds} rounds): {len(lost)} of {long_term} long-term lost; "
          f"{len(gave_up)} of {LOGOUTS} logouts gave up; took "
          + ", ".join(f"{t:.1f}" for t in took) + " s", *gave_up, sep="\n  ")
    assert lost == []

