"""Programs that write or lock the credentials file from a process of their own, and how
the tests seed the file, run those writers and count what survived."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from botocore.configloader import raw_config_parse

#: Holds an flock on the path in argv[1] (printing `held`) until its stdin closes.
HOLDER = (
    "import fcntl, sys, time\n"
    "f = open(sys.argv[1], 'a')\n"
    "fcntl.flock(f, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)

# Our writes: the engine in a process of its own, one write_session per section. With
# `fresh`, each write has a store of its own, as each CLI command has: no earlier read to
# judge a read by. A write that gives up (the file never settled) prints one line and
# goes on; the count of those is printed at the end.
OUR_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from tui.engine.credentials_file.store import CredentialsStore
    from tui.engine.credential_values import SessionCredentials
    from tui.engine.errors import CredentialsFileError
    from tui.engine.secret import Secret
    import time
    path, count, prefix, pause = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    fresh = sys.argv[5] == "fresh"
    store = CredentialsStore(path)
    gave_up = 0
    for n in range(count):
        time.sleep(pause)
        if fresh:
            store = CredentialsStore(path)
        try:
            store.write_session(f"{prefix}-{n}", SessionCredentials(
                access_key_id=f"ASIAOURS{n:012d}", secret_access_key=Secret(f"s-{n}"),
                session_token=Secret(f"t-{n}"),
                expiration=datetime.now(UTC) + timedelta(hours=1)))
        except CredentialsFileError as exc:
            gave_up += 1
            print(exc, file=sys.stderr)
    print("gave-up", gave_up)
    """
)

#: A writer that takes no lock and pauses in the middle of its write, looping until the
#: stop file appears (it always finishes the round it is in, so the file it leaves is whole).
#: argv: path, stop file, how, stall seconds, pause between rounds.
#: `how`:
#: - `boundary`: read the file, truncate it, write up to a section boundary half-way,
#:   stall, write the rest (an editor or a script that writes in pieces);
#: - `truncate`: read, truncate, stall with the file empty, write it all;
#: - `lines`: read, truncate, write it a line at a time with a pause of 1 ms to `stall`
#:   seconds (random) after each line.
#: Prints the number of rounds it finished.
STALLING_WRITER = textwrap.dedent(
    """
    import os, random, sys, time
    path, stop, how = sys.argv[1], sys.argv[2], sys.argv[3]
    stall, gap = float(sys.argv[4]), float(sys.argv[5])
    rounds = 0
    random.seed(rounds)
    while not os.path.exists(stop):
        with open(path) as f:
            contents = f.read()
        with open(path, "w") as f:
            if how == "boundary":
                cut = contents.find("\\n[", len(contents) // 2) + 1 or len(contents)
                f.write(contents[:cut])
                f.flush()
                time.sleep(stall)
                f.write(contents[cut:])
            elif how == "truncate":
                f.flush()
                time.sleep(stall)
                f.write(contents)
            else:
                for line in contents.splitlines(keepends=True):
                    f.write(line)
                    f.flush()
                    time.sleep(random.uniform(0.001, stall))
        rounds += 1
        time.sleep(gap)
    print(rounds)
    """
)

# Never whole again until stopped: half the file (cut at a section boundary), then empty.
FLAPPING = textwrap.dedent(
    """
    import os, sys, time
    path, stop = sys.argv[1], sys.argv[2]
    full = open(path).read()
    half = full[:full.find("\\n[", len(full) // 2) + 1]
    print("started", flush=True)
    while not os.path.exists(stop):
        for text in (half, ""):
            with open(path, "w") as f:
                f.write(text)
            time.sleep(0.3)
    with open(path, "w") as f:
        f.write(full)
    """
)


# ------------------------------------------------------------------ running the writers
#: Our edits per case (fresh `logout` processes, or a long-lived store's).
LOGOUTS = 2
CLI = [sys.executable, "-m", "tui"]


def seed(path: Path, long_term: int, sessions: int) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_text(
        "".join(
            f"[s-{n}]\naws_access_key_id = ASIAS{n:015d}\naws_secret_access_key = x\n"
            f"aws_session_token = t{n}\nexpiration = 2099-01-01T00:00:00Z\n\n"
            for n in range(sessions)
        ) + "".join(
            # After the sessions: a writer cut half-way leaves the sessions and no keys.
            f"[lt-{n}]\naws_access_key_id = AKIALT{n:014d}\naws_secret_access_key = s{n}\n\n"
            for n in range(long_term)
        )
    )
    os.chmod(path, 0o600)


def lost_long_term(path: Path, long_term: int) -> list[str]:
    parsed = raw_config_parse(str(path))
    return [f"lt-{n}" for n in range(long_term)
            if parsed.get(f"lt-{n}", {}).get("aws_access_key_id") != f"AKIALT{n:014d}"]


def start_writer(path: Path, stop: Path, how: str, stall: float,
                 gap: float = 0.2) -> subprocess.Popen:
    writer = subprocess.Popen(
        [sys.executable, "-c", STALLING_WRITER, str(path), str(stop), how, str(stall), str(gap)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(0.2)
    return writer


def stop_writer(writer: subprocess.Popen, stop: Path, stall: float) -> int:
    stop.touch()
    out, err = writer.communicate(timeout=30 + stall)
    assert writer.returncode == 0, err
    return int(out)


def each_writer(cases: list[tuple[str, float]]):
    return pytest.mark.parametrize(("how", "stall"), cases,
                                   ids=[f"{how}-{stall:g}s" for how, stall in cases])


def seed_for(path: Path, how: str) -> int:
    """Seed the file for this writer; returns how many long-term profiles it has."""
    # A line-by-line round of a 1,500-profile file would take minutes.
    long_term = 20 if how == "lines" else 1500
    seed(path, long_term, LOGOUTS)
    return long_term


