"""The test harness itself: the emulator answers real HTTP, faults look like AWS's own."""

from __future__ import annotations

import os

import boto3
import botocore.exceptions
import pytest


def _sts(url: str, key: str = "AKIAEXAMPLE000000000", secret: str = "x"):
    return boto3.client("sts", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)


def test_emulator_serves_sts_over_http(aws, make_user):
    user = make_user("bob")
    identity = _sts(aws.url, user.access_key_id, user.secret_access_key).get_caller_identity()
    assert identity["Arn"] == user.arn
    assert aws.injector.calls("GetCallerIdentity")[0].access_key_id == user.access_key_id


def test_fault_injector_answers_with_real_aws_error_xml(aws):
    aws.injector.add("GetSessionToken", code="AccessDenied",
                     message="MultiFactorAuthentication failed with invalid MFA one time pass code.")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        _sts(aws.url).get_session_token(SerialNumber="arn:aws:iam::123456789012:mfa/x",
                                        TokenCode="123456")
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    assert "invalid MFA" in caught.value.response["Error"]["Message"]
    # One fault, one answer: the next call reaches moto.
    assert _sts(aws.url).get_session_token()["Credentials"]["AccessKeyId"]


def test_signature_checking_can_be_switched_on(aws, make_user):
    user = make_user("carol", mfa=False)
    aws.set_auth(True)
    with pytest.raises(botocore.exceptions.ClientError):
        _sts(aws.url, "AKIANOTAREALKEY00000", "nope").get_caller_identity()
    assert _sts(aws.url, user.access_key_id, user.secret_access_key).get_caller_identity()


def test_sandbox_home_keeps_tests_away_from_real_aws(sandbox_home):
    assert os.environ["HOME"] == str(sandbox_home.home)
    assert os.environ["AWS_SHARED_CREDENTIALS_FILE"].startswith(str(sandbox_home.home))
    assert "AWS_PROFILE" not in os.environ
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
