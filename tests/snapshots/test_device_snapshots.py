"""Snapshots of the MFA device dialogs: the chooser (with a skipped FIDO key) and the
offer of a session without MFA. Pushed straight onto the fixed main screen of
`test_app_snapshots`; the IAM lookups that open them are covered by the Pilot tests in
tests/test_app_mfa_devices.py. Regenerate with `pytest tests/snapshots --snapshot-update`.
"""

# ruff: noqa: F811  (the fixtures imported below are parameters here)
from __future__ import annotations

from textual.screen import Screen

from tests.snapshots.test_app_snapshots import SIZE, _ready, app, fixed_time_zone  # noqa: F401
from tui.app.screens.mfa_device_chooser import MfaDeviceChooser
from tui.app.screens.no_mfa_device import NoMfaDeviceOffer

KEY = "arn:aws:iam::123456789012:u2f/user/alice/key-ABCD"


def _with(dialog: Screen):
    ready = _ready()

    async def run_before(pilot) -> None:
        await ready(pilot)
        pilot.app.push_screen(dialog)
        await pilot.pause()

    return run_before


def test_device_chooser(snap_compare, app):
    chooser = MfaDeviceChooser("sandbox", (
        "arn:aws:iam::123456789012:mfa/alice-phone",
        "arn:aws:iam::123456789012:mfa/alice-tablet", "GAHT12345678"), (KEY,))
    assert snap_compare(app, terminal_size=SIZE, run_before=_with(chooser))


def test_no_mfa_device_offer(snap_compare, app):
    offer = NoMfaDeviceOffer("sandbox", "sandbox-mfa",
                             "arn:aws:iam::123456789012:user/dave")
    assert snap_compare(app, terminal_size=SIZE, run_before=_with(offer))
