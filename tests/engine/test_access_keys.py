"""Access keys as people see them: ages, the 90-day flag, and the rotation table's rows
(masked ids, never a secret)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui.engine.aws.calls import AccessKeyInfo
from tui.engine.rotation.access_keys import (
    KEY_MAX_AGE_DAYS,
    describe_age,
    is_key_old,
    key_age,
    key_rows,
    old_keys,
)

NOW = datetime(2030, 6, 1, 12, tzinfo=UTC)
OLD_ID, NEW_ID, OTHER_ID = "AKIAOLDOLDOLDOLD0001", "AKIANEWNEWNEWNEW0002", "AKIAOTHEROTHER000003"


def _key(key_id: str, days: float | None, status: str = "Active",
         used: datetime | None = None, service: str | None = None) -> AccessKeyInfo:
    created = NOW - timedelta(days=days) if days is not None else None
    return AccessKeyInfo(key_id, status, created, used, service)


def test_a_key_s_age_is_never_negative_and_unknown_without_a_date():
    assert key_age(NOW - timedelta(days=3), NOW) == timedelta(days=3)
    assert key_age(NOW + timedelta(hours=1), NOW) == timedelta(0)  # clocks apart
    assert key_age(datetime(2030, 5, 31, 12), NOW) == timedelta(days=1)  # naive: UTC
    assert key_age(None, NOW) is None


def test_a_key_is_old_only_past_the_limit():
    limit = timedelta(days=KEY_MAX_AGE_DAYS)
    assert not is_key_old(NOW - limit, NOW) and is_key_old(NOW - limit - timedelta(seconds=1), NOW)
    assert not is_key_old(None, NOW) and is_key_old(NOW - timedelta(days=8), NOW, max_age_days=7)
    keys = [_key(OLD_ID, 200), _key(NEW_ID, 1), _key(OTHER_ID, None)]
    assert old_keys(keys, NOW) == [keys[0]]


def test_ages_in_words():
    assert describe_age(NOW - timedelta(hours=23), NOW) == "today"
    assert describe_age(NOW - timedelta(days=1), NOW) == "1 day"
    assert describe_age(NOW - timedelta(days=120), NOW) == "120 days"
    assert describe_age(None, NOW) == "-"


def test_the_rotation_table_rows():
    used = datetime(2030, 5, 30, tzinfo=UTC)
    keys = [_key(OLD_ID, 120, used=used, service="sts"), _key(OTHER_ID, None, "Inactive")]
    before = key_rows(keys, "work", OLD_ID, NOW)
    assert [(r.masked, r.status, r.age, r.last_used, r.note, r.old) for r in before] == [
        ("AKIA****0001", "Active", "120 days", "2030-05-30 (sts)", "profile work", True),
        ("AKIA****0003", "Inactive", "-", "-", "", False),
    ]
    after = key_rows(keys, "work", OLD_ID, NOW, states={OLD_ID: "deleted"}, new_key=NEW_ID)
    assert [(r.key_id, r.status, r.note) for r in after] == [
        (OLD_ID, "deleted", ""), (OTHER_ID, "Inactive", ""),
        (NEW_ID, "Active", "profile work (new)"),
    ]
    assert after[-1].created == "2030-06-01" and after[-1].age == "new"
