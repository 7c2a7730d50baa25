"""The rotation journal: a line is written and fsynced before each step of a key rotation,
so a rotation cut off at any point (SIGKILL, power loss) can be finished by the next one.

JSON lines in `rotation.log` beside the settings file, 0600, append-only. Each line names
the profile, the step about to run (or its outcome), and the full key ids involved: key ids
are not secrets (the screen and the command line show them masked), and no secret key is
ever written here. Each look at the credentials file after the new key was written (a
`recheck` line: whether another program put the old key back, and where) is journalled too,
and the persist line names the sections the new key went to, so a recovery looks at the
same sections. A rotation starts with a `begin` line (the old key, every key the user
had, and the plan's choices) and ends with an `end` line; a profile whose last `begin` has
no `end` has an unfinished rotation.
"""

from __future__ import annotations

import json
import os
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from tui.engine.private_folders import make_private_folders

LOG_NAME = "rotation.log"
BEGIN = "begin"
END = "end"
#: Test hook: `STEP:OUTCOME` (e.g. `create:running`) makes the process SIGKILL itself right
#: after writing that line; `before:STEP:OUTCOME` right before. Used by the crash tests.
KILL_HOOK = "AWS_MFA_TUI_TEST_KILL_AT"


class Unfinished(NamedTuple):
    """What the journal knows about a rotation that never wrote its `end` line."""

    profile: str
    old_key: str
    #: Every key id the user had when the rotation began.
    known_keys: tuple[str, ...]
    #: The new key's id, once CreateAccessKey answered (None when it never did).
    new_key: str | None
    #: The step names that finished (`done` or `skipped`).
    done: frozenset[str]
    #: The step names that started.
    started: frozenset[str]
    keep_old_inactive: bool
    #: When the begin line was written (orphans are looked for among keys made since).
    began: datetime | None
    stale_sessions: tuple[str, ...]
    #: The sections the new key was written to (from the persist line), once known.
    sections: tuple[str, ...] = ()


class RotationJournal:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, profile: str, step: str, outcome: str, old_key: str | None = None,
              new_key: str | None = None, detail: str = "", **extra: Any) -> None:
        """Append one line and fsync it. Never raises: a journal that can't be written
        must not stop (or undo) a rotation."""
        record: dict[str, Any] = {
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "profile": profile,
            "old_key": old_key,
            "new_key": new_key,
            "step": step,
            "outcome": outcome,
        }
        if detail:
            record["detail"] = detail
        record.update(extra)
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        _test_hook(f"before:{step}:{outcome}")
        try:
            make_private_folders(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError:
            return
        try:
            if not _ends_a_line(fd):
                line = b"\n" + line  # a crash cut the last line: don't glue this one to it
            os.write(fd, line)
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)
        _test_hook(f"{step}:{outcome}")

    def records(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        records = []
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                # A line cut off by a crash (an older version appended the next record to
                # it: that record is kept), or one from an older version.
                record = _after_cut(line)
            if isinstance(record, dict) and isinstance(record.get("profile"), str):
                records.append(record)
        return records

    def unfinished(self, profile: str | None = None) -> list[Unfinished]:
        """Rotations (of `profile`, or of every profile) that began and never ended."""
        open_runs: dict[str, list[dict[str, Any]]] = {}
        for record in self.records():
            name = record["profile"]
            if profile is not None and name != profile:
                continue
            if record.get("step") == BEGIN:
                open_runs[name] = [record]
            elif record.get("step") == END:
                open_runs.pop(name, None)
            elif name in open_runs:
                open_runs[name].append(record)
        return [_summary(name, run) for name, run in open_runs.items()
                if run[0].get("old_key")]


def _summary(profile: str, run: list[dict[str, Any]]) -> Unfinished:
    begin = run[0]
    new_key = next((r["new_key"] for r in reversed(run) if r.get("new_key")), None)
    began = None
    try:
        began = datetime.strptime(begin["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (KeyError, ValueError):
        pass
    return Unfinished(
        profile=profile,
        old_key=str(begin["old_key"]),
        known_keys=tuple(str(k) for k in begin.get("known_keys", ())),
        new_key=str(new_key) if new_key else None,
        done=frozenset(str(r["step"]) for r in run[1:]
                       if "step" in r and r.get("outcome") in ("done", "skipped")),
        started=frozenset(str(r["step"]) for r in run[1:] if "step" in r),
        keep_old_inactive=bool(begin.get("keep_old_inactive")),
        began=began,
        stale_sessions=tuple(str(s) for s in begin.get("stale_sessions", ())),
        sections=next((tuple(str(s) for s in r["sections"]) for r in reversed(run)
                       if isinstance(r.get("sections"), list)), ()),
    )


def _ends_a_line(fd: int) -> bool:
    """Whether the journal open at `fd` is empty or ends with a newline."""
    try:
        size = os.fstat(fd).st_size
        return size == 0 or os.pread(fd, 1, size - 1) == b"\n"
    except OSError:
        return True


def _after_cut(line: str) -> Any:
    """The whole record at the end of a line that starts with a cut-off one, else None."""
    start = line.rfind('{"time"')
    if start <= 0:
        return None
    try:
        return json.loads(line[start:])
    except ValueError:
        return None


def _test_hook(point: str) -> None:
    if os.environ.get(KILL_HOOK) == point:
        os.kill(os.getpid(), signal.SIGKILL)
