"""Snapshots of the rotation screen's states, with a fixed clock and a scripted rotation.

Plain `def` tests (snap_compare runs its own loop), a fresh app each, 100x30. The engine is
replaced by `ScriptedRotation`, which answers with fixed keys and step events, so the
pictures never depend on moto's random key ids or the wall clock.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from textual.app import App
from textual.widgets import Input

from tests.support.app import settle
from tests.support.sandbox import sandbox_service
from tui.app.screens.rotation import RotationScreen
from tui.engine.aws.calls import AccessKeyInfo
from tui.engine.errors import RotationError
from tui.engine.mfa.codes import CodeRequest
from tui.engine.rotation.plan import (
    RotationPlan,
    RotationResult,
    RotationStep,
    StepEvent,
    StepOutcome,
)
from tui.engine.secret import mask_key_id

SIZE = (100, 30)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ARN = "arn:aws:iam::123456789012:user/alice"
OLD = "AKIA2OLDKEY000007Q3F"
OTHER = "AKIA5OTHERKEY0009ZK2"
NEW = "AKIA7NEWKEY00000M4XP"
SERIAL = "arn:aws:iam::123456789012:mfa/alice"
SIGNED = "a new MFA session (ASIA****R2D2)"

OLD_KEY = AccessKeyInfo(OLD, "Active", NOW - timedelta(days=131),
                        NOW - timedelta(hours=2), "sts")
OTHER_KEY = AccessKeyInfo(OTHER, "Inactive", NOW - timedelta(days=40),
                          NOW - timedelta(days=35), "s3")


def plan_for(keys=(OLD_KEY,), blocked=None, delete_first=False) -> RotationPlan:
    return RotationPlan(
        profile="alice", arn=ARN, user_name="alice", old_key_id=OLD, keys=tuple(keys),
        sections=("alice", "alice-ci"), stale_sessions=("alice-mfa",), signed_with=SIGNED,
        blocked=blocked, other_key=OTHER_KEY if len(keys) > 1 else None,
        delete_other_first=delete_first,
    )


DONE_EVENTS = [
    StepEvent(RotationStep.CHECK, StepOutcome.DONE),
    StepEvent(RotationStep.CREATE, StepOutcome.DONE, mask_key_id(NEW)),
    StepEvent(RotationStep.PERSIST, StepOutcome.DONE, "alice, alice-ci"),
    StepEvent(RotationStep.VERIFY, StepOutcome.DONE, f"signs in as {ARN} after 2 tries"),
    StepEvent(RotationStep.DEACTIVATE, StepOutcome.DONE, mask_key_id(OLD)),
    StepEvent(RotationStep.DELETE, StepOutcome.DONE, mask_key_id(OLD)),
    StepEvent(RotationStep.MARK_STALE, StepOutcome.DONE, "alice-mfa"),
]
RESULT = RotationResult(profile="alice", old_key_id=OLD, new_key_id=NEW,
                        sections=("alice", "alice-ci"), old_key_state="deleted",
                        stale_sessions=("alice-mfa",))


class ScriptedRotation:
    """Stands in for KeyRotation: fixed answers, events sent in order."""

    def __init__(self, plan=None, request=None, events=(), result=RESULT, error=None,
                 hold: threading.Event | None = None) -> None:
        self._plan = plan or plan_for()
        self.request = request
        self.events = list(events)
        self.result = result
        self.error = error
        self.hold = hold

    def code_request(self):
        return self.request

    def use_valid_session(self):
        return False

    def unfinished(self):
        return None

    def authenticate(self, source):
        return SIGNED

    def plan(self, delete_inactive=False, keep_old_inactive=False):
        if delete_inactive and self._plan.other_key is not None:
            return plan_for(self._plan.keys, delete_first=True)
        return self._plan

    def run(self, plan, on_step=None):
        for event in self.events:
            on_step(event)
        if self.hold is not None:
            self.hold.wait(5)  # the "running" picture is taken while this waits
        if self.error:
            raise RotationError(self.error)
        return self.result


class Host(App[None]):
    def __init__(self, service, rotation) -> None:
        super().__init__()
        self.service = service
        self.rotation = rotation

    def on_mount(self) -> None:
        self.push_screen(RotationScreen(self.service, "alice",
                                        rotation_factory=lambda svc, name: self.rotation))


def host(sandbox, rotation) -> Host:
    service = sandbox_service(sandbox, clock=lambda: NOW)
    return Host(service, rotation)


async def _settle(pilot) -> None:
    await settle(pilot.app, pilot)


def test_code_prompt(snap_compare, sandbox_home):
    app = host(sandbox_home, ScriptedRotation(request=CodeRequest("alice", SERIAL)))

    async def before(pilot):
        await _settle(pilot)
        pilot.app.screen.query_one("#code", Input).cursor_blink = False
        await pilot.press("1", "2", "3")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_plan_with_old_key_flagged(snap_compare, sandbox_home):
    app = host(sandbox_home, ScriptedRotation())
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_two_keys_blocked_offers_deleting_the_inactive_one(snap_compare, sandbox_home):
    blocked = (f"{ARN} already has two access keys; the other one ({OTHER}) is inactive "
               "and may be deleted first (--delete-inactive, or d on the rotation screen); "
               "nothing was changed")
    app = host(sandbox_home, ScriptedRotation(plan=plan_for((OLD_KEY, OTHER_KEY), blocked)))
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_steps_running(snap_compare, sandbox_home):
    hold = threading.Event()
    events = [*DONE_EVENTS[:3],
              StepEvent(RotationStep.VERIFY, StepOutcome.RUNNING, "not yet (2), retrying")]
    app = host(sandbox_home, ScriptedRotation(events=events, hold=hold))

    async def before(pilot):
        await _settle(pilot)
        await pilot.press("r")
        for _ in range(50):
            await pilot.pause(0.02)
            if "retrying" in pilot.app.export_screenshot():
                break

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=before)
    finally:
        hold.set()


async def _rotated(pilot) -> None:
    await _settle(pilot)
    await pilot.press("r")
    await _settle(pilot)


def test_done_offers_a_session_refresh(snap_compare, sandbox_home):
    app = host(sandbox_home, ScriptedRotation(events=DONE_EVENTS))
    assert snap_compare(app, terminal_size=SIZE, run_before=_rotated)


def test_failed_delete_names_the_key(snap_compare, sandbox_home):
    events = [*DONE_EVENTS[:5],
              StepEvent(RotationStep.DELETE, StepOutcome.RUNNING, mask_key_id(OLD)),
              StepEvent(RotationStep.DELETE, StepOutcome.FAILED,
                        "access denied for iam:DeleteAccessKey")]
    error = (f"the new key {NEW} is in the credentials file and works, but deleting the old "
             f"key failed (access denied for iam:DeleteAccessKey): the old key {OLD} is "
             "inactive; delete it in IAM")
    app = host(sandbox_home, ScriptedRotation(events=events, error=error))

    async def before(pilot):
        await _settle(pilot)
        await pilot.press("r")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_plan_fits_80_columns(snap_compare, sandbox_home):
    """Issue 12: the key table (all five columns) and the buttons fit 80 columns."""
    app = host(sandbox_home, ScriptedRotation(plan=plan_for((OLD_KEY, OTHER_KEY))))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settle)


def test_done_at_80_columns(snap_compare, sandbox_home):
    app = host(sandbox_home, ScriptedRotation(events=DONE_EVENTS))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_rotated)


def test_plan_at_60x20(snap_compare, sandbox_home):
    """Issue 22: the key notes under the table and the buttons in two columns, none cut."""
    app = host(sandbox_home, ScriptedRotation(plan=plan_for((OLD_KEY, OTHER_KEY))))
    assert snap_compare(app, terminal_size=(60, 20), run_before=_settle)


def test_done_at_60x20(snap_compare, sandbox_home):
    app = host(sandbox_home, ScriptedRotation(events=DONE_EVENTS))
    assert snap_compare(app, terminal_size=(60, 20), run_before=_rotated)
