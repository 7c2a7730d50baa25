"""MFA devices in the TUI, against the local AWS emulator: a chooser when IAM lists
several (remembered in settings across a restart), FIDO/U2F keys skipped with a note, and
a user with no device offered a session without MFA (declining writes nothing).

moto can't create FIDO keys: their ListMFADevices reply is injected at the HTTP layer."""

from __future__ import annotations

import os
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from tests.support.app import SIZE, add_config, make_service, screen_text, settle, table_rows
from tests.support.aws_emulator import list_mfa_devices_reply
from tests.support.cli import cli
from tui.app.app import AwsMfaApp
from tui.app.screens.main import MainScreen
from tui.app.screens.mfa_code_modal import MfaCodeModal
from tui.app.screens.mfa_device_chooser import MfaDeviceChooser
from tui.app.screens.no_mfa_device import NoMfaDeviceOffer

KEY = "arn:aws:iam::123456789012:u2f/user/alice/key-ABCD"


def add_devices(make_user, user: str, names: list[str]) -> list[str]:
    """More virtual MFA devices for a user, enabled as IAM does it."""
    iam = make_user.iam
    serials = []
    for name in names:
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
        serial = device["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName=user, SerialNumber=serial,
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
        serials.append(serial)
    return serials


@asynccontextmanager
async def app_after(sandbox_home, clock, *keys: str) -> AsyncIterator[tuple[AwsMfaApp, Pilot]]:
    """A fresh app (a start) on the sandbox files, once these keys were pressed and the
    workers they started are done."""
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*keys)
        await settle(app, pilot)
        yield app, pilot


def saved_serial(sandbox_home, profile: str = "alice") -> str | None:
    if not sandbox_home.settings.exists():
        return None
    data = tomllib.loads(sandbox_home.settings.read_text())
    return data.get("profiles", {}).get(profile, {}).get("mfa_serial")


def log_lines(app: AwsMfaApp) -> str:
    return "\n".join(app.main_screen.log_panel.lines_written)


def shown(app: AwsMfaApp, selector: str) -> str:
    """The plain text of one Static on the top screen (wrapping aside)."""
    return str(app.screen.query_one(selector, Static).render())


def options(app: AwsMfaApp) -> list[str]:
    chooser = app.screen.query_one(OptionList)
    return [str(chooser.get_option_at_index(i).prompt) for i in range(chooser.option_count)]


async def test_chooser_lists_each_device_and_the_choice_survives_a_restart(
        sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    serials = [alice.serial, *add_devices(make_user, "alice", ["alice-phone", "alice-token"])]
    async with app_after(sandbox_home, clock, "r") as (app, pilot):
        assert isinstance(app.screen, MfaDeviceChooser)
        assert sorted(options(app)) == sorted(serials)
        text = screen_text(app)
        assert "Which MFA device for alice?" in text and "IAM lists 3 MFA devices" in text
        assert "device: looking it up" not in text  # the code modal hides under it
        chosen = options(app)[1]
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MfaCodeModal) and app.screen.serial == chosen
        assert saved_serial(sandbox_home) == chosen
        assert "remembered for this profile" in screen_text(app)
        await pilot.press(*"864213")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        calls = aws.injector.calls("GetSessionToken")
        assert len(calls) == 1 and calls[0].params["SerialNumber"] == chosen
    listed = len(aws.injector.calls("ListMFADevices"))
    settings_text = sandbox_home.settings.read_text()
    assert "864213" not in settings_text and alice.secret_access_key not in settings_text

    # A new app (a restart): the remembered device is used, IAM is not asked, no chooser.
    sandbox_home.credentials.write_text(
        sandbox_home.credentials.read_text().split("[alice-mfa]")[0])
    async with app_after(sandbox_home, clock, "r") as (app, pilot):
        assert isinstance(app.screen, MfaCodeModal) and app.screen.serial == chosen
        await pilot.press(*"654321")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert aws.injector.calls("GetSessionToken")[-1].params["SerialNumber"] == chosen
    assert len(aws.injector.calls("ListMFADevices")) == listed


async def test_escape_in_the_chooser_saves_and_sends_nothing(sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    add_devices(make_user, "alice", ["alice-phone"])
    async with app_after(sandbox_home, clock, "r") as (app, pilot):
        assert isinstance(app.screen, MfaDeviceChooser)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert "alice: no MFA device chosen" in log_lines(app)
    assert saved_serial(sandbox_home) is None and alice.serial
    assert aws.injector.calls("GetSessionToken") == []


async def test_a_security_key_is_skipped_in_the_chooser_with_a_note(
        sandbox_home, clock, make_user, aws):
    make_user("alice")
    usable = ["arn:aws:iam::123456789012:mfa/alice-phone", "GAHT12345678"]
    aws.injector.add("ListMFADevices", status=200, times=-1,
                     body=list_mfa_devices_reply("alice", [usable[0], KEY, usable[1]]))
    async with app_after(sandbox_home, clock, "r") as (app, _pilot):
        assert isinstance(app.screen, MfaDeviceChooser)
        assert options(app) == usable
        assert shown(app, "#skipped") == (
            f"Skipped 1 FIDO/U2F security key, which STS can't use: {KEY}")


async def test_one_device_beside_a_security_key_needs_no_chooser(
        sandbox_home, clock, make_user, aws):
    alice = make_user("alice")
    aws.injector.add("ListMFADevices", status=200, times=-1,
                     body=list_mfa_devices_reply("alice", [KEY, alice.serial]))
    async with app_after(sandbox_home, clock, "r") as (app, _pilot):
        assert isinstance(app.screen, MfaCodeModal) and app.screen.serial == alice.serial
        assert "skipped 1 FIDO/U2F security key" in shown(app, "#device")


def test_the_cli_error_lists_the_devices_and_the_skipped_key(aws, make_user):
    alice = make_user("alice", profile="work")
    second, = add_devices(make_user, "alice", ["alice-phone"])
    env = dict(os.environ, AWS_MFA_TOKEN_CODE="123456")
    done = cli("refresh", "work", env=env)
    assert done.returncode == 2, done.stderr
    assert alice.serial in done.stderr and second in done.stderr
    assert "--serial-number" in done.stderr and done.stderr.count("\n") == 1
    aws.injector.add("ListMFADevices", status=200, times=-1,
                     body=list_mfa_devices_reply("alice", [alice.serial, KEY, second]))
    done = cli("refresh", "work", env=env)
    assert done.returncode == 2, done.stderr
    assert f"skipped 1 FIDO/U2F security key ({KEY})" in done.stderr
    aws.injector.clear()
    aws.injector.add("ListMFADevices", status=200, times=-1,
                     body=list_mfa_devices_reply("alice", [KEY]))
    done = cli("refresh", "work", env=env)
    assert done.returncode == 5, done.stderr
    assert "no MFA device that STS can use" in done.stderr and KEY in done.stderr


async def test_no_device_explains_and_a_session_without_mfa_is_written(
        sandbox_home, clock, make_user, aws):
    alice = make_user("alice", mfa=False)
    async with app_after(sandbox_home, clock, "r") as (app, pilot):
        assert isinstance(app.screen, NoMfaDeviceOffer)
        assert shown(app, "#title") == "No MFA device on this user (alice)"
        assert alice.arn in screen_text(app)
        caveat = shown(app, "#caveat")
        assert "aws:MultiFactorAuthPresent" in caveat and "[alice-mfa]" in caveat
        text = screen_text(app)
        assert "device: unknown" not in text and "--serial-number" not in text
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        calls = aws.injector.calls("GetSessionToken")
        assert len(calls) == 1
        assert "SerialNumber" not in calls[0].params and "TokenCode" not in calls[0].params
        assert "[alice-mfa]" in sandbox_home.credentials.read_text()
        assert table_rows(app)["alice"]["state"] == "fresh"
        assert "no MFA was used" in log_lines(app)
        # Not remembered: the next refresh looks again and asks again.
        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, NoMfaDeviceOffer)
        await pilot.press("n")
        await settle(app, pilot)
        assert len(aws.injector.calls("GetSessionToken")) == 1
    assert saved_serial(sandbox_home) is None


async def test_declining_a_session_without_mfa_leaves_the_file_byte_identical(
        sandbox_home, clock, make_user, aws):
    make_user("alice", mfa=False)
    with open(sandbox_home.credentials, "a") as handle:
        handle.write("# a comment the user keeps\n[other]\nregion=eu-west-1\n")
    before = sandbox_home.credentials.read_bytes()
    async with app_after(sandbox_home, clock, "r") as (app, pilot):
        assert isinstance(app.screen, NoMfaDeviceOffer)
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert "declined a session without MFA, nothing written" in log_lines(app)
    assert sandbox_home.credentials.read_bytes() == before
    assert aws.injector.calls("GetSessionToken") == []
    assert not sandbox_home.settings.exists()


async def test_only_a_security_key_counts_as_no_device_and_says_so(
        sandbox_home, clock, make_user, aws):
    make_user("alice", mfa=False)
    aws.injector.add("ListMFADevices", status=200, times=-1,
                     body=list_mfa_devices_reply("alice", [KEY]))
    async with app_after(sandbox_home, clock, "r") as (app, _pilot):
        assert isinstance(app.screen, NoMfaDeviceOffer)
        assert KEY in shown(app, "#skipped")


async def test_a_role_of_a_user_with_no_device_gets_the_offer_too(
        sandbox_home, clock, make_user, aws):
    make_user("alice", mfa=False)
    add_config(sandbox_home.config, "[profile ops]\nrole_arn = arn:aws:iam::123456789012:"
               "role/Ops\nsource_profile = alice-mfa")
    async with app_after(sandbox_home, clock, "j", "r") as (app, pilot):
        assert isinstance(app.screen, NoMfaDeviceOffer) and app.screen.profile == "ops"
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        token, = aws.injector.calls("GetSessionToken")
        assume, = aws.injector.calls("AssumeRole")
        assert "SerialNumber" not in token.params and "TokenCode" not in assume.params
        text = sandbox_home.credentials.read_text()
        assert "[alice-mfa]" in text and "[ops-session]" in text


def test_init_names_a_skipped_security_key(aws, make_user, sandbox_home):
    alice = make_user("alice", profile="work")
    aws.injector.add("ListMFADevices", status=200, times=-1,
                     body=list_mfa_devices_reply("alice", [KEY, alice.serial]))
    done = cli("init", "work")
    assert done.returncode == 0, done.stderr
    assert f"skipped 1 FIDO/U2F security key ({KEY})" in done.stderr
    assert saved_serial(sandbox_home, "work") == alice.serial


async def test_a_tick_before_a_pushed_screen_is_composed_is_skipped(
        sandbox_home, clock, make_user, aws):
    """The 1-second tick can land between a push and the compose (seen under load with
    the details screen): it must skip that screen, not query widgets it doesn't have."""
    make_user("alice")
    async with app_after(sandbox_home, clock) as (app, pilot):
        row = app.main_screen.row_named("alice")
        app.push_screen(MfaCodeModal(app.service, row, clock.now))
        app.clock_tick()  # at once: nothing composed yet
        await settle(app, pilot)
        assert isinstance(app.screen, MfaCodeModal)
        app.clock_tick()
