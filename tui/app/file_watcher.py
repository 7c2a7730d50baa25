"""Notices outside edits of the credentials, config and settings files.

A daemon thread stats the three files once a second and posts `FilesChanged` to the
screen when their modification times differ from the ones last read, so the UI thread
never waits on a `stat` (a slow or network home would stall every frame)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from textual.message import Message

from tui.app.messages import FilesChanged, Stamp


def files_stamp(paths: tuple[Path, Path, Path]) -> Stamp:
    """Modification times of the files (0 if absent)."""
    stamps = []
    for path in paths:
        try:
            stamps.append(os.stat(path).st_mtime)
        except OSError:
            stamps.append(0.0)
    return stamps[0], stamps[1], stamps[2]


class FileWatcher:
    def __init__(self, paths: tuple[Path, Path, Path], post: Callable[[Message], object],
                 interval: float = 1.0) -> None:
        self.paths = paths
        self.post = post
        self.interval = interval
        #: The stamp of the files as last read (set by whoever reads them).
        self.known: Stamp | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Stat the files once; post `FilesChanged` if they changed. Returns whether."""
        stamp = files_stamp(self.paths)
        if self.known is None or stamp == self.known:
            return False
        self.known = stamp
        self.post(FilesChanged(stamp))
        return True

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="file-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()
