"""`watch` as the agent (a real `watch` process, real clients): codes from the identity's
mfa_command; with no way to ask, the client asks itself; a second watch doesn't serve."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time

import pytest

from tests.support.app import add_config
from tests.support.cli import COMMAND, cli, read_credentials

pytestmark = pytest.mark.timeout(60)


def start_watch(*profiles: str) -> tuple[subprocess.Popen[str], str]:
    """A `watch` process, once it said whether it serves; (process, what it said)."""
    watch = subprocess.Popen([*COMMAND, "watch", *profiles], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                             start_new_session=True)
    said = ""
    deadline = time.monotonic() + 30
    while "agent" not in said and time.monotonic() < deadline:
        ready, _, _ = select.select([watch.stderr], [], [], 0.2)
        if ready:
            said += watch.stderr.readline()
    return watch, said


def stop(watch: subprocess.Popen[str]) -> str:
    watch.send_signal(signal.SIGTERM)
    _, err = watch.communicate(timeout=20)
    return err


@pytest.fixture
def two_users(aws, make_user, sandbox_home, tmp_path):
    """work (no session; its codes from an mfa_command that logs each run) and bob (whose
    fresh session is all the watch keeps, so only the agent renews work)."""
    alice = make_user("alice", profile="work")
    make_user("bob", profile="bob")
    assert cli("refresh", "bob", "--token-code", "111111").returncode == 0
    runs = tmp_path / "runs"
    command = tmp_path / "code.sh"
    command.write_text(f"#!/bin/sh\necho run >> {runs}\necho 246810\n")
    command.chmod(0o755)
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {alice.serial}")
    sandbox_home.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.settings.write_text(f'[profiles.work]\nmfa_command = "{command}"\n')
    return runs


def test_watch_serves_with_the_mfa_command(two_users, aws, sandbox_home):
    watch, said = start_watch("bob")
    try:
        assert "agent: serving" in said
        done = cli("credential-process", "work")
    finally:
        err = said + stop(watch)
    assert done.returncode == 0, done.stderr
    key = json.loads(done.stdout)["AccessKeyId"]
    assert key == read_credentials(sandbox_home)["work-mfa"]["aws_access_key_id"]
    assert two_users.read_text().count("run") == 1
    assert [c.params["TokenCode"] for c in aws.injector.calls("GetSessionToken")][-1] == "246810"
    assert "agent: served work to" in err
    assert read_credentials(sandbox_home)["work-mfa"]["aws_secret_access_key"] not in err


def test_a_second_watch_does_not_serve(two_users):
    first, said = start_watch("bob")
    try:
        assert "agent: serving" in said
        second, said_second = start_watch("bob")
        stop(second)
    finally:
        stop(first)
    assert "another aws-mfa-tui agent serves this user" in said_second


def test_with_no_way_to_ask_the_client_asks_itself(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable))  # no ssh-askpass
    watch = subprocess.Popen([*COMMAND, "watch", "nosuch"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                             start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + 30
        said = ""
        while "agent" not in said and time.monotonic() < deadline:
            ready, _, _ = select.select([watch.stderr], [], [], 0.2)
            if ready:
                said += watch.stderr.readline()
        done = cli("credential-process", "work", env=env)
    finally:
        stop(watch)
    assert done.returncode == 4
    assert "needs an MFA code and there's no way to ask for one here" in done.stderr
