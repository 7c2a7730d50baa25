"""`run_app`, as the console script runs it, in a process of its own: the garbage collector
is paused while the app starts and back on `GC_PAUSE` s later, and quitting doesn't wait
for a thread worker stuck in a call (the daemon-thread executor)."""

from __future__ import annotations

import subprocess
import sys

APP = """
import gc, sys, threading
from textual.app import App
from tui.app.app import GC_PAUSE, AwsMfaApp

run = App.run
App.run = lambda self, **kwargs: run(self, headless=True, size=(100, 30), **kwargs)
on_mount = AwsMfaApp.on_mount

def started(self):
    AwsMfaApp.current = self
    on_mount(self)
    print("at start, collecting:", gc.isenabled(), "frozen:", gc.get_freeze_count() > 0)
    # An AWS call that never returns (botocore's timeouts would end it in ~45 s).
    self.run_worker(threading.Event().wait, thread=True)
    self.set_timer(GC_PAUSE + 0.5, later)

def later():
    app = AwsMfaApp.current
    print("later, collecting:", gc.isenabled())
    sys.stdout.flush()
    app.exit()

AwsMfaApp.on_mount = started
from tui.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_the_collector_pauses_at_start_and_quitting_leaves_a_stuck_call(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_text(
        "[p]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n")
    argv = [sys.executable, "-c", APP, "--credentials-file", str(sandbox_home.credentials),
            "--config-file", str(sandbox_home.config), "--settings",
            str(sandbox_home.settings)]
    # With Textual's own executor the process would wait for the stuck worker forever.
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["at start, collecting: False frozen: True",
                                          "later, collecting: True"], done.stdout
