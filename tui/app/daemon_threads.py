"""An executor whose threads never keep the process alive.

Textual runs thread workers with `loop.run_in_executor(None, ...)`. The default executor's
threads are joined at exit, so `q` during a hung AWS call would wait for botocore's
timeouts. The TUI's loop uses this executor instead: each job gets a daemon thread, and
quitting is immediate: 0.03-0.05 s with a worker stuck in a call, against the call's whole
length with the default executor (tests/benchmarks/test_bench_workarounds.py; the guard is
tests/app/test_app_run.py, which hangs should Textual stop running thread workers on the
loop's default executor). (Writes to the credentials file stay safe: they are atomic.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class DaemonThreadExecutor(ThreadPoolExecutor):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

        threading.Thread(target=run, name="aws-mfa-tui-worker", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to join: the threads are daemons."""
