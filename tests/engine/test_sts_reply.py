"""An STS reply is checked before anything is written: every rule on its own, each refusal
one line naming what is wrong and never a value.

tests/engine/test_hostile_replies.py sends such replies over HTTP from a server of the
tests' own, through the commands; here the checker is called with the parsed reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tui.engine.aws.sts_reply import MAX_TOKEN_BYTES, session_from_reply
from tui.engine.errors import AwsReplyError

NOW = datetime(2030, 1, 2, 3, 0, 0, tzinfo=UTC)
ACTION = "sts:GetSessionToken"
SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN"


def _reply(**changes: Any) -> dict[str, Any]:
    credentials = {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": SECRET,
                   "SessionToken": TOKEN, "Expiration": "2030-01-02T04:00:00Z"}
    for key, value in changes.items():
        if value is None:
            credentials.pop(key)
        else:
            credentials[key] = value
    return {"Credentials": credentials}


def _refusal(reply: Any, asked: int = 3600) -> str:
    with pytest.raises(AwsReplyError) as caught:
        session_from_reply(reply, ACTION, asked, NOW)
    line = str(caught.value)
    assert line.startswith(f"AWS sent a reply that can't be used: {ACTION}: ")
    assert line.endswith("; nothing was written") and "\n" not in line
    assert SECRET not in line and TOKEN not in line
    return line


def test_a_good_reply_is_a_session_with_its_secrets_wrapped():
    session = session_from_reply(_reply(), ACTION, 3600, NOW)
    assert session.access_key_id == "ASIAEXAMPLE"
    assert session.secret_access_key.reveal() == SECRET
    assert session.session_token.reveal() == TOKEN
    assert session.expiration == NOW + timedelta(hours=1)
    assert SECRET not in repr(session) and TOKEN not in repr(session)


@pytest.mark.parametrize("expiration", [
    "2030-01-02T04:00:00Z", "2030-01-02T04:00:00z", "2030-01-02T04:00:00+00:00",
    "2030-01-02T05:00:00+01:00", "2030-01-02T04:00:00",  # no zone: UTC
    datetime(2030, 1, 2, 4, tzinfo=UTC), datetime(2030, 1, 2, 4),
    datetime(2030, 1, 1, 23, tzinfo=timezone(timedelta(hours=-5))),
])
def test_the_expiration_may_come_as_text_or_a_date(expiration):
    session = session_from_reply(_reply(Expiration=expiration), ACTION, 3600, NOW)
    assert session.expiration == NOW + timedelta(hours=1)


@pytest.mark.parametrize(("reply", "says"), [
    (None, "it holds no credentials"),
    ("<html>captive portal</html>", "it holds no credentials"),
    ({"Credentials": "x"}, "it holds no credentials"),
    (_reply(AccessKeyId=None), "it has no access key id"),
    (_reply(SecretAccessKey=None), "it has no secret key"),
    (_reply(SessionToken=None), "it has no session token"),
    (_reply(SessionToken="   "), "its session token is empty"),
    (_reply(SecretAccessKey=42), "its secret key is empty"),
    (_reply(AccessKeyId="A" * 129), "its access key id is larger than 128 characters"),
    (_reply(SecretAccessKey="s" * 1025), "its secret key is larger than 1024 characters"),
    (_reply(SessionToken="t" * (MAX_TOKEN_BYTES + 1)), "its session token is larger than 64 KiB"),
    (_reply(SessionToken=TOKEN + "\n[default]"), "its session token holds spaces"),
    (_reply(SecretAccessKey=SECRET + " x"), "its secret key holds spaces"),
    (_reply(AccessKeyId="ASIAÉ"), "its access key id holds spaces, control or non-ASCII"),
    (_reply(Expiration=None), "it has no expiration"),
    (_reply(Expiration="tomorrow"), "its expiration is not a date"),
    (_reply(Expiration=""), "its expiration is not a date"),
    (_reply(Expiration=1893553200), "its expiration is not a date"),
])
def test_a_reply_that_breaks_a_rule_is_refused_saying_which(reply, says):
    assert says in _refusal(reply)


def test_a_session_already_over_is_refused_with_both_clocks():
    line = _refusal(_reply(Expiration="2030-01-02T03:00:00Z"))
    assert "already expired (2030-01-02T03:00:00Z" in line
    assert "this machine's clock says 2030-01-02T03:00:00Z" in line


def test_a_session_longer_than_asked_is_refused_beyond_five_minutes_of_slack():
    assert session_from_reply(_reply(Expiration="2030-01-02T04:05:00Z"), ACTION, 3600, NOW)
    line = _refusal(_reply(Expiration="2030-01-02T04:05:01Z"))
    assert "lasts until 2030-01-02T04:05:01Z, longer than the 3600 s asked for" in line
