"""The main screen's thread workers (`@work`): one that raises is shown by the app and
frees its row, which says what went wrong."""

from __future__ import annotations

from tests.app.test_app_main import seeded
from tests.support.app import SIZE, settle
from tui.app import engine_calls
from tui.app.app import AwsMfaApp


async def test_a_refresh_worker_that_raises_frees_its_row(sandbox_home, clock, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(engine_calls, "refresh", broken)
    service, _ = seeded(sandbox_home, clock)
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        assert screen.row_named("prod").code_mode.value != "code"  # chained: no modal
        screen.start_refresh(["prod"])
        assert "prod" in screen.busy
        # (`settle` would re-raise the worker's error: `Worker.wait` does for a failed one.)
        for _ in range(50):
            await pilot.pause(0.02)
            if "prod" not in screen.busy:
                break
        assert "prod" not in screen.busy
        assert screen.errors["prod"] == "unexpected error: RuntimeError"
