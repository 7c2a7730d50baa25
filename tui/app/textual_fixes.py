"""Workarounds for Textual, applied once when the app starts.

1. `StylesCache.get_inner_outer` is an `lru_cache(1024)` on a method, so its key holds the
`StylesCache` itself: up to 1,024 caches of removed widgets (each toast is one), with
every line they cached, stay alive (Textualize/textual#6665, open in 8.2.8). Without
this, the app's resident size grew 7.0 MiB over 10 simulated hours of alerts (+0.2 MiB
with it; tests/benchmarks/test_bench_memory.py, BENCH_WITHOUT=styles). The two styles
depend only on the colours, so the cache here is keyed on the colours alone.

2. The Linux driver's input thread wakes every 0.1 s to see whether the app is exiting
(`selector.select(0.1)`): about a quarter of the idle app's CPU (0.35% of a core
without this, 0.27% with it, 50 sessions counting down; test_bench_workarounds.py). Here
it sleeps until a key, a mouse event, the parser's escape-key timeout, or the exit,
which now writes to a pipe the thread also waits on (so exit is no slower, rather 0.1 s
faster: Textual's thread also slept 0.1 s more before it ended).

Each item also checks, when applied, that what it replaces is there with the shape it was
written against (`_shape_gone`); if not, it stays off (Textual as it is) with one log line
(`patched_internals.turn_off`). Item 2 also checks each driver at its first use, and runs
Textual's own input thread for a driver that lacks what it reads.
"""

from __future__ import annotations

import inspect
import os
import selectors
import threading
from codecs import getincrementaldecoder
from functools import lru_cache
from typing import Any

from textual._styles_cache import StylesCache
from textual.color import Color
from textual.style import Style

from tui.engine.patched_internals import is_off, missing, turn_off

STYLES_FIX = "the style cache fix (textual#6665)"
INPUT_FIX = "the quiet input thread"


@lru_cache(1024)
def _inner_outer(base_background: Color, background: Color) -> tuple[Style, Style]:
    """What Textual's `get_inner_outer` returns, without holding on to the caller."""
    return (Style(background=base_background + background),
            Style(background=base_background))


def _get_inner_outer(_cache: StylesCache, base_background: Color,
                     background: Color) -> tuple[Style, Style]:
    return _inner_outer(base_background, background)


class _WakingEvent(threading.Event):
    """The driver's `exit_event`: setting it also wakes the input thread's `select`."""

    wake_fd: int | None = None

    def set(self) -> None:
        super().set()
        fd = self.wake_fd
        if fd is not None:
            try:
                os.write(fd, b"x")
            except OSError:  # closed: the thread is gone already
                pass


def _run_input_thread(driver: Any) -> None:
    """Textual 8's `LinuxDriver.run_input_thread`, waiting without a 0.1 s poll (or
    Textual's own, for a driver or parser without what it reads)."""
    from textual._parser import ParseError
    from textual._xterm_parser import XTermParser

    gone = missing(driver, "fileno", "exit_event", "_debug", "process_message")
    if not gone:
        parser = XTermParser(driver._debug)
        gone = missing(parser, "feed", "tick", "_timeout_time")
    if gone:
        turn_off(INPUT_FIX, gone, "textual")
        _textual_input_thread(driver)
        return
    fileno = driver.fileno
    event = driver.exit_event
    if not isinstance(event, _WakingEvent):  # (made before `apply`: poll as Textual does)
        event = driver.exit_event = _WakingEvent()
    wake_read, wake_write = os.pipe()
    event.wake_fd = wake_write
    selector = selectors.SelectSelector()
    selector.register(fileno, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    decode = getincrementaldecoder("utf-8")().decode

    def process(ready: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
        for key, mask in ready:
            if key.fd == wake_read:
                os.read(wake_read, 512)
            elif mask & selectors.EVENT_READ:
                data = decode(os.read(fileno, 1024 * 4), final=final)
                if not data:  # (stdin piped)
                    break
                for message in parser.feed(data):
                    driver.process_message(message)
        for message in parser.tick():
            driver.process_message(message)

    try:
        while not event.is_set():
            # A lone escape waits for the parser's timeout; otherwise nothing is due.
            pending = parser._timeout_time is not None
            process(selector.select(0.1 if pending else None))
        selector.unregister(fileno)
        process([], final=True)
    finally:
        event.wake_fd = None
        selector.close()
        os.close(wake_read)
        os.close(wake_write)
        try:
            for _message in parser.feed(""):
                pass
        except (EOFError, ParseError):
            pass


#: Textual's own `LinuxDriver.run_input_thread` (kept when item 2 is applied).
_textual_input_thread: Any = None


def _quiet_input_thread() -> None:
    global _textual_input_thread
    try:
        from textual.drivers.linux_driver import LinuxDriver
    except ImportError:  # (no termios: Windows)
        return
    if getattr(LinuxDriver, "_quiet_input", False) or is_off(INPUT_FIX):
        return
    gone = missing(LinuxDriver, "run_input_thread", "process_message")
    if gone:
        turn_off(INPUT_FIX, gone, "textual")
        return
    _textual_input_thread = LinuxDriver.run_input_thread
    init = LinuxDriver.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if isinstance(getattr(self, "exit_event", None), threading.Event):
            self.exit_event = _WakingEvent()
        # (else Textual no longer stops its thread with it: `_run_input_thread` sees it
        # missing and runs Textual's own)

    LinuxDriver.__init__ = __init__  # type: ignore[method-assign]
    LinuxDriver.run_input_thread = _run_input_thread  # type: ignore[method-assign,assignment]
    LinuxDriver._quiet_input = True  # type: ignore[attr-defined]


def _shape_gone(function: Any, where: str, parameters: tuple[str, ...]) -> str | None:
    """`where(parameters)` when `function` is missing or doesn't take `parameters` (after
    its `self`), in that order."""
    function = getattr(function, "__wrapped__", function)  # (through an lru_cache)
    try:
        names = tuple(inspect.signature(function).parameters)[1:]
    except (TypeError, ValueError):
        names = None
    return None if names == parameters else f"{where}({', '.join(parameters)})"


def apply() -> None:
    """Idempotent; the old cache is emptied so the widgets it held can go."""
    _quiet_input_thread()
    current = StylesCache.__dict__.get("get_inner_outer")
    if current is _get_inner_outer or is_off(STYLES_FIX):
        return
    gone = _shape_gone(current, "StylesCache.get_inner_outer",
                       ("base_background", "background"))
    if gone:
        turn_off(STYLES_FIX, gone, "textual")
        return
    cache_clear = getattr(current, "cache_clear", None)
    if cache_clear is not None:
        cache_clear()
    StylesCache.get_inner_outer = _get_inner_outer  # type: ignore[assignment,method-assign]
