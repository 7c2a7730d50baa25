"""A PROFILE argument that looks like an MFA code is a code typed in the wrong place: it is
refused before anything runs (no AWS call, nothing written) and never echoed."""

from __future__ import annotations

import pytest

from tests.support.cli import cli

CODE = "987654"


@pytest.mark.parametrize("argv", [
    ("refresh", "alice", CODE, "extra"),
    ("refresh", CODE),
    ("refresh", "alice", "987 654"),
    ("status", "alice", CODE),  # the fast path of a plain `status`
    ("status", CODE, "--short"),
    ("logout", CODE),
    ("assume", CODE),
    ("assume", "prod", "--target", CODE),
    ("env", CODE),
    ("console", CODE, "--print"),
])
def test_a_code_like_profile_is_refused_unechoed(aws, make_user, sandbox_home, argv):
    make_user("alice")
    before = sandbox_home.credentials.read_text()
    aws.injector.clear()
    done = cli(*argv)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stdout == ""
    assert "a profile argument looks like an MFA code (not shown)" in done.stderr
    assert "--token-code" in done.stderr and f"aws-mfa-tui {argv[0]} --help" in done.stderr
    assert CODE not in done.stderr and "987 654" not in done.stderr
    assert aws.injector.requests == []
    assert sandbox_home.credentials.read_text() == before


def test_profile_names_with_digits_still_work(aws, make_user):
    make_user("alice", profile="team-123456")
    done = cli("status", "team-123456", "--json")
    assert done.returncode == 0, done.stderr
