"""A session-name template changed in the TUI (`s`) keeps the sessions the file holds and
the roles that name them."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input

from tests.support.app import SIZE, START, add_config, add_session, make_service, settle, table_rows
from tui.app.app import AwsMfaApp
from tui.app.screens.main import MainScreen
from tui.app.screens.settings import SettingsScreen

LONG_TERM = "[{name}]\naws_access_key_id = AKIA{key}\naws_secret_access_key = LONGTERM{key}\n\n"


async def test_template_change_in_settings_keeps_sessions_and_roles(sandbox_home, clock, bells):
    sandbox_home.aws_dir.mkdir(mode=0o700, exist_ok=True)
    sandbox_home.credentials.write_text(LONG_TERM.format(name="work", key="0" * 16)
                                        + LONG_TERM.format(name="home", key="1" * 16))
    add_session(sandbox_home.credentials, "work-mfa", START + timedelta(hours=8))
    add_config(sandbox_home.config, "[profile prod-admin]\n"
               "role_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = work-mfa")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert list(table_rows(app)) == ["work", "prod-admin", "home"]
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        screen.query_one("#session_name", Input).value = "{profile}-x"
        await pilot.pause()
        screen.action_save()
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        rows = table_rows(app)
        assert list(rows) == ["work", "prod-admin", "home"]
        assert rows["work"]["target"] == "work-mfa" and rows["work"]["state"] == "fresh"
        assert rows["home"]["target"] == "home-x"  # no session yet: the new template
