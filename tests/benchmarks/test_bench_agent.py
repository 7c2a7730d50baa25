"""The agent and the credentials endpoint, side by side with their floors:

1. `credential-process` through the agent (a fresh session from its memory), whole
   process, against the one-liner floor: a Python one-liner that reads the credentials
   file with configparser and prints the same JSON. Goal: <= 1.5x. Today's path without an
   agent is measured beside them for reference. Runs interleaved; medians compared.
2. 1,000 requests to the `exec --server` endpoint on one kept-alive connection, as the
   SDKs make them. Goal: p99 <= 5 ms.
3. The TUI's idle CPU with the agent serving and without, two apps at once in their own
   pseudo-terminals. Goal: within 0.05 points of a core.

    .venv/bin/python -m pytest tests/benchmarks/test_bench_agent.py --benchmark-only -s
"""

from __future__ import annotations

import http.client
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.benchmarks.test_bench_app import PtyProcess, environment, idle_sandbox
from tui.engine.agent.credentials_endpoint import CredentialsEndpoint
from tui.engine.agent.server import agent_for
from tui.engine.agent.session_supply import RememberedSessions, Requester
from tui.engine.profiles.catalog import Paths
from tui.engine.sessions.service import SessionService

ONE_LINER = (
    "import configparser, json, os\n"
    "p = configparser.RawConfigParser()\n"
    "p.read(os.environ['AWS_SHARED_CREDENTIALS_FILE'])\n"
    "s = p['work-mfa']\n"
    "print(json.dumps({'Version': 1, 'AccessKeyId': s['aws_access_key_id'], "
    "'SecretAccessKey': s['aws_secret_access_key'], 'SessionToken': s['aws_session_token'], "
    "'Expiration': s['expiration']}))\n"
)


def _command() -> list[str]:
    script = Path(sys.executable).with_name("aws-mfa-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui"]


def _home(root: Path) -> dict[str, str]:
    """A HOME with identity `work` and its fresh session; the variables that point at it."""
    aws = root / ".aws"
    aws.mkdir(parents=True, mode=0o700)
    expires = (datetime.now(UTC) + timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (aws / "credentials").write_text(
        f"[work]\naws_access_key_id = AKIA{'0' * 16}\naws_secret_access_key = {'s' * 40}\n\n"
        f"[work-mfa]\naws_access_key_id = ASIA{'0' * 16}\naws_secret_access_key = {'x' * 40}\n"
        f"aws_session_token = {'t' * 600}\naws_security_token = {'t' * 600}\n"
        f"expiration = {expires}\n")
    (aws / "config").write_text("[profile work]\nregion = eu-west-1\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(HOME=str(root), XDG_CONFIG_HOME=str(root / ".config"),
               XDG_CACHE_HOME=str(root / ".cache"),
               AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials"),
               AWS_CONFIG_FILE=str(aws / "config"),
               AWS_MFA_TUI_SETTINGS=str(root / "settings.toml"))
    env.pop("XDG_RUNTIME_DIR", None)
    return env


def _service(env: dict[str, str]) -> SessionService:
    return SessionService(Paths(Path(env["AWS_SHARED_CREDENTIALS_FILE"]),
                                Path(env["AWS_CONFIG_FILE"]), Path(env["AWS_MFA_TUI_SETTINGS"])))


@pytest.mark.benchmark(group="agent")
def test_credential_process_through_the_agent_vs_the_one_liner(benchmark, tmp_path):
    served, alone = _home(tmp_path / "served"), _home(tmp_path / "alone")
    cpu: dict[str, list[float]] = {}

    def runner(name: str, argv: list[str], env: dict[str, str]):
        cpu[name] = []

        def once() -> float:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(argv, env=env, check=True, capture_output=True)
            took = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            assert b"ASIA" in done.stdout
            cpu[name].append(after.ru_utime - before.ru_utime
                             + after.ru_stime - before.ru_stime)
            return took
        return once

    runs = {
        "through the agent": runner("through the agent",
                                    [*_command(), "credential-process", "work"], served),
        "one-liner floor": runner("one-liner floor", [sys.executable, "-c", ONE_LINER],
                                  served),
        "no agent (today's path)": runner("no agent (today's path)",
                                          [*_command(), "credential-process", "work"], alone),
    }
    log: list[str] = []
    with agent_for(_service_in(served), log=log.append):
        for once in runs.values():
            once()  # bytecode caches; the agent's memory
        for taken in cpu.values():
            taken.clear()
        samples: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(int(os.environ.get("AGENT_BENCH_ROUNDS", "21"))):
            for name, once in runs.items():
                samples[name].append(once())
        benchmark.pedantic(runs["through the agent"], rounds=3, iterations=1)
    assert sum("served work" in line for line in log) >= 21
    wall = {name: statistics.median(v) * 1000 for name, v in samples.items()}
    cpu_ms = {name: statistics.median(v) * 1000 for name, v in cpu.items()}
    benchmark.extra_info.update(wall_ms=wall, cpu_ms=cpu_ms)
    print()
    for name in runs:
        print(f"{name}: wall median {wall[name]:.1f} ms, CPU median {cpu_ms[name]:.1f} ms")
    ratio = wall["through the agent"] / wall["one-liner floor"]
    cpu_ratio = cpu_ms["through the agent"] / cpu_ms["one-liner floor"]
    print(f"through the agent / one-liner: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU; "
          f"load {os.getloadavg()[0]:.1f}")
    assert ratio <= 1.5


def _service_in(env: dict[str, str]) -> SessionService:
    # The agent finds its runtime folder from the environment, as the clients do.
    os.environ["XDG_CACHE_HOME"] = env["XDG_CACHE_HOME"]
    os.environ.pop("XDG_RUNTIME_DIR", None)
    return _service(env)


@pytest.mark.benchmark(group="agent")
def test_1000_endpoint_requests_p99(benchmark, tmp_path):
    env = _home(tmp_path / "endpoint")
    endpoint = CredentialsEndpoint(RememberedSessions(_service(env)), "work",
                                   lambda: Requester("bench")).start()
    latencies: list[float] = []
    try:
        connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
        headers = {"Authorization": endpoint.token, "Accept": "application/json"}

        def once() -> None:
            start = time.perf_counter()
            connection.request("GET", "/credentials", headers=headers)
            reply = connection.getresponse()
            body = reply.read()
            latencies.append(time.perf_counter() - start)
            assert reply.status == 200 and b"ASIA" in body

        for _ in range(20):
            once()  # the first fetch reads the files once; later ones come from memory
        latencies.clear()

        def thousand() -> None:
            for _ in range(1000):
                once()

        benchmark.pedantic(thousand, rounds=1, iterations=1)
        connection.close()
    finally:
        endpoint.stop()
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    benchmark.extra_info.update(p50_ms=round(p50, 3), p99_ms=round(p99, 3))
    print(f"\n1,000 endpoint requests: p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
          f"max {ordered[-1] * 1000:.2f} ms; load {os.getloadavg()[0]:.1f}")
    assert len(latencies) == 1000
    assert p99 <= 5.0


#: The app with the agent off: run_app as the command line runs it, serving nobody.
NO_AGENT = """
import tui.app.app as app_module
app_module.AwsMfaApp.serve_agent = property(lambda self: False, lambda self, value: None)
from tui.cli import main
raise SystemExit(main([]))
"""
IDLE_SPAN_S = 60.0


@pytest.mark.benchmark(group="agent")
def test_idle_cpu_with_the_agent_on_and_off(benchmark, tmp_path):
    runs: dict[str, PtyProcess] = {}
    try:
        for name, argv in (("agent on", [sys.executable, "-m", "tui"]),
                           ("agent off", [sys.executable, "-c", NO_AGENT])):
            sandbox = idle_sandbox(tmp_path, name, 50, 50)
            env = environment(sandbox)
            env.update(HOME=str(sandbox.home), XDG_CACHE_HOME=str(sandbox.home / ".cache"))
            env.pop("XDG_RUNTIME_DIR", None)
            runs[name] = PtyProcess(argv, env)
        time.sleep(8)  # first paint, the first ticks, the agent up
        for name, run in runs.items():
            assert run.process.poll() is None, f"{name}: the app exited"
        sockets = list(tmp_path.glob("agent-on/.cache/aws-mfa-tui/run/agent.sock"))
        assert sockets and not list(tmp_path.glob("agent-off/.cache/**/agent.sock"))
        shares: dict[str, float] = {}

        def measure() -> None:
            before = {name: run.cpu_seconds() for name, run in runs.items()}
            time.sleep(IDLE_SPAN_S)
            for name, run in runs.items():
                shares[name] = (run.cpu_seconds() - before[name]) / IDLE_SPAN_S

        benchmark.pedantic(measure, rounds=1, iterations=1)
    finally:
        for run in runs.values():
            run.close()
    benchmark.extra_info.update(cpu_shares=shares)
    difference = (shares["agent on"] - shares["agent off"]) * 100
    print(f"\nidle CPU over {IDLE_SPAN_S:.0f} s: agent on {shares['agent on'] * 100:.3f}%, "
          f"agent off {shares['agent off'] * 100:.3f}% of a core: {difference:+.3f} points "
          f"(load {os.getloadavg()[0]:.2f})")
    tick = 100 / os.sysconf("SC_CLK_TCK") / IDLE_SPAN_S  # /proc counts in clock ticks
    assert abs(difference) <= 0.05 + tick
