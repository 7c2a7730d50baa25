"""A rotation is finished only when the credentials file holds the new key and keeps it.

Another program "puts the file back": it writes, in place and without the lock, the bytes
the file had before the rotation wrote the new key (what an editor's buffer saved later, or
a slow script, does). Here that write is made at a chosen step (from the step callback), so
each path runs the same way every time; `test_rotation_reverting_writer` runs a real writer
process against the real command. Signature checking is on: a deleted key stops working.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import pytest

from tests.engine.test_rotation import credentials, iam_keys, service_for, sts_works
from tui.engine.errors import RotationError
from tui.engine.rotation.key_rotation import KeyRotation
from tui.engine.rotation.plan import RotationStep, StepEvent, StepOutcome


class PutBack:
    """Writes `data` over the file in place when `step` reports `outcome`; with `keep_on`
    it goes on doing so every 5 ms until `stop()` (a writer that never lets go)."""

    def __init__(self, path, data: bytes, step: RotationStep,
                 outcome: StepOutcome = StepOutcome.DONE, keep_on: bool = False) -> None:
        self.path, self.data, self.step, self.outcome = path, data, step, outcome
        self.keep_on = keep_on
        self.times = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def write(self) -> None:
        with open(self.path, "wb") as handle:  # in place, no lock
            handle.write(self.data)
        self.times += 1

    def __call__(self, event: StepEvent) -> None:
        if event.step is not self.step or event.outcome is not self.outcome or self.times:
            return
        self.write()
        if self.keep_on:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.005):
            self.write()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


def carol_with_a_copy(aws, make_user, sandbox_home):
    user = make_user("carol", mfa=False, allow_all=True)
    with open(sandbox_home.credentials, "a") as handle:
        handle.write(f"[carol-copy]\naws_access_key_id = {user.access_key_id}\n"
                     f"aws_secret_access_key = {user.secret_access_key}\n")
    aws.set_auth(True)
    return user


def rotation_of(sandbox_home, **kwargs) -> KeyRotation:
    return KeyRotation(service_for(sandbox_home), "carol", sleep=lambda _s: None, **kwargs)


class Failed(NamedTuple):
    rotation: KeyRotation
    message: str


def rotate_against_a_writer_that_never_lets_go(sandbox_home, data: bytes,
                                               step: RotationStep) -> Failed:
    """From `step` on, `data` is written over the file every 5 ms; looks give up after
    1 s. The rotation must fail: returns its one-line message."""
    writer = PutBack(sandbox_home.credentials, data, step, keep_on=True)
    rotation = rotation_of(sandbox_home, hold_timeout=1.0)
    try:
        with pytest.raises(RotationError) as caught:
            rotation.run(rotation.plan(), on_step=writer)
    finally:
        writer.stop()
    return Failed(rotation, str(caught.value))


def holds_working_new_key(aws, sandbox_home, new_key: str) -> bool:
    creds = credentials(sandbox_home)
    aws.set_auth(True)
    return all(creds[s]["aws_access_key_id"] == new_key
               and sts_works(aws, new_key, creds[s]["aws_secret_access_key"])
               for s in ("carol", "carol-copy"))


@pytest.mark.parametrize("step", [RotationStep.VERIFY, RotationStep.DEACTIVATE,
                                  RotationStep.DELETE, RotationStep.MARK_STALE])
def test_the_old_key_put_back_at_any_step_is_written_over_again(aws, make_user, sandbox_home,
                                                                step):
    carol_with_a_copy(aws, make_user, sandbox_home)
    writer = PutBack(sandbox_home.credentials, sandbox_home.credentials.read_bytes(), step,
                     StepOutcome.SKIPPED if step is RotationStep.MARK_STALE
                     else StepOutcome.DONE)
    rotation = rotation_of(sandbox_home)
    result = rotation.run(rotation.plan(), on_step=writer)
    assert writer.times == 1
    assert holds_working_new_key(aws, sandbox_home, result.new_key_id)
    assert any("was written again" in note for note in result.notes), result.notes
    looks = [r for r in rotation.journal.records() if r["step"] == "recheck"]
    assert any(r.get("put_back") == ["carol", "carol-copy"] for r in looks), looks
    assert {r.get("look") for r in looks} == {
        "before deactivating the old key", "after the old key was deleted", "at the end"}


def test_a_file_that_never_keeps_the_new_key_before_deactivating_is_undone(
        aws, make_user, sandbox_home):
    user = carol_with_a_copy(aws, make_user, sandbox_home)
    before = sandbox_home.credentials.read_bytes()
    message = rotate_against_a_writer_that_never_lets_go(sandbox_home, before,
                                                        RotationStep.VERIFY).message
    assert "another program kept putting" in message and "the old key was kept" in message
    assert "\n" not in message
    assert sandbox_home.credentials.read_bytes() == before
    assert iam_keys(aws, make_user, "carol") == {user.access_key_id: "Active"}
    aws.set_auth(True)
    assert sts_works(aws, user.access_key_id, user.secret_access_key)


def test_a_file_that_never_keeps_the_new_key_after_the_delete_names_the_key(
        aws, make_user, sandbox_home):
    user = carol_with_a_copy(aws, make_user, sandbox_home)
    failed = rotate_against_a_writer_that_never_lets_go(
        sandbox_home, sandbox_home.credentials.read_bytes(), RotationStep.DELETE)
    rotation, message = failed.rotation, failed.message
    new_key = next(iter(iam_keys(aws, make_user, "carol")))
    assert new_key != user.access_key_id
    assert new_key in message and user.access_key_id in message and "\n" not in message
    assert "no section holds a working key" in message
    assert rotation.unfinished() is None  # nothing a later run could finish
    secrets = {s["aws_secret_access_key"] for s in credentials(sandbox_home).values()}
    assert not any(secret in message for secret in secrets)


def test_a_cut_off_rotation_whose_old_key_was_put_back_after_the_delete_keeps_the_new_key(
        aws, make_user, sandbox_home):
    """Cut off (here: an interrupt from the display callback) right after the delete, with
    the old key put back: the next run must not roll back (that would delete the one key
    left); it says which key to deal with, once."""
    carol_with_a_copy(aws, make_user, sandbox_home)
    before = sandbox_home.credentials.read_bytes()

    def put_back_and_die(event: StepEvent) -> None:
        if event.step is RotationStep.DELETE and event.outcome is StepOutcome.DONE:
            sandbox_home.credentials.write_bytes(before)
            raise KeyboardInterrupt

    rotation = rotation_of(sandbox_home)
    with pytest.raises(KeyboardInterrupt):
        rotation.run(rotation.plan(), on_step=put_back_and_die)
    (new_key,) = iam_keys(aws, make_user, "carol")
    aws.set_auth(True)
    again = rotation_of(sandbox_home)
    with pytest.raises(RotationError) as caught:
        again.finish_unfinished()
    message = str(caught.value)
    assert new_key in message and "put that key back" in message and "\n" not in message
    assert iam_keys(aws, make_user, "carol") == {new_key: "Active"}  # not deleted
    assert again.unfinished() is None  # said once


def test_a_cut_off_rotation_whose_file_never_keeps_the_new_key_keeps_the_old_one_active(
        aws, make_user, sandbox_home):
    """Cut off after the new key reached the file, then finished while another program
    keeps writing the old key back: the old key is still active, so nothing is retired;
    one line says to run rotate again once that program stops, and the journal stays open
    for that run."""
    user = carol_with_a_copy(aws, make_user, sandbox_home)
    before = sandbox_home.credentials.read_bytes()

    def die_after_persist(event: StepEvent) -> None:
        if event.step is RotationStep.PERSIST and event.outcome is StepOutcome.DONE:
            raise KeyboardInterrupt

    rotation = rotation_of(sandbox_home)
    with pytest.raises(KeyboardInterrupt):
        rotation.run(rotation.plan(), on_step=die_after_persist)
    new_key = credentials(sandbox_home)["carol"]["aws_access_key_id"]
    assert new_key != user.access_key_id
    writer = PutBack(sandbox_home.credentials, before, RotationStep.VERIFY, keep_on=True)
    again = rotation_of(sandbox_home, hold_timeout=1.0)
    try:
        with pytest.raises(RotationError) as caught:
            again.finish_unfinished(on_step=writer)
    finally:
        writer.stop()
    message = str(caught.value)
    assert writer.times > 1
    assert "once that program stops" in message and "\n" not in message
    assert new_key in message and user.access_key_id in message
    assert iam_keys(aws, make_user, "carol") == {user.access_key_id: "Active",
                                                 new_key: "Active"}
    assert again.unfinished() is not None  # the next run finishes it
    aws.set_auth(True)
    assert sts_works(aws, user.access_key_id, user.secret_access_key)
    secrets = {s["aws_secret_access_key"] for s in credentials(sandbox_home).values()}
    assert not any(secret in message for secret in secrets)
