"""Snapshot of the second clock: `work` has `max_mfa_age = 3600` and a session whose MFA
was used 50 minutes ago, so it shows "MFA 0:10:00" though the session lasts 8 hours more;
`staging`'s bar is scaled to its own length (we got it 56:40 ago: 1 hour in all), not to
the 12-hour `duration` setting."""

from __future__ import annotations

from datetime import timedelta

from tests.support.snapshot_app import NOW, SIZE, fixed_app, ready
from tui.engine.mfa.age import TIMES_KEY, SessionTimes


def _record(sandbox_home, section: str, key: str, issued, mfa) -> None:
    text = sandbox_home.credentials.read_text()
    head = f"[{section}]\naws_access_key_id = {key}\n"
    start = text.index(head)
    end = text.index("\n\n", start)
    expires = next(line.split(" = ", 1)[1] for line in text[start:end].splitlines()
                   if line.startswith("expiration = "))
    from tui.engine.credential_values import parse_expiration

    record = SessionTimes(issued, mfa).record(key, parse_expiration(expires))  # type: ignore[arg-type]
    sandbox_home.credentials.write_text(
        f"{text[:end]}\n{TIMES_KEY} = {record}{text[end:]}")


def test_main_screen_with_the_mfa_clock(snap_compare, sandbox_home):
    app = fixed_app(sandbox_home)
    sandbox_home.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.settings.write_text("[profiles.work]\nmax_mfa_age = 3600\n")
    app.service.reload_settings()
    _record(sandbox_home, "work-mfa", "ASIA1", NOW - timedelta(minutes=50),
            NOW - timedelta(minutes=50))
    _record(sandbox_home, "staging-mfa", "ASIA3", NOW - timedelta(minutes=56, seconds=40),
            NOW - timedelta(minutes=56, seconds=40))
    assert snap_compare(app, terminal_size=SIZE, run_before=ready())
