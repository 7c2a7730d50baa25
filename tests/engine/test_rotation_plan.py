"""A rotation's plan on its own, and the words it is shown in (`rotation/plan.py`,
`rotation/words.py`): which steps run for which choices, and lines that name keys only
masked. Rotations against the emulator are in tests/engine/test_rotation.py; the screen's
drawing in tests/snapshots/test_rotation_snapshots.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tui.engine.aws.calls import AccessKeyInfo
from tui.engine.rotation.plan import RecoveryResult, RotationPlan, RotationStep
from tui.engine.rotation.words import plan_lines, recovery_summary, sections_text

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
OLD, OTHER = "AKIAOLDOLDOLD0000001", "AKIAOTHER00000000003"


def _plan(other_status: str | None = None, **choices) -> RotationPlan:
    keys = [AccessKeyInfo(OLD, "Active", NOW - timedelta(days=131))]
    other = None
    if other_status:
        other = AccessKeyInfo(OTHER, other_status, NOW - timedelta(days=40))
        keys.append(other)
    return RotationPlan(
        profile="work", arn="arn:aws:iam::123456789012:user/alice", user_name="alice",
        old_key_id=OLD, keys=tuple(keys), sections=("work", "work-copy"),
        stale_sessions=("work-mfa",), signed_with="the long-term key", other_key=other,
        **choices)


def test_the_steps_follow_the_choices():
    common = [RotationStep.CREATE, RotationStep.PERSIST, RotationStep.VERIFY,
              RotationStep.DEACTIVATE]
    assert _plan().steps() == [RotationStep.CHECK, *common, RotationStep.DELETE,
                               RotationStep.MARK_STALE]
    kept = _plan(keep_old_inactive=True).steps()
    assert RotationStep.DELETE not in kept and kept[-1] is RotationStep.MARK_STALE
    first = _plan("Inactive", delete_other_first=True).steps()
    assert first[:2] == [RotationStep.CHECK, RotationStep.DELETE_INACTIVE]


def test_only_an_inactive_other_key_may_be_deleted_first():
    assert not _plan().can_delete_other
    assert not _plan("Active").can_delete_other
    assert _plan("Inactive").can_delete_other
    assert not _plan("Inactive", delete_other_first=True).can_delete_other  # chosen already
    assert _plan("Inactive").other_is_inactive and not _plan("Active").other_is_inactive


def test_the_current_key_is_the_one_the_file_holds():
    assert _plan("Active").current_key.access_key_id == OLD
    assert RotationPlan("work", "arn", None, "AKIAGONE000000000000", (), (), (),
                        "the long-term key").current_key is None


def test_the_plan_lines_name_keys_masked_and_every_section():
    lines = plan_lines(_plan("Inactive", delete_other_first=True))
    text = "\n".join(lines)
    assert lines[0] == "delete the inactive key AKIA****0003"
    assert "write it to [work], [work-copy] at once (locked, atomic)" in lines
    assert lines[-2] == "deactivate the old key AKIA****0001, then delete it"
    assert lines[-1].startswith("mark [work-mfa] stale")
    assert OLD not in text and OTHER not in text


def test_keeping_the_old_key_inactive_says_so():
    assert plan_lines(_plan(keep_old_inactive=True))[-2] == (
        "deactivate the old key AKIA****0001 and leave it inactive")


def test_a_plan_without_sessions_marks_none_stale():
    plan = replace(_plan(), stale_sessions=())
    assert not any(line.startswith("mark") for line in plan_lines(plan))


def test_the_recovery_summary_is_one_line():
    finished = recovery_summary(RecoveryResult("work", OTHER, False,
                                               ("deleted AKIA****0001", "marked [work-mfa]")))
    assert finished == ("a key rotation of work was cut off; it was finished: deleted "
                        "AKIA****0001; marked [work-mfa]. [work] holds AKIA****0003")
    undone = recovery_summary(RecoveryResult("work", OLD, True, ()))
    assert "it was undone: nothing was left to do" in undone and "\n" not in undone


def test_sections_are_named_as_the_file_writes_them():
    assert sections_text(["a", "profile b"]) == "[a], [profile b]"
    assert sections_text(()) == ""
