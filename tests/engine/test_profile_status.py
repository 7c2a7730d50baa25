"""Where every profile stands, from the files alone: one row per identity and role, in
tree order, with how each refresh gets its code. No AWS call; the clock is the test's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui.engine.credentials_file.ini_document import IniDocument
from tui.engine.profiles.catalog import build_catalog, read_config
from tui.engine.profiles.status import (
    CodeMode,
    ProfileKind,
    code_needed,
    needs_code,
    session_usable,
    status_rows,
)
from tui.engine.sessions.schedule import RefreshSchedule, SessionState
from tui.engine.settings import parse_settings

NOW = datetime(2030, 1, 2, 12, tzinfo=UTC)
CONFIG = """\
[profile deploy]
role_arn = arn:aws:iam::2:role/Deploy
source_profile = prod
[profile prod]
role_arn = arn:aws:iam::2:role/Admin
source_profile = work-mfa
duration_seconds = 7200
[profile loop-a]
role_arn = arn:aws:iam::2:role/A
source_profile = loop-b
[profile loop-b]
role_arn = arn:aws:iam::2:role/B
source_profile = loop-a
"""


def _session(name: str, left: timedelta) -> str:
    ends = (NOW + left).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f"[{name}]\naws_access_key_id = ASIA{name.upper().replace('-', '')}\n"
            f"aws_secret_access_key = s\naws_session_token = t\nexpiration = {ends}\n\n")


def _catalog(tmp_path, sessions: str = "", settings: dict | None = None):
    credentials = ("[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = s\n\n"
                   "[home]\naws_access_key_id = AKIAHOME\naws_secret_access_key = s\n\n"
                   + sessions)
    config = tmp_path / "config"
    config.write_text(CONFIG)
    return build_catalog(IniDocument.parse(credentials), read_config(config),
                         parse_settings(settings or {}))


def _rows(catalog, discovered=None):
    schedule = RefreshSchedule(lead_time=300, clock=lambda: NOW)
    return {row.name: row for row in status_rows(catalog, schedule, NOW, discovered)}


def test_identities_then_their_roles_as_a_tree_then_the_broken_ones(tmp_path):
    rows = status_rows(_catalog(tmp_path), RefreshSchedule(clock=lambda: NOW), NOW)
    assert [(r.name, r.kind, r.depth, r.parent) for r in rows] == [
        ("work", ProfileKind.IDENTITY, 0, None),
        ("prod", ProfileKind.ROLE, 1, None),
        ("deploy", ProfileKind.ROLE, 2, "prod"),
        ("home", ProfileKind.IDENTITY, 0, None),
        ("loop-a", ProfileKind.ROLE, 1, None),
        ("loop-b", ProfileKind.ROLE, 1, None),
    ]
    assert all(r.blocked and "cycle" in r.blocked for r in rows[-2:])
    assert [r.identity for r in rows[-2:]] == ["", ""]


def test_an_identity_row_says_its_state_its_key_and_where_its_code_comes_from(tmp_path):
    catalog = _catalog(tmp_path, _session("work-mfa", timedelta(hours=2)),
                       {"profiles": {"home": {"mfa_command": "ykman oath code"}}})
    rows = _rows(catalog, discovered={"work": "arn:aws:iam::1:mfa/alice"})
    work, home = rows["work"], rows["home"]
    assert (work.target, work.state, work.code_mode) == ("work-mfa", SessionState.FRESH,
                                                         CodeMode.CODE)
    assert work.access_key_id == "AKIAWORK" and work.mfa_serial == "arn:aws:iam::1:mfa/alice"
    assert work.expiration == NOW + timedelta(hours=2) and not work.refreshes_itself
    assert (home.state, home.code_mode, home.refreshes_itself) == (
        SessionState.NONE, CodeMode.COMMAND, True)
    assert home.mfa_command == "ykman oath code"


def test_a_session_section_holding_long_term_keys_blocks_its_identity(tmp_path):
    catalog = _catalog(tmp_path, settings={"profiles": {"work": {"target": "home"}}})
    work = _rows(catalog)["work"]
    assert work.blocked and "long-term keys" in work.blocked
    assert work.state is SessionState.ERROR


def test_roles_chain_without_a_code_while_the_mfa_session_lasts(tmp_path):
    catalog = _catalog(tmp_path, _session("work-mfa", timedelta(hours=2))
                       + _session("prod-session", timedelta(minutes=30)))
    rows = _rows(catalog)
    prod, deploy = rows["prod"], rows["deploy"]
    # AWS caps a chained session at 1 hour, whatever the role asks for.
    assert prod.code_mode is CodeMode.CHAINED and prod.lifetime == 3600
    assert prod.state is SessionState.FRESH and deploy.code_mode is CodeMode.CHAINED
    assert not code_needed(catalog, catalog.role("prod"), NOW, 300)
    assert not code_needed(catalog, catalog.role("deploy"), NOW, 300)


def test_once_the_mfa_session_ends_a_role_needs_a_code_unless_a_command_gives_it(tmp_path):
    ended = _session("work-mfa", timedelta(seconds=59))  # inside the chain margin
    catalog = _catalog(tmp_path, ended)
    prod = catalog.role("prod")
    assert code_needed(catalog, prod, NOW) and needs_code(catalog, prod, NOW)
    assert _rows(catalog)["prod"].code_mode is CodeMode.CODE
    with_command = _catalog(tmp_path, ended,
                            {"profiles": {"work": {"mfa_command": "ykman oath code"}}})
    assert code_needed(with_command, with_command.role("prod"), NOW)
    assert not needs_code(with_command, with_command.role("prod"), NOW)
    assert _rows(with_command)["prod"].code_mode is CodeMode.COMMAND


def test_a_session_is_usable_for_chaining_only_with_a_minute_left(tmp_path):
    catalog = _catalog(tmp_path, _session("work-mfa", timedelta(seconds=61)))
    session = catalog.identity("work").session
    assert session_usable(session, NOW)
    assert not session_usable(session, NOW + timedelta(seconds=2))
    assert not session_usable(_catalog(tmp_path).identity("work").session, NOW)  # none
