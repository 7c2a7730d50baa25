"""A changed session-name template can't orphan: sessions the files hold and roles that
name them are still recognised; a role naming a section no rule names says so, with the
fix; `assume` of a config role never says it isn't a role."""

from __future__ import annotations

import json

from botocore.configloader import raw_config_parse

from tests.support.cli import run

ROLE = "arn:aws:iam::123456789012:role/Admin"


def status(capsys) -> dict[str, dict]:
    code, out, err = run(capsys, "status", "--json")
    assert code == 0, err
    return {row["profile"]: row for row in json.loads(out)}


def settings(sandbox, text: str) -> None:
    sandbox.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox.settings.write_text(text)


def test_template_change_keeps_sessions_and_roles(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    make_user("bob", profile="home")
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    sandbox_home.config.write_text(
        f"[profile prod-admin]\nrole_arn = {ROLE}\nsource_profile = work-mfa\n")
    settings(sandbox_home, 'session_name = "{profile}-x"\n')
    rows = status(capsys)
    assert rows["work"]["session_profile"] == "work-mfa" and rows["work"]["state"] == "fresh"
    assert rows["home"]["session_profile"] == "home-x"  # a new session takes the template
    assert rows["prod-admin"]["identity"] == "work" and rows["prod-admin"]["problem"] is None
    code, _, err = run(capsys, "assume", "prod-admin")  # chained from [work-mfa]: no code
    assert code == 0, err
    assert "prod-admin-session" in raw_config_parse(str(sandbox_home.credentials))
    assert run(capsys, "refresh", "work", "--force", "--token-code", "234567")[0] == 0
    assert "work-x" not in raw_config_parse(str(sandbox_home.credentials))


def test_role_naming_a_section_no_rule_names_says_so(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    with open(sandbox_home.credentials, "a") as handle:
        handle.write("[work-old]\naws_access_key_id = ASIAOLD\naws_secret_access_key = s\n"
                     "aws_session_token = t\nexpiration = 2030-01-01T00:00:00Z\n")
    sandbox_home.config.write_text(
        f"[profile prod-admin]\nrole_arn = {ROLE}\nsource_profile = work-old\n")
    problem = status(capsys)["prod-admin"]["problem"]
    assert "work-old" in problem and "source_profile = work" in problem
    assert '[profiles.work] target = "work-old"' in problem
    code, _, err = run(capsys, "assume", "prod-admin")
    assert code == 2 and err.count("work-old") >= 1 and err.strip().count("\n") == 0


def test_assume_config_role_from_elsewhere_is_called_a_role(make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    sandbox_home.config.write_text(
        "[profile corp]\nsso_start_url = https://example.awsapps.com/start\n\n"
        f"[profile sso-admin]\nrole_arn = {ROLE}\nsource_profile = corp\n")
    code, _, err = run(capsys, "assume", "sso-admin")
    assert code == 2
    assert "neither a role profile" not in err
    assert "`sso-admin` is a role profile" in err and "source_profile `corp`" in err


def test_role_template_change_keeps_role_sessions(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    sandbox_home.config.write_text(
        f"[profile prod-admin]\nrole_arn = {ROLE}\nsource_profile = work\n\n"
        f"[profile dev-admin]\nrole_arn = {ROLE}\nsource_profile = work\n")
    assert run(capsys, "assume", "prod-admin")[0] == 0
    settings(sandbox_home, 'role_session_name = "{role}-x"\n')
    rows = status(capsys)
    assert rows["prod-admin"]["session_profile"] == "prod-admin-session"
    assert rows["prod-admin"]["state"] == "fresh"
    assert rows["dev-admin"]["session_profile"] == "dev-admin-x"
