"""SessionService called directly, against the local emulator: refresh, assume, renew
(which picks the code source), logout, and the details view's IAM queries.

The command line's own part (exit codes, the lines it prints) is tested through `main()` in
tests/commands/test_cli_sessions.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.cli import read_credentials
from tests.support.sandbox import sandbox_service
from tui.engine.errors import MfaCodeError, UsageError
from tui.engine.mfa.codes import CodeRequest, FixedCode, WithoutMfa
from tui.engine.secret import Secret
from tui.engine.sessions.service import no_code_needed


class CountedCode(FixedCode):
    """A fixed code that counts how often it was asked for."""

    def __init__(self, code: str) -> None:
        super().__init__(Secret(code))
        self.asked = 0

    def get_code(self, request: CodeRequest) -> Secret | None:
        self.asked += 1
        return super().get_code(request)


def _expires_in(sandbox, section: str) -> timedelta:
    value = read_credentials(sandbox)[section]["expiration"]
    return datetime.fromisoformat(value.replace("Z", "+00:00")) - datetime.now(UTC)


def _role(make_user, name: str = "Admin") -> str:
    # 12 hours, so the durations asked for here aren't capped by the role.
    return make_user.iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}",
                                     MaxSessionDuration=43200)["Role"]["Arn"]


@pytest.fixture
def prod(make_user, sandbox_home) -> str:
    """The role `prod`, assumed from work's MFA session (`work-mfa`); its ARN."""
    arn = _role(make_user)
    sandbox_home.aws_dir.mkdir(mode=0o700, exist_ok=True)
    sandbox_home.config.write_text(f"[profile prod]\nrole_arn = {arn}\nsource_profile = work-mfa\n")
    return arn


def _ending_session(sandbox, section: str, left: timedelta) -> None:
    """A session section (not one AWS made) that ends `left` from now."""
    ends = (datetime.now(UTC) + left).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(sandbox.credentials, "a") as handle:
        handle.write(f"[{section}]\naws_access_key_id = ASIAENDING\n"
                     f"aws_secret_access_key = s\naws_session_token = t\nexpiration = {ends}\n\n")


# ------------------------------------------------------------------ the catalog
def test_files_read_again_unchanged_give_the_catalog_already_built(sandbox_home, monkeypatch):
    """A refresh reads the files again under the renewal lock: with nothing changed, the
    catalog built before is taken again; any change to the credentials file, the config,
    the settings or the environment builds a new one, which sees that change."""
    sandbox_home.aws_dir.mkdir(mode=0o700)
    sandbox_home.credentials.write_text("[work]\naws_access_key_id = AKIA1\n"
                                        "aws_secret_access_key = s\n")
    service = sandbox_service(sandbox_home)
    first = service.catalog()
    assert service.catalog() is first
    with open(sandbox_home.credentials, "a") as handle:
        handle.write("[home]\naws_access_key_id = AKIA2\naws_secret_access_key = s\n")
    changed = service.catalog()
    assert changed is not first and [i.name for i in changed.identities] == ["work", "home"]
    sandbox_home.config.write_text("[profile work]\nregion = eu-west-1\n")
    config = service.catalog()
    assert config is not changed and config.identity("work").region == "eu-west-1"
    service.settings = service.current_settings.with_profile("work", target="work-session")
    settings = service.catalog()
    assert settings is not config and settings.identity("work").session_profile == "work-session"
    monkeypatch.setenv("AWS_MFA_IDENTITY_PROFILE", "home")
    assert service.catalog() is not settings
    assert service.catalog().identity("home").session.layout == "awsmfa"


# ------------------------------------------------------------------ refresh
def test_refresh_trades_the_key_and_a_code_for_a_session(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    before = sandbox_home.credentials.read_bytes()
    result = sandbox_service(sandbox_home).refresh("work", FixedCode(Secret("123456")))
    assert (result.profile, result.target, result.skipped) == ("work", "work-mfa", False)
    sent = aws.injector.calls("GetSessionToken")[-1]
    assert sent.access_key_id == user.access_key_id
    assert sent.params["TokenCode"] == "123456" and sent.params["SerialNumber"] == user.serial
    assert sent.params["DurationSeconds"] == "43200"
    assert sandbox_home.credentials.read_bytes().startswith(before)
    section = read_credentials(sandbox_home)["work-mfa"]
    assert section["aws_access_key_id"] not in {"", user.access_key_id}
    assert timedelta(hours=11, minutes=58) < _expires_in(sandbox_home, "work-mfa")
    assert result.expiration is not None
    assert result.expiration.strftime("%Y-%m-%dT%H:%M:%SZ") == section["expiration"]


def test_a_discovered_device_is_remembered_and_not_looked_up_again(aws, make_user,
                                                                  sandbox_home):
    # Moved from tests/commands/test_cli_sessions.py: it checks the service, not the CLI.
    user = make_user("alice", profile="work")
    service = sandbox_service(sandbox_home)
    result = service.refresh("work", FixedCode(Secret("123456")))
    assert any("remembered MFA device" in note for note in result.notes)
    assert user.serial in sandbox_home.settings.read_text()
    aws.injector.clear()
    again = sandbox_service(sandbox_home)  # a new process: nothing cached in memory
    again.refresh("work", FixedCode(Secret("654321")), force=True)
    assert aws.injector.calls("ListMFADevices") == []
    assert aws.injector.calls("GetSessionToken")[-1].params["SerialNumber"] == user.serial


def test_a_fresh_session_is_skipped_unless_forced(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    service = sandbox_service(sandbox_home)
    service.refresh("work", FixedCode(Secret("123456")))
    code = CountedCode("234567")
    skipped = service.refresh("work", code)
    assert skipped.skipped and not skipped.by_another and code.asked == 0
    assert len(aws.injector.calls("GetSessionToken")) == 1
    forced = service.refresh("work", code, force=True)
    assert not forced.skipped and code.asked == 1
    assert len(aws.injector.calls("GetSessionToken")) == 2


def test_a_code_already_sent_is_refused_before_any_call(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    service = sandbox_service(sandbox_home)
    service.refresh("work", FixedCode(Secret("123456")))
    written = sandbox_home.credentials.read_bytes()
    with pytest.raises(MfaCodeError, match="already used"):
        service.refresh("work", FixedCode(Secret("123456")), force=True)
    assert len(aws.injector.calls("GetSessionToken")) == 1
    assert sandbox_home.credentials.read_bytes() == written


def test_a_wrong_code_is_one_error_and_nothing_is_written(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    before = sandbox_home.credentials.read_bytes()
    aws.injector.add("GetSessionToken", code="AccessDenied", status=403, message=(
        "MultiFactorAuthentication failed with invalid MFA one time pass code."))
    with pytest.raises(MfaCodeError, match="next 30-second code") as caught:
        sandbox_service(sandbox_home).refresh("work", FixedCode(Secret("987654")))
    assert "987654" not in str(caught.value)
    assert sandbox_home.credentials.read_bytes() == before


def test_a_bad_duration_or_a_session_over_long_term_keys_is_refused_before_any_call(
        aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    make_user("bob", profile="work-mfa", mfa=False)  # work's session section: bob's keys
    make_user("carol", profile="home")
    service = sandbox_service(sandbox_home)
    before = sandbox_home.credentials.read_bytes()
    with pytest.raises(UsageError, match="long-term keys"):
        service.refresh("work", FixedCode(Secret("123456")))
    with pytest.raises(UsageError, match="900-129600"):
        service.refresh("home", FixedCode(Secret("123456")), duration=899)
    assert aws.injector.calls("GetSessionToken") == []
    assert sandbox_home.credentials.read_bytes() == before


def test_a_session_without_mfa_looks_up_no_device(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    result = sandbox_service(sandbox_home).refresh("work", WithoutMfa())
    assert any("no MFA" in note for note in result.notes)
    sent = aws.injector.calls("GetSessionToken")[-1]
    assert "TokenCode" not in sent.params and "SerialNumber" not in sent.params
    assert aws.injector.calls("ListMFADevices") == []


# ------------------------------------------------------------------ assume
def test_a_role_is_chained_from_the_mfa_session_without_a_code(aws, make_user, sandbox_home, prod):
    make_user("alice", profile="work")
    service = sandbox_service(sandbox_home)
    service.refresh("work", FixedCode(Secret("123456")))
    result = service.assume("prod", no_code_needed(), duration=7200)
    assert (result.profile, result.target) == ("prod", "prod-session")
    assert any("1 hour" in note for note in result.notes)
    call = aws.injector.calls("AssumeRole")[-1]
    assert call.access_key_id == read_credentials(sandbox_home)["work-mfa"]["aws_access_key_id"]
    assert "TokenCode" not in call.params and call.params["DurationSeconds"] == "3600"
    assert call.params["RoleArn"] == prod and call.params["RoleSessionName"] == "alice"
    assert "aws_session_token" in read_credentials(sandbox_home)["prod-session"]
    # The cap is said once per role per service, not on every renewal.
    assert not any("1 hour" in n for n in service.assume("prod", no_code_needed(),
                                                          duration=7200).notes)


def test_an_ended_mfa_session_is_renewed_before_the_role_is_chained(aws, make_user,
                                                                   sandbox_home, prod):
    user = make_user("alice", profile="work")
    _ending_session(sandbox_home, "work-mfa", timedelta(hours=-1))
    code = CountedCode("123456")
    result = sandbox_service(sandbox_home).assume("prod", code)
    assert "renewed work-mfa first" in result.notes and code.asked == 1
    assert aws.injector.calls("GetSessionToken")[-1].access_key_id == user.access_key_id
    call = aws.injector.calls("AssumeRole")[-1]
    new_key = read_credentials(sandbox_home)["work-mfa"]["aws_access_key_id"]
    assert new_key != "ASIAENDING" and call.access_key_id == new_key  # the new session
    assert "TokenCode" not in call.params


def test_a_role_from_long_term_keys_sends_the_code(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    arn = _role(make_user)
    sandbox_home.config.write_text(
        f"[profile prod]\nrole_arn = {arn}\nsource_profile = work\nduration_seconds = 7200\n")
    sandbox_service(sandbox_home).assume("prod", FixedCode(Secret("123456")))
    call = aws.injector.calls("AssumeRole")[-1]
    assert call.access_key_id == user.access_key_id
    assert call.params["TokenCode"] == "123456" and call.params["SerialNumber"] == user.serial
    assert call.params["DurationSeconds"] == "7200"
    assert aws.injector.calls("GetSessionToken") == []


def test_an_unknown_role_is_a_usage_error(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    with pytest.raises(UsageError, match="role"):
        sandbox_service(sandbox_home).assume("nothing", no_code_needed())
    assert aws.injector.calls("AssumeRole") == []


# ------------------------------------------------------------------ renew: the code source
def test_renew_takes_the_code_from_mfa_command(aws, make_user, sandbox_home, tmp_path):
    make_user("alice", profile="work")
    script = tmp_path / "fake-ykman"
    script.write_text("#!/bin/sh\necho 135790\n")
    script.chmod(0o755)
    sandbox_home.settings.parent.mkdir(parents=True)
    sandbox_home.settings.write_text(f'[profiles.work]\nmfa_command = "{script}"\n')
    result = sandbox_service(sandbox_home).renew("work", interactive=False)
    assert not result.skipped
    assert aws.injector.calls("GetSessionToken")[-1].params["TokenCode"] == "135790"


def test_renew_takes_the_code_from_the_environment_before_mfa_command(
        aws, make_user, sandbox_home, monkeypatch):
    make_user("alice", profile="work")
    sandbox_home.settings.parent.mkdir(parents=True)
    sandbox_home.settings.write_text('[profiles.work]\nmfa_command = "false"\n')
    monkeypatch.setenv("AWS_MFA_TOKEN_CODE", "246810")
    sandbox_service(sandbox_home).renew("work", interactive=False)
    assert aws.injector.calls("GetSessionToken")[-1].params["TokenCode"] == "246810"


def test_renew_of_a_chained_role_asks_no_source(aws, make_user, sandbox_home, prod):
    make_user("alice", profile="work")
    service = sandbox_service(sandbox_home)
    service.refresh("work", FixedCode(Secret("123456")))
    # No code source anywhere (not interactive, no command, no variable): none is needed.
    result = service.renew("prod", interactive=False)
    assert result.target == "prod-session" and not result.skipped
    assert "TokenCode" not in aws.injector.calls("AssumeRole")[-1].params


def test_renew_with_no_code_source_keeps_a_valid_session_or_says_why(aws, make_user,
                                                                    sandbox_home):
    make_user("alice", profile="work")
    _ending_session(sandbox_home, "work-mfa", timedelta(minutes=2))
    service = sandbox_service(sandbox_home)
    kept = service.renew("work", interactive=False, force=False, keep_valid=True)
    assert kept.skipped and kept.notes == (
        "session expires soon and no MFA code source is available",)
    with pytest.raises(MfaCodeError, match="no way to ask"):
        service.renew("work", interactive=False)
    assert aws.injector.calls("GetSessionToken") == []


def test_renew_leaves_a_fresh_session_unless_forced(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    service = sandbox_service(sandbox_home)
    service.refresh("work", FixedCode(Secret("123456")))
    never = no_code_needed()
    assert service.renew("work", never, force=False).skipped
    assert len(aws.injector.calls("GetSessionToken")) == 1
    assert not service.renew("work", FixedCode(Secret("234567"))).skipped  # force: default
    assert len(aws.injector.calls("GetSessionToken")) == 2


# ------------------------------------------------------------------ logout
def test_logout_removes_sessions_and_never_long_term_keys(aws, make_user, sandbox_home, prod):
    make_user("alice", profile="work")
    make_user("bob", profile="home")
    before = sandbox_home.credentials.read_bytes()
    service = sandbox_service(sandbox_home)
    service.refresh("work", FixedCode(Secret("123456")))
    service.assume("prod", no_code_needed())
    assert service.logout(["work", "prod"]) == ["work-mfa", "prod-session"]
    assert sandbox_home.credentials.read_bytes() == before
    assert service.logout(["work-mfa"]) == []  # nothing left to remove


def test_logout_refuses_a_section_of_long_term_keys(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    make_user("bob", profile="work-mfa", mfa=False)  # where work's session would go
    before = sandbox_home.credentials.read_bytes()
    with pytest.raises(UsageError, match="long-term keys"):
        sandbox_service(sandbox_home).logout(["work"])
    assert sandbox_home.credentials.read_bytes() == before


# ------------------------------------------------------------------ the details view
def test_details_are_asked_with_the_session_while_it_is_valid(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    service = sandbox_service(sandbox_home)
    service.refresh("work", FixedCode(Secret("123456")))
    details = service.identity_details("work")
    assert details.arn == user.arn and details.user_name == "alice"
    assert [k.access_key_id for k in details.keys] == [user.access_key_id]
    assert details.signed_with == "work-mfa"
    listing = aws.injector.calls("ListAccessKeys")[-1]
    assert listing.access_key_id != user.access_key_id  # the session's key signed it


def test_details_fall_back_to_the_key_when_the_session_is_refused(aws, make_user,
                                                                  sandbox_home):
    user = make_user("alice", profile="work")
    service = sandbox_service(sandbox_home)
    service.refresh("work", FixedCode(Secret("123456")))
    aws.injector.add("ListAccessKeys", code="ExpiredToken", message="The token has expired")
    details = service.identity_details("work")
    assert details.signed_with == "work"
    assert aws.injector.calls("ListAccessKeys")[-1].access_key_id == user.access_key_id


def test_details_without_a_session_are_asked_with_the_key(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    details = sandbox_service(sandbox_home).identity_details("work")
    assert details.signed_with == "work" and details.account == user.account
    assert aws.injector.calls("ListAccessKeys")[-1].access_key_id == user.access_key_id

