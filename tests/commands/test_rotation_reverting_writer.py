"""A rotation never reports success while no section holds a working key, even while
another program keeps putting the credentials file back.

The writer is the tests' own, in its own process: it reads the credentials file, waits
0-50 ms, and writes back what it read (in place, no lock), over and over. That is an
editor's buffer saved a moment later, or a slow script. Signature checking is on in the
emulator, so a deleted key really stops working.

Each trial rotates a fresh user's key, shared by two sections (`[rN]` and `[rN-copy]`),
once as the `rotate` command in a fresh process and once through one long-lived service
(the store the TUI holds for its whole life). The writer is stopped after the rotation
(it finishes its round first), and then: a rotation that said it succeeded must have left
the new key, working, in every section; any other outcome must leave a working key in
`[rN]` (the old one, or the new one), or name the key in its one-line message.

`ROTATION_WRITER_TRIALS` sets the trials per case (default 2; the figures in the README were
measured with 20: `ROTATION_WRITER_TRIALS=20 pytest -s -p no:logging` on this file). The
long-lived store gives up after 3 s instead of 10 s, to keep the file quick.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.configloader import raw_config_parse

from tests.engine.test_rotation import sts_works
from tests.support.sandbox import sandbox_service
from tui.engine.errors import AwsMfaError
from tui.engine.mfa.sent_codes import SENT_CODES
from tui.engine.rotation.key_rotation import KeyRotation

TRIALS = int(os.environ.get("ROTATION_WRITER_TRIALS", "2"))

#: Reads, waits 0-50 ms, writes back what it read; until the stop file appears (then it
#: finishes its round, so no write of its own is cut off). `gap`: a pause after each
#: write too, so that a write of ours can land between two of its rounds.
WRITER = r"""
import os, random, sys, time
path, stop, seed, gap = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
rng = random.Random(seed)
open(stop + ".ready", "w").close()
while not os.path.exists(stop):
    with open(path, "rb") as handle:
        data = handle.read()
    time.sleep(rng.uniform(0, 0.05))
    with open(path, "wb") as handle:
        handle.write(data)
    if gap:
        time.sleep(rng.uniform(0, gap))
"""


@dataclass
class Outcome:
    reported_success: bool
    message: str
    working: dict[str, bool]  # section: holds a key that works
    new_key: str | None


class RevertingWriter:
    def __init__(self, path: Path, seed: int, gap: float) -> None:
        self.stop_file = path.parent / f".stop-writer-{seed}"
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(self.stop_file), str(seed),
             str(gap)])
        deadline = time.monotonic() + 10
        ready = Path(str(self.stop_file) + ".ready")
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        self.stop_file.touch()
        self.process.wait(timeout=10)


def new_user(aws, make_user, sandbox_home, name: str):
    aws.set_auth(False)  # the admin key that makes users isn't real
    user = make_user(name, mfa=False, allow_all=True)
    with open(sandbox_home.credentials, "a") as handle:
        handle.write(f"[{name}-copy]\naws_access_key_id = {user.access_key_id}\n"
                     f"aws_secret_access_key = {user.secret_access_key}\n\n")
    aws.set_auth(True)
    return user


def working_sections(aws, sandbox_home, name: str) -> dict[str, bool]:
    sections = raw_config_parse(str(sandbox_home.credentials))
    return {
        section: bool(sections.get(section, {}).get("aws_secret_access_key"))
        and sts_works(aws, sections[section]["aws_access_key_id"],
                      sections[section]["aws_secret_access_key"])
        for section in (name, f"{name}-copy")
    }


def tally(mode: str, outcomes: list[Outcome], seconds: float) -> None:
    """One line for the figures (shown with `pytest -s`)."""
    kept = sum(o.reported_success and all(o.working.values()) for o in outcomes)
    false = sum(o.reported_success and not any(o.working.values()) for o in outcomes)
    gave_up = sum(not o.reported_success for o in outcomes)
    gave_up_working = sum(not o.reported_success and any(o.working.values())
                          for o in outcomes)
    print(f"\n{mode}: {len(outcomes)} trials in {seconds:.0f} s: {kept} rotated and kept "
          f"the new key; {false} reported success with no working key; {gave_up} gave up "
          f"({gave_up_working} of them with a working key in the file)")
    for outcome in outcomes:
        if not outcome.reported_success:
            print(f"  gave up: {outcome.message}")


def check(outcome: Outcome, old_key: str) -> None:
    if outcome.reported_success:
        assert all(outcome.working.values()), outcome
    else:
        # Never silently without a working key: either [rN] works, or the message names
        # the key needing attention.
        assert outcome.working[next(iter(outcome.working))] or (
            old_key in outcome.message or (outcome.new_key or "#") in outcome.message
        ), outcome


Rotate = Callable[[], tuple[bool, str, "str | None"]]


def run_trials(mode: str, aws, make_user, sandbox_home, gap: float,
               prepare: Callable[[str], Rotate]) -> None:
    """Each trial: a fresh user `rN`; `prepare(name)` returns the rotation to run while the
    writer runs, which says (reported success, its last line, the new key if known)."""
    failures, outcomes, started = [], [], time.monotonic()
    for trial in range(TRIALS):
        name = f"r{trial}"
        user = new_user(aws, make_user, sandbox_home, name)
        rotate = prepare(name)
        writer = RevertingWriter(sandbox_home.credentials, trial, gap)
        try:
            ok, message, new_key = rotate()
        finally:
            writer.stop()
        outcome = Outcome(ok, message, working_sections(aws, sandbox_home, name), new_key)
        outcomes.append(outcome)
        try:
            check(outcome, user.access_key_id)
        except AssertionError:
            failures.append(outcome)
    tally(f"{mode}, gap {gap}", outcomes, time.monotonic() - started)
    assert not failures, failures


@pytest.mark.parametrize("gap", [0.0, 0.05], ids=["no-pause", "pause"])
def test_fresh_cli_processes_against_a_reverting_writer(aws, make_user, sandbox_home, gap):
    def prepare(name: str) -> Rotate:
        def rotate() -> tuple[bool, str, str | None]:
            done = subprocess.run([sys.executable, "-m", "tui", "rotate", name, "--yes"],
                                  capture_output=True, text=True, timeout=180,
                                  stdin=subprocess.DEVNULL)
            lines = done.stderr.strip().splitlines()
            return done.returncode == 0, lines[-1] if lines else "", None
        return rotate

    run_trials("fresh processes", aws, make_user, sandbox_home, gap, prepare)


@pytest.mark.parametrize("gap", [0.0, 0.05], ids=["no-pause", "pause"])
def test_a_long_lived_store_against_a_reverting_writer(aws, make_user, sandbox_home, gap):
    service = sandbox_service(sandbox_home, used_codes=SENT_CODES, lock_timeout=30.0)

    def prepare(name: str) -> Rotate:
        rotation = KeyRotation(service, name, hold_timeout=3.0)
        plan = rotation.plan()

        def rotate() -> tuple[bool, str, str | None]:
            try:
                result = rotation.run(plan)
            except AwsMfaError as exc:
                return False, str(exc), None
            return True, "", result.new_key_id
        return rotate

    run_trials("long-lived store", aws, make_user, sandbox_home, gap, prepare)
