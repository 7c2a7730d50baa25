"""A rotation cut off by SIGKILL at any step is finished by the next `rotate`.

Each case runs the real `aws-mfa-tui rotate` in its own process with signature checking on
in the emulator; the journal's test hook makes that process SIGKILL itself at one point
(right after writing a journal line, i.e. before the step runs, or right before writing a
line, i.e. just after the step ran). Then `rotate` runs again: IAM must hold exactly one
active key, the one in the credentials file, and it must work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import boto3
import pytest
from botocore.configloader import raw_config_parse

from tui.engine.rotation.journal import KILL_HOOK

#: Every step of a plain rotation: after its journal line (before the step runs) and
#: before its `done` line (after it ran).
STEPS = ["check", "create", "persist", "verify", "deactivate", "delete", "mark_stale"]
KILL_POINTS = (["begin:running"]
               + [f"{step}:running" for step in STEPS if step != "mark_stale"]
               + [f"before:{step}:done" for step in STEPS if step != "mark_stale"]
               + ["before:mark_stale:skipped", "before:end:done"]
               # the look at the file before the old key is deactivated (the first one)
               + ["recheck:running", "before:recheck:done"])


def rotate(*extra: str, kill_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop(KILL_HOOK, None)
    if kill_at:
        env[KILL_HOOK] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "tui", "rotate", "carol", "--yes", *extra],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )


def iam_keys(aws, make_user) -> dict[str, str]:
    """{key id: status}, read with checking off for this one call (the admin key isn't
    real), then on again."""
    aws.set_auth(False)
    try:
        listed = make_user.iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]
    finally:
        aws.set_auth(True)
    return {k["AccessKeyId"]: k["Status"] for k in listed}


def file_key(sandbox_home) -> tuple[str, str]:
    section = raw_config_parse(str(sandbox_home.credentials))["carol"]
    return section["aws_access_key_id"], section["aws_secret_access_key"]


def works(aws, key: str, secret: str) -> bool:
    sts = boto3.client("sts", endpoint_url=aws.url, region_name="us-east-1",
                       aws_access_key_id=key, aws_secret_access_key=secret)
    return sts.get_caller_identity()["Arn"].endswith(":user/carol")


def assert_one_working_key(aws, make_user, sandbox_home) -> None:
    key, secret = file_key(sandbox_home)
    active = {k for k, status in iam_keys(aws, make_user).items() if status == "Active"}
    assert active == {key}, iam_keys(aws, make_user)
    assert works(aws, key, secret)


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_rotation_killed_at_each_step_is_finished_by_the_next_rotate(
        aws, make_user, sandbox_home, kill_at):
    carol = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    killed = rotate(kill_at=kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    again = rotate()
    assert again.returncode == 0, again.stderr
    assert_one_working_key(aws, make_user, sandbox_home)
    key, secret = file_key(sandbox_home)
    assert secret not in again.stdout + again.stderr
    assert carol.access_key_id not in iam_keys(aws, make_user) or key == carol.access_key_id
    # The journal is closed: one more rotate is an ordinary rotation.
    last = rotate()
    assert last.returncode == 0, last.stderr
    assert "was cut off" not in last.stderr
    assert_one_working_key(aws, make_user, sandbox_home)
    assert len(iam_keys(aws, make_user)) == 1


@pytest.mark.parametrize("kill_at", ["before:deactivate:done", "before:delete:skipped"])
def test_kept_inactive_stays_inactive_after_a_cut_off_rotation(aws, make_user, sandbox_home,
                                                               kill_at):
    carol = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    assert rotate("--keep-old-inactive", kill_at=kill_at).returncode == -signal.SIGKILL
    again = rotate()
    assert again.returncode == 0, again.stderr
    assert_one_working_key(aws, make_user, sandbox_home)
    assert iam_keys(aws, make_user)[carol.access_key_id] == "Inactive"


@pytest.mark.parametrize("second_kill", ["recover:running", "before:deactivate:done",
                                         "before:delete:done", "before:recover:done"])
def test_a_recovery_killed_too_is_finished_by_the_rotate_after(aws, make_user, sandbox_home,
                                                               second_kill):
    make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    assert rotate(kill_at="verify:running").returncode == -signal.SIGKILL
    assert rotate(kill_at=second_kill).returncode == -signal.SIGKILL
    again = rotate()
    assert again.returncode == 0, again.stderr
    assert_one_working_key(aws, make_user, sandbox_home)
    assert len(iam_keys(aws, make_user)) == 1


@pytest.mark.parametrize("kill_at", ["mark_stale:running", "before:mark_stale:done"])
def test_the_mfa_session_is_marked_stale_by_the_rotate_after_the_kill(
        aws, make_user, sandbox_home, kill_at):
    make_user("carol", mfa=True, allow_all=True)
    made = subprocess.run([sys.executable, "-m", "tui", "refresh", "carol",
                           "--token-code", "123456"], capture_output=True, text=True,
                          timeout=120)
    assert made.returncode == 0, made.stderr
    aws.set_auth(True)  # moto then refuses session credentials: sign with the key itself
    assert rotate("--token-code", "skip", kill_at=kill_at).returncode == -signal.SIGKILL
    again = rotate("--token-code", "skip")
    assert again.returncode == 0, again.stderr
    assert_one_working_key(aws, make_user, sandbox_home)
    session = raw_config_parse(str(sandbox_home.credentials))["carol-mfa"]
    assert session["stale"] == "key-rotated"


def test_a_journal_line_cut_short_by_the_kill_is_ignored(aws, make_user, sandbox_home):
    make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    assert rotate(kill_at="before:persist:done").returncode == -signal.SIGKILL
    journal = sandbox_home.settings.parent / "rotation.log"
    with open(journal, "a") as handle:
        handle.write('{"profile": "carol", "step": "ver')
    again = rotate()
    assert again.returncode == 0, again.stderr
    assert "was cut off" in again.stderr
    assert_one_working_key(aws, make_user, sandbox_home)
