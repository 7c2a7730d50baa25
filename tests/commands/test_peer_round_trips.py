"""Round trips with each peer's real program from PyPI: the peer, then `aws-mfa-tui refresh`,
then the peer again, against the emulator with every STS session unique (as on AWS).

After each step: botocore resolves the newest token in the file, our `status` reports the
expiry the file holds, the peer reports the state it finds, and a role session is still a
role session (GetCallerIdentity through the emulator says who the profile really is).
"""

from __future__ import annotations

import json
from datetime import datetime

import boto3
import botocore.session
import pytest
from botocore.configloader import raw_config_parse

from tests.support.cli import run
from tests.support.peer_tools import PeerTool, install_peers

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="session")
def peers(request, tmp_path_factory) -> dict[str, PeerTool]:
    """Installed once into pytest's cache (kept between runs), else a temp folder."""
    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("peer-tools") if cache else tmp_path_factory.mktemp("peer-tools")
    return install_peers(folder)


@pytest.fixture
def unique(aws):
    aws.make_sessions_unique()
    return aws


def section(sandbox, name: str) -> dict[str, str]:
    return raw_config_parse(str(sandbox.credentials))[name]


def resolved_token(profile: str) -> str:
    """The token botocore signs with for this profile."""
    credentials = botocore.session.Session(profile=profile).get_credentials()
    assert credentials is not None
    return credentials.get_frozen_credentials().token


def caller(profile: str) -> str:
    return boto3.Session(profile_name=profile).client("sts").get_caller_identity()["Arn"]


def status(capsys) -> dict[str, dict]:
    code, out, err = run(capsys, "status", "--json")
    assert code == 0, err
    return {row["profile"]: row for row in json.loads(out)}


def refresh(capsys, *argv: str) -> str:
    code, out, err = run(capsys, "refresh", *argv)
    assert code == 0, err
    return out + err


def long_term_keys(sandbox, name: str, user, extra: str = "") -> None:
    """The credentials file a peer's user starts from: one section of long-term keys."""
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    sandbox.credentials.write_text(
        f"[{name}]\naws_access_key_id = {user.access_key_id}\n"
        f"aws_secret_access_key = {user.secret_access_key}\n{extra}")


def peer_session_wins(sandbox, capsys, identity: str, name: str, ours: dict[str, str],
                      expiry_key: str) -> None:
    """After the peer ran again: its new token is the one botocore signs with, the profile
    is still the user (no role), and our status reads the peer's expiry."""
    theirs = section(sandbox, name)
    assert theirs["aws_session_token"] != ours["aws_session_token"]
    assert resolved_token(name) == theirs["aws_session_token"]
    assert ":assumed-role/" not in caller(name)  # moto names every user session `moto`
    row = status(capsys)[identity]
    assert row["expiration"] == datetime.fromisoformat(theirs[expiry_key]).strftime(
        "%Y-%m-%dT%H:%M:%SZ") and row["state"] == "fresh"


def ok(done) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_aws_mfa_round_trip(peers, unique, make_user, sandbox_home, capsys):
    user = make_user("alice", write_profile=False)
    long_term_keys(sandbox_home, "work-long-term", user, f"aws_mfa_device = {user.serial}\n")
    aws_mfa = peers["aws-mfa"]
    ok(aws_mfa.run("--profile", "work", code="111111"))
    peer_token = section(sandbox_home, "work")["aws_session_token"]
    row = status(capsys)["work-long-term"]
    assert (row["layout"], row["session_profile"], row["state"]) == ("aws-mfa", "work", "fresh")

    refresh(capsys, "work", "--force", "--token-code", "222222")
    ours = section(sandbox_home, "work")
    assert ours["aws_session_token"] not in (peer_token, None)
    assert ours["aws_security_token"] == ours["aws_session_token"]
    assert ours["assumed_role"] == "False" and "assumed_role_arn" not in ours
    assert resolved_token("work") == ours["aws_session_token"]
    # aws-mfa finds the session we wrote valid, and says so without writing.
    said = ok(aws_mfa.run("--profile", "work", code="333333"))
    assert "still valid" in said and "assumed role" not in said
    assert section(sandbox_home, "work") == ours

    ok(aws_mfa.run("--profile", "work", "--force", code="444444"))
    theirs = section(sandbox_home, "work")
    assert theirs["aws_session_token"] != ours["aws_session_token"]
    assert resolved_token("work") == theirs["aws_session_token"]
    row = status(capsys)["work-long-term"]
    stamp = datetime.strptime(theirs["expiration"], "%Y-%m-%d %H:%M:%S")
    assert row["expiration"] == stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ":assumed-role/" not in caller("work")  # moto names every user session `moto`


def test_aws_mfa_role_session_stays_a_role(peers, unique, make_user, sandbox_home, capsys):
    user = make_user("alice", write_profile=False)
    role_arn = make_user.iam.create_role(RoleName="Admin",
                                         AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    long_term_keys(sandbox_home, "work-long-term", user, f"aws_mfa_device = {user.serial}\n")
    aws_mfa = peers["aws-mfa"]
    ok(aws_mfa.run("--profile", "work", "--assume-role", role_arn, code="111111"))
    assert ":assumed-role/Admin/" in caller("work")
    rows = status(capsys)
    assert rows["work"]["kind"] == "role" and rows["work"]["role_arn"] == role_arn
    assert rows["work"]["layout"] == "aws-mfa"
    assert rows["work"]["identity"] == "work-long-term" and rows["work"]["state"] == "fresh"

    refresh(capsys, "work", "--force", "--token-code", "222222")
    ours = section(sandbox_home, "work")
    assert ours["assumed_role"] == "True" and ours["assumed_role_arn"] == role_arn
    datetime.strptime(ours["expiration"], "%Y-%m-%d %H:%M:%S")
    assert resolved_token("work") == ours["aws_session_token"]
    assert ":assumed-role/Admin/" in caller("work")
    assumed = unique.injector.calls("AssumeRole")[-1].params
    assert assumed["RoleArn"] == role_arn and assumed["DurationSeconds"] == "3600"
    assert assumed["SerialNumber"] == user.serial and not unique.injector.calls("GetSessionToken")
    # The identity name renews the same role session.
    refresh(capsys, "work-long-term", "--force", "--token-code", "333333")
    assert ":assumed-role/Admin/" in caller("work")
    ours = section(sandbox_home, "work")

    said = ok(aws_mfa.run("--profile", "work", "--assume-role", role_arn, code="444444"))
    assert "still valid" in said and f"with assumed role: {role_arn}" in said
    assert section(sandbox_home, "work") == ours
    ok(aws_mfa.run("--profile", "work", "--assume-role", role_arn, "--force", code="555555"))
    theirs = section(sandbox_home, "work")
    assert theirs["aws_session_token"] != ours["aws_session_token"]
    assert resolved_token("work") == theirs["aws_session_token"]
    assert ":assumed-role/Admin/" in caller("work")
    assert status(capsys)["work"]["kind"] == "role"


def test_aws_iam_login_round_trip(peers, unique, make_user, sandbox_home, capsys):
    user = make_user("alice", write_profile=False)
    long_term_keys(sandbox_home, "dev", user)
    login = peers["aws-iam-login"]
    ok(login.run("dev", "init"))
    ok(login.run("dev", code="111111"))
    peer_token = section(sandbox_home, "dev-sts")["aws_session_token"]
    row = status(capsys)["dev"]
    assert (row["layout"], row["session_profile"], row["state"]) == (
        "aws-iam-login", "dev-sts", "fresh")

    refresh(capsys, "dev", "--force", "--token-code", "222222")
    ours = section(sandbox_home, "dev-sts")
    assert ours["aws_session_token"] != peer_token
    assert "aws_security_token" not in ours  # aws-iam-login would leave it stale
    assert resolved_token("dev-sts") == ours["aws_session_token"]

    ok(login.run("dev", code="333333"))
    peer_session_wins(sandbox_home, capsys, "dev", "dev-sts", ours, "expiration")


def test_awsmfa_round_trip(peers, unique, make_user, sandbox_home, capsys):
    user = make_user("alice", write_profile=False)
    long_term_keys(sandbox_home, "identity", user, "region = eu-west-1\n")
    awsmfa = peers["awsmfa"]
    said = ok(awsmfa.run("--token-code", "111111"))
    assert "will expire in 5:59" in said  # awsmfa's own default: 6 hours
    peer_token = section(sandbox_home, "default")["aws_session_token"]
    row = status(capsys)["identity"]
    assert (row["layout"], row["session_profile"], row["state"]) == ("awsmfa", "default", "fresh")

    refresh(capsys, "identity", "--force", "--token-code", "222222")
    assert unique.injector.calls("GetSessionToken")[-1].params["DurationSeconds"] == "21600"
    ours = section(sandbox_home, "default")
    assert ours["aws_session_token"] != peer_token and ours["region"] == "eu-west-1"
    assert "aws_security_token" not in ours
    assert resolved_token("default") == ours["aws_session_token"]

    ok(awsmfa.run("--token-code", "333333"))
    peer_session_wins(sandbox_home, capsys, "identity", "default", ours, "awsmfa_expiration")


def aws_cli(*argv: str):
    """awscli 1.x's real `aws` (the test extra), in a process of its own."""
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "awscli", *argv], capture_output=True,
                          text=True, env=dict(os.environ), timeout=60)


def test_aws_configure_set_round_trip(unique, make_user, sandbox_home, capsys, monkeypatch):
    """Keys and region set with `aws configure set`, then us, then `aws configure set` again
    (it edits the files line by line, in place): our session survives and resolves."""
    user = make_user("alice", write_profile=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    for key, value in (("aws_access_key_id", user.access_key_id),
                       ("aws_secret_access_key", user.secret_access_key),
                       ("region", "eu-west-1")):
        ok(aws_cli("configure", "set", key, value, "--profile", "work"))
    assert status(capsys)["work"]["session_profile"] == "work-mfa"
    refresh(capsys, "work", "--token-code", "111111")
    ours = section(sandbox_home, "work-mfa")
    ok(aws_cli("configure", "set", "output", "json", "--profile", "work"))
    ok(aws_cli("configure", "set", "aws_mfa_device", user.serial, "--profile", "work"))
    assert section(sandbox_home, "work-mfa") == ours
    assert resolved_token("work-mfa") == ours["aws_session_token"]
    ok(aws_cli("sts", "get-caller-identity", "--profile", "work-mfa"))
    row = status(capsys)["work"]
    assert row["state"] == "fresh" and row["mfa_serial"] == user.serial


def test_peer_session_after_rotation_is_not_stale(peers, unique, make_user, sandbox_home,
                                                  capsys):
    """A rotation marks [dev-sts] stale; aws-iam-login then writes a new session and keeps
    our other lines: the mark must not outlive the session it was made for."""
    from tui.engine.credentials_file.store import CredentialsStore

    user = make_user("alice", write_profile=False)
    long_term_keys(sandbox_home, "dev", user)
    login = peers["aws-iam-login"]
    ok(login.run("dev", "init"))
    refresh(capsys, "dev", "--token-code", "111111")
    assert CredentialsStore(sandbox_home.credentials).mark_stale(["dev-sts"]) == ("dev-sts",)
    assert stale(sandbox_home, "dev") == "key-rotated"
    ok(login.run("dev", code="222222"))
    assert stale(sandbox_home, "dev") is None
    assert status(capsys)["dev"]["state"] == "fresh"


def stale(sandbox, identity: str) -> str | None:
    """What our engine makes of the section's stale mark (status and the TUI show it)."""
    from tui.engine.profiles.catalog import Paths
    from tui.engine.sessions.service import SessionService

    paths = Paths(sandbox.credentials, sandbox.config, sandbox.settings)
    return SessionService(paths).catalog().identity(identity).session.stale


def test_aws_mfa_configured_role_us_first(peers, unique, make_user, sandbox_home, capsys):
    """`assume_role = ARN` in [work-long-term] (aws-mfa's own setting): we make the role
    session aws-mfa would, so aws-mfa, run next, finds it valid."""
    user = make_user("alice", write_profile=False)
    role_arn = make_user.iam.create_role(RoleName="Admin",
                                         AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    long_term_keys(sandbox_home, "work-long-term", user,
                   f"aws_mfa_device = {user.serial}\nassume_role = {role_arn}\n")
    rows = status(capsys)
    assert rows["work"]["kind"] == "role" and rows["work"]["state"] == "no session"
    refresh(capsys, "work", "--token-code", "111111")
    assert ":assumed-role/Admin/" in caller("work")
    ours = section(sandbox_home, "work")
    said = ok(peers["aws-mfa"].run("--profile", "work", code="222222"))
    assert "still valid" in said and f"with assumed role: {role_arn}" in said
    assert section(sandbox_home, "work") == ours
    assert status(capsys)["work"]["state"] == "fresh"
