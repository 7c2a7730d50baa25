"""Running the command line: in a process of its own (`cli`), in-process (`run`), and
reading a pseudo-terminal (`read_until`)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

from botocore.configloader import raw_config_parse

from tui.cli import main

COMMAND = [sys.executable, "-m", "tui"]


def cli(*argv: str, env: dict[str, str] | None = None, timeout: float = 60,
        **kwargs) -> subprocess.CompletedProcess[str]:
    # A new session: no controlling terminal, so nothing can prompt on /dev/tty.
    return subprocess.run([*COMMAND, *argv], capture_output=True, text=True, timeout=timeout,
                          env=env or dict(os.environ), stdin=subprocess.DEVNULL,
                          start_new_session=True, **kwargs)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def read_until(master: int, text: bytes, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    return seen


def read_credentials(sandbox) -> dict[str, dict[str, str]]:
    return raw_config_parse(str(sandbox.credentials))
