"""Handing a session to another program, shared by `env`, `exec`, `credential-process` and
`console`: a usable session (refreshed first when it is missing or inside its lead time and
a code source is available), its environment variables and its region."""

from __future__ import annotations

import os

from tui.commands.context import notice
from tui.engine.credentials_store import SessionCredentials
from tui.engine.errors import AwsMfaError, UsageError
from tui.engine.profiles import ProfileCatalog
from tui.engine.schedule import format_time_left
from tui.engine.sessions import SessionService


def usable_session(service: SessionService, name: str,
                   catalog: ProfileCatalog | None = None) -> SessionCredentials:
    """The session to hand out, renewed first when due. `catalog`: this command's one
    read of the files; they are read again only after a renewal wrote them."""
    catalog = catalog or service.catalog()
    managed = catalog.role(name) is not None
    if not managed:
        try:
            catalog.identity(name)
            managed = True
        except UsageError:
            pass  # a session profile we don't manage: use it as it is
    if managed:
        try:
            result = service.renew(name, force=False, keep_valid=True, catalog=catalog)
        except AwsMfaError as exc:
            # A session with time left is handed out, never thrown away: the next call
            # tries again (an SDK asks again as the expiry nears).
            _, credentials = _stored(service, name)
            if credentials is None or credentials.expiration <= service.clock():
                raise
            notice(f"{name}: {exc}; using the current session, valid "
                   f"{format_time_left(credentials.expiration - service.clock())} more")
            return credentials
        for note in result.notes if result.skipped else ():
            notice(f"{name}: {note}")
        if not result.skipped or result.by_another:
            catalog = None  # written since: read again
    _, credentials = service.session_for(name, catalog)
    if credentials.expiration <= service.clock():
        raise UsageError(f"the session for {name} has expired: run `aws-mfa-tui refresh {name}`")
    return credentials


def _stored(service: SessionService, name: str) -> tuple[str, SessionCredentials | None]:
    try:
        return service.session_for(name)
    except AwsMfaError:
        return name, None


def environment(credentials: SessionCredentials, region: str | None = None) -> dict[str, str]:
    """The session as the variables every SDK reads, from the same mapping the file uses,
    with the profile's region (as aws-vault sets it) unless the caller already set one."""
    section = credentials.as_section()
    variables = {variable: section[key] for key, variable in _VARIABLE_FOR_KEY.items()}
    if region and not any(os.environ.get(name) for name in _REGION_VARIABLES):
        variables.update(dict.fromkeys(_REGION_VARIABLES, region))
    return variables


def region_of(catalog: ProfileCatalog, name: str) -> str | None:
    """The region of a role, an identity, or a session profile (from ~/.aws/config)."""
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
