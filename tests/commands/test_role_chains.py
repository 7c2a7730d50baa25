"""Role chains end to end: a 3-deep chain (deploy -> prod-admin -> work) from ~/.aws/config,
against the emulator, through the CLI, `watch --once` and the TUI.

The config lists `deploy` before its parent, so file order is not tree order: only the
chain decides where a role is listed and when it is refreshed.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.app import (
    SIZE,
    START,
    add_session,
    make_service,
    screen_text,
    settle,
    table_rows,
)
from tests.support.cli import read_credentials, run
from tui.app.app import AwsMfaApp
from tui.engine.sessions.service import no_code_needed


@pytest.fixture
def chain(make_user, sandbox_home):
    """work (an identity with a device), prod-admin from work, deploy from prod-admin."""
    user = make_user("alice", profile="work")
    arns = {name: make_user.iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")
            ["Role"]["Arn"] for name in ("Admin", "Deploy")}

    def write(extra: str = "") -> tuple[str, str]:
        sandbox_home.config.write_text(
            f"[profile work]\nmfa_serial = {user.serial}\n\n"
            f"[profile deploy]\nrole_arn = {arns['Deploy']}\nsource_profile = prod-admin\n"
            f"{extra}\n"
            f"[profile prod-admin]\nrole_arn = {arns['Admin']}\nsource_profile = work\n"
            f"{extra}\n"
        )
        return arns["Admin"], arns["Deploy"]

    return write


def due_chain(sandbox, now: datetime) -> None:
    """work's MFA session fresh; both role sessions inside their lead time (still usable),
    the child's ending first."""
    add_session(sandbox.credentials, "work-mfa", now + timedelta(hours=8))
    add_session(sandbox.credentials, "deploy-session", now + timedelta(seconds=150))
    add_session(sandbox.credentials, "prod-admin-session", now + timedelta(seconds=200))


def assert_parent_first(aws, sandbox, admin: str, deploy: str, mfa_key: str) -> None:
    calls = aws.injector.calls("AssumeRole")
    assert [c.params["RoleArn"] for c in calls] == [admin, deploy]
    assert all("TokenCode" not in c.params for c in calls)
    assert not aws.injector.calls("GetSessionToken")
    assert calls[0].access_key_id == mfa_key  # prod-admin from work's MFA session
    # deploy from prod-admin's *new* session, not the one about to expire
    assert calls[1].access_key_id == read_credentials(sandbox)["prod-admin-session"][
        "aws_access_key_id"]


# ------------------------------------------------------------------ the 1-hour cap
def test_chain_cap_note_is_said_once_per_role_per_service(aws, chain, sandbox_home, capsys):
    """watch and the TUI keep one service for their whole life: the note comes with the
    first renewal of each role, not with every hourly one."""
    chain("duration_seconds = 7200\n")
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    from tui.engine.profiles.catalog import Paths
    from tui.engine.sessions.service import SessionService

    service = SessionService(Paths(sandbox_home.credentials, sandbox_home.config,
                                   sandbox_home.settings))
    first = service.assume("deploy", no_code_needed())
    assert sum("1 hour" in n for n in first.notes) == 2  # prod-admin (renewed first), deploy
    assert "renewed prod-admin-session first" in first.notes
    again = service.assume("deploy", no_code_needed())
    parent = service.assume("prod-admin", no_code_needed())
    assert not [n for n in again.notes + parent.notes if "1 hour" in n]
    assert [c.params["DurationSeconds"] for c in aws.injector.calls("AssumeRole")] == \
        ["3600"] * 4


def test_chain_cap_note_is_said_once_per_command_run(aws, chain, sandbox_home, capsys):
    chain("duration_seconds = 7200\n")
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    code, _, err = run(capsys, "assume", "deploy")
    assert code == 0, err
    assert err.count("1 hour") == 2 and "prod-admin gets 3600 s, not the 7200 s" in err
    code, _, err = run(capsys, "assume", "deploy")  # a new run: said again, once
    assert code == 0 and err.count("1 hour") == 1 and "deploy gets 3600 s" in err


# ------------------------------------------------------------------ watch
def test_watch_once_refreshes_each_role_after_its_parent(aws, chain, sandbox_home, capsys):
    admin, deploy = chain()
    due_chain(sandbox_home, datetime.now(UTC))
    mfa_key = read_credentials(sandbox_home)["work-mfa"]["aws_access_key_id"]
    code, _, err = run(capsys, "watch", "--once")
    assert code == 0, err
    assert err.index("prod-admin-session updated") < err.index("deploy-session updated")
    assert_parent_first(aws, sandbox_home, admin, deploy, mfa_key)


def test_watch_once_names_a_broken_chain_once_and_fails(aws, make_user, sandbox_home, capsys):
    make_user("alice", profile="work")
    sandbox_home.config.write_text(
        "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/A\nsource_profile = b\n"
        "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/B\nsource_profile = a\n"
        "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/D\n"
        "source_profile = prod-admin\n"
        "[profile prod-admin]\nrole_arn = arn:aws:iam::123456789012:role/P\n"
        "source_profile = wrok\n"
    )
    add_session(sandbox_home.credentials, "work-mfa", datetime.now(UTC) + timedelta(hours=8))
    code, _, err = run(capsys, "watch", "--once")
    assert code == 2, err
    assert err.count("a, b: role chain a -> b -> a has a cycle") == 1
    assert "role chain deploy -> prod-admin -> wrok: source profile `wrok` doesn't exist" in err
    assert "Traceback" not in err and not aws.injector.calls("AssumeRole")
    code, out, _ = run(capsys, "status")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:]
            if not line.lstrip().startswith("!")] == ["work", "a", "b", "deploy", "prod-admin"]
    assert "! role chain prod-admin -> wrok: source profile `wrok` doesn't exist" in out


# ------------------------------------------------------------------ TUI
async def test_tui_lists_the_chain_under_its_root_indented_by_depth(aws, chain, sandbox_home,
                                                                  clock):
    chain()
    due_chain(sandbox_home, START + timedelta(hours=2))  # all fresh: nothing refreshes
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = table_rows(app)
        assert list(rows) == ["work", "prod-admin", "deploy"]
        assert [rows[n]["profile"].rstrip() for n in rows] == [
            "work", "└ prod-admin", "  └ deploy"]
        assert "  └ deploy" in screen_text(app)
        assert not aws.injector.calls("AssumeRole")


async def test_tui_auto_refresh_renews_each_role_after_its_parent(aws, chain, sandbox_home,
                                                                 clock):
    admin, deploy = chain()
    due_chain(sandbox_home, START)
    mfa_key = read_credentials(sandbox_home)["work-mfa"]["aws_access_key_id"]
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for _ in range(3):  # ticks: a role held for its parent is looked at again
            clock.advance(seconds=1)
            app.clock_tick()
            await settle(app, pilot)
        assert_parent_first(aws, sandbox_home, admin, deploy, mfa_key)
        rows = table_rows(app)
        assert rows["prod-admin"]["state"] == "fresh" and rows["deploy"]["state"] == "fresh"


async def test_tui_shows_a_broken_chain_as_one_line_naming_it(aws, make_user, sandbox_home,
                                                              clock):
    make_user("alice", profile="work")
    sandbox_home.config.write_text(
        "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/D\n"
        "source_profile = prod-admin\n"
        "[profile prod-admin]\nrole_arn = arn:aws:iam::123456789012:role/P\n"
        "source_profile = wrok\n"
    )
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(app, pilot)
        rows = table_rows(app)
        assert list(rows) == ["work", "deploy", "prod-admin"]
        assert rows["deploy"]["state"] == "blocked"
        await pilot.press("j")
        await settle(app, pilot)
        assert ("role chain deploy -> prod-admin -> wrok: source profile `wrok` doesn't "
                "exist") in html.unescape(screen_text(app))
        await pilot.press("r")
        await settle(app, pilot)
        assert not aws.injector.calls("AssumeRole")
