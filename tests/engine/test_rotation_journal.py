"""The rotation journal on its own: private append-only JSON lines, each fsynced, and what
a cut-off rotation left (its keys, the steps done and started, the sections written).

Rotations cut off by SIGKILL at each step are tested in tests/commands/test_rotation_crash.py."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta

from tui.engine.rotation.journal import BEGIN, END, LOG_NAME, RotationJournal

OLD, NEW, OTHER = "AKIAOLDOLDOLD0000001", "AKIANEWNEWNEW0000002", "AKIAOTHER00000000003"


def _journal(tmp_path) -> RotationJournal:
    return RotationJournal(tmp_path / "conf" / LOG_NAME)


def _begin(journal: RotationJournal, profile: str = "work") -> None:
    journal.write(profile, BEGIN, "running", OLD, known_keys=[OLD, OTHER],
                  keep_old_inactive=True, stale_sessions=["work-mfa"])


def test_lines_are_appended_privately_and_hold_no_secret(tmp_path):
    journal = _journal(tmp_path)
    _begin(journal)
    journal.write("work", "create", "done", OLD, NEW, detail="made", secret_never="x")
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.path.parent.stat().st_mode) == 0o700
    lines = journal.path.read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [BEGIN, "create"]
    created = json.loads(lines[1])
    assert (created["old_key"], created["new_key"], created["detail"]) == (OLD, NEW, "made")
    moment = datetime.strptime(created["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(moment - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_rotation_without_its_end_is_unfinished_with_what_it_did(tmp_path):
    journal = _journal(tmp_path)
    _begin(journal)
    journal.write("work", "create", "running", OLD)
    journal.write("work", "create", "done", OLD, NEW)
    journal.write("work", "persist", "done", OLD, NEW, sections=["work", "work-copy"])
    journal.write("work", "deactivate", "running", OLD, NEW)
    unfinished, = journal.unfinished()
    assert (unfinished.profile, unfinished.old_key, unfinished.new_key) == ("work", OLD, NEW)
    assert unfinished.known_keys == (OLD, OTHER) and unfinished.keep_old_inactive
    assert unfinished.done == {"create", "persist"}
    assert unfinished.started == {"create", "persist", "deactivate"}
    assert unfinished.sections == ("work", "work-copy")
    assert unfinished.stale_sessions == ("work-mfa",)
    assert unfinished.began is not None
    assert abs(unfinished.began - datetime.now(UTC)) < timedelta(minutes=1)


def test_an_end_closes_a_rotation_and_a_new_begin_starts_over(tmp_path):
    journal = _journal(tmp_path)
    _begin(journal)
    journal.write("work", "create", "done", OLD, NEW)
    journal.write("work", END, "done", OLD, NEW)
    assert journal.unfinished() == []
    _begin(journal)
    unfinished, = journal.unfinished()
    assert unfinished.new_key is None and unfinished.done == frozenset()


def test_rotations_are_told_apart_by_profile(tmp_path):
    journal = _journal(tmp_path)
    _begin(journal, "work")
    _begin(journal, "home")
    journal.write("home", END, "done", OLD)
    assert [u.profile for u in journal.unfinished()] == ["work"]
    assert journal.unfinished("home") == [] and len(journal.unfinished("work")) == 1


def test_a_line_that_is_no_record_is_skipped(tmp_path):
    # Not covered: a line cut off without its newline (a power loss) swallows the next
    # line written, as `write` doesn't start a new line first.
    journal = _journal(tmp_path)
    _begin(journal)
    with open(journal.path, "a") as handle:
        handle.write('{"profile": "work", "step": "create", "outc\nnot json\n[1, 2]\n\xff\n')
    journal.write("work", "create", "done", OLD, NEW)
    unfinished, = journal.unfinished()
    assert unfinished.done == {"create"} and unfinished.new_key == NEW


def test_no_journal_is_no_rotation_and_an_unwritable_one_never_raises(tmp_path):
    assert _journal(tmp_path).records() == [] and _journal(tmp_path).unfinished() == []
    blocked = tmp_path / "file"
    blocked.write_text("")
    RotationJournal(blocked / LOG_NAME).write("work", BEGIN, "running", OLD)  # no folder
    assert not (blocked / LOG_NAME).exists()


def test_a_line_cut_by_a_crash_costs_no_later_line(tmp_path):
    journal = _journal(tmp_path)
    _begin(journal)
    with journal.path.open("a") as log:
        log.write('{"time": "2026-01-01T00:00:00Z", "profile": "work", "st')  # no newline
    journal.write("work", "create", "done", OLD, NEW)
    assert journal.path.read_text().count("\n") == 3  # the new line starts on its own
    (run,) = journal.unfinished("work")
    assert run.new_key == NEW and "create" in run.done


def test_a_record_glued_to_a_cut_line_by_an_older_version_is_read(tmp_path):
    journal = _journal(tmp_path)
    _begin(journal)
    cut = '{"time": "2026-01-01T00:00:00Z", "profile": "work", "st'
    whole = json.dumps({"time": "2026-01-01T00:00:01Z", "profile": "work", "old_key": OLD,
                        "new_key": NEW, "step": "create", "outcome": "done"})
    with journal.path.open("a") as log:
        log.write(cut + whole + "\n")
    (run,) = journal.unfinished("work")
    assert run.new_key == NEW and "create" in run.done


def test_a_record_without_a_step_is_passed_over(tmp_path):
    journal = _journal(tmp_path)
    _begin(journal)
    with journal.path.open("a") as log:
        log.write(json.dumps({"profile": "work", "outcome": "done", "new_key": NEW}) + "\n")
    journal.write("work", "create", "done", OLD, NEW)
    (run,) = journal.unfinished("work")
    assert run.done == frozenset({"create"}) and run.started == frozenset({"create"})
