"""What a session section holds in each tool's layout: the keys written, in the peer's own
form, the keys taken out, and the expiry comment of `aws configure mfa-login`.

tests/commands/test_peer_layouts.py and test_peer_round_trips.py run the peers' real
programs over what we write; here each layout's section is checked on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tui.engine.credential_values import parse_expiration
from tui.engine.credentials_file.session_layouts import (
    AWS_IAM_LOGIN,
    AWS_MFA,
    AWSMFA,
    MFA_LOGIN,
    MFA_LOGIN_MARKER,
    session_section,
)

MOMENT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
KEYS = {"aws_access_key_id": "ASIAEXAMPLE", "aws_secret_access_key": "s",
        "aws_session_token": "t"}


def _section(layout, expiration=MOMENT, **kwargs):
    return session_section(layout, "ASIAEXAMPLE", "s", "t", expiration, **kwargs)


def test_ours_writes_both_token_keys_and_an_rfc3339_expiry():
    section = _section(None)
    assert section.values == {**KEYS, "aws_security_token": "t",
                              "expiration": "2030-01-02T03:04:05Z"}
    assert section.remove == () and section.comment is None


def test_aws_mfa_gets_its_own_expiry_form_and_role_keys():
    plain = _section(AWS_MFA)
    assert plain.values == {**KEYS, "aws_security_token": "t",
                            "expiration": "2030-01-02 03:04:05", "assumed_role": "False"}
    assert plain.remove == ("assumed_role_arn",)  # a plain session: no role left behind
    role = _section(AWS_MFA, role_arn="arn:aws:iam::1:role/Admin")
    assert role.values["assumed_role"] == "True"
    assert role.values["assumed_role_arn"] == "arn:aws:iam::1:role/Admin"
    assert role.remove == ()


def test_awsmfa_gets_its_own_expiry_key_beside_ours():
    section = _section(AWSMFA)
    assert section.values == {**KEYS, "expiration": "2030-01-02T03:04:05Z",
                              "awsmfa_expiration": "2030-01-02T03:04:05+00:00"}
    assert section.remove == ("aws_security_token",)


def test_aws_iam_login_gets_its_expiry_form_and_no_stale_token_key():
    section = _section(AWS_IAM_LOGIN)
    assert section.values == {**KEYS, "expiration": "2030-01-02 03:04:05+00:00"}
    assert section.remove == ("aws_security_token",)


def test_mfa_login_keeps_its_expiry_in_a_comment_only():
    section = _section(MFA_LOGIN)
    assert section.values == KEYS
    assert section.remove == ("aws_security_token", "expiration")
    assert section.comment == f"# {MFA_LOGIN_MARKER} 2030-01-02 03:04:05 UTC"


@pytest.mark.parametrize("layout", [None, AWS_MFA, AWSMFA, AWS_IAM_LOGIN])
@pytest.mark.parametrize("expiration", [
    MOMENT.replace(microsecond=987654),
    MOMENT.astimezone(timezone(timedelta(hours=9))),
])
def test_every_expiry_form_reads_back_as_the_same_utc_second(layout, expiration):
    values = _section(layout, expiration).values
    assert parse_expiration(values["expiration"]) == MOMENT
    if layout == AWSMFA:
        assert parse_expiration(values["awsmfa_expiration"]) == MOMENT


@pytest.mark.parametrize("layout", [None, AWS_MFA, AWSMFA, AWS_IAM_LOGIN, MFA_LOGIN])
def test_extra_keys_are_added_but_never_over_a_session_key(layout):
    section = _section(layout, extra={"region": "eu-west-1", "aws_session_token": "x"})
    assert section.values["region"] == "eu-west-1"
    assert section.values["aws_session_token"] == "t"
