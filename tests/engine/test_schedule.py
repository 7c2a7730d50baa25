"""The refresh schedule: session states, the time left, and the countdown's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tui.engine.sessions.schedule import RefreshSchedule, SessionState, format_time_left

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("left", "state"), [
    (timedelta(hours=2), SessionState.FRESH),
    (timedelta(seconds=301), SessionState.FRESH),
    (timedelta(seconds=300), SessionState.EXPIRING),
    (timedelta(seconds=1), SessionState.EXPIRING),
    (timedelta(0), SessionState.EXPIRED),
    (timedelta(hours=-3), SessionState.EXPIRED),
])
def test_schedule_states(left, state):
    schedule = RefreshSchedule(lead_time=300, clock=lambda: NOW)
    entry = schedule.entry("work-mfa", NOW + left, lifetime=43200)
    assert entry.state is state
    assert entry.next_action_at == max(NOW, NOW + left - timedelta(seconds=300))


def test_schedule_without_session_and_with_error():
    schedule = RefreshSchedule(clock=lambda: NOW)
    assert schedule.entry("x", None).state is SessionState.NONE
    errored = schedule.entry("x", NOW + timedelta(hours=1), error="boom")
    assert errored.state is SessionState.ERROR and errored.error == "boom"


def test_fraction_left_uses_lifetime_and_is_clamped():
    schedule = RefreshSchedule(clock=lambda: NOW)
    assert schedule.entry("x", NOW + timedelta(hours=6), 43200).fraction_left == 0.5
    assert schedule.entry("x", NOW + timedelta(hours=20), 43200).fraction_left == 1.0
    assert schedule.entry("x", NOW - timedelta(hours=1), 43200).fraction_left == 0.0


def test_wall_clock_after_sleep():
    """A laptop that slept past the expiry sees EXPIRED on the next tick, not stale state."""
    clock = {"now": NOW}
    schedule = RefreshSchedule(clock=lambda: clock["now"])
    expires = NOW + timedelta(hours=1)
    assert schedule.entry("x", expires).state is SessionState.FRESH
    clock["now"] = NOW + timedelta(hours=8)
    assert schedule.entry("x", expires).state is SessionState.EXPIRED


def test_format_time_left():
    assert format_time_left(timedelta(hours=3, minutes=12, seconds=5)) == "3:12:05"
    assert format_time_left(timedelta(seconds=-61)) == "-0:01:01"
    assert format_time_left(None) == "-:--:--"
