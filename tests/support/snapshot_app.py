"""The app the TUI snapshots picture: fixed files, clock and IAM answer (the details view's
`profiles.identity_details` returns a fixed value; the real call is covered by the Pilot tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.widgets import Input

from tui.app.app import AwsMfaApp
from tui.engine.aws.calls import AccessKeyInfo
from tui.engine.credential_values import format_expiration
from tui.engine.mfa.codes import UsedCodes
from tui.engine.profiles.catalog import Paths
from tui.engine.profiles.identity_details import IdentityDetails
from tui.engine.sessions.service import SessionService

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


def fixed_app(sandbox_home) -> AwsMfaApp:
    """The app on fixed files and a fixed clock, with `FixedDetailsService`."""
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


def ready(*keys: str):
    """A `run_before` that settles the app, presses `keys`, settles again and stops the
    cursor blinking."""
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
