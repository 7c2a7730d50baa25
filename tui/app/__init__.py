"""The Textual UI. It calls the engine only from thread workers."""

from __future__ import annotations

import asyncio
import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.demo import Demo
    from tui.engine.sessions.service import SessionService


def run_app(service: SessionService, demo: Demo | None = None) -> int:
    """Run the TUI until the user quits; returns the process exit code.

    The cyclic garbage collector is off while the modules load and the first frame is
    drawn: it would only walk objects that live as long as the process, a dozen times
    (~20 ms with 200 profiles, a full collection among them). The app turns it back on
    `GC_PAUSE` s after its start. The objects made until then are frozen, so that no later
    collection walks the modules again."""
    collecting = gc.isenabled()
    gc.disable()
    from tui.app.app import AwsMfaApp
    from tui.app.daemon_threads import DaemonThreadExecutor

    gc.freeze()
    app = AwsMfaApp(service, demo=demo or False)
    app.resume_gc = collecting
    app.serve_agent = demo is None  # a demo's throwaway profiles serve nobody
    loop = asyncio.new_event_loop()
    loop.set_default_executor(DaemonThreadExecutor())
    try:
        app.run(loop=loop)
    finally:
        loop.close()
        if collecting:
            gc.enable()  # (quit within GC_PAUSE s, in a process that goes on)
    return app.return_code or 0
