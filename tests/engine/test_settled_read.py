"""Reading a file another program may be rewriting in place, never taking a moment of its
write for the file: each rule of `credentials_file.settled_read` on a real file, with real writes.

The store's use of it against awscli's truncate-and-write and stalling writers is tested in
tests/engine/test_credentials_store_stalling*.py and test_credentials_store_unlocked.py.
Every wait here is bounded by a deadline; the outcome is asserted, never the duration."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.engine.credentials_file import settled_read as module
from tui.engine.credentials_file.known_state import KnownState
from tui.engine.credentials_file.settled_read import (
    MAX_SIZE,
    TooLarge,
    Unsettled,
    names_of,
    settled_read,
    stamp_of,
    suspicion,
    whole_read,
)

WHOLE = b"[work]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n\n[work-mfa]\nx = 1\n"
PREFIX = WHOLE[:WHOLE.index(b"[work-mfa]")]  # cut at a section boundary: it parses
KNOWN = KnownState(frozenset({"work", "work-mfa"}), frozenset({"work"}), len(WHOLE))


@pytest.fixture
def credentials(tmp_path) -> Path:
    return tmp_path / "credentials"


def _open(path: Path, data: bytes) -> Iterator[int]:
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        yield fd
    finally:
        os.close(fd)


@pytest.fixture
def prefix_fd(credentials) -> Iterator[int]:
    yield from _open(credentials, PREFIX)


@pytest.fixture
def whole_fd(credentials) -> Iterator[int]:
    yield from _open(credentials, WHOLE)


# ------------------------------------------------------------------ what looks suspect
def test_a_read_is_suspect_when_it_lost_sections_shrank_is_empty_or_does_not_parse():
    names = names_of(WHOLE)
    assert names == KNOWN.names and suspicion(WHOLE, names, KNOWN) is None
    assert suspicion(PREFIX, names_of(PREFIX), KNOWN) == (
        "lacks 1 of the 2 sections it had")
    assert suspicion(b"", names_of(b""), KNOWN) == (
        "lacks 2 of the 2 sections it had (1 with long-term keys)")
    longer = KNOWN._replace(size=len(WHOLE) + 10)
    assert suspicion(WHOLE, names, longer) == f"shrank from {len(WHOLE) + 10} to {len(WHOLE)} bytes"
    assert suspicion(b"[work\n", names_of(b"[work\n"), None) == "does not parse (cut off mid-line?)"
    # Nothing known yet (the first run on a file): only an empty read is suspect.
    assert suspicion(PREFIX, names_of(PREFIX), None) is None
    assert suspicion(b"\n\n", names_of(b"\n\n"), None) == "is empty"


def test_a_file_larger_than_any_credentials_file_is_refused(credentials):
    with open(credentials, "wb") as handle:
        handle.truncate(MAX_SIZE + 1)  # sparse: nothing is really written
    fd = os.open(credentials, os.O_RDONLY)
    try:
        with pytest.raises(TooLarge):
            whole_read(fd, time.monotonic() + 5)
    finally:
        os.close(fd)


# ------------------------------------------------------------------ settled_read
def test_a_whole_file_is_taken_after_one_confirming_read(whole_fd):
    data, info, weak = settled_read(whole_fd, KNOWN, time.monotonic() + 10)
    assert (data, weak) == (WHOLE, False) and info.st_size == len(WHOLE)


def test_a_file_nobody_changed_since_we_saw_it_is_taken_at_once_even_if_suspect(prefix_fd):
    stamp = stamp_of(os.fstat(prefix_fd))
    # Our own last write, or the known state's stamp: no one else has touched it.
    assert settled_read(prefix_fd, KNOWN, time.monotonic() + 0.05, ours=stamp)[2] is False
    known = KNOWN._replace(stamp=stamp)
    assert settled_read(prefix_fd, known, time.monotonic() + 0.05)[0] == PREFIX


def test_a_stalled_writer_that_finishes_is_waited_for(credentials, prefix_fd):
    def finish() -> None:
        time.sleep(0.2)
        with open(credentials, "r+b") as handle:  # in place, as awscli writes
            handle.seek(len(PREFIX))
            handle.write(WHOLE[len(PREFIX):])

    writer = threading.Thread(target=finish)
    writer.start()
    try:
        data, _info, weak = settled_read(prefix_fd, KNOWN, time.monotonic() + 10)
    finally:
        writer.join()
    assert (data, weak) == (WHOLE, False)


def test_a_writer_that_never_finishes_runs_into_the_deadline_and_is_told(prefix_fd):
    told: list[str] = []
    with pytest.raises(Unsettled) as caught:
        settled_read(prefix_fd, KNOWN, time.monotonic() + module.NOTICE_AFTER + 0.3,
                     waiting=told.append)
    # Shorter than the file was: suspect before any parse.
    shrank = f"shrank from {len(WHOLE)} to {len(PREFIX)} bytes"
    assert caught.value.what == f"{shrank} and kept changing"
    assert told == [shrank]  # once


def test_a_suspect_read_is_taken_weak_once_the_file_stays_quiet(prefix_fd, monkeypatch):
    # QUIET is seconds of real editors' pauses; shortened so the test takes a moment.
    monkeypatch.setattr(module, "QUIET", 0.3)
    data, _info, weak = settled_read(prefix_fd, KNOWN, time.monotonic() + 10)
    assert (data, weak) == (PREFIX, True)


def test_on_a_first_run_an_empty_file_is_taken_once_a_second_old(credentials):
    for fd in _open(credentials, b""):
        data, _info, weak = settled_read(fd, None, time.monotonic() + 10)
        assert (data, weak) == (b"", False)
        assert time.time_ns() - os.fstat(fd).st_ctime_ns >= 1_000_000_000 * 0.99


def test_an_unparseable_file_no_shorter_than_it_was_is_handed_on_to_be_refused(credentials):
    broken = WHOLE.replace(b"[work-mfa]", b"[work-mfa")
    for fd in _open(credentials, broken):
        data, _info, weak = settled_read(fd, KNOWN._replace(size=len(broken)),
                                         time.monotonic() + 10)
        assert (data, weak) == (broken, False)
        assert names_of(data) is None
