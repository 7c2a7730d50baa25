"""Asking a person for a code wherever they are: on /dev/tty when stdin and stderr are
pipes (as under botocore's credential_process), through askpass when there is no
terminal, and again (up to three times) after a typo. Also the region that env and exec
hand on.

Each runs the real command as a separate process with a pty as its controlling terminal.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import subprocess
import sys
import termios

import pytest

from tests.support.cli import read_until

COMMAND = [sys.executable, "-m", "tui"]


def spawn_with_tty_but_piped(argv: list[str], env: dict[str, str] | None = None
                             ) -> tuple[subprocess.Popen[bytes], int]:
    """Like botocore runs credential_process: stdout and stderr piped, but the person's
    terminal is still the controlling terminal. Returns the process and the pty master."""
    master, slave = pty.openpty()

    def become_session_leader() -> None:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=become_session_leader,
                               pass_fds=(slave,), env=env or dict(os.environ))
    os.close(slave)
    return process, master


def finish(process: subprocess.Popen[bytes], master: int) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=60)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    return process.returncode, out.decode(), err.decode()


def test_credential_process_with_pipes_prompts_on_the_terminal(aws, make_user):
    make_user("alice", profile="work")
    process, master = spawn_with_tty_but_piped([*COMMAND, "credential-process", "work"])
    shown = read_until(master, b"MFA code for work")
    assert b"MFA code for work" in shown, shown
    os.write(master, b"314159\n")
    code, out, err = finish(process, master)
    assert code == 0, err
    assert json.loads(out)["AccessKeyId"]
    assert "314159" not in err and "MFA code for" not in err  # the prompt went to the tty
    assert aws.injector.calls("GetSessionToken")[-1].params["TokenCode"] == "314159"


def test_a_typo_is_asked_for_again(aws, make_user):
    make_user("alice", profile="work")
    process, master = spawn_with_tty_but_piped([*COMMAND, "env", "work"])
    assert b"MFA code for work" in read_until(master, b"MFA code for work")
    os.write(master, b"12345\n")
    again = read_until(master, b"MFA code for work")
    assert b"try again (2 tries left)" in again, again
    os.write(master, b"271828\n")
    code, out, err = finish(process, master)
    assert code == 0, err
    assert "AWS_SESSION_TOKEN" in out
    calls = aws.injector.calls("GetSessionToken")
    assert [c.params["TokenCode"] for c in calls] == ["271828"]


def test_three_typos_end_with_one_line(aws, make_user):
    make_user("alice", profile="work")
    process, master = spawn_with_tty_but_piped([*COMMAND, "env", "work"])
    for _ in range(3):
        assert b"MFA code for work" in read_until(master, b"MFA code for work")
        os.write(master, b"abc\n")
    code, out, err = finish(process, master)
    assert code == 4 and out == ""
    assert err.count("\n") == 1 and "none of the 3 entered" in err
    assert aws.injector.calls("GetSessionToken") == []


def _askpass(tmp_path, answers: list[str]):
    """An askpass that records each prompt and gives the next answer."""
    script = tmp_path / "askpass"
    lines = "\n".join(answers)
    (tmp_path / "answers").write_text(lines + "\n")
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$1" >> {tmp_path}/prompts\n'
        f"head -n 1 {tmp_path}/answers\n"
        f"sed -i 1d {tmp_path}/answers\n"
    )
    script.chmod(0o755)
    return script


def run_detached(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *argv], capture_output=True, text=True, timeout=60,
                          env=env, stdin=subprocess.DEVNULL, start_new_session=True)


def test_askpass_without_a_terminal_is_asked_again_after_a_typo(aws, make_user, tmp_path):
    make_user("alice", profile="work")
    askpass = _askpass(tmp_path, ["1234", "161803"])
    done = run_detached(["env", "work"], dict(os.environ, SSH_ASKPASS=str(askpass)))
    assert done.returncode == 0, done.stderr
    prompts = (tmp_path / "prompts").read_text().splitlines()
    assert len(prompts) == 2 and "try again" in prompts[1]
    assert aws.injector.calls("GetSessionToken")[-1].params["TokenCode"] == "161803"


def test_askpass_require_force_prefers_askpass_to_the_terminal(aws, make_user, tmp_path):
    make_user("alice", profile="work")
    askpass = _askpass(tmp_path, ["141421"])
    env = dict(os.environ, SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force")
    process, master = spawn_with_tty_but_piped([*COMMAND, "env", "work"], env)
    code, _out, err = finish(process, master)
    assert code == 0, err
    assert aws.injector.calls("GetSessionToken")[-1].params["TokenCode"] == "141421"


def test_askpass_require_never_and_no_terminal_is_the_one_line_error(aws, make_user, tmp_path):
    make_user("alice", profile="work")
    askpass = _askpass(tmp_path, ["141421"])
    env = dict(os.environ, SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="never")
    done = run_detached(["env", "work"], env)
    assert done.returncode == 4 and done.stderr.count("\n") == 1
    assert "no way to ask" in done.stderr
    assert not (tmp_path / "prompts").exists()


# ------------------------------------------------------------------ region
@pytest.fixture
def work_session(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    sandbox_home.config.write_text("[profile work]\nregion = eu-west-3\n")
    done = run_detached(["refresh", "work", "--token-code", "123456"], dict(os.environ))
    assert done.returncode == 0, done.stderr


def _without_region() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AWS_REGION", None)
    env.pop("AWS_DEFAULT_REGION", None)
    return env


def test_env_and_exec_hand_on_the_profiles_region(work_session):
    env = _without_region()
    exported = json.loads(run_detached(["env", "work", "--format", "json"], env).stdout)
    assert exported["AWS_REGION"] == exported["AWS_DEFAULT_REGION"] == "eu-west-3"
    done = run_detached(["exec", "work", "--", "sh", "-c",
                         'echo "$AWS_REGION $AWS_DEFAULT_REGION"'], env)
    assert done.stdout.strip() == "eu-west-3 eu-west-3", done.stderr


def test_the_callers_region_wins(work_session):
    env = dict(_without_region(), AWS_REGION="ap-south-1")
    exported = json.loads(run_detached(["env", "work", "--format", "json"], env).stdout)
    assert "AWS_REGION" not in exported and "AWS_DEFAULT_REGION" not in exported
    done = run_detached(["exec", "work", "--", "sh", "-c",
                         'echo "$AWS_REGION|${AWS_DEFAULT_REGION:-unset}"'], env)
    assert done.stdout.strip() == "ap-south-1|unset", done.stderr
