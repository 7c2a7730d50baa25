"""Folders only their owner can enter: each new folder, and each missing parent, is 0700
whatever the umask. Used for the credentials folder, settings, the rotation journal and
the runtime folder."""

from __future__ import annotations

import os

from tui.engine.named_tuple import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def make_private_folders(directory: str | os.PathLike[str]) -> None:
    """Create `directory` and its missing parents, each 0700 whatever the umask (a plain
    `mkdir(parents=True)` makes the parents 0777 under umask 000). Folders that already
    exist are left as they are."""
    missing: list[str] = []
    folder = os.path.abspath(directory)
    while not os.path.exists(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise
            continue  # made by someone else meanwhile: theirs to keep as it is
        os.chmod(folder, 0o700)


def state_folder() -> str:
    """Where aws-mfa-tui keeps what it must remember between runs that is not a setting
    ($XDG_STATE_HOME/aws-mfa-tui, by default ~/.local/state/aws-mfa-tui), made 0700. A
    string: `status` reads the known state from here, and never loads pathlib."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    folder = os.path.join(base, "aws-mfa-tui")
    make_private_folders(folder)
    return folder


def runtime_folder() -> Path:
    """Where this user's processes meet (renewal locks, the codes already sent):
    `$XDG_RUNTIME_DIR/aws-mfa-tui` when set (a per-user tmpfs), else `aws-mfa-tui/run`
    under the cache folder. Made 0700 when missing; an existing one must be this user's
    and is narrowed to 0700 (raises PermissionError when it belongs to someone else)."""
    from pathlib import Path

    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isabs(base):
        folder = Path(base) / "aws-mfa-tui"
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(cache) / "aws-mfa-tui" / "run"
    make_private_folders(folder)
    info = os.lstat(folder)
    if info.st_uid != os.getuid() or not os.path.isdir(folder) or os.path.islink(folder):
        raise PermissionError(f"{folder} is not a folder of this user's")
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)
    return folder
