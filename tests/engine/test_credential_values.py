"""The values credentials travel as: the expiry text, an STS session, keys to sign with."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone

import pytest
from botocore.configloader import raw_config_parse

from tui.engine.credential_values import (
    AwsKeys,
    SessionCredentials,
    format_expiration,
    is_long_term,
    parse_expiration,
)
from tui.engine.secret import Secret

MOMENT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(("moment", "text"), [
    (MOMENT, "2030-01-02T03:04:05Z"),
    (MOMENT.replace(microsecond=999999), "2030-01-02T03:04:05Z"),  # seconds, never rounded up
    (MOMENT.astimezone(timezone(timedelta(hours=-5))), "2030-01-02T03:04:05Z"),
    (MOMENT.replace(tzinfo=None), "2030-01-02T03:04:05Z"),  # naive: taken as UTC
])
def test_the_expiry_is_rfc3339_utc_with_a_z(moment, text):
    assert format_expiration(moment) == text


@pytest.mark.parametrize("text", [
    "2030-01-02T03:04:05Z",  # ours
    "2030-01-02t03:04:05z",
    "2030-01-02 03:04:05+00:00",  # aws-iam-login
    "2030-01-02 03:04:05",  # aws-mfa: UTC with no zone
    "2030-01-01T22:04:05-05:00",
    "  2030-01-02T03:04:05Z\t",
])
def test_every_peers_expiry_reads_back_as_the_same_utc_moment(text):
    moment = parse_expiration(text)
    assert moment == MOMENT and moment is not None and moment.tzinfo is UTC


@pytest.mark.parametrize("text", [None, "", "soon", "2030-13-01T00:00:00Z", "Z"])
def test_an_unreadable_expiry_is_none_not_an_error(text):
    assert parse_expiration(text) is None


def test_format_and_parse_round_trip():
    assert parse_expiration(format_expiration(MOMENT)) == MOMENT


def _session() -> SessionCredentials:
    return SessionCredentials("ASIAEXAMPLE", Secret("the-secret"), Secret("the-token"), MOMENT)


def test_a_session_section_holds_both_token_keys_and_botocore_reads_it(tmp_path):
    section = _session().as_section()
    assert section == {
        "aws_access_key_id": "ASIAEXAMPLE", "aws_secret_access_key": "the-secret",
        "aws_session_token": "the-token", "aws_security_token": "the-token",
        "expiration": "2030-01-02T03:04:05Z",
    }
    path = tmp_path / "credentials"
    path.write_text("[s]\n" + "".join(f"{k} = {v}\n" for k, v in section.items()))
    assert raw_config_parse(str(path))["s"] == section


def test_no_value_shows_its_secrets():
    session = _session()
    keys = AwsKeys.from_session("work", session)
    shown = repr(session) + str(session) + repr(keys) + f"{keys}"
    assert "the-secret" not in shown and "the-token" not in shown
    assert "ASIAEXAMPLE" in shown  # the key id is no secret
    with pytest.raises(TypeError):
        pickle.dumps(keys)


def test_keys_from_a_section_take_either_token_key():
    plain = AwsKeys.from_section("work", {"aws_access_key_id": "AKIA1",
                                          "aws_secret_access_key": "s"})
    assert plain.session_token is None and plain.profile == "work"
    assert plain.secret_access_key.reveal() == "s"
    older = AwsKeys.from_section("w", {"aws_access_key_id": "ASIA1",
                                       "aws_secret_access_key": "s",
                                       "aws_security_token": "old-style"})
    assert older.session_token is not None and older.session_token.reveal() == "old-style"
    both = AwsKeys.from_section("w", {"aws_session_token": "new", "aws_security_token": "old"})
    assert both.session_token is not None and both.session_token.reveal() == "new"
    assert both.access_key_id == "" and both.secret_access_key.reveal() == ""


def test_keys_from_a_session_sign_as_that_session():
    keys = AwsKeys.from_session("work-mfa", _session())
    assert keys.access_key_id == "ASIAEXAMPLE" and keys.profile == "work-mfa"
    assert keys.session_token is not None and keys.session_token.reveal() == "the-token"


def test_a_section_is_long_term_only_with_a_key_and_secret_and_no_session_token():
    assert is_long_term({"aws_access_key_id": "A", "aws_secret_access_key": "s"})
    assert not is_long_term({"aws_access_key_id": "A"})
    assert not is_long_term({"aws_access_key_id": "A", "aws_secret_access_key": "s",
                             "aws_session_token": "t"})
    assert not is_long_term({"aws_access_key_id": "A", "aws_secret_access_key": "s",
                             "aws_security_token": "t"})
