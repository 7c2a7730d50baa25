"""A rotation's looks at the credentials file: the new key found, a copy of the old key put
back by another program written over again, someone's own change left alone, and each way
a look passes or gives up. The file and the store are real; the look's clock is one the
test moves (its sleeps advance it), so holding and giving up take no real time.

Whole rotations against writers that put the old key back are tested in
tests/engine/test_rotation_put_back.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.rotation.key_in_file import HOLD, QUIET, TIMEOUT, FileLook, KeyInFile
from tui.engine.secret import Secret

OLD, NEW = "AKIAOLDOLDOLDOLDOLD1", "AKIANEWNEWNEWNEWNEW1"
NEW_SECRET = Secret("new-secret")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _section(key: str, secret: str) -> str:
    return f"aws_access_key_id = {key}\naws_secret_access_key = {secret}\n"


def _write(path: Path, **sections: str) -> None:
    path.write_text("".join(f"[{name}]\n{body}\n" for name, body in sections.items()))


@pytest.fixture
def store(sandbox_home) -> CredentialsStore:
    sandbox_home.aws_dir.mkdir()
    _write(sandbox_home.credentials, work=_section(NEW, "new-secret"),
           home=_section("AKIAHOME", "h"))
    return CredentialsStore(sandbox_home.credentials)


def _file(store: CredentialsStore, clock: Clock, *sections: str) -> KeyInFile:
    return KeyInFile(store, sections or ("work",), monotonic=clock, sleep=clock.sleep)


def _write_again(store: CredentialsStore, written: list[FileLook]):
    def again(look: FileLook) -> None:
        written.append(look)
        for name in look.put_back:
            store.set_section(name, {"aws_access_key_id": NEW,
                                     "aws_secret_access_key": NEW_SECRET.reveal()})
    return again


def test_a_file_that_holds_the_key_passes_at_the_first_read(store):
    clock = Clock()
    file = _file(store, clock)
    file.note_our_write()  # what a rotation does right after it writes the key
    look = file.keep(NEW, {"work": NEW_SECRET}, OLD, _write_again(store, []))
    assert look.kept and look.passed == "first read" and look.holding == ("work",)
    assert clock.now == 0.0 and not file.busy


def test_the_key_with_another_secret_is_not_the_key(store):
    look = _file(store, Clock()).look(NEW, {"work": Secret("not-it")}, OLD)
    assert look.holding == () and look.others == ("work",)


def test_the_old_key_put_back_is_written_over_again(store, sandbox_home):
    _write(sandbox_home.credentials, work=_section(OLD, "old-secret"),
           home=_section("AKIAHOME", "h"))
    clock, written, told = Clock(), [], []
    file = _file(store, clock, "work", "home")
    look = file.keep(NEW, {"work": NEW_SECRET}, OLD, _write_again(store, written),
                     on_put_back=told.append)
    assert [w.put_back for w in written] == [("work",)] and told == written
    assert look.kept and look.written_again == 1 and look.others == ("home",)
    # Someone else writes this file: the look held until nobody had written for QUIET.
    assert file.busy and look.passed == "quiet" and clock.now >= QUIET
    text = sandbox_home.credentials.read_text()
    assert NEW in text and OLD not in text and "AKIAHOME" in text  # home left alone


def test_a_look_that_must_hold_passes_after_holding(store):
    clock = Clock()
    file = _file(store, clock)
    file.note_our_write()
    look = file.keep(NEW, {"work": NEW_SECRET}, OLD, _write_again(store, []), hold=True)
    assert look.kept and look.passed == "held" and HOLD <= clock.now < HOLD + 0.1


def test_once_busy_a_look_passes_when_the_other_writer_keeps_the_key(store, sandbox_home):
    clock = Clock()
    file = _file(store, clock)
    file.note_our_write()
    # Another program rewrites the file and keeps our key (its own change elsewhere).
    _write(sandbox_home.credentials, work=_section(NEW, "new-secret"),
           home=_section("AKIAHOME", "changed"))
    look = file.keep(NEW, {"work": NEW_SECRET}, OLD, _write_again(store, []))
    assert file.busy and look.kept and look.passed == "their write kept it"
    assert clock.now >= HOLD


def test_once_busy_with_no_proof_a_look_waits_for_quiet(store):
    clock = Clock()
    file = _file(store, clock)
    file.note_our_write()
    file.busy = True  # seen earlier, and nothing written since
    look = file.keep(NEW, {"work": NEW_SECRET}, OLD, _write_again(store, []))
    assert look.kept and look.passed == "quiet" and clock.now >= QUIET


def test_a_look_gives_up_after_the_timeout_and_says_what_it_found(store, sandbox_home):
    sandbox_home.credentials.write_text("[work\nbroken")
    clock = Clock()
    look = _file(store, clock).keep(NEW, {"work": NEW_SECRET}, OLD, _write_again(store, []))
    assert not look.kept and not look.readable and look.passed == ""
    assert clock.now > TIMEOUT


def test_a_section_someone_changed_on_purpose_is_never_overwritten(store, sandbox_home):
    _write(sandbox_home.credentials, work=_section("AKIATHEIRS", "theirs"))
    before = sandbox_home.credentials.read_bytes()
    written: list[FileLook] = []
    look = _file(store, Clock()).keep(NEW, {"work": NEW_SECRET}, OLD,
                                      _write_again(store, written))
    assert written == [] and look.others == ("work",) and not look.kept
    assert sandbox_home.credentials.read_bytes() == before
