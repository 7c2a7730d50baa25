"""The words the command line and the rotation screen show for a plan and for a
recovery (`rotation/words.py`): one line a step, key ids only masked, never a secret.
The plans themselves are in tests/engine/test_rotation_plan.py; the `rotate` command's
output in tests/commands/, the screen's drawing in
tests/snapshots/test_rotation_snapshots.py."""

from __future__ import annotations

from dataclasses import replace

from tests.engine.test_rotation_plan import OLD, OTHER, plan_for
from tui.engine.rotation.plan import RecoveryResult
from tui.engine.rotation.words import plan_lines, recovery_summary, sections_text


def test_the_plan_lines_name_keys_masked_and_every_section():
    lines = plan_lines(plan_for("Inactive", delete_other_first=True))
    text = "\n".join(lines)
    assert lines[0] == "delete the inactive key AKIA****0003"
    assert "write it to [work], [work-copy] at once (locked, atomic)" in lines
    assert lines[-2] == "deactivate the old key AKIA****0001, then delete it"
    assert lines[-1].startswith("mark [work-mfa] stale")
    assert OLD not in text and OTHER not in text


def test_keeping_the_old_key_inactive_says_so():
    assert plan_lines(plan_for(keep_old_inactive=True))[-2] == (
        "deactivate the old key AKIA****0001 and leave it inactive")


def test_a_plan_without_sessions_marks_none_stale():
    plan = replace(plan_for(), stale_sessions=())
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


def test_the_other_key_is_deleted_first_only_when_the_plan_has_one():
    assert plan_lines(plan_for(delete_other_first=True))[0] == "create a new access key"
    lines = plan_lines(plan_for("Inactive"))
    assert lines[0] == "create a new access key" and len(lines) == 5


def test_the_lines_hold_no_secret_whatever_the_plan_holds():
    plan = replace(plan_for("Inactive", delete_other_first=True, keep_old_inactive=True),
                   sections=("work",), stale_sessions=("a", "b"))
    lines = plan_lines(plan)
    assert lines == [
        "delete the inactive key AKIA****0003",
        "create a new access key",
        "write it to [work] at once (locked, atomic)",
        "check the new key works (up to 60 s)",
        "deactivate the old key AKIA****0001 and leave it inactive",
        "mark [a], [b] stale (refresh it afterwards)",
    ]


def test_a_summary_without_a_key_shows_a_dash():
    line = recovery_summary(RecoveryResult("work", "", True, ("x",)))
    assert line.endswith("it was undone: x. [work] holds -")
