"""The session supply of the agent and `exec --server`, against the emulator: a session
handed out is remembered while it is fresh and the files are as it left them, renewed
otherwise, one renewal at a time per identity; and who asks, named from /proc.

`usable_session`, which it renews through, is tested in test_session_handout.py."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.app import add_config
from tests.support.sandbox import sandbox_service
from tui.engine.agent.session_supply import (
    RememberedSessions,
    Requester,
    identity_of,
    requester_of,
)
from tui.engine.credential_values import SessionCredentials
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import UsageError
from tui.engine.mfa.codes import FixedCode
from tui.engine.secret import Secret

ASKER = Requester("terraform", 4121)


@pytest.fixture
def alice(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    aws.make_sessions_unique()
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {user.serial}")
    return user


def _sts_calls(aws) -> int:
    return len(aws.injector.calls("GetSessionToken"))


def test_a_session_is_remembered_while_fresh_and_the_files_unchanged(aws, alice, sandbox_home):
    supply = RememberedSessions(sandbox_service(sandbox_home))
    first = supply.session_for("work", ASKER, FixedCode(Secret("123456")))
    again = supply.session_for("work", ASKER, FixedCode(Secret("654321")))
    assert again is first and _sts_calls(aws) == 1  # the very one remembered
    supply.forget()
    read = supply.session_for("work", ASKER, FixedCode(Secret("654321")))
    assert read is not first and read == first and _sts_calls(aws) == 1  # read from the file


def test_another_writer_s_session_is_handed_out_once_the_files_change(aws, alice,
                                                                     sandbox_home):
    service = sandbox_service(sandbox_home)
    supply = RememberedSessions(service)
    first = supply.session_for("work", ASKER, FixedCode(Secret("123456")))
    theirs = SessionCredentials("ASIATHEIRSTHEIRS0001", Secret("s"), Secret("t"),
                                datetime.now(UTC).replace(microsecond=0) + timedelta(hours=5))
    CredentialsStore(sandbox_home.credentials).write_session("work-mfa", theirs)
    handed = supply.session_for("work", ASKER, FixedCode(Secret("654321")))
    assert handed == theirs and handed != first and _sts_calls(aws) == 1


def test_callers_of_one_identity_share_one_renewal(aws, alice, sandbox_home):
    supply = RememberedSessions(sandbox_service(sandbox_home))
    got: list[str] = []

    def ask() -> None:
        got.append(supply.session_for("work", ASKER, FixedCode(Secret("123456")))
                   .access_key_id)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(got) == 6 and len(set(got)) == 1 and _sts_calls(aws) == 1


def test_an_unknown_profile_is_one_line(aws, alice, sandbox_home):
    with pytest.raises(UsageError, match="nope"):
        RememberedSessions(sandbox_service(sandbox_home)).session_for("nope", ASKER)


def test_whose_code_renews_a_profile(aws, alice, make_user, sandbox_home):
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")[
        "Role"]["Arn"]
    add_config(sandbox_home.config, f"[profile prod]\nrole_arn = {arn}\nsource_profile = work-mfa")
    service = sandbox_service(sandbox_home)
    assert identity_of(service, "prod") == "work"
    assert identity_of(service, "work-mfa") == "work" == identity_of(service, "work")
    assert identity_of(service, "someone-else") == "someone-else"


def test_who_asks_is_named_from_proc():
    assert requester_of(os.getpid()) == Requester(
        open(f"/proc/{os.getpid()}/comm").read().strip(), os.getpid())
    assert str(Requester("terraform", 4121)) == "terraform (pid 4121)"
    assert requester_of(None) == Requester("unknown") and str(Requester("x")) == "x"
    assert requester_of(2**22 + 12345) == Requester("a program", 2**22 + 12345)  # gone
