"""The IAM calls of key rotation, each a named function with errors translated in one place
(`aws.calls.translate_error`).

`first_accepted` tries signers in order and moves on only when AWS refused the credentials
themselves (a lapsed MFA session, a deleted key), never when it refused the action.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from tui.engine.aws import calls as aws_calls
from tui.engine.credential_values import AwsKeys
from tui.engine.errors import AwsMfaError
from tui.engine.secret import Secret

T = TypeVar("T")

#: AWS error codes that mean "these credentials were refused", not "this action was".
SIGNER_REFUSED = frozenset({
    "InvalidClientTokenId", "ExpiredToken", "UnrecognizedClientException",
    "SignatureDoesNotMatch", "AccessDenied",
})


class IamCallError(AwsMfaError):
    """An IAM call failed. `signer_refused`: AWS refused the credentials it was signed
    with, so another signer may still work."""

    def __init__(self, error: AwsMfaError, signer_refused: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.signer_refused = signer_refused


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _call(keys: AwsKeys, action: str, call: Callable[[Any], T], retries: bool = True) -> T:
    try:
        client = aws_calls.iam_client(keys, retries=retries)
        return call(client)
    except Exception as exc:
        error = aws_calls.translate_error(exc, action, keys)
        raise IamCallError(error, _error_code(exc) in SIGNER_REFUSED) from None


def _user(user_name: str | None) -> dict[str, str]:
    return {"UserName": user_name} if user_name else {}


def create_access_key(keys: AwsKeys, user_name: str | None) -> tuple[str, Secret]:
    """One attempt, never retried: a retried create could make a key whose secret we never
    see. Raises the translated error itself (`IamCallError.error`'s type tells a definite
    refusal from a lost answer)."""
    def create(iam: Any) -> tuple[str, Secret]:
        created = iam.create_access_key(**_user(user_name))["AccessKey"]
        return str(created["AccessKeyId"]), Secret(created["SecretAccessKey"])

    return _call(keys, "iam:CreateAccessKey", create, retries=False)


def delete_access_key(keys: AwsKeys, key_id: str, user_name: str | None) -> None:
    _call(keys, "iam:DeleteAccessKey",
          lambda iam: iam.delete_access_key(AccessKeyId=key_id, **_user(user_name)))


def deactivate_access_key(keys: AwsKeys, key_id: str, user_name: str | None) -> None:
    _call(keys, "iam:UpdateAccessKey",
          lambda iam: iam.update_access_key(AccessKeyId=key_id, Status="Inactive",
                                            **_user(user_name)))


def key_states(keys: AwsKeys, user_name: str | None
               ) -> dict[str, tuple[str, datetime | None]]:
    """{key id: (status, creation time)} as IAM says now (no last-used lookups)."""
    listed = _call(keys, "iam:ListAccessKeys",
                   lambda iam: iam.list_access_keys(**_user(user_name)))
    states = {}
    for item in listed["AccessKeyMetadata"]:
        created = item.get("CreateDate")
        if created is not None and created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        states[str(item["AccessKeyId"])] = (str(item["Status"]), created)
    return states


def first_accepted(signers: Sequence[AwsKeys], call: Callable[[AwsKeys], T]) -> T:
    """`call(signer)` with the first signer AWS accepts."""
    last: IamCallError | None = None
    for keys in signers:
        try:
            return call(keys)
        except IamCallError as exc:
            last = exc
            if not exc.signer_refused:
                raise
    assert last is not None
    raise last
