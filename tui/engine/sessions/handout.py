"""Handing a session out to a program that asks now: `credential-process`, `env`, `exec`,
`console`, and the credentials agent.

`usable_session` gives the stored session of an identity, a role or a session profile,
renewed first when it is missing or inside its lead time: under the session's renewal lock,
so any number of callers in any number of processes cost one renewal and one code (see
`SessionService.renew`). A session that still has time left is handed out when its renewal
fails, with a note saying so: the caller (an SDK) asks again as the expiry nears.
"""

from __future__ import annotations

from tui.engine.credential_values import SessionCredentials
from tui.engine.errors import AwsMfaError, UsageError
from tui.engine.mfa.codes import MfaCodeSource
from tui.engine.named_tuple import NamedTuple
from tui.engine.profiles.catalog import ProfileCatalog
from tui.engine.sessions.schedule import format_time_left
from tui.engine.sessions.service import SessionService


class HandedOut(NamedTuple):
    """The session handed out, and what the person should be told (never a secret)."""

    credentials: SessionCredentials
    notes: tuple[str, ...] = ()


def usable_session(service: SessionService, name: str,
                   code_source: MfaCodeSource | None = None, *, interactive: bool = True,
                   catalog: ProfileCatalog | None = None) -> HandedOut:
    """The session to hand out for `name`, renewed first when due.

    `code_source`: where a renewal gets its code (None: the identity's usual sources,
    asking a person only when `interactive`). `catalog`: this command's one read of the
    files; they are read again only after a renewal wrote them. Raises when there is no
    session with time left to hand out."""
    catalog = catalog or service.catalog()
    managed = catalog.role(name) is not None
    if not managed:
        try:
            catalog.identity(name)
            managed = True
        except UsageError:
            if name not in catalog.credentials:
                raise UsageError(unknown_profile(catalog, name)) from None
            # else a session profile we don't manage: use it as it is
    notes: tuple[str, ...] = ()
    if managed:
        try:
            result = service.renew(name, code_source, interactive=interactive, force=False,
                                   keep_valid=True, catalog=catalog)
        except AwsMfaError as exc:
            credentials = _stored(service, name)
            if credentials is None or credentials.expiration <= service.clock():
                raise
            left = format_time_left(credentials.expiration - service.clock())
            return HandedOut(credentials, (f"{exc}; using the current session, valid "
                                           f"{left} more",))
        notes = result.notes if result.skipped else ()
        if not result.skipped or result.by_another:
            catalog = None  # written since: read again
    _, credentials = service.session_for(name, catalog)
    if credentials.expiration <= service.clock():
        raise UsageError(f"the session for {name} has expired: run `aws-mfa-tui refresh {name}`")
    return HandedOut(credentials, notes)


def unknown_profile(catalog: ProfileCatalog, name: str) -> str:
    """A name that is no identity, session profile or role, with the ones there are."""
    def some(names: list[str]) -> str:
        shown = ", ".join(names[:4]) or "none"
        return shown + (f", +{len(names) - 4} more" if len(names) > 4 else "")

    identities = catalog.identities
    return (f"no profile `{name}`: this takes an identity ({some([i.name for i in identities])}"
            f"), its session profile ({some([i.session_profile for i in identities])}), "
            f"a role ({some([r.name for r in catalog.roles])}) or another session section")


def _stored(service: SessionService, name: str) -> SessionCredentials | None:
    try:
        return service.session_for(name)[1]
    except AwsMfaError:
        return None


def region_of(catalog: ProfileCatalog, name: str) -> str | None:
    """The region of a role, an identity, or a session profile (from ~/.aws/config)."""
    role = catalog.role(name)
    if role is not None:
        return role.region
    for identity in catalog.identities:
        if name in (identity.name, identity.session_profile):
            return catalog.config.get(name, {}).get("region") or identity.region
    return catalog.config.get(name, {}).get("region")
