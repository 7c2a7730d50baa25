"""Shared pieces for the TUI tests: a clock the test moves, a service on the sandbox files,
session sections written with chosen expiries, and screen text to search.

Imported by the `test_app_*` modules; it holds no tests itself.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tui.app.app import AwsMfaApp
from tui.engine.credentials_store import format_expiration
from tui.engine.mfa_code import UsedCodes
from tui.engine.profiles import Paths
from tui.engine.sessions import SessionService

START = datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC)
SIZE = (100, 30)


@dataclass
class MovableClock:
    now: datetime = START
    calls: list[datetime] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)


def fake_session(expires: datetime) -> tuple[str, str]:
    """Lines of a session section, and its secret parts (to check they never show)."""
    secret = "SECRET" + secrets.token_hex(12)
    token = "TOKEN" + secrets.token_hex(20)
    lines = (
        f"aws_access_key_id = ASIA{secrets.token_hex(8).upper()}\n"
        f"aws_secret_access_key = {secret}\n"
        f"aws_session_token = {token}\naws_security_token = {token}\n"
        f"expiration = {format_expiration(expires)}\n"
    )
    return lines, secret + " " + token


def add_session(credentials: Path, name: str, expires: datetime) -> list[str]:
    lines, secret = fake_session(expires)
    credentials.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(credentials, "a") as handle:
        handle.write(f"[{name}]\n{lines}\n")
    return secret.split()


def add_config(config: Path, text: str) -> None:
    config.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(config, "a") as handle:
        handle.write(text.strip() + "\n\n")


def make_service(sandbox, clock: MovableClock) -> SessionService:
    paths = Paths(credentials=sandbox.credentials, config=sandbox.config,
                  settings=sandbox.settings)
    return SessionService(paths, clock=clock, used_codes=UsedCodes())


def screen_text(app: AwsMfaApp) -> str:
    """The whole screen as an SVG export: every character shown, for "never shown" checks."""
    return app.export_screenshot().replace("&#160;", " ")


def table_rows(app: AwsMfaApp) -> dict[str, dict[str, str]]:
    """name -> {column: plain text} as the table shows it now."""
    return app.main_screen.table.cell_texts()


async def settle(app: AwsMfaApp, pilot) -> None:
    """Let workers finish and their messages be handled (twice: results start reloads)."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def bells(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    rung: list[int] = []
    monkeypatch.setattr(AwsMfaApp, "bell", lambda self: rung.append(1))
    return rung
