"""The TUI retries a failed automatic refresh the way `watch` does: the network is down when
a session with an mfa_command enters its lead time, then comes back."""

from __future__ import annotations

import sys
from datetime import timedelta

from botocore.configloader import raw_config_parse

from tests.support.app import (
    SIZE,
    START,
    add_config,
    add_session,
    make_service,
    screen_text,
    settle,
)
from tui.app.app import AwsMfaApp


async def test_a_failed_automatic_refresh_is_retried_once_the_network_is_back(
        aws, make_user, sandbox_home, clock, monkeypatch, tmp_path):
    user = make_user("alice", profile="work")
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {user.serial}")
    counter = tmp_path / "runs"
    script = tmp_path / "code.py"  # a new code each run, as the next TOTP step gives
    script.write_text(f"import pathlib\np = pathlib.Path({str(counter)!r})\n"
                      "n = len(p.read_text()) if p.exists() else 0\n"
                      "p.write_text('x' * (n + 1))\nprint(f'{100000 + n}')\n")
    sandbox_home.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.settings.write_text(f'mfa_command = "{sys.executable} {script}"\n')
    add_session(sandbox_home.credentials, "work-mfa", START + timedelta(minutes=3))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the network is down
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)  # in its lead time at once: refreshing by itself fails
        screen = app.main_screen
        assert "work" in screen.errors
        assert "retrying in 5 s" in screen_text(app)
        monkeypatch.setenv("AWS_ENDPOINT_URL", aws.url)  # back
        clock.advance(seconds=4)
        app.clock_tick()
        await settle(app, pilot)
        assert not aws.injector.calls("GetSessionToken")  # not before its backoff
        clock.advance(seconds=1)
        app.clock_tick()
        await settle(app, pilot)
        assert [c.params["TokenCode"] for c in aws.injector.calls("GetSessionToken")] == [
            "100001"]
        assert "work" not in screen.errors
        expiration = raw_config_parse(str(sandbox_home.credentials))["work-mfa"]["expiration"]
        assert not expiration.startswith(START.strftime("%Y-%m-%dT09:33"))
        assert any(line.endswith("work: trying again")
                   for line in screen.log_panel.lines_written)
