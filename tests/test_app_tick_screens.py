"""The app's one 1-second tick and the screens on the stack."""

from __future__ import annotations

# ruff: noqa: F811  (pytest fixtures imported from the harness are parameters here)
from tests.test_app_harness import (  # noqa: F401 (fixtures)
    add_config,
    clock,
    make_service,
    settle,
)
from tui.app.app import AwsMfaApp
from tui.app.screens.mfa_code_modal import MfaCodeModal


async def test_a_tick_just_after_a_code_modal_opens_does_not_crash(sandbox_home, clock):
    """Seen in an all-day run with a fast clock: the tick reached a code modal pushed a
    moment before, not yet composed, and its `query_one("#window")` ended the app."""
    sandbox_home.aws_dir.mkdir(mode=0o700, exist_ok=True)
    sandbox_home.credentials.write_text(
        "[work]\naws_access_key_id = AKIA0000000000000001\n"
        "aws_secret_access_key = LONGTERM0000000000000001\n")
    add_config(sandbox_home.config,
               "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/work")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.main_screen.start_refresh(["work"])  # pushes the modal; it composes later
        assert isinstance(app.screen_stack[-1], MfaCodeModal)
        app._tick()  # the timer fires in between
        await pilot.pause()
        assert isinstance(app.screen, MfaCodeModal)
        app._tick()  # and once it is composed, it counts down as before
