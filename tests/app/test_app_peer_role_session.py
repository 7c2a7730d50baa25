"""The TUI lists aws-mfa's role session (`assumed_role = True` in its identity's section)
as a role under that identity, and renews it once, as that role."""

from __future__ import annotations

from datetime import datetime, timedelta

from botocore.configloader import raw_config_parse

from tests.support.app import SIZE, START, make_service, settle, table_rows
from tui.app.app import AwsMfaApp
from tui.app.screens.main import MainScreen
from tui.app.screens.mfa_code_modal import MfaCodeModal

ROLE = "arn:aws:iam::123456789012:role/Admin"


def write_role_session(sandbox, key_id: str, secret: str, serial: str,
                       expires: datetime) -> None:
    """[work-long-term]'s keys, and the role session `aws-mfa --assume-role` left in [work]."""
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    sandbox.credentials.write_text(
        f"[work-long-term]\naws_access_key_id = {key_id}\n"
        f"aws_secret_access_key = {secret}\naws_mfa_device = {serial}\n\n"
        f"[work]\nassumed_role = True\nassumed_role_arn = {ROLE}\n"
        "aws_access_key_id = ASIA0000000000000000\naws_secret_access_key = S\n"
        "aws_session_token = T\naws_security_token = T\n"
        f"expiration = {expires.strftime('%Y-%m-%d %H:%M:%S')}\n")


async def test_aws_mfa_role_session_is_a_role_row(sandbox_home, clock, bells):
    write_role_session(sandbox_home, "AKIA0000000000000000", "LONGTERM",
                       "arn:aws:iam::123456789012:mfa/alice", START + timedelta(minutes=40))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = table_rows(app)
        assert list(rows) == ["work-long-term", "work"]
        assert rows["work"]["profile"] == "└ work" and rows["work"]["target"] == "work"
        assert rows["work"]["left"] == "0:40:00"
        kinds = {row.name: row.kind for row in app.main_screen.table.rows_shown}
        assert kinds["work"] == "role"


async def test_refresh_due_renews_the_role_session_with_one_code(sandbox_home, clock,
                                                                 make_user, aws):
    """Its identity's row and the role's row name one section: `a` asks for one code and
    renews it once, as the role."""
    user = make_user("alice", write_profile=False)
    write_role_session(sandbox_home, user.access_key_id, user.secret_access_key, user.serial,
                       START - timedelta(minutes=1))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, MfaCodeModal)
        await pilot.press(*"123456")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert len(aws.injector.calls("AssumeRole")) == 1
        assert not aws.injector.calls("GetSessionToken")
    section = raw_config_parse(str(sandbox_home.credentials))["work"]
    assert section["assumed_role"] == "True" and section["assumed_role_arn"] == ROLE
