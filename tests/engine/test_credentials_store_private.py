"""The 0600 promise from the command line: every write that puts a session into the file
leaves it 0600, and says so when it was readable by others."""

from __future__ import annotations

import os
import stat

import pytest

from tests.support.cli import cli


@pytest.mark.parametrize("existing", [False, True], ids=["new-section", "updated-section"])
def test_refresh_makes_a_readable_file_0600_and_says_so(aws, make_user, sandbox_home, existing):
    make_user("alice", profile="work")
    path = sandbox_home.credentials
    if existing:
        first = cli("refresh", "work", "--token-code", "123456")
        assert first.returncode == 0, first.stderr
    os.chmod(path, 0o644)
    done = cli("refresh", "work", "--force", "--token-code", "654321")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "0644" in done.stderr and "0600" in done.stderr, done.stderr
