"""Issue 12 in the TUI: names are text, states read in words, layouts fit, settings say
why, marks clear, an mfa_command wait is shown, and a code can ring the desktop."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Input, Static

from tests.support.app import (
    SIZE,
    START,
    add_config,
    add_session,
    make_service,
    screen_text,
    settle,
    table_rows,
)
from tui.app.app import AwsMfaApp
from tui.app.engine_calls import CommandWaiting
from tui.app.screens.details import DetailsScreen
from tui.app.screens.mfa_code_modal import MfaCodeModal
from tui.app.screens.settings import SettingsScreen
from tui.app.time_words import middle_cut, time_left_words, until_words
from tui.app.widgets.profile_columns import (
    STALE_LABEL,
    RowFlags,
    account_and_user,
    fit_columns,
    moving_cells,
    static_cells,
)
from tui.engine.profile_status import StatusRow
from tui.engine.schedule import RefreshSchedule
from tui.engine.settings import load_settings

ODD_NAMES = ("a[b]", "[/]", "[bold]x")


def identities(sandbox, *names: str, serial_user: str | None = None) -> None:
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    with open(sandbox.credentials, "a") as handle:
        for index, name in enumerate(names):
            handle.write(f"[{name}]\naws_access_key_id = AKIA{index:016d}\n"
                         f"aws_secret_access_key = LONGTERM{index:016d}\n\n")
            device = serial_user or f"dev{index}"
            add_config(sandbox.config, f"[profile {name}]\nmfa_serial = "
                       f"arn:aws:iam::123456789012:mfa/{device}")


def visible_text(app: AwsMfaApp) -> str:
    """The screen's characters, line by line, as a person reads them."""
    import html
    import re

    svg = screen_text(app)
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


# ---------------------------------------------------------------- 1. names are text
async def test_bracketed_names_show_literally_in_toasts_palette_and_details(
        sandbox_home, clock, bells):
    identities(sandbox_home, *ODD_NAMES)
    for name in ODD_NAMES:  # each enters its lead time while we watch: a toast each
        add_session(sandbox_home.credentials, f"{name}-mfa", START + timedelta(minutes=3))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(app, pilot)
        assert list(table_rows(app)) == list(ODD_NAMES)
        toasts = [n.message for n in app._notifications]
        for name in ODD_NAMES:
            assert any(t.startswith(f"{name} needs a new MFA code") for t in toasts), toasts
        assert "[bold]x needs a new MFA code" in visible_text(app)
        # the palette: titles and "[target]" help lines as typed (its search runs on
        # timers and workers of its own: wait for what it shows, not for a set time)
        await pilot.press("ctrl+p")
        await pilot.press(*"Refresh")
        palette = await shown(app, pilot, lambda text: "[[/]-mfa]" in text
                              and "get a new session into [a[b]-mfa]" in text)
        assert "[bold]x" in palette
        await pilot.press("escape")
        await shown(app, pilot, lambda _text: app.screen is app.main_screen)
        # the details dialog and the code modal's title
        app.main_screen.open_details("[bold]x")
        await shown(app, pilot, lambda _text: isinstance(app.screen, DetailsScreen))
        assert "[bold]x-mfa" in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        app.main_screen.start_refresh(["[/]"])
        await shown(app, pilot, lambda _text: isinstance(app.screen, MfaCodeModal))
        assert "MFA code for [/]" in screen_text(app)


async def shown(app: AwsMfaApp, pilot, condition, rounds: int = 600) -> str:
    """Pause until `condition(visible text)` holds; returns that text. The bound (about
    30 s) only stops a test that would hang: nothing here depends on speed."""
    text = ""
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        text = visible_text(app)
        if condition(text):
            return text
    raise AssertionError(f"never shown; the screen ends with: {text[-2000:]}")


# ---------------------------------------------------------------- 2. states in words
def test_times_in_words(utc_zone):
    assert time_left_words(timedelta(minutes=-25, seconds=-3)) == "25m ago"
    assert time_left_words(timedelta(hours=-3)) == "3h ago"
    assert time_left_words(timedelta(hours=1, seconds=5)) == "1:00:05"
    assert time_left_words(None) == "—"
    now = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    assert until_words(now + timedelta(hours=1), now) == "until 23:00:00"
    assert until_words(now + timedelta(hours=8), now) == "until 2026-03-03 06:00 UTC"


async def test_expired_reads_expired_with_how_long_ago(sandbox_home, clock):
    identities(sandbox_home, "old")
    add_session(sandbox_home.credentials, "old-mfa", START - timedelta(minutes=25, seconds=3))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        row = table_rows(app)["old"]
        assert (row["state"], row["left"]) == ("expired", "25m ago")
        assert "-0:" not in screen_text(app)


def test_a_stale_session_reads_stale_without_a_fake_expiry():
    now = START
    base = StatusRow("identity", "work", "work", "work-mfa",
                     RefreshSchedule(300).entry("work-mfa", now, 43200, None, now))
    row = base._replace(stale="key-rotated")
    cells = moving_cells(row, row.entry, RowFlags(), 0, {}, 10)
    assert cells["state"][0][0] == STALE_LABEL == "stale (key rotated)"
    assert cells["left"][0][0] == "—"
    assert "█" not in "".join(t for t, _ in cells["bar"])
    state = next(c for c in fit_columns([row], 100) if c.key == "state")
    assert state.width >= len(STALE_LABEL)


async def test_details_count_down_live(sandbox_home, clock):
    identities(sandbox_home, "work")
    add_session(sandbox_home.credentials, "work-mfa", START + timedelta(hours=2))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.main_screen.open_details("work")
        await pilot.pause()

        def files_part() -> str:
            static = app.screen.query_one("#files", Static)
            return "".join(seg.text for line in static.render_lines(
                static.region.reset_offset) for seg in line)

        assert "2:00:00" in files_part()
        clock.advance(minutes=5)
        app.clock_tick()
        await pilot.pause()
        assert "1:55:00" in files_part()


# ---------------------------------------------------------------- 3. layouts that fit
def _rows() -> list[StatusRow]:
    entry = RefreshSchedule(300).entry("x", START + timedelta(hours=1), 43200, None, START)
    return [
        StatusRow("identity", "staging", "staging", "staging-mfa", entry,
                  mfa_serial="arn:aws:iam::123456789012:mfa/bob-phone"),
        StatusRow("role", "staging-readonly", "staging", "staging-readonly-session", entry,
                  role_arn="arn:aws:iam::123456789012:role/ReadOnly"),
        StatusRow("role", "staging-readwrite", "staging", "staging-readwrite-session", entry,
                  role_arn="arn:aws:iam::123456789012:role/ReadWrite"),
    ]


def test_chained_roles_are_indented_under_their_parent_role():
    entry = RefreshSchedule(300).entry("x", START + timedelta(hours=1), 3600, None, START)
    names = [static_cells(StatusRow(kind, name, "work", f"{name}-session", entry,
                                    depth=depth))["profile"][0][0]
             for kind, name, depth in (("identity", "work", 0), ("role", "prod-admin", 1),
                                       ("role", "deploy", 2))]
    assert names == ["work", "└ prod-admin", "  └ deploy"]


def test_narrow_columns_drop_account_then_bar_then_session_profile():
    keys = {width: [c.key for c in fit_columns(_rows(), width)] for width in (40, 60, 80, 140)}
    assert keys[140] == ["mark", "profile", "target", "account", "state", "left", "bar"]
    assert keys[80] == ["mark", "profile", "target", "state", "left", "bar"]
    assert keys[60] == ["mark", "profile", "target", "state", "left"]
    assert keys[40] == ["mark", "profile", "state", "left"]
    for width in (40, 60, 80, 100, 140, 200):
        used = 1 + sum(c.width + 2 for c in fit_columns(_rows(), width))
        assert used <= width + 2, width  # the last gap may hang over the edge


def test_wide_terminal_gets_a_wider_bar():
    bar = {w: next(c.width for c in fit_columns(_rows(), w) if c.key == "bar")
           for w in (120, 200)}
    assert bar[200] > 30 and bar[200] > bar[120]


def test_cut_names_keep_their_distinguishing_end():
    a, b = middle_cut("staging-readonly", 10), middle_cut("staging-readwrite", 10)
    assert len(a) == len(b) == 10 and a != b and "…" in a
    assert a.endswith("only") and b.endswith("rite")


async def test_at_60_columns_names_state_and_time_left_stay(sandbox_home, clock):
    identities(sandbox_home, "staging")
    add_session(sandbox_home.credentials, "staging-mfa", START + timedelta(hours=2))
    for role in ("staging-readonly", "staging-readwrite"):
        add_config(sandbox_home.config, f"[profile {role}]\nrole_arn = arn:aws:iam::"
                   f"123456789012:role/{role}\nsource_profile = staging-mfa")
        add_session(sandbox_home.credentials, f"{role}-session", START + timedelta(minutes=50))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(app, pilot)
        rows = table_rows(app)
        assert rows["staging"]["left"] == "2:00:00"
        assert rows["staging-readonly"]["left"] == "0:50:00"
        text = screen_text(app)
        assert "only" in text and "rite" in text  # both ends of the cut names
        assert "0:50:00" in text


async def test_footer_keeps_quit_and_help_at_80_columns(sandbox_home, clock):
    identities(sandbox_home, "work")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(app, pilot)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        line = [x for x in visible_text(app).splitlines() if x.strip()][-1]
        assert line.startswith("q Quit") or line.startswith(" q Quit"), line
        assert "?" in line and "Help" in line
        assert "palette" not in line


def test_account_column_names_the_account_and_user_not_the_device():
    identity = _rows()[0]
    assert account_and_user(identity) == "123456789012"
    assert account_and_user(identity, "bob") == "123456789012/bob"
    assert account_and_user(_rows()[1]) == "123456789012/ReadOnly"


# ---------------------------------------------------------------- 4. settings
async def test_settings_focus_the_first_field_and_say_why_nothing_saved(sandbox_home, clock,
                                                                        bells):
    identities(sandbox_home, "work")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert app.focused is not None and app.focused.id == "duration"
        screen = app.screen
        screen.query_one("#duration", Input).value = "12"
        screen.query_one("#lead_time", Input).value = "x"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        for key in ("duration", "lead_time"):
            problem = screen.query_one(f"#{key}-problem", Static)
            assert problem.has_class("-shown") and str(problem.render()).strip()
        assert "Not saved" in str(screen.query_one("#saving", Static).render())
        assert bells


async def test_a_theme_picked_in_the_palette_is_saved(sandbox_home, clock):
    identities(sandbox_home, "work")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.theme = "nord"  # what the palette's "Change theme" does
        await settle(app, pilot)
    assert load_settings(sandbox_home.settings).theme == "nord"


# ---------------------------------------------------------------- 5. marks
async def test_marks_clear_when_the_refresh_that_used_them_is_done(sandbox_home, clock):
    identities(sandbox_home, "one", "two", "three")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("space", "space")
        assert app.main_screen.marked == {"one", "two"}
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, MfaCodeModal)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.main_screen.marked == set()
        # a later `l` offers nothing left over from the marks
        assert app.main_screen.selected_names() == ["three"]


# ---------------------------------------------------------------- 8. waiting for a code
async def test_an_mfa_command_wait_is_on_the_row_and_in_a_toast(sandbox_home, clock, tmp_path):
    identities(sandbox_home, "key")
    release = tmp_path / "touched"
    script = tmp_path / "touch-key"
    script.write_text(f"#!{sys.executable}\nimport os, time\n"
                      f"while not os.path.exists({str(release)!r}): time.sleep(0.02)\n"
                      "print(123456)\n")
    script.chmod(0o755)
    sandbox_home.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.settings.write_text(f'mfa_command = "{script}"\n')
    started = asyncio.Event()

    def hook(message) -> None:
        if isinstance(message, CommandWaiting) and message.waiting:
            started.set()

    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE, notifications=True, message_hook=hook) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        try:
            await asyncio.wait_for(started.wait(), 30)  # a bound, not a timing assertion
            await pilot.pause()
            assert "touch key?" in table_rows(app)["key"]["state"]
            toasts = [n.message for n in app._notifications]
            assert any("touch your security key?" in t and "touch-key" in t for t in toasts)
        finally:
            release.touch()
        await settle(app, pilot)
        assert "touch key?" not in table_rows(app)["key"]["state"]


# ---------------------------------------------------------------- 9. desktop notification
async def test_a_code_needed_can_ring_the_desktop_instead_of_the_bell(
        sandbox_home, clock, bells, tmp_path, monkeypatch):
    identities(sandbox_home, "work")
    add_session(sandbox_home.credentials, "work-mfa", START + timedelta(minutes=3))
    said = tmp_path / "said"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    notify_send = bin_dir / "notify-send"
    notify_send.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" >> {said}\n")
    notify_send.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":99")
    sandbox_home.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.settings.write_text('code_alert = "desktop"\n')
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
    assert bells == []
    lines = said.read_text().splitlines()
    assert "work needs an MFA code" in lines
    assert any("work needs a new MFA code: 0:03:00 left" in line for line in lines)


def test_terminal_escapes_for_a_desktop_notice():
    from tui.app.desktop_notice import terminal_escape

    assert terminal_escape("t", "b;x", {"TERM": "foot"}) == "\x1b]777;notify;t;b,x\x1b\\"
    assert terminal_escape("t", "b", {"TERM_PROGRAM": "iTerm.app"}) == "\x1b]9;t: b\x1b\\"
    wrapped = terminal_escape("t", "b", {"TERM": "foot", "TMUX": "/tmp/x"})
    assert wrapped.startswith("\x1bPtmux;\x1b\x1b]777") and wrapped.endswith("\x1b\\")


def test_settings_refuse_an_unknown_code_alert(sandbox_home):
    from tui.engine.errors import SettingsError

    sandbox_home.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.settings.write_text('code_alert = "siren"\n')
    with pytest.raises(SettingsError, match="code_alert"):
        load_settings(sandbox_home.settings)


async def test_a_session_marked_stale_in_the_file_reads_stale(sandbox_home, clock):
    identities(sandbox_home, "work")
    add_session(sandbox_home.credentials, "work-mfa", START + timedelta(hours=3))
    text = sandbox_home.credentials.read_text().replace(  # the rotation marker key
        "[work-mfa]\n", "[work-mfa]\nstale = key-rotated\n")
    sandbox_home.credentials.write_text(text)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        row = table_rows(app)["work"]
        assert (row["state"], row["left"]) == ("stale (key rotated)", "—")
