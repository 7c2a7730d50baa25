"""An all-day run of `aws-mfa-tui --demo` in tmux with a speeded clock, checked on screen.

The real command runs in a detached 100x30 tmux session under `faketime -f '+0 x60'`: one
simulated hour per real minute, so `--hours 20` takes about 20 real minutes. Meanwhile it
acts like a user: it moves with j/k, opens the details (enter, escape), shows and hides the
log (g), presses r on rows that need a code and types a 6-digit code into each prompt (the
demo's emulator takes any), and resizes the window (80x24, 60x20, back to 100x30).

It polls the pane every second and keeps a capture every 30 real seconds (30 simulated
minutes), at each prompt, after each key or resize and whenever a check fails. Each poll is
checked for what must never be on screen: a negative time, a Python error, rows missing
from the table, stray characters after a resize, a row stuck refreshing or starting, a
"needs code" row without the bell and the header saying so, the header and the terminal
title out of step, a footer without `q` and `?`, a typed code shown on screen. The app's
RSS is read at every capture, bells are counted from the pane's output (BEL outside OSC
sequences) and through tmux's alert-bell hook. At the end it presses q and checks the exit
status and that the demo's temp folder is gone.

    .venv/bin/python scripts/all_day_run.py --hours 2 --out /tmp/allday

Everything lands in the `--out` folder: captures (`NNNN-hHH.MM-why.txt`, some with colours
as `.ansi`), `events.log`, `rss.csv` and `summary.md` listing every anomaly with its
capture. The exit status is 0 when nothing was flagged, 1 otherwise.

The run is a manual check, never part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.tmux import alive, tmux  # noqa: E402

SPEED = 60  # simulated seconds per real second (faketime x60)
ROWS = ("work", "prod-admin", "staging", "staging-readonly", "personal", "sandbox")
IDENTITIES = ("work", "staging", "personal", "sandbox")
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATE_WORDS = re.compile(
    r"\b(fresh|expiring|expired|no session|needs code|stale|error|blocked)\b"
    rf"|[{SPINNER}] (refresh|starting|touch key\?)")
SPINNING = re.compile(rf"[{SPINNER}] (refresh|starting|touch key\?)")
PYTHON_ERROR = re.compile(r"Traceback|\b[A-Z][A-Za-z]*(Error|Exception)\b|NoMatches")
PROMPT = re.compile(r"MFA code for (\S+)")
#: How long (simulated) a row may spin: a refresh on loopback takes well under a real
#: second; the emulator's start takes a few real seconds (moto's import) on a busy machine.
STUCK_LIMIT = {"refresh": timedelta(minutes=5), "touch key?": timedelta(minutes=5),
               "starting": timedelta(minutes=20)}
CAPTURE_EVERY = 30.0  # real seconds
POLL_EVERY = 1.0
OSC = re.compile(rb"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


@dataclass
class Anomaly:
    capture: str
    sim: str
    what: str


@dataclass
class Run:
    out: Path
    session: str
    started: float = field(default_factory=time.monotonic)
    sim_start: datetime = field(default_factory=lambda: datetime.now(UTC))
    pid: int | None = None
    captures: int = 0
    last_capture: str = "-"
    anomalies: list[Anomaly] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    rss: list[tuple[str, int]] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    spinning_since: dict[tuple[str, str], datetime] = field(default_factory=dict)
    needs_code_shown: set[str] = field(default_factory=set)
    #: (row, simulated time it first showed "needs code")
    pending_bells: list[tuple[str, datetime]] = field(default_factory=list)
    bell_times: list[datetime] = field(default_factory=list)
    footer_words: set[str] = field(default_factory=set)
    bells_before: int = 0
    reacted: bool = False
    _bells: int = 0
    _read_to: int = 0
    _unread: bytes = b""
    flagged: set[str] = field(default_factory=set)
    size: tuple[int, int] = (100, 30)

    # ---------------------------------------------------------------- time
    def sim_now(self) -> datetime:
        return self.sim_start + timedelta(seconds=(time.monotonic() - self.started) * SPEED)

    def sim_label(self) -> str:
        hours = (self.sim_now() - self.sim_start).total_seconds() / 3600
        return f"h{int(hours):02d}.{int(hours % 1 * 60):02d}"

    def event(self, text: str) -> None:
        line = f"{self.sim_label()} {text}"
        self.events.append(line)
        print(line, flush=True)

    # ---------------------------------------------------------------- the pane
    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.session)

    def title(self) -> str:
        return tmux("display-message", "-p", "-t", self.session, "#{pane_title}").strip()

    def keys(self, *keys: str, literal: bool = False) -> None:
        tmux("send-keys", "-t", self.session, *(["-l"] if literal else []), *keys)

    def type_secret(self, text: str) -> None:
        """Type `text` through a tmux buffer fed on stdin: never in any process's argv."""
        subprocess.run(["tmux", "load-buffer", "-b", "aws-mfa-tui-code", "-"], input=text,
                       text=True, check=True)
        tmux("paste-buffer", "-d", "-b", "aws-mfa-tui-code", "-t", self.session)

    def save(self, why: str, text: str, colours: bool = False) -> str:
        self.captures += 1
        name = f"{self.captures:04d}-{self.sim_label()}-{why}"
        (self.out / f"{name}.txt").write_text(text)
        if colours:
            ansi = tmux("capture-pane", "-p", "-e", "-t", self.session)
            (self.out / f"{name}.ansi").write_text(ansi)
        self.last_capture = name
        rss = self.rss_kib()
        if rss is not None:
            self.rss.append((self.sim_label(), rss))
        return name

    def rss_kib(self) -> int | None:
        if self.pid is None:
            return None
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    def bells(self) -> int:
        """BEL bytes the app wrote that don't end an OSC sequence (the title's), read on
        from where the last call stopped (an OSC cut by the read waits for the next)."""
        try:
            with (self.out / "pane-output.raw").open("rb") as raw:
                raw.seek(self._read_to)
                chunk = self._unread + raw.read()
                self._read_to = raw.tell()
        except OSError:
            return self._bells
        cut = chunk.rfind(b"\x1b]")
        if cut != -1 and not OSC.match(chunk, cut):
            chunk, self._unread = chunk[:cut], chunk[cut:]
        else:
            self._unread = b""
        self._bells += OSC.sub(b"", chunk).count(b"\x07")
        return self._bells

    def hook_bells(self) -> int:
        try:
            return len((self.out / "alert-bell.log").read_text().splitlines())
        except OSError:
            return 0

    def flag(self, what: str, text: str) -> None:
        """An anomaly, with the capture that shows it (saved now unless just saved)."""
        key = re.sub(r"\d+(s|m|h)? ago|\d", "#", what)
        if key in self.flagged:  # said once with its first capture; count the rest
            self.anomalies.append(Anomaly(self.last_capture, self.sim_label(), what))
            return
        self.flagged.add(key)
        name = self.save("flagged", text, colours=True)
        self.anomalies.append(Anomaly(name, self.sim_label(), what))
        self.event(f"ANOMALY {what} ({name})")

    # ---------------------------------------------------------------- checks
    def check(self, text: str, title: str) -> None:
        lines = text.splitlines()
        now = self.sim_now()
        for code in self.codes:
            if code in text:
                self.flag("a typed MFA code is on screen", text)
        if "-0:" in text or re.search(r"(?<![\w:])-\d+:\d\d", text):
            self.flag("negative time on screen", text)
        error = PYTHON_ERROR.search(text)
        if error:
            self.flag(f"Python error on screen: {error.group(0)}", text)
        main = any(line.lstrip().startswith("Profile") for line in lines[:4])
        # A dialog (code prompt, details, help) hides part of the table and the footer.
        covered = PROMPT.search(text) or "█▀▀" in text or "Help" in lines[0]
        rows = [line for line in lines if STATE_WORDS.search(line) and
                not line.lstrip().startswith("Profile")]
        if main and not covered:
            self.check_table(text, lines, rows)
            self.check_footer(text, lines)
        self.check_spinners(text, rows, now)
        self.check_needs_code(text, lines, rows, now)
        self.check_title(text, lines, title)

    def check_table(self, text: str, lines: list[str], rows: list[str]) -> None:
        if not rows:
            self.flag("empty table", text)
            return
        if len(rows) < len(ROWS):
            self.flag(f"the table shows {len(rows)} of {len(ROWS)} rows", text)
        for line in rows:
            if re.search(r"\berror\b", line):
                self.flag(f"a row in error: {_row_name(line)} (summary line: "
                          f"{_summary_note(text)!r})", text)

    def check_footer(self, text: str, lines: list[str]) -> None:
        footer = next((line for line in reversed(lines) if line.strip()), "")
        if not re.search(r"(^|\s)q Quit", footer) or not re.search(r"(^|\s)\? Help", footer):
            early = time.monotonic() - self.started < 5
            self.flag(f"footer without q/?{' (first paint)' if early else ''}: "
                      f"{footer.strip()!r}", text)
        words = set(footer.split())
        if self.size == (100, 30) and not self.footer_words and "q" in words:
            self.footer_words = words
        elif self.footer_words and words - self.footer_words - {"^p", "palette", "…"}:
            stray = " ".join(sorted(words - self.footer_words))
            self.flag(f"stray characters in the footer at {self.size}: {stray!r}", text)

    def check_blank_band(self, text: str) -> None:
        """After a resize: between the table and the summary only blank lines (a toast
        aside, which Textual draws with a `▌` edge on the right)."""
        lines = text.splitlines()
        last_row = max((i for i, line in enumerate(lines) if STATE_WORDS.search(line)),
                       default=None)
        summary = next((i for i, line in enumerate(lines)
                        if i > (last_row or 0) and " → [" in line), None)
        if last_row is None or summary is None:
            return
        for line in lines[last_row + 1:summary]:
            if line.strip() and "▌" not in line and "▊" not in line:
                self.flag(f"stray characters after a resize to {self.size}: "
                          f"{line.strip()!r}", text)
                return

    def check_spinners(self, text: str, rows: list[str], now: datetime) -> None:
        seen: set[tuple[str, str]] = set()
        for line in rows:
            spin = SPINNING.search(line)
            if spin is None:
                continue
            key = (_row_name(line), spin.group(1))
            seen.add(key)
            since = self.spinning_since.setdefault(key, now)
            if now - since > STUCK_LIMIT[spin.group(1)]:
                minutes = int((now - since).total_seconds() // 60)
                self.flag(f"{key[0]} stuck in {spin.group(1)!r} for {minutes} simulated "
                          "minutes", text)
        for key in set(self.spinning_since) - seen:
            del self.spinning_since[key]

    def check_needs_code(self, text: str, lines: list[str], rows: list[str],
                         now: datetime) -> None:
        shown = {_row_name(line) for line in rows if "needs code" in line}
        bells = self.bells()
        if bells > self.bells_before:
            self.bell_times += [now] * (bells - self.bells_before)
            self.event(f"bell ({bells} so far)")
        self.bells_before = bells
        for name in shown - self.needs_code_shown:
            self.event(f"{name} reads 'needs code'")
            self.pending_bells.append((name, now))
        self.needs_code_shown = shown
        if shown and "needs a code" not in lines[0] and not PROMPT.search(text):
            self.flag(f"'needs code' ({', '.join(sorted(shown))}) but the header doesn't "
                      "say a code is needed", text)
        # The bell rings as the row turns, which may be under "starting" or a modal:
        # any bell within 5 simulated minutes either side counts.
        window = timedelta(minutes=5)
        for entry in list(self.pending_bells):
            name, when = entry
            if any(abs(rang - when) <= window for rang in self.bell_times):
                self.pending_bells.remove(entry)
            elif now - when > window:
                self.pending_bells.remove(entry)
                self.flag(f"{name} needs a code but no bell rang", text)

    def check_title(self, text: str, lines: list[str], title: str) -> None:
        header = lines[0] if lines else ""
        said = header.split("aws-mfa-tui —", 1)[1].strip() if "aws-mfa-tui —" in header else ""
        titled = title.split("aws-mfa-tui:", 1)[1].strip() if "aws-mfa-tui:" in title else ""
        # The header may be cut with "…"; the times may differ by the tick between reads.
        cut, full = _no_digits(said).rstrip("…"), _no_digits(titled)
        if said.startswith("demo:") and not titled:
            return  # the demo's words when no session needs a code; the title is bare
        if not full.startswith(cut) or (titled and not cut):
            self.flag(f"header {said!r} and terminal title {titled!r} disagree", text)

    # ---------------------------------------------------------------- acting
    def wait_for(self, needle: str, timeout: float = 10.0, gone: bool = False) -> str:
        deadline = time.monotonic() + timeout
        text = self.screen()
        while time.monotonic() < deadline:
            if (needle in text) != gone:
                return text
            time.sleep(0.1)
            text = self.screen()
        return text

    def answer_prompt(self, text: str) -> None:
        prompt = PROMPT.search(text)
        name = prompt.group(1) if prompt else "?"
        self.save(f"prompt-{name}", text, colours=True)
        code = f"{random.randint(0, 999999):06d}"
        self.codes.append(code)
        self.prompts.append(f"{self.sim_label()} prompt for {name}: answered with a code")
        self.event(f"code prompt for {name}: typing a 6-digit code")
        self.type_secret(code)
        after = self.wait_for("MFA code for", timeout=15, gone=True)
        if PROMPT.search(after):
            self.flag(f"the prompt for {name} stayed open after a code", after)
        else:
            self.save(f"answered-{name}", after)

    def highlight(self, name: str) -> bool:
        """Move the cursor with j/k until the summary line names this row."""
        for key in ["k"] * 8 + ["j"] * 8:
            if self.summary_names(self.screen()) == name:
                return True
            self.keys(key)
            time.sleep(0.25)
        return self.summary_names(self.screen()) == name

    @staticmethod
    def summary_names(text: str) -> str | None:
        for line in text.splitlines():
            found = re.match(r"\s*(\S+) → \[", line)
            if found:
                return found.group(1)
        return None

    def refresh_role(self, name: str) -> None:
        """r on a role whose source session is valid: it renews with no code asked."""
        if not self.highlight(name):
            self.flag(f"could not move the cursor to {name}", self.screen())
            return
        self.event(f"r on {name} (a role: no code should be asked)")
        self.keys("r")
        time.sleep(3)
        text = self.screen()
        if PROMPT.search(text):
            self.flag(f"r on the role {name} asked for a code", text)
            self.answer_prompt(text)
            return
        self.save(f"refreshed-{name}", text)
        line = next((row for row in text.splitlines() if _row_name(row) == name), "")
        if "fresh" not in line:
            self.flag(f"r on the role {name}: the row reads {line.strip()!r}", text)

    def refresh_row(self, wanted: list[str]) -> None:
        """r on the first of these rows that needs a code (expired, needs code, none)."""
        text = self.screen()
        for name in wanted:
            line = next((row for row in text.splitlines() if _row_name(row) == name), "")
            if re.search(r"needs code|expired|no session", line):
                break
        else:
            self.event(f"r: none of {wanted} needs a code now")
            return
        if not self.highlight(name):
            self.flag(f"could not move the cursor to {name}", self.screen())
            return
        state = STATE_WORDS.search(line)
        self.event(f"r on {name} ({state.group(0) if state else '?'})")
        self.keys("r")
        shown = self.wait_for("MFA code for", timeout=10)
        if PROMPT.search(shown):
            self.answer_prompt(shown)
        else:
            self.flag(f"r on {name} opened no code prompt", shown)

    def resize(self, width: int, height: int) -> None:
        self.event(f"resize to {width}x{height}")
        tmux("resize-window", "-t", self.session, "-x", str(width), "-y", str(height))
        self.size = (width, height)
        time.sleep(2)
        text = self.screen()
        self.save(f"resized-{width}x{height}", text, colours=True)
        self.check_blank_band(text)
        self.check(text, self.title())

    def details(self) -> None:
        self.event("enter (details), then escape")
        self.keys("Enter")
        text = self.wait_for("Esc closes", timeout=5)
        self.save("details", text)
        # "Time left 0:04:12", or "Expired 25m ago" for an ended session
        if not re.search(r"Time left|Expired  ", text):
            self.flag("enter opened no details screen", text)
        time.sleep(2)  # simulated minutes pass: the countdown must move
        later = self.screen()
        self.save("details-later", later)
        if "Time left" in later and _time_left(text) == _time_left(later) and _time_left(text):
            self.flag("the details' time left did not move in 2 real seconds", later)
        self.keys("Escape")
        self.wait_for("Esc closes", timeout=5, gone=True)
        time.sleep(0.5)  # a key right after Escape would read as alt+key

    def log_panel(self, show: bool) -> None:
        self.event(f"g (log panel {'on' if show else 'off'})")
        self.keys("g")
        time.sleep(1.5)
        self.save(f"log-{'on' if show else 'off'}", self.screen(), colours=True)

    def move(self) -> None:
        self.event("j j k")
        for key in "jjk":
            self.keys(key)
            time.sleep(0.3)
        self.save("moved", self.screen())


def _row_name(line: str) -> str:
    parts = line.replace("└", " ").split()
    return parts[0] if parts else ""


def _summary_note(text: str) -> str:
    """The line under the highlighted row's summary (its error or note), if any."""
    lines = text.splitlines()
    at = next((i for i, line in enumerate(lines) if " → [" in line), None)
    return lines[at + 1].strip() if at is not None and at + 1 < len(lines) else ""


def _no_digits(text: str) -> str:
    return re.sub(r"\d", "#", text)


def _time_left(text: str) -> str | None:
    found = re.search(r"Time left\s+(.+)", text)
    return found.group(1).strip() if found else None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def find_app(pane_pid: int) -> int | None:
    """The Python process of aws-mfa-tui under the pane (sh, then faketime, then it)."""
    todo = [pane_pid]
    while todo:
        pid = todo.pop()
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--demo" in argv and b"faketime" not in argv[0] and any(
                b"aws-mfa-tui" in a or a == b"tui" for a in argv):
            return pid
        todo += _children(pid)
    return None


def schedule(hours: float) -> list[tuple[float, str]]:
    """(fraction of the run, action): the same day's shape for any length of run."""
    return sorted([
        (0.04, "move"), (0.06, "details"),
        (0.08, "refresh personal"),
        (0.12, "log on"), (0.16, "log off"),
        (0.20, "resize 80 24"), (0.22, "move"), (0.24, "resize 60 20"),
        (0.27, "details"), (0.30, "resize 100 30"),
        (0.35, "refresh staging"), (0.38, "role staging-readonly"),
        (0.42, "refresh sandbox"),
        (0.50, "log on"), (0.52, "move"), (0.56, "log off"),
        (0.60, "refresh due"), (0.66, "resize 80 24"), (0.70, "resize 100 30"),
        (0.75, "details"), (0.80, "refresh due"), (0.90, "refresh due"),
        (0.95, "move"),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=20.0,
                        help="simulated hours to run (one real minute each; default 20)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for captures and the summary (default: a new temp dir)")
    args = parser.parse_args(argv)
    for tool in ("tmux", "faketime"):
        if shutil.which(tool) is None:
            print(f"all_day_run: needs {tool}", file=sys.stderr)
            return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="all-day-run-"))
    out.mkdir(parents=True, exist_ok=True)
    run = Run(out=out, session=f"allday-{uuid.uuid4().hex[:8]}")
    command_file = ROOT / ".venv" / "bin" / "aws-mfa-tui"
    app = str(command_file) if command_file.exists() else f"{sys.executable} -m tui"
    rc_file = out / "exit-status"
    inner = (f"env -u COLUMNS -u LINES faketime -f '+0 x60' {app} --demo; "
             f"echo $? > {shlex.quote(str(rc_file))}")
    run.event(f"starting: {inner}")
    (out / "command.txt").write_text(inner + "\n")
    subprocess.run(["tmux", "new-session", "-d", "-s", run.session, "-x", "100", "-y", "30",
                    "-e", "TERM=xterm-256color", "sh", "-c", inner], check=True, cwd=ROOT)
    run.started = time.monotonic()
    run.sim_start = datetime.now(UTC)
    tmux("pipe-pane", "-t", run.session, "-o",
         f"cat >> {shlex.quote(str(out / 'pane-output.raw'))}")
    tmux("set-option", "-t", run.session, "monitor-bell", "on")
    tmux("set-option", "-t", run.session, "bell-action", "any")
    tmux("set-hook", "-t", run.session, "alert-bell",
         f"run-shell 'echo bell >> {shlex.quote(str(out / 'alert-bell.log'))}'")
    try:
        return drive(run, args.hours)
    finally:
        if alive(run.session):
            tmux("kill-session", "-t", run.session)


def drive(run: Run, hours: float) -> int:
    pane_pid = int(tmux("display-message", "-p", "-t", run.session, "#{pane_pid}").strip())
    deadline = time.monotonic() + 10
    while run.pid is None and time.monotonic() < deadline:
        run.pid = find_app(pane_pid)
        time.sleep(0.1)
    run.event(f"app pid {run.pid}")
    folders = sorted(Path(tempfile.gettempdir()).glob(f"aws-mfa-tui-demo-{run.pid}-*"))
    first = run.wait_for("work", timeout=30)
    run.save("first-paint", first, colours=True)
    folders = sorted(Path(tempfile.gettempdir()).glob(f"aws-mfa-tui-demo-{run.pid}-*"))
    run.event(f"demo folder: {[str(f) for f in folders]}")
    actions = schedule(hours)
    real_length = hours * 3600 / SPEED
    last_kept = 0.0
    while True:
        elapsed = time.monotonic() - run.started
        if elapsed >= real_length:
            break
        if not alive(run.session) or (run.out / "exit-status").exists():
            run.flag("the app ended by itself", run.screen())
            break
        text, title = run.screen(), run.title()
        if PROMPT.search(text):
            run.event("a code prompt is open (not asked for by the run)")
            run.answer_prompt(text)
            continue
        if elapsed - last_kept >= CAPTURE_EVERY:
            last_kept = elapsed
            run.save("every-30", text, colours=run.captures % 5 == 0)
        run.check(text, title)
        if run.needs_code_shown and not run.reacted and elapsed > 0.3 * real_length:
            # Once a day, answer the bell as a user would: r while it still has time left.
            run.reacted = True
            run.refresh_row(sorted(run.needs_code_shown))
        while actions and actions[0][0] * real_length <= elapsed:
            do(run, actions.pop(0)[1])
        time.sleep(POLL_EVERY)
    return finish(run, hours, folders)


def do(run: Run, action: str) -> None:
    kind, *rest = action.split()
    if kind == "move":
        run.move()
    elif kind == "details":
        run.details()
    elif kind == "log":
        run.log_panel(rest[0] == "on")
    elif kind == "resize":
        run.resize(int(rest[0]), int(rest[1]))
    elif kind == "role":
        run.refresh_role(rest[0])
    elif kind == "refresh":
        if rest[0] == "due":
            text = run.screen()
            due = [n for n in IDENTITIES if re.search(
                r"needs code|expired|no session",
                next((line for line in text.splitlines() if _row_name(line) == n), ""))]
            run.refresh_row(due or list(IDENTITIES))
        else:
            run.refresh_row([rest[0]])


def finish(run: Run, hours: float, folders: list[Path]) -> int:
    text = run.screen()
    run.save("before-quit", text, colours=True)
    rss_end = run.rss_kib()
    covered = (run.sim_now() - run.sim_start).total_seconds() / 3600
    run.event("q")
    run.keys("q")
    deadline = time.monotonic() + 15
    rc_file = run.out / "exit-status"
    while not rc_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    rc = rc_file.read_text().strip() if rc_file.exists() else None
    if rc != "0":
        run.anomalies.append(Anomaly("-", run.sim_label(), f"q: exit status {rc!r}"))
    left = [str(f) for f in folders if f.exists()]
    if not folders:
        run.anomalies.append(Anomaly("-", "-", "no demo folder was found for the app's pid"))
    if left:
        run.anomalies.append(Anomaly("-", run.sim_label(), f"demo folder left: {left}"))
    rss = run.rss
    lines = [
        "# All-day run of aws-mfa-tui --demo",
        "",
        f"- command (in tmux 100x30): `{(run.out / 'command.txt').read_text().strip()}`",
        f"- simulated hours asked {hours:g}, covered {covered:.1f} "
        f"(real {covered:.1f} min), from {run.sim_start:%Y-%m-%d %H:%M} UTC",
        f"- app pid {run.pid}; exit status after q: {rc}; demo folder "
        f"{[str(f) for f in folders]} {'left behind' if left else 'removed'}",
        f"- RSS: start {rss[0][1] / 1024:.1f} MiB ({rss[0][0]}), end "
        f"{(rss_end or rss[-1][1]) / 1024:.1f} MiB, max {max(r for _, r in rss) / 1024:.1f} MiB"
        if rss else "- RSS: not read",
        f"- bells: {run.bells()} BEL in the pane's output (outside OSC), "
        f"{run.hook_bells()} alert-bell hooks",
        f"- code prompts answered: {len(run.prompts)}",
        *[f"  - {p}" for p in run.prompts],
        f"- captures kept: {run.captures} in {run.out}",
        "",
        f"## Anomalies ({len(run.anomalies)})",
        "",
        *[f"- {a.sim} {a.what} (capture {a.capture})" for a in run.anomalies],
        *([] if run.anomalies else ["none"]),
        "",
        "## Events",
        "",
        *[f"- {e}" for e in run.events],
        "",
    ]
    (run.out / "summary.md").write_text("\n".join(lines))
    (run.out / "rss.csv").write_text("".join(f"{h},{kib}\n" for h, kib in rss))
    (run.out / "events.log").write_text("\n".join(run.events) + "\n")
    print("\n".join(lines[:12 + len(run.prompts)]))
    print(f"anomalies: {len(run.anomalies)}; summary: {run.out / 'summary.md'}")
    return 1 if run.anomalies else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
