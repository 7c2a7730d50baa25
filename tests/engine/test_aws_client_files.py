"""botocore never reads the shared files itself, and sees in them what it saw before.

`aws.client.OurSession` hands botocore the `default` profile and its services section from
our own parse. The property test checks that every setting client creation looks up comes
out as botocore's own session reads it from the same files; the whole-process test checks
that during `refresh` only our credentials store opens the credentials file (once to read
the profiles, once under the lock to write) and botocore opens neither file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Sandbox
from tui.engine.aws.client import SharedFiles, new_session, shared_config
from tui.engine.credentials_file.ini_document import IniDocument
from tui.engine.errors import AwsMfaError

# Settings create_client looks up in the default profile (and `services`), plus `s3`,
# whose value botocore parses as nested `key = value` lines.
LOOKED_UP = ("region", "ca_bundle", "retry_mode", "max_attempts", "data_path",
             "defaults_mode", "sts_regional_endpoints", "api_versions", "parameter_validation",
             "ignore_configured_endpoint_urls", "use_fips_endpoint", "tcp_keepalive")
KEYS = ("region", "Region", "ca_bundle", "retry_mode", "max_attempts", "endpoint_url",
        "services", "s3", "data_path", "tcp_keepalive")
CONFIG_SECTIONS = ("default", "profile default", "profile  default ", 'profile "default"',
                   "profile default x", "profiledefault", "profile work", "DEFAULT",
                   "services local", 'services "local"', "services other", "sso-session s")
CREDENTIAL_SECTIONS = ("default", "DEFAULT", "profile default", "work")
VALUES = st.sampled_from(["eu-west-1", "us-east-2", "local", "other", "standard", "7", "",
                          "http://127.0.0.1:9", "\n  addressing_style = path\n  x = y",
                          "\n  sts =\n", "/tmp/models", "true"])
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@st.composite
def ini(draw, sections: tuple[str, ...]) -> str:
    lines = []
    for name in draw(st.lists(st.sampled_from(sections), max_size=5, unique=True)):
        lines.append(f"[{name}]")
        for key in draw(st.lists(st.sampled_from(KEYS), max_size=4,
                                 unique_by=str.lower)):
            value = draw(VALUES)
            if "\n" in value:
                lines.append(f"{key} ={value}")
            else:
                lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def _outcome(read):
    try:
        return read()
    except Exception as exc:  # any failure: its kind must match
        # A file botocore can't parse is refused by our parser instead: both refuse it.
        return "ConfigParseError" if isinstance(exc, AwsMfaError) else type(exc).__name__


def _seen(session) -> object:
    """What client creation can see of the files, or the kind of failure, lookup by lookup."""
    scoped = _outcome(session.get_scoped_config)
    if isinstance(scoped, str):
        return scoped
    named = scoped.get("services")
    services = session.full_config.get("services", {})
    return (scoped, services.get(named) if isinstance(named, str) else None,
            {name: _outcome(lambda name=name: session.get_config_variable(name))
             for name in LOOKED_UP})


@PROPERTY
@given(config=ini(CONFIG_SECTIONS), credentials=ini(CREDENTIAL_SECTIONS),
       passed=st.booleans())
def test_client_settings_are_what_botocore_reads_from_the_same_files(
        sandbox_home: Sandbox, monkeypatch: pytest.MonkeyPatch, config, credentials, passed):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    sandbox_home.aws_dir.mkdir(exist_ok=True)
    sandbox_home.config.write_text(config)
    sandbox_home.credentials.write_text(credentials)
    theirs = _seen(botocore.session.Session())
    shared = None
    if passed and not isinstance(theirs, str):
        document = IniDocument.parse(credentials, str(sandbox_home.credentials))
        shared = SharedFiles(sandbox_home.credentials, document.as_dict())
    assert _seen(new_session(shared)) == theirs


def test_a_missing_or_unreadable_file_counts_as_empty(sandbox_home: Sandbox):
    sandbox_home.aws_dir.mkdir()
    assert shared_config(botocore.session.Session())["profiles"] == {}
    sandbox_home.config.write_text("[default]\nregion = eu-west-1\n")
    sandbox_home.credentials.mkdir()  # a folder: botocore skips it
    assert new_session().get_scoped_config() == {"region": "eu-west-1"}


def test_sections_passed_in_are_used_only_for_the_file_botocore_reads(
        sandbox_home: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_text("[default]\nregion = eu-west-1\n")
    other = SharedFiles(tmp_path / "elsewhere", {"default": {"region": "ap-south-1"}})
    assert new_session(other).get_config_variable("region") == "eu-west-1"
    same = SharedFiles(sandbox_home.credentials, {"default": {"region": "ap-south-1"}})
    assert new_session(same).get_config_variable("region") == "ap-south-1"


def test_refresh_reaches_aws_through_the_configs_services_section(
        aws, make_user, sandbox_home: Sandbox, monkeypatch: pytest.MonkeyPatch):
    from tests.support.cli import cli

    make_user("alice", profile="work")
    sandbox_home.config.write_text(
        f"[profile default]\nservices = local\n\n[services local]\nsts =\n"
        f"  endpoint_url = {aws.url}\niam =\n  endpoint_url = {aws.url}\n")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    done = cli("refresh", "work", "--token-code", "123456")
    assert done.returncode == 0, done.stderr
    assert "work-mfa" in sandbox_home.credentials.read_text()


# ------------------------------------------------------------------ whole process
WATCH_OPENS = r"""
import os, runpy, sys
watched = {os.path.realpath(p): name for p, name in ((sys.argv[1], "credentials"),
                                                      (sys.argv[2], "config"))}
log = open(sys.argv[3], "w")

def origin(frame):
    while frame is not None:
        name = frame.f_code.co_filename
        if "botocore" in name or name.endswith("configparser.py"):
            return "botocore"
        if os.sep + "tui" + os.sep in name:
            return name.rsplit(os.sep + "tui" + os.sep, 1)[1]
        frame = frame.f_back
    return "?"

def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        name = watched.get(os.path.realpath(os.fsdecode(args[0])))
        if name:
            log.write(f"{name} {origin(sys._getframe(1))}\n")
            log.flush()

sys.addaudithook(hook)
sys.argv = ["aws-mfa-tui", *sys.argv[4:]]
runpy.run_module("tui", run_name="__main__")
"""


def test_refresh_opens_the_credentials_file_only_through_the_store(
        aws, make_user, sandbox_home: Sandbox, tmp_path: Path):
    user = make_user("alice", profile="work")
    sandbox_home.settings.parent.mkdir(parents=True)
    sandbox_home.settings.write_text(f'[profiles.work]\nmfa_serial = "{user.serial}"\n')
    # Both files have a default profile botocore would look in for its settings.
    with open(sandbox_home.credentials, "a") as handle:
        handle.write("[default]\nregion = us-east-1\n")
    sandbox_home.config.write_text("[default]\nregion = us-east-1\n")
    log = tmp_path / "opens.log"
    done = subprocess.run(
        [sys.executable, "-c", WATCH_OPENS, str(sandbox_home.credentials),
         str(sandbox_home.config), str(log), "refresh", "work", "--force",
         "--token-code", "123456"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    opens = log.read_text().splitlines()
    assert not [line for line in opens if line.endswith(" botocore")], opens
    # One read for the profiles (not one per catalog), one again under the renewal lock
    # (another process may have renewed it meanwhile), one under the file lock for the write;
    # the store reads through its settled read (other_writers).
    assert [line for line in opens if line.startswith("credentials ")] == [
        "credentials engine/credentials_file/other_writers.py"] * 3, opens
