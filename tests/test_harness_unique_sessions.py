"""The emulator's unique sessions: each STS session its own key, secret and token."""

from __future__ import annotations

import boto3


def sts(url, key, secret, token=None):
    return boto3.client("sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token)


def test_moto_alone_hands_out_one_session(aws, make_user):
    user = make_user()
    client = sts(aws.url, user.access_key_id, user.secret_access_key)
    first = client.get_session_token()["Credentials"]
    second = client.get_session_token()["Credentials"]
    assert first["AccessKeyId"] == second["AccessKeyId"]


def test_each_session_is_unique_and_still_works(aws, make_user):
    user = make_user(allow_all=True)
    aws.make_sessions_unique()
    client = sts(aws.url, user.access_key_id, user.secret_access_key)
    sessions = [client.get_session_token(SerialNumber=user.serial, TokenCode="123456")[
        "Credentials"] for _ in range(3)]
    assert len({s["AccessKeyId"] for s in sessions}) == 3
    assert len({s["SecretAccessKey"] for s in sessions}) == 3
    assert len({s["SessionToken"] for s in sessions}) == 3
    session = sessions[-1]
    as_session = sts(aws.url, session["AccessKeyId"], session["SecretAccessKey"],
                     session["SessionToken"])
    role = aws_role(make_user.iam, user)
    assumed = as_session.assume_role(RoleArn=role, RoleSessionName="tt")["Credentials"]
    as_role = sts(aws.url, assumed["AccessKeyId"], assumed["SecretAccessKey"],
                  assumed["SessionToken"])
    assert ":assumed-role/admin/tt" in as_role.get_caller_identity()["Arn"]
    assert aws.injector.calls("GetCallerIdentity")[-1].access_key_id == assumed["AccessKeyId"]


def aws_role(iam, user) -> str:
    import json
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "sts:AssumeRole"}]}
    return iam.create_role(RoleName="admin", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"]["Arn"]
