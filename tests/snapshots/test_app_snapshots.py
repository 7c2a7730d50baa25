"""Snapshots of the TUI: main screen, MFA code modal, details, settings, help.

Everything on screen is fixed: the clock, the key ids and expiries in the files, the
time zone, and the IAM answer for the details view (a service whose `identity_details`
returns a fixed value; the real call is covered by the Pilot tests). Regenerate with
`pytest tests/snapshots --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input

from tui.app.app import AwsMfaApp
from tui.engine.aws_calls import AccessKeyInfo
from tui.engine.credentials_store import format_expiration
from tui.engine.identity_details import IdentityDetails
from tui.engine.mfa_code import UsedCodes
from tui.engine.profiles import Paths
from tui.engine.sessions import SessionService

NOW = datetime(2026, 3, 2, 9, 30, 0, tzinfo=UTC)
SIZE = (100, 30)
SECRETS = ("wJalrXUtnFEMIK7MDENGbPxRfiCYSNAPSHOTKEY", "FwoGZXIvYXdzEXAMPLETOKENSNAPSHOT")


def _session(name: str, left: timedelta, key: str) -> str:
    return (f"[{name}]\naws_access_key_id = ASIA{key}\naws_secret_access_key = {SECRETS[0]}\n"
            f"aws_session_token = {SECRETS[1]}\naws_security_token = {SECRETS[1]}\n"
            f"expiration = {format_expiration(NOW + left)}\n\n")


def _identity(name: str, key: str) -> str:
    return (f"[{name}]\naws_access_key_id = AKIA{key}\n"
            f"aws_secret_access_key = {SECRETS[0]}\n\n")


class FixedDetailsService(SessionService):
    def identity_details(self, name: str) -> IdentityDetails:
        user = {"work": "alice", "staging": "bob"}.get(name, name)
        return IdentityDetails(
            name=name, account="123456789012", arn=f"arn:aws:iam::123456789012:user/{user}",
            user_name=user, signed_with=f"{name}-mfa",
            keys=(AccessKeyInfo("AKIAWORK00000000WXYZ", "Active", NOW - timedelta(days=97),
                                NOW - timedelta(days=1), "sts"),),
        )


@pytest.fixture(autouse=True)
def fixed_time_zone(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def app(sandbox_home) -> AwsMfaApp:
    aws: Path = sandbox_home.aws_dir
    aws.mkdir(mode=0o700, exist_ok=True)
    sandbox_home.credentials.write_text(
        _identity("work", "WORK00000000WXYZ") + _session("work-mfa", timedelta(hours=8,
                                                                                minutes=12), "1")
        + _session("prod-admin-session", timedelta(minutes=42, seconds=30), "2")
        + _identity("staging", "STAG00000000ABCD")
        + _session("staging-mfa", timedelta(minutes=3, seconds=20), "3")
        + _identity("personal", "PERS00000000EFGH")
        + _session("personal-mfa", timedelta(minutes=-25), "4")
        + _identity("sandbox", "SAND00000000IJKL")
    )
    sandbox_home.config.write_text(
        "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\n"
        "[profile staging]\nmfa_serial = arn:aws:iam::123456789012:mfa/bob\n\n"
        "[profile personal]\nmfa_serial = arn:aws:iam::210987654321:mfa/carol\n\n"
        "[profile prod-admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\n"
        "source_profile = work-mfa\nduration_seconds = 3600\n\n"
        "[profile staging-readonly]\nrole_arn = arn:aws:iam::123456789012:role/ReadOnly\n"
        "source_profile = staging-mfa\n"
    )
    paths = Paths(sandbox_home.credentials, sandbox_home.config, sandbox_home.settings)
    service = FixedDetailsService(paths, clock=lambda: NOW, used_codes=UsedCodes())
    return AwsMfaApp(service)


def _ready(*keys: str):
    async def run_before(pilot) -> None:
        app = pilot.app
        for _ in range(2):
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press(*keys)
        for _ in range(2):
            await app.workers.wait_for_complete()
            await pilot.pause()
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run_before


def _check(snap_compare, app: AwsMfaApp, *keys: str) -> None:
    # (the SVGs are checked for secrets by test_snapshot_files_hold_no_secret)
    assert snap_compare(app, terminal_size=SIZE, run_before=_ready(*keys))


def test_main_screen(snap_compare, app):
    _check(snap_compare, app)


def test_main_screen_80_columns(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24), run_before=_ready("j", "space"))


def test_main_screen_60x20(snap_compare, app):
    """Name, state and time left stay; account, bar, then session profile go."""
    assert snap_compare(app, terminal_size=(60, 20), run_before=_ready())


def test_main_screen_200x60(snap_compare, app):
    """The room goes to a wider bar."""
    assert snap_compare(app, terminal_size=(200, 60), run_before=_ready())


def test_main_screen_role_chain(snap_compare, app, sandbox_home):
    """A role assumed from a role sits one level deeper under its root identity."""
    with open(sandbox_home.config, "a") as handle:
        handle.write("\n[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/Deploy\n"
                     "source_profile = prod-admin\n")
    with open(sandbox_home.credentials, "a") as handle:
        handle.write(_session("deploy-session", timedelta(minutes=51), "5"))
    _check(snap_compare, app)


def test_mfa_code_modal(snap_compare, app):
    _check(snap_compare, app, "j", "j", "r", "1", "2")


def test_details(snap_compare, app):
    _check(snap_compare, app, "enter")


def test_settings(snap_compare, app):
    _check(snap_compare, app, "s")


def test_help(snap_compare, app):
    _check(snap_compare, app, "question_mark")


def test_snapshot_files_hold_no_secret():
    folder = Path(__file__).parent / "__snapshots__"
    for svg in folder.rglob("*.svg"):
        text = svg.read_text()
        for secret in SECRETS:
            assert secret not in text, svg
