"""Settings: a small TOML file, validated into typed values. Never holds a secret.

    duration = 43200               # GetSessionToken seconds, 900-129600
    lead_time = 300                # refresh this many seconds before expiry
    session_name = "{profile}-mfa" # where an identity's MFA session goes
    strip_suffix = ""              # e.g. "-long-term": `{profile}` drops it (aws-mfa layout)
    role_session_name = "{role}-session"
    mfa_command = ""               # prints a code on stdout, e.g. `ykman oath accounts code ...`
    theme = "textual-dark"
    code_alert = "bell"            # when a code is needed: "bell", "desktop" or "both"

    [profiles.work]                # per identity profile
    target = "work-mfa"
    mfa_serial = "arn:aws:iam::123456789012:mfa/alice"
    mfa_command = "ykman oath accounts code --single 'AWS work'"
    duration = 28800
    max_mfa_age = 3600             # policies want MFA within the last hour (also per role)

    [roles.prod-admin]             # a role session kept in the credentials file
    role_arn = "arn:aws:iam::210987654321:role/Admin"
    source_profile = "work"        # an identity, or its session profile
    duration = 3600

Unknown keys produce warnings (a typo shouldn't stop the tool); a bad value is an error
that names the key. Writes go through a temp file and `os.replace`.
"""

from __future__ import annotations

import contextlib
import os

from tui.engine.errors import SettingsError
from tui.engine.named_tuple import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

MIN_DURATION = 900
MAX_DURATION = 129600
DEFAULT_DURATION = 43200
DEFAULT_LEAD_TIME = 300
DEFAULT_SESSION_NAME = "{profile}-mfa"
DEFAULT_ROLE_SESSION_NAME = "{role}-session"
THEMES = (
    "textual-dark", "textual-light", "nord", "gruvbox", "tokyo-night", "monokai", "dracula",
    "catppuccin-mocha", "catppuccin-latte", "solarized-light",
)


class ProfileSettings(NamedTuple):
    target: str | None = None
    mfa_serial: str | None = None
    mfa_command: str | None = None
    duration: int | None = None
    max_mfa_age: int | None = None  # seconds (identities, and config roles by name)
    #: The command the console opens with (`console.handoff.open_in_browser`).
    browser: str | None = None


#: A profile the settings say nothing about (one shared value: it is never changed).
NO_PROFILE_SETTINGS = ProfileSettings()


class RoleSettings(NamedTuple):
    name: str
    role_arn: str
    source_profile: str
    target: str | None = None
    duration: int | None = None
    role_session_name: str | None = None
    mfa_serial: str | None = None
    max_mfa_age: int | None = None


class Settings(NamedTuple):
    path: str | os.PathLike[str] | None = None
    duration: int = DEFAULT_DURATION
    lead_time: int = DEFAULT_LEAD_TIME
    session_name: str = DEFAULT_SESSION_NAME
    strip_suffix: str = ""
    role_session_name: str = DEFAULT_ROLE_SESSION_NAME
    mfa_command: str | None = None
    theme: str = "textual-dark"
    code_alert: str = "bell"
    browser: str | None = None
    # Shared empty defaults are safe: Settings is never mutated, only `_replace`d.
    profiles: dict[str, ProfileSettings] = {}
    roles: dict[str, RoleSettings] = {}
    warnings: tuple[str, ...] = ()
    #: Whether `duration` was set (in the file or here), not left at the default: only
    #: then does it win over a peer layout's own default (awsmfa's 6 hours).
    duration_set: bool = False

    def for_profile(self, name: str) -> ProfileSettings:
        return self.profiles.get(name, NO_PROFILE_SETTINGS)

    def with_profile(self, name: str, **changes: Any) -> Settings:
        profiles = dict(self.profiles)
        profiles[name] = self.for_profile(name)._replace(**changes)
        return self._replace(profiles=profiles)

    def with_values(self, **changes: Any) -> Settings:
        if "duration" in changes:  # a settings screen saving every field sets it only
            changes["duration_set"] = (  # when its value changed
                self.duration_set or changes["duration"] != self.duration)
        return self._replace(**changes)


_TOP_KEYS = {
    "duration", "lead_time", "session_name", "strip_suffix", "role_session_name",
    "mfa_command", "theme", "code_alert", "profiles", "roles", "browser",
}
CODE_ALERTS = ("bell", "desktop", "both")
_PROFILE_KEYS = {"target", "mfa_serial", "mfa_command", "duration", "max_mfa_age", "browser"}
_ROLE_KEYS = {
    "role_arn", "source_profile", "target", "duration", "role_session_name", "mfa_serial",
    "max_mfa_age",
}
# Keys that would mean someone tried to keep a secret here.
_SECRET_KEYS = {
    "aws_secret_access_key", "aws_session_token", "aws_security_token", "secret_access_key",
    "session_token", "token_code", "mfa_code", "password",
}


def load_settings(path: str | os.PathLike[str]) -> Settings:
    """Read the settings file; a missing file gives the defaults."""
    path = os.fspath(path)  # (a string: `status` never loads pathlib)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return Settings(path=path)
    except IsADirectoryError:
        raise SettingsError(f"{path} is a directory, not a settings file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path} can't be read: {exc}") from None
    import tomllib  # only when there is a file: `status --short` without one stays light

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    return parse_settings(data, path)


def parse_settings(data: dict[str, Any], path: str | os.PathLike[str] | None = None
                   ) -> Settings:
    where = str(path) if path else "settings"
    warnings: list[str] = []

    def check_secrets(table: dict[str, Any], prefix: str) -> None:
        for key in table:
            if key.lower() in _SECRET_KEYS:
                raise SettingsError(
                    f"{where}: `{prefix}{key}` looks like a secret; secrets never belong in "
                    "settings, remove it"
                )

    def unknown(table: dict[str, Any], allowed: set[str], prefix: str) -> None:
        check_secrets(table, prefix)
        for key in sorted(set(table) - allowed):
            warnings.append(f"{where}: unknown setting `{prefix}{key}` ignored")

    unknown(data, _TOP_KEYS, "")
    values: dict[str, Any] = {}
    if "duration" in data:
        values["duration"] = _duration(data["duration"], "duration", where)
        values["duration_set"] = True
    if "lead_time" in data:
        values["lead_time"] = _int_in(data["lead_time"], "lead_time", where, 0, 43200)
    for key in ("session_name", "role_session_name"):
        if key in data:
            values[key] = _template(data[key], key, where)
    if "strip_suffix" in data:
        values["strip_suffix"] = _string(data["strip_suffix"], "strip_suffix", where)
    if "mfa_command" in data:
        values["mfa_command"] = _string(data["mfa_command"], "mfa_command", where) or None
    if "theme" in data:
        values["theme"] = _string(data["theme"], "theme", where)
    if "browser" in data:
        values["browser"] = _string(data["browser"], "browser", where) or None
    if "code_alert" in data:
        alert = _string(data["code_alert"], "code_alert", where)
        if alert not in CODE_ALERTS:
            raise SettingsError(f"{where}: `code_alert` must be one of "
                                f"{', '.join(CODE_ALERTS)}, not {alert!r}")
        values["code_alert"] = alert
    profiles: dict[str, ProfileSettings] = {}
    for name, table in _table(data.get("profiles", {}), "profiles", where).items():
        table = _table(table, f"profiles.{name}", where)
        unknown(table, _PROFILE_KEYS, f"profiles.{name}.")
        key = f"profiles.{name}"
        profiles[name] = ProfileSettings(
            target=_optional_string(table, "target", key, where),
            mfa_serial=_optional_string(table, "mfa_serial", key, where),
            mfa_command=_optional_string(table, "mfa_command", key, where),
            duration=(
                _duration(table["duration"], f"{key}.duration", where)
                if "duration" in table else None
            ),
            max_mfa_age=_max_mfa_age(table, key, where),
            browser=_optional_string(table, "browser", key, where),
        )
    roles: dict[str, RoleSettings] = {}
    for name, table in _table(data.get("roles", {}), "roles", where).items():
        table = _table(table, f"roles.{name}", where)
        unknown(table, _ROLE_KEYS, f"roles.{name}.")
        key = f"roles.{name}"
        for required in ("role_arn", "source_profile"):
            if not table.get(required):
                raise SettingsError(f"{where}: `{key}.{required}` is required")
        role_arn = _string(table["role_arn"], f"{key}.role_arn", where)
        if not role_arn.startswith("arn:") or ":role/" not in role_arn:
            raise SettingsError(f"{where}: `{key}.role_arn` is not a role ARN")
        roles[name] = RoleSettings(
            name=name,
            role_arn=role_arn,
            source_profile=_string(table["source_profile"], f"{key}.source_profile", where),
            target=_optional_string(table, "target", key, where),
            duration=(
                _int_in(table["duration"], f"{key}.duration", where, 900, 43200)
                if "duration" in table else None
            ),
            role_session_name=_optional_string(table, "role_session_name", key, where),
            mfa_serial=_optional_string(table, "mfa_serial", key, where),
            max_mfa_age=_max_mfa_age(table, key, where),
        )
    return Settings(path=path, profiles=profiles, roles=roles, warnings=tuple(warnings), **values)


def settings_to_toml(settings: Settings) -> dict[str, Any]:
    defaults = Settings()
    data: dict[str, Any] = {}
    for key in ("duration", "lead_time", "session_name", "strip_suffix", "role_session_name",
                "mfa_command", "theme", "code_alert", "browser"):
        value = getattr(settings, key)
        if value is not None and (value != getattr(defaults, key)
                                  or (key == "duration" and settings.duration_set)):
            data[key] = value
    profiles = {}
    for name, profile in settings.profiles.items():
        table = {k: v for k, v in profile._asdict().items() if v is not None}
        if table:
            profiles[name] = table
    if profiles:
        data["profiles"] = profiles
    roles = {}
    for name, role in settings.roles.items():
        roles[name] = {
            k: v for k, v in role._asdict().items() if v is not None and k != "name"
        }
    if roles:
        data["roles"] = roles
    return data


def save_settings(settings: Settings, path: str | os.PathLike[str] | None = None) -> Path:
    """Write settings atomically (temp file in the same folder, fsync, os.replace)."""
    import tempfile
    from pathlib import Path

    import tomli_w

    target = Path(path or settings.path or "")
    if not str(target):
        raise SettingsError("no settings path to save to")
    from tui.engine.private_folders import make_private_folders

    make_private_folders(target.parent)
    data = tomli_w.dumps(settings_to_toml(settings)).encode("utf-8")
    fd, temp = tempfile.mkstemp(prefix=".settings.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return target


# ---------------------------------------------------------------- validation helpers
def _table(value: Any, key: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SettingsError(f"{where}: `{key}` must be a table")
    return value


def _string(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str):
        raise SettingsError(f"{where}: `{key}` must be a string")
    return value


def _optional_string(table: dict[str, Any], name: str, key: str, where: str) -> str | None:
    if name not in table:
        return None
    return _string(table[name], f"{key}.{name}", where) or None


def _int_in(value: Any, key: str, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{where}: `{key}` must be a whole number of seconds")
    if not low <= value <= high:
        raise SettingsError(f"{where}: `{key}` must be between {low} and {high} seconds")
    return value


def _max_mfa_age(table: dict[str, Any], key: str, where: str) -> int | None:
    from tui.engine.mfa.age import MAX_MFA_AGE, MIN_MFA_AGE

    if "max_mfa_age" not in table:
        return None
    return _int_in(table["max_mfa_age"], f"{key}.max_mfa_age", where, MIN_MFA_AGE, MAX_MFA_AGE)


def _duration(value: Any, key: str, where: str) -> int:
    return _int_in(value, key, where, MIN_DURATION, MAX_DURATION)


def _template(value: Any, key: str, where: str) -> str:
    text = _string(value, key, where)
    placeholder = "{role}" if key == "role_session_name" else "{profile}"
    try:
        rendered = text.format(profile="p", role="r")
    except (KeyError, IndexError, ValueError):
        raise SettingsError(
            f"{where}: `{key}` may only use the placeholder {placeholder}"
        ) from None
    if not rendered.strip() or "]" in rendered:
        raise SettingsError(f"{where}: `{key}` gives an empty or invalid profile name")
    return text
