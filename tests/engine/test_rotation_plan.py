"""A rotation's plan on its own (`rotation/plan.py`): which steps run for which
choices, and which key is the current one. The words a plan is shown in are in
tests/engine/test_rotation_text.py; rotations against the emulator in
tests/engine/test_rotation.py; the screen's drawing in
tests/snapshots/test_rotation_snapshots.py."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from datetime import UTC, datetime, timedelta

import pytest

from tui.engine.aws.calls import AccessKeyInfo
from tui.engine.rotation.plan import (
    RecoveryResult,
    RotationPlan,
    RotationResult,
    RotationStep,
    StepEvent,
)

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
OLD, OTHER = "AKIAOLDOLDOLD0000001", "AKIAOTHER00000000003"


def plan_for(other_status: str | None = None, **choices) -> RotationPlan:
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
    assert plan_for().steps() == [RotationStep.CHECK, *common, RotationStep.DELETE,
                                  RotationStep.MARK_STALE]
    kept = plan_for(keep_old_inactive=True).steps()
    assert RotationStep.DELETE not in kept and kept[-1] is RotationStep.MARK_STALE
    first = plan_for("Inactive", delete_other_first=True).steps()
    assert first[:2] == [RotationStep.CHECK, RotationStep.DELETE_INACTIVE]


def test_only_an_inactive_other_key_may_be_deleted_first():
    assert not plan_for().can_delete_other
    assert not plan_for("Active").can_delete_other
    assert plan_for("Inactive").can_delete_other
    assert not plan_for("Inactive", delete_other_first=True).can_delete_other  # chosen already
    assert plan_for("Inactive").other_is_inactive and not plan_for("Active").other_is_inactive


def test_the_current_key_is_the_one_the_file_holds():
    assert plan_for("Active").current_key.access_key_id == OLD
    assert RotationPlan("work", "arn", None, "AKIAGONE000000000000", (), (), (),
                        "the long-term key").current_key is None


def test_every_choice_at_once_deletes_the_other_first_and_keeps_the_old():
    assert plan_for("Inactive", delete_other_first=True, keep_old_inactive=True).steps() == [
        RotationStep.CHECK, RotationStep.DELETE_INACTIVE, RotationStep.CREATE,
        RotationStep.PERSIST, RotationStep.VERIFY, RotationStep.DEACTIVATE,
        RotationStep.MARK_STALE]


def test_each_step_is_told_by_a_label_of_its_own():
    labels = [step.label for step in RotationStep]
    # Two steps with one label would be one step under two names (an enum alias).
    assert len(labels) == len(RotationStep.__members__)
    assert all(label == label.strip() and "\n" not in label for label in labels)
    assert RotationStep.REMOVE_NEW.label == "delete the new key"


@pytest.mark.parametrize("kind", [RotationPlan, RotationResult, RecoveryResult, StepEvent])
def test_what_a_rotation_plans_and_reports_is_frozen_and_holds_no_secret(kind):
    names = [f.name for f in fields(kind)]
    assert not any("secret" in name or "token" in name for name in names)
    assert kind.__dataclass_params__.frozen


def test_a_plan_cant_be_changed_once_shown():
    with pytest.raises(FrozenInstanceError):
        plan_for().old_key_id = OTHER  # type: ignore[misc]
