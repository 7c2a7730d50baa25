"""The step runner a rotation and a recovery share (`rotation/steps.py`), on its own:
one step's shape (journalled, shown, failed with a one-line reason), a display callback
that can't break a run, marking sessions stale, verifying a new key with backoff against
the emulator, the words for a file that didn't keep a key, and masking ids for the log.

The runner runs for a real `KeyRotation` on the sandbox; whole rotations are in
tests/engine/test_rotation.py and tests/engine/test_rotation_put_back.py, recoveries in
tests/engine/test_rotation_recovery.py."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.engine.test_rotation import FakeTime, service_for
from tui.engine.credential_values import AwsKeys
from tui.engine.errors import AwsMfaError, RotationError
from tui.engine.rotation.key_in_file import FileLook
from tui.engine.rotation.key_rotation import KeyRotation
from tui.engine.rotation.plan import RotationStep, StepEvent, StepOutcome
from tui.engine.rotation.steps import StepRunner, give_up, mask_ids, reason_of
from tui.engine.secret import Secret

OLD, NEW = "AKIAOLDOLDOLD0000001", "AKIANEWNEWNEW0000002"


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def runner(sandbox_home, time) -> StepRunner:
    rotation = KeyRotation(service_for(sandbox_home), "carol", sleep=time.sleep,
                           monotonic=time.monotonic, hold_timeout=2.5)
    return StepRunner(rotation, "carol", OLD, None)


def journal(runner: StepRunner) -> list[tuple[str, str, str]]:
    return [(r["step"], r["outcome"], r.get("detail", ""))
            for r in runner.rotation.journal.records()]


def test_ids_are_masked_for_the_log_and_nothing_else_is():
    text = (f"keys {OLD}, ASIASESSION000000009, AKIA123456789012 and (AKIAABCDEFGHIJKLMNOP); "
            "AKIASHORT, XAKIAOLDOLDOLD0000001 and AKIDEXAMPLE0000000001 stay")
    assert mask_ids(text) == (
        "keys AKIA****0001, ASIA****0009, AKIA****9012 and (AKIA****MNOP); "
        "AKIASHORT, XAKIAOLDOLDOLD0000001 and AKIDEXAMPLE0000000001 stay")


def test_a_reason_is_one_line_of_ours_or_at_least_the_error_name():
    assert reason_of(AwsMfaError("first\nsecond")) == "first second"
    assert reason_of(RotationError("the new key signs in as x")) == \
        "the new key signs in as x"
    assert reason_of(ZeroDivisionError("1/0")) == \
        "the step failed unexpectedly: ZeroDivisionError"
    refused = ClientError({"Error": {"Code": "AccessDenied", "Message": "no\nway"}},
                          "DeleteAccessKey")
    assert reason_of(refused).startswith("access denied for the step")
    with pytest.raises(RotationError, match=r"^stop here$") as caught:
        give_up("stop here")
    assert caught.value.__suppress_context__


def test_a_step_is_journalled_and_shown_running_then_done(runner):
    events: list[StepEvent] = []
    runner.on_step = events.append
    assert runner.run_step(RotationStep.CREATE, lambda: 42, give_up, "detail",
                           done="made") == 42
    assert [(e.step, e.outcome, e.detail) for e in events] == [
        (RotationStep.CREATE, StepOutcome.RUNNING, "detail"),
        (RotationStep.CREATE, StepOutcome.DONE, "made")]
    assert journal(runner) == [("create", "running", "detail"), ("create", "done", "made")]


def test_a_failed_step_journals_the_reason_masked_and_gives_up_with_it_whole(runner):
    def fail() -> None:
        raise RotationError(f"IAM refused {NEW}")

    with pytest.raises(RotationError, match=f"^couldn't: IAM refused {NEW}$"):
        runner.run_step(RotationStep.DELETE, fail, lambda why: give_up(f"couldn't: {why}"))
    assert journal(runner) == [("delete", "running", ""),
                               ("delete", "failed", "IAM refused AKIA****0002")]


def test_a_failure_whose_handler_returns_counts_as_done(runner):
    reasons: list[str] = []

    def fail() -> int:
        raise AwsMfaError("already gone")

    assert runner.run_step(RotationStep.DELETE, fail, reasons.append) is None
    assert reasons == ["already gone"]
    assert [o for _, o, _ in journal(runner)] == ["running", "failed", "done"]


def test_a_display_that_breaks_or_is_hidden_never_stops_the_journal(runner):
    def broken(event: StepEvent) -> None:
        raise RuntimeError("the screen went away")

    runner.on_step = broken
    runner.report(RotationStep.CHECK, StepOutcome.RUNNING, "shown")
    shown: list[StepEvent] = []
    runner.on_step = shown.append
    runner.report(RotationStep.RECHECK, StepOutcome.DONE, "hidden", show=False, look="x")
    assert shown == []
    assert journal(runner) == [("check", "running", "shown"), ("recheck", "done", "hidden")]
    assert runner.rotation.journal.records()[-1]["look"] == "x"


def test_sessions_are_marked_stale_only_when_there_are_some(runner, sandbox_home):
    assert runner.mark_sessions_stale(()) == ()
    assert journal(runner) == [("mark_stale", "skipped", "no MFA session")]
    sandbox_home.credentials.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.credentials.write_text(
        "[carol-mfa]\naws_access_key_id = ASIASESSION000000009\n"
        "aws_secret_access_key = s\naws_session_token = t\n"
        "[carol]\naws_access_key_id = AKIAOLDOLDOLD0000001\naws_secret_access_key = s\n")
    assert runner.mark_sessions_stale(("carol-mfa", "carol")) == ("carol-mfa",)
    assert "stale = key-rotated" in sandbox_home.credentials.read_text()
    assert journal(runner)[-1] == ("mark_stale", "done", "carol-mfa")
    assert runner.notes == []


def test_sessions_that_cant_be_marked_leave_a_note_not_an_error(runner, sandbox_home):
    sandbox_home.credentials.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.credentials.write_text("[carol-mfa\naws_session_token = t\n")
    assert runner.mark_sessions_stale(("carol-mfa",)) == ()
    assert journal(runner)[-1][:2] == ("mark_stale", "failed")
    (note,) = runner.notes
    assert note.startswith("couldn't mark the MFA session stale (") and "refresh it" in note


def test_the_new_key_is_tried_with_backoff_until_it_works(aws, make_user, sandbox_home,
                                                          runner, time):
    user = make_user("carol", mfa=False, allow_all=True)
    runner.new, runner.new_secret = user.access_key_id, Secret(user.secret_access_key)
    arn = f"arn:aws:iam::123456789012:user/{user.name}"
    aws.injector.add("GetCallerIdentity", code="InvalidClientTokenId", status=403, times=3)
    assert runner.verify_with_backoff(arn, give_up) == 4
    assert time.sleeps == [1.0, 2.0, 4.0]
    assert [o for s, o, _ in journal(runner) if s == "verify"] == ["running"] * 3


def test_the_new_key_gives_up_at_the_deadline_or_at_once_on_the_wrong_user(
        aws, make_user, sandbox_home, runner, time):
    user = make_user("carol", mfa=False, allow_all=True)
    runner.new, runner.new_secret = user.access_key_id, Secret(user.secret_access_key)
    runner.rotation.verify_timeout = 5.0
    with pytest.raises(RotationError, match=r"^the new key signs in as .*, not arn:other$"):
        runner.check_new_key("arn:other")
    with pytest.raises(RotationError, match=r"didn't work after 1 tries: the new key signs "
                                            r"in as .*, not arn:other$"):
        runner.verify_with_backoff("arn:other", give_up)
    aws.injector.add("GetCallerIdentity", code="InvalidClientTokenId", status=403, times=-1)
    with pytest.raises(RotationError, match="didn't work after 4 tries"):
        runner.verify_with_backoff(f"arn:aws:iam::123456789012:user/{user.name}", give_up)
    assert time.sleeps == [1.0, 2.0, 2.0]


def test_the_signers_after_verifying_are_the_session_then_the_new_key(runner):
    runner.new, runner.new_secret = NEW, Secret("new-secret")
    (only,) = runner.after_verify()
    assert (only.access_key_id, only.profile) == (NEW, "carol (new key)")
    session = AwsKeys("ASIASESSION000000009", Secret("s"), Secret("t"))
    runner.rotation.session = session
    assert [k.access_key_id for k in runner.after_verify()] == [session.access_key_id, NEW]


def test_a_file_that_didnt_keep_the_key_is_said_in_one_line_per_cause(runner):
    def why(**look) -> str:
        return runner.not_kept(FileLook(**{"holding": (), "put_back": (), "others": (),
                                           **look}), OLD)

    assert why(readable=False) == "the credentials file couldn't be read for 2.5 s"
    assert why(put_back=("a", "b")) == (
        f"another program kept putting {OLD} back into [a], [b] of the credentials file "
        "for 2.5 s")
    assert why(holding=("a",)) == ("another program kept rewriting the credentials file "
                                   "for 2.5 s, so it couldn't be seen to keep [a]")
    assert why(holding=("a",), others=("b",)) == (
        "[b] of the credentials file were changed by another program")


def test_a_retired_key_not_kept_names_what_to_do_for_each_case(runner):
    runner.new = NEW

    def message(**look) -> str:
        found = FileLook(**{"holding": (), "put_back": (), "others": (), **look})
        with pytest.raises(RotationError) as caught:
            runner.retired_but_not_kept(found, "deleted")
        assert "\n" not in str(caught.value)
        return str(caught.value)

    assert message(holding=("a",), put_back=("b",)).endswith(
        f"[a] holds the new key {NEW}; copy it into [b] once that program stops")
    assert message(holding=("a",)).endswith(
        f"they hold the new key {NEW} now; stop that program and check they still do")
    assert "its secret is lost" in message(others=("a",))
    assert message(readable=False).startswith(f"the old key {OLD} is deleted in IAM, but")
