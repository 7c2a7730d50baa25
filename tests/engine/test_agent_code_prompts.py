"""Codes for the agent's clients: one prompt per identity naming who asks, one code and one
STS call for every client waiting, and a prompt withdrawn when its clients give up.

Real client processes (the command line) against an agent in this process; the front end
is a small asker that records what it is shown and answers as a person would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import pytest

from tests.engine.test_console_signin import fake  # noqa: F401 (a fixture)
from tests.support.cli import COMMAND, cli, read_credentials
from tui.engine.agent.code_prompts import CodePrompt
from tui.engine.agent.server import agent_for
from tui.engine.profiles.catalog import Paths
from tui.engine.secret import Secret
from tui.engine.sessions.service import SessionService

pytestmark = pytest.mark.timeout(60)


class Person:
    """Shown prompts; types `code` into each after `delay` seconds (None: never)."""

    def __init__(self, code: str | None = "123456", delay: float = 0.5) -> None:
        self.code, self.delay = code, delay
        self.shown: list[CodePrompt] = []
        self.withdrawn: list[CodePrompt] = []

    def show(self, prompt: CodePrompt) -> None:
        self.shown.append(prompt)
        if self.code is not None:
            threading.Timer(self.delay, prompt.answer, [Secret(self.code)]).start()

    def withdraw(self, prompt: CodePrompt) -> None:
        self.withdrawn.append(prompt)


def start_agent(sandbox, person: Person, log: list[str]):
    service = SessionService(Paths(sandbox.credentials, sandbox.config, sandbox.settings))
    return agent_for(service, log=log.append, asker=person).start()


def popen(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*COMMAND, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL, start_new_session=True)


def test_five_waiting_clients_get_one_session_from_one_code_and_one_call(
        aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    aws.make_sessions_unique()
    person, log = Person(delay=1.5), []
    agent = start_agent(sandbox_home, person, log)
    try:
        clients = [popen("credential-process", "work") for _ in range(5)]
        results = [client.communicate(timeout=40) for client in clients]
    finally:
        agent.stop()
    assert [c.returncode for c in clients] == [0] * 5, [err for _, err in results]
    keys = {json.loads(out)["AccessKeyId"] for out, _ in results}
    assert len(keys) == 1
    assert keys == {read_credentials(sandbox_home)["work-mfa"]["aws_access_key_id"]}
    assert len(aws.injector.calls("GetSessionToken")) == 1
    assert len(person.shown) == 1
    prompt = person.shown[0]
    assert prompt.identity == "work"
    assert "(pid " in prompt.who()
    assert sum("served work" in line for line in log) == 5


def test_the_code_typed_reaches_a_plain_refresh(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    person, log = Person(code="654321"), []
    agent = start_agent(sandbox_home, person, log)
    try:
        done = cli("refresh", "work")
    finally:
        agent.stop()
    assert done.returncode == 0, done.stderr
    assert [c.params["TokenCode"] for c in aws.injector.calls("GetSessionToken")] == ["654321"]
    assert "654321" not in done.stderr + "".join(log)


def until(check, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_client_that_gives_up_withdraws_and_the_prompt_closes(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    person, log = Person(code=None), []
    agent = start_agent(sandbox_home, person, log)
    try:
        client = popen("credential-process", "work")
        until(lambda: person.shown)
        client.send_signal(signal.SIGINT)  # Ctrl-C
        _, err = client.communicate(timeout=20)
        assert client.returncode == 130 and "withdrawn" in err
        until(lambda: person.withdrawn)
    finally:
        agent.stop()
    assert person.withdrawn == person.shown
    assert not aws.injector.calls("GetSessionToken")


def test_the_prompt_stays_while_another_client_waits(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    person, log = Person(code=None), []
    agent = start_agent(sandbox_home, person, log)
    try:
        first = popen("credential-process", "work")
        until(lambda: person.shown)
        second = popen("credential-process", "work")
        until(lambda: len(person.shown[0].requesters) == 2)
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=20)
        time.sleep(0.5)
        assert person.withdrawn == []  # the second still waits
        person.shown[0].answer(Secret("123456"))
        out, err = second.communicate(timeout=20)
    finally:
        agent.stop()
    assert second.returncode == 0, err
    assert json.loads(out)["AccessKeyId"]
    assert len(aws.injector.calls("GetSessionToken")) == 1


def test_console_has_the_agent_renew_the_role_first(aws, make_user, sandbox_home,
                                                    fake):  # noqa: F811 (the fixture)
    """No role session and no MFA session: `console prod` (no terminal) gets its code
    through the agent, then signs in with the role session the agent wrote."""
    from tests.engine.test_console_signin import _Fake

    user = make_user("alice", profile="work")
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")[
        "Role"]["Arn"]
    sandbox_home.config.write_text(f"[profile work]\nmfa_serial = {user.serial}\n\n"
                                   f"[profile prod]\nrole_arn = {arn}\nsource_profile = work\n")
    person, log = Person(code="975310"), []
    agent = start_agent(sandbox_home, person, log)
    try:
        done = cli("console", "prod", "--print",
                   env={**os.environ, "AWS_ENDPOINT_URL_SIGNIN": fake})
    finally:
        agent.stop()
    assert done.returncode == 0, done.stderr
    assert [p.identity for p in person.shown] == ["work"]
    session = read_credentials(sandbox_home)["prod-session"]
    (form,) = _Fake.received
    assert json.loads(form["Session"][0])["sessionId"] == session["aws_access_key_id"]
    assert any("served prod" in line for line in log)
