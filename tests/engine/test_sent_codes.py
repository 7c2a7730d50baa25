"""The codes already sent, shared through the runtime folder: one process's code is
refused by every other, and neither file holds a code."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from tui.engine.errors import MfaCodeError
from tui.engine.mfa.sent_codes import KEY_FILE, MEMORY_FILE, SentCodes
from tui.engine.private_folders import runtime_folder
from tui.engine.secret import Secret

SERIAL = "arn:aws:iam::123456789012:mfa/alice"


def test_a_code_sent_by_one_memory_is_refused_by_another():
    """Two instances are two processes: they meet only in the folder."""
    SentCodes().claim(SERIAL, Secret("123456"))
    with pytest.raises(MfaCodeError, match="already used"):
        SentCodes().claim(SERIAL, Secret("123456"))
    SentCodes().claim(SERIAL, Secret("654321"))  # another code
    SentCodes().claim(SERIAL + "2", Secret("123456"))  # another device


def test_a_code_sent_in_another_process_is_refused_here():
    probe = ("from tui.engine.mfa.sent_codes import SENT_CODES\n"
             "from tui.engine.secret import Secret\n"
             f"SENT_CODES.claim({SERIAL!r}, Secret('112233'))\n")
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=30)
    with pytest.raises(MfaCodeError):
        SentCodes().claim(SERIAL, Secret("112233"))


def test_a_code_is_remembered_for_its_step_and_slack():
    now = [1_000_000.0]
    memory = SentCodes(keep_seconds=90, clock=lambda: now[0])
    memory.claim(SERIAL, Secret("123456"))
    now[0] += 89
    with pytest.raises(MfaCodeError):
        memory.claim(SERIAL, Secret("123456"))
    now[0] += 2
    memory.claim(SERIAL, Secret("123456"))  # long gone: a code may come round again
    assert len((runtime_folder() / MEMORY_FILE).read_text().splitlines()) == 1


def test_files_are_private_and_hold_no_code():
    SentCodes().claim(SERIAL, Secret("987654"))
    folder = runtime_folder()
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for name in (MEMORY_FILE, KEY_FILE):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600
    memory = (folder / MEMORY_FILE).read_bytes()
    assert b"987654" not in memory and SERIAL.encode() not in memory
    import hashlib  # not the plain hash either: it is keyed

    plain = hashlib.sha256(f"{SERIAL}\0987654".encode()).hexdigest().encode()
    assert plain not in memory


def test_a_torn_line_is_skipped():
    SentCodes().claim(SERIAL, Secret("123456"))
    with open(runtime_folder() / MEMORY_FILE, "a") as handle:
        handle.write("17000")  # a writer that died mid-line
    SentCodes().claim(SERIAL, Secret("222222"))
    with pytest.raises(MfaCodeError):
        SentCodes().claim(SERIAL, Secret("123456"))


def test_without_a_usable_folder_the_memory_is_this_process_only(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    memory = SentCodes(folder=lambda: blocked)
    memory.claim(SERIAL, Secret("123456"))
    with pytest.raises(MfaCodeError):
        memory.claim(SERIAL, Secret("123456"))


def test_runtime_folder_prefers_xdg_runtime_dir(monkeypatch, tmp_path, sandbox_home):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    assert runtime_folder() == tmp_path / "xdg" / "aws-mfa-tui"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    folder = runtime_folder()
    assert folder == sandbox_home.home / ".cache" / "aws-mfa-tui" / "run"
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    os.chmod(folder, 0o755)  # widened by someone: narrowed again
    runtime_folder()
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
