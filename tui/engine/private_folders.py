"""Folders only their owner can enter: each new folder, and each missing parent, is 0700
whatever the umask. Used for the credentials folder, settings and the rotation journal."""

from __future__ import annotations

import os
from pathlib import Path


def make_private_folders(directory: Path) -> None:
    """Create `directory` and its missing parents, each 0700 whatever the umask (a plain
    `mkdir(parents=True)` makes the parents 0777 under umask 000). Folders that already
    exist are left as they are."""
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        if directory.parent == directory:
            break
        directory = directory.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # made by someone else meanwhile: theirs to keep as it is
        os.chmod(folder, 0o700)


def state_folder() -> Path:
    """Where aws-mfa-tui keeps what it must remember between runs that is not a setting
    ($XDG_STATE_HOME/aws-mfa-tui, by default ~/.local/state/aws-mfa-tui), made 0700."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    folder = Path(base) / "aws-mfa-tui"
    make_private_folders(folder)
    return folder
