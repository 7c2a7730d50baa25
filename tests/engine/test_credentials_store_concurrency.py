"""Many writers, a botocore reader, a foreign lock holder, threads: nothing is lost or torn.

Writers run as separate processes started with the "spawn" context (a fresh interpreter,
as a second aws-mfa-tui would be); the reader is botocore's own SharedCredentialProvider
reading the file in a loop while they write.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import select
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import pytest
from botocore.configloader import raw_config_parse

from tui.engine.credential_values import SessionCredentials
from tui.engine.credentials_file.lock import LOCK_FILE_NAME, lock_paths
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import LockTimeoutError
from tui.engine.secret import Secret

WRITERS = 16
WRITES_EACH = 25
BEFORE = {f"before-{n}": f"AKIABEFORE{n:010d}" for n in range(4)}
PROLOGUE = "".join(
    f"# profile {name}, set up by hand\n[{name}]\naws_access_key_id = {key}\n"
    f"aws_secret_access_key = secret-{name}\n\n"
    for name, key in BEFORE.items()
)


def _session(name: str) -> SessionCredentials:
    return SessionCredentials(
        access_key_id=f"ASIA{name.upper().replace('-', '')}",
        secret_access_key=Secret(f"secret-{name}"),
        session_token=Secret(f"token-{name}-" + "x" * 200),
        expiration=datetime(2026, 11, 22, 18, 0, 0, tzinfo=UTC),
    )


# ------------------------------------------------------------------ child processes
def _writer(path: str, index: int, go, errors) -> None:
    try:
        store = CredentialsStore(path, lock_timeout=120)
        go.wait(120)
        for n in range(WRITES_EACH):
            store.write_session(f"w{index:02d}-{n:02d}", _session(f"w{index:02d}-{n:02d}"))
    except BaseException as exc:  # report anything, then fail the exit code
        errors.put(f"writer {index}: {type(exc).__name__}: {exc}")
        raise


def _reader(path: str, go, stop, results) -> None:
    """Read the file the way the AWS SDKs do, as fast as possible, until told to stop."""
    from botocore.credentials import SharedCredentialProvider

    reads = 0
    failures: list[str] = []
    seen: set[str] = set()
    go.wait(120)
    while not stop.is_set() and len(failures) < 5:
        try:
            for name, key in BEFORE.items():
                credentials = SharedCredentialProvider(path, profile_name=name).load()
                if credentials is None or credentials.access_key != key:
                    failures.append(f"profile {name} not found")
            sections = set(raw_config_parse(path))
            if not seen <= sections:
                failures.append(f"sections disappeared: {sorted(seen - sections)[:3]}")
            seen = sections
            reads += 1
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
    results.put((reads, failures, len(seen)))


# ------------------------------------------------------------------ tests
def test_sixteen_processes_lose_nothing_while_botocore_reads(sandbox_home):
    sandbox_home.aws_dir.mkdir(mode=0o700)
    sandbox_home.credentials.write_text(PROLOGUE)
    path = str(sandbox_home.credentials)
    context = multiprocessing.get_context("spawn")
    go, stop = context.Event(), context.Event()
    errors, results = context.Queue(), context.Queue()
    reader = context.Process(target=_reader, args=(path, go, stop, results))
    writers = [
        context.Process(target=_writer, args=(path, index, go, errors))
        for index in range(WRITERS)
    ]
    for process in [reader, *writers]:
        process.start()
    try:
        go.set()
        for process in writers:
            process.join(240)
        stop.set()
        reads, failures, last_seen = results.get(timeout=120)
        reader.join(60)
    finally:
        for process in [reader, *writers]:
            if process.is_alive():
                process.kill()
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    assert reported == []
    assert [process.exitcode for process in writers] == [0] * WRITERS
    assert failures == []
    assert reads > 0
    final = raw_config_parse(path)
    written = {f"w{i:02d}-{n:02d}" for i in range(WRITERS) for n in range(WRITES_EACH)}
    assert set(final) == written | set(BEFORE)
    for name in written:
        assert final[name]["aws_secret_access_key"] == f"secret-{name}"
        assert final[name]["aws_session_token"] == final[name]["aws_security_token"]
    # The hand-written part of the file is still there byte for byte.
    assert sandbox_home.credentials.read_text().startswith(PROLOGUE)
    assert last_seen <= len(final)
    assert not list(sandbox_home.aws_dir.glob("*.tmp"))


def _hold_lock(sandbox_home) -> int:
    sandbox_home.aws_dir.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(sandbox_home.aws_dir / LOCK_FILE_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


CHILD = """
import sys
from tui.engine.credentials_file.store import CredentialsStore
store = CredentialsStore(sys.argv[1], lock_timeout=120)
print("ready", flush=True)
store.set_section("child", {"aws_access_key_id": "AKIACHILD"})
print("done", flush=True)
"""


def test_a_write_waits_for_a_foreign_flock_holder_then_proceeds(sandbox_home):
    fd = _hold_lock(sandbox_home)
    sandbox_home.credentials.write_text(PROLOGUE)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(sandbox_home.credentials)],
        stdout=subprocess.PIPE, text=True, cwd=os.getcwd(),
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        # Give a writer that ignored the lock every chance to finish: it must not have.
        readable, _, _ = select.select([child.stdout], [], [], 0.5)
        assert readable == [] and child.poll() is None
        assert sandbox_home.credentials.read_text() == PROLOGUE
        # What we write while we hold the lock must survive the waiting writer's edit.
        sandbox_home.credentials.write_text(PROLOGUE + "[holder]\naws_access_key_id = H\n")
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    try:
        assert child.stdout.readline() == "done\n"
        assert child.wait(60) == 0
    finally:
        if child.poll() is None:
            child.kill()
    final = raw_config_parse(str(sandbox_home.credentials))
    assert final["holder"] == {"aws_access_key_id": "H"}
    assert final["child"] == {"aws_access_key_id": "AKIACHILD"}


def test_a_lock_held_too_long_is_a_clear_timeout_and_changes_nothing(sandbox_home):
    fd = _hold_lock(sandbox_home)
    sandbox_home.credentials.write_text(PROLOGUE)
    store = CredentialsStore(sandbox_home.credentials, lock_timeout=0.2)
    try:
        with pytest.raises(LockTimeoutError) as caught:
            store.write_session("new", _session("new"))
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    message = str(caught.value)
    assert str(sandbox_home.aws_dir / LOCK_FILE_NAME) in message
    assert "\n" not in message
    assert sandbox_home.credentials.read_text() == PROLOGUE
    assert sorted(p.name for p in sandbox_home.aws_dir.iterdir()) == [
        LOCK_FILE_NAME, "credentials",
    ]
    # Once the holder is gone the same store writes at once.
    store.write_session("new", _session("new"))
    assert "new" in raw_config_parse(str(sandbox_home.credentials))


def test_a_file_in_a_symlinked_folder_takes_its_one_lock_once(sandbox_home, tmp_path):
    """`~/.aws` linking to a dotfiles folder: the lock beside the path as given and the one
    beside the real file are one file, taken once (two instances on it in one thread
    would wait for each other: every write failed this way), and a holder of it through
    either spelling still excludes us."""
    real = tmp_path / "dotfiles" / "aws"
    real.mkdir(parents=True)
    sandbox_home.aws_dir.symlink_to(real)
    sandbox_home.credentials.write_text(PROLOGUE)
    assert lock_paths(sandbox_home.credentials) == [real.resolve() / LOCK_FILE_NAME]
    store = CredentialsStore(sandbox_home.credentials, lock_timeout=5)
    store.write_session("new", _session("new"))
    assert "new" in raw_config_parse(str(real / "credentials"))
    fd = os.open(real / LOCK_FILE_NAME, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(LockTimeoutError):
            CredentialsStore(sandbox_home.credentials, lock_timeout=0.2).write_session(
                "other", _session("other"))
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert "other" not in raw_config_parse(str(real / "credentials"))


def test_a_relative_path_takes_one_lock(sandbox_home, monkeypatch):
    sandbox_home.aws_dir.mkdir(mode=0o700)
    sandbox_home.credentials.write_text(PROLOGUE)
    monkeypatch.chdir(sandbox_home.aws_dir)
    assert len(lock_paths("credentials")) == 1
    CredentialsStore("credentials", lock_timeout=5).write_session("new", _session("new"))
    assert "new" in raw_config_parse(str(sandbox_home.credentials))
    assert sandbox_home.credentials.read_text().startswith(PROLOGUE)


def test_threads_in_one_process_lose_nothing(sandbox_home):
    sandbox_home.aws_dir.mkdir(mode=0o700)
    sandbox_home.credentials.write_text(PROLOGUE)
    threads, each = 8, 15
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []
    shared = CredentialsStore(sandbox_home.credentials)

    def work(index: int) -> None:
        try:
            # Half the threads share one store object, half have their own.
            store = shared if index % 2 else CredentialsStore(sandbox_home.credentials)
            barrier.wait(30)
            for n in range(each):
                store.write_session(f"t{index}-{n}", _session(f"t{index}-{n}"))
                if n % 5 == 0:
                    time.sleep(0)  # let the others in
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert failures == []
    final = raw_config_parse(str(sandbox_home.credentials))
    assert set(final) == {f"t{i}-{n}" for i in range(threads) for n in range(each)} | set(BEFORE)
    assert sandbox_home.credentials.read_text().startswith(PROLOGUE)
