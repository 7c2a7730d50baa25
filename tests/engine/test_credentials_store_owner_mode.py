"""Owner and mode: another user's file and a read-only file are refused, not replaced; a
new folder is 0700 whatever the umask; a readable file becomes 0600 with a session."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tui.engine.credential_values import SessionCredentials
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import CredentialsFileError
from tui.engine.secret import Secret

SEED = b"# by hand\n[long-term]\naws_access_key_id = AKIALONGTERM\naws_secret_access_key = s\n"


def _session() -> SessionCredentials:
    return SessionCredentials(
        access_key_id="ASIAOWNERMODE", secret_access_key=Secret("sec"),
        session_token=Secret("tok"), expiration=datetime.now(UTC) + timedelta(hours=1),
    )


def _seed(sandbox_home, mode: int):
    sandbox_home.aws_dir.mkdir(mode=0o700)
    path = sandbox_home.credentials
    path.write_bytes(SEED)
    os.chmod(path, mode)
    return path


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root")
def test_a_file_of_another_user_is_refused_naming_the_owner(sandbox_home):
    path = _seed(sandbox_home, 0o600)
    os.chown(path, 12345, 12345)
    with pytest.raises(CredentialsFileError) as raised:
        CredentialsStore(path).write_session("work-mfa", _session())
    message = str(raised.value)
    assert "\n" not in message
    assert "belongs to 12345" in message and "chown" in message
    assert path.read_bytes() == SEED
    assert os.stat(path).st_uid == 12345


def test_a_read_only_file_is_refused_not_replaced(sandbox_home):
    path = _seed(sandbox_home, 0o400)
    inode = os.stat(path).st_ino
    with pytest.raises(CredentialsFileError, match="read-only"):
        CredentialsStore(path).write_session("work-mfa", _session())
    assert os.stat(path).st_ino == inode
    assert path.read_bytes() == SEED


def test_a_new_folder_is_0700_under_umask_000(sandbox_home):
    code = (
        "import os, sys\n"
        "os.umask(0)\n"
        "from tui.engine.credentials_file.store import CredentialsStore\n"
        "CredentialsStore(sys.argv[1]).set_section('x', {'region': 'us-east-1'})\n"
    )
    path = sandbox_home.aws_dir / "credentials"
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(os.stat(sandbox_home.aws_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_missing_parent_folders_are_0700_under_umask_000(sandbox_home):
    """AWS_SHARED_CREDENTIALS_FILE=~/a/b/creds: a and b (made by us) are 0700 too, in
    a process of its own; a folder that was already there keeps its mode."""
    os.chmod(sandbox_home.home, 0o755)
    path = sandbox_home.home / "a" / "b" / "creds"
    code = (
        "import os, sys\n"
        "os.umask(0)\n"
        "from tui.engine.credentials_file.store import CredentialsStore\n"
        "CredentialsStore(sys.argv[1]).set_section('x', {'region': 'us-east-1'})\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    modes = {folder.name: stat.S_IMODE(os.stat(folder).st_mode)
             for folder in (path.parent.parent, path.parent)}
    assert modes == {"a": 0o700, "b": 0o700}
    assert stat.S_IMODE(os.stat(sandbox_home.home).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_readable_file_becomes_0600_with_a_notice_when_a_session_is_written(sandbox_home):
    path = _seed(sandbox_home, 0o644)
    notices: list[str] = []
    CredentialsStore(path, notice=notices.append).write_session("work-mfa", _session())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(notices) == 1 and "0644" in notices[0] and "0600" in notices[0]
    assert path.read_bytes().startswith(SEED)


def test_settings_and_rotation_journal_folders_are_0700_under_umask_000(sandbox_home):
    """The settings file and the rotation journal beside it can live in folders we make
    (XDG_CONFIG_HOME=~/c/d): each missing parent is 0700 too, not 0777 under umask 000."""
    os.chmod(sandbox_home.home, 0o755)
    settings = sandbox_home.home / "c" / "d" / "settings.toml"
    journal = sandbox_home.home / "j" / "k" / "rotation.log"
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "os.umask(0)\n"
        "from tui.engine.settings import Settings, save_settings\n"
        "from tui.engine.rotation.journal import RotationJournal\n"
        "save_settings(Settings(), sys.argv[1])\n"
        "RotationJournal(Path(sys.argv[2])).write('work', 'begin', 'started')\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(settings), str(journal)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert journal.exists() and settings.exists()
    modes = {folder.name: stat.S_IMODE(os.stat(folder).st_mode)
             for folder in (settings.parent.parent, settings.parent,
                            journal.parent.parent, journal.parent)}
    assert modes == {"c": 0o700, "d": 0o700, "j": 0o700, "k": 0o700}
