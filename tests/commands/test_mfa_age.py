"""The second clock: the recorded times of each session (when we got it, when its MFA was
used), `max_mfa_age` in `status`, `--short`, `--json`, the due path with a movable clock,
and the TUI's bell before the session expires.

Sessions written by hand carry a record (`aws_mfa_tui_times`) as `refresh` writes it;
the real command is checked to write one, and a peer's rewrite to void it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import botocore.session

from tests.support.app import SIZE, START, add_config, make_service, settle, table_rows
from tests.support.cli import cli, read_credentials, run
from tui.app.app import AwsMfaApp
from tui.engine.credential_values import format_expiration, parse_expiration
from tui.engine.mfa.age import TIMES_KEY, SessionTimes, read_times
from tui.engine.mfa.codes import FixedCode
from tui.engine.profiles.catalog import build_catalog, read_config
from tui.engine.secret import Secret
from tui.engine.sessions.schedule import SessionState
from tui.engine.settings import load_settings

KEY = "ASIAWORKSESSION00001"


def write_work(sandbox, *, mfa_ago: timedelta, left: timedelta, now: datetime,
               max_mfa_age: int | None = 3600, record: bool = True,
               user=None) -> None:
    """[work] with keys; [work-mfa] a session got `mfa_ago` with a code, `left` to go."""
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    expires = now + left
    times = SessionTimes(now - mfa_ago, now - mfa_ago)
    line = f"{TIMES_KEY} = {times.record(KEY, expires)}\n" if record else ""
    key_id, secret = (user.access_key_id, user.secret_access_key) if user else (
        "AKIAWORK000000000001", "s")
    sandbox.credentials.write_text(
        f"[work]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n\n"
        f"[work-mfa]\naws_access_key_id = {KEY}\naws_secret_access_key = t\n"
        f"aws_session_token = tok\naws_security_token = tok\n"
        f"expiration = {format_expiration(expires)}\n{line}")
    sandbox.settings.parent.mkdir(parents=True, exist_ok=True)
    sandbox.settings.write_text(
        f"[profiles.work]\nmax_mfa_age = {max_mfa_age}\n" if max_mfa_age else "")


def catalog_of(sandbox):
    from tui.engine.credentials_file.store import CredentialsStore

    return build_catalog(CredentialsStore(sandbox.credentials).read(),
                         read_config(sandbox.config), load_settings(sandbox.settings))


# ------------------------------------------------------------------ the record
def test_refresh_records_when_and_with_which_session(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    before = datetime.now(UTC).replace(microsecond=0)
    done = cli("refresh", "work", "--token-code", "123456")
    assert done.returncode == 0, done.stderr
    section = read_credentials(sandbox_home)["work-mfa"]  # botocore parses it
    expires = parse_expiration(section["expiration"])
    times = read_times(section[TIMES_KEY], section["aws_access_key_id"], expires)
    assert times is not None and times.mfa_at == times.issued_at
    assert before <= times.issued_at <= datetime.now(UTC)
    # botocore ignores the line: the profile still resolves to the session
    session = botocore.session.Session(profile="work-mfa")
    assert session.get_credentials().token == section["aws_session_token"]


def test_a_peer_rewrite_voids_the_record(sandbox_home):
    """aws-iam-login rewrites the key id, secret, token and expiry, and leaves our line:
    the record no longer matches the session, so it is ignored (no clock, no bar length)."""
    write_work(sandbox_home, mfa_ago=timedelta(minutes=50), left=timedelta(hours=11),
               now=datetime.now(UTC))
    assert catalog_of(sandbox_home).identity("work").session.times is not None
    text = sandbox_home.credentials.read_text()
    for old, new in ((KEY, "ASIAPEERSESSION00002"),):
        text = text.replace(f"aws_access_key_id = {old}", f"aws_access_key_id = {new}")
    sandbox_home.credentials.write_text(text)
    assert catalog_of(sandbox_home).identity("work").session.times is None
    # the same key id with another expiry (moto's fixed keys) is voided too
    write_work(sandbox_home, mfa_ago=timedelta(minutes=50), left=timedelta(hours=11),
               now=datetime.now(UTC))
    text = sandbox_home.credentials.read_text().splitlines()
    text = [f"expiration = {format_expiration(datetime.now(UTC) + timedelta(hours=6))}"
            if line.startswith("expiration") else line for line in text]
    sandbox_home.credentials.write_text("\n".join(text) + "\n")
    assert catalog_of(sandbox_home).identity("work").session.times is None


def test_a_role_session_carries_the_moment_of_the_mfa_it_comes_from(aws, make_user,
                                                                     sandbox_home):
    user = make_user("alice", profile="work")
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}")[
        "Role"]["Arn"]
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {user.serial}")
    add_config(sandbox_home.config, f"[profile admin]\nrole_arn = {arn}\nsource_profile = work")
    assert cli("refresh", "work", "--token-code", "123456").returncode == 0
    creds = read_credentials(sandbox_home)
    mfa_session = creds["work-mfa"]
    source = read_times(mfa_session[TIMES_KEY], mfa_session["aws_access_key_id"],
                        parse_expiration(mfa_session["expiration"]))
    done = cli("assume", "admin")
    assert done.returncode == 0, done.stderr
    role = read_credentials(sandbox_home)["admin-session"]
    times = read_times(role[TIMES_KEY], role["aws_access_key_id"],
                       parse_expiration(role["expiration"]))
    assert source is not None and times is not None
    assert times.mfa_at == source.mfa_at  # carried, not the moment of AssumeRole
    assert times.issued_at >= source.issued_at


# ------------------------------------------------------------------ status
def test_status_short_and_json_show_the_mfa_clock(sandbox_home, capsys):
    now = datetime.now(UTC)
    write_work(sandbox_home, mfa_ago=timedelta(minutes=50), left=timedelta(hours=11), now=now)
    code, out, _ = run(capsys, "status")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("work "))
    assert " MFA 0:09:" in line or " MFA 0:10:00" in line, out
    assert format_expiration(now + timedelta(hours=11)) in line  # the session's own expiry
    code, out, _ = run(capsys, "status", "--short")
    assert out.startswith("work MFA 0:09:") or out.startswith("work MFA 0:10:00"), out
    code, out, _ = run(capsys, "status", "--json")
    row = json.loads(out)[0]
    assert row["clock"] == "mfa" and row["state"] == "fresh"
    assert 590 <= row["seconds_left"] <= 600
    assert row["expiration"] == format_expiration(now + timedelta(hours=11))
    assert row["mfa_expires"] == format_expiration(now + timedelta(minutes=10))


def test_without_max_mfa_age_the_session_clock_stays(sandbox_home, capsys):
    write_work(sandbox_home, mfa_ago=timedelta(minutes=50), left=timedelta(hours=11),
               now=datetime.now(UTC), max_mfa_age=None)
    _, out, _ = run(capsys, "status", "--json")
    row = json.loads(out)[0]
    assert row["clock"] == "session" and row["mfa_expires"] is None
    assert row["seconds_left"] > 10 * 3600


def test_past_the_age_short_says_so_before_expiry(sandbox_home, capsys):
    write_work(sandbox_home, mfa_ago=timedelta(hours=2), left=timedelta(hours=10),
               now=datetime.now(UTC))
    _, out, _ = run(capsys, "status", "--short")
    assert out.strip() == "work !MFA expired"


# ------------------------------------------------------------------ due, with a moved clock
def test_due_follows_the_mfa_clock(sandbox_home, clock):
    write_work(sandbox_home, mfa_ago=timedelta(0), left=timedelta(hours=12), now=START)
    service = make_service(sandbox_home, clock)
    steps = [(timedelta(minutes=50), SessionState.FRESH),
             (timedelta(minutes=56), SessionState.EXPIRING),  # lead time 300 s
             (timedelta(minutes=61), SessionState.EXPIRED)]
    for offset, state in steps:
        clock.now = START + offset
        row = service.status()[0]
        assert (row.state, row.clock) == (state, "mfa"), offset
        assert row.entry.next_action_at == max(clock.now, START + timedelta(minutes=55))
    assert row.expiration == START + timedelta(hours=12)  # the session itself still valid


def test_renew_past_the_age_asks_for_a_code(aws, make_user, sandbox_home, clock):
    """refresh without --force leaves a fresh session alone, but not one past its MFA age."""
    user = make_user("alice", profile="work")
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {user.serial}")
    service = make_service(sandbox_home, clock)
    clock.now = datetime.now(UTC)
    service.refresh("work", FixedCode(Secret("123456")))
    settings = sandbox_home.settings
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text("[profiles.work]\nmax_mfa_age = 3600\n")
    service.reload_settings()
    assert service.renew("work", FixedCode(Secret("234567")), force=False).skipped
    clock.advance(minutes=58)
    result = service.renew("work", FixedCode(Secret("345678")), force=False)
    assert not result.skipped
    calls = aws.injector.calls("GetSessionToken")
    assert [c.params.get("TokenCode") for c in calls] == ["123456", "345678"]


def test_a_role_can_not_chain_from_mfa_too_old_for_it(sandbox_home, clock):
    """[profiles.admin] max_mfa_age: its trust policy wants MFA within the hour. The MFA
    session is still valid, but its MFA is 2 hours old: assuming admin needs a code."""
    write_work(sandbox_home, mfa_ago=timedelta(hours=2), left=timedelta(hours=10),
               now=START, max_mfa_age=None)
    add_config(sandbox_home.config, "[profile admin]\nrole_arn = arn:aws:iam::123456789012:"
               "role/Admin\nsource_profile = work")
    service = make_service(sandbox_home, clock)
    clock.now = START
    assert not service.needs_code("admin")
    sandbox_home.settings.write_text("[profiles.admin]\nmax_mfa_age = 3600\n")
    service.reload_settings()
    assert service.needs_code("admin")
    row = {r.name: r for r in service.status()}["admin"]
    assert row.code_mode == "code"


# ------------------------------------------------------------------ the TUI
async def test_tui_rings_at_the_mfa_lead_time_long_before_expiry(sandbox_home, clock, bells):
    write_work(sandbox_home, mfa_ago=timedelta(0), left=timedelta(hours=12), now=START)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        clock.now = START + timedelta(minutes=50)
        app.clock_tick()
        await settle(app, pilot)
        row = table_rows(app)["work"]
        assert row["state"] == "fresh" and row["left"] == "MFA 0:10:00", row
        assert not bells
        clock.now = START + timedelta(minutes=56)
        app.clock_tick()
        await settle(app, pilot)
        row = table_rows(app)["work"]
        assert row["state"] == "needs code" and row["left"] == "MFA 0:04:00", row
        assert len(bells) == 1


def test_watch_once_renews_a_session_past_its_mfa_age(aws, make_user, sandbox_home, tmp_path):
    """Valid for 10 more hours, but its MFA is 2 hours old and policies want it within 1:
    `watch --once` treats it as due and renews it with the mfa_command's code."""
    alice = make_user("alice", profile="work", write_profile=False)
    write_work(sandbox_home, mfa_ago=timedelta(hours=2), left=timedelta(hours=10),
               now=datetime.now(UTC), user=alice)
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {alice.serial}")
    code = tmp_path / "code"
    code.write_text("#!/bin/sh\necho 424242\n")
    code.chmod(0o755)
    sandbox_home.settings.write_text(
        f'mfa_command = "{code}"\n[profiles.work]\nmax_mfa_age = 3600\n')
    done = cli("watch", "--once")
    assert done.returncode == 0, done.stderr
    assert [c.params["TokenCode"] for c in aws.injector.calls("GetSessionToken")] == ["424242"]
    section = read_credentials(sandbox_home)["work-mfa"]
    assert section["aws_access_key_id"] != KEY


def test_a_peer_session_bar_is_never_over_full(sandbox_home, clock):
    """No record (a peer wrote it): the configured duration is the estimate of its length,
    and a session longer than that shows a full bar, not more."""
    write_work(sandbox_home, mfa_ago=timedelta(0), left=timedelta(hours=20), now=START,
               max_mfa_age=None, record=False)
    clock.now = START
    row = make_service(sandbox_home, clock).status()[0]
    assert row.lifetime == 43200 and row.entry.fraction_left == 1.0
    write_work(sandbox_home, mfa_ago=timedelta(hours=2), left=timedelta(hours=4), now=START,
               max_mfa_age=None)
    row = make_service(sandbox_home, clock).status()[0]
    assert row.lifetime == 6 * 3600  # the record: got 2 hours ago, 4 to go
    assert abs(row.entry.fraction_left - 4 / 6) < 1e-9


def test_a_role_due_by_its_mfa_age_needs_a_code_not_a_chain(sandbox_home, clock):
    """admin was assumed from work-mfa and carries its MFA moment. In admin's lead time,
    chaining again from work-mfa would carry the same old MFA (and be due at once): it
    needs a code instead, while work-mfa itself (no limit of its own) stays fresh."""
    write_work(sandbox_home, mfa_ago=timedelta(0), left=timedelta(hours=12), now=START,
               max_mfa_age=None)
    add_config(sandbox_home.config, "[profile admin]\nrole_arn = arn:aws:iam::123456789012:"
               "role/Admin\nsource_profile = work")
    expires = START + timedelta(hours=1)
    record = SessionTimes(START, START).record("ASIAROLE", expires)
    with open(sandbox_home.credentials, "a") as handle:
        handle.write(f"\n[admin-session]\naws_access_key_id = ASIAROLE\naws_secret_access_key = r\n"
                     f"aws_session_token = rt\nexpiration = {format_expiration(expires)}\n"
                     f"{TIMES_KEY} = {record}\n")
    sandbox_home.settings.write_text("[profiles.admin]\nmax_mfa_age = 1800\n")
    service = make_service(sandbox_home, clock)
    clock.now = START + timedelta(minutes=20)
    rows = {r.name: r for r in service.status()}
    assert (rows["admin"].clock, rows["admin"].state) == ("mfa", SessionState.FRESH)
    assert rows["admin"].code_mode == "chained"
    clock.now = START + timedelta(minutes=26)  # inside admin's lead time (30 min - 5)
    rows = {r.name: r for r in service.status()}
    assert rows["admin"].state is SessionState.EXPIRING
    assert rows["admin"].code_mode == "code" and service.needs_code("admin")
    assert rows["work"].state is SessionState.FRESH


def test_keeper_offers_a_session_at_its_mfa_lead_time(sandbox_home, clock):
    """The Keeper (the one owner of "what is due"), on a moved clock: a session valid for 12
    hours whose MFA is honoured for 1 is due at 0:55, needs a code, and is offered once."""
    from tui.engine.sessions.keeper import Keeper

    write_work(sandbox_home, mfa_ago=timedelta(0), left=timedelta(hours=12), now=START)
    service = make_service(sandbox_home, clock)
    keeper = Keeper(lead_time=300)
    clock.now = START
    keeper.update(service.status(), clock.now)
    assert keeper.due(clock.now) == []
    assert keeper.next_wakeup(clock.now) == START + timedelta(minutes=55)
    clock.now = START + timedelta(minutes=55, seconds=1)
    due = keeper.due(clock.now)
    assert [(r.name, r.alone, r.entry.state) for r in due] == [
        ("work", False, SessionState.EXPIRING)]
    assert "work" in keeper.needs_code
    assert keeper.due(clock.now + timedelta(seconds=30)) == []  # offered once
