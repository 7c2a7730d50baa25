"""The main screen against local files: rows, countdown, keys that move and mark, lead-time
alerts, outside edits, help, log, palette. No AWS call is needed here, except where a row
refreshes by itself."""

from __future__ import annotations

import os
import sys
import types

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
from tui.app.screens.help import HelpScreen
from tui.app.screens.main import MainScreen
from tui.app.widgets.profile_table import ProfileTable
from tui.engine.sessions.schedule import SessionState

LONG_TERM = "[{name}]\naws_access_key_id = AKIA{key}\naws_secret_access_key = LONGTERM{key}\n\n"


def write_identities(sandbox, *names: str) -> None:
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    with open(sandbox.credentials, "a") as handle:
        for index, name in enumerate(names):
            key = f"{index:016d}"
            handle.write(LONG_TERM.format(name=name, key=key))
            add_config(sandbox.config, f"[profile {name}]\nmfa_serial = "
                       f"arn:aws:iam::123456789012:mfa/{name}")


def seeded(sandbox, clock):
    """work: fresh, role prod chained from it; staging: expiring; old: expired; new: none."""
    from datetime import timedelta

    write_identities(sandbox, "work", "staging", "old", "new")
    secrets_written = []
    secrets_written += add_session(sandbox.credentials, "work-mfa", START + timedelta(hours=8))
    secrets_written += add_session(sandbox.credentials, "staging-mfa",
                                   START + timedelta(minutes=3))
    secrets_written += add_session(sandbox.credentials, "old-mfa",
                                   START - timedelta(minutes=20))
    add_config(sandbox.config, "[profile prod]\nrole_arn = arn:aws:iam::210987654321:role/Admin"
               "\nsource_profile = work-mfa")
    secrets_written += add_session(sandbox.credentials, "prod-session",
                                   START + timedelta(minutes=40))
    return make_service(sandbox, clock), secrets_written


async def test_rows_states_and_countdown(sandbox_home, clock, bells):
    service, written = seeded(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = table_rows(app)
        assert list(rows) == ["work", "prod", "staging", "old", "new"]
        assert rows["work"]["state"] == "fresh" and rows["work"]["left"] == "8:00:00"
        assert rows["prod"]["profile"] == "└ prod" and rows["prod"]["target"] == "prod-session"
        assert rows["staging"]["state"] == "needs code"
        assert rows["staging"]["left"] == "0:03:00"
        assert rows["old"]["state"] == "expired" and rows["old"]["left"] == "20m ago"
        assert rows["new"]["state"] == "no session" and rows["new"]["left"] == "—"
        assert "█" in rows["work"]["bar"]
        # staging entered its lead time while we watched: the bell rang once, title says so
        assert len(bells) == 1
        app.clock_tick()
        assert "staging needs a code: 0:03:00 left" in app.sub_title
        clock.advance(seconds=1)
        app.clock_tick()
        await pilot.pause()
        assert table_rows(app)["work"]["left"] == "7:59:59"
        text = screen_text(app)
        for secret in written:
            assert secret not in text


async def test_fresh_to_expiring_rings_once_and_marks_needs_code(sandbox_home, clock, bells):
    from datetime import timedelta

    write_identities(sandbox_home, "work")
    add_session(sandbox_home.credentials, "work-mfa", START + timedelta(minutes=5, seconds=2))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert table_rows(app)["work"]["state"] == "fresh"
        assert bells == []
        clock.advance(seconds=3)
        app.clock_tick()
        await pilot.pause()
        assert table_rows(app)["work"]["state"] == "needs code"
        assert len(bells) == 1
        # Laptop sleep: the next tick is hours later; wall-clock time says expired at once.
        clock.advance(hours=3)
        app.clock_tick()
        await pilot.pause()
        assert table_rows(app)["work"]["state"] == "expired"
        assert table_rows(app)["work"]["left"] == "2h ago"
        assert len(bells) == 1  # same session, no second alarm


async def test_moving_marking_and_summary(sandbox_home, clock):
    service, _ = seeded(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        assert table.highlighted_row().name == "work"
        await pilot.press("j")
        assert table.highlighted_row().name == "prod"
        await pilot.press("down", "down")
        assert table.highlighted_row().name == "old"
        await pilot.press("k", "up")
        assert table.highlighted_row().name == "prod"
        await pilot.press("space")  # marks prod and moves on
        assert table.highlighted_row().name == "staging"
        await pilot.press("space")
        assert app.main_screen.marked == {"prod", "staging"}
        rows = table_rows(app)
        assert rows["prod"]["mark"] == "●" and rows["work"]["mark"] == " "
        assert app.main_screen.selected_names() == ["prod", "staging"]
        await pilot.press("k", "space")
        assert app.main_screen.marked == {"prod"}


async def test_outside_edit_reloads_the_table(sandbox_home, clock):
    service, _ = seeded(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "extra" not in table_rows(app)
        write_identities(sandbox_home, "extra")
        stat = os.stat(sandbox_home.credentials)
        os.utime(sandbox_home.credentials, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        app.main_screen.watcher.check()  # what its thread does every second
        await settle(app, pilot)
        assert "extra" in table_rows(app)
        assert any("changed" in line for line in app.main_screen.log_panel.lines_written)


async def test_the_tick_never_stats_the_files(sandbox_home, clock, monkeypatch):
    """File polling is a background watcher's job: the UI thread's tick makes no stat."""
    import threading

    service, _ = seeded(sandbox_home, clock)
    app = AwsMfaApp(service)
    watched = {str(sandbox_home.credentials), str(sandbox_home.config),
               str(sandbox_home.settings)}
    on_ui_thread: list[str] = []
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if str(path) in watched and threading.current_thread() is threading.main_thread():
            on_ui_thread.append(str(path))
        return real_stat(path, *args, **kwargs)

    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(os, "stat", stat)
        for _ in range(3):
            clock.advance(seconds=1)
            app.clock_tick()
        await pilot.pause()
        monkeypatch.setattr(os, "stat", real_stat)
    assert on_ui_thread == []


async def test_chained_role_refreshes_by_itself_in_lead_time(sandbox_home, clock, aws, bells):
    from datetime import timedelta

    write_identities(sandbox_home, "work")
    add_session(sandbox_home.credentials, "work-mfa", START + timedelta(hours=8))
    add_config(sandbox_home.config, "[profile prod]\nrole_arn = arn:aws:iam::123456789012:"
               "role/Admin\nsource_profile = work-mfa")
    add_session(sandbox_home.credentials, "prod-session", START + timedelta(minutes=5, seconds=1))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert aws.injector.calls("AssumeRole") == []
        clock.advance(seconds=2)
        app.clock_tick()
        await settle(app, pilot)
        assert len(aws.injector.calls("AssumeRole")) == 1
        assert bells == []  # no person needed
        assert "prod" not in app.main_screen.keeper.needs_code


async def test_help_lists_every_key(sandbox_home, clock):
    service, _ = seeded(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for binding in [*ProfileTable.BINDINGS, *MainScreen.BINDINGS, *AwsMfaApp.BINDINGS]:
            assert binding.id, binding
            assert binding.tooltip and binding.tooltip in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_log_panel_toggles_and_keeps_secrets_out(sandbox_home, clock):
    service, written = seeded(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        log = app.main_screen.log_panel
        assert not log.display or not log.has_class("-shown")
        await pilot.press("g")
        assert log.has_class("-shown")
        assert log.lines_written and "identity profiles" in log.lines_written[0]
        joined = "\n".join(log.lines_written)
        for secret in written:
            assert secret not in joined
        await pilot.press("g")
        assert not log.has_class("-shown")


async def test_palette_has_profile_commands_and_no_screenshot(sandbox_home, clock):
    service, _ = seeded(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Screenshot" not in titles and "Quit" in titles
        from tui.app.profile_commands import ProfileCommands

        provider = ProfileCommands(app.screen)
        found = [hit.text async for hit in provider.discover()]
        assert "Refresh work" in found and "Rotate key of work" in found
        assert "Details of prod" in found


async def test_rotation_key_opens_rotation_screen(sandbox_home, clock, monkeypatch):
    from textual.screen import Screen

    opened: list[tuple[object, str]] = []

    class FakeRotationScreen(Screen):
        def __init__(self, service, profile):
            super().__init__()
            opened.append((service, profile))

    module = types.ModuleType("tui.app.screens.rotation")
    module.RotationScreen = FakeRotationScreen  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui.app.screens.rotation", module)
    service, _ = seeded(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "K")  # on the role row: rotates its identity's key
        await pilot.pause()
        assert isinstance(app.screen, FakeRotationScreen)
        assert opened == [(service, "work")]


async def test_countdown_state_moves_with_the_clock(sandbox_home, clock):
    # The table works states out from the rows it loaded at START and the clock, caching
    # them per tick. At each later time they must be what the seeded expiries say (lead
    # time 300 s), what a fresh status read from the files says, and what the table shows.
    from datetime import timedelta

    fresh, expiring = SessionState.FRESH, SessionState.EXPIRING
    expired, none = SessionState.EXPIRED, SessionState.NONE
    expected = {  # minutes after START -> states (prod's session ends at 40 min: not reached)
        0: {"work": fresh, "prod": fresh, "staging": expiring, "old": expired, "new": none},
        2: {"work": fresh, "prod": fresh, "staging": expiring, "old": expired, "new": none},
        4: {"work": fresh, "prod": fresh, "staging": expired, "old": expired, "new": none},
    }
    service, _ = seeded(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        lead = service.current_settings.lead_time
        assert lead == 300
        for minutes, states in expected.items():
            clock.now = START + timedelta(minutes=minutes)
            app.clock_tick()
            await pilot.pause()
            shown = {row.name: table.countdown_at(row, clock.now, lead).state
                     for row in table.rows_shown}
            assert shown == states, minutes
            assert {r.name: r.state for r in service.status()} == states, minutes
        assert table_rows(app)["staging"]["state"] == "expired"


def test_first_paint_does_not_import_botocore(sandbox_home, clock):
    """Only workers that call AWS may import botocore; the table must not wait for it."""
    import subprocess

    seeded(sandbox_home, clock)
    code = (
        "import sys\n"
        "from tui.app.widgets.profile_table import ProfileTable\n"
        "show = ProfileTable.show\n"
        "def show_then_exit(self, rows, *a, **k):\n"
        "    show(self, rows, *a, **k)\n"
        "    print(f'rows={len(rows)} botocore={\"botocore\" in sys.modules}')\n"
        "    self.app.exit()\n"
        "ProfileTable.show = show_then_exit\n"
        "from tui.app.app import AwsMfaApp\n"
        "from tui.commands.context import service_from\n"
        "from tui.cli import build_parser, resolve_paths\n"
        "service = service_from(resolve_paths(build_parser().parse_args([])))\n"
        "AwsMfaApp(service).run(headless=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert "rows=5 botocore=False" in done.stdout, done.stderr[-2000:]


async def test_unreadable_file_keeps_the_table_and_says_why(sandbox_home, clock):
    service, _ = seeded(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        good = sandbox_home.credentials.read_text()
        sandbox_home.credentials.write_text(good + "\n[work]\naws_access_key_id = dup\n")
        stat = os.stat(sandbox_home.credentials)
        os.utime(sandbox_home.credentials, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        logged = len(app.main_screen.log_panel.lines_written)
        app.main_screen.watcher.check()
        await settle(app, pilot)
        assert table_rows(app)["work"]["state"] == "fresh"  # the rows read before stay
        new_lines = app.main_screen.log_panel.lines_written[logged:]
        bad_line = len((good + "\n[work]\n").splitlines())
        why = [line for line in new_lines if "appears a second time" in line]
        assert len(why) == 1, new_lines
        assert (f"{sandbox_home.credentials}, line {bad_line}: profile [work] appears a "
                "second time (first on line 1)") in why[0]
        assert not any("Traceback" in line for line in new_lines)
        sandbox_home.credentials.write_text(good)
        os.utime(sandbox_home.credentials, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2 * 10**9))
        app.main_screen.watcher.check()
        await settle(app, pilot)
        assert len(table_rows(app)) == 5
