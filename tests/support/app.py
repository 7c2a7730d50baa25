"""For the TUI tests: a clock the test moves, a service on the sandbox files, session
sections written with chosen expiries, screen text to search, and `settle`.

The `clock` and `bells` fixtures are in tests/conftest.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.sandbox import sandbox_service
from tui.app.app import AwsMfaApp
from tui.engine.credential_values import format_expiration
from tui.engine.sessions.service import SessionService

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
    return sandbox_service(sandbox, clock=clock)


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


#: Rows for the tick-cost test and benchmark.
MANY_ROWS = 2000


def write_many(sandbox, rows: int = MANY_ROWS) -> None:
    """2,000 identities with sessions, the last one (off screen) ending first: 2 s after
    the start its lead time (300 s) begins; the others stay fresh for minutes."""
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    credentials, config = [], []
    for index in range(rows):
        name = f"p{index:04d}"
        expires = START + timedelta(seconds=302 + 60 * (rows - 1 - index))
        credentials.append(f"[{name}]\naws_access_key_id = AKIA{index:016d}\n"
                           f"aws_secret_access_key = LONGTERM{index:016d}\n")
        credentials.append(f"[{name}-mfa]\naws_access_key_id = ASIA{index:016d}\n"
                           f"aws_secret_access_key = SECRET{index:016d}\n"
                           f"aws_session_token = TOKEN{index:016d}\n"
                           f"expiration = {expires.isoformat().replace('+00:00', 'Z')}\n")
        config.append(f"[profile {name}]\nmfa_serial = arn:aws:iam::123456789012:mfa/{name}\n")
    sandbox.credentials.write_text("\n".join(credentials))
    sandbox.config.write_text("\n".join(config))
