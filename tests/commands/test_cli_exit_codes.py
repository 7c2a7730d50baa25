"""Exit codes and messages: `watch --once` failing, `logout` of an unknown name, a missing
or empty credentials file, a section with a key id and no secret, and `assume ARN
--target X` remembered as a role."""

from __future__ import annotations

import os
import tomllib

from tests.support.cli import cli


def test_watch_once_exits_with_the_worst_code_and_promises_no_retry(aws, make_user):
    make_user("alice", profile="work")
    make_user("bob", profile="play")
    aws.injector.add("GetSessionToken", code="InvalidClientTokenId", status=403,
                     message="The security token included in the request is invalid.")
    env = dict(os.environ, AWS_MFA_TOKEN_CODE="123456")
    done = cli("watch", "--once", env=env)
    assert done.returncode == 5, done.stderr
    assert "retrying" not in done.stderr
    assert "work:" in done.stderr and "1 profile(s) failed; exit 5" in done.stderr
    assert "Traceback" not in done.stderr


def test_watch_once_with_nothing_failing_exits_0(aws, make_user):
    make_user("alice", profile="work")
    done = cli("watch", "--once", env=dict(os.environ, AWS_MFA_TOKEN_CODE="123456"))
    assert done.returncode == 0, done.stderr


def test_logout_of_an_unknown_profile_exits_2(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    before = sandbox_home.credentials.read_bytes()
    done = cli("logout", "nosuch")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "nosuch" in done.stderr
    assert sandbox_home.credentials.read_bytes() == before
    # A known identity with no session yet is not an error: there's just nothing to do.
    assert cli("logout", "work").returncode == 0


def test_a_missing_credentials_file_is_named_with_how_to_start(sandbox_home):
    for argv in (("status",), ("refresh",)):
        done = cli(*argv)
        assert str(sandbox_home.credentials) in done.stderr, done.stderr
        assert "aws configure --profile" in done.stderr
        assert "Traceback" not in done.stderr


def test_an_empty_credentials_file_is_named(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_text("")
    done = cli("status")
    assert f"{sandbox_home.credentials} has no profiles" in done.stderr


def test_a_key_id_without_a_secret_is_named(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_text("[work]\naws_access_key_id = AKIAEXAMPLE0000000\n")
    status = cli("status")
    assert "[work] has aws_access_key_id but no aws_secret_access_key" in status.stderr
    refresh = cli("refresh", "work", "--token-code", "123456")
    assert refresh.returncode == 2
    assert "[work] has aws_access_key_id but no aws_secret_access_key" in refresh.stderr


def test_assume_by_arn_is_remembered_as_a_role(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    arn = make_user.iam.create_role(RoleName="Deploy", AssumeRolePolicyDocument="{}")[
        "Role"]["Arn"]
    done = cli("assume", arn, "--profile", "work", "--target", "deployer",
               "--token-code", "123456")
    assert done.returncode == 0, done.stderr
    roles = tomllib.loads(sandbox_home.settings.read_text())["roles"]
    assert roles["deployer"] == {"role_arn": arn, "source_profile": "work",
                                 "target": "deployer"}
    status = cli("status", "--json")
    listed = {row["profile"]: row for row in __import__("json").loads(status.stdout)}
    assert listed["deployer"]["kind"] == "role" and listed["deployer"]["role_arn"] == arn
    assert listed["deployer"]["state"] == "fresh"
    # Kept fresh: named as a role, it is assumed again without the ARN.
    again = cli("assume", "deployer", "--token-code", "654321")
    assert again.returncode == 0, again.stderr
    assert len(aws.injector.calls("AssumeRole")) == 2
