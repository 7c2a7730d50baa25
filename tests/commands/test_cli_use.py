"""Using sessions from other programs (env, exec, credential-process), asking for codes on a
terminal or through askpass, the `watch` keeper, and `status --short` staying boto3-free.

These run the real command as a separate process, as a shell, botocore or tmux would.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import subprocess
import sys
import termios
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import botocore.session
from botocore.configloader import raw_config_parse

from tests.support.cli import COMMAND, cli, read_until


def session_section(sandbox, name: str = "work-mfa") -> dict[str, str]:
    return raw_config_parse(str(sandbox.credentials))[name]


def test_env_formats(work, sandbox_home):
    section = session_section(sandbox_home)
    sh = cli("env", "work").stdout
    assert f"export AWS_SESSION_TOKEN={section['aws_session_token']}" in sh or \
        f"export AWS_SESSION_TOKEN='{section['aws_session_token']}'" in sh
    evaluated = subprocess.run(["sh", "-c", f"{sh}\necho \"$AWS_ACCESS_KEY_ID|$AWS_CREDENTIAL_EXPIRATION\""],
                               capture_output=True, text=True, check=True).stdout.strip()
    assert evaluated == f"{section['aws_access_key_id']}|{section['expiration']}"
    as_json = json.loads(cli("env", "work", "--format", "json").stdout)
    assert as_json["AWS_SECURITY_TOKEN"] == section["aws_session_token"]
    assert "set -gx AWS_SECRET_ACCESS_KEY" in cli("env", "work", "--format", "fish").stdout
    assert "$Env:AWS_SESSION_TOKEN = '" in cli("env", "work", "--format", "powershell").stdout
    done = cli("env", "work")
    assert section["aws_secret_access_key"] not in done.stderr


def test_env_without_a_session_and_no_code_source_is_a_clear_error(aws, make_user):
    make_user("alice", profile="work")
    done = cli("env", "work")
    assert done.returncode == 4 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--token-code" in done.stderr


def test_exec_passes_environment_and_exit_status(work, sandbox_home):
    section = session_section(sandbox_home)
    env = dict(os.environ, AWS_PROFILE="something-else")
    done = cli("exec", "work", "--", "sh", "-c",
               'test -z "$AWS_PROFILE" && echo "$AWS_ACCESS_KEY_ID"; exit 7', env=env)
    assert done.returncode == 7
    assert done.stdout.strip() == section["aws_access_key_id"]
    missing = cli("exec", "work", "--", "no-such-program-here")
    assert missing.returncode == 2 and "command not found" in missing.stderr


def test_credential_process_feeds_botocore(work, sandbox_home):
    section = session_section(sandbox_home)
    command = " ".join([sys.executable, "-m", "tui", "credential-process", "work"])
    sandbox_home.config.write_text(f"[profile auto]\ncredential_process = {command}\n")
    payload = json.loads(cli("credential-process", "work").stdout)
    assert payload["Version"] == 1 and payload["Expiration"] == section["expiration"]
    credentials = botocore.session.Session(profile="auto").get_credentials()
    assert credentials.access_key == section["aws_access_key_id"]
    assert credentials.token == section["aws_session_token"]


def test_credential_process_refreshes_an_expired_session_with_askpass(aws, make_user,
                                                                      sandbox_home, tmp_path):
    make_user("alice", profile="work")
    askpass = tmp_path / "askpass"
    askpass.write_text(f"#!/bin/sh\necho \"$1\" > {tmp_path}/prompt\necho 112233\n")
    askpass.chmod(0o755)
    env = dict(os.environ, SSH_ASKPASS=str(askpass))
    done = cli("credential-process", "work", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"]
    assert aws.injector.calls("GetSessionToken")[-1].params["TokenCode"] == "112233"
    assert "MFA code for work" in (tmp_path / "prompt").read_text()


def _spawn_on_terminal(argv: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    """Start a process whose controlling terminal is a new pty; return it and the master."""
    master, slave = pty.openpty()

    def become_session_leader() -> None:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                               preexec_fn=become_session_leader, env=dict(os.environ))
    os.close(slave)
    return process, master


def test_prompt_on_the_terminal_does_not_echo_the_code(aws, make_user):
    make_user("alice", profile="work")
    process, master = _spawn_on_terminal([*COMMAND, "refresh", "work"])
    try:
        assert b"MFA code for work" in read_until(master, b"MFA code for work")
        os.write(master, b"975310\n")
        rest = read_until(master, b"updated")
        assert process.wait(timeout=30) == 0
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    assert b"975310" not in rest
    assert aws.injector.calls("GetSessionToken")[-1].params["TokenCode"] == "975310"


def test_status_short_reads_files_only(work, tmp_path):
    probe = (
        "import sys, tui.cli\n"
        "code = tui.cli.main(['status', '--short'])\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'imported boto'\n"
        "assert 'tui.engine.aws.calls' not in sys.modules, 'imported the AWS call layer'\n"
        "assert 'textual' not in sys.modules\n"
        "sys.exit(code)\n"
    )
    env = dict(os.environ, AWS_ENDPOINT_URL="http://127.0.0.1:9")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("work 11:59:")


# ------------------------------------------------------------------ watch
def _write_session(sandbox, name: str, expires: datetime) -> None:
    stamp = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(sandbox.credentials, "a") as handle:
        handle.write(f"\n[{name}]\naws_access_key_id = ASIAOLD\naws_secret_access_key = old\n"
                     f"aws_session_token = old\naws_security_token = old\nexpiration = {stamp}\n")


def test_watch_once_refreshes_what_is_due_without_asking(aws, make_user, sandbox_home, tmp_path):
    make_user("alice", profile="work")
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    sandbox_home.config.write_text(f"[profile prod]\nrole_arn = {arn}\nsource_profile = work-mfa\n")
    code = tmp_path / "code"
    code.write_text("#!/bin/sh\necho 424242\n")
    code.chmod(0o755)
    sandbox_home.settings.parent.mkdir(parents=True)
    sandbox_home.settings.write_text(f'mfa_command = "{code}"\n')
    # The MFA session expires in 3 minutes (inside the 5-minute lead time): renew it with
    # the command, then the chained role with no code at all.
    _write_session(sandbox_home, "work-mfa", datetime.now(UTC) + timedelta(minutes=3))
    done = cli("watch", "--once")
    assert done.returncode == 0, done.stderr
    assert aws.injector.calls("GetSessionToken")[-1].params["TokenCode"] == "424242"
    role_call = aws.injector.calls("AssumeRole")[-1]
    assert "TokenCode" not in role_call.params
    sections = raw_config_parse(str(sandbox_home.credentials))
    assert sections["work-mfa"]["aws_session_token"] != "old"
    assert "aws_session_token" in sections["prod-session"]


def test_watch_survives_errors_and_stops_cleanly_on_sigterm(aws, make_user, sandbox_home,
                                                            tmp_path):
    make_user("alice", profile="work")
    code = tmp_path / "code"
    # Like a hardware token: a new code each time (a code is never sent twice).
    code.write_text(f"#!/bin/sh\nn=$(cat {tmp_path}/n 2>/dev/null || echo 0)\n"
                    f"echo $((n + 1)) > {tmp_path}/n\necho 42424$n\n")
    code.chmod(0o755)
    sandbox_home.settings.parent.mkdir(parents=True)
    sandbox_home.settings.write_text(f'mfa_command = "{code}"\n')
    aws.injector.add("GetSessionToken", code="ServiceUnavailable", status=503, times=1)
    process = subprocess.Popen([*COMMAND, "watch"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sections = raw_config_parse(str(sandbox_home.credentials))
            if "work-mfa" in sections:
                break
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.2)
        assert "work-mfa" in sections, "watch never recovered from the 503"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        stderr = process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
    assert "retrying in" in stderr and "Traceback" not in stderr
    assert "424240" not in stderr and "424241" not in stderr
    codes = [c.params["TokenCode"] for c in aws.injector.calls("GetSessionToken")]
    assert codes == ["424240", "424241"]


def test_engine_modules_never_log_secrets(work, sandbox_home, caplog):
    """Even with every logger at DEBUG, a refresh logs no secret."""
    import logging

    from tui.cli import main

    caplog.set_level(logging.DEBUG)
    assert main(["refresh", "work", "--token-code", "808080", "--force"]) == 0
    section = session_section(sandbox_home)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert section["aws_session_token"] not in logged
    assert section["aws_secret_access_key"] not in logged
    assert "808080" not in logged
    assert Path(sandbox_home.credentials).exists()
