"""`exec --server PROFILE -- CMD`: CMD gets a credentials endpoint on loopback, no keys.

Real children: boto3 and the AWS CLI (the `awscli` test extra) fetch the role session
through their container-credentials provider; one runs across a renewal and signs with a
new key after it. The endpoint refuses a missing or wrong token and a foreign Host, and no
process we start carries the token or a secret in its argv.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.app import add_config
from tests.support.cli import cli, read_credentials
from tui.engine.agent.credentials_endpoint import CredentialsEndpoint
from tui.engine.agent.session_supply import RememberedSessions, Requester
from tui.engine.profiles.catalog import Paths
from tui.engine.sessions.service import SessionService

pytestmark = pytest.mark.timeout(60)

#: A child that reports, as JSON on stdout, what it sees: its variables, how boto3 found
#: its keys, the key id of each call (with a pause between calls), and whether the token
#: or a secret shows in any process's argv on the machine.
CHILD = textwrap.dedent("""
    import glob, json, os, sys, time
    import boto3
    calls, pause = int(sys.argv[1]), float(sys.argv[2])
    session = boto3.Session()
    sts = session.client("sts")
    arns, keys = [], []
    for n in range(calls):
        if n:
            time.sleep(pause)
        arns.append(sts.get_caller_identity()["Arn"])
        keys.append(session.get_credentials().get_frozen_credentials().access_key)
    frozen = session.get_credentials().get_frozen_credentials()
    secrets = [os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"], frozen.secret_key,
               frozen.token]
    in_argv = []
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            argv = open(path, "rb").read().decode(errors="replace")
        except OSError:
            continue
        in_argv += [path for s in secrets if s in argv]
    print(json.dumps({
        "method": session.get_credentials().method, "arns": arns, "keys": keys,
        "variables": sorted(n for n in os.environ if n.startswith("AWS_")),
        "uri": os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], "in_argv": in_argv,
    }))
""")


@pytest.fixture
def ops(work, make_user, sandbox_home):
    """Role `ops`, assumed from work's MFA session; a [default] with static keys beside."""
    arn = make_user.iam.create_role(RoleName="Ops", AssumeRolePolicyDocument="{}")[
        "Role"]["Arn"]
    add_config(sandbox_home.config, f"[profile ops]\nrole_arn = {arn}\nsource_profile = work\n"
                                    "duration_seconds = 900")
    with open(sandbox_home.credentials, "a") as handle:
        handle.write("[default]\naws_access_key_id = AKIADEFAULTSTATIC\n"
                     "aws_secret_access_key = static\n")
    return arn


def run_child(*argv: str, calls: int = 1, pause: float = 0.0, timeout: float = 50):
    script = Path(os.environ["HOME"]) / "child.py"
    script.write_text(CHILD)
    return cli(*argv, "--", sys.executable, str(script), str(calls), str(pause),
               timeout=timeout)


def test_boto3_child_gets_the_role_session_from_the_endpoint_and_no_keys(aws, ops):
    done = run_child("exec", "--server", "ops")
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["method"] == "container-role"
    assert seen["arns"][0].startswith("arn:aws:sts::") and "assumed-role/Ops/" in seen["arns"][0]
    assert seen["uri"].startswith("http://127.0.0.1:")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE"):
        assert name not in seen["variables"]
    assert {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"} <= set(
        seen["variables"])
    assert seen["in_argv"] == []
    assert seen["keys"][0] != "AKIADEFAULTSTATIC"
    assert seen["keys"][0] == read_credentials_key(ops_session=True)


def read_credentials_key(ops_session: bool) -> str:
    from types import SimpleNamespace

    sandbox = SimpleNamespace(credentials=Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]))
    return read_credentials(sandbox)["ops-session" if ops_session else "work-mfa"][
        "aws_access_key_id"]


def test_a_child_runs_across_a_renewal_and_signs_with_the_new_key(aws, ops, sandbox_home):
    """A 900 s role session with an 897 s lead time is due 3 s after it is made; botocore
    fetches again on every call when less than 15 minutes are left."""
    aws.make_sessions_unique()
    sandbox_home.settings.write_text("lead_time = 897\n")
    done = run_child("exec", "--server", "ops", calls=2, pause=4.0)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    first, second = seen["keys"]
    assert first != second
    assert all("assumed-role/Ops/" in arn for arn in seen["arns"])
    assert second == read_credentials_key(ops_session=True)
    assume = aws.injector.calls("AssumeRole")
    assert len(assume) == 2 and not any("TokenCode" in c.params for c in assume)
    assert seen["in_argv"] == []


def test_the_aws_cli_gets_the_session_through_the_endpoint(aws, ops):
    aws_cli = Path(sys.executable).with_name("aws")
    done = cli("exec", "--server", "ops", "--", str(aws_cli), "sts", "get-caller-identity",
               "--output", "json")
    assert done.returncode == 0, done.stderr
    assert "assumed-role/Ops/" in json.loads(done.stdout)["Arn"]
    assert aws.injector.calls("GetCallerIdentity")[-1].access_key_id == read_credentials_key(
        ops_session=True)


def test_exit_status_and_signals_pass_through(aws, ops):
    assert cli("exec", "--server", "ops", "--", sys.executable, "-c",
               "raise SystemExit(7)").returncode == 7
    killed = cli("exec", "--server", "ops", "--", sys.executable, "-c",
                 "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert killed.returncode == 128 + 15


def test_a_profile_that_cant_be_served_fails_before_the_command_with_one_line(aws, work):
    done = cli("exec", "--server", "nosuch", "--", sys.executable, "-c", "print('ran')")
    assert done.returncode == 2
    assert "ran" not in done.stdout
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("aws-mfa-tui: ")


# ------------------------------------------------------------------ refusals
def _get(endpoint: CredentialsEndpoint, headers: dict[str, str], path: str = "/credentials",
         method: str = "GET"):
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host="Host" in headers)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        reply = connection.getresponse()
        return reply.status, reply.read().decode()
    finally:
        connection.close()


def test_the_endpoint_refuses_no_token_a_wrong_token_and_a_foreign_host(aws, work,
                                                                       sandbox_home):
    service = SessionService(Paths(sandbox_home.credentials, sandbox_home.config,
                                   sandbox_home.settings))
    with CredentialsEndpoint(RememberedSessions(service), "work",
                             lambda: Requester("test")) as endpoint:
        token = endpoint.token
        assert len(token) >= 43  # 256 bits, url-safe base64
        secret = read_credentials(sandbox_home)["work-mfa"]["aws_secret_access_key"]
        port = endpoint.port

        status, body = _get(endpoint, {})
        assert status == 401 and secret not in body
        status, body = _get(endpoint, {"Authorization": token[:-1] + "x"})
        assert status == 403 and secret not in body
        for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.nip.io:{port}",
                     "127.0.0.1:1", f"localhost.:{port}"):
            status, body = _get(endpoint, {"Host": host, "Authorization": token})
            assert status == 403 and secret not in body, host
        assert _get(endpoint, {"Authorization": token}, path="/other")[0] == 404
        assert _get(endpoint, {"Authorization": token}, method="POST")[0] == 405

        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "127.0.0.1"):
            status, body = _get(endpoint, {"Host": host, "Authorization": token})
            assert status == 200, host
        reply = json.loads(body)
        assert set(reply) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
        assert reply["SecretAccessKey"] == secret
        assert reply["Expiration"].endswith("Z")


def test_with_an_agent_the_endpoint_renews_through_it_and_its_code_prompt(
        aws, make_user, sandbox_home):
    """No MFA session yet: the code is asked by the agent (here a stand-in for the TUI's
    dialog), not on a terminal the job owns; the child gets the role session."""
    from tests.engine.test_agent_code_prompts import Person
    from tui.engine.agent.server import agent_for

    user = make_user("alice", profile="work")
    arn = make_user.iam.create_role(RoleName="Ops", AssumeRolePolicyDocument="{}")[
        "Role"]["Arn"]
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {user.serial}\n\n"
                                    f"[profile ops]\nrole_arn = {arn}\nsource_profile = work")
    person, log = Person(code="135790"), []
    service = SessionService(Paths(sandbox_home.credentials, sandbox_home.config,
                                   sandbox_home.settings))
    with agent_for(service, log=log.append, asker=person):
        done = run_child("exec", "--server", "ops", calls=2)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert all("assumed-role/Ops/" in arn for arn in seen["arns"])
    assert [p.identity for p in person.shown] == ["work"]
    sent = [c.params.get("TokenCode") for c in aws.injector.calls("GetSessionToken")
            + aws.injector.calls("AssumeRole")]
    assert sent.count("135790") == 1
    assert any("served ops" in line for line in log)
    assert seen["in_argv"] == []
