"""`status --short` runs from tmux's status-right every few seconds: whole-process wall time
with 20 identity profiles, each with a session and a role. Goal: well under 100 ms.

    .venv/bin/python -m pytest tests/benchmarks/test_bench_status_short.py --benchmark-only
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest


def _command() -> list[str]:
    script = Path(sys.executable).with_name("aws-mfa-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui"]


@pytest.mark.benchmark(group="status")
def test_status_short_whole_process(benchmark, sandbox_home):
    sandbox_home.aws_dir.mkdir()
    expires = (datetime.now(UTC) + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    credentials, config = [], []
    for i in range(20):
        credentials.append(f"# account {i}\n[p{i}]\naws_access_key_id = AKIA{i:016d}\n"
                           f"aws_secret_access_key = {'s' * 40}\n\n[p{i}-mfa]\n"
                           f"aws_access_key_id = ASIA{i:016d}\naws_secret_access_key = x\n"
                           f"aws_session_token = {'t' * 300}\nexpiration = {expires}\n")
        config.append(f"[profile r{i}]\nrole_arn = arn:aws:iam::1:role/R{i}\n"
                      f"source_profile = p{i}-mfa\n")
    sandbox_home.credentials.write_text("\n".join(credentials))
    sandbox_home.config.write_text("\n".join(config))
    argv = [*_command(), "status", "--short"]
    # As users run it: with bytecode caches (pip byte-compiles boto3 at install; our
    # editable checkout gets its caches on the warm-up run).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def once() -> float:
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start

    once()
    samples = [once() for _ in range(15)]
    median_ms = statistics.median(samples) * 1000
    benchmark.extra_info["median_ms"] = round(median_ms, 1)
    print(f"\nstatus --short median {median_ms:.0f} ms")
    benchmark.pedantic(once, rounds=3, iterations=1)
    assert median_ms < 100
