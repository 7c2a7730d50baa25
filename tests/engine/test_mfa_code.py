"""MFA codes: their shape, codes already sent, the 30-second window, and where a code
comes from."""

from __future__ import annotations

import os

import pytest

from tui.engine.errors import MfaCodeError
from tui.engine.mfa.codes import (
    AskpassPrompt,
    CommandCode,
    FixedCode,
    NoCodeSource,
    TerminalPrompt,
    UsedCodes,
    check_code,
    choose_code_source,
    seconds_left_in_window,
)
from tui.engine.secret import Secret


def test_check_code():
    assert check_code(" 123 456 ").reveal() == "123456"
    for bad in ("12345", "1234567", "abcdef", ""):
        with pytest.raises(MfaCodeError) as caught:
            check_code(bad)
        assert bad not in str(caught.value) or bad == ""


def test_used_codes_refuse_reuse_until_they_age_out():
    clock = {"t": 0.0}
    used = UsedCodes(keep_seconds=90, clock=lambda: clock["t"])
    used.claim("serial-a", Secret("123456"))
    used.claim("serial-b", Secret("123456"))  # another device: fine
    with pytest.raises(MfaCodeError, match="already used"):
        used.claim("serial-a", Secret("123456"))
    clock["t"] = 91.0
    used.claim("serial-a", Secret("123456"))


def test_totp_window():
    assert seconds_left_in_window(60.0) == 30
    assert seconds_left_in_window(89.5) == 1


def test_code_source_order(monkeypatch):
    monkeypatch.setenv("AWS_MFA_TOKEN_CODE", "111111")
    assert isinstance(choose_code_source("222222", "cmd"), FixedCode)
    source = choose_code_source(None, "cmd")
    assert isinstance(source, FixedCode) and source.origin == "AWS_MFA_TOKEN_CODE"
    monkeypatch.delenv("AWS_MFA_TOKEN_CODE")
    assert isinstance(choose_code_source(None, "cmd"), CommandCode)
    # Whether a person can type a code depends on the controlling terminal, which is
    # pytest's own (none under CI, the developer's under `pytest -s` in a terminal): the
    # rest is chosen in child processes with a terminal, or none, of the test's choosing.
    monkeypatch.setenv("SSH_ASKPASS", "/bin/true")
    assert _chosen_source(terminal=False) == AskpassPrompt.__name__
    assert _chosen_source(terminal=True) == TerminalPrompt.__name__  # a terminal comes first
    monkeypatch.setenv("SSH_ASKPASS_REQUIRE", "force")
    assert _chosen_source(terminal=True) == AskpassPrompt.__name__
    monkeypatch.delenv("SSH_ASKPASS_REQUIRE")
    monkeypatch.delenv("SSH_ASKPASS")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert _chosen_source(terminal=False) == NoCodeSource.__name__


def _chosen_source(terminal: bool) -> str:
    """The code source `choose_code_source(None, None)` picks in a new session: with a
    pseudo-terminal as its controlling terminal, or with none at all."""
    import fcntl
    import pty
    import subprocess
    import sys
    import termios

    code = ("from tui.engine.mfa.codes import choose_code_source\n"
            "print(type(choose_code_source(None, None)).__name__)")
    master, slave = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], stdin=slave if terminal else subprocess.DEVNULL,
            capture_output=True, text=True, timeout=60, check=True, start_new_session=True,
            preexec_fn=(lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0)) if terminal else None,
        )
    finally:
        os.close(master)
        os.close(slave)
    return done.stdout.strip()
