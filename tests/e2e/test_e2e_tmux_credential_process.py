"""End to end: real boto3 in a tmux pane, through a `credential_process = aws-mfa-tui
credential-process work` profile. botocore pipes the command's stdout and stderr, so the
prompt must appear on the pane's terminal (/dev/tty), and the typed code must work."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.tmux import alive, pane_env, tmux, wait_for

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]

CODE = "864209"


def test_boto3_asks_for_the_code_on_the_terminal(sandbox_home, make_user, aws, tmp_path):
    make_user("alice", profile="work")
    venv_bin = Path(sys.executable).parent
    assert (venv_bin / "aws-mfa-tui").exists()
    sandbox_home.config.write_text(
        "[profile auto]\ncredential_process = aws-mfa-tui credential-process work\n"
    )
    script = tmp_path / "who.py"
    script.write_text(
        "import boto3\n"
        "arn = boto3.Session(profile_name='auto').client('sts').get_caller_identity()['Arn']\n"
        "print('caller:', arn)\n"
        "input('done; press enter')\n"
    )
    env = pane_env(sandbox_home, aws)
    # (tmux's -e PATH=... doesn't reach the pane's command: set it in the command itself)
    path = f"{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    session = f"amt-{uuid.uuid4().hex[:8]}"
    options = [item for name, value in env.items() for item in ("-e", f"{name}={value}")]
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "20",
                    *options, "sh", "-c", f'PATH="{path}" {sys.executable} {script}; sleep 60'],
                   check=True)
    try:
        wait_for(session, "MFA code for work", timeout=60)
        tmux("send-keys", "-t", session, "-l", CODE)
        tmux("send-keys", "-t", session, "Enter")
        shown = wait_for(session, "caller: arn:aws:", timeout=60)
        assert CODE not in shown
        calls = aws.injector.calls("GetSessionToken")
        assert [c.params["TokenCode"] for c in calls] == [CODE]
        # boto3 signed with the session credential-process handed it.
        from botocore.configloader import raw_config_parse

        session_key = raw_config_parse(str(sandbox_home.credentials))["work-mfa"][
            "aws_access_key_id"]
        assert aws.injector.calls("GetCallerIdentity")[-1].access_key_id == session_key
    finally:
        if alive(session):
            tmux("kill-session", "-t", session)
