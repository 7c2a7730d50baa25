"""The recorded times (`aws_mfa_tui_times`) against each peer's real program: we write the
record, the peer rewrites the section without touching it, and the record no longer counts
(no MFA clock, no bar length from it): it can't speak for a session it didn't see."""

from __future__ import annotations

from tests.commands.test_peer_round_trips import (  # noqa: F401 (fixtures)
    long_term_keys,
    ok,
    peers,
    refresh,
    section,
    unique,
)
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.mfa.age import TIMES_KEY
from tui.engine.profiles.catalog import build_catalog, read_config
from tui.engine.settings import load_settings


def times_of(sandbox, identity: str):
    catalog = build_catalog(CredentialsStore(sandbox.credentials).read(),
                            read_config(sandbox.config), load_settings(sandbox.settings))
    return catalog.identity(identity).session.times


def test_aws_iam_login_rewrite_voids_our_record(peers, unique, make_user,  # noqa: F811
                                                sandbox_home, capsys):
    user = make_user("alice", write_profile=False)
    long_term_keys(sandbox_home, "dev", user)
    login = peers["aws-iam-login"]
    ok(login.run("dev", "init"))
    refresh(capsys, "dev", "--force", "--token-code", "222222")
    assert TIMES_KEY in section(sandbox_home, "dev-sts")
    assert times_of(sandbox_home, "dev") is not None
    ok(login.run("dev", code="333333"))
    assert TIMES_KEY in section(sandbox_home, "dev-sts")  # the peer left our line...
    assert times_of(sandbox_home, "dev") is None  # ...and it no longer counts


def test_aws_mfa_rewrite_voids_our_record(peers, unique, make_user,  # noqa: F811
                                          sandbox_home, capsys):
    user = make_user("alice", write_profile=False)
    long_term_keys(sandbox_home, "work-long-term", user, f"aws_mfa_device = {user.serial}\n")
    refresh(capsys, "work-long-term", "--force", "--token-code", "222222")
    assert times_of(sandbox_home, "work-long-term") is not None
    ok(peers["aws-mfa"].run("--profile", "work", "--force", code="444444"))
    if TIMES_KEY in section(sandbox_home, "work"):  # aws-mfa keeps unknown keys
        assert times_of(sandbox_home, "work-long-term") is None
