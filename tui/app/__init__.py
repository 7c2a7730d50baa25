"""The Textual UI. It calls the engine only from thread workers."""

from __future__ import annotations

import asyncio
import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.demo import Demo
    from tui.engine.sessions import SessionService


def run_app(service: SessionService, demo: Demo | None = None) -> int:
    """Run the TUI until the user quits; returns the process exit code."""
    from tui.app.app import AwsMfaApp
    from tui.app.daemon_threads import DaemonThreadExecutor

    # Every object made so far (the modules: Textual's and ours) lives as long as the
    # process. Out of the collector's sight, the full collection that fell just before
    # the first paint (~18 ms with 200 profiles) and each later one no longer walk them.
    gc.freeze()

    app = AwsMfaApp(service, demo=demo or False)
    loop = asyncio.new_event_loop()
    loop.set_default_executor(DaemonThreadExecutor())
    try:
        app.run(loop=loop)
    finally:
        loop.close()
    return app.return_code or 0
