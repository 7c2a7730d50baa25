"""Exit codes and messages: `watch --once` failing, `logout` of an unknown name, a missing
or empty credentials file, a section with a key id and no secret, and `assume ARN
--target X` remembered as a role."""

from __future__ import annotations

import os
import tomllib

import pytest

from tests.support.cli import cli, run


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


def _work_and_a_role(sandbox_home) -> None:
    sandbox_home.aws_dir.mkdir(exist_ok=True)
    sandbox_home.credentials.write_text(
        "[work]\naws_access_key_id = AKIAEXAMPLE0000000\naws_secret_access_key = s\n")
    sandbox_home.config.write_text(
        "[profile prod-admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\n"
        "source_profile = work-mfa\n")


@pytest.mark.parametrize(("argv", "accepted"), [
    (["refresh", "nosuch", "--token-code", "123456"], "identity profiles: work"),
    (["env", "nosuch"], "a role (prod-admin)"),
    (["credential-process", "nosuch"], "a role (prod-admin)"),
    (["exec", "nosuch", "--", "true"], "a role (prod-admin)"),
    (["rotate", "nosuch", "--yes"], "work"),
    (["init", "nosuch"], "identity profiles: work"),
    (["logout", "nosuch"], "not a role, an identity or a section"),
    (["status", "nosuch"], "not an identity, a session profile or a role"),
    (["assume", "nosuch"], "role profile (known: prod-admin)"),
    (["refresh", "work", "--duration", "5"], "900-129600 seconds"),
    (["env", "work", "--format", "zsh"], "choose from sh, fish, powershell, json"),
])
def test_an_unknown_name_or_bad_value_says_what_is_accepted_and_where_to_read(
        sandbox_home, capsys, argv, accepted):
    _work_and_a_role(sandbox_home)
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert accepted in err
    assert err.rstrip().endswith(f"; see aws-mfa-tui {argv[0]} --help"), err


@pytest.mark.parametrize("command", ["env", "credential-process"])
def test_env_and_credential_process_dont_call_an_unknown_name_an_identity(
        sandbox_home, capsys, command):
    _work_and_a_role(sandbox_home)
    code, _, err = run(capsys, command, "nosuch")
    assert code == 2
    assert "identity profile" not in err
    assert ("no profile `nosuch`: this takes an identity (work), its session profile "
            "(work-mfa), a role (prod-admin) or another session section") in err


@pytest.mark.parametrize("command", ["refresh", "assume prod-admin", "rotate", "init"])
def test_a_bogus_serial_number_gets_the_shape_message_before_any_call(
        aws, make_user, capsys, command):
    make_user("alice", profile="work")
    words = command.split()
    argv = [*words, *([] if len(words) > 1 else ["work"]), "--serial-number", "bogus"]
    code, out, err = run(capsys, *argv, "--token-code", "123456") if words[0] != "init" \
        else run(capsys, *argv)
    assert code == 2 and out == ""
    assert ("--serial-number must be an MFA device ARN (arn:aws:iam::123456789012:mfa/NAME) "
            "or a hardware token's serial") in err
    assert "invalid parameters" not in err
    assert err.rstrip().endswith(f"see aws-mfa-tui {words[0]} --help")


def test_watch_of_an_unknown_name_exits_2_instead_of_watching_nothing(sandbox_home):
    _work_and_a_role(sandbox_home)
    done = cli("watch", "nosuch", timeout=20)  # before: "watching no profiles", forever
    assert done.returncode == 2
    assert "no such profile: nosuch" in done.stderr
    assert done.stderr.rstrip().endswith("watch --help")


def test_watch_once_doesnt_say_ctrl_c_to_stop(aws, make_user):
    make_user("alice", profile="work")
    done = cli("watch", "--once", env=dict(os.environ, AWS_MFA_TOKEN_CODE="123456"))
    assert done.returncode == 0, done.stderr
    assert "checking work once" in done.stderr
    assert "Ctrl-C" not in done.stderr
