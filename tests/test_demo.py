"""`--demo`: an in-process emulator and throwaway files, never the real ~/.aws."""

from __future__ import annotations

import os
import sys

import pytest

from tui.demo import start_demo
from tui.engine.errors import UsageError
from tui.engine.mfa_code import FixedCode, UsedCodes
from tui.engine.schedule import SessionState
from tui.engine.secret import Secret
from tui.engine.sessions import SessionService, no_code_needed


def test_demo_profiles_states_and_cleanup(sandbox_home, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "real-profile")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY000000000")
    before = dict(os.environ)
    demo = start_demo()
    try:
        assert demo.endpoint_url.startswith("http://127.0.0.1:")
        assert os.environ["AWS_ENDPOINT_URL"] == demo.endpoint_url
        assert "AWS_PROFILE" not in os.environ and "AWS_ACCESS_KEY_ID" not in os.environ
        for path in (demo.paths.credentials, demo.paths.config, demo.paths.settings):
            assert path.exists() and str(path).startswith(str(demo.folder))
            assert not str(path).startswith(str(sandbox_home.home))
        assert oct(demo.paths.credentials.stat().st_mode & 0o777) == "0o600"
        service = SessionService(demo.paths, used_codes=UsedCodes())
        states = {row.name: (row.kind, row.state) for row in service.status()}
        assert states["work"] == ("identity", SessionState.FRESH)
        assert states["staging"] == ("identity", SessionState.EXPIRING)
        assert states["personal"] == ("identity", SessionState.EXPIRED)
        assert states["sandbox"] == ("identity", SessionState.NONE)
        assert states["prod-admin"] == ("role", SessionState.FRESH)
        # it works: a chained role and a code refresh against the emulator
        assert service.assume("prod-admin", no_code_needed()).target == "prod-admin-session"
        result = service.refresh("personal", FixedCode(Secret("123456")), force=True)
        assert result.target == "personal-mfa"
        assert not (sandbox_home.aws_dir / "credentials").exists()
    finally:
        demo.stop()
    assert not demo.folder.exists()
    assert dict(os.environ) == before


def test_demo_without_moto_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "moto.server", None)
    with pytest.raises(UsageError, match=r"demo extra"):
        start_demo()


def test_demo_flag_runs_commands_against_the_demo(sandbox_home):
    import subprocess

    done = subprocess.run([sys.executable, "-m", "tui", "--demo", "status"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    for name in ("work", "staging", "personal", "sandbox", "prod-admin"):
        assert name in done.stdout
