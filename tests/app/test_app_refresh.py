"""Refreshing from the TUI against the local AWS emulator: the MFA code modal, codes from
an mfa_command, chained roles, `a`, errors, a hung endpoint, logout, details, settings."""

from __future__ import annotations

import sys
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
from tui.app.screens.confirm_logout import ConfirmLogoutModal
from tui.app.screens.details import DetailsScreen
from tui.app.screens.main import MainScreen
from tui.app.screens.mfa_code_modal import MfaCodeModal
from tui.app.screens.settings import SettingsScreen
from tui.engine.settings import load_settings

WRONG_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."


def sections(path) -> str:
    return path.read_text()


def with_serial(sandbox, user) -> None:
    add_config(sandbox.config, f"[profile {user.profile}]\nmfa_serial = {user.serial}")


async def test_code_modal_submits_on_sixth_digit(sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    with_serial(sandbox_home, alice)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert table_rows(app)["alice"]["state"] == "no session"
        await pilot.press("r")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, MfaCodeModal)
        text = screen_text(app)
        assert "MFA code for alice" in text and alice.serial in text
        assert "current code changes in" in text
        await pilot.press(*"86421")
        assert aws.injector.calls("GetSessionToken") == []
        await pilot.press("3")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        calls = aws.injector.calls("GetSessionToken")
        assert len(calls) == 1 and calls[0].params["TokenCode"] == "864213"
        assert calls[0].params["SerialNumber"] == alice.serial
        assert "[alice-mfa]" in sections(sandbox_home.credentials)
        assert table_rows(app)["alice"]["state"] == "fresh"
        text = screen_text(app)
        assert alice.secret_access_key not in text and "864213" not in text


async def test_wrong_code_rings_and_modal_stays_then_enter_works(
        sandbox_home, clock, make_user, aws, bells):
    alice = make_user("alice")
    with_serial(sandbox_home, alice)
    aws.injector.add("GetSessionToken", code="AccessDenied", message=WRONG_CODE)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r", *"111111")
        await settle(app, pilot)
        assert isinstance(app.screen, MfaCodeModal)
        assert "rejected the MFA code" in screen_text(app)
        assert len(bells) == 1
        assert "[alice-mfa]" not in sections(sandbox_home.credentials)
        # Enter also submits (here after deleting the auto-submit's last digit)
        await pilot.press(*"22222")
        await pilot.press("enter")  # 5 digits: refused locally, no call
        assert len(aws.injector.calls("GetSessionToken")) == 1
        await pilot.press(*"222222")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert "[alice-mfa]" in sections(sandbox_home.credentials)


async def test_escape_cancels_without_a_call(sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    with_serial(sandbox_home, alice)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r", "1", "2", "escape")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert aws.injector.calls("GetSessionToken") == []


async def test_device_found_through_iam_when_not_configured(sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, MfaCodeModal)
        assert app.screen.serial == alice.serial
        assert len(aws.injector.calls("ListMFADevices")) == 1


async def test_two_profiles_on_one_device_get_one_modal_each(
        sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    with_serial(sandbox_home, alice)
    with open(sandbox_home.credentials, "a") as handle:
        handle.write(f"[alice2]\naws_access_key_id = {alice.access_key_id}\n"
                     f"aws_secret_access_key = {alice.secret_access_key}\n\n")
    add_config(sandbox_home.config, f"[profile alice2]\nmfa_serial = {alice.serial}")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("space", "space", "r")
        await settle(app, pilot)
        assert isinstance(app.screen, MfaCodeModal) and app.screen.row.name == "alice"
        assert "(1 of 2)" in screen_text(app)
        await pilot.press(*"123456")
        await settle(app, pilot)
        assert isinstance(app.screen, MfaCodeModal) and app.screen.row.name == "alice2"
        await pilot.press(*"123456")  # the same code again: refused, never sent
        await settle(app, pilot)
        assert isinstance(app.screen, MfaCodeModal)
        assert "already used" in screen_text(app)
        assert len(aws.injector.calls("GetSessionToken")) == 1
        await pilot.press(*"654321")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        text = sections(sandbox_home.credentials)
        assert "[alice-mfa]" in text and "[alice2-mfa]" in text


async def test_mfa_command_refreshes_without_modal(sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    with_serial(sandbox_home, alice)
    sandbox_home.settings.parent.mkdir(parents=True, exist_ok=True)
    command = f"{sys.executable} -c 'print(424242)'"
    sandbox_home.settings.write_text(f'mfa_command = "{command}"\n')
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        calls = aws.injector.calls("GetSessionToken")
        assert len(calls) == 1 and calls[0].params["TokenCode"] == "424242"
        assert table_rows(app)["alice"]["state"] == "fresh"


async def test_refresh_due_chains_roles_after_identity(sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    with_serial(sandbox_home, alice)
    add_session(sandbox_home.credentials, "alice-mfa", START - timedelta(minutes=1))
    add_config(sandbox_home.config, "[profile ops]\nrole_arn = arn:aws:iam::123456789012:"
               "role/Ops\nsource_profile = alice-mfa")
    add_session(sandbox_home.credentials, "ops-session", START - timedelta(minutes=1))
    service = make_service(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, MfaCodeModal) and app.screen.row.name == "alice"
        clock.now = START  # AWS's expiration is real time; keep the role chainable
        await pilot.press(*"123456")
        await settle(app, pilot)
        # one code: the role then chains from the new session, no second modal
        assert isinstance(app.screen, MainScreen)
        assert len(aws.injector.calls("AssumeRole")) == 1
        assert "TokenCode" not in aws.injector.calls("AssumeRole")[0].params


async def test_worker_error_is_one_line_on_the_row(sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    with_serial(sandbox_home, alice)
    sandbox_home.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.settings.write_text(f'mfa_command = "{sys.executable} -c \'print(777777)\'"\n')
    aws.injector.add("GetSessionToken", code="InvalidClientTokenId", message="bad key",
                     status=403)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    notes: list[str] = []
    original = app.notify
    app.notify = lambda message, **kw: (notes.append(message), original(message, **kw))[1]
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert table_rows(app)["alice"]["state"] == "error"
        error = app.main_screen.errors["alice"]
        assert "\n" not in error and "does not recognise the access key" in error
        assert any("does not recognise" in n for n in notes)
        text = screen_text(app)
        assert "Traceback" not in text and "does not recognise" in text


async def test_hung_endpoint_spins_and_q_quits_at_once(sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    with_serial(sandbox_home, alice)
    add_session(sandbox_home.credentials, "alice-mfa", START + timedelta(hours=2))
    add_config(sandbox_home.config, "[profile ops]\nrole_arn = arn:aws:iam::123456789012:"
               "role/Ops\nsource_profile = alice-mfa")
    # Far longer than quitting takes: the call is still stalled when the app has ended
    # (the test's teardown waits out the stall, so it is kept to a few seconds).
    aws.injector.add("AssumeRole", delay=5.0)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "r")
        await pilot.pause()
        assert "refresh" in table_rows(app)["ops"]["state"]
        first = table_rows(app)["ops"]["state"][0]
        app.clock_tick()
        await pilot.pause()
        assert table_rows(app)["ops"]["state"][0] != first  # the spinner turns
        hung = [w for w in app.workers if not w.is_finished]
        assert hung and aws.injector.calls("AssumeRole")
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0  # quitting asked the app to end at once
    # The app has ended (run_test returned) while the AssumeRole call is still stalled:
    # its worker never finished and no session was written.
    assert not app.is_running
    assert not any(w.is_finished and w.state.name == "SUCCESS" for w in hung)
    assert "ops-session" not in sections(sandbox_home.credentials)


async def test_logout_asks_then_removes_marked_sessions(sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    with_serial(sandbox_home, alice)
    add_session(sandbox_home.credentials, "alice-mfa", START + timedelta(hours=2))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("space", "l")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmLogoutModal)
        assert "[alice-mfa]" in screen_text(app)
        await pilot.press("n")
        assert "[alice-mfa]" in sections(sandbox_home.credentials)
        await pilot.press("l", "y")
        await settle(app, pilot)
        text = sections(sandbox_home.credentials)
        assert "[alice-mfa]" not in text and "[alice]" in text
        assert table_rows(app)["alice"]["state"] == "no session"


async def test_details_show_masked_key_and_iam_key_age(sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    with_serial(sandbox_home, alice)
    clock.now = START.replace(year=2100)  # keys are created "now"; the clock is later
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailsScreen)
        text = screen_text(app)
        masked = f"{alice.access_key_id[:4]}****{alice.access_key_id[-4:]}"
        assert masked in text and alice.access_key_id not in text
        assert alice.serial in text and "123456789012" in text
        assert "days" in text and "(this profile)" in text
        assert alice.secret_access_key not in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_settings_validate_inline_and_save(sandbox_home, clock, make_user, aws):
    make_user("alice")
    service = make_service(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        from textual.widgets import Input, Select

        screen.query_one("#duration", Input).value = "60"
        await pilot.pause()
        assert "between 900 and 129600" in screen_text(app)
        screen.action_save()
        await settle(app, pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert not sandbox_home.settings.exists()
        screen.query_one("#duration", Input).value = "3600"
        screen.query_one("#lead_time", Input).value = "600"
        screen.query_one("#session_name", Input).value = "{profile}-session"
        screen.query_one("#theme", Select).value = "textual-light"
        await pilot.pause()
        screen.action_save()
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        saved = load_settings(sandbox_home.settings)
        assert (saved.duration, saved.lead_time, saved.session_name) == (
            3600, 600, "{profile}-session")
        assert app.theme == "textual-light"
        assert table_rows(app)["alice"]["target"] == "alice-session"


async def test_settings_template_error_comes_back_from_the_engine(sandbox_home, clock):
    service = make_service(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        from textual.widgets import Input

        app.screen.query_one("#session_name", Input).value = "{profile}-{nope}"
        await pilot.pause()
        app.screen.action_save()
        await settle(app, pilot)
        assert isinstance(app.screen, SettingsScreen)
        problem = app.screen.query_one("#session_name-problem")
        assert "placeholder" in str(problem.render()), str(problem.render())


async def test_palette_refresh_command_runs_a_refresh(sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    with_serial(sandbox_home, alice)
    add_session(sandbox_home.credentials, "alice-mfa", START + timedelta(hours=2))
    add_config(sandbox_home.config, "[profile ops]\nrole_arn = arn:aws:iam::123456789012:"
               "role/Ops\nsource_profile = alice-mfa")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Refresh ops")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(app, pilot)
        assert len(aws.injector.calls("AssumeRole")) == 1
        assert "[ops-session]" in sections(sandbox_home.credentials)
