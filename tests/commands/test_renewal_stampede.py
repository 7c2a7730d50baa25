"""Many processes wanting one session at once: one renewal, one code, one STS call.

Twenty boto3 processes start together through a `credential_process` profile, as
Terraform's parallelism or a shell loop would. Each runs `aws-mfa-tui credential-process`,
which renews the session when it is missing or inside its lead time. The identity's
`mfa_command` logs each run, so the test counts codes asked for as well as STS calls.
The emulator gives each STS session its own key, so "the same key" means one session.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.configloader import raw_config_parse

from tests.support.app import add_config, add_session
from tests.support.cli import cli

CALLERS = 20
#: One boto3 process: the key its credential_process handed it, on stdout.
BOTO3_CALLER = (
    "import boto3\n"
    "print(boto3.Session(profile_name='auto').get_credentials()"
    ".get_frozen_credentials().access_key)\n"
)


@pytest.fixture
def code_log(tmp_path: Path) -> tuple[str, Path]:
    """An mfa_command that appends a line to a log each time it runs, and prints a code."""
    log = tmp_path / "mfa-command-runs"
    script = tmp_path / "code.py"
    script.write_text(f"open({str(log)!r}, 'a').write('run\\n')\nprint('123456')\n")
    return f"{sys.executable} {script}", log


def use_command(sandbox, command: str) -> None:
    sandbox.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox.settings.write_text(f"mfa_command = {json.dumps(command)}\n")


def runs(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def stampede(profile: str, callers: int = CALLERS, timeout: float = 90
             ) -> list[subprocess.CompletedProcess[str]]:
    """Start `callers` boto3 processes at once; each reads credentials through `auto`."""
    command = f"{sys.executable} -m tui credential-process {profile}"
    with open(os.environ["AWS_CONFIG_FILE"], "a") as handle:
        handle.write(f"\n[profile auto]\ncredential_process = {command}\n")
    env = dict(os.environ)
    env.pop("AWS_ENDPOINT_URL_STS", None)
    processes = [subprocess.Popen([sys.executable, "-c", BOTO3_CALLER], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
                 for _ in range(callers)]
    deadline = time.monotonic() + timeout
    done = []
    for process in processes:
        try:
            out, err = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
            raise
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def assert_one_session(done, section: str, sandbox) -> None:
    failed = [d.stderr.strip().splitlines()[-1:] for d in done if d.returncode != 0]
    assert not failed, f"{len(failed)} of {len(done)} failed: {failed[:3]}"
    keys = {d.stdout.strip() for d in done}
    assert keys == {raw_config_parse(str(sandbox.credentials))[section]["aws_access_key_id"]}


@pytest.fixture
def alice(aws, make_user, sandbox_home, code_log) -> Path:
    """alice's identity `work`, with a device and the logging mfa_command; each STS
    session unique. Returns the command's log."""
    command, log = code_log
    user = make_user("alice", profile="work")
    aws.make_sessions_unique()
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {user.serial}")
    use_command(sandbox_home, command)
    return log


def test_twenty_callers_with_no_session_cost_one_call_and_one_code(aws, sandbox_home, alice):
    done = stampede("work")
    assert_one_session(done, "work-mfa", sandbox_home)
    assert len(aws.injector.calls("GetSessionToken")) == 1
    assert runs(alice) == 1


def test_twenty_callers_three_minutes_before_expiry_renew_once(aws, sandbox_home, alice):
    add_session(sandbox_home.credentials, "work-mfa", datetime.now(UTC) + timedelta(minutes=3))
    done = stampede("work")
    assert_one_session(done, "work-mfa", sandbox_home)
    assert len(aws.injector.calls("GetSessionToken")) == 1
    assert runs(alice) == 1


def test_twenty_callers_of_a_role_with_no_session_at_all(aws, make_user, sandbox_home, alice):
    """The role starts from alice's MFA session, which doesn't exist yet either."""
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")[
        "Role"]["Arn"]
    add_config(sandbox_home.config, f"[profile prod]\nrole_arn = {arn}\n"
               "source_profile = work-mfa")
    done = stampede("prod")
    assert_one_session(done, "prod-session", sandbox_home)
    assert len(aws.injector.calls("GetSessionToken")) == 1
    assert len(aws.injector.calls("AssumeRole")) == 1
    assert runs(alice) == 1


def test_a_code_is_sent_once_machine_wide(aws, make_user, sandbox_home):
    """`refresh --force` twice with one code: the second is refused before any call."""
    make_user("alice", profile="work")
    first = cli("refresh", "work", "--force", "--token-code", "123456")
    assert first.returncode == 0, first.stderr
    second = cli("refresh", "work", "--force", "--token-code", "123456")
    assert second.returncode == 4
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert "already used" in second.stderr
    assert len(aws.injector.calls("GetSessionToken")) == 1
    assert "123456" not in second.stderr


def test_a_session_with_time_left_is_handed_out_when_renewal_fails(aws, sandbox_home, alice):
    """STS is down 3 minutes before expiry: the SDK gets the current session, not an error."""
    add_session(sandbox_home.credentials, "work-mfa", datetime.now(UTC) + timedelta(minutes=3))
    key = raw_config_parse(str(sandbox_home.credentials))["work-mfa"]["aws_access_key_id"]
    aws.injector.add("GetSessionToken", status=503, code="ServiceUnavailable", times=-1,
                     sender=False)
    done = cli("credential-process", "work")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"] == key
    assert "using the current session, valid 0:0" in done.stderr


def test_a_wait_for_another_renewal_is_told_and_ctrl_c_ends_it(aws, sandbox_home, alice):
    """Another process holds work-mfa's renewal lock (a person at its prompt, say)."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import time\n"
         "from pathlib import Path\n"
         "from tui.engine.sessions.renewal_lock import renewal_lock\n"
         f"with renewal_lock(Path({str(sandbox_home.credentials)!r}), 'work-mfa'):\n"
         "    print('held', flush=True)\n"
         "    time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    waiter = None
    try:
        assert holder.stdout.readline().strip() == "held"
        waiter = subprocess.Popen([sys.executable, "-m", "tui", "credential-process", "work"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        told = waiter.stderr.readline()
        assert "waiting for another aws-mfa-tui renewing [work-mfa]" in told
        waiter.send_signal(signal.SIGINT)
        out, rest = waiter.communicate(timeout=30)
        assert waiter.returncode == 130
        assert out == "" and len(rest.strip().splitlines()) <= 1
    finally:
        holder.kill()
        holder.wait()
        if waiter is not None and waiter.poll() is None:
            waiter.kill()
    assert runs(alice) == 0 and not aws.injector.calls("GetSessionToken")
