"""The rotation screen against the emulator: code, keys, plan, confirmation, live steps."""

from __future__ import annotations

from botocore.configloader import raw_config_parse
from textual.app import App
from textual.binding import Binding
from textual.widgets import DataTable, Static

from tests.app.toasts import Toasts
from tests.support.app import settle
from tests.support.sandbox import sandbox_service
from tui.app.screens.rotation import RotationScreen
from tui.engine.mfa.codes import FixedCode
from tui.engine.rotation.key_rotation import KeyRotation
from tui.engine.secret import Secret

SIZE = (100, 30)


class Host(App[None]):
    """Just enough app to host the screen, as the main app pushes it on `k`."""

    BINDINGS = [Binding("q", "quit", "Quit")]  # as the main app has

    def __init__(self, service, profile, **kwargs) -> None:
        super().__init__()
        self.service, self.profile, self.kwargs = service, profile, kwargs
        self.dismissed: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(RotationScreen(self.service, self.profile, **self.kwargs),
                         self.dismissed.append)


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def no_wait_rotation(service, profile):
    return KeyRotation(service, profile, sleep=lambda s: None)


async def test_rotation_screen_happy_path(aws, make_user, sandbox_home):
    carol = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    app = Host(sandbox_service(sandbox_home), "carol", rotation_factory=no_wait_rotation)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RotationScreen) and screen.stage == "ready"
        table = screen.query_one("#keys", DataTable)
        assert table.row_count == 1
        assert "write it to [carol]" in text_of(app, "#plan")
        await pilot.press("r")
        await settle(app, pilot)
        assert screen.stage == "done", text_of(app, "#outcome")
        new = raw_config_parse(str(sandbox_home.credentials))["carol"]["aws_access_key_id"]
        assert new != carol.access_key_id
        assert new in text_of(app, "#outcome")
        assert "✓ verify the new key" in text_of(app, "#step-verify")
        assert "✓ delete the old key" in text_of(app, "#step-delete")
        assert table.row_count == 2  # old (deleted) and new
        svg = app.export_screenshot()
        assert carol.secret_access_key not in svg
        await pilot.press("escape")
        await pilot.pause()
        assert app.dismissed and app.dismissed[0].new_key_id == new


async def test_rotation_screen_asks_for_a_code_and_signs_with_a_session(aws, make_user,
                                                                       sandbox_home):
    alice = make_user("alice", mfa=True)
    app = Host(sandbox_service(sandbox_home), "alice", rotation_factory=no_wait_rotation)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert screen.stage == "code"
        assert aws.injector.calls("ListAccessKeys") == []  # nothing listed before the code
        await pilot.press("1", "2", "a", "3", "4", "5", "6")  # letters are refused
        await settle(app, pilot)
        assert screen.stage == "ready"
        sent = aws.injector.calls("GetSessionToken")[-1]
        assert sent.params["TokenCode"] == "123456"
        assert sent.params["SerialNumber"] == alice.serial
        assert "signed with a new MFA session" in text_of(app, "#plan")
        await pilot.click("#rotate")
        await settle(app, pilot)
        assert screen.stage == "done", text_of(app, "#outcome")
        session_key = screen.rotation.session.access_key_id
        assert session_key != alice.access_key_id
        assert aws.injector.calls("CreateAccessKey")[-1].access_key_id == session_key


async def test_rotation_screen_two_keys_offers_deleting_the_inactive_one(aws, make_user,
                                                                        sandbox_home):
    make_user("carol", mfa=False)
    other = make_user.iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]
    make_user.iam.update_access_key(UserName="carol", AccessKeyId=other, Status="Inactive")
    app = Host(sandbox_service(sandbox_home), "carol", rotation_factory=no_wait_rotation)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert screen.stage == "blocked"
        assert other in text_of(app, "#blocked")
        await pilot.press("r")  # not offered while blocked
        await settle(app, pilot)
        assert screen.stage == "blocked"
        await pilot.press("d")
        await settle(app, pilot)
        assert screen.stage == "ready"
        assert "1. delete the inactive key" in text_of(app, "#plan")
        await pilot.press("r")
        await settle(app, pilot)
        assert screen.stage == "done", text_of(app, "#outcome")
        assert "✓ delete the inactive key" in text_of(app, "#step-delete_inactive")


async def test_rotation_screen_shows_a_failed_step_and_the_key_to_act_on(aws, make_user,
                                                                        sandbox_home):
    carol = make_user("carol", mfa=False)
    aws.injector.add("DeleteAccessKey", code="AccessDenied", status=403, times=-1)
    app = Host(sandbox_service(sandbox_home), "carol", rotation_factory=no_wait_rotation)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        screen = app.screen
        assert screen.stage == "failed"
        assert "✗ delete the old key" in text_of(app, "#step-delete")
        assert carol.access_key_id in text_of(app, "#outcome")


async def test_rotation_screen_signs_with_the_valid_mfa_session_and_asks_one_code(
        aws, make_user, sandbox_home):
    """Issue 12: with an MFA session still valid, rotating needs no code; refreshing the
    stale session afterwards needs exactly one, and then f is no longer offered."""
    make_user("alice", mfa=True)
    service = sandbox_service(sandbox_home)
    service.refresh("alice", FixedCode(Secret("111111")))
    session_key = raw_config_parse(str(sandbox_home.credentials))["alice-mfa"][
        "aws_access_key_id"]
    codes_before = len(aws.injector.calls("GetSessionToken"))
    app = Host(service, "alice", rotation_factory=no_wait_rotation)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert screen.stage == "ready"  # no code asked for
        assert "alice-mfa" in text_of(app, "#plan")
        await pilot.press("r")
        await settle(app, pilot)
        assert screen.stage == "done"
        assert len(aws.injector.calls("GetSessionToken")) == codes_before
        for action in ("ListAccessKeys", "CreateAccessKey", "DeleteAccessKey"):
            assert {c.access_key_id for c in aws.injector.calls(action)} - {
                "AKIAADMINEXAMPLE0000"} == {session_key}, action
        assert "press f to refresh" in text_of(app, "#outcome")
        assert service.status()[0].entry.state.needs_refresh
        await pilot.press("f")
        await settle(app, pilot)
        await pilot.press(*"123456")
        await settle(app, pilot)
        assert "refreshed" in text_of(app, "#status")
        assert not service.status()[0].entry.state.needs_refresh
        new = raw_config_parse(str(sandbox_home.credentials))["alice"]["aws_access_key_id"]
        assert aws.injector.calls("GetSessionToken")[-1].access_key_id == new
        assert len(aws.injector.calls("GetSessionToken")) == codes_before + 1
        assert "press f" not in text_of(app, "#outcome")
        assert screen.check_action("refresh_session", ()) is False


async def test_keep_old_inactive_from_the_screen(aws, make_user, sandbox_home):
    carol = make_user("carol", mfa=False)
    app = Host(sandbox_service(sandbox_home), "carol", rotation_factory=no_wait_rotation)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        screen = app.screen
        assert screen.plan.keep_old_inactive
        assert "leave it inactive" in text_of(app, "#plan")
        await pilot.press("r")
        await settle(app, pilot)
        assert screen.stage == "done", text_of(app, "#outcome")
        assert "is inactive" in text_of(app, "#outcome")
    listed = make_user.iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]
    assert {k["AccessKeyId"]: k["Status"] for k in listed}[carol.access_key_id] == "Inactive"


async def test_screen_finishes_a_rotation_cut_off_before_its_verify(aws, make_user,
                                                                    sandbox_home):
    """A rotation killed after writing the new key: the TUI opens the rotation screen at
    start, which finishes it."""
    import os
    import subprocess
    import sys

    from tui.engine.rotation.journal import KILL_HOOK

    carol = make_user("carol", mfa=False)
    env = dict(os.environ, **{KILL_HOOK: "verify:running"})
    killed = subprocess.run([sys.executable, "-m", "tui", "rotate", "carol", "--yes"],
                            env=env, capture_output=True, timeout=120)
    assert killed.returncode < 0
    from tui.app.app import AwsMfaApp

    app = AwsMfaApp(sandbox_service(sandbox_home))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, RotationScreen) and app.screen.stage == "done"
        assert "was cut off; it was finished" in text_of(app, "#outcome")
    listed = make_user.iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]
    in_file = raw_config_parse(str(sandbox_home.credentials))["carol"]["aws_access_key_id"]
    assert [k["AccessKeyId"] for k in listed] == [in_file] != [carol.access_key_id]


async def test_q_does_not_quit_while_steps_run(aws, make_user, sandbox_home):
    make_user("carol", mfa=False)
    aws.injector.add("CreateAccessKey", delay=1.0, passthrough=True)
    app = Host(sandbox_service(sandbox_home), "carol", rotation_factory=no_wait_rotation)
    toasts = Toasts()
    async with app.run_test(size=SIZE, notifications=True, message_hook=toasts) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause(0.2)
        screen = app.screen
        assert screen.stage == "running"
        await pilot.press("q", "escape")
        await pilot.pause()
        assert app.is_running and app.screen is screen
        assert any("rotation is running" in toast for toast in toasts)
        await settle(app, pilot)
        assert screen.stage == "done"
        await pilot.press("q")  # after the steps, q quits as usual
        await pilot.pause()
        assert not app.is_running


async def test_ctrl_q_in_the_real_app_is_held_once_while_steps_run(aws, make_user, sandbox_home):
    from tui.app.app import AwsMfaApp

    make_user("carol", mfa=False)
    aws.injector.add("CreateAccessKey", delay=1.5, passthrough=True)
    service = sandbox_service(sandbox_home)
    app = AwsMfaApp(service)
    toasts = Toasts()
    async with app.run_test(size=SIZE, notifications=True, message_hook=toasts) as pilot:
        await app.push_screen(RotationScreen(service, "carol", rotation_factory=no_wait_rotation))
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause(0.2)
        assert app.screen.stage == "running"
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running
        assert any("rotation is running" in toast for toast in toasts)
        await pilot.press("ctrl+q")  # a second press leaves anyway
        await pilot.pause()
        assert not app.is_running


async def test_cut_off_rotation_of_a_removed_profile_is_reported_once(sandbox_home):
    """The journal names a profile that is gone (renamed or removed): the TUI says once
    which keys to check and closes the entry, instead of an error at every start."""
    from tui.app.app import AwsMfaApp
    from tui.app.widgets.log_panel import LogPanel
    from tui.engine.rotation.journal import RotationJournal

    service = sandbox_service(sandbox_home)
    journal = RotationJournal(sandbox_home.settings.parent / "rotation.log")
    journal.write("ghost", "begin", "running", "AKIAGHOSTOLD00000000",
                  known_keys=["AKIAGHOSTOLD00000000"])
    journal.write("ghost", "create", "done", "AKIAGHOSTOLD00000000", "AKIAGHOSTNEW00000000")
    seen = []
    for _start in range(2):
        app = AwsMfaApp(sandbox_service(sandbox_home))
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            seen.append(list(app.query_one(LogPanel).lines_written))
            assert not isinstance(app.screen, RotationScreen)
    first, second = seen
    assert any("ghost" in m and "AKIAGHOSTNEW00000000" in m for m in first)
    assert not any("ghost" in m for m in second)
    assert journal.unfinished() == []
    assert "ghost" not in {i.name for i in service.catalog().identities}


async def test_screen_names_the_key_when_a_cut_off_rotation_had_its_old_key_put_back(
        aws, make_user, sandbox_home):
    """Cut off right after the delete, with the deleted key put back in the file by another
    program: the screen must not stop at "AWS does not recognise the key" before the
    recovery, and the recovery names the new key (and deletes nothing)."""
    import pytest

    from tui.engine.rotation.plan import RotationStep, StepEvent, StepOutcome

    make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    before = sandbox_home.credentials.read_bytes()

    def put_back_and_die(event: StepEvent) -> None:
        if event.step is RotationStep.DELETE and event.outcome is StepOutcome.DONE:
            sandbox_home.credentials.write_bytes(before)
            raise KeyboardInterrupt

    rotation = no_wait_rotation(sandbox_service(sandbox_home), "carol")
    with pytest.raises(KeyboardInterrupt):
        rotation.run(rotation.plan(), on_step=put_back_and_die)
    aws.set_auth(False)
    (new_key,) = [k["AccessKeyId"] for k in
                  make_user.iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]]
    aws.set_auth(True)
    app = Host(sandbox_service(sandbox_home), "carol", rotation_factory=no_wait_rotation)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await settle(app, pilot)
        shown = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert new_key in shown and "put that key back" in shown, shown
    aws.set_auth(False)
    listed = make_user.iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [new_key]


async def test_an_unexpected_error_while_planning_ends_in_one_line_not_a_stuck_screen(
        sandbox_home):
    class BrokenRotation:
        """Signs with a valid session, then planning hits a bug whose text holds a secret."""

        def use_valid_session(self) -> bool:
            return True

        def unfinished(self) -> None:
            return None

        def plan(self, **_kwargs):
            raise RuntimeError("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

    app = Host(sandbox_service(sandbox_home), "carol",
               rotation_factory=lambda _service, _profile: BrokenRotation())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.screen.stage == "failed"
        assert text_of(app, "#outcome") == "unexpected RuntimeError"
