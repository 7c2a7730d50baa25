"""One session written into a 2,000-profile credentials file: lock, re-read, validate the
whole file, edit one section, write a temp file, fsync, replace, fsync the folder.

Goal: median <= 10 ms on the development machine. Run:

    .venv/bin/python -m pytest tests/benchmarks --benchmark-only -p no:randomly
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from botocore.configloader import raw_config_parse

from tui.engine.credentials_store import CredentialsStore, SessionCredentials
from tui.engine.secret import Secret

PROFILES = 2_000
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"


def realistic_file(profiles: int = PROFILES, seed: int = 7) -> str:
    """Each profile: a comment, its header, 2-3 keys, a blank line."""
    rng = random.Random(seed)
    out = []
    for i in range(profiles):
        out.append(f"# {i:04d}: added by ops on 2026-{i % 12 + 1:02d}-{i % 28 + 1:02d}\n")
        out.append(f"[team-{i // 50:02d}-account-{i:04d}]\n")
        out.append(f"aws_access_key_id = AKIA{rng.getrandbits(64):016X}\n")
        out.append(f"aws_secret_access_key = {''.join(rng.choices(ALPHABET, k=40))}\n")
        if i % 3 == 0:
            out.append("region = eu-west-1\n")
        out.append("\n")
    return "".join(out)


def _session(n: int) -> SessionCredentials:
    rng = random.Random(n)
    return SessionCredentials(
        access_key_id=f"ASIA{rng.getrandbits(64):016X}",
        secret_access_key=Secret("".join(rng.choices(ALPHABET, k=40))),
        session_token=Secret("".join(rng.choices(ALPHABET, k=700))),
        expiration=datetime(2026, 11, 22, 18, 0, tzinfo=UTC) + timedelta(seconds=n),
    )


@pytest.mark.benchmark(group="credentials-store")
def test_write_session_into_a_2000_profile_file(benchmark, sandbox_home):
    sandbox_home.aws_dir.mkdir(mode=0o700)
    sandbox_home.credentials.write_text(realistic_file())
    store = CredentialsStore(sandbox_home.credentials)
    target = "team-20-account-1000-mfa"
    store.write_session(target, _session(0))  # the session section exists, as on a refresh
    sessions = [_session(n) for n in range(1, 400)]
    calls = iter(range(len(sessions)))

    def write() -> None:
        # A new session each time, so every call really rewrites the file.
        store.write_session(target, sessions[next(calls) % len(sessions)])

    benchmark.pedantic(write, rounds=150, warmup_rounds=5, iterations=1)
    parsed = raw_config_parse(str(sandbox_home.credentials))
    assert len(parsed) == PROFILES + 1
    assert parsed[target]["aws_session_token"].startswith(
        parsed[target]["aws_security_token"][:10]
    )
    assert not list(sandbox_home.aws_dir.glob("*.tmp"))
