"""The command line against the local emulator: refresh, assume, status, logout, init, policy.

Commands run in-process through `tui.cli.main` (real argument parsing, real HTTP to moto,
real file writes); the error paths get AWS's own error XML from the fault injector.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.cli import read_credentials, run
from tui.cli import main


def expiry_of(sandbox, section: str) -> datetime:
    value = read_credentials(sandbox)[section]["expiration"]
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ------------------------------------------------------------------ refresh
def test_refresh_writes_session_and_keeps_the_rest_of_the_file(aws, make_user, sandbox_home,
                                                               capsys):
    user = make_user("alice", profile="work")
    before = sandbox_home.credentials.read_bytes()
    code, out, err = run(capsys, "refresh", "work", "--token-code", "123456")
    assert code == 0, err
    assert sandbox_home.credentials.read_bytes().startswith(before)
    section = read_credentials(sandbox_home)["work-mfa"]
    assert section["aws_session_token"] == section["aws_security_token"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", section["expiration"])
    left = expiry_of(sandbox_home, "work-mfa") - datetime.now(UTC)
    assert timedelta(hours=11, minutes=58) < left <= timedelta(hours=12)
    sent = aws.injector.calls("GetSessionToken")[-1]
    assert sent.params["TokenCode"] == "123456"
    assert sent.params["SerialNumber"] == user.serial
    assert sent.access_key_id == user.access_key_id
    assert "work-mfa updated" in err
    assert section["aws_secret_access_key"] not in err + out
    assert section["aws_session_token"] not in err + out


def test_fresh_session_is_skipped_unless_forced(aws, make_user, capsys):
    make_user("alice", profile="work")
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    code, _, err = run(capsys, "refresh", "work", "--token-code", "234567")
    assert code == 0 and "still fresh" in err
    assert len(aws.injector.calls("GetSessionToken")) == 1
    assert run(capsys, "refresh", "work", "--token-code", "234567", "--force")[0] == 0
    assert len(aws.injector.calls("GetSessionToken")) == 2


def test_code_and_duration_are_checked_before_any_call(aws, make_user, capsys):
    make_user("alice", profile="work")
    code, _, err = run(capsys, "refresh", "work", "--token-code", "12345")
    assert code == 4 and "6 digits" in err and "12345" not in err
    code, _, err = run(capsys, "refresh", "work", "--token-code", "123456", "--duration", "899")
    assert code == 2 and "900-129600" in err
    assert aws.injector.calls("GetSessionToken") == []


def test_a_code_is_never_sent_twice(aws, make_user, capsys):
    make_user("alice", profile="work")
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    code, _, err = run(capsys, "refresh", "work", "--token-code", "123456", "--force")
    assert code == 4 and "already used" in err
    assert len(aws.injector.calls("GetSessionToken")) == 1


def test_skip_gets_a_session_without_mfa(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    code, _, err = run(capsys, "refresh", "work", "--token-code", "skip")
    assert code == 0 and "no MFA" in err
    sent = aws.injector.calls("GetSessionToken")[-1]
    assert "TokenCode" not in sent.params and "SerialNumber" not in sent.params
    assert "work-mfa" in read_credentials(sandbox_home)


def test_code_from_environment(aws, make_user, capsys, monkeypatch):
    make_user("alice", profile="work")
    monkeypatch.setenv("AWS_MFA_TOKEN_CODE", "246810")
    assert run(capsys, "refresh", "work")[0] == 0
    assert aws.injector.calls("GetSessionToken")[-1].params["TokenCode"] == "246810"


def test_code_from_mfa_command_without_secrets_in_argv(aws, make_user, sandbox_home, capsys,
                                                       tmp_path):
    make_user("alice", profile="work")
    script = tmp_path / "fake-ykman"
    seen = tmp_path / "argv"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {seen}\necho 'Touch your key'\necho 135790\n")
    script.chmod(0o755)
    sandbox_home.settings.parent.mkdir(parents=True)
    sandbox_home.settings.write_text(f'[profiles.work]\nmfa_command = "{script} oath code"\n')
    assert run(capsys, "refresh", "work")[0] == 0
    assert aws.injector.calls("GetSessionToken")[-1].params["TokenCode"] == "135790"
    assert seen.read_text().strip() == "oath code"


def test_no_code_source_is_one_clear_line(aws, make_user, capsys):
    make_user("alice", profile="work")
    code, _, err = run(capsys, "refresh", "work")
    assert code == 4
    assert err.count("\n") == 1 and "--token-code" in err
    assert aws.injector.calls("GetSessionToken") == []


def test_refresh_all_identities_by_default(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    make_user("bob", profile="home", mfa=False)
    code, _, err = run(capsys, "refresh", "--token-code", "skip")
    assert code == 0, err
    assert {"work-mfa", "home-mfa"} <= set(read_credentials(sandbox_home))


def test_session_target_with_long_term_keys_is_never_overwritten(aws, make_user, sandbox_home,
                                                                  capsys):
    make_user("alice", profile="work")
    make_user("bob", profile="work-mfa", mfa=False)
    before = sandbox_home.credentials.read_bytes()
    code, _, err = run(capsys, "refresh", "work", "--token-code", "123456")
    assert code == 2 and "long-term keys" in err
    assert sandbox_home.credentials.read_bytes() == before


def test_naming_template_for_aws_mfa_layout(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work-long-term")
    sandbox_home.settings.parent.mkdir(parents=True)
    sandbox_home.settings.write_text('session_name = "{profile}"\nstrip_suffix = "-long-term"\n')
    assert run(capsys, "refresh", "work-long-term", "--token-code", "123456")[0] == 0
    assert "aws_session_token" in read_credentials(sandbox_home)["work"]


# ------------------------------------------------------------------ errors, one line each
ERRORS = [
    ("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.",
     400, 4, "next 30-second code"),
    ("AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code. Please "
     "verify your MFA serial number is valid and associated with this user.", 403, 5,
     "mfa_serial"),
    ("InvalidClientTokenId", "The security token included in the request is invalid.", 403, 5,
     "does not recognise the access key"),
    ("AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
     "sts:GetSessionToken", 403, 5, "sts:GetSessionToken"),
    ("Throttling", "Rate exceeded", 400, 6, "throttling"),
    ("RequestExpired", "Request has expired.", 400, 6, "clock"),
    ("SignatureDoesNotMatch", "The request signature we calculated does not match", 403, 5,
     "secret key"),
    ("ServiceUnavailable", "Service is unavailable", 503, 6, "server error"),
]


@pytest.mark.parametrize(("aws_code", "message", "status", "exit_code", "says"), ERRORS)
def test_aws_errors_become_one_line_with_the_fix(aws, make_user, sandbox_home, capsys,
                                                 aws_code, message, status, exit_code, says):
    make_user("alice", profile="work")
    before = sandbox_home.credentials.read_bytes()
    aws.injector.add("GetSessionToken", code=aws_code, message=message, status=status, times=-1)
    code, out, err = run(capsys, "refresh", "work", "--token-code", "864209")
    assert code == exit_code
    assert err.count("\n") == 1 and "Traceback" not in err
    assert says.lower() in err.lower()
    assert "864209" not in err and out == ""
    assert sandbox_home.credentials.read_bytes() == before
    # A call carrying a one-time code is never retried: the code would be sent twice.
    assert len(aws.injector.calls("GetSessionToken")) == 1


def test_unreachable_endpoint(make_user, aws, capsys, monkeypatch):
    make_user("alice", profile="work")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    code, _, err = run(capsys, "refresh", "work", "--token-code", "123456")
    assert code == 6 and "can't reach AWS" in err and err.count("\n") == 1


def test_throttled_call_without_a_code_is_retried(aws, make_user, capsys):
    make_user("alice", profile="work")
    aws.injector.add("GetCallerIdentity", code="Throttling", message="Rate exceeded", times=1)
    code, _, err = run(capsys, "refresh", "work", "--token-code", "123456")
    assert code == 0, err
    assert len(aws.injector.calls("GetCallerIdentity")) == 2


def test_broken_credentials_file_is_refused_and_untouched(aws, sandbox_home, capsys):
    sandbox_home.aws_dir.mkdir()
    broken = b"[work]\naws_access_key_id = A\naws_secret_access_key = B\n[work]\nx = 1\n"
    sandbox_home.credentials.write_bytes(broken)
    code, _, err = run(capsys, "refresh", "work", "--token-code", "123456")
    assert code == 3 and "line 4" in err and err.count("\n") == 1
    assert sandbox_home.credentials.read_bytes() == broken


def test_unknown_profile(aws, make_user, capsys):
    make_user("alice", profile="work")
    code, _, err = run(capsys, "refresh", "nope", "--token-code", "123456")
    assert code == 2 and "nope" in err and "work" in err


# ------------------------------------------------------------------ roles
def _role(make_user, name: str = "Admin") -> str:
    # 12 hours: the longest a role allows (AWS's default, 1 hour, would cap the durations
    # asked for here; see test_duration_negotiation.py)
    return make_user.iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}",
                                     MaxSessionDuration=43200)["Role"]["Arn"]


def test_assume_chained_from_session_needs_no_code_and_is_capped(aws, make_user, sandbox_home,
                                                                 capsys):
    make_user("alice", profile="work")
    arn = _role(make_user)
    sandbox_home.config.write_text(f"[profile prod]\nrole_arn = {arn}\nsource_profile = work-mfa\n")
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    code, _, err = run(capsys, "assume", "prod", "--duration", "7200")
    assert code == 0, err
    assert "1 hour" in err
    call = aws.injector.calls("AssumeRole")[-1]
    assert call.params["DurationSeconds"] == "3600" and "TokenCode" not in call.params
    assert call.params["RoleSessionName"] == "alice"
    session_key = read_credentials(sandbox_home)["work-mfa"]["aws_access_key_id"]
    assert call.access_key_id == session_key
    assert "aws_session_token" in read_credentials(sandbox_home)["prod-session"]


def test_assume_from_long_term_keys_with_a_code(aws, make_user, sandbox_home, capsys):
    user = make_user("alice", profile="work")
    arn = _role(make_user)
    sandbox_home.config.write_text(
        f"[profile prod]\nrole_arn = {arn}\nsource_profile = work\nduration_seconds = 7200\n"
    )
    code, _, err = run(capsys, "assume", "prod", "--token-code", "123456")
    assert code == 0, err
    call = aws.injector.calls("AssumeRole")[-1]
    assert call.params["TokenCode"] == "123456" and call.params["SerialNumber"] == user.serial
    assert call.params["DurationSeconds"] == "7200"
    assert call.access_key_id == user.access_key_id


def test_assume_role_by_arn(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    arn = _role(make_user, "ReadOnly")
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    code, _, err = run(capsys, "assume", arn, "--profile", "work", "--target", "ro",
                       "--role-session-name", "me")
    assert code == 0, err
    assert aws.injector.calls("AssumeRole")[-1].params["RoleSessionName"] == "me"
    assert "ro" in read_credentials(sandbox_home)


def test_assume_unknown_role(aws, make_user, capsys):
    make_user("alice", profile="work")
    code, _, err = run(capsys, "assume", "nothing")
    assert code == 2 and "role" in err


# ------------------------------------------------------------------ status
def test_status_json_and_short_never_show_secrets(aws, make_user, sandbox_home, capsys):
    user = make_user("alice", profile="work")
    make_user("bob", profile="home", mfa=False)
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    _, out, _ = run(capsys, "status", "--json")
    rows = {r["profile"]: r for r in json.loads(out)}
    assert rows["work"]["state"] == "fresh" and rows["home"]["state"] == "no session"
    assert rows["work"]["access_key_id"].startswith("AKIA****")
    _, short, _ = run(capsys, "status", "--short")
    assert re.fullmatch(r"work (11|12):\d\d:\d\d · home no session\n", short)
    _, table, _ = run(capsys, "status")
    everything = out + short + table
    for secret in read_credentials(sandbox_home)["work-mfa"].values():
        if len(secret) > 30:
            assert secret not in everything
    assert user.secret_access_key not in everything


def test_status_marks_expiring_and_expired(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    make_user("bob", profile="home")
    soon = (datetime.now(UTC) + timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(sandbox_home.credentials, "a") as handle:
        handle.write(f"[work-mfa]\naws_access_key_id = ASIAX\naws_secret_access_key = s\n"
                     f"aws_session_token = t\nexpiration = {soon}\n\n"
                     "[home-mfa]\naws_access_key_id = ASIAY\naws_secret_access_key = s\n"
                     "aws_session_token = t\nexpiration = 2020-01-01T00:00:00Z\n")
    _, short, _ = run(capsys, "status", "--short")
    assert re.fullmatch(r"work !0:0[34]:\d\d · home !expired\n", short)


# ------------------------------------------------------------------ logout, init, policy
def test_logout_removes_sessions_but_never_long_term_keys(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    before = sandbox_home.credentials.read_bytes()
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    code, _, err = run(capsys, "logout", "work")
    assert code == 0 and "can't revoke" in err
    assert sandbox_home.credentials.read_bytes() == before
    code, _, err = run(capsys, "logout", "work-mfa")
    assert code == 0 and "nothing to remove" in err


def test_init_discovers_and_stores_the_device(aws, make_user, sandbox_home, capsys):
    user = make_user("alice", profile="work")
    code, _, err = run(capsys, "init", "work")
    assert code == 0 and user.serial in err
    assert user.serial in sandbox_home.settings.read_text()


def test_init_with_two_devices_asks_which(aws, make_user, capsys):
    user = make_user("alice", profile="work")
    second = make_user.iam.create_virtual_mfa_device(VirtualMFADeviceName="alice2")
    serial2 = second["VirtualMFADevice"]["SerialNumber"]
    make_user.iam.enable_mfa_device(UserName="alice", SerialNumber=serial2,
                                    AuthenticationCode1="111111", AuthenticationCode2="222222")
    code, _, err = run(capsys, "init", "work")
    assert code == 2 and user.serial in err and serial2 in err


def test_policy_is_valid_iam(aws, make_user, capsys):
    code, out, _ = run(capsys, "policy")
    assert code == 0
    document = json.loads(out)
    created = make_user.iam.create_policy(PolicyName="aws-mfa-tui-starter",
                                          PolicyDocument=json.dumps(document))
    assert created["Policy"]["Arn"].endswith(":policy/aws-mfa-tui-starter")
    deny = next(s for s in document["Statement"] if s["Effect"] == "Deny")
    assert "sts:GetSessionToken" in deny["NotAction"]


def test_settings_errors_name_the_key(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    sandbox_home.settings.parent.mkdir(parents=True)
    sandbox_home.settings.write_text("duration = 60\n")
    code, _, err = run(capsys, "status")
    assert code == 3 and "`duration`" in err
    sandbox_home.settings.write_text("durration = 3600\n")
    code, _, err = run(capsys, "status")
    assert code == 0 and "unknown setting `durration`" in err
    sandbox_home.settings.write_text('[profiles.work]\naws_secret_access_key = "x"\n')
    code, _, err = run(capsys, "status")
    assert code == 3 and "secret" in err


def test_per_service_endpoint_variable_is_honoured(aws, make_user, sandbox_home, capsys,
                                                   monkeypatch):
    make_user("alice", profile="work")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", aws.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", aws.url)
    code, _, err = run(capsys, "refresh", "work", "--token-code", "123456")
    assert code == 0, err
    assert "work-mfa" in read_credentials(sandbox_home)


def test_an_unexpected_error_is_one_line_without_traceback(aws, make_user, capsys,
                                                           monkeypatch):
    make_user("alice", profile="work")

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("tui.engine.sessions.service.SessionService.refresh", broken)
    code, _, err = run(capsys, "refresh", "work", "--token-code", "123456")
    assert code == 1 and err.count("\n") == 1
    assert "ZeroDivisionError" in err and "Traceback" not in err
    monkeypatch.setenv("AWS_MFA_TUI_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["refresh", "work", "--token-code", "654321"])


def test_role_chain_is_listed_by_depth_and_assumed_from_its_parent(aws, make_user,
                                                                  sandbox_home, capsys):
    make_user("alice", profile="work")
    admin, deploy = _role(make_user, "Admin"), _role(make_user, "Deploy")
    sandbox_home.config.write_text(
        f"[profile deploy]\nrole_arn = {deploy}\nsource_profile = prod-admin\n"
        f"[profile prod-admin]\nrole_arn = {admin}\nsource_profile = work-mfa\n"
    )
    code, out, _ = run(capsys, "status")
    names = [line.split()[0] for line in out.splitlines()[1:]]
    assert names == ["work", "prod-admin", "deploy"]
    assert "    deploy " in out and "  prod-admin " in out
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    code, _, err = run(capsys, "assume", "deploy")
    assert code == 0, err
    calls = aws.injector.calls("AssumeRole")
    assert [c.params["RoleArn"] for c in calls[-2:]] == [admin, deploy]
    assert all("TokenCode" not in c.params for c in calls[-2:])
    parent_key = read_credentials(sandbox_home)["prod-admin-session"]["aws_access_key_id"]
    assert calls[-1].access_key_id == parent_key
    assert calls[-1].params["DurationSeconds"] == "3600"


def test_role_chain_cycle_is_one_error_naming_the_chain(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    sandbox_home.config.write_text(
        "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = b\n"
        "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/B\nsource_profile = a\n"
    )
    code, _, err = run(capsys, "assume", "a")
    assert code == 2
    assert "cycle" in err and "a -> b -> a" in err and "Traceback" not in err
