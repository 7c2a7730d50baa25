"""Handing a session to another program, shared by `env`, `exec`, `credential-process` and
`console`: a usable session (refreshed first when it is missing or inside its lead time and
a code source is available), its environment variables and its region."""

from __future__ import annotations

import os

from tui.commands.context import notice
from tui.engine.credentials_store import SessionCredentials
from tui.engine.errors import UsageError
from tui.engine.named_tuple import TYPE_CHECKING
from tui.engine.sessions import SessionService

if TYPE_CHECKING:
    from tui.engine.profiles import ProfileCatalog


def usable_session(service: SessionService, name: str) -> SessionCredentials:
    catalog = service.catalog()
    managed = catalog.role(name) is not None
    if not managed:
        try:
            catalog.identity(name)
            managed = True
        except UsageError:
            if name not in catalog.credentials:
                raise UsageError(unknown_profile(catalog, name)) from None
            # else a session profile we don't manage: use it as it is
    if managed:
        result = service.renew(name, force=False, keep_valid=True)
        for note in result.notes if result.skipped else ():
            notice(f"{name}: {note}")
    _, credentials = service.session_for(name)
    if credentials.expiration <= service.clock():
        raise UsageError(f"the session for {name} has expired: run `aws-mfa-tui refresh {name}`")
    return credentials


def unknown_profile(catalog: ProfileCatalog, name: str) -> str:
    """A name that is no identity, session profile or role, with the ones there are."""
    def some(names: list[str]) -> str:
        shown = ", ".join(names[:4]) or "none"
        return shown + (f", +{len(names) - 4} more" if len(names) > 4 else "")

    identities = catalog.identities
    return (f"no profile `{name}`: this takes an identity ({some([i.name for i in identities])}"
            f"), its session profile ({some([i.session_profile for i in identities])}), "
            f"a role ({some([r.name for r in catalog.roles])}) or another session section")


def environment(credentials: SessionCredentials, region: str | None = None) -> dict[str, str]:
    """The session as the variables every SDK reads, from the same mapping the file uses,
    with the profile's region (as aws-vault sets it) unless the caller already set one."""
    section = credentials.as_section()
    variables = {variable: section[key] for key, variable in _VARIABLE_FOR_KEY.items()}
    if region and not any(os.environ.get(name) for name in _REGION_VARIABLES):
        variables.update(dict.fromkeys(_REGION_VARIABLES, region))
    return variables


def region_of(service: SessionService, name: str) -> str | None:
    """The region of a role, an identity, or a session profile (from ~/.aws/config)."""
    catalog = service.catalog()
    role = catalog.role(name)
    if role is not None:
        return role.region
    for identity in catalog.identities:
        if name in (identity.name, identity.session_profile):
            return catalog.config.get(name, {}).get("region") or identity.region
    return catalog.config.get(name, {}).get("region")


_REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")


_VARIABLE_FOR_KEY = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_session_token": "AWS_SESSION_TOKEN",
    "aws_security_token": "AWS_SECURITY_TOKEN",
    "expiration": "AWS_CREDENTIAL_EXPIRATION",
}
