"""The private runtime folder: `$XDG_RUNTIME_DIR/aws-mfa-tui`, else a 0700 folder under the
cache (`$XDG_CACHE_HOME/aws-mfa-tui/run`, `~/.cache/aws-mfa-tui/run`).

What lives there is for this user only: the agent's socket today (and the keeper's
renewal locks). A folder there that is not ours, or that others can enter, is refused
rather than used: a socket in it could be swapped by someone else."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tui.engine.errors import CredentialsFileError
from tui.engine.private_folders import make_private_folders


def runtime_folder_path() -> Path:
    """Where the folder is (nothing is created)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isabs(base) and os.path.isdir(base):
        return Path(base) / "aws-mfa-tui"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(cache) / "aws-mfa-tui" / "run"


def runtime_folder() -> Path:
    """The folder, made 0700 when missing; refused when another user owns it or others
    can enter it (CredentialsFileError, one line)."""
    folder = runtime_folder_path()
    make_private_folders(folder)
    info = os.stat(folder, follow_symlinks=False)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise CredentialsFileError(f"{folder} is not a folder of this user's: remove it")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(folder, 0o700)  # ours: close it again
    return folder
