"""Codes and secrets never leave in a message: AWS error texts that echo the request, usage
errors that would echo an argument, and the environment `exec` gives its child."""

from __future__ import annotations

import json
import os

import pytest
from botocore.configloader import raw_config_parse

from tests.support.cli import cli, run
from tui.engine.redaction import Redactor

CODE = "246813"


# ------------------------------------------------------------------ the redactor
@pytest.mark.parametrize("text", [
    f"Request rejected: TokenCode={CODE}",
    f"1 validation error detected: Value {CODE} at tokenCode failed to satisfy constraint",
    f"tokenCode '{CODE}' is invalid",
    f'"TokenCode": "{CODE}"',
    f"code:{CODE}.",
])
def test_the_code_is_removed_whatever_the_quoting(text):
    assert CODE not in Redactor([CODE])(text)
    assert CODE not in Redactor()(text)  # near the word "code", even when not told


def test_known_secrets_and_secret_like_runs_are_removed_but_not_ids_or_paths():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    token = "FwoGZXIvYXdzEBYaDExampleSessionToken" * 5
    redactor = Redactor([secret, token, "abc", None])
    text = (f"key AKIAIOSFODNN7EXAMPLE secret={secret} token {token[:60]}... "
            "in /home/alice/.aws/credentials for arn:aws:iam::123456789012:role/"
            "ARoleNameThatIsLongerThanFortyCharactersForSure account 123456789012, "
            "duration 129600, the abc of it (too short to hunt for)")
    scrubbed = redactor(text)
    assert secret not in scrubbed and token[:60] not in scrubbed
    for kept in ("AKIAIOSFODNN7EXAMPLE", "/home/alice/.aws/credentials", "123456789012",
                 "role/ARoleNameThatIsLongerThanFortyCharactersForSure", "129600", "abc"):
        assert kept in scrubbed


# ------------------------------------------------------------------ AWS echoing the request
ECHOES = [
    # (AWS error code, HTTP status, message, exit code)
    ("ValidationError", 400,
     f"1 validation error detected: Value {CODE} at tokenCode failed to satisfy constraint", 2),
    ("InvalidParameterValue", 400, f"Request rejected: TokenCode={CODE}, DurationSeconds=43200",
     2),
    ("InvalidAction", 400, f"Could not process TokenCode: {CODE} for SerialNumber", 5),
    ("InternalFailure", 500, f"while handling tokenCode={CODE}", 6),
]


@pytest.mark.parametrize(("aws_code", "status", "message", "exit_code"), ECHOES)
def test_aws_error_text_never_carries_the_code(aws, make_user, sandbox_home, capsys,
                                               aws_code, status, message, exit_code):
    make_user("alice", profile="work")
    aws.injector.add("GetSessionToken", code=aws_code, status=status, message=message,
                     times=-1)
    code, out, err = run(capsys, "refresh", "work", "--token-code", CODE)
    assert code == exit_code, err
    assert err.count("\n") == 1 and CODE not in err and out == ""


def test_aws_error_text_never_carries_the_secrets_of_the_call(aws, make_user, sandbox_home,
                                                              capsys):
    user = make_user("alice", profile="work")
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    session = raw_config_parse(str(sandbox_home.credentials))["work-mfa"]
    role = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")
    # AssumeRole chained from the MFA session: an error that echoes its token and secret.
    aws.injector.add("AssumeRole", code="InvalidAction", message=(
        f"bad request from {session['aws_secret_access_key']} with token "
        f"{session['aws_session_token']} (signed by {user.secret_access_key})"))
    code, _, err = run(capsys, "assume", role["Role"]["Arn"], "--profile", "work",
                         "--role-session-name", "sess")
    assert code == 5 and err.count("\n") == 1, err
    for secret in (session["aws_secret_access_key"], session["aws_session_token"],
                   session["aws_session_token"][:40], user.secret_access_key):
        assert secret not in err


# ------------------------------------------------------------------ usage errors
USAGE = [
    (["env", "work", "--token-code", "987654"], "unrecognized option --token-code", "env"),
    (["env", "work", "--token-code=987654"], "unrecognized option --token-code", "env"),
    (["env", "work", "987654"], "unexpected extra argument", "env"),
    (["env", "work", "--format", "987654"], "argument --format: invalid choice", "env"),
    (["refresh", "work", "--duration", "987654x"], "argument --duration: invalid int value",
     "refresh"),
    (["rotate", "work", "--yes=987654"], "argument --yes: takes no value", "rotate"),
    (["987654"], "unknown command", None),
    (["env"], "the following arguments are required: PROFILE", "env"),
    (["status", "--json", "--short"], "not allowed with argument --json", "status"),
]


@pytest.mark.parametrize(("argv", "says", "command"), USAGE)
def test_usage_errors_are_one_line_exit_2_and_never_echo_a_value(aws, capsys, argv, says,
                                                                 command):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("aws-mfa-tui: ")
    assert says in err
    hint = f"aws-mfa-tui {command} --help" if command else "aws-mfa-tui --help"
    assert err.rstrip().endswith(f"; see {hint}")
    assert "987654" not in err and "usage:" not in err


# ------------------------------------------------------------------ the child environment
CODES_IN_THE_ENVIRONMENT = {"AWS_MFA_TOKEN_CODE": "135790", "MFA_CODE": "135791",
                            "AWS_MFA_OTP": "135792", "TOTP_CODE": "135793"}


def test_exec_never_passes_a_code_to_the_child(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    # No session yet: exec refreshes with the code from the environment, then runs the child.
    env = dict(os.environ, **CODES_IN_THE_ENVIRONMENT)
    done = cli("exec", "work", "--", "sh", "-c", "cat /proc/$$/environ", env=env)
    assert done.returncode == 0, done.stderr
    child = dict(line.split("=", 1) for line in done.stdout.split("\0") if "=" in line)
    session = raw_config_parse(str(sandbox_home.credentials))["work-mfa"]
    assert child["AWS_ACCESS_KEY_ID"] == session["aws_access_key_id"]
    for name, value in CODES_IN_THE_ENVIRONMENT.items():
        assert name not in child and value not in done.stdout
    assert "AWS_SHARED_CREDENTIALS_FILE" in child  # the rest of the environment is kept


def test_env_output_never_carries_a_code(work):
    env = dict(os.environ, **CODES_IN_THE_ENVIRONMENT)
    for shell in ("sh", "fish", "powershell", "json"):
        done = cli("env", "work", "--format", shell, env=env)
        assert done.returncode == 0, done.stderr
        for value in CODES_IN_THE_ENVIRONMENT.values():
            assert value not in done.stdout + done.stderr
    variables = json.loads(cli("env", "work", "--format", "json", env=env).stdout)
    assert not any("CODE" in name for name in variables)
