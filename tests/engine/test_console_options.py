"""`console PROFILE [--duration S] [--service NAME | --path /x] [--federation]` and the
`browser` setting, through the real CLI, against the emulator and a federation stand-in of
the tests' own on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.configloader import raw_config_parse

from tests.support.federation import TOKEN, FederationStandIn
from tui.engine.console.signin import FEDERATION_POLICY


def cli(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *argv], capture_output=True, text=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture
def stand_in() -> Iterator[FederationStandIn]:
    server = FederationStandIn()
    yield server
    server.stop()


@pytest.fixture
def env(stand_in) -> dict[str, str]:
    return {**os.environ, "AWS_ENDPOINT_URL_SIGNIN": stand_in.url}


@pytest.fixture
def prod(aws, make_user, sandbox_home, env) -> dict[str, str]:
    make_user("alice", profile="work")
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    sandbox_home.config.write_text(
        f"[profile prod]\nrole_arn = {arn}\nsource_profile = work\nregion = eu-west-1\n")
    assert cli("refresh", "work", "--token-code", "123456", env=env).returncode == 0
    done = cli("assume", "prod", env=env)
    assert done.returncode == 0, done.stderr
    aws.injector.clear()
    return raw_config_parse(str(sandbox_home.credentials))["prod-session"]


def landing(url: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["Destination"][0]


def test_duration_and_service(prod, stand_in, env):
    done = cli("console", "prod", "--print", "--duration", "7200", "--service", "s3", env=env)
    assert done.returncode == 0, done.stderr
    (form,) = stand_in.received
    assert form["SessionDuration"] == "7200"
    assert json.loads(form["Session"])["sessionId"] == prod["aws_access_key_id"]
    assert landing(done.stdout) == "https://console.aws.amazon.com/s3/home?region=eu-west-1"


def test_a_path_and_no_duration(prod, stand_in, env):
    done = cli("console", "prod", "--print", "--path", "/iam/home#/users", env=env)
    assert done.returncode == 0, done.stderr
    (form,) = stand_in.received
    assert "SessionDuration" not in form  # AWS's own default
    assert landing(done.stdout) == "https://console.aws.amazon.com/iam/home#/users"


@pytest.mark.parametrize(("argv", "says"), [
    (("--duration", "60"), "--duration must be 900-43200 seconds"),
    (("--duration", "50000"), "--duration must be 900-43200 seconds"),
    (("--path", "//evil.example/x"), "--path takes a path under the console"),
    (("--path", "s3"), "--path takes a path under the console"),
    (("--service", "S3 buckets"), "--service takes a console service name"),
    (("--service", "s3", "--path", "/x"), "not allowed with argument"),
    (("--federation",), "--federation is for an identity's long-term key"),
])
def test_bad_options_are_one_line_and_nothing_is_sent(prod, stand_in, env, argv, says):
    done = cli("console", "prod", "--print", *argv, env=env)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and done.stderr.count("\n") == 1
    assert "see aws-mfa-tui console --help" in done.stderr
    assert stand_in.received == []


def test_an_identity_without_federation_is_told_both_ways(prod, stand_in, env):
    done = cli("console", "work", "--print", env=env)
    assert done.returncode == 2
    assert "prod" in done.stderr and "--federation" in done.stderr
    assert "no MFA context" in done.stderr
    assert stand_in.received == []


def test_federation_for_an_identity(aws, prod, stand_in, env):
    done = cli("console", "work", "--print", "--service", "ec2", env=env)
    assert done.returncode == 2
    done = cli("console", "work", "--federation", "--print", "--duration", "5400", env=env)
    assert done.returncode == 0, done.stderr
    (call,) = aws.injector.calls("GetFederationToken")
    assert call.params["DurationSeconds"] == "5400" and call.params["Name"] == "work"
    assert json.loads(call.params["Policy"]) == json.loads(FEDERATION_POLICY)
    (form,) = stand_in.received
    assert "SessionDuration" not in form  # the token's own length rules
    session = json.loads(form["Session"])
    assert session["sessionId"] and session["sessionId"] != prod["aws_access_key_id"]
    assert f"SigninToken={TOKEN}" in done.stdout
    assert "no MFA context" in done.stderr
    assert "aws:MultiFactorAuthPresent is denied there" in done.stderr


def fake_browser(tmp_path: Path) -> tuple[Path, Path]:
    seen = tmp_path / "seen"
    script = tmp_path / "browser.py"
    script.write_text(
        "import sys, urllib.parse, urllib.request\n"
        "page = urllib.request.url2pathname(urllib.parse.urlsplit(sys.argv[-1]).path)\n"
        f"open({str(seen)!r} + '.tmp', 'w').write('\\0'.join(sys.argv[1:]) + '\\n' + "
        "open(page).read())\n"
        f"import os; os.replace({str(seen)!r} + '.tmp', {str(seen)!r})\n")
    return script, seen


def wait_for(path: Path) -> str:
    end = time.monotonic() + 30
    while not path.exists() and time.monotonic() < end:
        time.sleep(0.02)
    return path.read_text()


def test_the_browser_setting_of_a_profile(prod, env, sandbox_home, tmp_path):
    script, seen = fake_browser(tmp_path)
    sandbox_home.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.settings.write_text(
        'browser = "no-such-browser-anywhere"\n'
        f'[profiles.prod]\nbrowser = "{sys.executable} {script} --profile-dir work %s"\n')
    done = cli("console", "prod", env=env)
    assert done.returncode == 0, done.stderr
    argv, page = wait_for(seen).split("\n", 1)
    args = argv.split("\0")
    assert args[:2] == ["--profile-dir", "work"] and args[2].startswith("file://")
    assert TOKEN not in argv
    assert f"SigninToken={TOKEN}" in page


def test_the_top_level_browser_setting_and_a_missing_one(prod, env, sandbox_home):
    sandbox_home.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox_home.settings.write_text('browser = "no-such-browser-anywhere"\n')
    done = cli("console", "prod", env=env)
    assert done.returncode == 2
    assert "the browser command `no-such-browser-anywhere` can't be run" in done.stderr


@pytest.fixture(autouse=True)
def no_runtime_folder(monkeypatch):
    """Sign-in pages go under the sandbox's cache folder, never a real $XDG_RUNTIME_DIR."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
