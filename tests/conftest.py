"""Shared fixtures: a real local AWS endpoint, a sandbox HOME, seeded IAM users, a clock
the test moves, and a fresh memory of used MFA codes for every test.

Every test runs with HOME, XDG_CONFIG_HOME, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE
and AWS_MFA_TUI_SETTINGS pointing into its own temp folder, and AWS_ENDPOINT_URL at the
local emulator, so no test can read or write a real ~/.aws or reach real AWS.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.app import MovableClock
from tests.support.aws_emulator import LocalAws
from tests.support.cli import cli
from tui.engine.mfa.sent_codes import SENT_CODES

#: An IAM policy that allows every IAM and STS call (`make_user(..., allow_all=True)`).
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:*", "sts:*"], "Resource": "*"}]})

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

_AWS_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "AWS_MFA_TOKEN_CODE",
    "AWS_CA_BUNDLE", "AWS_REGION", "AWS_DEFAULT_REGION", "SSH_ASKPASS", "AWS_MFA_TUI_SETTINGS",
    "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
)


@pytest.fixture(scope="session")
def local_aws() -> Iterator[LocalAws]:
    server = LocalAws().start()
    yield server
    server.stop()


@dataclass
class Sandbox:
    home: Path
    aws_dir: Path
    credentials: Path
    config: Path
    settings: Path


@pytest.fixture(autouse=True)
def sandbox_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    home = tmp_path / "home"
    aws_dir = home / ".aws"
    home.mkdir()
    for name in _AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    # The credentials file's known state: this test's own, never the developer's.
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    # Renewal locks and the codes sent: this test's own, not the developer's session's.
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(aws_dir / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws_dir / "config"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # Nothing here may reach real AWS: an unset endpoint points at a closed loopback port.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    return Sandbox(
        home=home,
        aws_dir=aws_dir,
        credentials=aws_dir / "credentials",
        config=aws_dir / "config",
        settings=home / ".config" / "aws-mfa-tui" / "settings.toml",
    )


@pytest.fixture
def aws(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalAws]:
    """The emulator, reset for this test, with AWS_ENDPOINT_URL pointing at it."""
    local_aws.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_aws.url)
    yield local_aws
    local_aws.injector.clear()


@dataclass
class IamUser:
    name: str
    arn: str
    account: str
    access_key_id: str
    secret_access_key: str
    serial: str | None
    profile: str


@pytest.fixture
def make_user(aws: LocalAws, sandbox_home: Sandbox):
    """Create an IAM user with a key (and a virtual MFA device) and an identity profile."""
    import boto3

    iam = boto3.client(
        "iam", endpoint_url=aws.url, region_name="us-east-1",
        aws_access_key_id="AKIAADMINEXAMPLE0000", aws_secret_access_key="admin",
    )

    def make(name: str = "alice", profile: str | None = None, mfa: bool = True,
             write_profile: bool = True, allow_all: bool = False) -> IamUser:
        user = iam.create_user(UserName=name)["User"]
        if allow_all:  # what key rotation needs (moto checks policies once auth is on)
            iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=ALLOW_ALL)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        serial = None
        if mfa:
            device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)
            serial = device["VirtualMFADevice"]["SerialNumber"]
            iam.enable_mfa_device(UserName=name, SerialNumber=serial,
                                  AuthenticationCode1="123456", AuthenticationCode2="654321")
        result = IamUser(
            name=name, arn=user["Arn"], account=user["Arn"].split(":")[4],
            access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"],
            serial=serial, profile=profile or name,
        )
        if write_profile:
            sandbox_home.aws_dir.mkdir(mode=0o700, exist_ok=True)
            with open(sandbox_home.credentials, "a") as handle:
                handle.write(
                    f"[{result.profile}]\naws_access_key_id = {result.access_key_id}\n"
                    f"aws_secret_access_key = {result.secret_access_key}\n\n"
                )
        return result

    make.iam = iam  # type: ignore[attr-defined]
    return make


@pytest.fixture(autouse=True)
def fresh_code_memory(sandbox_home: Sandbox) -> None:
    """The machine-wide memory of codes sent starts empty in every test (in-process runs
    would otherwise refuse a code an earlier test sent). It lives in the sandbox's own
    runtime folder, so child processes of this test share it and no other test's."""
    SENT_CODES.forget()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def bells(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the app's bells instead of ringing them."""
    from tui.app.app import AwsMfaApp

    rung: list[int] = []
    monkeypatch.setattr(AwsMfaApp, "bell", lambda self: rung.append(1))
    return rung


@pytest.fixture
def work(aws, make_user) -> IamUser:
    """alice's identity profile `work`, with a session made by the real command."""
    user = make_user("alice", profile="work")
    done = cli("refresh", "work", "--token-code", "123456")
    assert done.returncode == 0, done.stderr
    return user


@pytest.fixture
def utc_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC (for times shown as words and in snapshots)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
