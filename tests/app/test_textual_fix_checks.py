"""Our fixes of Textual's internals check what they replace at first use: with it missing
or of another shape (monkeypatched, as a new Textual might have it), each stays off, with
one log line, and Textual works as it always does."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import pytest

# Private: what textual_fixes item 1 (textual#6665) patches.
from textual._styles_cache import StylesCache

from tests.app.toasts import Toasts
from tests.support.app import SIZE, make_service, settle
from tui.app import textual_fixes
from tui.app.widgets import footer
from tui.engine import patched_internals

linux_driver = pytest.importorskip("textual.drivers.linux_driver")


@pytest.fixture(autouse=True)
def nothing_turned_off(caplog, monkeypatch):
    monkeypatch.setattr(patched_internals, "_listener", None, raising=False)
    saved = dict(patched_internals.TURNED_OFF)
    patched_internals.TURNED_OFF.clear()
    caplog.set_level(logging.WARNING, logger="aws-mfa-tui")
    yield
    patched_internals.TURNED_OFF.clear()
    patched_internals.TURNED_OFF.update(saved)


def log_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "aws-mfa-tui"]


def test_a_style_cache_of_another_shape_is_left_alone(caplog, monkeypatch):
    def get_inner_outer(self, colors):  # not (base_background, background)
        return colors

    monkeypatch.setattr(StylesCache, "get_inner_outer", get_inner_outer)
    textual_fixes.apply()
    textual_fixes.apply()
    assert StylesCache.get_inner_outer is get_inner_outer
    (line,) = log_lines(caplog)
    assert "the style cache fix (textual#6665) is off" in line
    assert "StylesCache.get_inner_outer(base_background, background)" in line


def test_no_input_thread_to_replace(caplog, monkeypatch):
    driver = linux_driver.LinuxDriver
    monkeypatch.setattr(driver, "_quiet_input", False, raising=False)
    monkeypatch.setattr(driver, "__init__", driver.__init__)  # (restored afterwards)
    monkeypatch.delattr(driver, "run_input_thread")
    textual_fixes.apply()
    assert not hasattr(driver, "run_input_thread")
    assert any("the quiet input thread is off" in line for line in log_lines(caplog))


@dataclass
class OldDriver:
    """A driver that lacks what the quiet thread reads (`_debug`)."""

    fileno: int
    exit_event: threading.Event

    def process_message(self, message: object) -> None:
        pass


def test_a_driver_without_what_the_quiet_thread_reads_gets_textuals_own(caplog,
                                                                       monkeypatch):
    ran: list[object] = []
    monkeypatch.setattr(textual_fixes, "_textual_input_thread", ran.append, raising=False)
    driver = OldDriver(0, threading.Event())
    textual_fixes._run_input_thread(driver)
    assert ran == [driver]
    assert any("LinuxDriver" in line or "_debug" in line for line in log_lines(caplog))


async def test_the_footer_is_textuals_own_when_footer_key_moved(sandbox_home, clock, caplog,
                                                               monkeypatch):
    from textual.widgets._footer import FooterKey

    from tui.app.app import AwsMfaApp

    monkeypatch.setattr(footer, "FooterKey", None)
    monkeypatch.setattr(footer, "_checked", False, raising=False)
    sandbox_home.aws_dir.mkdir(mode=0o700)
    sandbox_home.credentials.write_text(
        "[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = s\n")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    toasts = Toasts()
    async with app.run_test(size=SIZE, notifications=True, message_hook=toasts) as pilot:
        await settle(app, pilot)
        await pilot.pause()
        keys = app.screen.query(FooterKey)
        assert len(keys) > 3  # Textual's footer drew the keys
        # The TUI says it too (its stderr is Textual's).
        assert any("the footer fix (textual#6666) is off" in toast for toast in toasts)
    (line,) = log_lines(caplog)
    assert "the footer fix (textual#6666) is off" in line and "FooterKey" in line
