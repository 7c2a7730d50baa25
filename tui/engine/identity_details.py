"""What IAM says about an identity, for the details screen: who it is and its access keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from tui.engine import aws_calls
from tui.engine.errors import AwsMfaError

if TYPE_CHECKING:
    from tui.engine.sessions import SessionService


class IdentityDetails(NamedTuple):
    """Who an identity is and its access keys (ages, last use)."""

    name: str
    account: str
    arn: str
    user_name: str | None
    keys: tuple[aws_calls.AccessKeyInfo, ...]
    signed_with: str  # which profile signed the IAM calls


def identity_details(service: SessionService, name: str) -> IdentityDetails:
    """Ask IAM who this identity is and about its access keys (for the details view)."""
    catalog = service.catalog()
    identity = catalog.identity(name)
    long_term = service.long_term_keys(identity, catalog)
    # Who the user is: GetCallerIdentity is never denied, and the long-term key always
    # names the IAM user (a session's key may not, e.g. in the local emulator).
    caller = aws_calls.get_caller_identity(long_term, identity.region)
    keys = service.signing_keys(identity.name, catalog)
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
