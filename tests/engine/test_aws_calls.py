"""The STS and IAM calls on their own, against the emulator: what each sends, what it
gives back, and how its failures read. A call that carries an MFA code is never sent twice.

The error lines themselves are in test_aws_errors.py; replies no real AWS sends are in
test_hostile_replies.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tui.engine.aws import calls as aws_calls
from tui.engine.aws.calls import DurationRejected
from tui.engine.credential_values import AwsKeys
from tui.engine.errors import AwsUnavailableError, MfaCodeError
from tui.engine.secret import Secret

CODE = Secret("246813")


@pytest.fixture
def alice(aws, make_user):
    user = make_user("alice", profile="work")
    return user, AwsKeys(user.access_key_id, Secret(user.secret_access_key), None, "work")


def test_a_session_token_is_asked_with_device_and_code_together_or_neither(aws, alice):
    user, keys = alice
    session = aws_calls.get_session_token(keys, 3600, user.serial, CODE)
    sent = aws.injector.calls("GetSessionToken")[-1]
    assert (sent.params["SerialNumber"], sent.params["TokenCode"]) == (user.serial, "246813")
    assert sent.params["DurationSeconds"] == "3600" and sent.access_key_id == user.access_key_id
    left = session.expiration - datetime.now(UTC)
    assert timedelta(minutes=58) < left <= timedelta(hours=1)
    aws_calls.get_session_token(keys, 3600, user.serial, None)  # a device but no code
    sent = aws.injector.calls("GetSessionToken")[-1]
    assert "SerialNumber" not in sent.params and "TokenCode" not in sent.params


def test_a_call_with_a_code_is_not_retried_and_one_without_is(aws, alice):
    user, keys = alice
    aws.injector.add("GetSessionToken", code="ServiceUnavailable", status=503,
                     message="Service is unavailable")
    with pytest.raises(AwsUnavailableError):
        aws_calls.get_session_token(keys, 3600, user.serial, CODE)
    assert len(aws.injector.calls("GetSessionToken")) == 1  # a code is used once
    aws.injector.add("GetSessionToken", code="ServiceUnavailable", status=503,
                     message="Service is unavailable")
    aws_calls.get_session_token(keys, 3600, None, None)
    assert len(aws.injector.calls("GetSessionToken")) == 3  # retried by botocore


def test_a_rejected_code_never_shows_in_the_error(aws, alice):
    user, keys = alice
    aws.injector.add("GetSessionToken", code="AccessDenied", status=403, message=(
        "MultiFactorAuthentication failed with invalid MFA one time pass code 246813."))
    with pytest.raises(MfaCodeError) as caught:
        aws_calls.get_session_token(keys, 3600, user.serial, CODE)
    assert "246813" not in str(caught.value)


@pytest.mark.parametrize(("action", "message", "allowed"), [
    ("GetSessionToken", "1 validation error detected: Value '200000' at 'durationSeconds' "
     "failed to satisfy constraint: Member must have value less than or equal to 129600",
     129600),
    ("AssumeRole", "The requested DurationSeconds exceeds the 1 hour session limit for roles "
     "assumed by role chaining.", 3600),
    ("AssumeRole", "The requested DurationSeconds exceeds the MaxSessionDuration set for this "
     "role.", None),
])
def test_a_duration_aws_refuses_says_what_it_allows(aws, alice, make_user, action, message,
                                                    allowed):
    _user, keys = alice
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws.injector.add(action, code="ValidationError", message=message)
    with pytest.raises(DurationRejected) as caught:
        if action == "GetSessionToken":
            aws_calls.get_session_token(keys, 200000, None, None)
        else:
            aws_calls.assume_role(keys, arn, "alice", 7200)
    assert caught.value.allowed == allowed and caught.value.asked in (200000, 7200)
    assert caught.value.exit_code == 2


def test_a_role_is_assumed_with_its_name_and_default_duration(aws, alice, make_user):
    _user, keys = alice
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    session = aws_calls.assume_role(keys, arn, "alice-session", None)
    sent = aws.injector.calls("AssumeRole")[-1]
    assert sent.params["RoleArn"] == arn and sent.params["RoleSessionName"] == "alice-session"
    assert "DurationSeconds" not in sent.params and "TokenCode" not in sent.params
    assert session.expiration - datetime.now(UTC) <= timedelta(hours=1)


def test_a_role_s_longest_session_is_only_a_hint(aws, alice, make_user):
    _user, keys = alice
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}",
                                    MaxSessionDuration=7200)["Role"]["Arn"]
    assert aws_calls.role_max_duration(keys, arn) == 7200
    other_account = arn.replace(arn.split(":")[4], "999999999999")
    assert aws_calls.role_max_duration(keys, other_account) is None  # same name, not it
    assert aws_calls.role_max_duration(keys, "arn:aws:iam::1:user/alice") is None
    aws.injector.add("GetRole", code="AccessDenied", status=403, message="no iam:GetRole")
    assert aws_calls.role_max_duration(keys, arn) is None  # refused: no error, no hint


def test_the_caller_and_aws_s_clock(aws, alice):
    user, keys = alice
    caller, server_time = aws_calls.caller_and_clock(keys)
    assert (caller.account, caller.arn, caller.user_name) == (user.account, user.arn, "alice")
    assert not caller.is_root
    assert server_time is not None and abs(server_time - datetime.now(UTC)) < timedelta(minutes=1)


def test_devices_and_keys_of_a_user(aws, alice):
    user, keys = alice
    devices = aws_calls.list_mfa_devices(keys, "alice")
    assert [d.serial for d in devices] == [user.serial] and devices[0].is_totp
    listed = aws_calls.list_access_keys(keys, "alice")
    assert [(k.access_key_id, k.status) for k in listed] == [(user.access_key_id, "Active")]
    # The key was just used (for these very calls): IAM says when and for what.
    assert listed[0].created is not None and listed[0].last_used is not None
    assert listed[0].last_used_service == "iam"
    asked = len(aws.injector.calls("GetAccessKeyLastUsed"))
    aws_calls.list_access_keys(keys, "alice", with_last_used=False)
    assert len(aws.injector.calls("GetAccessKeyLastUsed")) == asked


def test_a_key_never_used_has_no_service(aws, alice):
    _user, keys = alice
    never_used = (  # what IAM sends for a key that was never used
        '<GetAccessKeyLastUsedResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        "<GetAccessKeyLastUsedResult><UserName>alice</UserName><AccessKeyLastUsed>"
        "<Region>N/A</Region><ServiceName>N/A</ServiceName></AccessKeyLastUsed>"
        "</GetAccessKeyLastUsedResult><ResponseMetadata><RequestId>1</RequestId>"
        "</ResponseMetadata></GetAccessKeyLastUsedResponse>")
    aws.injector.add("GetAccessKeyLastUsed", status=200, body=never_used)
    key, = aws_calls.list_access_keys(keys, "alice")
    assert key.last_used is None and key.last_used_service is None
