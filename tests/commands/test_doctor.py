"""`doctor` against the emulator: each peer layout, a broken chain, a 0644 credentials file,
a skewed clock (the emulator's `Date` header moved), a key with no MFA device, policies
that require MFA (IAM's SimulatePrincipalPolicy reply injected: moto has none), `--json`,
exit codes, and the whole text output against a golden file."""

from __future__ import annotations

import getpass
import json
import uuid
from pathlib import Path

import pytest

from tests.support.app import add_config
from tests.support.aws_emulator import IAM_NS
from tests.support.cli import run

GOLDEN = Path(__file__).parent / "golden" / "doctor.txt"


def write(sandbox, text: str) -> None:
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    sandbox.credentials.write_text(text)
    sandbox.credentials.chmod(0o600)


def doctor(capsys, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "doctor", *argv)


def keys(user) -> str:
    return (f"aws_access_key_id = {user.access_key_id}\n"
            f"aws_secret_access_key = {user.secret_access_key}\n")


SESSION = ("aws_access_key_id = ASIAOLDSESSION000000\naws_secret_access_key = oldsecret\n"
           "aws_session_token = oldtoken\n")


@pytest.mark.parametrize(("layout", "text", "identity", "session"), [
    ("aws-mfa's", "[work-long-term]\n{keys}\n[work]\nassumed_role = False\n{session}"
     "expiration = 2030-01-01 06:54:55\n", "work-long-term", "work"),
    ("awsmfa's", "[identity]\n{keys}\n[default]\n{session}"
     "awsmfa_expiration = 2030-01-01T06:00:00+00:00\n", "identity", "default"),
    ("aws-iam-login's", "[work]\n{keys}username = alice\nmfa_serial = {serial}\n\n"
     "[work-sts]\n{session}expiration = 2030-01-01 19:00:00+00:00\n", "work", "work-sts"),
    ("the AWS CLI's `aws configure mfa-login`", "[work]\n{keys}\n[session-alice]\n# Credentials expire at: "
     "2030-01-01 05:00:00 UTC\n{session}", "work", "session-alice"),
    ("aws-mfa-tui's", "[work]\n{keys}", "work", "work-mfa"),
])
def test_each_peer_layout_is_named(aws, make_user, sandbox_home, capsys, layout, text,
                                   identity, session):
    user = make_user("alice", write_profile=False)
    write(sandbox_home, text.format(keys=keys(user), session=SESSION, serial=user.serial))
    code, out, err = doctor(capsys)
    assert code == 0, out + err
    line = next(x for x in out.splitlines() if f"{identity}: key " in x)
    assert f"layout {layout}" in line and f"session in [{session}]" in line, out


def test_broken_chain_is_a_problem_with_its_fix(aws, make_user, sandbox_home, capsys):
    user = make_user("alice", profile="work")
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {user.serial}")
    sandbox_home.credentials.chmod(0o600)
    add_config(sandbox_home.config, "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:"
               "role/Deploy\nsource_profile = prod-admin")
    add_config(sandbox_home.config, "[profile prod-admin]\nrole_arn = arn:aws:iam::"
               "123456789012:role/Admin\nsource_profile = wrok")
    code, out, err = doctor(capsys)
    assert code == 1
    assert "!!  role chain deploy -> prod-admin -> wrok: source profile `wrok` doesn't exist" in out
    assert "fix the source_profile in ~/.aws/config" in out
    assert err.strip().startswith("aws-mfa-tui: doctor: 2 problems: role chain")
    assert len(err.strip().splitlines()) == 1


def test_a_credentials_file_others_may_read(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    sandbox_home.credentials.chmod(0o644)
    code, out, _ = doctor(capsys, "--offline")
    assert code == 1
    assert "mode 0644" in out and "other users may read your keys" in out
    assert "fix: chmod 600 ~/.aws/credentials" in out
    sandbox_home.credentials.chmod(0o600)
    assert doctor(capsys, "--offline")[0] == 0


def test_a_skewed_clock(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    sandbox_home.credentials.chmod(0o600)
    aws.skew_clock(-600)  # AWS's Date is 10 minutes behind ours: ours is 10 minutes ahead
    code, out, _ = doctor(capsys)
    assert code == 1
    line = next(x for x in out.splitlines() if "clock:" in x)
    assert line.startswith("  !!  clock: 6") and "s ahead of AWS" in line, line
    assert "timedatectl set-ntp true" in out
    aws.skew_clock(0)
    assert "ok  clock: agrees with AWS" in doctor(capsys)[1]


def test_a_key_with_no_mfa_device(aws, make_user, sandbox_home, capsys):
    make_user("bob", profile="work", mfa=False)
    sandbox_home.credentials.chmod(0o600)
    code, out, _ = doctor(capsys, "--json")
    assert code == 1
    report = json.loads(out)
    problem = next(f for f in report["findings"] if f["verdict"] == "problem")
    assert problem["text"] == "work: IAM user bob has no MFA device STS can use"
    assert "aws-mfa-tui init work" in problem["fix"]
    assert report["summary"].startswith("1 problem: work: IAM user bob has no MFA device")


def _simulation(params: dict[str, str], guarded: bool) -> str:
    mfa = params.get("ContextEntries.member.1.ContextKeyValues.member.1") == "true"
    members = "".join(
        f"<member><EvalActionName>{params[key]}</EvalActionName><EvalResourceName>*"
        f"</EvalResourceName><EvalDecision>{'allowed' if mfa or not guarded else 'implicitDeny'}"
        "</EvalDecision><MatchedStatements/><MissingContextValues/></member>"
        for key in sorted(params) if key.startswith("ActionNames.member."))
    return (f'<SimulatePrincipalPolicyResponse xmlns="{IAM_NS}"><SimulatePrincipalPolicyResult>'
            f"<IsTruncated>false</IsTruncated><EvaluationResults>{members}</EvaluationResults>"
            f"</SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>{uuid.uuid4()}"
            "</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>")


class SimulationReplies:
    """Answers SimulatePrincipalPolicy as IAM would for policies that do (or don't)
    require MFA: the injector sends `body` for each request, made here from its params."""

    def __init__(self, aws, guarded: bool) -> None:
        self.guarded = guarded
        self.fault = aws.injector.add("SimulatePrincipalPolicy", status=200, times=-1,
                                      body="", when=self.answer)

    def answer(self, params: dict[str, str]) -> bool:
        self.fault.body = _simulation(params, self.guarded)
        return True


@pytest.mark.parametrize("guarded", [True, False])
def test_policies_that_require_mfa_or_not(aws, make_user, sandbox_home, capsys, guarded):
    make_user("alice", profile="work")
    SimulationReplies(aws, guarded)
    out = doctor(capsys)[1]
    if guarded:
        assert ("work: policies look like they require MFA (iam:ListAccessKeys, "
                "ec2:DescribeInstances, s3:ListAllMyBuckets denied without it") in out
    else:
        assert "work: policies don't require MFA for iam:ListAccessKeys" in out
        assert "aws-mfa-tui policy" in out
    assert len(aws.injector.calls("SimulatePrincipalPolicy")) == 2


def test_without_simulation_it_says_it_cant_tell(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    aws.injector.add("SimulatePrincipalPolicy", code="AccessDenied", message="no", times=-1)
    out = doctor(capsys)[1]
    assert "??  work: can't tell whether policies require MFA" in out


def test_unknown_profile_is_a_usage_error(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    code, _, err = doctor(capsys, "nope")
    assert code == 2 and "see aws-mfa-tui doctor --help" in err


def test_golden_text(aws, make_user, sandbox_home, capsys, monkeypatch):
    """The whole report for a small setup: an identity with its device in config and a
    max_mfa_age, a role from its session, a chain under it, a second identity found through
    IAM, policies that require MFA. Regenerate with DOCTOR_GOLDEN_UPDATE=1."""
    import os

    alice = make_user("alice", profile="work")
    make_user("bob", profile="staging")
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")["Role"][
        "Arn"]
    sandbox_home.credentials.chmod(0o600)
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {alice.serial}")
    add_config(sandbox_home.config, f"[profile prod-admin]\nrole_arn = {arn}\n"
               "source_profile = work-mfa")
    add_config(sandbox_home.config, f"[profile deploy]\nrole_arn = {arn}\n"
               "source_profile = prod-admin\nduration_seconds = 3600")
    sandbox_home.config.chmod(0o600)
    sandbox_home.settings.parent.mkdir(parents=True)
    sandbox_home.settings.write_text('[profiles.work]\nmax_mfa_age = 3600\n'
                                     'mfa_command = "ykman oath accounts code --single AWS"\n')
    sandbox_home.settings.chmod(0o600)
    monkeypatch.setenv("SSH_ASKPASS", "")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    SimulationReplies(aws, guarded=True)
    code, out, err = doctor(capsys)
    assert code == 0, out + err
    text = out.replace(getpass.getuser(), "USER").replace(f"{alice.access_key_id[-4:]}", "WXYZ")
    text = text.replace(str(sandbox_home.home.parent).replace(getpass.getuser(), "USER"), "TMP")
    text = text.replace(str(uuid.UUID(int=0)), "")
    staging_key = next(x for x in text.splitlines() if "staging: key " in x).split("key ")[1][:12]
    text = text.replace(staging_key, "AKIA****ABCD")
    if os.environ.get("DOCTOR_GOLDEN_UPDATE"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_a_peer_session_with_max_mfa_age_is_cant_tell(aws, make_user, sandbox_home, capsys):
    """Its MFA moment isn't recorded (another program wrote it): said, with the fix."""
    make_user("alice", profile="work")
    with open(sandbox_home.credentials, "a") as handle:
        handle.write(f"[work-mfa]\n{SESSION}expiration = 2030-01-01T00:00:00Z\n")
    sandbox_home.credentials.chmod(0o600)
    sandbox_home.settings.parent.mkdir(parents=True)
    sandbox_home.settings.write_text("[profiles.work]\nmax_mfa_age = 3600\n")
    code, out, _ = doctor(capsys, "--offline")
    assert code == 0
    assert "??  work: when [work-mfa]'s MFA was used isn't known" in out
    assert "fix: aws-mfa-tui refresh work --force" in out


def test_the_agent_running_or_not(aws, make_user, sandbox_home, capsys):
    """A real `watch` serves as the agent: doctor names it by its `hello`; without one it
    says "not running"."""
    from tests.commands.test_watch_agent import start_watch, stop

    make_user("alice", profile="work")
    sandbox_home.credentials.chmod(0o600)
    assert "agent: not running" in doctor(capsys, "--offline")[1]
    watch, said = start_watch()
    try:
        assert "agent" in said, said
        out = doctor(capsys, "--offline")[1]
        assert f"agent: running, pid {watch.pid}, at " in out, out
    finally:
        stop(watch)
