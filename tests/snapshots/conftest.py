"""Fixtures of the snapshot tests: the time zone fixed to UTC, and the fixed app."""

from __future__ import annotations

import pytest

from tests.support.snapshot_app import fixed_app
from tui.app.app import AwsMfaApp


@pytest.fixture(autouse=True)
def fixed_time_zone(utc_zone) -> None:
    """Every snapshot shows times in UTC."""


@pytest.fixture
def app(sandbox_home) -> AwsMfaApp:
    return fixed_app(sandbox_home)
