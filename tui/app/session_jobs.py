"""The blocking engine calls the TUI makes, each turned into one small result message.

Thread workers call these and `post_message` what they return; nothing here touches a
widget. Every `AwsMfaError` becomes a one-line `error` in the message (the engine keeps
those lines free of secrets). Codes travel as `Secret`, never as plain strings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from textual.message import Message

from tui.engine.errors import AwsMfaError, MfaCodeError
from tui.engine.identity_details import IdentityDetails
from tui.engine.mfa_code import FixedCode
from tui.engine.profile_status import StatusRow
from tui.engine.secret import Secret
from tui.engine.sessions import RefreshResult, SessionService
from tui.engine.settings import parse_settings


@dataclass
class StatusLoaded(Message):
    rows: list[StatusRow]
    error: str | None = None
    #: Modification times of the files just before they were read.
    stamp: tuple[float, float, float] | None = None


@dataclass
class RefreshFinished(Message):
    """A refresh of one identity or role ended: `result` on success, else `error`."""

    name: str
    result: RefreshResult | None = None
    error: str | None = None
    #: AWS refused the code (or it was used already): the code modal stays open.
    bad_code: bool = False
    with_code: bool = False


@dataclass
class SerialResolved(Message):
    name: str
    serial: str | None = None
    error: str | None = None


@dataclass
class DetailsLoaded(Message):
    name: str
    details: IdentityDetails | None = None
    error: str | None = None


@dataclass
class LoggedOut(Message):
    removed: list[str]
    error: str | None = None


@dataclass
class SettingsSaved(Message):
    error: str | None = None
    #: The setting the error is about, so the form can show it beside that field.
    key: str | None = None


def files_stamp(service: SessionService) -> tuple[float, float, float]:
    """Modification times of the credentials, config and settings files (0 if absent)."""
    stamps = []
    for path in (service.paths.credentials, service.paths.config, service.paths.settings):
        try:
            stamps.append(os.stat(path).st_mtime)
        except OSError:
            stamps.append(0.0)
    return stamps[0], stamps[1], stamps[2]


def load_status(service: SessionService) -> StatusLoaded:
    try:
        return StatusLoaded(rows=service.status())
    except AwsMfaError as exc:
        return StatusLoaded(rows=[], error=str(exc))


def refresh(service: SessionService, row: StatusRow, code: Secret | None = None
            ) -> RefreshFinished:
    """Refresh a row: with the code a person typed, or on its own (chained / command)."""
    try:
        source = FixedCode(code, origin="the TUI") if code else None
        result = service.renew(row.name, source, interactive=False)
    except MfaCodeError as exc:
        return RefreshFinished(row.name, error=str(exc), bad_code=code is not None,
                               with_code=code is not None)
    except AwsMfaError as exc:
        return RefreshFinished(row.name, error=str(exc), with_code=code is not None)
    return RefreshFinished(row.name, result=result, with_code=code is not None)


def resolve_serial(service: SessionService, row: StatusRow) -> SerialResolved:
    try:
        identity = service.catalog().identity(row.identity)
        return SerialResolved(row.name, serial=service.resolve_serial(identity))
    except AwsMfaError as exc:
        return SerialResolved(row.name, error=str(exc))


def identity_details(service: SessionService, row: StatusRow) -> DetailsLoaded:
    try:
        return DetailsLoaded(row.name, details=service.identity_details(row.identity))
    except AwsMfaError as exc:
        return DetailsLoaded(row.name, error=str(exc))


def logout(service: SessionService, names: list[str]) -> LoggedOut:
    try:
        return LoggedOut(removed=service.logout(names))
    except AwsMfaError as exc:
        return LoggedOut(removed=[], error=str(exc))


def save_settings(service: SessionService, values: dict[str, Any]) -> SettingsSaved:
    """Validate the edited values the way the settings file is validated, then save."""
    try:
        parsed = parse_settings(values)
        changes = {key: getattr(parsed, key) for key in values}
        service.save_settings(service.current_settings.with_values(**changes))
    except AwsMfaError as exc:
        message = str(exc)
        key = next((k for k in values if f"`{k}`" in message), None)
        return SettingsSaved(error=message.split(": ", 1)[-1] if key else message, key=key)
    return SettingsSaved()
