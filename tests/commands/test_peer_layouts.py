"""Zero-edit switching: each peer tool's credentials file, written the way that tool writes
it, is understood with no settings file, and our writes keep the peer's expiry key fresh."""

from __future__ import annotations

import json

from botocore.configloader import raw_config_parse

from tests.support.cli import run


def status(capsys) -> dict[str, dict]:
    code, out, err = run(capsys, "status", "--json")
    assert code == 0, err
    return {row["profile"]: row for row in json.loads(out)}


def write(sandbox, text: str) -> None:
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    sandbox.credentials.write_text(text)


SESSION = ("aws_access_key_id = ASIAOLDSESSION000000\naws_secret_access_key = oldsecret\n"
           "aws_session_token = oldtoken\n")


def test_aws_mfa_layout(aws, make_user, sandbox_home, capsys, monkeypatch):
    user = make_user("alice", write_profile=False)
    # aws-mfa 0.0.12: keys in [X-long-term], session in [X], naive UTC expiry.
    write(sandbox_home,
          f"[work-long-term]\naws_access_key_id = {user.access_key_id}\n"
          f"aws_secret_access_key = {user.secret_access_key}\n"
          f"aws_mfa_device = {user.serial}\n\n"
          f"[work]\nassumed_role = False\n{SESSION}"
          "aws_security_token = oldtoken\nexpiration = 2030-01-01 06:54:55\n")
    row = status(capsys)["work-long-term"]
    assert row["session_profile"] == "work" and row["layout"] == "aws-mfa"
    assert row["expiration"] == "2030-01-01T06:54:55Z" and row["state"] == "fresh"
    assert row["mfa_serial"] == user.serial
    monkeypatch.setenv("MFA_STS_DURATION", "1800")
    assert run(capsys, "refresh", "work-long-term", "--force", "--token-code", "123456")[0] == 0
    assert aws.injector.calls("GetSessionToken")[-1].params["DurationSeconds"] == "1800"
    section = raw_config_parse(str(sandbox_home.credentials))["work"]
    assert section["assumed_role"] == "False"
    assert section["aws_access_key_id"] != "ASIAOLDSESSION000000"
    # aws-mfa reads it with strptime("%Y-%m-%d %H:%M:%S").
    from datetime import datetime
    datetime.strptime(section["expiration"], "%Y-%m-%d %H:%M:%S")
    assert "work-long-term-mfa" not in raw_config_parse(str(sandbox_home.credentials))


def test_aws_mfa_device_from_environment(make_user, sandbox_home, capsys, monkeypatch):
    user = make_user("alice", write_profile=False)
    write(sandbox_home, f"[work-long-term]\naws_access_key_id = {user.access_key_id}\n"
                        f"aws_secret_access_key = {user.secret_access_key}\n")
    monkeypatch.setenv("MFA_DEVICE", "arn:aws:iam::123456789012:mfa/from-env")
    assert status(capsys)["work-long-term"]["mfa_serial"].endswith("mfa/from-env")


def test_awsmfa_layout(aws, make_user, sandbox_home, capsys):
    user = make_user("alice", write_profile=False)
    write(sandbox_home,
          f"[identity]\naws_access_key_id = {user.access_key_id}\n"
          f"aws_secret_access_key = {user.secret_access_key}\n\n"
          f"[default]\n{SESSION}awsmfa_expiration = 2030-01-01T06:00:00+00:00\n")
    row = status(capsys)["identity"]
    assert row["session_profile"] == "default" and row["layout"] == "awsmfa"
    assert row["expiration"] == "2030-01-01T06:00:00Z" and row["state"] == "fresh"
    assert run(capsys, "refresh", "identity", "--force", "--token-code", "123456")[0] == 0
    section = raw_config_parse(str(sandbox_home.credentials))["default"]
    assert section["awsmfa_expiration"].replace("+00:00", "Z") == section["expiration"]


def test_awsmfa_environment(make_user, sandbox_home, capsys, monkeypatch):
    user = make_user("alice", write_profile=False)
    write(sandbox_home, f"[me]\naws_access_key_id = {user.access_key_id}\n"
                        f"aws_secret_access_key = {user.secret_access_key}\n")
    monkeypatch.setenv("AWS_MFA_IDENTITY_PROFILE", "me")
    monkeypatch.setenv("AWS_MFA_TARGET_PROFILE", "mine")
    monkeypatch.setenv("AWS_MFA_SERIAL_NUMBER", "arn:aws:iam::123456789012:mfa/me")
    row = status(capsys)["me"]
    assert row["session_profile"] == "mine" and row["layout"] == "awsmfa"
    assert row["mfa_serial"] == "arn:aws:iam::123456789012:mfa/me"


def test_awsmfa_duration_from_environment(aws, make_user, sandbox_home, capsys, monkeypatch):
    user = make_user("alice", write_profile=False)
    write(sandbox_home, f"[identity]\naws_access_key_id = {user.access_key_id}\n"
                        f"aws_secret_access_key = {user.secret_access_key}\n")
    monkeypatch.setenv("AWS_MFA_DURATION", "7200")  # awsmfa's own variable for -d
    assert run(capsys, "refresh", "identity", "--token-code", "123456")[0] == 0
    assert aws.injector.calls("GetSessionToken")[-1].params["DurationSeconds"] == "7200"


def test_aws_cli_mfa_login_comment_expiry(aws, make_user, sandbox_home, capsys):
    user = make_user("alice", write_profile=False)
    write(sandbox_home,
          f"[work]\naws_access_key_id = {user.access_key_id}\n"
          f"aws_secret_access_key = {user.secret_access_key}\n\n"
          f"[work-mfa]\n# Credentials expire at: 2030-01-01 05:00:00 UTC\n{SESSION}")
    row = status(capsys)["work"]
    assert row["layout"] == "mfa-login" and row["expiration"] == "2030-01-01T05:00:00Z"
    assert run(capsys, "refresh", "work", "--force", "--token-code", "123456")[0] == 0
    text = sandbox_home.credentials.read_text()
    assert text.count("# Credentials expire at:") == 1
    assert "2030-01-01 05:00:00 UTC" not in text
    row = status(capsys)["work"]
    assert row["layout"] == "mfa-login" and row["state"] == "fresh"


def test_aws_cli_mfa_login_default_session_name(aws, make_user, sandbox_home, capsys):
    """`aws configure mfa-login` offers `session-<device name>` as the profile to update."""
    user = make_user("alice", write_profile=False)
    other = make_user("bob", write_profile=False)
    write(sandbox_home,
          f"[default]\naws_access_key_id = {user.access_key_id}\n"
          f"aws_secret_access_key = {user.secret_access_key}\n\n"
          f"[bob]\naws_access_key_id = {other.access_key_id}\n"
          f"aws_secret_access_key = {other.secret_access_key}\n\n"
          f"[session-alice]\n# Credentials expire at: 2030-01-01 05:00:00 UTC\n{SESSION}")
    sandbox_home.config.write_text(f"[default]\nmfa_serial = {user.serial}\n")
    rows = status(capsys)
    assert rows["default"]["session_profile"] == "session-alice"
    assert rows["default"]["layout"] == "mfa-login"
    assert rows["default"]["expiration"] == "2030-01-01T05:00:00Z"
    assert rows["bob"]["session_profile"] == "bob-mfa"
    assert run(capsys, "refresh", "default", "--force", "--token-code", "123456")[0] == 0
    assert "default-mfa" not in raw_config_parse(str(sandbox_home.credentials))


def test_aws_cli_mfa_login_any_name_with_one_identity(make_user, sandbox_home, capsys):
    """`--update-profile mytemp` names it anything: with one identity, it is its session."""
    user = make_user("alice", write_profile=False)
    write(sandbox_home,
          f"[default]\naws_access_key_id = {user.access_key_id}\n"
          f"aws_secret_access_key = {user.secret_access_key}\n\n"
          f"[mytemp]\n# Credentials expire at: 2030-01-01 05:00:00 UTC\n{SESSION}")
    row = status(capsys)["default"]
    assert row["session_profile"] == "mytemp" and row["layout"] == "mfa-login"


def test_aws_iam_login_layout(aws, make_user, sandbox_home, capsys):
    user = make_user("alice", write_profile=False)
    write(sandbox_home,
          f"[dev]\naws_access_key_id = {user.access_key_id}\n"
          f"aws_secret_access_key = {user.secret_access_key}\n"
          f"mfa_serial = {user.serial}\nusername = alice\n\n"
          f"[dev-sts]\n{SESSION}expiration = 2022-07-25 19:00:00+00:00\n")
    row = status(capsys)["dev"]
    assert row["session_profile"] == "dev-sts" and row["layout"] == "aws-iam-login"
    assert row["expiration"] == "2022-07-25T19:00:00Z" and row["mfa_serial"] == user.serial
    assert run(capsys, "refresh", "dev", "--token-code", "123456")[0] == 0
    section = raw_config_parse(str(sandbox_home.credentials))["dev-sts"]
    assert section["expiration"].endswith("+00:00") and " " in section["expiration"]
    assert "dev-mfa" not in raw_config_parse(str(sandbox_home.credentials))


def test_default_layout_unchanged(make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    row = status(capsys)["work"]
    assert row["session_profile"] == "work-mfa" and row["layout"] == "aws-mfa-tui"


def test_aws_mfa_suffix_beside_another_identity_keeps_default(make_user, sandbox_home, capsys):
    old = make_user("alice", write_profile=False)
    other = make_user("bob", write_profile=False)
    write(sandbox_home,
          f"[work-long-term]\naws_access_key_id = {old.access_key_id}\n"
          f"aws_secret_access_key = {old.secret_access_key}\n\n"
          f"[work]\naws_access_key_id = {other.access_key_id}\n"
          f"aws_secret_access_key = {other.secret_access_key}\n")
    rows = status(capsys)
    assert rows["work-long-term"]["session_profile"] == "work-long-term-mfa"
    assert rows["work-long-term"]["problem"] is None


def test_awsmfa_new_default_gets_identity_region(aws, make_user, sandbox_home, capsys):
    user = make_user("alice", write_profile=False)
    # awsmfa copies [identity] (region included) into a new [default].
    write(sandbox_home, f"[identity]\naws_access_key_id = {user.access_key_id}\n"
                        f"aws_secret_access_key = {user.secret_access_key}\n"
                        "region = eu-west-1\n")
    assert status(capsys)["identity"]["layout"] == "awsmfa"
    assert run(capsys, "refresh", "identity", "--token-code", "123456")[0] == 0
    section = raw_config_parse(str(sandbox_home.credentials))["default"]
    assert section["region"] == "eu-west-1" and "awsmfa_expiration" in section


def aws_cli(*argv: str, **env: str):
    """The real AWS CLI (awscli 1.x from the test extra), in a process of its own."""
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "awscli", *argv], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=60)


def test_session_profile_carries_its_identity_region(aws, make_user, sandbox_home, capsys,
                                                     monkeypatch):
    """`AWS_PROFILE=work-mfa aws ec2 ...` needs a region: the session section gets the
    identity's (from `[profile work]`), and a role's session its role's."""
    make_user("alice", profile="work")
    role_arn = make_user.iam.create_role(
        RoleName="Admin", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    sandbox_home.config.write_text(
        "[profile work]\nregion = eu-west-1\n\n"
        f"[profile admin]\nrole_arn = {role_arn}\nsource_profile = work\n"
        "region = ap-southeast-2\n")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    done = aws_cli("ec2", "describe-regions", "--output", "json", AWS_PROFILE="work-mfa")
    assert done.returncode == 0, done.stderr
    assert "eu-west-1" in done.stdout
    assert raw_config_parse(str(sandbox_home.credentials))["work-mfa"]["region"] == "eu-west-1"
    assert run(capsys, "assume", "admin")[0] == 0
    assert raw_config_parse(
        str(sandbox_home.credentials))["admin-session"]["region"] == "ap-southeast-2"


def test_session_profile_keeps_its_own_region(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    sandbox_home.config.write_text("[profile work]\nregion = eu-west-1\n")
    with open(sandbox_home.credentials, "a") as handle:
        handle.write("[work-mfa]\nregion = us-west-2\n")
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    assert raw_config_parse(str(sandbox_home.credentials))["work-mfa"]["region"] == "us-west-2"


def test_awsmfa_layout_defaults_to_six_hours_unless_settings_say(aws, make_user, sandbox_home,
                                                                  capsys):
    """awsmfa asks for 6 hours when told nothing; a `duration` in settings (even the
    12-hour default, written out) wins."""
    user = make_user("alice", write_profile=False)
    write(sandbox_home, f"[identity]\naws_access_key_id = {user.access_key_id}\n"
                        f"aws_secret_access_key = {user.secret_access_key}\n")
    assert run(capsys, "refresh", "identity", "--token-code", "123456")[0] == 0
    assert aws.injector.calls("GetSessionToken")[-1].params["DurationSeconds"] == "21600"
    from tui.engine.settings import Settings, load_settings, save_settings

    # The settings screen saves every field: an untouched duration stays unset.
    save_settings(Settings(path=sandbox_home.settings).with_values(duration=43200, lead_time=60))
    assert not load_settings(sandbox_home.settings).duration_set
    save_settings(load_settings(sandbox_home.settings).with_values(duration=7200))
    save_settings(load_settings(sandbox_home.settings).with_values(duration=43200))
    assert load_settings(sandbox_home.settings).duration_set
    assert run(capsys, "refresh", "identity", "--force", "--token-code", "234567")[0] == 0
    assert aws.injector.calls("GetSessionToken")[-1].params["DurationSeconds"] == "43200"


def test_watch_renews_an_aws_mfa_role_session_once(aws, make_user, sandbox_home, capsys,
                                                   monkeypatch):
    """[work] holds aws-mfa's role session, listed under its identity and as the role
    `work`: one pass of watch renews it once, as the role, with one code."""
    user = make_user("alice", write_profile=False)
    arn = "arn:aws:iam::123456789012:role/Admin"
    write(sandbox_home,
          f"[work-long-term]\naws_access_key_id = {user.access_key_id}\n"
          f"aws_secret_access_key = {user.secret_access_key}\naws_mfa_device = {user.serial}\n\n"
          f"[work]\nassumed_role = True\nassumed_role_arn = {arn}\n{SESSION}"
          "aws_security_token = oldtoken\nexpiration = 2020-01-01 06:54:55\n")
    rows = status(capsys)
    assert rows["work"]["kind"] == "role" and rows["work"]["state"] == "expired"
    monkeypatch.setenv("AWS_MFA_TOKEN_CODE", "123456")
    code, _, err = run(capsys, "watch", "--once")
    assert code == 0, err
    assert len(aws.injector.calls("AssumeRole")) == 1
    assert not aws.injector.calls("GetSessionToken")
    section = raw_config_parse(str(sandbox_home.credentials))["work"]
    assert section["assumed_role"] == "True" and section["assumed_role_arn"] == arn


def test_aws_cli_mfa_login_keeps_only_keys_it_rewrites(aws, make_user, sandbox_home, capsys):
    """mfa-login rewrites the keys, aws_session_token and its comment: an `expiration` or
    `aws_security_token` beside them would go stale, so none is written (and one already
    there is taken out), and the comment is the expiry read."""
    user = make_user("alice", write_profile=False)
    write(sandbox_home,
          f"[work]\naws_access_key_id = {user.access_key_id}\n"
          f"aws_secret_access_key = {user.secret_access_key}\n\n"
          f"[work-mfa]\n# Credentials expire at: 2030-01-01 05:00:00 UTC\n{SESSION}"
          "aws_security_token = oldtoken\nexpiration = 2029-01-01T00:00:00Z\n")
    assert status(capsys)["work"]["expiration"] == "2030-01-01T05:00:00Z"
    assert run(capsys, "refresh", "work", "--force", "--token-code", "123456")[0] == 0
    section = raw_config_parse(str(sandbox_home.credentials))["work-mfa"]
    assert "aws_security_token" not in section and "expiration" not in section
    assert status(capsys)["work"]["state"] == "fresh"
