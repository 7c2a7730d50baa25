"""MFA sessions and role sessions: get them, keep them, drop them.

`SessionService` is the one API the command line, `watch`, the TUI (and the credentials
agent) share. Each method reads the files fresh (another process may have written them),
unless the caller hands it the `catalog` it read for this command: one snapshot, read once
and passed down, so a command reads each file once unless it writes. A renewal reads them
again under its renewal lock (`renewal_lock`), where another process's new session is
found and handed out instead of renewing twice. AWS is called through `aws.calls`; writes
go through the locked `CredentialsStore`. Methods block: the TUI calls them from thread
workers only.
"""

from __future__ import annotations

import contextlib
import os

# threading.Lock itself, without importing threading (a fresh session handed out by
# credential-process starts no thread: ~1.4 ms of its start-up).
from _thread import allocate_lock
from collections.abc import Callable
from datetime import datetime, timedelta

from tui.engine.credential_values import AwsKeys, SessionCredentials, parse_expiration
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import (
    AwsMfaError,
    MfaCodeError,
    SessionNotSaved,
    SettingsError,
    UsageError,
)
from tui.engine.mfa.age import TIMES_KEY, SessionTimes, earlier_clock, past_mfa_age
from tui.engine.mfa.codes import (
    CodeRequest,
    MfaCodeSource,
    NoCodeSource,
    UsedCodes,
    check_serial_shape,
    choose_code_source,
)
from tui.engine.mfa.sent_codes import SENT_CODES
from tui.engine.named_tuple import TYPE_CHECKING, NamedTuple
from tui.engine.profiles.catalog import (
    CHAINED_ROLE_MAX_DURATION,
    IdentityProfile,
    Paths,
    ProfileCatalog,
    RoleProfile,
    SessionProfile,
    build_catalog,
    read_config,
    session_profile_from,
)
from tui.engine.profiles.status import (
    CHAIN_MARGIN,
    StatusRow,
    can_chain,
    code_needed,
    needs_code,
    source_usable,
    status_rows,
)
from tui.engine.secret import Secret
from tui.engine.sessions.renewal_lock import RENEWAL_WAIT, renewal_lock
from tui.engine.sessions.schedule import Clock, RefreshSchedule, SessionState, system_clock
from tui.engine.settings import MAX_DURATION, MIN_DURATION, Settings, load_settings, save_settings

if TYPE_CHECKING:
    from tui.engine.credentials_file.ini_document import IniDocument
    from tui.engine.mfa.devices import MfaDevices
    from tui.engine.profiles.identity_details import IdentityDetails

# The AWS call layer (and the MFA devices built on it) is imported when first needed:
# handing out a fresh session (`credential-process`, `env`) calls no AWS at all.

ROOT_MAX_DURATION = 3600
__all__ = ["RefreshResult", "SessionService", "check_duration", "no_code_needed"]


class RefreshResult(NamedTuple):
    profile: str  # the identity or role asked for
    target: str  # the credentials section written
    expiration: datetime | None
    skipped: bool = False  # still fresh, nothing done
    #: Another process renewed it while this one waited for the renewal lock: the files
    #: changed, so a snapshot read before is out of date.
    by_another: bool = False
    notes: tuple[str, ...] = ()


class SessionService:
    def __init__(
        self,
        paths: Paths,
        settings: Settings | None = None,
        clock: Clock = system_clock,
        used_codes: UsedCodes | None = None,
        lock_timeout: float | None = None,
        notice: Callable[[str], None] | None = None,
        renewal_wait: float = RENEWAL_WAIT,
    ) -> None:
        self.paths = paths
        self.clock = clock
        #: The codes already sent: by every process of this user, unless a test says.
        self.used_codes = used_codes or SENT_CODES
        self.lock_timeout = lock_timeout
        #: Longest wait for another process renewing the same session.
        self.renewal_wait = renewal_wait
        self._notice = notice
        # lock_timeout None: a busy lock is waited for (told through `notice` after 2 s),
        # never given up on, so a session AWS granted is not thrown away with its code.
        self.store = CredentialsStore(paths.credentials, lock_timeout=lock_timeout, notice=notice)
        self.settings = settings if settings is not None else load_settings(paths.settings)
        self._devices: MfaDevices | None = None
        self._user_names: dict[str, str] = {}
        #: Roles already told that AWS caps a chained session at 1 hour: the note is said
        #: once per role per service (one CLI command run; the whole life of `watch` or
        #: the TUI), not on every hourly renewal.
        self._told_chain_cap: set[str] = set()
        self._told_duration: set[str] = set()  # the same, for negotiated durations
        self._guard = allocate_lock()
        #: The last catalog and what it was built from (see `catalog`).
        self._last_catalog: tuple[IniDocument, dict[str, dict[str, str]], Settings,
                                  dict[str, str], ProfileCatalog] | None = None

    @property
    def devices(self) -> MfaDevices:
        """The identities' MFA devices (made on first use: it brings the AWS call layer)."""
        with self._guard:
            if self._devices is None:
                from tui.engine.mfa.devices import MfaDevices

                self._devices = MfaDevices(self.long_term_keys)
            return self._devices

    # ------------------------------------------------------------ reading state
    @property
    def current_settings(self) -> Settings:
        assert self.settings is not None
        return self.settings

    def reload_settings(self) -> Settings:
        self.settings = load_settings(self.paths.settings)
        return self.settings

    def save_settings(self, settings: Settings) -> None:
        save_settings(settings, self.paths.settings)
        self.settings = settings

    def catalog(self) -> ProfileCatalog:
        """The profiles as the files are now. Files read again with nothing changed (a
        refresh reads them again under the renewal lock) give the catalog already built:
        at 2,000 profiles a build costs about 12 ms."""
        document = self.store.read()
        config = read_config(self.paths.config)
        settings = self.current_settings
        env = dict(os.environ)
        last = self._last_catalog
        if (last is not None and last[0].same_parse(document) and last[1] == config
                and last[2] is settings and last[3] == env):
            return last[4]
        catalog = build_catalog(document, config, settings, env)
        self._last_catalog = (document, config, settings, env, catalog)
        return catalog

    def schedule(self) -> RefreshSchedule:
        return RefreshSchedule(lead_time=self.current_settings.lead_time, clock=self.clock)

    def status(self, catalog: ProfileCatalog | None = None,
               now: datetime | None = None) -> list[StatusRow]:
        """Every identity with its session, then its roles, in file order."""
        discovered = self._devices.discovered() if self._devices is not None else None
        return status_rows(catalog or self.catalog(), self.schedule(), now, discovered)

    # ------------------------------------------------------------ MFA device
    def resolve_serial(
        self, identity: IdentityProfile, explicit: str | None = None,
        choose: Callable[[list[str]], str] | None = None,
    ) -> str:
        """--serial-number > settings > config > credentials > discovery through IAM."""
        return self.devices.resolve(identity, explicit, choose)

    def mfa_device(self, identity: IdentityProfile, explicit: str | None = None) -> str | None:
        """The device a code is needed for, or None when the user has none."""
        return self.devices.device(identity, explicit)

    def init(self, name: str, serial: str | None = None,
             choose: Callable[[list[str]], str] | None = None) -> str:
        """Find (or take) the profile's MFA device and store it in settings."""
        identity = self.catalog().identity(name)
        found = serial or self.devices.discover(identity, choose)
        self.reload_settings()
        self.save_settings(self.current_settings.with_profile(identity.name, mfa_serial=found))
        return found

    def choose_device(self, name: str, serial: str) -> None:
        """A person picked one of the identity's MFA devices: save it in settings (raises
        when that fails) and use it from now on."""
        identity = self.catalog().identity(name)
        serial = check_serial_shape(serial)
        self.devices.chosen(identity, serial)
        self.reload_settings()
        try:
            self.save_settings(self.current_settings.with_profile(identity.name,
                                                                  mfa_serial=serial))
        except OSError as exc:
            raise SettingsError(f"{self.paths.settings} can't be written: "
                                f"{exc.strerror or exc}") from None

    def remember_serial(self, name: str, serial: str) -> None:
        try:
            self.reload_settings()
            self.save_settings(self.current_settings.with_profile(name, mfa_serial=serial))
        except (OSError, AwsMfaError):
            pass  # only a cache: the next refresh discovers it again

    def needs_code(self, name: str, catalog: ProfileCatalog | None = None) -> bool:
        """Whether refreshing this identity or role now would ask a person for a code."""
        catalog = catalog or self.catalog()
        role = catalog.role(name)
        if role is not None:
            return needs_code(catalog, role, self.clock(), self.current_settings.lead_time)
        return not catalog.identity(name).mfa_command

    # ------------------------------------------------------------ refreshing
    def renew(
        self, name: str, code_source: MfaCodeSource | None = None, *,
        interactive: bool = True, force: bool = True, keep_valid: bool = False,
        catalog: ProfileCatalog | None = None,
    ) -> RefreshResult:
        """Make this profile's session fresh: the one place that decides how.

        `name` is an identity, its session profile, or a role. A role that can be chained
        from a valid session needs no code; otherwise `code_source` gives the code, or when
        it is None the usual sources do (mfa_command, then a terminal or askpass when
        `interactive`). Unless `force`, a fresh session is left alone. With `keep_valid`, a
        session that is still valid is kept when no code source is available (a note says
        so) instead of failing. `catalog`: this command's snapshot, when it has one.

        Any number of callers, in any number of processes, cost one renewal: it runs under
        the session's renewal lock, and whoever waited hands out the session it wrote."""
        catalog = catalog or self.catalog()
        role = catalog.role(name)
        identity = catalog.identity(role.identity if role else name)
        session = role.session if role else identity.session
        if not force and self._is_fresh(session, (role or identity).max_mfa_age):
            return RefreshResult(role.name if role else identity.name, session.name,
                                 session.expiration, skipped=True)
        if code_source is None:
            # A role chained from a valid session asks no source; one whose chain has ended
            # renews it with the identity's source (mfa_command, askpass, the terminal).
            code_source = choose_code_source(None, identity.mfa_command,
                                             interactive=interactive)
            chained = role is not None and not code_needed(
                catalog, role, self.clock(), self.current_settings.lead_time)
            if keep_valid and not chained and isinstance(code_source, NoCodeSource) and (
                    session.present and session.expiration
                    and session.expiration > self.clock()):
                return RefreshResult(
                    role.name if role else identity.name, session.name,
                    session.expiration, skipped=True,
                    notes=("session expires soon and no MFA code source is available",))
        if role is not None:
            return self.assume(role.name, code_source, force=True, catalog=catalog)
        return self.refresh(identity.name, code_source, force=True, catalog=catalog)

    def refresh(
        self, name: str, code_source: MfaCodeSource, duration: int | None = None,
        force: bool = False, serial: str | None = None, catalog: ProfileCatalog | None = None,
    ) -> RefreshResult:
        """Trade an identity's long-term keys (and a code) for a new MFA session.

        `catalog`: one the caller has just built, so the files aren't read again."""
        catalog = catalog or self.catalog()
        identity = catalog.identity(name)
        target = identity.session
        if target.role_arn and catalog.role(target.name) is not None:
            # aws-mfa keeps a role session in this identity's section: renew it as that role.
            return self.assume(target.name, code_source, duration=duration, serial=serial,
                               force=force)
        if target.blocked:
            raise UsageError(target.blocked)
        duration = duration or identity.duration
        check_duration(duration)
        if not force and self._is_fresh(target, identity.max_mfa_age):
            return RefreshResult(identity.name, target.name, target.expiration, skipped=True)
        seen = target.expiration
        with self._renewal(target.name):
            # Another process may have renewed it while this one waited: read it again.
            catalog = self.catalog()
            identity = catalog.identity(name)
            if self._renewed_meanwhile(identity.session, seen, force, identity.max_mfa_age):
                return RefreshResult(identity.name, identity.session.name,
                                     identity.session.expiration, skipped=True,
                                     by_another=identity.session.expiration != seen)
            return self._refresh_locked(catalog, identity, code_source, duration, serial)

    def _refresh_locked(self, catalog: ProfileCatalog, identity: IdentityProfile,
                        code_source: MfaCodeSource, duration: int,
                        serial: str | None) -> RefreshResult:
        from tui.engine.aws import calls as aws_calls

        target = identity.session
        keys = self.long_term_keys(identity, catalog)
        use_mfa, device, code = self._code_for(identity, code_source, serial)
        issued = self.clock()
        credentials = aws_calls.get_session_token(
            keys, duration, device if use_mfa else None, code, identity.region,
            shared=aws_calls.SharedFiles(self.paths.credentials, catalog.credentials),
        )
        self._save(target.name, credentials, target.layout,
                   _region_for(catalog, target.name, identity.region),
                   times=SessionTimes(issued, issued if use_mfa else None, use_mfa))
        notes = []
        if use_mfa and device and not identity.mfa_serial and device != serial:
            # Found through IAM: remember it, so the next refresh needs no discovery calls.
            self.remember_serial(identity.name, device)
            notes.append(f"remembered MFA device {device} in {self.paths.settings}")
        if not use_mfa:
            notes.append("no MFA was used: this session won't satisfy MFA-required policies")
        granted = (credentials.expiration - self.clock()).total_seconds()
        if duration > ROOT_MAX_DURATION and granted <= ROOT_MAX_DURATION + 60:
            notes.append(
                f"AWS granted about {int(granted // 60)} minutes instead of {duration // 3600} "
                "hours: root credentials get at most 1 hour"
            )
        return RefreshResult(identity.name, target.name, credentials.expiration,
                             notes=tuple(notes))

    def _is_fresh(self, session: SessionProfile, max_mfa_age: int | None = None) -> bool:
        """Fresh by both clocks: its expiry and its MFA age (see `mfa.age`)."""
        ends = earlier_clock(session.expiration, session.times, max_mfa_age, None).ends_at
        entry = self.schedule().entry(session.name, ends)
        return session.present and entry.state is SessionState.FRESH

    def _renewal(self, section: str) -> contextlib.AbstractContextManager[bool]:
        """The renewal lock of a session section, shared by every process of this user."""
        return renewal_lock(self.paths.credentials, section, self.renewal_wait, self._notice)

    def _renewed_meanwhile(self, session: SessionProfile, seen: datetime | None,
                           force: bool, max_mfa_age: int | None = None) -> bool:
        """Under the renewal lock: whether the session (read again) needs no renewal after
        all, because it is fresh, or (`force`) because it is not the one this renewal set
        out to replace. A session with time left is handed out, never thrown away."""
        if not self._is_fresh(session, max_mfa_age):
            return False
        return not force or session.expiration != seen

    def _code_for(self, identity: IdentityProfile, source: MfaCodeSource,
                  serial: str | None) -> tuple[bool, str | None, Secret | None]:
        if source.without_mfa:
            return False, None, None
        device = self.resolve_serial(identity, serial)
        code = source.get_code(CodeRequest(identity.name, device, identity.mfa_command))
        if code is None:
            return False, None, None
        self.used_codes.claim(device, code)
        return True, device, code

    def long_term_keys(self, identity: IdentityProfile,
                        catalog: ProfileCatalog | None = None) -> AwsKeys:
        catalog = catalog or self.catalog()
        return AwsKeys.from_section(identity.name, catalog.session_section(identity.name))

    def assume(
        self, role_name: str, code_source: MfaCodeSource, identity_name: str | None = None,
        target: str | None = None, duration: int | None = None,
        role_session_name: str | None = None, serial: str | None = None,
        force: bool = True, catalog: ProfileCatalog | None = None,
    ) -> RefreshResult:
        """Assume a role: chained from a valid MFA session without a code, else with one
        (the session it is assumed from is renewed first when it has ended)."""
        catalog = catalog or self.catalog()
        role = self._role_for(catalog, role_name, identity_name, target)
        if role.session.blocked:
            raise UsageError(role.session.blocked)
        if not force and self._is_fresh(role.session, role.max_mfa_age):
            return RefreshResult(role.name, role.target, role.session.expiration, skipped=True)
        with self._renewal(role.target):
            # Another process may have renewed it while this one waited: read it again.
            seen = role.session.expiration
            catalog = self.catalog()
            role = self._role_for(catalog, role_name, identity_name, target)
            if self._renewed_meanwhile(role.session, seen, force, role.max_mfa_age):
                return RefreshResult(role.name, role.target, role.session.expiration,
                                     skipped=True, by_another=role.session.expiration != seen)
            return self._assume_locked(catalog, role, code_source, duration,
                                       role_session_name, serial)

    def _assume_locked(self, catalog: ProfileCatalog, role: RoleProfile,
                       code_source: MfaCodeSource, duration: int | None,
                       role_session_name: str | None, serial: str | None) -> RefreshResult:
        from tui.engine.sessions import duration_negotiation
        identity = catalog.identity(role.identity)
        notes: list[str] = []
        duration = duration or role.duration
        now = self.clock()
        parent = catalog.parent(role)
        if parent is not None:
            # A chain: assumed from the parent role's session, renewed first when needed.
            lead = self.current_settings.lead_time
            if not source_usable(parent, role, now, lead):
                if past_mfa_age(identity.session.times, role.max_mfa_age, now,
                                max(CHAIN_MARGIN, timedelta(seconds=lead))):
                    # Renewing the parent from this MFA session would carry its old MFA.
                    result = self.refresh(identity.name, code_source, force=True, serial=serial)
                    notes.extend(result.notes)
                    notes.append(f"renewed {identity.session_profile} first (MFA too old "
                                 f"for {role.name})")
                result = self.assume(parent.name, code_source, force=True, serial=serial)
                notes.extend(result.notes)
                notes.append(f"renewed {parent.target} first")
                catalog = self.catalog()
                parent = catalog.parent(role) or parent
            keys = AwsKeys.from_section(parent.target, catalog.session_section(parent.target))
            duration = self._chained_duration(role.name, duration, notes)
            device = code = None
            source_times = parent.session.times
        else:
            lead = self.current_settings.lead_time
            if role.source_profile == identity.session_profile and not can_chain(
                    identity, now, role, lead):
                # The role starts from the MFA session, which needs renewing first.
                result = self.refresh(identity.name, code_source, force=True, serial=serial)
                notes.extend(result.notes)
                notes.append(f"renewed {identity.session_profile} first")
                catalog = self.catalog()
                identity = catalog.identity(identity.name)
                now = self.clock()
            if can_chain(identity, now, role, lead):
                keys = AwsKeys.from_section(
                    identity.session_profile, catalog.session_section(identity.session_profile)
                )
                duration = self._chained_duration(role.name, duration, notes)
                device = code = None
                source_times = identity.session.times
            else:
                keys = self.long_term_keys(identity, catalog)
                use_mfa, device, code = self._code_for(
                    identity, code_source, serial or role.mfa_serial
                )
                if not use_mfa:
                    device = code = None
                source_times = None
        session_name = role_session_name or role.role_session_name or self._user_name(
            identity, self.long_term_keys(identity, catalog)
        )
        lookup = self.signing_keys(identity.name, catalog)  # for IAM GetRole, a hint only
        said: list[str] = []
        if code is not None:
            duration = duration_negotiation.up_front(role.name, role.role_arn, duration,
                                                     lookup, said)

        def next_code() -> tuple[str | None, Secret | None]:
            use, again, second = self._code_for(identity, code_source, serial or role.mfa_serial)
            return (again, second) if use and second is not None else (None, None)

        issued = self.clock()
        credentials = duration_negotiation.assume(
            keys, role.name, role.role_arn, session_name, duration, (device, code),
            role.region, lookup, next_code, said)
        notes.extend(self._once(role.name, said))
        # A role session carries the moment of the MFA it comes from (see `mfa.age`).
        if code is not None:
            times = SessionTimes(issued, issued)
        elif source_times is not None:
            times = SessionTimes(issued, source_times.mfa_at, source_times.mfa_used)
        else:  # from a session with no record of ours (unknown), or from bare keys (none)
            times = SessionTimes(issued, None, keys.session_token is not None)
        self._save(role.target, credentials, role.session.layout,
                   _region_for(catalog, role.target, role.region),
                   role.role_arn if role.session.role_arn else None, times=times)
        return RefreshResult(role.name, role.target, credentials.expiration, notes=tuple(notes))

    def _save(self, section: str, credentials: SessionCredentials,
              layout: str | None = None, extra: dict[str, str] | None = None,
              role_arn: str | None = None, times: SessionTimes | None = None) -> None:
        if times is not None:
            extra = {**(extra or {}),
                     TIMES_KEY: times.record(credentials.access_key_id, credentials.expiration)}
        try:
            self.store.write_session(section, credentials, layout, extra, role_arn)
        except KeyboardInterrupt:
            raise SessionNotSaved(
                f"interrupted while waiting to write the credentials file (its lock, or "
                f"another program's write to finish): the session AWS granted "
                f"for [{section}] was not saved"
            ) from None

    def _once(self, name: str, notes: list[str]) -> list[str]:
        """Notes about a role's duration, said once per role per service (like the chain
        cap's)."""
        with self._guard:
            first = name not in self._told_duration
            if notes:
                self._told_duration.add(name)
        return notes if first else []

    def _chained_duration(self, name: str, duration: int | None, notes: list[str]) -> int:
        if duration and duration > CHAINED_ROLE_MAX_DURATION:
            with self._guard:
                first = name not in self._told_chain_cap
                self._told_chain_cap.add(name)
            if first:
                notes.append(
                    f"AWS caps a role chained from a session at 1 hour: {name} gets 3600 s, "
                    f"not the {duration} s asked for"
                )
        return min(duration or CHAINED_ROLE_MAX_DURATION, CHAINED_ROLE_MAX_DURATION)

    def _role_for(self, catalog: ProfileCatalog, name: str, identity_name: str | None,
                  target: str | None) -> RoleProfile:
        role = catalog.role(name)
        if role is None:
            role = catalog.role_by_arn(name, identity_name, target,
                                       self.current_settings.role_session_name)
            return role
        if identity_name and catalog.identity(identity_name).name != role.identity:
            raise UsageError(f"role {role.name} starts from {role.identity}, not {identity_name}")
        if target and target != role.target:
            session = session_profile_from(target, catalog.credentials, role.identity)
            role = role._replace(session=session)
        return role

    def _user_name(self, identity: IdentityProfile, keys: AwsKeys) -> str:
        """The IAM user name (GetCallerIdentity is never denied, even without MFA)."""
        with self._guard:
            known = self._user_names.get(identity.name)
        if known:
            return known
        from tui.engine.aws import calls as aws_calls

        caller = aws_calls.get_caller_identity(keys, identity.region)
        name = caller.user_name or "aws-mfa-tui"
        with self._guard:
            self._user_names[identity.name] = name
        return name

    def signing_keys(self, name: str, catalog: ProfileCatalog | None = None) -> AwsKeys:
        """Keys for IAM calls about an identity: its MFA session while valid (MFA-guarded
        policies deny IAM to bare long-term keys), else the long-term keys."""
        catalog = catalog or self.catalog()
        identity = catalog.identity(name)
        session = identity.session
        if not session.blocked and can_chain(identity, self.clock()):
            return AwsKeys.from_section(session.name, catalog.session_section(session.name))
        return self.long_term_keys(identity, catalog)

    def identity_details(self, name: str) -> IdentityDetails:
        """Ask IAM who this identity is and about its access keys (for the details view)."""
        from tui.engine.profiles.identity_details import identity_details

        catalog = self.catalog()
        identity = catalog.identity(name)
        return identity_details(identity, self.long_term_keys(identity, catalog),
                                self.signing_keys(identity.name, catalog))

    # ------------------------------------------------------------ using sessions
    def session_for(self, name: str, catalog: ProfileCatalog | None = None
                    ) -> tuple[str, SessionCredentials]:
        """The stored session of a session profile, a role, or an identity (its session),
        from `catalog` when the caller read one since the last write."""
        catalog = catalog or self.catalog()
        role = catalog.role(name)
        if role is not None:
            section = role.target
        elif name in catalog.credentials and not catalog.is_identity(name):
            section = name
        else:
            section = catalog.identity(name).session_profile
        values = catalog.session_section(section)
        token = values.get("aws_session_token") or values.get("aws_security_token")
        if not values or not token:
            raise UsageError(f"no session in [{section}] yet: run `aws-mfa-tui refresh {name}`")
        expiration = parse_expiration(values.get("expiration"))
        if expiration is None:
            raise UsageError(f"[{section}] has no expiration; refresh it with aws-mfa-tui")
        return section, SessionCredentials(
            values.get("aws_access_key_id", ""), Secret(values.get("aws_secret_access_key", "")),
            Secret(token), expiration)

    def logout(self, names: list[str]) -> list[str]:
        """Remove session sections (never an identity's long-term keys)."""
        catalog = self.catalog()
        removed = []
        for name in names:
            role = catalog.role(name)
            if role is not None:
                section = role.target
            elif catalog.is_identity(name):
                section = catalog.identity(name).session_profile
            else:
                section = name
            values = catalog.session_section(section)
            if catalog.is_identity(section) or (
                values and not (values.get("aws_session_token")
                                or values.get("aws_security_token"))
            ):
                raise UsageError(f"[{section}] holds long-term keys; logout never removes those")
            if self.store.remove_section(section):
                removed.append(section)
        return removed


def _region_for(catalog: ProfileCatalog, section: str, region: str | None
                ) -> dict[str, str] | None:
    """The identity's (or role's) region for a session section that names none, so the
    session profile works on its own (`AWS_PROFILE=work-mfa aws ec2 ...`)."""
    if region and "region" not in catalog.session_section(section):
        return {"region": region}
    return None


def check_duration(duration: int) -> None:
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise UsageError(
            f"session duration must be {MIN_DURATION}-{MAX_DURATION} seconds "
            f"(15 minutes to 36 hours); got {duration}"
        )


def no_code_needed() -> MfaCodeSource:
    """For chained role refreshes: asking for a code here is a bug, so it fails loudly."""

    class _Never(MfaCodeSource):
        def get_code(self, request: CodeRequest):  # type: ignore[override]
            raise MfaCodeError(f"{request.profile} needs a new MFA code")

    return _Never()
