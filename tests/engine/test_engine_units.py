"""Pure parts of the engine: schedule, codes, settings, the profile catalog, error lines."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import botocore.exceptions
import pytest

from tui.engine.aws_calls import translate_error
from tui.engine.credential_values import AwsKeys
from tui.engine.errors import MfaCodeError, SettingsError, UsageError
from tui.engine.ini_document import IniDocument
from tui.engine.mfa_code import (
    AskpassPrompt,
    CommandCode,
    FixedCode,
    NoCodeSource,
    TerminalPrompt,
    UsedCodes,
    check_code,
    choose_code_source,
    seconds_left_in_window,
)
from tui.engine.profiles import build_catalog, read_config
from tui.engine.schedule import RefreshSchedule, SessionState, format_time_left
from tui.engine.secret import Secret, mask_key_id
from tui.engine.settings import Settings, load_settings, parse_settings, save_settings

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


# ------------------------------------------------------------------ schedule
@pytest.mark.parametrize(("left", "state"), [
    (timedelta(hours=2), SessionState.FRESH),
    (timedelta(seconds=301), SessionState.FRESH),
    (timedelta(seconds=300), SessionState.EXPIRING),
    (timedelta(seconds=1), SessionState.EXPIRING),
    (timedelta(0), SessionState.EXPIRED),
    (timedelta(hours=-3), SessionState.EXPIRED),
])
def test_schedule_states(left, state):
    schedule = RefreshSchedule(lead_time=300, clock=lambda: NOW)
    entry = schedule.entry("work-mfa", NOW + left, lifetime=43200)
    assert entry.state is state
    assert entry.next_action_at == max(NOW, NOW + left - timedelta(seconds=300))


def test_schedule_without_session_and_with_error():
    schedule = RefreshSchedule(clock=lambda: NOW)
    assert schedule.entry("x", None).state is SessionState.NONE
    errored = schedule.entry("x", NOW + timedelta(hours=1), error="boom")
    assert errored.state is SessionState.ERROR and errored.error == "boom"


def test_fraction_left_uses_lifetime_and_is_clamped():
    schedule = RefreshSchedule(clock=lambda: NOW)
    assert schedule.entry("x", NOW + timedelta(hours=6), 43200).fraction_left == 0.5
    assert schedule.entry("x", NOW + timedelta(hours=20), 43200).fraction_left == 1.0
    assert schedule.entry("x", NOW - timedelta(hours=1), 43200).fraction_left == 0.0


def test_wall_clock_after_sleep():
    """A laptop that slept past the expiry sees EXPIRED on the next tick, not stale state."""
    clock = {"now": NOW}
    schedule = RefreshSchedule(clock=lambda: clock["now"])
    expires = NOW + timedelta(hours=1)
    assert schedule.entry("x", expires).state is SessionState.FRESH
    clock["now"] = NOW + timedelta(hours=8)
    assert schedule.entry("x", expires).state is SessionState.EXPIRED


def test_format_time_left():
    assert format_time_left(timedelta(hours=3, minutes=12, seconds=5)) == "3:12:05"
    assert format_time_left(timedelta(seconds=-61)) == "-0:01:01"
    assert format_time_left(None) == "-:--:--"


# ------------------------------------------------------------------ codes
def test_check_code():
    assert check_code(" 123 456 ").reveal() == "123456"
    for bad in ("12345", "1234567", "abcdef", ""):
        with pytest.raises(MfaCodeError) as caught:
            check_code(bad)
        assert bad not in str(caught.value) or bad == ""


def test_used_codes_refuse_reuse_until_they_age_out():
    clock = {"t": 0.0}
    used = UsedCodes(keep_seconds=90, clock=lambda: clock["t"])
    used.claim("serial-a", Secret("123456"))
    used.claim("serial-b", Secret("123456"))  # another device: fine
    with pytest.raises(MfaCodeError, match="already used"):
        used.claim("serial-a", Secret("123456"))
    clock["t"] = 91.0
    used.claim("serial-a", Secret("123456"))


def test_totp_window():
    assert seconds_left_in_window(60.0) == 30
    assert seconds_left_in_window(89.5) == 1


def test_code_source_order(monkeypatch):
    monkeypatch.setenv("AWS_MFA_TOKEN_CODE", "111111")
    assert isinstance(choose_code_source("222222", "cmd"), FixedCode)
    source = choose_code_source(None, "cmd")
    assert isinstance(source, FixedCode) and source.origin == "AWS_MFA_TOKEN_CODE"
    monkeypatch.delenv("AWS_MFA_TOKEN_CODE")
    assert isinstance(choose_code_source(None, "cmd"), CommandCode)
    # Whether a person can type a code depends on the controlling terminal, which is
    # pytest's own (none under CI, the developer's under `pytest -s` in a terminal): the
    # rest is chosen in child processes with a terminal, or none, of the test's choosing.
    monkeypatch.setenv("SSH_ASKPASS", "/bin/true")
    assert _chosen_source(terminal=False) == AskpassPrompt.__name__
    assert _chosen_source(terminal=True) == TerminalPrompt.__name__  # a terminal comes first
    monkeypatch.setenv("SSH_ASKPASS_REQUIRE", "force")
    assert _chosen_source(terminal=True) == AskpassPrompt.__name__
    monkeypatch.delenv("SSH_ASKPASS_REQUIRE")
    monkeypatch.delenv("SSH_ASKPASS")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert _chosen_source(terminal=False) == NoCodeSource.__name__


def _chosen_source(terminal: bool) -> str:
    """The code source `choose_code_source(None, None)` picks in a new session: with a
    pseudo-terminal as its controlling terminal, or with none at all."""
    import fcntl
    import pty
    import subprocess
    import sys
    import termios

    code = ("from tui.engine.mfa_code import choose_code_source\n"
            "print(type(choose_code_source(None, None)).__name__)")
    master, slave = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], stdin=slave if terminal else subprocess.DEVNULL,
            capture_output=True, text=True, timeout=60, check=True, start_new_session=True,
            preexec_fn=(lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0)) if terminal else None,
        )
    finally:
        os.close(master)
        os.close(slave)
    return done.stdout.strip()


def test_secret_is_masked_everywhere():
    secret = Secret("wJalrXUtnFEMI")
    assert "wJalr" not in repr(secret) + str(secret) + f"{secret}" + repr([secret])
    assert secret == Secret("wJalrXUtnFEMI") and secret.reveal() == "wJalrXUtnFEMI"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)
    assert mask_key_id("AKIAIOSFODNN7EXAMPLE") == "AKIA****MPLE"
    keys = AwsKeys("AKIAIOSFODNN7EXAMPLE", Secret("topsecret"), Secret("token"), "work")
    assert "topsecret" not in repr(keys) and "token'" not in repr(keys)


# ------------------------------------------------------------------ settings
def test_settings_round_trip(tmp_path):
    path = tmp_path / "conf" / "settings.toml"
    settings = Settings(path=path, duration=3600, lead_time=600, mfa_command="ykman oath code")
    settings = settings.with_profile("work", mfa_serial="arn:aws:iam::1:mfa/a", target="w")
    save_settings(settings)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    again = load_settings(path)
    assert again.duration == 3600 and again.lead_time == 600
    assert again.for_profile("work").target == "w"
    assert again.mfa_command == "ykman oath code"
    assert [p.name for p in path.parent.iterdir()] == ["settings.toml"]  # no temp file left


@pytest.mark.parametrize(("data", "key"), [
    ({"duration": 100}, "duration"),
    ({"duration": "1h"}, "duration"),
    ({"lead_time": -1}, "lead_time"),
    ({"session_name": "{nope}-x"}, "session_name"),
    ({"profiles": {"w": {"duration": 200000}}}, "profiles.w.duration"),
    ({"roles": {"r": {"source_profile": "w"}}}, "roles.r.role_arn"),
    ({"roles": {"r": {"role_arn": "nope", "source_profile": "w"}}}, "roles.r.role_arn"),
])
def test_bad_settings_name_the_key(data, key):
    with pytest.raises(SettingsError, match=f"`{key}`"):
        parse_settings(data)


def test_broken_toml_is_one_line(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("duration = \n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


# ------------------------------------------------------------------ catalog
CREDENTIALS = """\
[work]
aws_access_key_id = AKIAWORK
aws_secret_access_key = s1
aws_mfa_device = arn:aws:iam::111111111111:mfa/alice

[work-mfa]
aws_access_key_id = ASIAWORK
aws_secret_access_key = s
aws_session_token = t
expiration = 2026-11-22T18:00:00Z

[identity]
aws_access_key_id = AKIAIDENT
aws_secret_access_key = s2

[default]
aws_access_key_id = ASIADEFAULT
aws_secret_access_key = s
aws_session_token = t

[clash]
aws_access_key_id = AKIACLASH
aws_secret_access_key = s3

[clash-mfa]
aws_access_key_id = AKIACLASHMFA
aws_secret_access_key = s4
"""

CONFIG = """\
[profile work]
mfa_serial = arn:aws:iam::111111111111:mfa/alice-config
region = eu-west-1

[profile prod]
role_arn = arn:aws:iam::222222222222:role/Admin
source_profile = work-mfa

[profile other]
role_arn = arn:aws:iam::222222222222:role/Other
source_profile = somebody-else
"""


def _catalog(tmp_path, settings: Settings):
    config = tmp_path / "config"
    config.write_text(CONFIG)
    return build_catalog(IniDocument.parse(CREDENTIALS), read_config(config), settings)


def test_catalog_identities_sessions_and_roles(tmp_path):
    settings = parse_settings({
        "profiles": {"identity": {"target": "default"}},
        "roles": {"ro": {"role_arn": "arn:aws:iam::3:role/RO", "source_profile": "identity"}},
    })
    catalog = _catalog(tmp_path, settings)
    names = [i.name for i in catalog.identities]
    assert names == ["work", "identity", "clash", "clash-mfa"]
    work = catalog.identity("work-mfa")  # found by its session profile too
    assert work.name == "work" and work.session.expiration == datetime(2026, 11, 22, 18,
                                                                        tzinfo=UTC)
    # config's mfa_serial beats the credentials file's aws_mfa_device
    assert work.mfa_serial.endswith("alice-config") and work.serial_source == "config"
    assert work.region == "eu-west-1"
    assert catalog.identity("identity").session_profile == "default"  # awsmfa layout
    assert catalog.identity("clash").session.blocked  # clash-mfa holds long-term keys
    roles = {r.name: r for r in catalog.roles}
    assert set(roles) == {"prod", "ro"}
    assert roles["prod"].target == "prod-session" and roles["prod"].identity == "work"
    assert roles["ro"].target == "ro" and roles["ro"].identity == "identity"


def test_settings_serial_beats_config(tmp_path):
    settings = parse_settings({"profiles": {"work": {"mfa_serial": "arn:aws:iam::1:mfa/s"}}})
    work = _catalog(tmp_path, settings).identity("work")
    assert work.mfa_serial == "arn:aws:iam::1:mfa/s" and work.serial_source == "settings"


def test_unknown_identity_lists_known_ones(tmp_path):
    with pytest.raises(UsageError, match="work"):
        _catalog(tmp_path, Settings()).identity("nope")


# ------------------------------------------------------------------ error lines
def test_param_validation_errors_never_echo_values():
    exc = botocore.exceptions.ParamValidationError(report="Invalid TokenCode '987654'")
    line = str(translate_error(exc, "sts:GetSessionToken"))
    assert "987654" not in line and "\n" not in line


def test_validation_error_messages_are_sanitized():
    exc = botocore.exceptions.ClientError(
        {"Error": {"Code": "ValidationError",
                   "Message": "Value '98765' at 'tokenCode' failed to satisfy constraint"}},
        "GetSessionToken",
    )
    line = str(translate_error(exc, "sts:GetSessionToken"))
    assert "98765" not in line and "tokenCode" not in line
