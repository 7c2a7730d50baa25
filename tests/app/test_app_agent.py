"""The open TUI as the agent, under Pilot, with real client processes: a program that needs
a code gets the TUI's code dialog naming it, the code typed reaches it, five waiting
programs get one session from one STS call, and the log names each program served."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time

import pytest

from tests.support.app import SIZE, add_config, screen_text
from tests.support.cli import COMMAND, read_credentials
from tui.app.agent_prompts import AgentCodeModal
from tui.app.app import AwsMfaApp
from tui.engine.profiles.catalog import Paths
from tui.engine.sessions.service import SessionService

pytestmark = pytest.mark.timeout(60)


def client(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*COMMAND, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL, start_new_session=True)


async def until(pilot, check, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def finished(process: subprocess.Popen[str], seconds: float = 20.0) -> tuple[str, str]:
    deadline = time.monotonic() + seconds
    while process.poll() is None:
        assert time.monotonic() < deadline, "the client did not finish"
        await asyncio.sleep(0.05)
    return process.communicate()


def agent_app(sandbox) -> AwsMfaApp:
    app = AwsMfaApp(SessionService(Paths(sandbox.credentials, sandbox.config,
                                         sandbox.settings)))
    app.serve_agent = True
    return app


@pytest.fixture
def alice(make_user, sandbox_home):
    user = make_user("alice", profile="work")
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {user.serial}")
    return user


async def test_five_clients_get_the_dialog_naming_them_and_one_session(
        aws, alice, sandbox_home, bells):
    aws.make_sessions_unique()
    app = agent_app(sandbox_home)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: getattr(app, "agent", None) and app.agent.server)
        clients = [client("credential-process", "work") for _ in range(5)]
        await until(pilot, lambda: isinstance(app.screen, AgentCodeModal))
        modal = app.screen
        await until(pilot, lambda: len(modal.prompt.requesters) == 5)
        await pilot.pause(1.1)  # a tick: the title names who waits now
        text = screen_text(app)
        assert f"(pid {os.getpid()})" in text and "needs work" in text
        assert "and 4 more" in text
        assert len(bells) == 1
        await pilot.press(*"123456")
        outputs = [await finished(each) for each in clients]
        assert [each.returncode for each in clients] == [0] * 5, [e for _, e in outputs]
        await pilot.pause(0.2)
        keys = {json.loads(out)["AccessKeyId"] for out, _ in outputs}
        section = read_credentials(sandbox_home)["work-mfa"]
        assert keys == {section["aws_access_key_id"]}
        calls = aws.injector.calls("GetSessionToken")
        assert [c.params["TokenCode"] for c in calls] == ["123456"]
        assert not isinstance(app.screen, AgentCodeModal)
        text = screen_text(app) + "\n".join(_log_messages(app))
        assert section["aws_secret_access_key"] not in text
        assert section["aws_session_token"] not in text
        await until(pilot, lambda: sum("served work to" in m for m in _log_messages(app)) == 5)
        served = [m for m in _log_messages(app) if "served work to" in m]
        assert all("(pid " in m for m in served)


async def test_ctrl_c_in_the_client_closes_the_dialog(aws, alice, sandbox_home, bells):
    app = agent_app(sandbox_home)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: getattr(app, "agent", None) and app.agent.server)
        waiting = client("credential-process", "work")
        await until(pilot, lambda: isinstance(app.screen, AgentCodeModal))
        waiting.send_signal(signal.SIGINT)
        _, err = await finished(waiting)
        assert waiting.returncode == 130 and "withdrawn" in err
        await until(pilot, lambda: not isinstance(app.screen, AgentCodeModal))
        assert any("withdrawn" in m for m in _log_messages(app))
    assert not aws.injector.calls("GetSessionToken")


def _log_messages(app: AwsMfaApp) -> list[str]:
    return list(app.main_screen.log_panel.lines_written)


async def test_the_palette_serves_a_profile_on_an_endpoint_for_an_ide(aws, work, sandbox_home):
    """"Serve work on an endpoint": the two variables go to a 0600 file (named in the log,
    never shown), the endpoint hands out the session, and both go when the TUI quits."""
    import http.client
    import stat

    app = agent_app(sandbox_home)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: getattr(app, "agent", None) and app.agent.server)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Serve work on")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: any("served at" in m for m in _log_messages(app)))
        exports = app.agent.endpoints["work"][1]
        assert stat.S_IMODE(os.stat(exports).st_mode) == 0o600
        assert str(exports) in "\n".join(_log_messages(app))
        variables = dict(line.removeprefix("export ").split("=", 1)
                         for line in exports.read_text().splitlines())
        token = variables["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        url = variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        assert token not in screen_text(app) + "\n".join(_log_messages(app))
        port = int(url.split(":")[2].split("/")[0])

        def fetch() -> tuple[int, dict]:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/credentials", headers={"Authorization": token})
            reply = connection.getresponse()
            return reply.status, json.loads(reply.read())

        status, body = await asyncio.get_running_loop().run_in_executor(None, fetch)
        assert status == 200
        assert body["AccessKeyId"] == read_credentials(sandbox_home)["work-mfa"][
            "aws_access_key_id"]
    assert not exports.exists()
    with pytest.raises(OSError):
        fetch()
