"""What the user has: identity profiles, their session profiles, and role profiles.

- An identity profile is a credentials section with long-term keys (no session token).
- Its session profile is where its MFA session goes: `{profile}-mfa` by default, or the
  settings' `session_name` template (with `strip_suffix`), or a per-profile `target`.
- A role profile is a `[profile X]` in ~/.aws/config with `role_arn` and a `source_profile`
  that is an identity or its session profile, or a `[roles.X]` table in settings. Its
  session is written to its target section: `{role}-session` for config roles (a section
  named like the config profile would be shadowed by botocore's own assume-role), the
  role's name for settings roles.

Everything here is read from files: no AWS call, no boto3 import.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime

from tui.engine.credential_values import is_long_term, parse_expiration
from tui.engine.credentials_file.ini_document import IniDocument
from tui.engine.credentials_file.session_layouts import AWS_MFA_ROLE_DURATION, PEER_DEFAULT_DURATION
from tui.engine.credentials_file.store import STALE_KEY, STALE_SESSION_KEY
from tui.engine.errors import CredentialsFileError, UsageError
from tui.engine.mfa.age import TIMES_KEY, SessionTimes, read_times
from tui.engine.named_tuple import TYPE_CHECKING, NamedTuple
from tui.engine.settings import (
    DEFAULT_ROLE_SESSION_NAME,
    DEFAULT_SESSION_NAME,
    MAX_DURATION,
    Settings,
)

if TYPE_CHECKING:
    from pathlib import Path

TOKEN_KEYS = ("aws_session_token", "aws_security_token")
CHAINED_ROLE_MAX_DURATION = 3600


class Paths(NamedTuple):
    """Where the user's files are."""

    credentials: Path
    config: Path
    settings: Path


class SessionProfile(NamedTuple):
    """A credentials section holding temporary credentials that we keep fresh."""

    name: str
    access_key_id: str | None = None
    expiration: datetime | None = None
    present: bool = False
    #: Why we must not write here (e.g. it holds long-term keys), if anything.
    blocked: str | None = None
    #: Why the session must be renewed whatever its expiration says (`stale = key-rotated`
    #: after a key rotation), else None.
    stale: str | None = None
    #: The peer tool whose convention this section follows (`aws-mfa`, `awsmfa`,
    #: `aws-iam-login`, `mfa-login`), kept on every write; None for our own layout.
    layout: str | None = None
    #: When we got this session and when its MFA was used (None: not written by us, or
    #: rewritten since by another program; see `mfa.age`).
    times: SessionTimes | None = None
    #: The role whose session this section holds (aws-mfa's `assumed_role = True` with
    #: `assumed_role_arn`), or None for an MFA session of the identity itself.
    role_arn: str | None = None


class IdentityProfile(NamedTuple):
    name: str
    access_key_id: str
    session: SessionProfile
    mfa_serial: str | None = None  # configured; None means "discover with IAM"
    mfa_command: str | None = None
    duration: int = 43200
    region: str | None = None
    serial_source: str | None = None  # where mfa_serial came from, for details screens
    max_mfa_age: int | None = None  # seconds policies honour its MFA for (settings)
    #: Every name a rule gives its session (settings' template, a peer's layout, the
    #: default `{profile}-mfa`): roles naming any of them start from this identity.
    session_names: tuple[str, ...] = ()

    @property
    def session_profile(self) -> str:
        return self.session.name


class RoleProfile(NamedTuple):
    name: str
    role_arn: str
    source_profile: str
    identity: str  # the identity whose keys start the chain
    session: SessionProfile  # where the role's credentials go
    duration: int | None = None
    role_session_name: str | None = None
    mfa_serial: str | None = None
    region: str | None = None
    from_config: bool = False
    #: The role it is assumed from (a chain), or None when it starts from its identity.
    parent: str | None = None
    depth: int = 1  # 1 for a role assumed from an identity, 2 for its child, ...
    max_mfa_age: int | None = None  # seconds its trust policy honours the MFA for

    @property
    def chained(self) -> bool:
        """Assumed from another role's credentials: AWS caps it at 1 hour."""
        return self.parent is not None

    @property
    def target(self) -> str:
        return self.session.name


class ProfileCatalog:
    """The profiles, indexed once: every lookup is a dict access, so a catalog of
    thousands of profiles costs linear time to build and to list."""

    def __init__(
        self,
        identities: list[IdentityProfile] | None = None,
        roles: list[RoleProfile] | None = None,
        config: dict[str, dict[str, str]] | None = None,
        credentials: dict[str, dict[str, str]] | None = None,
        problems: dict[str, str] | None = None,
        broken: list[RoleProfile] | None = None,
    ) -> None:
        self.identities = identities or []
        self.roles = roles or []
        self.config = config or {}
        self.credentials = credentials or {}
        #: Roles that can't be resolved (a cycle, a missing source), with the error.
        self.problems = problems or {}
        #: Those roles, in file order, each blocked by its error (listed, never refreshed).
        self.broken = broken or []
        self._identity_by_name: dict[str, IdentityProfile] = {}
        for identity in self.identities:
            self._identity_by_name.setdefault(identity.session_profile, identity)
        for identity in self.identities:
            self._identity_by_name[identity.name] = identity
        self._role_by_name: dict[str, RoleProfile] = {}
        for role in self.roles:
            self._role_by_name.setdefault(role.target, role)
        for role in self.roles:
            self._role_by_name[role.name] = role
        self._roles_by_identity: dict[str, list[RoleProfile]] = {}
        for role in self.roles:
            self._roles_by_identity.setdefault(role.identity, []).append(role)

    def identity(self, name: str) -> IdentityProfile:
        """An identity by its own name or by its session profile's name."""
        identity = self._identity_by_name.get(name)
        if identity is not None:
            return identity
        half = self.credentials.get(name, {})
        if half.get("aws_access_key_id") and not half.get("aws_secret_access_key"):
            raise UsageError(
                f"[{name}] has aws_access_key_id but no aws_secret_access_key: add the "
                f"secret (`aws configure --profile {name}`)"
            )
        known = ", ".join(i.name for i in self.identities) or "none"
        raise UsageError(
            f"no identity profile `{name}` with long-term keys in the credentials file "
            f"(identity profiles: {known})"
        )

    def is_identity(self, name: str) -> bool:
        identity = self._identity_by_name.get(name)
        return identity is not None and identity.name == name

    def role(self, name: str) -> RoleProfile | None:
        if name in self.problems:
            raise UsageError(self.problems[name])
        return self._role_by_name.get(name)

    def parent(self, role: RoleProfile) -> RoleProfile | None:
        """The role this one is assumed from, or None when it starts from its identity."""
        return self._role_by_name.get(role.parent) if role.parent else None

    def role_by_arn(self, arn: str, identity_name: str | None, target: str | None,
                    target_template: str) -> RoleProfile:
        """A role named only by its ARN (`assume ROLE_ARN --profile IDENTITY`)."""
        configured = self.config.get(arn, {})
        if configured.get("role_arn"):
            raise UsageError(self._unmanaged_role(arn, configured))
        if not arn.startswith("arn:") or ":role/" not in arn:
            known = ", ".join(r.name for r in self.roles) or "none"
            raise UsageError(
                f"`{arn}` is neither a role profile (known: {known}) nor a role ARN"
            )
        if not identity_name:
            raise UsageError("assuming a role by ARN needs --profile IDENTITY")
        identity = self.identity(identity_name)
        short = arn.rsplit("/", 1)[-1]
        target_name = target or target_template.format(role=short)
        return RoleProfile(
            name=short, role_arn=arn, source_profile=identity.name, identity=identity.name,
            session=session_profile_from(target_name, self.credentials, identity.name),
            region=identity.region,
        )

    def _unmanaged_role(self, name: str, values: dict[str, str]) -> str:
        """Why a config profile with a role_arn is no role we keep fresh, and the fix."""
        source = values.get("source_profile")
        identities = ", ".join(i.name for i in self.identities) or "none"
        sessions = ", ".join(i.session_profile for i in self.identities) or "none"
        if not source:
            how = ("has no source_profile (botocore assumes it from "
                   f"{'credential_source' if values.get('credential_source') else 'nothing'})")
        else:
            how = (f"starts from source_profile `{source}`, which is none of the identity "
                   f"profiles ({identities}), their session profiles ({sessions}) or roles")
        return (f"`{name}` is a role profile in the config file, but it {how}: set its "
                f"source_profile to one of those to keep it fresh (see aws-mfa-tui assume "
                "--help)")

    def roles_of(self, identity: str) -> list[RoleProfile]:
        """The identity's roles as a tree, depth first: each role right after its parent."""
        return self._roles_by_identity.get(identity, [])

    def session_section(self, name: str) -> dict[str, str]:
        return self.credentials.get(name, {})


def session_name_for(identity: str, settings: Settings) -> str:
    override = _own_target(settings, identity)
    if override:
        return override
    base = identity
    if settings.strip_suffix and base.endswith(settings.strip_suffix):
        base = base[: -len(settings.strip_suffix)] or base
    return settings.session_name.format(profile=base)


def read_config(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """~/.aws/config as {profile name: values}; `[default]` is "default". Read-only."""
    path = os.fspath(path)  # (a string: `status` never loads pathlib)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise CredentialsFileError(f"{path} is a directory, not an AWS config file") from None
    except OSError as exc:
        raise CredentialsFileError(f"{path} can't be read: {exc.strerror}") from None
    # Never written: remembering its parse would push out the one the next write reuses.
    document = IniDocument.parse_bytes(data, path, remember=False)
    profiles: dict[str, dict[str, str]] = {}
    for section, values in document.as_dict().items():
        if section == "default":
            profiles["default"] = values
        elif section.startswith("profile "):
            profiles[section[len("profile "):].strip()] = values
    return profiles


#: Peers' naming conventions, tried (with no settings naming the session) before `X-mfa`.
LONG_TERM_SUFFIX = "-long-term"  # aws-mfa: [X-long-term] holds the keys, [X] the session
STS_SUFFIX = "-sts"  # aws-iam-login: [X-sts]
#: The AWS CLI's `aws configure mfa-login` puts the expiry only in this comment.
MFA_LOGIN_PREFIX = "session-"  # its default target: `session-<MFA device name>`
MFA_LOGIN_COMMENT = re.compile(r"^\s*[#;]\s*Credentials expire at:\s*(.+?)\s*$", re.I)


def peer_session(name: str, values: dict[str, str], creds: dict[str, dict[str, str]],
                 env: Mapping[str, str]) -> tuple[str, str] | None:
    """The session section a peer tool would use for identity `name`, and the tool, when
    the files (or the peer's environment variables) show that convention."""
    awsmfa_identity = env.get("AWS_MFA_IDENTITY_PROFILE") or "identity"
    if name == awsmfa_identity:
        target = env.get("AWS_MFA_TARGET_PROFILE") or "default"
        existing = creds.get(target)
        explicit = bool(env.get("AWS_MFA_IDENTITY_PROFILE") or env.get("AWS_MFA_TARGET_PROFILE"))
        if target != name and (explicit or existing is None
                               or "awsmfa_expiration" in existing):
            return target, "awsmfa"
    if name.endswith(LONG_TERM_SUFFIX) and len(name) > len(LONG_TERM_SUFFIX):
        base = name[: -len(LONG_TERM_SUFFIX)]
        # [X] holding keys of its own is another identity, not aws-mfa's session.
        if not is_long_term(creds.get(base, {})):
            return base, "aws-mfa"
    sts = name + STS_SUFFIX
    if sts in creds or (values.get("username") and values.get("mfa_serial")):
        return sts, "aws-iam-login"
    return None


def _comment_expiry(lines: list[str]) -> datetime | None:
    for line in lines:
        if "#" not in line and ";" not in line:
            continue  # can't be a comment: skip the regex (most lines are `key = value`)
        match = MFA_LOGIN_COMMENT.match(line)
        if match:
            text = match.group(1)
            if text.upper().endswith(" UTC"):
                text = text[:-4]
            return parse_expiration(text)
    return None


def session_profile_from(name: str, credentials: dict[str, dict[str, str]], identity: str,
                         layout: str | None = None, raw: list[str] | None = None
                         ) -> SessionProfile:
    values = credentials.get(name)
    if values is None:
        return SessionProfile(name=name, layout=layout)
    blocked = None
    if name == identity:
        blocked = f"the session profile of `{identity}` can't be `{identity}` itself"
    elif is_long_term(values):
        blocked = (
            f"`{name}` holds long-term keys; refusing to overwrite it with a session "
            "(set another target in settings)"
        )
    stale = values.get(STALE_KEY) or None
    marked = values.get(STALE_SESSION_KEY)
    if marked and marked != values.get("aws_access_key_id"):
        stale = None  # the mark was for a session a peer has since replaced
    expiration = parse_expiration(values.get("expiration"))
    if "awsmfa_expiration" in values:
        layout = "awsmfa"
        expiration = expiration or parse_expiration(values["awsmfa_expiration"])
    elif "assumed_role" in values and layout is None:
        layout = "aws-mfa"
    comment = _comment_expiry(raw or [])
    if comment is not None:  # the one expiry mfa-login rewrites: an `expiration` beside
        layout, expiration = "mfa-login", comment  # it (we wrote it once) may be stale
    role_arn = None
    if layout == "aws-mfa" and values.get("assumed_role", "").lower() == "true":
        role_arn = values.get("assumed_role_arn") or None
    return SessionProfile(
        name=name,
        times=read_times(values.get(TIMES_KEY), values.get("aws_access_key_id"), expiration),
        access_key_id=values.get("aws_access_key_id"),
        # A stale session counts as having no usable expiry: it needs a new code.
        expiration=None if stale else expiration,
        present=True,
        blocked=blocked,
        stale=stale,
        layout=layout,
        role_arn=role_arn,
    )


def _mfa_login_sessions(credentials: IniDocument, creds: dict[str, dict[str, str]],
                        keyed: list[str]) -> list[str]:
    """Sections `aws configure mfa-login` wrote (its expiry comment, no long-term keys)."""
    if not any(n.startswith(MFA_LOGIN_PREFIX) for n in creds) and len(keyed) != 1:
        return []  # neither rule below could apply: skip reading raw lines
    return [n for n in creds if n not in keyed and _comment_expiry(credentials.raw_section(n))]


def _mfa_login_target(serial: str | None, sessions: list[str], identities: int) -> str | None:
    """The session `aws configure mfa-login` keeps for an identity: `session-DEVICE` (its
    default name, from the MFA device's name), or, with one identity only, the one section
    it wrote (`--update-profile` may have named it anything)."""
    device = serial.rsplit("/", 1)[-1] if serial and "/" in serial else None
    if device and MFA_LOGIN_PREFIX + device in sessions:
        return MFA_LOGIN_PREFIX + device
    if identities == 1 and len(sessions) == 1:
        return sessions[0]
    return None


def _session_target(name: str, own: str | None, settings: Settings, templated: bool,
                    creds: dict[str, dict[str, str]], peer: tuple[str, str] | None,
                    mfa_login: str | None) -> tuple[str, str | None, tuple[str, ...]]:
    """Where identity `name`'s session is: (section, peer layout or None, every name a rule
    gives it). `own`: its `[profiles.X] target`, followed as written. Otherwise the rules
    are tried in order (settings' template when `templated`, the peer's layout,
    mfa-login's, `{profile}-mfa`) and the first whose section holds a session wins, so a
    template change never orphans a session the files already hold; with none, the first
    rule names the new section."""
    if own:
        return own, None, (own,)
    if not (peer or mfa_login or templated):
        # (Most identities: one rule, `{profile}-mfa`, so nothing to try in turn.)
        default = DEFAULT_SESSION_NAME.format(profile=name)
        return default, None, (default,) if default != name else ()
    candidates: list[tuple[str, str | None]] = []
    if templated:
        candidates.append((session_name_for(name, settings), None))
    if peer:
        candidates.append(peer)
    if mfa_login:
        candidates.append((mfa_login, None))
    candidates.append((DEFAULT_SESSION_NAME.format(profile=name), None))
    names = tuple(dict.fromkeys(c[0] for c in candidates if c[0] != name))
    for candidate in candidates:
        if candidate[0] != name and _holds_session(creds.get(candidate[0])):
            return candidate[0], candidate[1], names
    return candidates[0][0], candidates[0][1], names


def _templated(settings: Settings) -> bool:
    """Whether the settings name sessions by a template of their own (then, as with a
    profile's own target, no peer layout applies)."""
    return bool(settings.strip_suffix or settings.session_name != DEFAULT_SESSION_NAME)


def _own_target(settings: Settings, name: str) -> str | None:
    """`settings.for_profile(name).target` without building a ProfileSettings for each of
    the (usually many) profiles that have none: the catalog asks this several times each."""
    own = settings.profiles.get(name)
    return own.target if own is not None else None


#: The environment variables a peer reads its MFA device and duration from.
PEER_SERIAL_VARIABLE = {"aws-mfa": "MFA_DEVICE", "awsmfa": "AWS_MFA_SERIAL_NUMBER"}
PEER_DURATION_VARIABLE = {"aws-mfa": "MFA_STS_DURATION", "awsmfa": "AWS_MFA_DURATION"}


def build_catalog(
    credentials: IniDocument, config: dict[str, dict[str, str]], settings: Settings,
    env: Mapping[str, str] | None = None,
) -> ProfileCatalog:
    # A plain dict: each os.environ lookup encodes the key, and peer_session asks per identity.
    env = dict(os.environ) if env is None else env
    creds = credentials.as_dict()
    identities: list[IdentityProfile] = []
    keyed = [name for name, values in creds.items() if is_long_term(values)]
    mfa_login = _mfa_login_sessions(credentials, creds, keyed)
    templated = _templated(settings)
    for name in keyed:
        values = creds[name]
        own = settings.for_profile(name)
        config_values = config.get(name, {})
        peer = None if own.target else peer_session(name, values, creds, env)
        layout = peer[1] if peer else None
        serial, serial_source = own.mfa_serial, "settings"
        peer_serial = PEER_SERIAL_VARIABLE.get(layout or "")
        if not serial and peer_serial and env.get(peer_serial):
            serial, serial_source = env[peer_serial], f"environment ({peer_serial})"
        if not serial and config_values.get("mfa_serial"):
            serial, serial_source = config_values["mfa_serial"], "config"
        if not serial:
            serial = values.get("mfa_serial") or values.get("aws_mfa_device")
            serial_source = "credentials"
        target, layout, names = _session_target(
            name, own.target, settings, templated, creds, peer,
            _mfa_login_target(serial, mfa_login, len(keyed)) if mfa_login and peer is None
            else None)
        duration = own.duration
        peer_duration = PEER_DURATION_VARIABLE.get(layout or "")
        if not duration and peer_duration:
            duration = _int_or_none(env.get(peer_duration))
        if not duration and not settings.duration_set:  # the peer's own default
            duration = PEER_DEFAULT_DURATION.get(layout or "")
        identities.append(IdentityProfile(
            name=name,
            access_key_id=values["aws_access_key_id"],
            session=_aws_mfa_role_wanted(
                session_profile_from(target, creds, name, layout,
                                     credentials.raw_section(target)), values, env),
            mfa_serial=serial or None,
            mfa_command=own.mfa_command or settings.mfa_command,
            duration=duration or settings.duration,
            region=config_values.get("region") or values.get("region"),
            serial_source=serial_source if serial else None,
            max_mfa_age=own.max_mfa_age,
            session_names=names,
        ))
    roles, broken = _roles(identities, creds, config, settings)
    roles = [*_aws_mfa_roles(identities, settings, env), *roles]
    problems = {role.name: role.session.blocked or "" for role in broken}
    return ProfileCatalog(identities=identities, roles=roles, config=config, credentials=creds,
                          problems=problems, broken=broken)


def _aws_mfa_role_wanted(session: SessionProfile, values: dict[str, str],
                         env: Mapping[str, str]) -> SessionProfile:
    """aws-mfa assumes the role its long-term section's `assume_role` (or MFA_ASSUME_ROLE)
    names: its section is that role's session, and one of another role, or a plain
    session, needs renewing (aws-mfa itself would replace it)."""
    wanted = env.get("MFA_ASSUME_ROLE") or values.get("assume_role")
    if session.layout != "aws-mfa" or not wanted or wanted == session.role_arn:
        return session
    return session._replace(role_arn=wanted, expiration=None)


def _aws_mfa_roles(identities: list[IdentityProfile], settings: Settings,
                   env: Mapping[str, str]) -> list[RoleProfile]:
    """The role sessions `aws-mfa --assume-role ARN` keeps in an identity's own section,
    each a role named like that section, renewed as that role (aws-mfa asks for 1 hour
    unless MFA_STS_DURATION says otherwise)."""
    roles = []
    for identity in identities:
        session = identity.session
        if not session.role_arn:
            continue
        own = settings.roles.get(session.name)
        roles.append(RoleProfile(
            name=session.name, role_arn=session.role_arn, source_profile=identity.name,
            identity=identity.name, session=session,
            duration=(_int_or_none(env.get("MFA_STS_DURATION"))
                      or (own.duration if own else None) or AWS_MFA_ROLE_DURATION),
            mfa_serial=identity.mfa_serial, region=identity.region,
        ))
    return roles


class _RoleSpec(NamedTuple):
    name: str
    role_arn: str
    source: str
    target: str
    duration: int | None
    role_session_name: str | None
    mfa_serial: str | None
    region: str | None
    from_config: bool
    max_mfa_age: int | None = None


def _role_target(name: str, settings: Settings, creds: dict[str, dict[str, str]]) -> str:
    """A config role's session section: the `role_session_name` template's, unless that
    section holds no session and the default's (`{role}-session`) does: a template change
    never orphans a role session the file already holds."""
    target = settings.role_session_name.format(role=name)
    if settings.role_session_name == DEFAULT_ROLE_SESSION_NAME:
        return target  # (most settings: one rule, so nothing to fall back to)
    default = DEFAULT_ROLE_SESSION_NAME.format(role=name)
    if target != default and not _holds_session(creds.get(target)) and _holds_session(
            creds.get(default)):
        return default
    return target


def _holds_session(values: dict[str, str] | None) -> bool:
    return bool(values and (values.get("aws_session_token") or values.get("aws_security_token")))


def _role_specs(config: dict[str, dict[str, str]], settings: Settings,
                creds: dict[str, dict[str, str]]) -> dict[str, _RoleSpec]:
    specs: dict[str, _RoleSpec] = {}
    for name, values in config.items():
        arn, source = values.get("role_arn"), values.get("source_profile")
        if not arn or not source:
            continue
        override = settings.roles.get(name)
        specs[name] = _RoleSpec(
            name=name, role_arn=arn, source=source,
            target=(override.target if override and override.target else
                    _role_target(name, settings, creds)),
            duration=_int_or_none(values.get("duration_seconds")) or (
                override.duration if override else None),
            role_session_name=values.get("role_session_name") or (
                override.role_session_name if override else None),
            mfa_serial=values.get("mfa_serial"), region=values.get("region"),
            from_config=True, max_mfa_age=settings.for_profile(name).max_mfa_age or (
                override.max_mfa_age if override else None),
        )
    for name, role in settings.roles.items():
        if name in specs:
            continue
        specs[name] = _RoleSpec(
            name=name, role_arn=role.role_arn, source=role.source_profile,
            target=role.target or name, duration=role.duration,
            role_session_name=role.role_session_name, mfa_serial=role.mfa_serial,
            region=None, from_config=False,
            max_mfa_age=role.max_mfa_age or settings.for_profile(name).max_mfa_age,
        )
    return specs


def _roles(identities: list[IdentityProfile], creds: dict[str, dict[str, str]],
           config: dict[str, dict[str, str]], settings: Settings
           ) -> tuple[list[RoleProfile], list[RoleProfile]]:
    """Every role whose chain ends at one of our identities, as trees under each identity
    (depth first, file order among siblings), and the roles whose chain is broken (a cycle
    or a missing source), in file order, each blocked by the one line naming its chain."""
    owners: dict[str, IdentityProfile] = {}
    for identity in identities:
        owners.setdefault(identity.session_profile, identity)
    for identity in identities:  # a session under a name another rule gives it
        for alias in identity.session_names:
            owners.setdefault(alias, identity)
    for identity in identities:
        owners[identity.name] = identity
    specs = _role_specs(config, settings, creds)
    resolved: dict[str, tuple[IdentityProfile, str | None, int] | None] = {}
    #: A broken role: the links from it to the break, whether the break is a cycle, and
    #: for a session section no rule names, the identity it seems to belong to.
    breaks: dict[str, tuple[tuple[str, ...], bool, str | None]] = {}

    def resolve(name: str, trail: tuple[str, ...] = ()
                ) -> tuple[IdentityProfile, str | None, int] | None:
        """(root identity, parent role, depth), or None when the chain isn't ours."""
        if name in resolved:
            return resolved[name]
        chain = (*trail, name)
        source = specs[name].source
        place: tuple[IdentityProfile, str | None, int] | None = None
        if source in chain:
            loop = (*chain[chain.index(source):], source)
            for link in loop:  # one line for the whole loop, said once
                breaks[link] = (loop, True, None)
        elif source in specs:
            above = resolve(source, chain)
            if above is not None:
                place = (above[0], source, above[2] + 1)
            elif source in breaks and name not in breaks:
                links, cycle, namesake = breaks[source]
                breaks[name] = ((name, *links), cycle, namesake)
        elif source in owners:
            place = (owners[source], None, 1)
        elif source not in config and source not in creds:
            breaks[name] = ((name, source), False, None)
        elif source not in config and (namesake := _namesake(source, creds, identities)):
            breaks[name] = ((name, source), False, namesake)
        # else: a source we don't manage (e.g. an SSO profile): not ours to keep fresh
        resolved[name] = place
        return place

    children: dict[str | None, list[str]] = {}
    roots: dict[str, list[str]] = {}
    for name in specs:
        place = resolve(name)
        if place is None:
            continue
        owner, parent_name, _ = place
        if parent_name is None:
            roots.setdefault(owner.name, []).append(name)
        else:
            children.setdefault(parent_name, []).append(name)

    def build(name: str, owner: IdentityProfile, parent: RoleProfile | None
              ) -> RoleProfile:
        spec = specs[name]
        return RoleProfile(
            name=name, role_arn=spec.role_arn, source_profile=spec.source,
            identity=owner.name, session=session_profile_from(spec.target, creds, owner.name),
            duration=spec.duration, role_session_name=spec.role_session_name,
            mfa_serial=spec.mfa_serial,
            region=spec.region or (parent.region if parent else owner.region),
            from_config=spec.from_config, parent=parent.name if parent else None,
            depth=parent.depth + 1 if parent else 1, max_mfa_age=spec.max_mfa_age,
        )

    roles: list[RoleProfile] = []
    for identity in identities:
        stack: list[tuple[str, RoleProfile | None]] = [
            (n, None) for n in reversed(roots.get(identity.name, []))]
        while stack:  # depth first, siblings in file order
            name, parent = stack.pop()
            role = build(name, identity, parent)
            roles.append(role)
            stack.extend((child, role) for child in reversed(children.get(name, [])))
    broken = [RoleProfile(
        name=name, role_arn=spec.role_arn, source_profile=spec.source, identity="",
        session=SessionProfile(spec.target, blocked=_chain_break(*breaks[name])),
        from_config=spec.from_config,
    ) for name, spec in specs.items() if name in breaks]
    return roles, broken


def _namesake(section: str, creds: dict[str, dict[str, str]],
              identities: list[IdentityProfile]) -> str | None:
    """The identity a session section seems to belong to when no rule names it (its name
    starts or ends with the identity's, as `{profile}-old` would): say so rather than drop
    the role. Sessions of other tools (saml2aws's `[saml]`) match no identity: left alone."""
    if not _holds_session(creds.get(section)):
        return None
    best = None
    for identity in identities:
        name = identity.name
        if len(section) > len(name) and (
                (section.startswith(name) and not section[len(name)].isalnum())
                or (section.endswith(name) and not section[-len(name) - 1].isalnum())
        ) and (best is None or len(name) > len(best)):
            best = name
    return best


def _chain_break(links: tuple[str, ...], cycle: bool, namesake: str | None = None) -> str:
    """One line naming the whole chain from the role to where it breaks."""
    chain = " -> ".join(links)
    if cycle:
        return f"role chain {chain} has a cycle: fix a source_profile in it"
    if namesake:
        section = links[-1]
        return (f"role chain {chain}: no session_name rule names `{section}` a session of "
                f"{namesake} any more: set source_profile = {namesake}, or keep it with "
                f'[profiles.{namesake}] target = "{section}" in settings')
    return f"role chain {chain}: source profile `{links[-1]}` doesn't exist"



def _int_or_none(value: str | None) -> int | None:
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    if number is not None and not 900 <= number <= MAX_DURATION:
        return None
    return number
