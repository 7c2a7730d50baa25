"""Finishing a cut-off key rotation (`rotation/recovery.py`), decision by decision,
against the emulator: roll back when the file still holds the old active key, finish
when it holds the new one, refuse with one line otherwise; and the journal's cut-off
rotations of profiles that are gone (`close_abandoned`, `unfinished_profiles`).

Rotations are cut off here by a display callback that raises KeyboardInterrupt after a
step (a BaseException: the runner lets it through, as it would a SIGINT). Processes
killed at each step, end to end, are in tests/commands/test_rotation_crash.py; an old key
put back by another program in tests/engine/test_rotation_put_back.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.engine.test_rotation import credentials, iam_keys, service_for, sts_works
from tui.engine.errors import RotationError
from tui.engine.rotation.key_rotation import KeyRotation
from tui.engine.rotation.plan import RotationStep, StepEvent, StepOutcome
from tui.engine.rotation.recovery import close_abandoned, unfinished_profiles


def rotation_of(sandbox_home, profile: str = "carol") -> KeyRotation:
    return KeyRotation(service_for(sandbox_home), profile, sleep=lambda _s: None)


def cut_off_after(sandbox_home, step: RotationStep, **choices) -> KeyRotation:
    """Run a rotation of carol and cut it off once `step` is done."""
    def die(event: StepEvent) -> None:
        if event.step is step and event.outcome is StepOutcome.DONE:
            raise KeyboardInterrupt

    rotation = rotation_of(sandbox_home)
    plan = replace(rotation.plan(), **choices)
    with pytest.raises(KeyboardInterrupt):
        rotation.run(plan, on_step=die)
    assert rotation.unfinished() is not None
    return rotation


@pytest.fixture
def carol(aws, make_user):
    user = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    return user


def test_nothing_cut_off_is_nothing_to_finish(carol, sandbox_home):
    assert rotation_of(sandbox_home).finish_unfinished() is None


def test_a_new_key_whose_secret_never_reached_the_file_is_deleted(aws, make_user, carol,
                                                                   sandbox_home):
    cut_off_after(sandbox_home, RotationStep.CREATE)
    assert len(iam_keys(aws, make_user, "carol")) == 2
    aws.set_auth(True)
    events: list[StepEvent] = []
    result = rotation_of(sandbox_home).finish_unfinished(on_step=events.append)
    assert result is not None and result.rolled_back
    assert result.key_id == carol.access_key_id
    assert len(result.actions) == 1 and "deleted the new key" in result.actions[0]
    assert [e.step for e in events if e.outcome is StepOutcome.DONE] == [
        RotationStep.REMOVE_NEW, RotationStep.RECOVER]
    assert iam_keys(aws, make_user, "carol") == {carol.access_key_id: "Active"}
    assert credentials(sandbox_home)["carol"]["aws_access_key_id"] == carol.access_key_id
    assert rotation_of(sandbox_home).unfinished() is None


def test_a_key_made_since_the_begin_is_an_orphan_but_a_known_one_is_kept(
        aws, make_user, carol, sandbox_home):
    """Cut off between the begin and the journalled create: the new key's id was never
    written, so any key the begin didn't list, made since, is taken for it."""
    aws.set_auth(False)
    orphan = make_user.iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]
    rotation = rotation_of(sandbox_home)
    rotation.journal.write("carol", "begin", "running", carol.access_key_id,
                           known_keys=[carol.access_key_id])
    aws.set_auth(True)
    result = rotation.finish_unfinished()
    assert result is not None and result.rolled_back
    assert iam_keys(aws, make_user, "carol") == {carol.access_key_id: "Active"}
    assert orphan not in result.actions[0]  # masked

    aws.set_auth(False)
    known = make_user.iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]
    rotation.journal.write("carol", "begin", "running", carol.access_key_id,
                           known_keys=[carol.access_key_id, known])
    aws.set_auth(True)
    result = rotation.finish_unfinished()
    assert result is not None and result.actions == ()
    assert iam_keys(aws, make_user, "carol") == {carol.access_key_id: "Active",
                                                 known: "Active"}


def test_a_new_key_in_the_file_is_verified_then_the_old_one_retired(aws, make_user, carol,
                                                                     sandbox_home):
    cut_off_after(sandbox_home, RotationStep.PERSIST)
    new_key = credentials(sandbox_home)["carol"]["aws_access_key_id"]
    assert new_key != carol.access_key_id
    events: list[StepEvent] = []
    result = rotation_of(sandbox_home).finish_unfinished(on_step=events.append)
    assert result is not None and not result.rolled_back and result.key_id == new_key
    assert [e.step for e in events if e.outcome is StepOutcome.DONE] == [
        RotationStep.VERIFY, RotationStep.DEACTIVATE, RotationStep.DELETE,
        RotationStep.RECOVER]
    assert [a.split(" the ")[0] for a in result.actions] == ["verified", "deactivated",
                                                             "deleted"]
    assert iam_keys(aws, make_user, "carol") == {new_key: "Active"}
    aws.set_auth(True)
    assert not sts_works(aws, carol.access_key_id, carol.secret_access_key)


def test_a_key_verified_before_the_cut_is_not_verified_again(aws, make_user, carol,
                                                              sandbox_home):
    cut_off_after(sandbox_home, RotationStep.VERIFY)
    events: list[StepEvent] = []
    result = rotation_of(sandbox_home).finish_unfinished(on_step=events.append)
    assert result is not None and not result.rolled_back
    assert RotationStep.VERIFY not in {e.step for e in events}
    assert not any(a.startswith("verified") for a in result.actions)


def test_a_planned_inactive_old_key_is_left_inactive(aws, make_user, carol, sandbox_home):
    cut_off_after(sandbox_home, RotationStep.PERSIST, keep_old_inactive=True)
    result = rotation_of(sandbox_home).finish_unfinished()
    assert result is not None
    assert iam_keys(aws, make_user, "carol") == {carol.access_key_id: "Inactive",
                                                 result.key_id: "Active"}
    assert not any(a.startswith("deleted") for a in result.actions)


def test_an_old_key_put_back_after_its_deactivation_is_reported_once(aws, make_user, carol,
                                                                      sandbox_home):
    before = sandbox_home.credentials.read_bytes()
    cut_off_after(sandbox_home, RotationStep.DEACTIVATE, keep_old_inactive=True)
    sandbox_home.credentials.write_bytes(before)
    again = rotation_of(sandbox_home)
    with pytest.raises(RotationError) as caught:
        again.finish_unfinished()
    message = str(caught.value)
    assert "was inactive" in message and "(or activate the old key again)" in message
    assert "\n" not in message and carol.secret_access_key not in message
    assert again.unfinished() is None
    assert iam_keys(aws, make_user, "carol")[carol.access_key_id] == "Inactive"


def test_a_third_key_in_the_file_is_refused_and_the_journal_stays_open(
        aws, make_user, carol, sandbox_home):
    rotation = rotation_of(sandbox_home)
    rotation.journal.write("carol", "begin", "running", carol.access_key_id,
                           known_keys=[carol.access_key_id])
    rotation.journal.write("carol", "create", "done", carol.access_key_id,
                           "AKIAEXAMPLENEW000001")
    aws.set_auth(False)
    third = make_user.iam.create_access_key(UserName="carol")["AccessKey"]
    text = sandbox_home.credentials.read_text()
    sandbox_home.credentials.write_text(
        text.replace(carol.access_key_id, third["AccessKeyId"])
        .replace(carol.secret_access_key, third["SecretAccessKey"]))
    aws.set_auth(True)
    keys_before = iam_keys(aws, make_user, "carol")
    aws.set_auth(True)
    with pytest.raises(RotationError, match=r"neither its old key .* nor its new key") as caught:
        rotation_of(sandbox_home).finish_unfinished()
    assert third["AccessKeyId"] in str(caught.value) and "\n" not in str(caught.value)
    assert rotation_of(sandbox_home).unfinished() is not None
    assert iam_keys(aws, make_user, "carol") == keys_before


def test_iam_out_of_reach_leaves_it_for_the_next_run(aws, make_user, carol, sandbox_home):
    cut_off_after(sandbox_home, RotationStep.CREATE)
    aws.injector.add("ListAccessKeys", code="ServiceUnavailable", status=503, times=-1)
    with pytest.raises(RotationError, match=r"can't be finished now \(.*\): run rotate "
                                            r"again$"):
        rotation_of(sandbox_home).finish_unfinished()
    aws.injector.clear()
    assert rotation_of(sandbox_home).unfinished() is not None
    assert len(iam_keys(aws, make_user, "carol")) == 2  # nothing deleted blind


def test_a_cut_off_rotation_of_a_profile_gone_is_closed_and_reported_once(carol,
                                                                          sandbox_home):
    service = service_for(sandbox_home)
    rotation = rotation_of(sandbox_home)
    rotation.journal.write("gone", "begin", "running", "AKIAGONEOLD000000001")
    rotation.journal.write("gone", "create", "done", "AKIAGONEOLD000000001",
                           "AKIAGONENEW000000002")
    rotation.journal.write("carol", "begin", "running", carol.access_key_id)
    assert unfinished_profiles(service) == ["carol"]
    (line,) = close_abandoned(service)
    assert "gone is no longer a profile" in line and "\n" not in line
    assert "AKIAGONEOLD000000001 and AKIAGONENEW000000002" in line
    assert close_abandoned(service) == []
    assert [p.profile for p in rotation.journal.unfinished()] == ["carol"]
