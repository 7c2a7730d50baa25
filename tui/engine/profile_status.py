"""Where every profile stands: one `StatusRow` per identity and role, from the files alone.

A pure function of the profile catalog, the settings and the clock: no AWS call and no
import of the AWS call layer, so `status --short` (run by tmux every few seconds) stays
cheap. `SessionService.status()` and the TUI use the same rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from tui.engine.named_tuple import NamedTuple
from tui.engine.profiles import (
    CHAINED_ROLE_MAX_DURATION,
    IdentityProfile,
    ProfileCatalog,
    RoleProfile,
    SessionProfile,
)
from tui.engine.schedule import RefreshSchedule, ScheduleEntry, SessionState

#: A session with less than this left can't be chained from any more.
CHAIN_MARGIN = timedelta(seconds=60)


class ProfileKind(StrEnum):
    """What a row is; its value is what `status --json` prints as `kind`."""

    IDENTITY = "identity"  # long-term keys, refreshed with GetSessionToken
    ROLE = "role"  # assumed with AssumeRole from an identity's session or another role's


class CodeMode(StrEnum):
    """How a refresh gets its MFA code; its value is what `status --json` prints as
    `refreshes`."""

    CODE = "code"  # a person types it
    COMMAND = "command"  # the identity's mfa_command prints it
    CHAINED = "chained"  # none: assumed from a session that is still valid


class StatusRow(NamedTuple):
    """One line of `status` and one row of the TUI: never holds a secret."""

    kind: ProfileKind
    name: str  # identity or role name
    identity: str
    target: str  # session profile it keeps fresh
    entry: ScheduleEntry
    mfa_serial: str | None = None
    #: How a refresh gets its code.
    code_mode: CodeMode = CodeMode.CODE
    blocked: str | None = None
    role_arn: str | None = None
    access_key_id: str | None = None  # the long-term key id (identities), for masking only
    #: The session's full lifetime in seconds (for countdown bars).
    lifetime: float | None = None
    #: The identity's mfa_command, when its codes come from one.
    mfa_command: str | None = None
    #: 0 for an identity, 1 for its roles, 2 for a role assumed from one of those, ...
    depth: int = 0
    #: The role it is assumed from, for a role chain.
    parent: str | None = None
    #: Why the session must be renewed whatever its expiry said (`key-rotated`), or None.
    stale: str | None = None
    #: The peer tool whose file layout the session follows (`aws-mfa`, ...), or None.
    layout: str | None = None

    @property
    def state(self) -> SessionState:
        return self.entry.state

    @property
    def refreshes_itself(self) -> bool:
        return self.code_mode in (CodeMode.COMMAND, CodeMode.CHAINED)


def session_usable(session: SessionProfile, now: datetime) -> bool:
    """Whether a session can still sign a call (to assume a role from it)."""
    expires = session.expiration
    return bool(session.present and expires and expires - now > CHAIN_MARGIN)


def can_chain(identity: IdentityProfile, now: datetime) -> bool:
    """A role can be assumed without a code while the identity's MFA session is valid (not
    a role's session that aws-mfa keeps in the identity's section)."""
    return session_usable(identity.session, now) and not identity.session.role_arn


def code_needed(catalog: ProfileCatalog, role: RoleProfile, now: datetime) -> bool:
    """Whether assuming this role now takes an MFA code from some source: not while the
    session it is assumed from (its parent's, up the chain, or the identity's) is valid."""
    while True:
        parent = catalog.parent(role)
        if parent is None:
            return not can_chain(catalog.identity(role.identity), now)
        if session_usable(parent.session, now):
            return False
        role = parent


def needs_code(catalog: ProfileCatalog, role: RoleProfile, now: datetime) -> bool:
    """Whether assuming this role now would ask a person for a code: not when no code is
    needed, nor when the identity's mfa_command gives it."""
    return code_needed(catalog, role, now) and not catalog.identity(role.identity).mfa_command


def status_rows(
    catalog: ProfileCatalog, schedule: RefreshSchedule, now: datetime | None = None,
    discovered: dict[str, str] | None = None,
) -> list[StatusRow]:
    """Every identity with its session, then its roles as a tree (each right after the
    one it is assumed from), then the roles whose chain is broken."""
    now = now or schedule.now()
    discovered = discovered or {}
    rows: list[StatusRow] = []
    for identity in catalog.identities:
        rows.append(StatusRow(
            kind=ProfileKind.IDENTITY, name=identity.name, identity=identity.name,
            target=identity.session_profile,
            entry=schedule.entry(identity.session_profile, identity.session.expiration,
                                 identity.duration, identity.session.blocked, now),
            mfa_serial=identity.mfa_serial or discovered.get(identity.name),
            code_mode=CodeMode.COMMAND if identity.mfa_command else CodeMode.CODE,
            blocked=identity.session.blocked, access_key_id=identity.access_key_id,
            lifetime=identity.duration, mfa_command=identity.mfa_command,
            stale=identity.session.stale, layout=identity.session.layout,
        ))
        for role in catalog.roles_of(identity.name):
            rows.append(_role_row(catalog, role, identity, schedule, now))
    for role in catalog.broken:  # a cycle or a missing source: listed last, blocked by
        blocked = role.session.blocked  # the one line that names its chain
        rows.append(StatusRow(
            kind=ProfileKind.ROLE, name=role.name, identity="", target=role.target,
            entry=schedule.entry(role.target, None, None, blocked, now), blocked=blocked,
            role_arn=role.role_arn, depth=1,
        ))
    return rows


def _role_row(catalog: ProfileCatalog, role: RoleProfile, identity: IdentityProfile,
              schedule: RefreshSchedule, now: datetime) -> StatusRow:
    # No code while some session up the chain is valid ("chained"); else the root
    # identity's mfa_command or a person gives one.
    parent = catalog.parent(role)
    chained = (session_usable(parent.session, now) if parent is not None else False) or (
        not needs_code(catalog, role, now) and (
            can_chain(identity, now) or not identity.mfa_command))
    lifetime = role.duration or CHAINED_ROLE_MAX_DURATION
    if chained or role.chained:
        lifetime = min(lifetime, CHAINED_ROLE_MAX_DURATION)
    return StatusRow(
        kind=ProfileKind.ROLE, name=role.name, identity=identity.name, target=role.target,
        entry=schedule.entry(role.target, role.session.expiration, lifetime,
                             role.session.blocked, now),
        mfa_serial=role.mfa_serial or identity.mfa_serial,
        code_mode=CodeMode.CHAINED if chained else (
            CodeMode.COMMAND if identity.mfa_command else CodeMode.CODE),
        blocked=role.session.blocked, role_arn=role.role_arn, lifetime=lifetime,
        mfa_command=identity.mfa_command, depth=role.depth, parent=role.parent,
        stale=role.session.stale, layout=role.session.layout,
    )
