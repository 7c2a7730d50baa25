"""End to end: the real `aws-mfa-tui` command in a tmux pane, against the local emulator.

Types a code into the modal, reads the screen and the credentials file, then checks that
`q` quits at once even while an AWS call hangs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid

import pytest

from tests.support.tmux import alive, pane_env, screen, tmux, wait_for, wait_gone

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]

CODE = "246810"


def test_type_a_code_in_tmux_and_quit_during_a_hung_call(sandbox_home, make_user, aws):
    alice = make_user("alice")
    sandbox_home.config.write_text(f"[profile alice]\nmfa_serial = {alice.serial}\n")
    session = f"amt-{uuid.uuid4().hex[:8]}"
    env = pane_env(sandbox_home, aws)
    command = [sys.executable, "-m", "tui"]
    options = [item for name, value in env.items() for item in ("-e", f"{name}={value}")]
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                    *options, *command], check=True)
    try:
        wait_for(session, "alice")
        shown = wait_for(session, "no session")
        tmux("send-keys", "-t", session, "r")
        wait_for(session, "MFA code for alice")
        tmux("send-keys", "-t", session, "-l", CODE)
        shown = wait_for(session, "refreshed alice")
        credentials = sandbox_home.credentials.read_text()
        assert "[alice-mfa]" in credentials and "aws_session_token" in credentials
        calls = aws.injector.calls("GetSessionToken")
        assert [c.params["TokenCode"] for c in calls] == [CODE]
        token = next(line.split("=", 1)[1].strip() for line in credentials.splitlines()
                     if line.startswith("aws_session_token"))
        for secret in (CODE, alice.secret_access_key, token[:20]):
            assert secret not in shown

        # A hung endpoint: the row spins, and q still quits at once.
        aws.injector.add("GetSessionToken", delay=30, passthrough=True)
        tmux("send-keys", "-t", session, "r")
        wait_for(session, "MFA code for alice")
        tmux("send-keys", "-t", session, "-l", "135791")
        wait_for(session, "checking the code")
        tmux("send-keys", "-t", session, "Escape")
        # (a key right after Escape would read as alt+key: wait for the modal to go)
        shown = wait_gone(session, "MFA code for alice")
        assert "⠋ refresh" in shown or any(f"{c} refresh" in shown for c in "⠙⠹⠸⠼⠴⠦⠧⠇⠏")
        started = time.monotonic()
        tmux("send-keys", "-t", session, "q")
        while alive(session) and time.monotonic() - started < 10:
            time.sleep(0.05)
        assert not alive(session), f"the app did not quit:\n{screen(session)}"
        assert time.monotonic() - started < 3.0
    finally:
        if alive(session):
            tmux("kill-session", "-t", session)
