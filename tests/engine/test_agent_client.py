"""Asking the agent, from the client's side (`agent/client.py`), against a small Unix-socket
server of the test's own that answers with chosen bytes: a session, an error with its exit
code, "ask yourself", silence, a hang-up, garbage, or no socket at all; and where the socket is
looked for without a path (the runtime folder, or none usable). Without a usable
answer the client does without the agent (None), and an error the agent reports is one
line with the exit code it carries.

The real agent (the TUI, `watch`) is tested in tests/engine/test_agent_server.py and,
with real programs, in tests/commands/test_watch_agent.py and the tmux tests."""

from __future__ import annotations

import json
import os
import socket
import threading

import pytest

from tui.engine.agent.client import AgentError, ask_agent, session_from_agent, socket_path
from tui.engine.agent.protocol import SOCKET_NAME, VERSION
from tui.engine.errors import MfaCodeError, UsageError

FILES = ["/home/u/.aws/credentials", "/home/u/.aws/config", "/home/u/settings.toml"]
SESSION = {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t",
           "Expiration": "2026-12-05T20:00:00Z"}


class ScriptedAgent:
    """Accepts one connection, keeps the request line, answers `reply` (bytes, or None to
    say nothing and hold the line open until the test ends)."""

    def __init__(self, path: str, reply: bytes | None) -> None:
        self.path = path
        self.reply = reply
        self.request: dict | None = None
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            line = b""
            while not line.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                line += chunk
            self.request = json.loads(line) if line else None
            if self.reply is None:
                self.done.wait(30)
            else:
                conn.sendall(self.reply)

    def close(self) -> None:
        self.done.set()
        self.listener.close()
        self.thread.join(5)


@pytest.fixture
def agent(tmp_path):
    made: list[ScriptedAgent] = []

    def make(reply: bytes | None) -> ScriptedAgent:
        made.append(ScriptedAgent(str(tmp_path / f"agent{len(made)}.sock"), reply))
        return made[-1]

    yield make
    for one in made:
        one.close()


def _line(message: dict) -> bytes:
    return json.dumps({"v": VERSION, **message}).encode() + b"\n"


def test_a_session_comes_back_and_the_request_names_who_asks(agent):
    server = agent(_line({"ok": True, "session": SESSION}))
    assert session_from_agent("work", FILES, path=server.path, for_pid=4121) == SESSION
    assert server.request == {"v": VERSION, "op": "session", "profile": "work",
                              "files": FILES, "for_pid": 4121}


def test_without_a_pid_the_parent_is_who_asks(agent):
    server = agent(_line({"ok": True, "session": SESSION}))
    session_from_agent("work", FILES, path=server.path)
    assert server.request["for_pid"] == os.getppid()


def test_ask_yourself_means_do_without_the_agent(agent):
    server = agent(_line({"ok": False, "ask_yourself": True}))
    assert session_from_agent("work", FILES, path=server.path) is None


def test_an_error_keeps_its_exit_code_and_a_usage_error_stays_one(agent):
    server = agent(_line({"ok": False, "error": "alice needs a new MFA code", "exit": 4}))
    with pytest.raises(AgentError) as caught:
        session_from_agent("work", FILES, path=server.path)
    assert (str(caught.value), caught.value.exit_code) == ("alice needs a new MFA code", 4)
    server = agent(_line({"ok": False, "error": "no profile named nope", "exit": 2}))
    with pytest.raises(UsageError, match="no profile named nope"):
        session_from_agent("nope", FILES, path=server.path)


def test_an_error_without_words_or_code_still_says_something(agent):
    server = agent(_line({"ok": False}))
    with pytest.raises(AgentError) as caught:
        session_from_agent("work", FILES, path=server.path)
    assert str(caught.value) == "the agent gave no session" and caught.value.exit_code == 1


@pytest.mark.parametrize("reply", [
    b"",  # hung up without a word
    b"not json\n",
    b"[1, 2]\n",
    b'{"v": 99, "ok": true}\n',  # another protocol version
], ids=["hang-up", "garbage", "not-an-object", "other-version"])
def test_an_answer_that_isn_t_one_means_do_without_the_agent(agent, reply):
    server = agent(reply)
    assert ask_agent({"op": "session"}, path=server.path) is None


def test_a_line_past_the_limit_means_do_without_the_agent(agent):
    server = agent(b"x" * (80 * 1024))  # no newline: over the protocol's 64 KiB
    assert ask_agent({"op": "session"}, path=server.path) is None


def test_no_socket_a_stale_one_or_no_folder_is_no_agent(tmp_path):
    assert ask_agent({"op": "session"}, path=str(tmp_path / "none.sock")) is None
    stale = tmp_path / "stale.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(stale))
    listener.close()  # the file stays; nobody listens
    assert ask_agent({"op": "session"}, path=str(stale)) is None


def test_an_agent_that_says_nothing_is_waited_for_only_so_long(agent):
    server = agent(None)
    with pytest.raises(MfaCodeError, match="gave no session within 1 s"):
        session_from_agent("work", FILES, wait=1.0, path=server.path)


def test_values_come_back_as_text_and_an_ok_without_a_session_is_an_error(agent):
    server = agent(_line({"ok": True, "session": {**SESSION, "Expiration": 1764964800}}))
    assert session_from_agent("work", FILES, path=server.path)["Expiration"] == "1764964800"
    server = agent(_line({"ok": True, "session": "ASIAEXAMPLE"}))
    with pytest.raises(AgentError, match=r"^the agent gave no session$"):
        session_from_agent("work", FILES, path=server.path)


def test_without_a_path_the_agent_is_looked_for_in_the_runtime_folder(tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    path = socket_path()
    assert path == str(tmp_path / "run" / "aws-mfa-tui" / SOCKET_NAME)
    server = ScriptedAgent(path, _line({"ok": True, "session": SESSION}))
    try:
        assert session_from_agent("work", FILES, for_pid=4121) == SESSION
    finally:
        server.close()
    assert server.request is not None and server.request["profile"] == "work"


def test_no_usable_runtime_folder_is_no_agent(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("")
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    assert socket_path() is None
    assert session_from_agent("work", FILES) is None
