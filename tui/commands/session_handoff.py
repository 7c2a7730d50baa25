"""Handing a session to another program, shared by `env`, `exec`, `credential-process` and
`console`: a usable session (refreshed first when it is missing or inside its lead time and
a code source is available), its environment variables and its region."""

from __future__ import annotations

import os

from tui.commands.context import notice
from tui.engine.credential_values import SessionCredentials
from tui.engine.profiles.catalog import ProfileCatalog
from tui.engine.sessions import handout as session_handout
from tui.engine.sessions.handout import region_of  # noqa: F401 (the commands' name for it)
from tui.engine.sessions.service import SessionService


def usable_session(service: SessionService, name: str,
                   catalog: ProfileCatalog | None = None) -> SessionCredentials:
    """The session to hand out, renewed first when due (the engine's
    `sessions.handout.usable_session`), its notes told on stderr."""
    handed = session_handout.usable_session(service, name, catalog=catalog)
    for note in handed.notes:
        notice(f"{name}: {note}")
    return handed.credentials


def environment(credentials: SessionCredentials, region: str | None = None) -> dict[str, str]:
    """The session as the variables every SDK reads, from the same mapping the file uses,
    with the profile's region (as aws-vault sets it) unless the caller already set one."""
    section = credentials.as_section()
    variables = {variable: section[key] for key, variable in _VARIABLE_FOR_KEY.items()}
    if region and not any(os.environ.get(name) for name in _REGION_VARIABLES):
        variables.update(dict.fromkeys(_REGION_VARIABLES, region))
    return variables


_REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")


_VARIABLE_FOR_KEY = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_session_token": "AWS_SESSION_TOKEN",
    "aws_security_token": "AWS_SECURITY_TOKEN",
    "expiration": "AWS_CREDENTIAL_EXPIRATION",
}
