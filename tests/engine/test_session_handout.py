"""Handing out sessions from one long-running process (the TUI, `watch`, the coming
agent): threads asking at once share one renewal, and a role's ended chain is renewed with
the code source the caller gives."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from tests.support.app import add_config, add_session
from tests.support.sandbox import sandbox_service
from tui.engine.mfa.codes import CodeRequest, MfaCodeSource
from tui.engine.mfa.sent_codes import SentCodes
from tui.engine.secret import Secret
from tui.engine.sessions.handout import usable_session


class CountedCode(MfaCodeSource):
    """A code source that counts how often it is asked (a person at a prompt, say)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get_code(self, request: CodeRequest) -> Secret | None:
        self.asked.append(request.profile)
        return Secret("123456")


def test_threads_asking_at_once_share_one_renewal(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    aws.make_sessions_unique()
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {user.serial}")
    service = sandbox_service(sandbox_home, used_codes=SentCodes())
    source = CountedCode()
    keys: list[str] = []
    errors: list[Exception] = []

    def ask() -> None:
        try:
            keys.append(usable_session(service, "work", source).credentials.access_key_id)
        except Exception as exc:  # reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and len(keys) == 8 and len(set(keys)) == 1
    assert source.asked == ["work"]
    assert len(aws.injector.calls("GetSessionToken")) == 1


def test_a_role_whose_chain_ended_asks_the_given_source(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")[
        "Role"]["Arn"]
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {user.serial}\n\n"
               f"[profile prod]\nrole_arn = {arn}\nsource_profile = work-mfa")
    add_session(sandbox_home.credentials, "work-mfa", datetime.now(UTC) - timedelta(hours=1))
    source = CountedCode()
    handed = usable_session(sandbox_service(sandbox_home), "prod", source, interactive=False)
    assert source.asked == ["work"]
    assert handed.credentials.expiration > datetime.now(UTC) + timedelta(minutes=50)
    sts = [c.action for c in aws.injector.requests
           if c.action in ("GetSessionToken", "AssumeRole")]
    assert sts == ["GetSessionToken", "AssumeRole"]
