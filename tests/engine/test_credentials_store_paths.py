"""One lock per file, whatever the path: a symlink and its target exclude each other."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from botocore.configloader import raw_config_parse

from tests.support.writers import HOLDER, OUR_WRITER

WRITES = 150

TRY_WRITE = (
    "import sys\n"
    "from tui.engine.credentials_file.store import CredentialsStore\n"
    "from tui.engine.errors import LockTimeoutError\n"
    "try:\n"
    "    CredentialsStore(sys.argv[1], lock_timeout=1).set_section('x', {'region': 'us-east-1'})\n"
    "except LockTimeoutError:\n"
    "    print('excluded')\n"
)


def _link(sandbox_home, tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir(mode=0o700)
    target = dotfiles / "credentials"
    target.write_text("[long-term]\naws_access_key_id = AKIALONGTERM\naws_secret_access_key = s\n")
    os.chmod(target, 0o600)
    sandbox_home.aws_dir.mkdir(mode=0o700)
    sandbox_home.credentials.symlink_to(target)
    return sandbox_home.credentials, target


@pytest.mark.slow
def test_writers_through_a_symlink_and_its_target_lose_nothing(sandbox_home, tmp_path):
    link, target = _link(sandbox_home, tmp_path)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", OUR_WRITER, str(path), str(WRITES), prefix, "0", "kept"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for path, prefix in ((link, "via-link"), (target, "via-target"))
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=240)
        assert writer.returncode == 0, err
    parsed = raw_config_parse(str(target))
    lost = [
        f"{prefix}-{n}"
        for prefix in ("via-link", "via-target")
        for n in range(WRITES)
        if f"{prefix}-{n}" not in parsed
    ]
    print(f"symlink and target: {len(lost)} of {2 * WRITES} writes lost")
    assert lost == []
    assert "long-term" in parsed
    assert link.is_symlink() and os.readlink(link) == str(target)


@pytest.mark.slow
@pytest.mark.parametrize("beside", ["given", "resolved"])
def test_a_foreign_flock_holder_beside_either_path_excludes_us(sandbox_home, tmp_path, beside):
    link, target = _link(sandbox_home, tmp_path)
    lock = (link if beside == "given" else target).parent / ".credentials.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        before = target.read_bytes()
        done = subprocess.run(
            [sys.executable, "-c", TRY_WRITE, str(link)], capture_output=True, text=True,
            timeout=60,
        )
        assert done.stdout.strip() == "excluded", done.stderr
        assert target.read_bytes() == before
    finally:
        holder.communicate("", timeout=30)
