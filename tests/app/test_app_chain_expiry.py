"""A chained role whose source session ended while the app ran (found by the all-day run:
the role's row turned to "error" when its own lead time came, hours after its source
expired, because the rows still said it could chain)."""

from __future__ import annotations

from datetime import timedelta

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
from tui.app.screens.mfa_code_modal import MfaCodeModal


async def test_role_whose_source_expired_meanwhile_needs_a_code_not_an_error(
        sandbox_home, clock, make_user, aws, bells):
    alice = make_user("alice")
    add_config(sandbox_home.config, f"[profile alice]\nmfa_serial = {alice.serial}")
    add_session(sandbox_home.credentials, "alice-mfa", START + timedelta(minutes=20))
    add_config(sandbox_home.config, "[profile ops]\nrole_arn = arn:aws:iam::123456789012:"
               "role/Ops\nsource_profile = alice-mfa")
    add_session(sandbox_home.credentials, "ops-session", START + timedelta(minutes=50))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert table_rows(app)["ops"]["state"] == "fresh"
        # alice's session ends (nobody typed a code), then ops reaches its lead time
        for minutes in (16, 21, 30, 47):
            clock.now = START + timedelta(minutes=minutes)
            app.clock_tick()
            await settle(app, pilot)
        assert not aws.injector.calls("AssumeRole"), "assumed from an expired session"
        rows = table_rows(app)
        errors = app.main_screen.errors
        assert rows["ops"]["state"] == "needs code", (rows["ops"], errors)
        assert "ops" not in errors
        assert "ops needs a new MFA code" in screen_text(app)  # the toast
        assert len(bells) == 2  # alice at her lead time, then ops at its own
        # r on it asks for a code (no silent try that can only fail)
        await pilot.press("j")
        assert app.main_screen.table.highlighted_row().name == "ops"
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, MfaCodeModal), screen_text(app)[-3000:]
        assert "ops" not in app.main_screen.errors
