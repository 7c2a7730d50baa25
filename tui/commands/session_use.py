"""Shared by `env`, `exec` and `credential-process`: a usable session, refreshed first when
it is missing or inside its lead time and a code source is available."""

from __future__ import annotations

import os

from tui.commands.context import notice
from tui.engine.credentials_store import SessionCredentials
from tui.engine.errors import UsageError
from tui.engine.mfa_code import NoCodeSource, choose_code_source
from tui.engine.schedule import SessionState
from tui.engine.sessions import SessionService, no_code_needed


def usable_session(service: SessionService, name: str) -> SessionCredentials:
    catalog = service.catalog()
    role = catalog.role(name)
    identity = None
    if role is None:
        try:
            identity = catalog.identity(name)
        except UsageError:
            identity = None  # a session profile we don't manage: use it as it is
    target = role.session if role else (identity.session if identity else None)
    if target is not None:
        state = service.schedule().entry(target.name, target.expiration).state
        if not target.present or state is not SessionState.FRESH:
            _renew(service, name, role is not None, target.present and state is
                   SessionState.EXPIRING)
    _, credentials = service.session_for(name)
    if credentials.expiration <= service.clock():
        raise UsageError(f"the session for {name} has expired: run `aws-mfa-tui refresh {name}`")
    return credentials


def _renew(service: SessionService, name: str, is_role: bool, still_valid: bool) -> None:
    catalog = service.catalog()
    if is_role and not service.needs_code(name):
        service.assume(name, no_code_needed(), force=True)
        return
    role = catalog.role(name)
    owner = catalog.identity(role.identity if role else name)
    source = choose_code_source(None, owner.mfa_command)
    if isinstance(source, NoCodeSource) and still_valid:
        # A few minutes left and no way to ask for a code: use what we have, and say so.
        notice(f"{name}: session expires soon and no MFA code source is available")
        return
    if is_role:
        service.assume(name, source, force=True)
    else:
        service.refresh(owner.name, source, force=True)


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
