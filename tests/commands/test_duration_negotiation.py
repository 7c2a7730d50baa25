"""Durations that negotiate, against the emulator. moto accepts any duration, so AWS's
real ValidationError is injected at the HTTP layer for exactly the requests AWS refuses
(a DurationSeconds over the role's MaxSessionDuration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.app import add_config
from tests.support.cli import read_credentials, run
from tests.support.sandbox import sandbox_service
from tui.engine.credential_values import parse_expiration
from tui.engine.errors import UsageError
from tui.engine.mfa.codes import FixedCode
from tui.engine.secret import Secret

#: AWS's own text for AssumeRole with DurationSeconds over the role's MaxSessionDuration.
OVER_MAX = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


def over_an_hour(params: dict[str, str]) -> bool:
    return int(params.get("DurationSeconds", "3600")) > 3600


@pytest.fixture
def capped_role(aws, make_user, sandbox_home):
    """`admin`: a role whose MaxSessionDuration is 1 hour, asked for 12 in ~/.aws/config;
    AWS's refusal of anything longer is injected (moto doesn't enforce it)."""
    user = make_user("alice", profile="work")
    arn = make_user.iam.create_role(RoleName="Admin", AssumeRolePolicyDocument="{}",
                                    MaxSessionDuration=3600)["Role"]["Arn"]
    add_config(sandbox_home.config, f"[profile work]\nmfa_serial = {user.serial}")
    add_config(sandbox_home.config, f"[profile admin]\nrole_arn = {arn}\n"
               "source_profile = work\nduration_seconds = 43200")
    aws.injector.add("AssumeRole", code="ValidationError", message=OVER_MAX, times=-1,
                     when=over_an_hour)
    return arn


def hours_left(sandbox, section: str) -> float:
    expires = parse_expiration(read_credentials(sandbox)[section]["expiration"])
    assert expires is not None
    return (expires - datetime.now(UTC)) / timedelta(hours=1)


def test_a_role_capped_at_an_hour_asked_for_twelve_gets_one_hour_with_one_code(
        aws, capped_role, sandbox_home, capsys):
    code, _, err = run(capsys, "assume", "admin", "--token-code", "123456")
    assert code == 0, err
    calls = aws.injector.calls("AssumeRole")
    assert len(calls) == 1  # one call, with the code, at the length the role allows
    assert calls[0].params["TokenCode"] == "123456"
    assert calls[0].params["DurationSeconds"] == "3600"
    assert not aws.injector.calls("GetSessionToken")  # no second code anywhere
    assert 0.95 < hours_left(sandbox_home, "admin-session") <= 1.0
    notes = [line for line in err.splitlines() if "MaxSessionDuration" in line]
    assert len(notes) == 1, err
    assert "3600" in notes[0] and "43200" in notes[0]


def test_without_get_role_a_spent_code_is_not_sent_again(aws, capped_role, sandbox_home,
                                                         capsys):
    """IAM won't say (another account's role): the 12-hour call with the code is refused;
    `--token-code` has no second code, so nothing is retried and the error says what to
    set."""
    aws.injector.add("GetRole", code="AccessDenied", message="not authorized", times=-1)
    code, _, err = run(capsys, "assume", "admin", "--token-code", "123456")
    assert code == 2, err
    assert len(aws.injector.calls("AssumeRole")) == 1
    assert "duration_seconds = 3600" in err and "next code" in err
    assert "admin-session" not in read_credentials(sandbox_home)


def test_a_second_code_from_the_code_source_makes_the_retry(aws, capped_role, sandbox_home):
    """A source that can give the next code (a person, an mfa_command) is asked once."""
    aws.injector.add("GetRole", code="AccessDenied", message="not authorized", times=-1)

    class NextCodes(FixedCode):
        def __init__(self) -> None:
            super().__init__(Secret("123456"))
            self.codes = iter(["123456", "234567"])

        def get_code(self, request):  # type: ignore[override]
            return Secret(next(self.codes))

    service = sandbox_service(sandbox_home)
    result = service.assume("admin", NextCodes())
    calls = aws.injector.calls("AssumeRole")
    assert [(c.params["TokenCode"], c.params["DurationSeconds"]) for c in calls] == [
        ("123456", "43200"), ("234567", "3600")]
    assert sum("asked again for 3600 s" in note for note in result.notes) == 1


def test_without_a_code_the_refused_call_is_retried_once_shorter(aws, capped_role,
                                                                 sandbox_home):
    """From long-term keys without MFA (`skip`), nothing is spent: one retry, 1 hour."""
    aws.injector.add("GetRole", code="AccessDenied", message="not authorized", times=-1)
    service = sandbox_service(sandbox_home)
    result = service.assume("admin", FixedCode(Secret("skip")))
    calls = aws.injector.calls("AssumeRole")
    assert [c.params["DurationSeconds"] for c in calls] == ["43200", "3600"]
    assert all("TokenCode" not in c.params for c in calls)
    assert 0.95 < hours_left(sandbox_home, "admin-session") <= 1.0
    # said once per role per service
    again = service.assume("admin", FixedCode(Secret("skip")))
    assert sum("asked again" in n for n in result.notes) == 1
    assert not any("asked again" in n for n in again.notes)


def test_a_chain_asks_for_an_hour_up_front(aws, capped_role, sandbox_home, capsys):
    """From a valid MFA session the 1-hour chain cap is known: no GetRole, no refusal."""
    assert run(capsys, "refresh", "work", "--token-code", "123456")[0] == 0
    code, _, err = run(capsys, "assume", "admin")
    assert code == 0, err
    calls = aws.injector.calls("AssumeRole")
    assert [c.params["DurationSeconds"] for c in calls] == ["3600"]
    assert not aws.injector.calls("GetRole")


def test_a_refused_call_with_a_code_never_retries_with_it(aws, capped_role, sandbox_home):
    aws.injector.add("GetRole", code="AccessDenied", message="not authorized", times=-1)
    service = sandbox_service(sandbox_home)
    with pytest.raises(UsageError, match="nothing was saved"):
        service.assume("admin", FixedCode(Secret("123456")))
    assert [c.params.get("TokenCode") for c in aws.injector.calls("AssumeRole")] == ["123456"]
