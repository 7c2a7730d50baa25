"""Settings: saved and loaded back, and bad values refused naming their key."""

from __future__ import annotations

import os

import pytest

from tui.engine.errors import SettingsError
from tui.engine.settings import Settings, load_settings, parse_settings, save_settings


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
