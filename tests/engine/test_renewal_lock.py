"""The renewal lock: one holder per session section, across threads and processes; a
bounded wait that says so."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time

import pytest

from tui.engine.errors import LockTimeoutError
from tui.engine.private_folders import runtime_folder
from tui.engine.sessions.renewal_lock import lock_path, renewal_lock


def test_threads_take_turns_and_later_ones_know_they_waited(sandbox_home):
    inside = []
    waited = []
    overlap = []

    def renew() -> None:
        with renewal_lock(sandbox_home.credentials, "work-mfa") as did_wait:
            overlap.append(len(inside))
            inside.append(1)
            time.sleep(0.05)
            inside.pop()
            waited.append(did_wait)

    threads = [threading.Thread(target=renew) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert overlap == [0] * 5
    assert sorted(waited) == [False, True, True, True, True]


def test_other_sections_do_not_wait(sandbox_home):
    with renewal_lock(sandbox_home.credentials, "work-mfa"):
        with renewal_lock(sandbox_home.credentials, "prod-session") as waited:
            assert not waited


def test_a_process_holding_it_makes_the_wait_bounded_and_told(sandbox_home):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from pathlib import Path\n"
         "from tui.engine.sessions.renewal_lock import renewal_lock\n"
         f"with renewal_lock(Path({str(sandbox_home.credentials)!r}), 'work-mfa'):\n"
         "    print('held', flush=True)\n"
         "    time.sleep(30)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        told: list[str] = []
        import tui.engine.sessions.renewal_lock as module

        start = time.monotonic()
        with pytest.raises(LockTimeoutError, match=r"renewing \[work-mfa\]"), \
                pytest.MonkeyPatch.context() as patch:
            patch.setattr(module, "NOTICE_AFTER", 0.1)
            with renewal_lock(sandbox_home.credentials, "work-mfa", timeout=0.5,
                              notice=told.append):
                pass
        assert 0.5 <= time.monotonic() - start < 5
        assert len(told) == 1 and "Ctrl-C" in told[0]
    finally:
        holder.kill()
        holder.wait()
    with renewal_lock(sandbox_home.credentials, "work-mfa") as waited:  # freed by its death
        assert not waited


def test_the_lock_file_is_private(sandbox_home):
    with renewal_lock(sandbox_home.credentials, "work-mfa"):
        path = lock_path(runtime_folder(), sandbox_home.credentials, "work-mfa")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert path.parent == runtime_folder()


def test_without_a_runtime_folder_renewals_go_ahead(sandbox_home, monkeypatch, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(blocked))
    with renewal_lock(sandbox_home.credentials, "work-mfa") as waited:
        assert not waited
