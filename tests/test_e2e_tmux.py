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

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]

CODE = "246810"


def tmux(*args: str) -> str:
    done = subprocess.run(["tmux", *args], capture_output=True, text=True, check=False)
    return done.stdout


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_for(session: str, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen(session)
        if text in shown:
            return shown
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{shown}")


def wait_gone(session: str, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = screen(session)
        if text not in shown:
            return shown
        time.sleep(0.1)
    raise AssertionError(f"{text!r} stayed on screen")


def alive(session: str) -> bool:
    return subprocess.run(["tmux", "has-session", "-t", session], capture_output=True,
                          check=False).returncode == 0


def pane_env(sandbox_home, aws) -> dict[str, str]:
    """The sandbox's files and the emulator, for a command in a tmux pane."""
    return {
        "HOME": str(sandbox_home.home),
        "XDG_CONFIG_HOME": str(sandbox_home.home / ".config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(sandbox_home.credentials),
        "AWS_CONFIG_FILE": str(sandbox_home.config),
        "AWS_MFA_TUI_SETTINGS": str(sandbox_home.settings),
        "AWS_ENDPOINT_URL": aws.url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "TERM": "xterm-256color",
        "TEXTUAL_ANIMATIONS": "none",
    }


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
