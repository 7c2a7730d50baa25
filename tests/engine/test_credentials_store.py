"""The credentials store: faithful edits, locking, atomic replace, modes and symlinks."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest
from botocore.configloader import raw_config_parse

from tui.engine.credential_values import SessionCredentials
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import CredentialsFileError
from tui.engine.secret import Secret

ORIGINAL = (
    "# my keys; do not lose this comment\n"
    "[work]\n"
    "aws_access_key_id=AKIAWORK000000000000\n"
    "aws_secret_access_key   =   secret1\n"
    "\n"
    "; prod below\n"
    "[prod]\r\n"
    "aws_access_key_id = AKIAPROD000000000000\n"
    "aws_secret_access_key = secret2"
)


def _session(token: str = "tok") -> SessionCredentials:
    return SessionCredentials(
        access_key_id="ASIASESSION000000000",
        secret_access_key=Secret("sessionsecret"),
        session_token=Secret(token),
        expiration=datetime(2026, 11, 22, 15, 4, 5, tzinfo=UTC),
    )


def test_new_file_and_folder_are_private(sandbox_home):
    store = CredentialsStore(sandbox_home.credentials)
    store.write_session("work-mfa", _session())
    assert stat.S_IMODE(os.stat(sandbox_home.aws_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(sandbox_home.credentials).st_mode) == 0o600
    parsed = raw_config_parse(str(sandbox_home.credentials))
    assert parsed["work-mfa"]["aws_security_token"] == "tok"
    assert parsed["work-mfa"]["aws_session_token"] == "tok"
    assert parsed["work-mfa"]["expiration"] == "2026-11-22T15:04:05Z"


def test_edit_changes_only_its_section(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_bytes(ORIGINAL.encode())
    os.chmod(sandbox_home.credentials, 0o640)
    notices: list[str] = []
    store = CredentialsStore(sandbox_home.credentials, notice=notices.append)
    store.write_session("work-mfa", _session())
    text = sandbox_home.credentials.read_bytes().decode()
    # Everything is still there byte for byte; new lines use the file's first line ending.
    assert text.startswith(ORIGINAL + "\n\n[work-mfa]\n")
    # A group-readable file that now holds a session is made private, and told in one line.
    assert stat.S_IMODE(os.stat(sandbox_home.credentials).st_mode) == 0o600
    assert len(notices) == 1 and "0640" in notices[0] and "0600" in notices[0]
    assert raw_config_parse(str(sandbox_home.credentials))["prod"]["aws_secret_access_key"] == "secret2"
    store.write_session("work-mfa", _session("tok2"))
    assert raw_config_parse(str(sandbox_home.credentials))["work-mfa"]["aws_session_token"] == "tok2"
    assert store.remove_section("work-mfa")
    # The line ending and blank line added above [work-mfa] belong to [prod] now: they stay.
    assert sandbox_home.credentials.read_bytes().decode() == ORIGINAL + "\n\n"
    assert [p.name for p in sandbox_home.aws_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_refused_file_is_left_alone(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    broken = b"[work]\naws_access_key_id = A\naws_access_key_id = B\n"
    sandbox_home.credentials.write_bytes(broken)
    store = CredentialsStore(sandbox_home.credentials)
    with pytest.raises(CredentialsFileError, match=r"line 3: key `aws_access_key_id` appears twice"):
        store.write_session("work-mfa", _session())
    assert sandbox_home.credentials.read_bytes() == broken


def test_symlinked_file_stays_a_symlink(sandbox_home, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "credentials"
    real.write_text("[work]\naws_access_key_id = A\n")
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.symlink_to(real)
    CredentialsStore(sandbox_home.credentials).write_session("work-mfa", _session())
    assert sandbox_home.credentials.is_symlink()
    assert "[work-mfa]" in real.read_text()


def test_directory_and_dangling_symlink_are_clear_errors(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.mkdir()
    with pytest.raises(CredentialsFileError, match="is a directory"):
        CredentialsStore(sandbox_home.credentials).read()
    sandbox_home.credentials.rmdir()
    sandbox_home.credentials.symlink_to(sandbox_home.aws_dir / "nowhere" / "credentials")
    with pytest.raises(CredentialsFileError, match="symlink"):
        CredentialsStore(sandbox_home.credentials).write_session("x", _session())


def test_secret_values_never_show_in_repr():
    creds = _session("supersecrettoken")
    assert "supersecrettoken" not in repr(creds)
    assert "sessionsecret" not in f"{creds}"


def _temps(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("failing", ["replace", "fsync", "write"])
def test_a_failed_write_leaves_the_file_and_no_temp_file(sandbox_home, monkeypatch, failing):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_bytes(ORIGINAL.encode())

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, broken)
    with pytest.raises(CredentialsFileError, match="No space left on device") as caught:
        CredentialsStore(sandbox_home.credentials).write_session("work-mfa", _session())
    assert "\n" not in str(caught.value)
    monkeypatch.undo()
    assert sandbox_home.credentials.read_bytes() == ORIGINAL.encode()
    assert _temps(sandbox_home.aws_dir) == []


def test_an_interrupted_write_leaves_no_temp_file(sandbox_home, monkeypatch):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_bytes(ORIGINAL.encode())

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        CredentialsStore(sandbox_home.credentials).write_session("work-mfa", _session())
    monkeypatch.undo()
    assert sandbox_home.credentials.read_bytes() == ORIGINAL.encode()
    assert _temps(sandbox_home.aws_dir) == []


def test_no_change_means_no_write(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_bytes(ORIGINAL.encode())
    inode = os.stat(sandbox_home.credentials).st_ino
    store = CredentialsStore(sandbox_home.credentials)
    assert not store.set_section("work", {"aws_access_key_id": "AKIAWORK000000000000"})
    assert not store.remove_section("nope")
    assert os.stat(sandbox_home.credentials).st_ino == inode
    assert store.set_section("work", {"aws_access_key_id": "AKIANEW"})
    assert os.stat(sandbox_home.credentials).st_ino != inode


def test_a_failing_change_writes_nothing(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_bytes(ORIGINAL.encode())
    store = CredentialsStore(sandbox_home.credentials)

    def change(document):
        document.set_values("work", {"aws_access_key_id": "X"})
        raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError):
        store.edit(change)
    assert sandbox_home.credentials.read_bytes() == ORIGINAL.encode()


def test_missing_file_reads_as_empty_and_is_created_on_first_write(sandbox_home):
    store = CredentialsStore(sandbox_home.credentials)
    assert store.read().sections() == []
    assert not sandbox_home.credentials.exists()
    store.edit(lambda document: None)  # no change: still no file
    assert not sandbox_home.credentials.exists()
    store.set_section("a", {"k": "v"})
    assert sandbox_home.credentials.read_text() == "[a]\nk = v\n"


def test_relative_symlink_target_is_replaced(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    (sandbox_home.aws_dir / "real").mkdir()
    real = sandbox_home.aws_dir / "real" / "credentials"
    real.write_text("[a]\nk = v\n")
    os.chmod(real, 0o640)
    sandbox_home.credentials.symlink_to("real/credentials")
    CredentialsStore(sandbox_home.credentials).set_section("a", {"k": "w"})
    assert os.readlink(sandbox_home.credentials) == "real/credentials"
    assert real.read_text() == "[a]\nk = w\n"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640
    assert _temps(real.parent) == [] and _temps(sandbox_home.aws_dir) == []
