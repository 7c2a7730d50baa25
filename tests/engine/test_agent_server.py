"""The agent's socket: private, one agent at a time, stale sockets replaced, other users
refused; and the command line asking it first (real client processes, real emulator)."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import cli, read_credentials
from tui.engine.agent.protocol import SocketAddress
from tui.engine.agent.server import AgentRunning, AgentServer, agent_for
from tui.engine.private_folders import runtime_folder
from tui.engine.profiles.catalog import Paths
from tui.engine.sessions.service import SessionService

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).parents[2]


def service_of(sandbox) -> SessionService:
    return SessionService(Paths(sandbox.credentials, sandbox.config, sandbox.settings))


@pytest.fixture
def log() -> list[str]:
    return []


@pytest.fixture
def agent(sandbox_home, log):
    server = agent_for(service_of(sandbox_home), log=log.append).start()
    yield server
    server.stop()


def hello(path: Path) -> dict | None:
    from tui.engine.agent.client import ask_agent

    return ask_agent({"op": "hello"}, wait=5, path=str(path))


def test_the_folder_is_0700_and_the_socket_0600_under_umask_000(sandbox_home, log):
    old = os.umask(0)
    try:
        with agent_for(service_of(sandbox_home), log=log.append) as server:
            assert server.path == runtime_folder() / "agent.sock"
            assert stat.S_IMODE(os.stat(server.path.parent).st_mode) == 0o700
            assert stat.S_IMODE(os.stat(server.path).st_mode) == 0o600
            assert stat.S_ISSOCK(os.stat(server.path).st_mode)
            assert hello(server.path)["pid"] == os.getpid()
        assert not server.path.exists()
    finally:
        os.umask(old)


def test_credential_process_takes_the_session_from_the_agent(work, agent, log,
                                                              sandbox_home, aws):
    section = read_credentials(sandbox_home)["work-mfa"]
    done = cli("credential-process", "work")
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["AccessKeyId"] == section["aws_access_key_id"]
    assert reply["SessionToken"] == section["aws_session_token"]
    served = [line for line in log if "served work" in line]
    assert served and "(pid " in served[0]
    assert not any(section["aws_secret_access_key"] in line or
                   section["aws_session_token"] in line for line in log)


def test_a_second_agent_finds_the_first_and_does_not_serve(sandbox_home, agent, log):
    second = agent_for(service_of(sandbox_home), log=log.append)
    with pytest.raises(AgentRunning):
        second.start()
    assert hello(agent.path) is not None  # the first still serves


def test_a_stale_socket_of_a_killed_agent_is_replaced(sandbox_home, log):
    script = (
        "import sys, time\n"
        "from tui.engine.agent.server import agent_for\n"
        "from tui.engine.profiles.catalog import Paths\n"
        "from tui.engine.sessions.service import SessionService\n"
        "a, b, c = map(__import__('pathlib').Path, sys.argv[1:])\n"
        "agent_for(SessionService(Paths(a, b, c)), log=print).start()\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(sandbox_home.credentials),
         str(sandbox_home.config), str(sandbox_home.settings)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert child.stdout.readline().strip() == "ready"
        path = runtime_folder() / "agent.sock"
        assert hello(path) is not None
        with pytest.raises(AgentRunning):
            agent_for(service_of(sandbox_home), log=log.append).start()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert path.exists() and hello(path) is None  # left behind, nobody answers
    with agent_for(service_of(sandbox_home), log=log.append):
        assert hello(path)["pid"] == os.getpid()


def _connect_as_nobody(path: str) -> None:
    """(Run as `nobody`.) Connect and ask; the agent must close without an answer."""
    from tui.engine.agent.protocol import encode

    with SocketAddress(path) as address:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(address)
        try:
            sock.sendall(encode({"op": "hello"}))
            answer = sock.recv(4096)
        except (ConnectionResetError, BrokenPipeError):  # closed on us, line unread
            answer = b""
        assert answer == b"", "the agent answered another user"
    print("refused", flush=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="becoming nobody needs root")
def test_a_connection_from_another_uid_is_refused_and_logged(sandbox_home, agent, log):
    # The folder and socket would keep `nobody` out on their own: open them up, as a
    # mistake might, to check the second wall (the peer's uid).
    modes = {folder: stat.S_IMODE(os.stat(folder).st_mode)
             for folder in agent.path.parents if folder != folder.parent}
    try:
        for folder, mode in modes.items():
            os.chmod(folder, mode | 0o011)
        os.chmod(agent.path, 0o666)
        script = (
            "import os, sys\n"
            "import tests.engine.test_agent_server as t\n"
            "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            "t._connect_as_nobody(sys.argv[1])\n"
        )
        done = subprocess.run([sys.executable, "-c", script, str(agent.path)],
                              capture_output=True, text=True, timeout=30, cwd=ROOT,
                              check=False)
    finally:
        for folder, mode in modes.items():
            os.chmod(folder, mode)
    assert done.returncode == 0 and "refused" in done.stdout, done.stderr[-2000:]
    deadline = time.monotonic() + 5
    while not any("uid 65534" in line for line in log) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert any("refused a connection from uid 65534" in line for line in log)


def test_a_line_in_another_version_is_dropped(sandbox_home, agent):
    with SocketAddress(agent.path) as address:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(5)
        sock.connect(address)
        sock.sendall(b'{"v": 99, "op": "hello"}\n')
        assert sock.recv(4096) == b""
        sock.close()


# ------------------------------------------------------------------ errors as today
def _same_error(*argv: str) -> tuple[int, str]:
    without = cli(*argv)
    return without.returncode, without.stderr


def test_errors_come_back_as_today_with_their_exit_codes(aws, make_user, sandbox_home, log):
    make_user("alice", profile="work")  # no session, no mfa_command, no terminal
    today = [_same_error("credential-process", "work"), _same_error("env", "nosuch")]
    assert [code for code, _ in today] == [4, 2]
    with agent_for(service_of(sandbox_home), log=log.append):
        through_agent = [_same_error("credential-process", "work"),
                         _same_error("env", "nosuch")]
    assert through_agent == today
    assert not any("served" in line for line in log)


def test_a_client_with_other_files_does_without_the_agent(work, sandbox_home, log, tmp_path):
    other = tmp_path / "other-credentials"
    other.write_text("[work-mfa]\naws_access_key_id = ASIAOTHERFILE\n"
                     "aws_secret_access_key = s\naws_session_token = t\n"
                     "expiration = 2099-01-01T00:00:00Z\n")
    with agent_for(service_of(sandbox_home), log=log.append):
        done = cli("--credentials-file", str(other), "credential-process", "work-mfa")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"] == "ASIAOTHERFILE"
    assert not any("served" in line for line in log)


@pytest.mark.parametrize("named_file", [False, True])  # True: through the option parser
def test_through_the_agent_no_aws_library_and_no_ini_reader_is_loaded(work, agent, log,
                                                                      tmp_path, named_file,
                                                                      sandbox_home):
    report = tmp_path / "modules.json"
    argv = ["--credentials-file", str(sandbox_home.credentials)] if named_file else []
    argv += ["credential-process", "work"]
    script = (
        "import json, sys\n"
        "from tui.cli import main\n"
        f"code = main({argv!r})\n"
        f"open({str(report)!r}, 'w').write(json.dumps(sorted(sys.modules)))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=30, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(report.read_text()))
    assert any("served work" in line for line in log)
    assert not {"boto3", "botocore", "configparser", "tui.engine.credentials_file.ini_reader",
                "tui.engine.credentials_file.ini_document", "tui.engine.sessions.service"} & modules


def test_env_and_exec_take_the_session_and_region_from_the_agent(work, agent, log,
                                                                 sandbox_home):
    sandbox_home.config.write_text("[profile work]\nregion = eu-west-3\n")
    key = read_credentials(sandbox_home)["work-mfa"]["aws_access_key_id"]
    env = dict(os.environ)
    del env["AWS_DEFAULT_REGION"]
    done = cli("env", "work", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    variables = json.loads(done.stdout)
    assert variables["AWS_ACCESS_KEY_ID"] == key and variables["AWS_REGION"] == "eu-west-3"
    done = cli("exec", "work", "--", sys.executable, "-c",
               "import os; print(os.environ['AWS_ACCESS_KEY_ID'], "
               "os.environ['AWS_MFA_TUI_PROFILE'])", env=env)
    assert done.stdout.split() == [key, "work"], done.stderr
    assert sum("served work" in line for line in log) == 2


def test_watch_as_agent_without_a_code_source_leaves_the_asking_to_the_client(
        aws, make_user, sandbox_home, log):
    """An agent with no code dialog and no code source (`watch` with neither mfa_command
    nor askpass): the client asks as it would without an agent, and says what it says."""
    make_user("alice", profile="work")
    with AgentServer(_supply(sandbox_home), log=log.append, code_source=lambda r: None):
        done = cli("credential-process", "work")
    assert done.returncode == 4 and "no way to ask" in done.stderr
    assert "agent" not in done.stderr  # today's message, from the client itself


def _supply(sandbox_home):
    from tui.engine.agent.session_supply import RememberedSessions

    return RememberedSessions(service_of(sandbox_home))
