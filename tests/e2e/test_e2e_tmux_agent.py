"""End to end: the TUI in one tmux session, boto3 through a `credential_process` profile in
another. The code dialog opens in the TUI's window naming the program that asks; the code
typed there reaches boto3, which never prompts in its own window."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.support.tmux import alive, pane_env, screen, tmux, wait_for

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
    pytest.mark.timeout(120),
]

CODE = "864209"


def start(name: str, env: dict[str, str], command: str, height: int = 30) -> None:
    venv_bin = Path(sys.executable).parent
    path = f"{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    options = [item for key, value in env.items() for item in ("-e", f"{key}={value}")]
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", str(height),
                    *options, "sh", "-c", f'PATH="{path}" {command}; sleep 60'], check=True)


def test_boto3_gets_its_code_prompt_in_the_open_tui(sandbox_home, make_user, aws, tmp_path):
    user = make_user("alice", profile="work")
    sandbox_home.config.write_text(
        f"[profile work]\nmfa_serial = {user.serial}\n\n"
        "[profile auto]\ncredential_process = aws-mfa-tui credential-process work\n")
    script = tmp_path / "who.py"
    script.write_text(
        "import boto3\n"
        "arn = boto3.Session(profile_name='auto').client('sts').get_caller_identity()['Arn']\n"
        "print('caller:', arn)\n"
    )
    env = pane_env(sandbox_home, aws)
    env.update(XDG_CACHE_HOME=str(sandbox_home.home / ".cache"), XDG_RUNTIME_DIR="")
    tui, sdk = f"amt-tui-{uuid.uuid4().hex[:6]}", f"amt-sdk-{uuid.uuid4().hex[:6]}"
    start(tui, env, "aws-mfa-tui")
    try:
        wait_for(tui, "work", timeout=60)
        socket = sandbox_home.home / ".cache" / "aws-mfa-tui" / "run" / "agent.sock"
        deadline = time.monotonic() + 20
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert socket.exists(), "the TUI's agent never started"
        start(sdk, env, f"{sys.executable} {script}", height=10)
        shown = wait_for(tui, "needs work", timeout=60)
        assert "(pid " in shown
        assert "MFA code" not in screen(sdk)  # no prompt where boto3 runs
        tmux("send-keys", "-t", tui, "-l", CODE)
        shown = wait_for(sdk, "caller: arn:aws:", timeout=60)
        assert CODE not in shown and CODE not in screen(tui)
        calls = aws.injector.calls("GetSessionToken")
        assert [c.params["TokenCode"] for c in calls] == [CODE]
        from botocore.configloader import raw_config_parse

        session_key = raw_config_parse(str(sandbox_home.credentials))["work-mfa"][
            "aws_access_key_id"]
        assert aws.injector.calls("GetCallerIdentity")[-1].access_key_id == session_key
    finally:
        for name in (sdk, tui):
            if alive(name):
                tmux("kill-session", "-t", name)
