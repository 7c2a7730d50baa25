"""Putting a new version of the credentials file in place, on its own: the temp file, the
replace, the cleanup of dead writers' temp files, and the rules on owner and mode.

The store's use of it (under the lock, against other writers) is tested in
tests/engine/test_credentials_store*.py."""

from __future__ import annotations

import os
import stat

import pytest

from tui.engine.credentials_file import file_replace
from tui.engine.credentials_file.file_replace import (
    ensure_directory,
    make_private,
    mode_to_write,
    os_error,
    remove_dead_temps,
    replace_file,
    warn_open_folders,
)
from tui.engine.credentials_file.settled_read import stamp_of
from tui.engine.errors import CredentialsFileError


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_replace_puts_the_bytes_in_place_with_the_mode_and_leaves_no_temp(tmp_path):
    tmp_path = tmp_path / "aws"
    tmp_path.mkdir()
    target = tmp_path / "credentials"
    target.write_text("old\n")
    old_inode = target.stat().st_ino
    stamp = replace_file(target, b"[work]\nx = 1\n", 0o640)
    assert target.read_bytes() == b"[work]\nx = 1\n"
    assert _mode(target) == 0o640 and target.stat().st_ino != old_inode
    assert stamp == stamp_of(os.stat(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["credentials"]


def test_a_replace_not_ready_changes_nothing(tmp_path):
    tmp_path = tmp_path / "aws"
    tmp_path.mkdir()
    target = tmp_path / "credentials"
    target.write_text("old\n")
    assert replace_file(target, b"new\n", 0o600, ready=lambda: False) is None
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["credentials"]


def test_a_replace_that_cant_write_says_so_in_one_line(tmp_path):
    with pytest.raises(CredentialsFileError) as caught:
        replace_file(tmp_path / "gone" / "credentials", b"x\n", 0o600)
    message = str(caught.value)
    assert "can't write a temp file in" in message and "\n" not in message


def test_only_our_temp_files_are_removed(tmp_path):
    dead = tmp_path / ".credentials.ab12cd_3.tmp"
    dead.write_text("half")
    keep = [tmp_path / ".credentials.lock", tmp_path / "credentials",
            tmp_path / ".credentials.toolong123.tmp", tmp_path / "x.credentials.ab12cd_3.tmp"]
    for path in keep:
        path.write_text("")
    folder = tmp_path / ".credentials.zz99yy_1.tmp"
    folder.mkdir()  # a folder with such a name is not a temp file of ours
    remove_dead_temps(tmp_path)
    assert not dead.exists()
    assert all(path.exists() for path in keep) and folder.is_dir()


def test_the_folder_is_made_private_and_a_file_in_its_place_refused(tmp_path):
    folder = tmp_path / "home" / ".aws"
    ensure_directory(folder)
    assert folder.is_dir() and _mode(folder) == 0o700
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    with pytest.raises(CredentialsFileError, match="exists and is not a directory"):
        ensure_directory(blocked)


def test_the_mode_to_write(tmp_path):
    told: list[str] = []
    target = tmp_path / "credentials"
    assert mode_to_write(target, None, True, told.append) == 0o600  # a new file
    target.write_text("")
    target.chmod(0o644)
    with open(target) as file:
        assert mode_to_write(target, file.fileno(), False, told.append) == 0o644
        assert told == []
        assert mode_to_write(target, file.fileno(), True, told.append) == 0o600
    assert len(told) == 1 and "mode 0644" in told[0] and "made it 0600" in told[0]
    target.chmod(0o400)
    with open(target) as file, pytest.raises(CredentialsFileError, match="read-only"):
        mode_to_write(target, file.fileno(), False, None)


def test_a_file_others_can_read_is_made_private_in_place(tmp_path):
    told: list[str] = []
    target = tmp_path / "credentials"
    target.write_text("")
    target.chmod(0o604)
    inode = target.stat().st_ino
    with open(target) as file:
        make_private(target, file.fileno(), told.append)
        make_private(target, file.fileno(), told.append)  # already private: nothing to say
    assert _mode(target) == 0o600 and target.stat().st_ino == inode
    assert len(told) == 1


def test_a_folder_others_can_write_is_warned_about_once(tmp_path, monkeypatch):
    monkeypatch.setattr(file_replace, "_WARNED", set())
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    told: list[str] = []
    warn_open_folders(told.append, mine / "credentials", shared / "credentials")
    warn_open_folders(told.append, shared / "credentials")
    assert len(told) == 1 and "every user may write it (mode 0777)" in told[0]


def test_read_errors_are_one_line(tmp_path):
    path = tmp_path / "credentials"
    assert "permission denied" in str(os_error(path, PermissionError(13, "Permission denied")))
    assert "is a directory" in str(os_error(path, IsADirectoryError(21, "Is a directory")))
    assert str(os_error(path, OSError(5, "Input/output error"))).endswith(
        "can't be read: Input/output error")
