"""AWS errors turned into one line that says what to do, without the secrets of the call.

botocore raises many exception types, and AWS's own error text may echo what was sent:
every message is put through the redactor with the code and secrets of the call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.engine.errors import (
    AwsAuthError,
    AwsMfaError,
    AwsUnavailableError,
    ClockSkewError,
    CredentialsFileError,
    MfaCodeError,
    UsageError,
)
from tui.engine.redaction import Redactor
from tui.engine.secret import Secret, mask_key_id

if TYPE_CHECKING:
    from tui.engine.credential_values import AwsKeys


def _who(keys: AwsKeys | None) -> str:
    if keys is None:
        return "these credentials"
    key = mask_key_id(keys.access_key_id)
    return f"profile `{keys.profile}` (key {key})" if keys.profile else f"key {key}"


def translate_error(
    exc: BaseException, action: str, keys: AwsKeys | None = None,
    serial: str | None = None, role: str | None = None, code: Secret | None = None,
) -> AwsMfaError:
    """Turn any botocore/network exception into one line that says what to do, without the
    code or any secret of the call (`keys`, `code`)."""
    secrets = (keys.secret_access_key, keys.session_token) if keys else ()
    redactor = Redactor((*secrets, code))
    error = _translated(exc, action, keys, serial, role, redactor)
    scrubbed = redactor(error.message)
    if scrubbed != error.message:
        error = type(error)(scrubbed)
    return error


def _translated(
    exc: BaseException, action: str, keys: AwsKeys | None, serial: str | None,
    role: str | None, redactor: Redactor,
) -> AwsMfaError:
    import botocore.exceptions as bx

    if isinstance(exc, AwsMfaError):
        return exc
    who = _who(keys)
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        lowered = message.lower()
        if code == "AccessDenied" and "one time pass code" in lowered:
            return MfaCodeError(
                "AWS rejected the MFA code (wrong, or already used): wait for the next "
                "30-second code and try again"
            )
        if code == "AccessDenied" and ("mfa serial" in lowered or "validate mfa" in lowered):
            return AwsAuthError(
                f"AWS could not validate the MFA device {serial or ''} for {who}: check that "
                "mfa_serial is the ARN of a device assigned to this IAM user"
            )
        if code in ("InvalidClientTokenId", "UnrecognizedClientException"):
            return AwsAuthError(
                f"AWS does not recognise the access key of {who}: it was deleted or mistyped; "
                "put a valid key in the credentials file"
            )
        if code == "SignatureDoesNotMatch":
            return AwsAuthError(
                f"the secret key of {who} does not match its access key, or this machine's "
                "clock is off: check aws_secret_access_key and the system time"
            )
        if code in ("RequestExpired", "RequestTimeTooSkewed", "InvalidSignatureException"):
            return ClockSkewError(
                "AWS says the request's time is wrong: this machine's clock is more than 5 "
                "minutes off; sync it (e.g. `timedatectl set-ntp true`) and retry"
            )
        if code in ("ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired"):
            return AwsAuthError(f"the session of {who} has expired: refresh it first")
        if code in ("Throttling", "ThrottlingException", "RequestLimitExceeded",
                    "TooManyRequestsException", "SlowDown"):
            return AwsUnavailableError(
                f"AWS is throttling {action}: wait a minute and retry"
            )
        if code == "AccessDenied":
            target = f" on {role}" if role else ""
            return AwsAuthError(
                f"access denied for {action}{target} with {who}: the IAM policy must allow "
                f"{action}" + (" (with MFA)" if serial else "")
            )
        if code == "LimitExceeded" and "AccessKey" in action:
            return AwsAuthError(f"{action}: the IAM user already has two access keys")
        if code in ("ValidationError", "InvalidParameterValue", "InvalidParameterCombination"):
            return UsageError(f"AWS rejected a parameter of {action}: {redactor.aws_text(message)}")
        if status >= 500 or code in ("ServiceUnavailable", "InternalFailure", "InternalError"):
            return AwsUnavailableError(
                f"AWS answered {action} with a server error ({code or status}): retry shortly"
            )
        detail = f"{code}: {redactor.aws_text(message)}" if code else f"HTTP {status}"
        if 400 <= status < 500:
            return AwsAuthError(f"AWS refused {action}: {detail}")
        return AwsMfaError(f"{action} failed: {detail}")
    if isinstance(exc, bx.ParamValidationError):
        # Its message echoes the bad value, which may be a token code or a secret.
        return UsageError(f"invalid parameters for {action}")
    if isinstance(exc, bx.SSLError):
        return AwsUnavailableError(
            f"TLS error calling {action}: check AWS_CA_BUNDLE and any proxy in between"
        )
    if isinstance(exc, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return AwsUnavailableError(
            f"AWS did not answer {action} in time: check your network or proxy and retry"
        )
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectionClosedError,
                        bx.HTTPClientError, bx.ProxyConnectionError)):
        url = getattr(exc, "kwargs", {}).get("endpoint_url", "")
        where = f" at {url}" if url else ""
        return AwsUnavailableError(
            f"can't reach AWS{where} for {action}: check your network, VPN or proxy"
        )
    if isinstance(exc, (bx.ConfigParseError, bx.ProfileNotFound)):
        return CredentialsFileError(f"AWS config problem: {exc}")
    if isinstance(exc, bx.NoRegionError):
        return UsageError("no AWS region: set AWS_REGION or `region` in ~/.aws/config")
    if isinstance(exc, bx.BotoCoreError):
        return AwsMfaError(f"{action} failed: {type(exc).__name__}")
    if isinstance(exc, OSError):
        return AwsUnavailableError(f"{action} failed: {exc.strerror or type(exc).__name__}")
    return AwsMfaError(f"{action} failed unexpectedly: {type(exc).__name__}")
