"""The terminal input thread sleeps until there is input (Textual's polls 10 times a
second to see whether the app is exiting, ~10% of the idle app's CPU), and still sees
keys, a lone escape (the parser's timeout) and the exit at once."""

from __future__ import annotations

import os
import selectors
import threading
import time
from dataclasses import dataclass, field

import pytest
from textual import events

from tui.app import textual_fixes

linux_driver = pytest.importorskip("textual.drivers.linux_driver")


@dataclass
class Terminal:
    """What `run_input_thread` uses of a driver: a file to read and somewhere to post."""

    fileno: int
    exit_event: threading.Event
    _debug: bool = False
    keys: list[str] = field(default_factory=list)
    got: threading.Event = field(default_factory=threading.Event)

    def process_message(self, message: object) -> None:
        if isinstance(message, events.Key):
            self.keys.append(message.key)
            self.got.set()


def wait_for(event: threading.Event) -> None:
    assert event.wait(10)
    event.clear()


def test_input_thread_waits_without_polling(monkeypatch):
    textual_fixes.apply()
    calls: list[float | None] = []
    select = selectors.SelectSelector.select

    def counted(self, timeout=None):
        calls.append(timeout)
        return select(self, timeout)

    monkeypatch.setattr(selectors.SelectSelector, "select", counted)
    read_end, write_end = os.pipe()
    terminal = Terminal(read_end, textual_fixes._WakingEvent())
    thread = threading.Thread(target=linux_driver.LinuxDriver.run_input_thread,
                              args=(terminal,), daemon=True)
    thread.start()
    try:
        os.write(write_end, b"j")
        wait_for(terminal.got)
        os.write(write_end, b"\x1b")  # a lone escape: delivered after the parser's timeout
        wait_for(terminal.got)
        assert terminal.keys == ["j", "escape"]
        before = len(calls)
        time.sleep(1.0)  # idle: no input, nothing due
        assert len(calls) - before <= 1, f"the input thread polled {calls[before:]}"
    finally:
        terminal.exit_event.set()
        thread.join(10)
        os.close(read_end)
        os.close(write_end)
    assert not thread.is_alive(), "setting exit_event didn't wake the input thread"
