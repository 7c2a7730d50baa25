"""Errors a person sees: one line each, never a code or secret, and an exit code per kind
that scripts can rely on (the README's table lists the same codes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui.engine import errors
from tui.engine.errors import (
    EXIT_CODES,
    AwsAuthError,
    AwsMfaError,
    AwsReplyError,
    AwsUnavailableError,
    ClockSkewError,
    CredentialsFileError,
    LockTimeoutError,
    MfaCodeError,
    RotationError,
    SettingsError,
    UsageError,
    unusable_reply,
)

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize(("kind", "code", "transient"), [
    (AwsMfaError, 1, False), (UsageError, 2, False), (CredentialsFileError, 3, False),
    (LockTimeoutError, 3, False), (SettingsError, 3, False), (MfaCodeError, 4, False),
    (AwsAuthError, 5, False), (AwsUnavailableError, 6, True), (AwsReplyError, 6, True),
    (ClockSkewError, 6, True), (RotationError, 7, False),
])
def test_each_kind_has_its_exit_code(kind, code, transient):
    assert kind.exit_code == code and kind.transient is transient
    assert code in EXIT_CODES


def test_every_error_class_is_in_the_table():
    kinds = [v for v in vars(errors).values()
             if isinstance(v, type) and issubclass(v, AwsMfaError)]
    assert {k.exit_code for k in kinds} | {0, 130} == set(EXIT_CODES)


def test_the_readme_lists_the_same_exit_codes():
    table = README.read_text().split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    listed = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert listed == set(EXIT_CODES)


def test_a_message_is_one_line_and_carries_no_code():
    error = UsageError("bad value\n  on line 3\r\n\tfor code 246813")
    assert str(error) == error.message == "bad value on line 3 for code ****"


def test_an_unusable_reply_says_so():
    error = unusable_reply("it holds no credentials")
    assert isinstance(error, AwsReplyError) and error.transient
    assert str(error) == "AWS sent a reply that can't be used: it holds no credentials"
