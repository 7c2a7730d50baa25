"""Every STS and IAM call aws-mfa-tui makes, with errors turned into one-line fixes.

- botocore is imported lazily, only by code paths that call AWS (status stays cheap).
- Clients come from `client` (timeouts, retries, the standard AWS environment, and no
  parsing of the shared files by botocore).
- Every call also has a total deadline, and a reply that isn't AWS's is one line (see
  `call_guard`); a session in a reply is checked before anyone can write it (`sts_reply`).
- Error text from AWS goes through the redactor, with the code and secrets of the call
  (`aws.errors`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from tui.engine.aws.client import SharedFiles, make_client
from tui.engine.aws.errors import translate_error
from tui.engine.credential_values import AwsKeys, SessionCredentials
from tui.engine.errors import UsageError, unusable_reply
from tui.engine.secret import Secret

__all__ = ["AccessKeyInfo", "CallerIdentity", "DurationRejected", "MfaDevice",
           "SharedFiles", "assume_role", "caller_and_clock", "get_caller_identity",
           "get_session_token", "iam_client", "list_access_keys", "list_mfa_devices",
           "mfa_decisions", "role_max_duration", "translate_error"]


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


def _with_mfa(params: dict[str, Any], serial: str | None, code: Secret | None
              ) -> dict[str, Any]:
    """Add the device and code; the code is revealed only into the request itself."""
    if serial and code:
        params["SerialNumber"] = serial
        params["TokenCode"] = code.reveal()
    return params


def get_session_token(
    keys: AwsKeys, duration: int, serial: str | None, code: Secret | None,
    region: str | None = None, shared: SharedFiles | None = None,
) -> SessionCredentials:
    from tui.engine.aws.sts_reply import session_from_reply

    params = _with_mfa({"DurationSeconds": duration}, serial, code)
    client = make_client("sts", keys, region, retries=code is None, shared=shared)
    try:
        result = client.get_session_token(**params)
    except Exception as exc:
        raise duration_rejection(exc, "sts:GetSessionToken", duration) or translate_error(
            exc, "sts:GetSessionToken", keys, serial=serial, code=code) from None
    return session_from_reply(result, "sts:GetSessionToken", duration)


def assume_role(
    keys: AwsKeys, role_arn: str, session_name: str, duration: int | None,
    serial: str | None = None, code: Secret | None = None, region: str | None = None,
) -> SessionCredentials:
    from tui.engine.aws.sts_reply import ASSUME_ROLE_DEFAULT_DURATION, session_from_reply

    params = _with_mfa({"RoleArn": role_arn, "RoleSessionName": session_name}, serial, code)
    if duration:
        params["DurationSeconds"] = duration
    client = make_client("sts", keys, region, retries=code is None)
    try:
        result = client.assume_role(**params)
    except Exception as exc:
        raise duration_rejection(exc, "sts:AssumeRole", duration) or translate_error(
            exc, "sts:AssumeRole", keys, serial=serial, role=role_arn, code=code) from None
    return session_from_reply(result, "sts:AssumeRole",
                              duration or ASSUME_ROLE_DEFAULT_DURATION)


class DurationRejected(UsageError):
    """AWS refused `DurationSeconds` as too long. `allowed`: the longest it named, if any
    (the 1-hour chain limit, GetSessionToken's range); None when it only said "more than
    the role's MaxSessionDuration"."""

    def __init__(self, message: str, asked: int | None, allowed: int | None,
                 reason: str) -> None:
        super().__init__(message)
        self.asked = asked
        self.allowed = allowed
        self.reason = reason


def duration_rejection(exc: BaseException, action: str, asked: int | None
                       ) -> DurationRejected | None:
    """The ValidationError AWS sends for a duration that is too long, or None. AWS's texts:
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by
    role chaining.", and for GetSessionToken "... at 'durationSeconds' failed to satisfy
    constraint: Member must have value less than or equal to 129600"."""
    import re

    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    error = response.get("Error", {})
    message = str(error.get("Message", ""))
    if error.get("Code") != "ValidationError" or "durationseconds" not in message.lower():
        return None
    allowed: int | None = None
    if "maxsessionduration" in message.lower():
        reason = "longer than the role's MaxSessionDuration"
    elif "role chaining" in message.lower():
        reason, allowed = "AWS caps a role assumed from a session at 1 hour", 3600
    else:
        found = re.search(r"less than or equal to (\d+)", message)
        if found is None:
            return None
        allowed = int(found.group(1))
        reason = f"AWS allows at most {allowed} s"
    return DurationRejected(f"AWS refused {asked} s for {action}: {reason}", asked, allowed,
                            reason)


def role_max_duration(keys: AwsKeys, role_arn: str) -> int | None:
    """The role's MaxSessionDuration from IAM GetRole, or None when the key may not ask
    (another account's role, no iam:GetRole) or anything else goes wrong: only a hint."""
    if ":role/" not in role_arn:
        return None
    name = role_arn.rsplit("/", 1)[-1]
    try:
        client = make_client("iam", keys, None)
        role = client.get_role(RoleName=name)["Role"]
        if role.get("Arn") != role_arn:  # a role of the same name in the key's own account
            return None
        value = role.get("MaxSessionDuration")
    except Exception:
        return None
    return value if isinstance(value, int) and value >= 900 else None


def get_caller_identity(keys: AwsKeys, region: str | None = None) -> CallerIdentity:
    return caller_and_clock(keys, region)[0]


def caller_and_clock(keys: AwsKeys, region: str | None = None
                     ) -> tuple[CallerIdentity, datetime | None]:
    """GetCallerIdentity (never denied), and the time in the reply's `Date` header: AWS's
    clock, to compare with ours."""
    from email.utils import parsedate_to_datetime

    client = make_client("sts", keys, region)
    try:
        result = client.get_caller_identity()
    except Exception as exc:
        raise translate_error(exc, "sts:GetCallerIdentity", keys) from None
    account, arn, user_id = (_text(result, name) for name in ("Account", "Arn", "UserId"))
    if not (account and arn and user_id):
        raise unusable_reply("sts:GetCallerIdentity: it doesn't say who these credentials are")
    header = result.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        server_time = parsedate_to_datetime(header) if header else None
    except (TypeError, ValueError):
        server_time = None
    return CallerIdentity(account, arn, user_id), server_time


def mfa_decisions(keys: AwsKeys, principal_arn: str, actions: list[str]
                  ) -> dict[str, tuple[str, str]]:
    """IAM SimulatePrincipalPolicy for `actions`, without and with MFA in the request
    context: {action: (decision without MFA, decision with MFA)}."""
    client = make_client("iam", keys, None)

    def decide(present: bool) -> dict[str, str]:
        context = [{"ContextKeyName": "aws:MultiFactorAuthPresent",
                    "ContextKeyValues": ["true" if present else "false"],
                    "ContextKeyType": "boolean"}]
        if present:
            context.append({"ContextKeyName": "aws:MultiFactorAuthAge",
                            "ContextKeyValues": ["1"], "ContextKeyType": "numeric"})
        reply = client.simulate_principal_policy(PolicySourceArn=principal_arn,
                                                 ActionNames=actions, ContextEntries=context)
        return {str(r["EvalActionName"]): str(r["EvalDecision"])
                for r in reply.get("EvaluationResults", [])}

    try:
        without, with_mfa = decide(False), decide(True)
    except Exception as exc:
        raise translate_error(exc, "iam:SimulatePrincipalPolicy", keys) from None
    return {action: (without.get(action, ""), with_mfa.get(action, "")) for action in actions}


def _text(result: Any, name: str) -> str:
    """A printable text field of a reply, else ""."""
    value = result.get(name) if isinstance(result, dict) else None
    return value if isinstance(value, str) and value.isprintable() else ""


def list_mfa_devices(keys: AwsKeys, user_name: str | None = None) -> list[MfaDevice]:
    client = make_client("iam", keys, None)
    params = {"UserName": user_name} if user_name else {}
    try:
        devices = client.list_mfa_devices(**params)["MFADevices"]
    except Exception as exc:
        raise translate_error(exc, "iam:ListMFADevices", keys) from None
    return [MfaDevice(d["SerialNumber"], d.get("EnableDate")) for d in devices]


def list_access_keys(keys: AwsKeys, user_name: str | None = None,
                     with_last_used: bool = True) -> list[AccessKeyInfo]:
    client = make_client("iam", keys, None)
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
    return make_client("iam", keys, None, retries=retries)
