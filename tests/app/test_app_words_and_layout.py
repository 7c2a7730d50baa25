"""Issue 12 in the TUI: names are text, states read in words, layouts fit, settings say
why, marks clear, an mfa_command wait is shown, and a code can ring the desktop."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Input, Static

from tests.app.toasts import Toasts
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
from tui.app.messages import CommandWaiting
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
from tui.engine.profiles.status import StatusRow
from tui.engine.sessions.schedule import RefreshSchedule
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
    toasts = Toasts()
    async with app.run_test(size=(120, 40), notifications=True, message_hook=toasts) as pilot:
        await settle(app, pilot)
        assert list(table_rows(app)) == list(ODD_NAMES)
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
    widths = (40, 60, 80, 90, 140)
    keys = {width: [c.key for c in fit_columns(_rows(), width)] for width in widths}
    assert keys[140] == ["mark", "profile", "target", "account", "state", "left", "bar"]
    assert keys[90] == ["mark", "profile", "target", "state", "left", "bar"]
    assert keys[80] == ["mark", "profile", "target", "state", "left"]
    # The session profile goes whole rather than cut; the room it leaves takes a bar.
    assert keys[60] == ["mark", "profile", "state", "left", "bar"]
    assert keys[40] == ["mark", "profile", "state", "left"]
    longest = max(len(row.target) for row in _rows())
    for width in range(36, 220):
        columns = fit_columns(_rows(), width)
        used = 1 + sum(c.width + 2 for c in columns)
        assert used <= width + 2, width  # the last gap may hang over the edge
        for column in columns:  # never `prod…ssion`, never `Sess…ofile`
            assert column.width >= len(column.label) or column.key in ("mark", "profile")
            assert column.key != "target" or column.width >= longest


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


# Private: what the footer fix (textual#6666) patches.
from textual.widgets._footer import FooterKey  # noqa: E402

from tui.app.widgets.footer import AppFooter  # noqa: E402

FOOTER_KEYS = ("q Quit", "? Help", "space Mark", "⏎ Details", "r Refresh", "a Due",
               "K Rotate", "l Logout", "s Settings", "o Console", "g Log", "^p Palette")


async def test_footer_shows_every_key_and_the_palette_at_60_and_80_columns(sandbox_home,
                                                                           clock):
    identities(sandbox_home, "work")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(app, pilot)
        for width, rows in ((120, 1), (80, 2), (60, 2), (40, 4), (120, 1)):
            await pilot.resize_terminal(width, 24)
            await settle(app, pilot)
            lines = [x for x in visible_text(app).splitlines() if x.strip()]
            footer = lines[-rows:]
            assert footer[0].startswith(("q Quit", " q Quit")), footer
            for key in FOOTER_KEYS:  # each whole, none cut or hidden
                assert any(key in line for line in footer), (width, key, footer)
            assert all(len(line.rstrip()) <= width for line in footer)
            assert not any(key in lines[-rows - 1] for key in FOOTER_KEYS)  # no more rows
            # Keys that change (the rotation screen's stages) recompose the footer, and
            # Textual's compose sets its grid size to the number of keys each time.
            footer_widget = app.screen.query_one(AppFooter)
            footer_widget.styles.grid_size_columns = len(FOOTER_KEYS)
            footer_widget._fit()
            await settle(app, pilot)
            for key in footer_widget.query(FooterKey):
                assert key.region.right <= width + 1, (width, key.key, key.region)


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
        # It says where the reasons are, and they are there: under each field.
        assert "marked in red under their fields" in str(
            screen.query_one("#saving", Static).render())
        for key in ("duration", "lead_time"):
            field = screen.query_one(f"#{key}", Input).region
            problem = screen.query_one(f"#{key}-problem", Static).region
            assert problem.y >= field.bottom and problem.x == field.x, (field, problem)
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

    toasts = Toasts()

    def hook(message) -> None:
        toasts(message)
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


# ------------------------------------------------------ issue 22: a broken file stays said
def said(app: AwsMfaApp) -> str:
    """The screen's words with line wraps undone."""
    return " ".join(visible_text(app).split())


async def test_a_broken_file_keeps_its_line_and_fix_on_screen_until_it_parses(
        sandbox_home, clock):
    identities(sandbox_home, "work")
    good = sandbox_home.credentials.read_text()
    sandbox_home.credentials.write_text(good + "[work]\naws_access_key_id = AKIADUP\n")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(app, pilot)
        text = said(app)
        # The line and the fix, on screen (not only in a toast that fades), and no word of
        # "no identity profiles" while the file simply doesn't parse.
        assert "line 5: profile [work] appears a second time" in text
        assert "merge the two sections into one" in text
        assert "No identity profiles yet" not in text and "until the file parses" in text
        # It stays: many seconds later (toasts are long gone), still there.
        for _ in range(12):
            clock.advance(seconds=1)
            app.main_screen.clock_tick(clock())
        await pilot.pause()
        assert "merge the two sections into one" in said(app)
        # Fixed: the problem goes and the rows come.
        sandbox_home.credentials.write_text(good)
        app.main_screen.reload()
        await shown(app, pilot, lambda _text: "merge the two" not in said(app))
        assert list(table_rows(app)) == ["work"]
        # Broken again after a good read: the table stays, and the problem is said.
        sandbox_home.credentials.write_text(good.rstrip() + "\nregion = a\nregion = b\n")
        app.main_screen.reload()
        await shown(app, pilot, lambda _text: "appears twice" in said(app))
        assert list(table_rows(app)) == ["work"]
        assert "the table shows what was read before" in said(app)


# ------------------------------------------------ issue 22: the rotation screen's words
@pytest.mark.parametrize("code_typed", [False, True])
async def test_the_session_refresh_asks_for_the_next_code_only_after_one_was_used(
        sandbox_home, code_typed):
    from tests.snapshots.test_rotation_snapshots import DONE_EVENTS, SERIAL, ScriptedRotation
    from tests.snapshots.test_rotation_snapshots import host as rotation_host
    from tui.engine.mfa.codes import CodeRequest

    identities(sandbox_home, "alice")
    request = CodeRequest("alice", SERIAL) if code_typed else None
    app = rotation_host(sandbox_home, ScriptedRotation(request=request, events=DONE_EVENTS))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        if code_typed:
            await pilot.press(*"123456")
            await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press("f")  # refresh the MFA session with the new key: a code is needed
        text = await shown(app, pilot, lambda _text: "code" in str(
            app.screen.query_one("#status", Static).render()))
        status = str(app.screen.query_one("#status", Static).render())
        if code_typed:
            assert "Enter the next code (the one used for the rotation can't be reused)" in status
        else:
            assert status == "Enter the current code from your MFA device.", status
        assert text


# ------------------------------------------------ issue 22: resizes and narrow panes
async def test_a_resize_wraps_the_log_again_at_the_new_width(sandbox_home, clock):
    from textual.widgets import RichLog

    from tui.app.widgets.log_panel import LogPanel

    identities(sandbox_home, "work")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    long_line = " ".join(f"word{n:03d}" for n in range(40))  # 319 characters
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("g")
        await settle(app, pilot)
        app.main_screen.log_panel.add(clock(), long_line)
        await settle(app, pilot)
        log = app.screen.query_one(LogPanel).query_one(RichLog)

        def widest() -> int:
            return max(len(strip.text.rstrip()) for strip in log.lines)

        assert widest() <= 120
        at_120 = len(log.lines)
        await pilot.resize_terminal(200, 30)
        await settle(app, pilot)
        await pilot.pause()
        assert widest() > 120 and len(log.lines) < at_120  # the new width is used
        await pilot.resize_terminal(60, 20)  # and narrower: nothing runs past the edge
        await settle(app, pilot)
        await pilot.pause()
        assert widest() <= 60 and len(log.lines) > at_120
        assert long_line.split()[-1] in " ".join(strip.text for strip in log.lines)


async def test_toasts_never_cover_the_settings_fields(sandbox_home, clock):
    identities(sandbox_home, "work")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(60, 20), notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, SettingsScreen)
        app.notify("staging needs a new MFA code: 0:03:20 left (press r) " * 2, timeout=30)
        await settle(app, pilot)
        await pilot.pause()
        for field in app.screen.query(Input):
            region = field.region
            for x in range(region.x, region.right):
                for y in range(region.y, region.bottom):
                    widget, _ = app.screen.get_widget_at(x, y)
                    assert "Toast" not in type(widget).__name__, (field.id, x, y)
        assert "needs a new MFA code" not in visible_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is app.main_screen


def static_text(app: AwsMfaApp, selector: str) -> str:
    """All the lines a Static holds, scrolled into view or not."""
    static = app.screen.query_one(selector, Static)
    return "".join(seg.text for line in static.render_lines(static.region.reset_offset)
                   for seg in line)


async def test_details_scroll_on_a_short_terminal_with_the_hint_in_view(sandbox_home, clock):
    identities(sandbox_home, "work", "new")
    add_session(sandbox_home.credentials, "work-mfa", START + timedelta(hours=2))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(100, 12)) as pilot:
        await settle(app, pilot)
        app.main_screen.open_details("work")
        await shown(app, pilot, lambda _text: "asking IAM" not in static_text(app, "#iam"))
        await settle(app, pilot)
        first = visible_text(app)
        assert "Esc closes" in first and "Session profile" in first
        assert "Last error" not in first  # 12 rows: the rest is below, to scroll to
        seen = first
        for _ in range(12):  # the keys scroll it: every line can be read
            await pilot.press("down")
            await pilot.pause()
            seen += visible_text(app)
        for label in ("State", "Last error", "IAM"):
            assert label in seen, label
        assert "Esc closes" in visible_text(app)  # the hint never scrolls away
        await pilot.press("escape")
        await settle(app, pilot)
        app.main_screen.open_details("new")  # a profile with no session: the table's word
        await settle(app, pilot)
        assert "State               no session" in static_text(app, "#files")


@pytest.mark.parametrize(("zone", "said"), [
    ("UTC", "2026-03-02 11:30:00 UTC"),
    ("CET-1", "2026-03-02 11:30:00 UTC (12:30:00 CET local)"),
])
def test_details_give_local_time_only_where_it_isnt_utc(monkeypatch, zone, said):
    import time

    from tui.app.screens.details import _exact

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert _exact(START + timedelta(hours=2)) == said
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_the_rotation_screen_cuts_nothing_in_a_narrow_pane(sandbox_home, size):
    from textual.widgets import Button, DataTable

    from tests.snapshots.test_rotation_snapshots import (
        OLD_KEY,
        OTHER_KEY,
        ScriptedRotation,
        plan_for,
    )
    from tests.snapshots.test_rotation_snapshots import host as rotation_host

    identities(sandbox_home, "alice")
    app = rotation_host(sandbox_home, ScriptedRotation(plan=plan_for((OLD_KEY, OTHER_KEY))))
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        screen = app.screen
        table = screen.query_one("#keys", DataTable)
        assert table.max_scroll_x == 0  # every column in view: nothing to scroll sideways
        assert "AKIA****7Q3F" in said(app) and "profile alice" in said(app)
        buttons = [b for b in screen.query("#actions Button").results(Button) if b.display]
        assert {str(b.label) for b in buttons} == {
            "Rotate (r)", "Keep old key inactive (i)", "Cancel (Esc)"}
        for button in buttons:
            assert button.region.x >= 0 and button.region.right <= size[0], button.label
            assert button.size.width >= len(str(button.label)) + 2, button.label
