"""A code is never burned on the lock: `refresh` waits for a busy lock, says so, and on
Ctrl-C says in one line that the session was not saved."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest
from botocore.configloader import raw_config_parse

from tests.support.writers import HOLDER

CLI = shutil.which("aws-mfa-tui", path=os.path.dirname(sys.executable))


def _start(sandbox_home):
    lock = sandbox_home.aws_dir / ".credentials.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    refresh = subprocess.Popen([CLI, "refresh", "work", "--token-code", "123456"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return lock, holder, refresh


def _wait_for(stream, text: str, limit: float = 60.0) -> str:
    seen, end = "", time.monotonic() + limit  # a bound, not a timed assertion
    while text not in seen and time.monotonic() < end:
        ready, _, _ = select.select([stream], [], [], 1.0)
        if ready:
            line = stream.readline()
            if not line:
                break
            seen += line
    return seen


@pytest.mark.slow
def test_refresh_waits_for_a_busy_lock_says_so_and_writes_the_session(aws, make_user,
                                                                         sandbox_home):
    make_user("alice", profile="work")
    lock, holder, refresh = _start(sandbox_home)
    try:
        seen = _wait_for(refresh.stderr, "waiting for the lock")
        assert f"waiting for the lock {lock}" in seen
    finally:
        holder.communicate("", timeout=30)
    _, err = refresh.communicate(timeout=60)
    assert refresh.returncode == 0, err
    assert raw_config_parse(str(sandbox_home.credentials))["work-mfa"]["aws_session_token"]


@pytest.mark.slow
def test_ctrl_c_while_waiting_says_the_session_was_not_saved(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    before = sandbox_home.credentials.read_bytes()
    _, holder, refresh = _start(sandbox_home)
    try:
        assert "waiting for the lock" in _wait_for(refresh.stderr, "waiting for the lock")
        refresh.send_signal(signal.SIGINT)
        _, err = refresh.communicate(timeout=60)
    finally:
        holder.communicate("", timeout=30)
    assert refresh.returncode == 130
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "not saved" in lines[0], err
    assert "Traceback" not in err
    assert sandbox_home.credentials.read_bytes() == before
