"""A role whose MFA session has ended renews it with the identity's code source, whatever
verb hands out its credentials: env, exec, credential-process, console and assume.

alice (`work`) has an mfa_command; `prod` is assumed from her MFA session `work-mfa`,
which ended an hour ago, and `deploy` from `prod`, whose session ended too.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta

import pytest
from botocore.configloader import raw_config_parse

from tests.engine.test_console_signin import _Fake, fake  # noqa: F401 (a fixture)
from tests.support.app import add_config, add_session
from tests.support.cli import cli

CODE = "424242"


@pytest.fixture
def ended(aws, make_user, sandbox_home, tmp_path):
    user = make_user("alice", profile="work")
    aws.make_sessions_unique()
    arns = [make_user.iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")[
        "Role"]["Arn"] for name in ("Admin", "Deploy")]
    add_config(sandbox_home.config,
               f"[profile work]\nmfa_serial = {user.serial}\n\n"
               f"[profile prod]\nrole_arn = {arns[0]}\nsource_profile = work-mfa\n\n"
               f"[profile deploy]\nrole_arn = {arns[1]}\nsource_profile = prod")
    command = tmp_path / "code"
    command.write_text(f"#!/bin/sh\necho {CODE}\n")
    command.chmod(0o755)
    sandbox_home.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.settings.write_text(f'mfa_command = "{command}"\n')
    past = datetime.now(UTC) - timedelta(hours=1)
    add_session(sandbox_home.credentials, "work-mfa", past)
    add_session(sandbox_home.credentials, "prod-session", past)
    return sandbox_home


def assert_renewed_with_the_command(aws, sandbox, section: str, roles: int = 1) -> str:
    """One GetSessionToken with the command's code, then the roles; returns the key."""
    calls = aws.injector.calls("GetSessionToken")
    assert [c.params.get("TokenCode") for c in calls] == [CODE]
    assumed = aws.injector.calls("AssumeRole")
    assert len(assumed) == roles and all("TokenCode" not in c.params for c in assumed)
    return raw_config_parse(str(sandbox.credentials))[section]["aws_access_key_id"]


def test_env(aws, ended):
    done = cli("env", "prod", "--format", "json")
    assert done.returncode == 0, done.stderr
    key = assert_renewed_with_the_command(aws, ended, "prod-session")
    assert json.loads(done.stdout)["AWS_ACCESS_KEY_ID"] == key


def test_exec(aws, ended):
    done = cli("exec", "prod", "--", sys.executable, "-c",
               "import os; print(os.environ['AWS_ACCESS_KEY_ID'])")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == assert_renewed_with_the_command(aws, ended, "prod-session")


def test_credential_process(aws, ended):
    done = cli("credential-process", "prod")
    assert done.returncode == 0, done.stderr
    key = assert_renewed_with_the_command(aws, ended, "prod-session")
    assert json.loads(done.stdout)["AccessKeyId"] == key


def test_credential_process_up_a_two_role_chain(aws, ended):
    """deploy -> prod (ended) -> work-mfa (ended): both renewed, parents first."""
    done = cli("credential-process", "deploy")
    assert done.returncode == 0, done.stderr
    key = assert_renewed_with_the_command(aws, ended, "deploy-session", roles=2)
    assert json.loads(done.stdout)["AccessKeyId"] == key


def test_console(aws, ended, fake):  # noqa: F811 (the fixture)
    done = cli("console", "prod", "--print",
               env={**os.environ, "AWS_ENDPOINT_URL_SIGNIN": fake})
    assert done.returncode == 0, done.stderr
    key = assert_renewed_with_the_command(aws, ended, "prod-session")
    session = json.loads(_Fake.received[0]["Session"][0])
    assert session["sessionId"] == key
    assert done.stdout.startswith(fake + "/federation?")


def test_assume(aws, ended):
    done = cli("assume", "prod")
    assert done.returncode == 0, done.stderr
    assert_renewed_with_the_command(aws, ended, "prod-session")
