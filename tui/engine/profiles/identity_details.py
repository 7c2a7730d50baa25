"""What IAM says about an identity, for the details screen: who it is and its access keys."""

from __future__ import annotations

from typing import NamedTuple

from tui.engine.aws import calls as aws_calls
from tui.engine.credential_values import AwsKeys
from tui.engine.errors import AwsMfaError
from tui.engine.profiles.catalog import IdentityProfile


class IdentityDetails(NamedTuple):
    """Who an identity is and its access keys (ages, last use)."""

    name: str
    account: str
    arn: str
    user_name: str | None
    keys: tuple[aws_calls.AccessKeyInfo, ...]
    signed_with: str  # which profile signed the IAM calls


def identity_details(identity: IdentityProfile, long_term: AwsKeys,
                     signing: AwsKeys) -> IdentityDetails:
    """Ask IAM who this identity is and about its access keys (for the details view).

    `long_term`: the identity's own keys; `signing`: the keys IAM calls are signed with
    (its MFA session while valid), tried first."""
    # Who the user is: GetCallerIdentity is never denied, and the long-term key always
    # names the IAM user (a session's key may not, e.g. in the local emulator).
    caller = aws_calls.get_caller_identity(long_term, identity.region)
    keys = signing
    try:
        access_keys = aws_calls.list_access_keys(keys, caller.user_name)
    except AwsMfaError:
        if keys.access_key_id == long_term.access_key_id:
            raise
        # The session was refused (revoked, or its key was rotated): try the key itself.
        keys = long_term
        access_keys = aws_calls.list_access_keys(keys, caller.user_name)
    return IdentityDetails(
        name=identity.name, account=caller.account, arn=caller.arn,
        user_name=caller.user_name, keys=tuple(access_keys), signed_with=keys.profile,
    )
