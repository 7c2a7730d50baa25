"""Hand the console sign-in URL to a browser without putting it on any command line.

The sign-in URL signs anyone who holds it in, and `/proc/PID/cmdline` is readable by every
local user for as long as the browser lives (the first browser instance lives for hours).
So the browser is given a local file instead: a page that sends it on to the sign-in URL
(`location.replace`, with a `<meta refresh>` fallback), written 0600 into a 0700 folder of
ours, and removed after `KEEP_SECONDS` by a small detached process of ours (whose own
command line holds only the file's path). Each handoff also removes older pages a removed
process missed (a reboot, a kill).

The folder is `$XDG_RUNTIME_DIR/aws-mfa-tui/console` (a per-user tmpfs, emptied at logout)
where that is set, else `~/.cache/aws-mfa-tui/console`.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import shlex
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tui.engine.errors import UsageError
from tui.engine.private_folders import make_private_folders

#: How long the page stays: long enough for a browser that starts cold.
KEEP_SECONDS = 60.0
_PREFIX = "console-"
_SUFFIX = ".html"
#: Run by the detached remover: `python -c _REMOVER PATH SECONDS`.
_REMOVER = ("import os, sys, time\n"
            "time.sleep(float(sys.argv[2]))\n"
            "try:\n    os.unlink(sys.argv[1])\nexcept OSError:\n    pass\n")


def handoff_folder() -> Path:
    runtime = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        return Path(runtime) / "aws-mfa-tui" / "console"
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(cache) / "aws-mfa-tui" / "console"


def redirect_page(url: str) -> str:
    """A page that goes on to `url` at once, leaving itself out of the history."""
    in_script = json.dumps(url).replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        "<meta name=\"referrer\" content=\"no-referrer\">"
        f"<meta http-equiv=\"refresh\" content=\"0;url={html.escape(url, quote=True)}\">"
        "<title>AWS console sign-in</title></head>\n"
        f"<body><script>location.replace({in_script});</script>"
        "<p>Signing in to the AWS console&hellip;</p></body></html>\n"
    )


def write_redirect(url: str, folder: Path | None = None,
                   keep_seconds: float = KEEP_SECONDS) -> Path:
    """The page for `url`, written 0600 in a private folder, with its removal arranged."""
    folder = folder or handoff_folder()
    _private(folder)
    _remove_old(folder, keep_seconds)
    fd, name = tempfile.mkstemp(prefix=_PREFIX, suffix=_SUFFIX, dir=folder)  # 0600, O_EXCL
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(redirect_page(url))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    _remove_later(path, keep_seconds)
    return path


def open_in_browser(url: str, command: str | None = None, folder: Path | None = None,
                    keep_seconds: float = KEEP_SECONDS) -> bool:
    """Open `url` through a redirect page: with `command` (the `browser` setting: the page's
    file URL replaces `%s`, or is added last), else Python's `webbrowser` (which honours
    `BROWSER`). False when no browser was found."""
    page = write_redirect(url, folder, keep_seconds).as_uri()
    if not command:
        import webbrowser

        return webbrowser.open(page)
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise UsageError(f"the browser setting `{command}` can't be read: {exc}") from None
    if not argv:
        return False
    if any("%s" in part for part in argv):
        argv = [part.replace("%s", page) for part in argv]
    else:
        argv.append(page)
    try:
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError as exc:
        raise UsageError(
            f"the browser command `{argv[0]}` can't be run: {exc.strerror or exc}; check "
            "the `browser` setting"
        ) from None
    return True


def _private(folder: Path) -> None:
    """`folder` exists, is ours, is no symlink, and only we can enter it."""
    make_private_folders(folder)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise UsageError(f"{folder} is not a folder of this user's: remove it and retry")
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)


def _remove_old(folder: Path, keep_seconds: float) -> None:
    cutoff = time.time() - keep_seconds
    for entry in os.scandir(folder):
        if entry.name.startswith(_PREFIX) and entry.name.endswith(_SUFFIX):
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)


def _remove_later(path: Path, seconds: float) -> None:
    """A detached process removes the page after `seconds`, even when we exit first."""
    try:
        subprocess.Popen([sys.executable, "-c", _REMOVER, str(path), f"{seconds:g}"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError:
        pass  # the next handoff removes it (`_remove_old`)
