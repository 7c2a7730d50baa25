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
from datetime import timedelta

import pytest
from botocore.configloader import raw_config_parse

from tests.app.toasts import Toasts
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


@pytest.mark.slow
async def test_the_tui_says_it_waits_for_a_busy_lock(sandbox_home, clock):
    """A logout from the TUI while another program holds the lock: after 2 s a toast
    names the lock file (posted from the worker as a message); once the lock is free the
    logout is done. Nothing goes to stderr, which would tear the screen."""
    from tests.support.app import SIZE, START, add_config, add_session, make_service, settle
    from tui.app.app import AwsMfaApp

    sandbox_home.aws_dir.mkdir(mode=0o700)
    sandbox_home.credentials.write_text(
        "[alice]\naws_access_key_id = AKIAEXAMPLEALICE0001\naws_secret_access_key = s\n\n")
    add_config(sandbox_home.config,
               "[profile alice]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice")
    add_session(sandbox_home.credentials, "alice-mfa", START + timedelta(hours=2))
    lock = sandbox_home.aws_dir / ".credentials.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        app = AwsMfaApp(make_service(sandbox_home, clock))
        toasts = Toasts()
        async with app.run_test(size=SIZE, notifications=True, message_hook=toasts) as pilot:
            await settle(app, pilot)
            await pilot.press("space", "l", "y")
            told: list[str] = []
            end = time.monotonic() + 60  # a bound, not a timed assertion
            while not told and time.monotonic() < end:
                await pilot.pause(0.2)
                told = [text for text in toasts if "lock" in text]
            assert len(told) == 1 and f"waiting for the lock {lock}" in told[0], told
            assert "Ctrl-C" not in told[0]
            assert "[alice-mfa]" in sandbox_home.credentials.read_text()  # still waiting
            holder.communicate("", timeout=30)
            await settle(app, pilot)
            assert "[alice-mfa]" not in sandbox_home.credentials.read_text()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
