"""Every STS and IAM call aws-mfa-tui makes, with errors turned into one-line fixes.

- botocore is imported lazily, only by code paths that call AWS (status stays cheap).
- One botocore session and client per call: safe from any worker thread.
- The standard AWS environment is honoured by botocore itself: AWS_ENDPOINT_URL and
  AWS_ENDPOINT_URL_STS/_IAM, AWS_REGION/AWS_DEFAULT_REGION, AWS_CA_BUNDLE, HTTPS_PROXY.
- Connect timeout 5 s, read timeout 10 s, standard retry mode. A call that carries an MFA
  code is never retried: a retry would send the same one-time code twice.
- Every call also has a total deadline, and a reply that isn't AWS's is one line (see
  `call_guard`); a session in a reply is checked before anyone can write it (`sts_reply`).
- Error text from AWS goes through the redactor, with the code and secrets of the call.
- botocore's debug logging stays off: it prints response bodies with secrets in them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from tui.engine.credentials_store import SessionCredentials
from tui.engine.errors import (
    AwsAuthError,
    AwsMfaError,
    AwsUnavailableError,
    ClockSkewError,
    CredentialsFileError,
    MfaCodeError,
    UsageError,
    unusable_reply,
)
from tui.engine.redaction import Redactor
from tui.engine.secret import Secret, mask_key_id

DEFAULT_REGION = "us-east-1"
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10


class AwsKeys(NamedTuple):
    """Credentials to sign with: long-term keys, or a session (with its token)."""

    access_key_id: str
    secret_access_key: Secret
    session_token: Secret | None = None
    #: The profile these came from, for messages ("the key of profile work ...").
    profile: str = ""

    @classmethod
    def from_section(cls, profile: str, values: dict[str, str]) -> AwsKeys:
        token = values.get("aws_session_token") or values.get("aws_security_token")
        return cls(
            access_key_id=values.get("aws_access_key_id", ""),
            secret_access_key=Secret(values.get("aws_secret_access_key", "")),
            session_token=Secret(token) if token else None,
            profile=profile,
        )

    @classmethod
    def from_session(cls, profile: str, session: SessionCredentials) -> AwsKeys:
        return cls(session.access_key_id, session.secret_access_key, session.session_token,
                   profile)


class CallerIdentity(NamedTuple):
    account: str
    arn: str
    user_id: str

    @property
    def user_name(self) -> str | None:
        """The IAM user name for `arn:aws:iam::123:user/path/name`, else None."""
        if ":user/" not in self.arn:
            return None
        return self.arn.rsplit("/", 1)[-1]

    @property
    def is_root(self) -> bool:
        return self.arn.endswith(":root")


class MfaDevice(NamedTuple):
    serial: str
    enabled: datetime | None = None

    @property
    def is_totp(self) -> bool:
        # Virtual devices are ARNs (`:mfa/`); hardware TOTP tokens are plain serials
        # (GAHT12345678). FIDO/U2F security keys are ARNs with `:u2f/`, which STS can't use.
        return ":u2f/" not in self.serial and ":fido" not in self.serial.lower()


class AccessKeyInfo(NamedTuple):
    access_key_id: str
    status: str
    created: datetime | None
    last_used: datetime | None = None
    last_used_service: str | None = None


def _quiet_botocore() -> None:
    import logging

    for name in ("botocore", "boto3", "urllib3"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def _client(service: str, keys: AwsKeys, region: str | None, retries: bool = True) -> Any:
    import botocore.config
    import botocore.configprovider
    import botocore.session

    from tui.engine.call_guard import deadline_seconds, guard_client

    _quiet_botocore()
    deadline = deadline_seconds()
    session = botocore.session.Session()
    session.register_component("data_loader", _data_loader(session))
    if service == "sts":
        # Expiration arrives as text, checked by `sts_reply`: botocore's own parser would
        # raise a bare ValueError on a hostile date.
        session.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=str)
    # We always pass credentials explicitly. AWS_PROFILE may name the very session profile
    # we're about to create; it must not make client creation fail with ProfileNotFound.
    session.get_component("config_store").set_config_provider(
        "profile", botocore.configprovider.ConstantProvider(None)
    )
    config = botocore.config.Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        # total_max_attempts counts the first try; max_attempts would count retries only.
        retries={"mode": "standard", "total_max_attempts": 3 if retries else 1},
        user_agent_extra="aws-mfa-tui",
    )
    try:
        region = region or session.get_config_variable("region") or DEFAULT_REGION
        client = session.create_client(
            service,
            region_name=region,
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key.reveal(),
            aws_session_token=keys.session_token.reveal() if keys.session_token else None,
            config=config,
        )
    except Exception as exc:  # botocore raises many types here; all become one line
        raise translate_error(exc, f"{service} client", keys) from None
    return guard_client(client, service, deadline)


#: The only services we create clients for.
_SERVICES = ("sts", "iam")
_LOADER_CLASS: Any = None


def _data_loader(session: Any) -> Any:
    """botocore's data loader, minus its scan of every service folder.

    Before loading a model, botocore lists all ~400 services (thousands of stat calls, about
    a third of client creation here) only to check that the one asked for exists. This
    loader answers that check for STS and IAM by looking in their own folders, honouring
    AWS_DATA_PATH and ~/.aws/models like botocore's own loader.
    """
    import os

    import botocore.loaders

    global _LOADER_CLASS
    if _LOADER_CLASS is None:

        class OurServicesLoader(botocore.loaders.Loader):
            def list_available_services(self, type_name: str) -> list[str]:
                found = []
                for service in _SERVICES:
                    for location in self.search_paths:
                        folder = os.path.join(location, service)
                        if os.path.isdir(folder) and any(
                            self.file_loader.exists(os.path.join(folder, version, type_name))
                            for version in os.listdir(folder)
                        ):
                            found.append(service)
                            break
                return found

        _LOADER_CLASS = OurServicesLoader
    data_path = session.get_config_variable("data_path")
    extra = [os.path.expanduser(os.path.expandvars(p))
             for p in data_path.split(os.pathsep)] if data_path else []
    return _LOADER_CLASS(extra_search_paths=extra)


def _with_mfa(params: dict[str, Any], serial: str | None, code: Secret | None
              ) -> dict[str, Any]:
    """Add the device and code; the code is revealed only into the request itself."""
    if serial and code:
        params["SerialNumber"] = serial
        params["TokenCode"] = code.reveal()
    return params


def get_session_token(
    keys: AwsKeys, duration: int, serial: str | None, code: Secret | None,
    region: str | None = None,
) -> SessionCredentials:
    from tui.engine.sts_reply import session_from_reply

    params = _with_mfa({"DurationSeconds": duration}, serial, code)
    client = _client("sts", keys, region, retries=code is None)
    try:
        result = client.get_session_token(**params)
    except Exception as exc:
        raise translate_error(exc, "sts:GetSessionToken", keys, serial=serial,
                              code=code) from None
    return session_from_reply(result, "sts:GetSessionToken", duration)


def assume_role(
    keys: AwsKeys, role_arn: str, session_name: str, duration: int | None,
    serial: str | None = None, code: Secret | None = None, region: str | None = None,
) -> SessionCredentials:
    from tui.engine.sts_reply import ASSUME_ROLE_DEFAULT_DURATION, session_from_reply

    params = _with_mfa({"RoleArn": role_arn, "RoleSessionName": session_name}, serial, code)
    if duration:
        params["DurationSeconds"] = duration
    client = _client("sts", keys, region, retries=code is None)
    try:
        result = client.assume_role(**params)
    except Exception as exc:
        raise translate_error(exc, "sts:AssumeRole", keys, serial=serial, role=role_arn,
                              code=code) from None
    return session_from_reply(result, "sts:AssumeRole",
                              duration or ASSUME_ROLE_DEFAULT_DURATION)


def get_caller_identity(keys: AwsKeys, region: str | None = None) -> CallerIdentity:
    client = _client("sts", keys, region)
    try:
        result = client.get_caller_identity()
    except Exception as exc:
        raise translate_error(exc, "sts:GetCallerIdentity", keys) from None
    account, arn, user_id = (_text(result, name) for name in ("Account", "Arn", "UserId"))
    if not (account and arn and user_id):
        raise unusable_reply("sts:GetCallerIdentity: it doesn't say who these credentials are")
    return CallerIdentity(account, arn, user_id)


def _text(result: Any, name: str) -> str:
    """A printable text field of a reply, else ""."""
    value = result.get(name) if isinstance(result, dict) else None
    return value if isinstance(value, str) and value.isprintable() else ""


def list_mfa_devices(keys: AwsKeys, user_name: str | None = None) -> list[MfaDevice]:
    client = _client("iam", keys, None)
    params = {"UserName": user_name} if user_name else {}
    try:
        devices = client.list_mfa_devices(**params)["MFADevices"]
    except Exception as exc:
        raise translate_error(exc, "iam:ListMFADevices", keys) from None
    return [MfaDevice(d["SerialNumber"], d.get("EnableDate")) for d in devices]


def list_access_keys(keys: AwsKeys, user_name: str | None = None,
                     with_last_used: bool = True) -> list[AccessKeyInfo]:
    client = _client("iam", keys, None)
    params = {"UserName": user_name} if user_name else {}
    try:
        listed = client.list_access_keys(**params)["AccessKeyMetadata"]
    except Exception as exc:
        raise translate_error(exc, "iam:ListAccessKeys", keys) from None
    result = []
    for item in listed:
        last_used = service = None
        if with_last_used:
            try:
                used = client.get_access_key_last_used(AccessKeyId=item["AccessKeyId"])
                info = used.get("AccessKeyLastUsed", {})
                last_used = info.get("LastUsedDate")
                service = info.get("ServiceName")
                if service == "N/A":
                    service = None
            except Exception as exc:
                raise translate_error(exc, "iam:GetAccessKeyLastUsed", keys) from None
        result.append(AccessKeyInfo(
            access_key_id=item["AccessKeyId"], status=item["Status"],
            created=item.get("CreateDate"), last_used=last_used, last_used_service=service,
        ))
    return result


def iam_client(keys: AwsKeys, retries: bool = True) -> Any:
    """An IAM client for the rotation protocol. `retries=False` for CreateAccessKey: a
    retried create could make a key whose secret we never see."""
    return _client("iam", keys, None, retries=retries)


# ------------------------------------------------------------------ errors
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
