"""Writers that take no lock and stall in the middle of their write, against a store that
lives long (as the TUI holds one) and against `refresh`: no long-term profile lost, the
file read whole before a code is spent, and a session AWS granted kept until Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from botocore.configloader import raw_config_parse

from tests.support.writers import (
    CLI,
    FLAPPING,
    LOGOUTS,
    each_writer,
    lost_long_term,
    seed,
    seed_for,
    start_writer,
    stop_writer,
)

LONG_LIVED = """
import sys
from datetime import UTC, datetime, timedelta
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.credential_values import SessionCredentials
from tui.engine.errors import CredentialsFileError
from tui.engine.secret import Secret
store = CredentialsStore(sys.argv[1])
store.read()
print("ready", flush=True)
sys.stdin.readline()  # the writer has started
gave_up = 0
for n in range(int(sys.argv[2])):
    try:
        store.remove_section(f"s-{n}")
    except CredentialsFileError as exc:
        gave_up += 1
        print(exc, file=sys.stderr)
    # A session AWS granted: never given up on (patient), so no try here.
    store.write_session(f"ours-{n}", SessionCredentials(
        access_key_id=f"ASIAOURS{n:012d}", secret_access_key=Secret(f"s-{n}"),
        session_token=Secret(f"t-{n}"), expiration=datetime.now(UTC) + timedelta(hours=1)))
print(gave_up)
"""

# At 7 s the empty file is taken (it held still for 5 s) and written: what the writer then
# puts in the file we replaced is found by the watch after the write, and the edit redone.
LONG_LIVED_WRITERS = [("boundary", 0.15), ("boundary", 3.0), ("truncate", 1.2), ("lines", 0.003),
                      ("truncate", 7.0)]


@pytest.mark.slow
@each_writer(LONG_LIVED_WRITERS)
def test_a_long_lived_store_never_costs_a_long_term_profile(sandbox_home, tmp_path, how, stall):
    path = sandbox_home.credentials
    long_term = seed_for(path, how)
    stop = tmp_path / "stop"
    store = subprocess.Popen([sys.executable, "-c", LONG_LIVED, str(path), str(LOGOUTS)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert store.stdout.readline().strip() == "ready"  # its first read, before the writer
    writer = start_writer(path, stop, how, stall)
    try:
        out, err = store.communicate("go\n", timeout=120)
    finally:
        store.kill()
        rounds = stop_writer(writer, stop, stall)
    assert store.returncode == 0, err
    lost = lost_long_term(path, long_term)
    parsed = raw_config_parse(str(path))
    ours = sum(f"ours-{n}" in parsed for n in range(LOGOUTS))
    print(f"long-lived, {how} {stall:g}s ({rounds} rounds): {len(lost)} of {long_term} "
          f"long-term lost; {out.strip()} of {LOGOUTS} removals gave up; {ours} of "
          f"{LOGOUTS} sessions in the file at the end", err, sep="\n  ")
    assert lost == []


@pytest.mark.slow
@each_writer([("truncate", 3.0), ("boundary", 1.0)])
def test_refresh_settles_its_read_before_it_spends_the_code(aws, make_user, sandbox_home,
                                                           tmp_path, how, stall):
    make_user("alice", profile="work")
    path = sandbox_home.credentials
    # Sessions first, then 300 long-term profiles, then [work]: a cut-off read lacks it.
    text = path.read_text()
    seed(path, 300, 1)
    path.write_text(path.read_text() + text)
    assert subprocess.run([*CLI, "status"], capture_output=True, timeout=60).returncode == 0
    stop = tmp_path / "stop"
    writer = start_writer(path, stop, how, stall)
    try:
        done = subprocess.run([*CLI, "refresh", "work", "--token-code", "123456"],
                              capture_output=True, text=True, timeout=120)
    finally:
        rounds = stop_writer(writer, stop, stall)
    print(f"refresh against {how} {stall:g}s ({rounds} rounds): exit {done.returncode}",
          done.stderr, sep="\n  ")
    # Before: the cut-off read was taken for the file ("no such profile: work", exit 2).
    assert done.returncode == 0, done.stderr
    parsed = raw_config_parse(str(path))
    assert parsed["work-mfa"]["aws_session_token"]
    assert lost_long_term(path, 300) == []



# The MFA command: starts a writer that never leaves the file whole (after `refresh` read
# it, before STS answers), then prints the code. argv: the writer's file, path, stop file.
CODE_THEN_WRITER = """
import subprocess, sys
writer = subprocess.Popen([sys.executable, *sys.argv[1:]], stdout=subprocess.PIPE, text=True,
                          stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          start_new_session=True)
assert writer.stdout.readline().strip() == "started"
print("123456")
"""


@pytest.mark.slow
def test_a_granted_session_is_kept_while_the_file_is_busy_until_ctrl_c(aws, make_user,
                                                                      sandbox_home, tmp_path):
    make_user("alice", profile="work")
    path = sandbox_home.credentials
    with open(path, "a") as handle:
        handle.write("".join(
            f"[lt-{n}]\naws_access_key_id = AKIALT{n:014d}\naws_secret_access_key = s{n}\n\n"
            for n in range(200)))
    before = path.read_bytes()
    stop = tmp_path / "stop"
    script, writer = tmp_path / "code.py", tmp_path / "writer.py"
    script.write_text(CODE_THEN_WRITER)
    writer.write_text(FLAPPING)
    sandbox_home.settings.parent.mkdir(parents=True)
    sandbox_home.settings.write_text(
        f'mfa_command = "{sys.executable} {script} {writer} {path} {stop}"\n')
    assert subprocess.run([*CLI, "status"], capture_output=True, timeout=60).returncode == 0
    refresh = subprocess.Popen([*CLI, "refresh", "work"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        seen = ""
        end = time.monotonic() + 60  # a bound, not a timing
        while "waiting until it is whole" not in seen and time.monotonic() < end:
            line = refresh.stderr.readline()
            if not line:
                break
            seen += line
        assert "waiting until it is whole" in seen, seen
        time.sleep(1)  # still waiting: it never gives up a granted session by itself
        assert refresh.poll() is None
        refresh.send_signal(signal.SIGINT)
        _, err = refresh.communicate(timeout=60)
    finally:
        refresh.kill()
        stop.touch()
    time.sleep(1)  # the writer puts the whole file back
    print(seen + err)
    assert refresh.returncode == 130
    assert "not saved" in err.strip().splitlines()[-1], err
    assert "Traceback" not in err
    assert path.read_bytes() == before
