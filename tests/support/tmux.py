"""Driving the real command in a tmux pane: run tmux, wait for text, the pane's environment."""

from __future__ import annotations

import subprocess
import time


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
