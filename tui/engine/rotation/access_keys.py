"""Access keys as people see them: how old a key is, and one row per key for the rotation
table (the `rotate` command and the rotation screen render the same rows)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from tui.engine.aws.calls import AccessKeyInfo
from tui.engine.secret import mask_key_id

#: Keys older than this are flagged on the rotation screen and the main screen.
KEY_MAX_AGE_DAYS = 90


def key_age(created: datetime | None, now: datetime) -> timedelta | None:
    """How old a key is (never negative), or None when IAM gave no date."""
    if created is None:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return max(now - created, timedelta(0))


def is_key_old(created: datetime | None, now: datetime,
               max_age_days: int = KEY_MAX_AGE_DAYS) -> bool:
    """True for a key created more than `max_age_days` ago (the main screen flags these)."""
    age = key_age(created, now)
    return age is not None and age > timedelta(days=max_age_days)


def old_keys(keys: Iterable[AccessKeyInfo], now: datetime,
             max_age_days: int = KEY_MAX_AGE_DAYS) -> list[AccessKeyInfo]:
    """The keys older than `max_age_days`, e.g. from `SessionService.identity_details()`."""
    return [k for k in keys if is_key_old(k.created, now, max_age_days)]


def describe_age(created: datetime | None, now: datetime) -> str:
    age = key_age(created, now)
    if age is None:
        return "-"
    if age < timedelta(days=1):
        return "today"
    return f"{age.days} day" + ("" if age.days == 1 else "s")


def short_date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "-"


class KeyRow(NamedTuple):
    """One access key as the rotation table shows it (masked id, no secret)."""

    key_id: str
    masked: str
    status: str
    created: str
    age: str
    last_used: str
    #: "profile NAME", "profile NAME (new)" or "".
    note: str
    old: bool


def key_rows(keys: Iterable[AccessKeyInfo], profile: str, profile_key: str, now: datetime,
             states: dict[str, str] | None = None, new_key: str | None = None
             ) -> list[KeyRow]:
    """The rows of the key table. `states` overrides statuses after a rotation ({id:
    "deleted"}); `new_key` adds the rotation's new key as the profile's."""
    rows = []
    states = states or {}
    for key in keys:
        used = short_date(key.last_used)
        if key.last_used and key.last_used_service:
            used += f" ({key.last_used_service})"
        rows.append(KeyRow(
            key.access_key_id, mask_key_id(key.access_key_id),
            states.get(key.access_key_id, key.status), short_date(key.created),
            describe_age(key.created, now), used,
            f"profile {profile}" if key.access_key_id == profile_key and not new_key else "",
            is_key_old(key.created, now),
        ))
    if new_key:
        rows.append(KeyRow(new_key, mask_key_id(new_key), "Active", short_date(now), "new",
                           "-", f"profile {profile} (new)", False))
    return rows
