"""One session written into a 2,000-profile credentials file: lock, re-read, validate the
whole file, edit one section, write a temp file, fsync, replace, fsync the folder.

Goal: median <= 10 ms on the development machine. Run:

    .venv/bin/python -m pytest tests/benchmarks --benchmark-only -p no:randomly
"""

from __future__ import annotations

import pytest
from botocore.configloader import raw_config_parse

from tests.support.credentials_files import PROFILES, realistic_file, session
from tui.engine.credentials_file.store import CredentialsStore


@pytest.mark.benchmark(group="credentials-store")
def test_write_session_into_a_2000_profile_file(benchmark, sandbox_home):
    sandbox_home.aws_dir.mkdir(mode=0o700)
    sandbox_home.credentials.write_text(realistic_file())
    store = CredentialsStore(sandbox_home.credentials)
    target = "team-20-account-1000-mfa"
    store.write_session(target, session(0))  # the session section exists, as on a refresh
    sessions = [session(n) for n in range(1, 400)]
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
