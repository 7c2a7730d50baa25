"""Where every profile stands: one `StatusRow` per identity and role, from the files alone.

A pure function of the profile catalog, the settings and the clock: no AWS call and no
import of the AWS call layer, so `status --short` (run by tmux every few seconds) stays
cheap. `SessionService.status()` and the TUI use the same rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from tui.engine.mfa.age import earlier_clock, mfa_deadline, past_mfa_age
from tui.engine.named_tuple import NamedTuple
from tui.engine.profiles.catalog import (
    CHAINED_ROLE_MAX_DURATION,
    IdentityProfile,
    ProfileCatalog,
    RoleProfile,
    SessionProfile,
)
from tui.engine.sessions.schedule import RefreshSchedule, ScheduleEntry, SessionState

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
    #: The session's own expiry. `entry` follows the clock that runs out first: this, or
    #: the MFA age limit (`clock` says which; see `mfa.age.earlier_clock`).
    expiration: datetime | None = None
    clock: str = "session"
    #: When the session's MFA becomes too old for `max_mfa_age`, when that applies.
    mfa_deadline: datetime | None = None

    @property
    def state(self) -> SessionState:
        return self.entry.state

    @property
    def refreshes_itself(self) -> bool:
        return self.code_mode in (CodeMode.COMMAND, CodeMode.CHAINED)


def session_usable(session: SessionProfile, now: datetime,
                   max_mfa_age: int | None = None, mfa_margin: timedelta = CHAIN_MARGIN
                   ) -> bool:
    """Whether a session can still sign a call (to assume a role from it): unexpired, and
    its MFA no older than `max_mfa_age` (the policy's limit), both with a margin."""
    expires = session.expiration
    if not (session.present and expires and expires - now > CHAIN_MARGIN):
        return False
    return not max_mfa_age or not past_mfa_age(session.times, max_mfa_age, now, mfa_margin)


def _young_enough(session: SessionProfile, now: datetime, max_mfa_age: int | None,
                  lead: int) -> bool:
    """Whether a usable session's MFA is young enough for a role's `max_mfa_age`."""
    return not max_mfa_age or not past_mfa_age(session.times, max_mfa_age, now,
                                                _role_margin(lead))


def _role_margin(lead: int) -> timedelta:
    """How young a source's MFA must stay for a role's `max_mfa_age`: a role renewed in its
    lead time from MFA about to be too old would carry that old MFA and be due again at
    once, so the source must outlast the lead time."""
    return max(CHAIN_MARGIN, timedelta(seconds=lead))


def can_chain(identity: IdentityProfile, now: datetime, role: RoleProfile | None = None,
              lead: int = 0) -> bool:
    """A role can be assumed without a code while the identity's MFA session is valid (not
    a role's session that aws-mfa keeps in the identity's section) and its MFA young enough
    for the identity's and the role's `max_mfa_age`."""
    session = identity.session
    return not session.role_arn and session_usable(session, now, identity.max_mfa_age) and (
        role is None or _young_enough(session, now, role.max_mfa_age, lead))


def source_usable(source: RoleProfile, role: RoleProfile, now: datetime, lead: int = 0
                  ) -> bool:
    """Whether `role` can be assumed from its parent role's session now: valid, and the
    MFA it carries young enough for `role`'s `max_mfa_age`."""
    return session_usable(source.session, now, source.max_mfa_age) and _young_enough(
        source.session, now, role.max_mfa_age, lead)


def code_needed(catalog: ProfileCatalog, role: RoleProfile, now: datetime, lead: int = 0
                ) -> bool:
    """Whether assuming this role now takes an MFA code from some source: not while the
    session it is assumed from (its parent's, up the chain, or the identity's) is valid
    and its MFA young enough for the role's `max_mfa_age` (past the lead time `lead`)."""
    wanted = role
    while True:
        parent = catalog.parent(role)
        if parent is None:
            identity = catalog.identity(role.identity)
            return not (can_chain(identity, now, role, lead)
                        and (wanted is role or can_chain(identity, now, wanted, lead)))
        if source_usable(parent, role, now, lead) and (
                wanted is role or source_usable(parent, wanted, now, lead)):
            return False
        role = parent


def needs_code(catalog: ProfileCatalog, role: RoleProfile, now: datetime, lead: int = 0
               ) -> bool:
    """Whether assuming this role now would ask a person for a code: not when no code is
    needed, nor when the identity's mfa_command gives it."""
    return code_needed(catalog, role, now, lead) and not catalog.identity(
        role.identity).mfa_command


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
        session = identity.session
        clock = earlier_clock(session.expiration, session.times, identity.max_mfa_age,
                              identity.duration)
        rows.append(StatusRow(
            kind=ProfileKind.IDENTITY, name=identity.name, identity=identity.name,
            target=identity.session_profile,
            entry=schedule.entry(identity.session_profile, clock.ends_at, clock.length,
                                 session.blocked, now),
            mfa_serial=identity.mfa_serial or discovered.get(identity.name),
            code_mode=CodeMode.COMMAND if identity.mfa_command else CodeMode.CODE,
            blocked=session.blocked, access_key_id=identity.access_key_id,
            lifetime=clock.length, mfa_command=identity.mfa_command,
            stale=session.stale, layout=session.layout, expiration=session.expiration,
            clock=clock.name, mfa_deadline=mfa_deadline(session.times, identity.max_mfa_age),
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
    lead = schedule.lead_time
    if parent is None:
        # (What the rule below comes to for a role assumed straight from the identity:
        # needs_code is then "not can_chain, and no mfa_command".)
        chained = can_chain(identity, now, role, lead)
    else:
        chained = source_usable(parent, role, now, lead) or (
            not needs_code(catalog, role, now, lead) and (
                can_chain(identity, now, role, lead) or not identity.mfa_command))
    lifetime = role.duration or CHAINED_ROLE_MAX_DURATION
    if chained or role.chained:
        lifetime = min(lifetime, CHAINED_ROLE_MAX_DURATION)
    session = role.session
    clock = earlier_clock(session.expiration, session.times, role.max_mfa_age, lifetime)
    return StatusRow(
        kind=ProfileKind.ROLE, name=role.name, identity=identity.name, target=role.target,
        entry=schedule.entry(role.target, clock.ends_at, clock.length,
                             role.session.blocked, now),
        expiration=session.expiration, clock=clock.name,
        mfa_deadline=mfa_deadline(session.times, role.max_mfa_age),
        mfa_serial=role.mfa_serial or identity.mfa_serial,
        code_mode=CodeMode.CHAINED if chained else (
            CodeMode.COMMAND if identity.mfa_command else CodeMode.CODE),
        blocked=role.session.blocked, role_arn=role.role_arn, lifetime=clock.length,
        mfa_command=identity.mfa_command, depth=role.depth, parent=role.parent,
        stale=role.session.stale, layout=role.session.layout,
    )
