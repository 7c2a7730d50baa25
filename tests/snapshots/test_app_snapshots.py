"""Snapshots of the TUI: main screen, MFA code modal, details, settings, help.

Everything on screen is fixed: the clock, the key ids and expiries in the files, the
time zone, and the IAM answer for the details view (a service whose `profiles.identity_details`
returns a fixed value; the real call is covered by the Pilot tests). Regenerate with
`pytest tests/snapshots --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.support.snapshot_app import SECRETS, SIZE, ready
from tests.support.snapshot_app import _session as session_section
from tui.app.app import AwsMfaApp


def _check(snap_compare, app: AwsMfaApp, *keys: str) -> None:
    # (the SVGs are checked for secrets by test_snapshot_files_hold_no_secret)
    assert snap_compare(app, terminal_size=SIZE, run_before=ready(*keys))


def test_main_screen(snap_compare, app):
    _check(snap_compare, app)


def test_main_screen_80_columns(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready("j", "space"))


def test_main_screen_60x20(snap_compare, app):
    """Name, state and time left stay; account, bar, then session profile go."""
    assert snap_compare(app, terminal_size=(60, 20), run_before=ready())


def test_main_screen_200x60(snap_compare, app):
    """The room goes to a wider bar."""
    assert snap_compare(app, terminal_size=(200, 60), run_before=ready())


def test_main_screen_role_chain(snap_compare, app, sandbox_home):
    """A role assumed from a role sits one level deeper under its root identity."""
    with open(sandbox_home.config, "a") as handle:
        handle.write("\n[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/Deploy\n"
                     "source_profile = prod-admin\n")
    with open(sandbox_home.credentials, "a") as handle:
        handle.write(session_section("deploy-session", timedelta(minutes=51), "5"))
    _check(snap_compare, app)


def test_mfa_code_modal(snap_compare, app):
    _check(snap_compare, app, "j", "j", "r", "1", "2")


def test_details(snap_compare, app):
    _check(snap_compare, app, "enter")


def test_settings(snap_compare, app):
    _check(snap_compare, app, "s")


def test_help(snap_compare, app):
    _check(snap_compare, app, "question_mark")


def test_settings_60x20(snap_compare, app):
    """Issue 22: every field in view, no toast on top of them."""
    assert snap_compare(app, terminal_size=(60, 20), run_before=ready("s"))


def test_details_100x12(snap_compare, app):
    """Issue 22: a short terminal scrolls the details; the hint stays."""
    assert snap_compare(app, terminal_size=(100, 12), run_before=ready("enter"))


def test_help_80x24(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready("question_mark"))


def test_broken_file_60x20(snap_compare, app, sandbox_home):
    """Issue 22: the line and the fix stay on screen until the file parses."""
    with open(sandbox_home.credentials, "a") as handle:
        handle.write("[work]\naws_access_key_id = AKIADUPLICATE\n")
    assert snap_compare(app, terminal_size=(60, 20), run_before=ready())


def test_snapshot_files_hold_no_secret():
    folder = Path(__file__).parent / "__snapshots__"
    for svg in folder.rglob("*.svg"):
        text = svg.read_text()
        for secret in SECRETS:
            assert secret not in text, svg
