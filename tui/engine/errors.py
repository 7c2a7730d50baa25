"""Errors the user sees: each is one line that says what happened and what to do.

Every error carries the process exit code the command line returns for it, so scripts
can tell a wrong MFA code from a dead network. The codes are documented in the README.
"""

from __future__ import annotations

from tui.engine.redaction import redact


class AwsMfaError(Exception):
    """Base of every error aws-mfa-tui reports to a person. `str(e)` is one line."""

    exit_code = 1
    #: A transient error (network, throttling) that a keeper may retry later.
    transient = False

    def __init__(self, message: str) -> None:
        # One line, always: a stray newline would break status bars and logs. And never a
        # code or a secret, whoever built the message (see `redaction`).
        super().__init__(redact(" ".join(message.split())))

    @property
    def message(self) -> str:
        return str(self)


class UsageError(AwsMfaError):
    """The command was given something it cannot work with (unknown profile, bad flag value)."""

    exit_code = 2


class CredentialsFileError(AwsMfaError):
    """The credentials or config file can't be read, parsed or written. Nothing was changed."""

    exit_code = 3


class LockTimeoutError(CredentialsFileError):
    """Another program held the credentials lock for longer than the timeout."""


class SessionNotSaved(KeyboardInterrupt):
    """Ctrl-C while a granted session waited for the credentials lock. `str(e)` says so."""


class SettingsError(AwsMfaError):
    """The settings TOML is invalid. The message names the key."""

    exit_code = 3


class MfaCodeError(AwsMfaError):
    """No usable MFA code: none could be obtained, it was malformed, or AWS rejected it."""

    exit_code = 4


class AwsAuthError(AwsMfaError):
    """AWS refused the credentials or the action (invalid key, access denied, wrong serial)."""

    exit_code = 5


class AwsUnavailableError(AwsMfaError):
    """AWS could not be reached or asked us to slow down. Worth retrying later."""

    exit_code = 6
    transient = True


class AwsReplyError(AwsUnavailableError):
    """What answered was not a usable AWS reply: not XML, a web page, a session that is
    empty, oversized or already expired. Nothing was written. Often a captive portal or a
    proxy, so worth retrying later."""


def unusable_reply(why: str) -> AwsReplyError:
    return AwsReplyError(f"AWS sent a reply that can't be used: {why}")


class ClockSkewError(AwsMfaError):
    """The request was signed with a clock too far from AWS's."""

    exit_code = 6
    transient = True


class RotationError(AwsMfaError):
    """Key rotation stopped. The message says which key, if any, needs attention."""

    exit_code = 7


#: Exit codes in one place for the README and `--help`.
EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "unexpected error",
    2: "usage error (unknown profile, bad option value)",
    3: "credentials, config or settings file can't be read, parsed or locked",
    4: "MFA code missing, malformed or rejected",
    5: "AWS refused the credentials or the action",
    6: "AWS unreachable, too slow, throttled, clock skew, or a reply that can't be used "
    "(transient)",
    7: "key rotation stopped (the message names any key that needs attention)",
    130: "interrupted",
}
