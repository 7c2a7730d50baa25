"""Folders only their owner can enter: made 0700 with every missing parent whatever the
umask, existing ones left alone, and a runtime folder that must be this user's own."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.engine.private_folders import make_private_folders, runtime_folder, state_folder


@pytest.fixture(params=[0o000, 0o277], ids=["umask-000", "umask-277"])
def odd_umask(request) -> Iterator[None]:
    """Under 000 a plain mkdir makes 0777 parents; under 277 even the owner loses bits."""
    old = os.umask(request.param)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_every_missing_parent_is_0700_whatever_the_umask(tmp_path, odd_umask):
    folder = tmp_path / "a" / "b" / "c"
    make_private_folders(folder)
    assert [_mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", folder)] == [0o700] * 3


def test_a_folder_that_exists_is_left_as_it_is(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    make_private_folders(shared / "mine")
    assert _mode(shared) == 0o755 and _mode(shared / "mine") == 0o700
    make_private_folders(shared)
    assert _mode(shared) == 0o755


def test_a_file_where_a_folder_should_be_is_an_error(tmp_path):
    (tmp_path / "taken").write_text("")
    with pytest.raises(OSError):
        make_private_folders(tmp_path / "taken" / "below")


def test_the_state_folder_follows_xdg_state_home(sandbox_home, monkeypatch, tmp_path):
    assert Path(state_folder()) == sandbox_home.home / ".local" / "state" / "aws-mfa-tui"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert Path(state_folder()) == sandbox_home.home / ".local" / "state" / "aws-mfa-tui"
    assert _mode(state_folder()) == 0o700


def test_the_runtime_folder_is_narrowed_to_0700(sandbox_home, tmp_path):
    folder = tmp_path / "run" / "aws-mfa-tui"
    folder.mkdir(parents=True, exist_ok=True)  # the sandbox's code memory may have made it
    folder.chmod(0o777)
    assert runtime_folder() == folder and _mode(folder) == 0o700


def test_without_an_absolute_xdg_runtime_dir_it_lives_under_the_cache(sandbox_home,
                                                                      monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", "relative/run")  # ignored, as the spec says
    expected = sandbox_home.home / ".cache" / "aws-mfa-tui" / "run"
    assert runtime_folder() == expected and _mode(expected) == 0o700


def test_a_runtime_folder_that_is_a_symlink_is_refused(sandbox_home, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    folder = tmp_path / "run" / "aws-mfa-tui"
    shutil.rmtree(folder, ignore_errors=True)  # the sandbox's code memory may have made it
    folder.parent.mkdir(exist_ok=True)
    folder.symlink_to(elsewhere)
    with pytest.raises(PermissionError, match="not a folder of this user's"):
        runtime_folder()
