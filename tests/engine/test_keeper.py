"""The Keeper, with a clock the test moves and no app: what is due, in what order, decided
once per expiry, backoff after failures, the next wake-up, and the cost of a call."""

from __future__ import annotations

from datetime import timedelta

from tests.support.app import START, add_config, add_session
from tests.support.sandbox import sandbox_service
from tui.engine.profiles.status import StatusRow
from tui.engine.sessions.keeper import FIRST_RETRY, REFUSED_RETRY, Keeper
from tui.engine.sessions.schedule import SessionState

LEAD = 300


def rows_of(sandbox, clock) -> list[StatusRow]:
    return sandbox_service(sandbox, clock=clock).status()


def identities(sandbox, *names_and_minutes: tuple[str, float], command: bool = False) -> None:
    """Identity profiles, each with an MFA session ending in that many minutes."""
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    sandbox.credentials.write_text("".join(
        f"[{name}]\naws_access_key_id = AKIA{name.upper():0<16}\n"
        "aws_secret_access_key = secret\n\n" for name, _ in names_and_minutes))
    for name, minutes in names_and_minutes:
        add_session(sandbox.credentials, f"{name}-mfa", START + timedelta(minutes=minutes))
    if command:
        sandbox.settings.parent.mkdir(parents=True, exist_ok=True)
        sandbox.settings.write_text('mfa_command = "print-code"\n')


def test_due_once_per_expiry_and_again_for_a_new_session(sandbox_home, clock):
    identities(sandbox_home, ("work", 30), ("home", 60), command=True)
    keeper = Keeper(LEAD)
    keeper.update(rows_of(sandbox_home, clock), clock.now)
    assert keeper.due(clock.now) == []
    assert keeper.next_wakeup(clock.now) == START + timedelta(minutes=25)
    clock.now = START + timedelta(minutes=25)
    due = keeper.due(clock.now)
    assert [(r.name, r.alone, r.first_look, r.retry) for r in due] == [
        ("work", True, False, False)]
    assert due[0].entry.state is SessionState.EXPIRING
    clock.advance(seconds=1)
    assert keeper.due(clock.now) == []  # decided already for this expiry
    # a new session for work (another process renewed it): fresh, nothing due
    identities(sandbox_home, ("work", 120), ("home", 60), command=True)
    keeper.update(rows_of(sandbox_home, clock), clock.now)
    assert keeper.due(clock.now) == []
    assert keeper.next_wakeup(clock.now) == START + timedelta(minutes=55)
    clock.now = START + timedelta(minutes=115)  # the new session's own lead time
    assert [r.name for r in keeper.due(clock.now)] == ["home", "work"]


def test_a_row_needing_a_code_is_offered_once_and_named_in_the_title(sandbox_home, clock):
    identities(sandbox_home, ("work", 3), ("home", 1))
    keeper = Keeper(LEAD)
    keeper.update(rows_of(sandbox_home, clock), clock.now)
    due = keeper.due(clock.now)
    assert {(r.name, r.alone, r.first_look) for r in due} == {
        ("work", False, True), ("home", False, True)}
    assert keeper.needs_code == {"work", "home"}
    assert keeper.soonest_needing_code(clock.now) == ("home", timedelta(minutes=1))
    clock.now = START + timedelta(minutes=2)  # home ended: work is the first still running
    assert keeper.soonest_needing_code(clock.now) == ("work", timedelta(minutes=1))
    keeper.succeeded("work")
    assert keeper.needs_code == {"home"}
    clock.now = START + timedelta(minutes=5)
    assert keeper.soonest_needing_code(clock.now) == ("home", timedelta(minutes=-4))


def test_parents_first_and_busy_rows_held(sandbox_home, clock):
    identities(sandbox_home, ("work", 3), command=True)
    add_config(sandbox_home.config, "[profile deploy]\nrole_arn = arn:aws:iam::1:role/D\n"
               "source_profile = prod")
    add_config(sandbox_home.config, "[profile prod]\nrole_arn = arn:aws:iam::1:role/P\n"
               "source_profile = work-mfa")
    add_session(sandbox_home.credentials, "deploy-session", START + timedelta(minutes=2))
    add_session(sandbox_home.credentials, "prod-session", START + timedelta(minutes=4))
    keeper = Keeper(LEAD)
    keeper.update(rows_of(sandbox_home, clock), clock.now)
    assert [r.name for r in keeper.due(clock.now, busy={"prod"})] == ["work", "deploy"]
    clock.advance(seconds=1)
    assert [r.name for r in keeper.due(clock.now)] == ["prod"]  # held, looked at again


def test_backoff_after_failures_and_the_retry(sandbox_home, clock):
    identities(sandbox_home, ("work", 3), command=True)
    keeper = Keeper(LEAD)
    keeper.update(rows_of(sandbox_home, clock), clock.now)
    assert [r.name for r in keeper.due(clock.now)] == ["work"]
    delays = []
    for _ in range(3):
        delays.append(keeper.failed("work", clock.now))
        assert keeper.next_wakeup(clock.now) == clock.now + timedelta(seconds=delays[-1])
        clock.advance(seconds=delays[-1] - 1)
        assert keeper.due(clock.now) == []
        clock.advance(seconds=1)
        due = keeper.due(clock.now)
        assert [(r.name, r.retry) for r in due] == [("work", True)]
    assert delays == [FIRST_RETRY, 2 * FIRST_RETRY, 4 * FIRST_RETRY]
    assert keeper.failed("work", clock.now, transient=False) >= REFUSED_RETRY
    keeper.succeeded("work")
    assert keeper.failed("work", clock.now) == FIRST_RETRY  # starts over


def test_a_refused_code_waits_for_the_next_code(sandbox_home, clock):
    identities(sandbox_home, ("work", 3), command=True)
    keeper = Keeper(LEAD)
    keeper.update(rows_of(sandbox_home, clock), clock.now)
    keeper.due(clock.now)
    clock.now = START + timedelta(seconds=2)  # 28 s left in this 30-second step
    assert keeper.failed("work", clock.now, code_refused=True) == 29.0


def test_a_chain_end_asks_for_the_rows_again(sandbox_home, clock):
    identities(sandbox_home, ("work", 20))
    add_config(sandbox_home.config, "[profile prod]\nrole_arn = arn:aws:iam::1:role/P\n"
               "source_profile = work-mfa")
    add_session(sandbox_home.credentials, "prod-session", START + timedelta(minutes=50))
    keeper = Keeper(LEAD)
    keeper.update(rows_of(sandbox_home, clock), clock.now)
    chain_end = START + timedelta(minutes=19)  # work's session, less the chaining margin
    assert keeper.next_wakeup(clock.now + timedelta(minutes=16)) <= chain_end
    assert not keeper.reread_due(chain_end - timedelta(seconds=1))
    assert keeper.reread_due(chain_end)
    assert not keeper.reread_due(chain_end)  # said once


def test_missing_sessions_only_when_asked(sandbox_home, clock):
    identities(sandbox_home, ("work", 60), command=True)
    add_config(sandbox_home.config, "[profile prod]\nrole_arn = arn:aws:iam::1:role/P\n"
               "source_profile = work-mfa")
    rows = rows_of(sandbox_home, clock)
    tui, watch = Keeper(LEAD), Keeper(LEAD, start_missing=True)
    for keeper in (tui, watch):
        keeper.update(rows, clock.now)
    assert tui.due(clock.now) == []
    assert [r.name for r in watch.due(clock.now)] == ["prod"]


class CountedRows(list):
    def __init__(self, rows) -> None:
        super().__init__(rows)
        self.scans = 0

    def __iter__(self):
        self.scans += 1
        return super().__iter__()


def test_a_call_looks_at_what_changed_not_every_row(sandbox_home, clock):
    from tests.support.app import write_many

    write_many(sandbox_home)
    rows = CountedRows(rows_of(sandbox_home, clock))
    keeper = Keeper(LEAD)
    keeper.update(rows, clock.now)
    keeper.due(clock.now)
    rows.scans = 0
    for _ in range(10):
        clock.advance(seconds=1)
        keeper.due(clock.now)
        keeper.soonest_needing_code(clock.now)
    assert rows.scans == 0
    assert keeper.needs_code == {"p1999"}  # entered its lead time meanwhile


def test_the_next_wakeup_with_nothing_known_or_nothing_looked_at(sandbox_home, clock):
    keeper = Keeper(LEAD)
    assert keeper.next_wakeup(clock.now) is None  # no rows yet (the file didn't parse)
    identities(sandbox_home, ("work", 60))
    keeper.update(rows_of(sandbox_home, clock), clock.now)
    assert keeper.next_wakeup(clock.now) == clock.now  # not looked at yet: now
    keeper.due(clock.now)
    assert keeper.next_wakeup(clock.now) == START + timedelta(minutes=55)
