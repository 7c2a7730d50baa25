"""Smaller promises of the store: a future mtime is no long wait, a file holding secrets is
made 0600 even when its bytes don't change, a huge file is refused unread, and a file in a
folder others can write is warned about once."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from botocore.configloader import raw_config_parse

from tests.support.writers import FLAPPING
from tui.engine.credential_values import SessionCredentials
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import CredentialsFileError
from tui.engine.secret import Secret

CLI = [sys.executable, "-m", "tui"]


def _session() -> SessionCredentials:
    return SessionCredentials("ASIASESSION000000000", Secret("secret"), Secret("token"),
                              datetime(2030, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("contents", [b"", b"\n\n", b"[work]\nregion = us-east-1"],
                         ids=["empty", "blank", "no-final-newline"])
@pytest.mark.parametrize("command", [["status"], ["status", "--short"], ["logout", "work"]])
def test_a_future_mtime_is_no_long_wait(sandbox_home, contents, command):
    path = sandbox_home.credentials
    path.parent.mkdir(mode=0o700)
    path.write_bytes(contents)
    future = time.time() + 3600
    os.utime(path, (future, future))
    started = time.monotonic()
    done = subprocess.run([*CLI, *command], capture_output=True, text=True, timeout=60)
    took = time.monotonic() - started
    print(f"{command} on a {contents!r} file an hour ahead: exit {done.returncode}, {took:.1f} s")
    # Before: every one waited 10 s and exited 3 ("kept changing").
    assert done.returncode != 3, done.stderr
    assert "kept changing" not in done.stderr


def test_a_readable_file_becomes_0600_even_when_the_session_is_unchanged(sandbox_home):
    store = CredentialsStore(sandbox_home.credentials)
    store.write_session("work-mfa", _session())
    os.chmod(sandbox_home.credentials, 0o644)
    before = sandbox_home.credentials.read_bytes()
    notices: list[str] = []
    CredentialsStore(sandbox_home.credentials, notice=notices.append).write_session(
        "work-mfa", _session())
    assert sandbox_home.credentials.read_bytes() == before
    assert stat.S_IMODE(os.stat(sandbox_home.credentials).st_mode) == 0o600
    assert len(notices) == 1 and "0644" in notices[0] and "0600" in notices[0]


def test_a_file_over_16_mib_is_refused_unread(sandbox_home):
    path = sandbox_home.credentials
    path.parent.mkdir(mode=0o700)
    with open(path, "wb") as handle:
        handle.truncate(200 << 20)  # sparse: 200 MiB that take no disk
    os.utime(path, (time.time() - 60, time.time() - 60))
    with pytest.raises(CredentialsFileError, match="over 16 MiB") as caught:
        CredentialsStore(path).read()
    assert len(str(caught.value).splitlines()) == 1
    done = subprocess.run([*CLI, "status"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and "over 16 MiB" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_file_in_a_folder_others_can_write_is_warned_about_once(sandbox_home, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    real = shared / "credentials"
    real.write_text("[work]\nregion = us-east-1\n")
    sandbox_home.aws_dir.mkdir(mode=0o700)
    sandbox_home.credentials.symlink_to(real)
    notices: list[str] = []
    store = CredentialsStore(sandbox_home.credentials, notice=notices.append)
    store.read()
    store.write_session("work-mfa", _session())
    warnings = [n for n in notices if "others can write" in n]
    assert len(warnings) == 1 and str(shared) in warnings[0], notices


@pytest.mark.slow
def test_a_give_up_says_what_happened_and_how_long_it_took(sandbox_home, tmp_path):
    path = sandbox_home.credentials
    path.parent.mkdir(mode=0o700)
    path.write_text("".join(
        f"[s-{n}]\naws_access_key_id = ASIA{n:016d}\naws_secret_access_key = x\n"
        f"aws_session_token = t\n\n" for n in range(2)) + "".join(
        f"[lt-{n}]\naws_access_key_id = AKIA{n:016d}\naws_secret_access_key = s\n\n"
        for n in range(200)))
    assert subprocess.run([*CLI, "status"], capture_output=True, timeout=60).returncode == 0
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", FLAPPING, str(path), str(stop)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "started"
        started = time.monotonic()
        done = subprocess.run([*CLI, "logout", "s-0"], capture_output=True, text=True,
                              timeout=120)
        took = time.monotonic() - started
    finally:
        stop.touch()
        writer.communicate(timeout=30)
    print(f"gave up after {took:.1f} s, exit {done.returncode}:", done.stderr)
    *told, error = done.stderr.strip().splitlines()
    lines = [error]
    # The wait was told (once), then one line says why it ended.
    assert done.returncode == 3 and len(told) == 1 and "waiting" in told[0], done.stderr
    said = re.search(r"for (\d+(?:\.\d+)?) s", lines[0])
    assert said, lines[0]
    # The seconds it states are the seconds it spent (give or take the process start).
    assert float(said.group(1)) <= took <= float(said.group(1)) + 3
    assert "nothing was written" in lines[0]
    assert raw_config_parse(str(path))["lt-199"]["aws_access_key_id"] == f"AKIA{199:016d}"
