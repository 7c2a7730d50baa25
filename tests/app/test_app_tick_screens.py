"""The app's one 1-second tick and the screens on the stack."""

from __future__ import annotations

from tests.support.app import add_config, make_service, settle
from tui.app.app import AwsMfaApp
from tui.app.screens.mfa_code_modal import MfaCodeModal


def write_identity(sandbox) -> None:
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    sandbox.credentials.write_text(
        "[work]\naws_access_key_id = AKIA0000000000000001\n"
        "aws_secret_access_key = LONGTERM0000000000000001\n")
    add_config(sandbox.config,
               "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/work")


async def test_a_tick_just_after_a_code_modal_opens_does_not_crash(sandbox_home, clock):
    """Seen in an all-day run with a fast clock: the tick reached a code modal pushed a
    moment before, not yet composed, and its `query_one("#window")` ended the app."""
    write_identity(sandbox_home)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.main_screen.start_refresh(["work"])  # pushes the modal; it composes later
        assert isinstance(app.screen_stack[-1], MfaCodeModal)
        app.clock_tick()  # the timer fires in between
        await pilot.pause()
        assert isinstance(app.screen, MfaCodeModal)
        app.clock_tick()  # and once it is composed, it counts down as before


async def test_a_long_summary_line_is_cut_and_keeps_the_note_line(sandbox_home, clock):
    """Seen in the all-day run at 100 columns: the summary of a role with long names
    wrapped, a lone "UTC" took the second line and hid "needs a code: press r"."""
    from datetime import timedelta

    from tests.support.app import START, add_session

    name = "staging-readonly-with-a-rather-long-name"
    sandbox_home.aws_dir.mkdir(mode=0o700, exist_ok=True)
    sandbox_home.credentials.write_text(
        f"[{name}]\naws_access_key_id = AKIA0000000000000001\n"
        "aws_secret_access_key = LONGTERM0000000000000001\n\n")
    add_session(sandbox_home.credentials, f"{name}-mfa", START + timedelta(minutes=3))
    add_config(sandbox_home.config,
               f"[profile {name}]\nmfa_serial = arn:aws:iam::123456789012:mfa/someone")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        summary = app.main_screen.query_one("#summary")
        lines = summary.render_lines(summary.region.reset_offset)
        text = ["".join(segment.text for segment in line) for line in lines]
        assert text[0].rstrip().endswith("…"), text
        assert "needs a code: press r" in text[1], text
        assert "UTC" not in text[1]


async def test_a_tick_while_a_dialog_is_torn_down_does_not_crash(sandbox_home, clock):
    """When the app quits with the details dialog open, its widgets go before the screen
    leaves the stack; a tick in between found no `#files` and raised (seen in a full
    test run). Here the dialog's container is removed by hand, as the shutdown does."""
    from tui.app.screens.details import DetailsScreen

    write_identity(sandbox_home)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.main_screen.open_details("work")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailsScreen)
        await app.screen.query_one("#dialog").remove()
        app.clock_tick()
