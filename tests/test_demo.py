"""`--demo`: an in-process emulator and throwaway files, never the real ~/.aws."""

from __future__ import annotations

import os
import sys

import pytest

from tests.app.toasts import Toasts
from tui.demo import start_demo
from tui.engine.errors import UsageError
from tui.engine.mfa.codes import FixedCode, UsedCodes
from tui.engine.secret import Secret
from tui.engine.sessions.schedule import SessionState
from tui.engine.sessions.service import SessionService, no_code_needed


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


def _start_demo_app_in_a_pty(tmp_path):
    """`aws-mfa-tui --demo` in a pty (100x30), TMPDIR in tmp_path; returns it once painted."""
    import fcntl
    import pty
    import select
    import struct
    import subprocess
    import termios
    import time

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TMPDIR": str(tmp_path), "TERM": "xterm-256color"}
    process = subprocess.Popen([sys.executable, "-m", "tui", "--demo"], stdin=slave,
                               stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120  # a bound for a loaded machine, not a speed check
    while b"prod-admin" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    return process, master, seen


@pytest.mark.parametrize("signame", ["SIGHUP", "SIGTERM"])
def test_demo_folder_is_removed_on_hangup_and_term(sandbox_home, tmp_path, signame):
    import signal
    import subprocess

    process, master, seen = _start_demo_app_in_a_pty(tmp_path)
    try:
        assert b"prod-admin" in seen, seen[-2000:]
        folders = list(tmp_path.glob("aws-mfa-tui-demo-*"))
        assert len(folders) == 1 and (folders[0] / ".aws" / "credentials").exists()
        assert folders[0].name.startswith(f"aws-mfa-tui-demo-{process.pid}-")
        process.send_signal(getattr(signal, signame))
        process.wait(timeout=60)
        assert not folders[0].exists()
    finally:
        if process.poll() is None:
            process.kill()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        os.close(master)


def test_demo_removes_folders_of_dead_demos_only(sandbox_home, tmp_path, monkeypatch):
    import subprocess
    import tempfile

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"aws-mfa-tui-demo-{gone.pid}-abc123"
    alive = tmp_path / f"aws-mfa-tui-demo-{os.getppid()}-def456"
    unnamed = tmp_path / "aws-mfa-tui-demo-xyz"
    other = tmp_path / f"something-{gone.pid}-else"
    for folder in (dead, alive, unnamed, other):
        (folder / ".aws").mkdir(parents=True)
        (folder / ".aws" / "credentials").write_text("[x]\n")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    demo = start_demo()
    try:
        assert demo.folder.parent == tmp_path
        assert demo.folder.name.startswith(f"aws-mfa-tui-demo-{os.getpid()}-")
        assert not dead.exists()
        assert alive.exists() and unnamed.exists() and other.exists()
    finally:
        demo.stop()
    assert not demo.folder.exists()


async def test_demo_rows_say_the_emulator_is_starting_then_everything_works(sandbox_home):
    """The TUI paints the demo before its emulator exists: every row reads "starting" and
    the summary line says what starts. Once the emulator is up (held here until the rows
    were looked at), the real keys are in the file and refresh, assume and rotate work."""
    import threading

    from tests.support.app import screen_text, table_rows
    from tui.app.app import DEMO_READY_WORDS, AwsMfaApp
    from tui.app.screens.mfa_code_modal import MfaCodeModal
    from tui.demo import STARTING_WORDS, prepare_demo
    from tui.engine.rotation.key_rotation import KeyRotation

    demo = prepare_demo()
    release = threading.Event()
    start = demo.start_emulator

    def held_start() -> None:
        release.wait(120)
        start()

    demo.start_emulator = held_start  # type: ignore[method-assign]
    placeholder = demo._placeholders["personal"]["aws_access_key_id"]
    try:
        service = SessionService(demo.paths, used_codes=UsedCodes())
        app = AwsMfaApp(service, demo=demo)
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            async def until(condition, rounds: int = 1200) -> None:
                for _ in range(rounds):  # a bound against a hang, not a speed check
                    await pilot.pause(0.05)
                    if condition():
                        return
                raise AssertionError(screen_text(app)[-3000:])

            await until(lambda: len(table_rows(app)) == 6)
            states = {name: cells["state"] for name, cells in table_rows(app).items()}
            assert all(state.endswith("starting") for state in states.values()), states
            assert STARTING_WORDS in screen_text(app).replace("&#8230;", "…")
            assert placeholder in demo.paths.credentials.read_text()
            assert app.emulator_starting and not demo.ready.is_set()
            release.set()
            await until(lambda: app.demo_words == DEMO_READY_WORDS)
            await until(lambda: table_rows(app)["work"]["state"] == "fresh")
            assert placeholder not in demo.paths.credentials.read_text()
            assert "starting" not in screen_text(app)
            # refresh with a code (any 6 digits), and a chained role by itself
            app.main_screen.start_refresh(["personal"])
            await until(lambda: isinstance(app.screen, MfaCodeModal))
            await pilot.press(*"135790")  # it submits on the 6th digit
            await until(lambda: table_rows(app)["personal"]["state"] == "fresh")
            app.main_screen.start_refresh(["staging-readonly"])
            await until(lambda: table_rows(app)["staging-readonly"]["state"] == "fresh")
        # rotate, against the same emulator, signed with the MFA session just made
        rotation = KeyRotation(service, "personal", sleep=lambda _s: None)
        assert rotation.use_valid_session()
        result = rotation.run(rotation.plan())
        assert result.old_key_state == "deleted"
        assert result.new_key_id in demo.paths.credentials.read_text()
    finally:
        release.set()
        demo.stop()
    assert not demo.folder.exists()


def test_a_demo_stopped_while_its_emulator_starts_leaves_no_folder(sandbox_home):
    """Quitting in the first seconds: stop() removes the folder, and the emulator's start,
    still under way in its worker, must not re-create it by writing the keys."""
    from tui.demo import prepare_demo

    demo = prepare_demo()
    demo.stop()
    assert not demo.folder.exists()
    demo.start_emulator()
    assert not demo.folder.exists()
    assert not demo.ready.is_set()


async def test_demo_whose_emulator_fails_to_start_says_so_and_stops_saying_starting(
        sandbox_home, monkeypatch):
    from tests.support.app import table_rows
    from tui.app.app import AwsMfaApp
    from tui.demo import prepare_demo

    demo = prepare_demo()
    monkeypatch.setitem(sys.modules, "moto.server", None)  # as if moto broke after the check
    try:
        app = AwsMfaApp(SessionService(demo.paths, used_codes=UsedCodes()), demo=demo)
        toasts = Toasts()
        async with app.run_test(size=(100, 30), notifications=True,
                                message_hook=toasts) as pilot:
            for _ in range(1200):  # a bound against a hang, not a speed check
                await pilot.pause(0.05)
                if not app.emulator_starting and table_rows(app):
                    break
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert any("didn't start: --demo needs the demo extra" in t for t in toasts), toasts
            assert not any("starting" in cells["state"] for cells in table_rows(app).values())
            assert app.sub_title == "the local AWS emulator didn't start" or "needs" in \
                app.sub_title
    finally:
        demo.stop()
    assert not demo.folder.exists()
