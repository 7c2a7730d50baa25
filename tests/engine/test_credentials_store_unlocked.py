"""Writers that take no lock: awscli's in-place rewrite, raced by real processes.

awscli's ConfigFileWriter reads the file, then truncates it (`open(path, 'w')`) and writes
it again in place, and appends new sections with `open(path, 'a')`, with no lock. For a
moment the file is empty or a prefix: a store that takes that read for the file replaces
every long-term profile with it. These tests run such a writer non-stop in a separate
process while our writes run in another, and count what survived.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from botocore.configloader import raw_config_parse

from tests.support.writers import OUR_WRITER

LONG_TERM = 1500
OUR_WRITES = 100

# The other writer, as awscli's ConfigFileWriter writes: read, truncate, write in place;
# new sections appended (every 10th round, 100 at most, so the file stays near its size).
# It runs until the stop file appears and prints what it appended. `pause` 0 is a writer
# that never pauses: the file is never still.
UNLOCKED_WRITER = textwrap.dedent(
    """
    import os, sys
    import time
    path, stop, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
    appended, rounds = [], 0
    while not os.path.exists(stop):
        if pause:
            time.sleep(pause)
        rounds += 1
        if rounds % 10 == 0 and len(appended) < 100:
            name = f"other-{len(appended)}"
            with open(path, "a") as f:
                f.write(f"[{name}]\\nregion = us-west-2\\n")
            appended.append(name)
            continue
        with open(path) as f:
            contents = f.read()
        with open(path, "w") as f:
            f.write(contents)
    print(rounds, " ".join(appended))
    """
)


def _seed(path: Path) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_text(
        "".join(
            f"[lt-{n}]\naws_access_key_id = AKIALT{n:014d}\naws_secret_access_key = s{n}\n\n"
            for n in range(LONG_TERM)
        )
    )
    os.chmod(path, 0o600)


def _lost_long_term(parsed: dict) -> list[str]:
    return [
        f"lt-{n}"
        for n in range(LONG_TERM)
        if parsed.get(f"lt-{n}", {}).get("aws_access_key_id") != f"AKIALT{n:014d}"
    ]


def _our_writer(path: Path, count: int, prefix: str, pause: float = 0.0,
                fresh: bool = False) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", OUR_WRITER, str(path), str(count), prefix, str(pause),
         "fresh" if fresh else "kept"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("pause", "fresh"), [(0.0, True), (0.0, False), (0.005, True)],
    ids=["never-pauses-cli", "never-pauses-tui", "5ms-cli"],
)
def test_awscli_style_writer_never_costs_a_long_term_profile(sandbox_home, tmp_path,
                                                            pause, fresh):
    path = sandbox_home.credentials
    _seed(path)
    stop = tmp_path / "stop"
    other = subprocess.Popen(
        [sys.executable, "-c", UNLOCKED_WRITER, str(path), str(stop), str(pause)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        time.sleep(0.2)
        ours = _our_writer(path, OUR_WRITES, "ours", fresh=fresh)
        try:
            # A bound, not a timing: each write finishes or gives up within BUDGET.
            out, err = ours.communicate(timeout=100)
        finally:
            ours.kill()
        assert ours.returncode == 0, err
    finally:
        stop.touch()
        other_out, other_err = other.communicate(timeout=30)
    assert other.returncode == 0, other_err
    rounds, _, names = other_out.strip().partition(" ")
    appended = names.split()
    gave_up = int(out.split()[-1])
    parsed = raw_config_parse(str(path))  # the final file parses as botocore parses it
    lost_long_term = _lost_long_term(parsed)
    lost_other = [name for name in appended if name not in parsed]
    lost_ours = [n for n in range(OUR_WRITES) if f"ours-{n}" not in parsed]
    print(
        f"other writer (pause {pause}): {rounds} rounds, {len(appended)} sections "
        f"appended, {len(lost_other)} lost; long-term lost {len(lost_long_term)}; "
        f"our writes: {OUR_WRITES - gave_up} of {OUR_WRITES} done, {gave_up} gave up, "
        f"{len(lost_ours)} missing at the end"
    )
    assert int(rounds) >= 10 and appended  # it really wrote and appended during ours
    assert lost_long_term == []
    assert len(lost_other) <= 2, lost_other
    # A write that gives up says so in one line, and then nothing of it was written.
    assert all(line.endswith("nothing was written, try again")
               for line in err.splitlines()), err
    assert gave_up <= OUR_WRITES // 10, err


AWS = shutil.which("aws", path=os.path.dirname(sys.executable))


@pytest.mark.slow
@pytest.mark.skipif(AWS is None, reason="awscli (the test extra) is not installed")
def test_real_aws_configure_set_raced_with_our_writes(sandbox_home):
    path = sandbox_home.credentials
    _seed(path)
    sandbox_home.config.write_text("[default]\nregion = us-east-1\n")
    env = dict(os.environ)
    ours = _our_writer(path, 40, "ours", pause=0.05)
    try:
        for n in range(20):
            # aws_access_key_id goes to the credentials file: the file we race on.
            done = subprocess.run(
                [AWS, "configure", "set", f"profile.cli-{n}.aws_access_key_id",
                 f"AKIACLI{n:013d}"],
                env=env, capture_output=True, text=True, timeout=60,
            )
            assert done.returncode == 0, done.stderr
    finally:
        _, err = ours.communicate(timeout=120)
    assert ours.returncode == 0, err
    parsed = raw_config_parse(str(path))
    assert _lost_long_term(parsed) == []
    lost_ours = [n for n in range(40) if f"ours-{n}" not in parsed]
    lost_cli = [n for n in range(20) if f"cli-{n}" not in parsed]
    print(f"aws configure set: {len(lost_cli)} of 20 lost; ours lost {len(lost_ours)} of 40")
    assert lost_ours == []
    assert len(lost_cli) <= 2, lost_cli
