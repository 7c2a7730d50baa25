"""The TUI lists aws-mfa's role session (`assumed_role = True` in its identity's section)
as a role under that identity."""

from __future__ import annotations

from datetime import timedelta

from tests.support.app import SIZE, START, make_service, settle, table_rows
from tui.app.app import AwsMfaApp

ROLE = "arn:aws:iam::123456789012:role/Admin"


async def test_aws_mfa_role_session_is_a_role_row(sandbox_home, clock, bells):
    sandbox_home.aws_dir.mkdir(mode=0o700, exist_ok=True)
    expires = (START + timedelta(minutes=40)).strftime("%Y-%m-%d %H:%M:%S")
    sandbox_home.credentials.write_text(
        "[work-long-term]\naws_access_key_id = AKIA0000000000000000\n"
        "aws_secret_access_key = LONGTERM\n"
        "aws_mfa_device = arn:aws:iam::123456789012:mfa/alice\n\n"
        f"[work]\nassumed_role = True\nassumed_role_arn = {ROLE}\n"
        "aws_access_key_id = ASIA0000000000000000\naws_secret_access_key = S\n"
        f"aws_session_token = T\naws_security_token = T\nexpiration = {expires}\n")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        rows = table_rows(app)
        assert list(rows) == ["work-long-term", "work"]
        assert rows["work"]["profile"] == "└ work" and rows["work"]["target"] == "work"
        assert rows["work"]["left"] == "0:40:00"
        kinds = {row.name: row.kind for row in app.main_screen.table.rows_shown}
        assert kinds["work"] == "role"
