"""A writer killed with SIGKILL at random moments never leaves a torn file.

Each version of the file is a pure function of a counter: the writer sets two sections
from counter n in one edit, so after any kill the whole file must equal render(n) for one
n (never a mix, never a prefix), botocore must read it, and temp files must not pile up.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import time

import pytest
from botocore.configloader import raw_config_parse

from tui.engine.credentials_file.ini_document import IniDocument
from tui.engine.credentials_file.store import CredentialsStore

KILLS = 200
PROLOGUE = (
    "# hand-written; must survive every crash\n"
    "[work]\n"
    "aws_access_key_id = AKIAWORK000000000000\n"
    "aws_secret_access_key = work-secret\n"
    "\n"
)
TEMP = re.compile(r"\.credentials\.[a-z0-9_]{8}\.tmp")


def _values(n: int) -> tuple[dict[str, str], dict[str, str]]:
    # Lengths vary with n, so a torn or partly written file can't look like a version.
    return (
        {"aws_access_key_id": f"ASIA{n:016d}", "aws_session_token": f"{'t' * (n % 301)}{n}"},
        {"counter": str(n), "note": f"{'n' * (n % 7)}{n}"},
    )


def render(n: int) -> str:
    a, b = _values(n)
    return (
        PROLOGUE
        + "[crash-a]\n" + "".join(f"{k} = {v}\n" for k, v in a.items())
        + "\n[crash-b]\n" + "".join(f"{k} = {v}\n" for k, v in b.items())
    )


def _write(store: CredentialsStore, n: int) -> None:
    a, b = _values(n)

    def change(document: IniDocument) -> None:
        document.set_values("crash-a", a)
        document.set_values("crash-b", b)

    store.edit(change)


def _counter(text: str) -> int:
    return int(IniDocument.parse(text).get("crash-b", "counter") or -1)


def _crash_writer(path: str, ready) -> None:
    """Write versions n+1, n+2, ... until killed. Says `ready` after its first write."""
    store = CredentialsStore(path)
    with open(path) as handle:
        n = _counter(handle.read())
    n += 1
    _write(store, n)
    ready.send(n)
    while True:
        n += 1
        _write(store, n)


@pytest.mark.slow
def test_sigkill_at_random_moments_never_tears_the_file(sandbox_home):
    sandbox_home.aws_dir.mkdir(mode=0o700)
    path = sandbox_home.credentials
    path.write_text(render(0))
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    rng = random.Random(20261122)
    last = 0
    left_behind = 0  # kills that caught a writer between its temp file and the replace
    for kill in range(KILLS):
        receiver, sender = context.Pipe(duplex=False)
        writer = context.Process(target=_crash_writer, args=(str(path), sender), daemon=True)
        writer.start()
        sender.close()
        try:
            assert receiver.poll(60), f"writer {kill} never got going"
            first = receiver.recv()
            time.sleep(rng.uniform(0, 0.02))
        finally:
            os.kill(writer.pid, signal.SIGKILL)
            writer.join(30)
            receiver.close()
        assert writer.exitcode == -signal.SIGKILL
        text = path.read_text()
        n = _counter(text)
        assert text == render(n), f"after kill {kill} the file is not one whole version"
        # The writer started from the version on disk; the file only moves forward.
        assert first == last + 1 and n >= first
        last = n
        parsed = raw_config_parse(str(path))  # botocore reads every version
        assert parsed["crash-b"]["counter"] == str(n)
        assert parsed["work"]["aws_secret_access_key"] == "work-secret"
        temps = [p.name for p in sandbox_home.aws_dir.iterdir() if p.name.endswith(".tmp")]
        # Only the killed writer's own temp file can be there: it cleaned up all others.
        assert len(temps) <= 1 and all(TEMP.fullmatch(name) for name in temps), temps
        left_behind += len(temps)
    assert last >= KILLS
    # The next write removes a killed writer's temp file at once, however young.
    temps = [p for p in sandbox_home.aws_dir.iterdir() if p.name.endswith(".tmp")]
    _write(CredentialsStore(path), last + 1)
    assert not any(p.exists() for p in temps)
    assert path.read_text() == render(last + 1)
    print(f"{KILLS} kills, {left_behind} caught a writer between temp file and replace")


def test_dead_writers_temp_files_are_removed_at_once_by_the_next_write(sandbox_home):
    """Inside the lock every temp file of ours is a dead writer's: it goes at once, however
    young (it may hold secrets), while files that are not ours stay."""
    sandbox_home.aws_dir.mkdir(mode=0o700)
    path = sandbox_home.credentials
    path.write_text(render(0))
    stale = sandbox_home.aws_dir / ".credentials.k2j4_x9a.tmp"
    young = sandbox_home.aws_dir / ".credentials.abcdefgh.tmp"
    foreign = [  # not names our mkstemp makes: never touched
        sandbox_home.aws_dir / ".credentials.backup.tmp",
        sandbox_home.aws_dir / "credentials.tmp",
        sandbox_home.aws_dir / ".credentials.ABCDEFGH.tmp",
    ]
    old = time.time() - 120
    for file in [stale, young, *foreign]:
        file.write_text("[x]\n")
    os.utime(stale, (old, old))
    link = sandbox_home.aws_dir / ".credentials.linkxxxx.tmp"
    link.symlink_to(path)
    store = CredentialsStore(path)
    store.read()  # reading cleans nothing
    assert stale.exists() and young.exists()
    _write(store, 1)
    assert not stale.exists() and not young.exists()
    assert all(file.exists() for file in foreign) and link.is_symlink()
    assert path.read_text() == render(1)


def test_logout_removes_a_dead_writers_temp_file_at_once(sandbox_home):
    sandbox_home.aws_dir.mkdir(mode=0o700)
    path = sandbox_home.credentials
    path.write_text(render(0) + "\n[old-mfa]\naws_access_key_id = ASIAX\n"
                    "aws_secret_access_key = s\naws_session_token = t\n")
    young = sandbox_home.aws_dir / ".credentials.abcdefgh.tmp"
    young.write_text("[w]\naws_secret_access_key = leaked\n")
    result = subprocess.run(
        [sys.executable, "-m", "tui", "--credentials-file", str(path), "logout", "old-mfa"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert not young.exists()
    assert path.read_text() == render(0) + "\n"
