"""Access key rotation that always leaves a working key, in the file and in IAM.

AWS shows a new secret once. The order here is the one that can't lose a key:

1. Preconditions: list the IAM user's keys and find the profile's among them. Two keys
   already: stop (an inactive other key may be deleted first, on explicit request).
2. Create the new key (one attempt: a retried create could make a key whose secret we
   never see).
3. Persist it at once: one locked, atomic edit puts the new id and secret into every
   credentials section that holds the old key id.
4. Verify: sts:GetCallerIdentity with the key read back from the file must name the same
   user; retried with backoff for up to 60 s (new keys take seconds to work).
5. Deactivate the old key, then delete it (or leave it inactive).
6. Mark the MFA sessions made from the old key stale.

Any failure undoes what can be undone (a failed persist deletes the new key; a failed
verify restores the old key in the file and deletes the new key) and ends with
`RotationError`, whose one-line message names the full key id that needs attention when
something could not be undone. Key ids are not secret; the new secret only ever exists as
a `Secret` and is written only into the credentials file.

IAM calls are signed with an MFA session made for the rotation when the profile has an
MFA device (MFA-guarded IAM policies need it), else with the long-term key. Each step is
appended to `rotation.log` beside the settings file (masked key ids, never a secret).

This module blocks: the TUI calls it from thread workers only.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from tui.engine import aws_calls
from tui.engine.aws_calls import AccessKeyInfo, AwsKeys, CallerIdentity
from tui.engine.credentials_store import CredentialsStore, format_expiration
from tui.engine.errors import (
    AwsAuthError,
    AwsMfaError,
    AwsUnavailableError,
    RotationError,
    UsageError,
)
from tui.engine.ini_document import IniDocument
from tui.engine.mfa_code import SKIP, CodeRequest, FixedCode, MfaCodeSource
from tui.engine.profiles import IdentityProfile, is_long_term
from tui.engine.secret import Secret, mask_key_id

#: Keys older than this are flagged on the rotation screen and the main screen.
KEY_MAX_AGE_DAYS = 90
#: How long a new key gets to start working before the rotation is undone.
VERIFY_TIMEOUT = 60.0
#: Lifetime of the MFA session made to sign the rotation's IAM calls: an hour, so a person
#: who reads the plan slowly before confirming doesn't find the session gone.
ROTATION_SESSION_SECONDS = 3600
LOG_NAME = "rotation.log"


#: How far AWS's clock may be from ours when telling a key we made from one made before.
ORPHAN_CLOCK_MARGIN = timedelta(minutes=5)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


# ---------------------------------------------------------------------- key age
def key_age(created: datetime | None, now: datetime) -> timedelta | None:
    """How old a key is (never negative), or None when IAM gave no date."""
    if created is None:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return max(now - created, timedelta(0))


def is_key_old(created: datetime | None, now: datetime,
               max_age_days: int = KEY_MAX_AGE_DAYS) -> bool:
    """True for a key created more than `max_age_days` ago (the main screen flags these)."""
    age = key_age(created, now)
    return age is not None and age > timedelta(days=max_age_days)


def old_keys(keys: list[AccessKeyInfo] | tuple[AccessKeyInfo, ...], now: datetime,
             max_age_days: int = KEY_MAX_AGE_DAYS) -> list[AccessKeyInfo]:
    """The keys older than `max_age_days`, e.g. from `SessionService.identity_details()`."""
    return [k for k in keys if is_key_old(k.created, now, max_age_days)]


def describe_age(created: datetime | None, now: datetime) -> str:
    age = key_age(created, now)
    if age is None:
        return "-"
    if age < timedelta(days=1):
        return "today"
    return f"{age.days} day" + ("" if age.days == 1 else "s")


# ---------------------------------------------------------------------- steps
class RotationStep(enum.Enum):
    CHECK = "check the keys again"
    DELETE_INACTIVE = "delete the inactive key"
    CREATE = "create a new key"
    PERSIST = "write the new key to the credentials file"
    VERIFY = "verify the new key"
    DEACTIVATE = "deactivate the old key"
    DELETE = "delete the old key"
    MARK_STALE = "mark the MFA session stale"
    # Undo steps, reported only when something failed.
    RESTORE = "put the old key back in the credentials file"
    REMOVE_NEW = "delete the new key"
    REMOVE_ORPHAN = "delete a key whose secret was lost"

    @property
    def label(self) -> str:
        return self.value


class StepOutcome(enum.Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class StepEvent:
    step: RotationStep
    outcome: StepOutcome
    detail: str = ""  # one line, masked key ids only


StepCallback = Callable[[StepEvent], None]


@dataclass(frozen=True)
class RotationPlan:
    """What rotation will do, from the preconditions. Holds no secret."""

    profile: str
    arn: str
    user_name: str | None
    old_key_id: str
    keys: tuple[AccessKeyInfo, ...]
    sections: tuple[str, ...]  # credentials sections that hold the old key id
    stale_sessions: tuple[str, ...]  # MFA session sections made from the old key
    signed_with: str  # "an MFA session (serial)" or "the long-term key"
    blocked: str | None = None
    #: The user's other key, when there is one.
    other_key: AccessKeyInfo | None = None
    delete_other_first: bool = False
    keep_old_inactive: bool = False

    @property
    def other_is_inactive(self) -> bool:
        return self.other_key is not None and self.other_key.status != "Active"

    @property
    def can_delete_other(self) -> bool:
        """The user may choose to delete the other key first (only an inactive one)."""
        return self.other_is_inactive and not self.delete_other_first

    @property
    def current_key(self) -> AccessKeyInfo | None:
        return next((k for k in self.keys if k.access_key_id == self.old_key_id), None)

    def steps(self) -> list[RotationStep]:
        steps = [RotationStep.CHECK]
        if self.delete_other_first:
            steps.append(RotationStep.DELETE_INACTIVE)
        steps += [RotationStep.CREATE, RotationStep.PERSIST, RotationStep.VERIFY,
                  RotationStep.DEACTIVATE]
        if not self.keep_old_inactive:
            steps.append(RotationStep.DELETE)
        steps.append(RotationStep.MARK_STALE)
        return steps

    def describe(self) -> list[str]:
        """The plan as short lines for the CLI and the TUI (masked key ids)."""
        old = mask_key_id(self.old_key_id)
        lines = []
        if self.delete_other_first and self.other_key is not None:
            lines.append(f"delete the inactive key {mask_key_id(self.other_key.access_key_id)}")
        sections = ", ".join(f"[{s}]" for s in self.sections)
        lines += [
            "create a new access key",
            f"write it to {sections} at once (locked, atomic)",
            "check the new key works (up to 60 s)",
            f"deactivate the old key {old}"
            + (" and leave it inactive" if self.keep_old_inactive else ", then delete it"),
        ]
        if self.stale_sessions:
            lines.append("mark " + ", ".join(f"[{s}]" for s in self.stale_sessions)
                         + " stale (refresh it afterwards)")
        return lines


@dataclass(frozen=True)
class RotationResult:
    profile: str
    old_key_id: str
    new_key_id: str
    sections: tuple[str, ...]
    old_key_state: str  # "deleted" or "inactive"
    stale_sessions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------- the log
class RotationLog:
    """Append-only JSON lines: time, profile, masked key ids, step, outcome. No secret."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, profile: str, step: str, outcome: str, old_key: str | None = None,
              new_key: str | None = None, detail: str = "") -> None:
        record = {
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "profile": profile,
            "old_key": mask_key_id(old_key) if old_key else None,
            "new_key": mask_key_id(new_key) if new_key else None,
            "step": step,
            "outcome": outcome,
        }
        if detail:
            record["detail"] = detail
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError:
            return  # the log must never stop (or undo) a rotation
        try:
            os.write(fd, line)
        except OSError:
            pass
        finally:
            os.close(fd)


# ---------------------------------------------------------------------- rotation
def _keys_in(document: IniDocument, key_id: str) -> list[str]:
    """Sections with long-term keys whose key id is `key_id`."""
    return [name for name, values in document.as_dict().items()
            if values.get("aws_access_key_id") == key_id and is_long_term(values)]


@dataclass
class KeyRotation:
    """Rotate the access key of one identity profile. See the module docstring."""

    service: Any  # tui.engine.sessions.SessionService (not imported: no cycle, no cost)
    profile: str
    serial: str | None = None  # --serial-number
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    verify_timeout: float = VERIFY_TIMEOUT
    store: CredentialsStore | None = None
    log_path: Path | None = None
    _session: AwsKeys | None = field(default=None, repr=False)
    _authenticated: bool = False

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = self.service.store
        if self.log_path is None:
            self.log_path = Path(self.service.paths.settings).parent / LOG_NAME
        self.log = RotationLog(self.log_path)

    # ------------------------------------------------------------ who signs
    def _identity(self) -> IdentityProfile:
        identity: IdentityProfile = self.service.catalog().identity(self.profile)
        return identity

    def _long_term(self, identity: IdentityProfile | None = None) -> AwsKeys:
        return self.service.long_term_keys(identity or self._identity())

    def mfa_serial(self) -> str | None:
        """The profile's TOTP device (configured, given, or found through IAM), or None."""
        return self.service.mfa_device(self._identity(), self.serial)

    def code_request(self) -> CodeRequest | None:
        """What to ask a person for before `authenticate`, or None when no code is needed."""
        serial = self.mfa_serial()
        if not serial:
            return None
        identity = self._identity()
        return CodeRequest(identity.name, serial, identity.mfa_command)

    def authenticate(self, code_source: MfaCodeSource | None) -> str:
        """Make the MFA session that signs the rotation's IAM calls (when there's a device).

        Returns how IAM calls will be signed, for the plan. `--token-code skip` (or no
        device) signs with the long-term key.
        """
        identity = self._identity()
        skip = isinstance(code_source, FixedCode) and (
            code_source.code.reveal().strip().lower() == SKIP
        )
        serial = None if skip else self.mfa_serial()
        self._session = None
        if serial and code_source is not None:
            code = code_source.get_code(CodeRequest(identity.name, serial, identity.mfa_command))
            if code is not None:
                self.service.used_codes.claim(serial, code)
                credentials = aws_calls.get_session_token(
                    self._long_term(identity), ROTATION_SESSION_SECONDS, serial, code,
                    identity.region,
                )
                self._session = AwsKeys.from_session(
                    f"{identity.name} (rotation MFA session)", credentials
                )
        self._authenticated = True
        return self.signed_with

    @property
    def signed_with(self) -> str:
        if self._session is not None:
            key = mask_key_id(self._session.access_key_id)
            return f"a new MFA session ({key})"
        return "the profile's long-term key"

    def _signer(self) -> AwsKeys:
        return self._session or self._long_term()

    # ------------------------------------------------------------ preconditions
    def plan(self, delete_inactive: bool = False, keep_old_inactive: bool = False
             ) -> RotationPlan:
        """List the user's keys and decide what rotation would do. Changes nothing."""
        if not self._authenticated:
            self.authenticate(None)
        identity = self._identity()
        # Who the profile's key belongs to: asked with the key itself (GetCallerIdentity is
        # never denied), so the new key can be checked against exactly this ARN.
        caller = aws_calls.get_caller_identity(self._long_term(identity), identity.region)
        keys = tuple(aws_calls.list_access_keys(self._signer(), caller.user_name))
        return self._plan_from(identity, caller, keys, delete_inactive, keep_old_inactive)

    def _plan_from(self, identity: IdentityProfile, caller: CallerIdentity,
                   keys: tuple[AccessKeyInfo, ...], delete_inactive: bool,
                   keep_old_inactive: bool) -> RotationPlan:
        old = identity.access_key_id
        catalog = self.service.catalog()
        document = self.store.read()  # type: ignore[union-attr]
        sections = tuple(_keys_in(document, old))
        stale = tuple(
            i.session_profile for i in catalog.identities
            if i.access_key_id == old and i.session.present and not i.session.blocked
        )
        others = [k for k in keys if k.access_key_id != old]
        other = others[0] if others else None
        blocked = None
        delete_first = False
        if not any(k.access_key_id == old for k in keys):
            blocked = (
                f"the key of profile {identity.name} ({old}) is not one of {caller.arn}'s "
                "access keys; nothing was changed"
            )
        elif other is not None:
            other_id = other.access_key_id
            if other.status == "Active":
                blocked = (
                    f"{caller.arn} already has two access keys and the other one ({other_id}) "
                    "is active: deactivate or delete it yourself first (it may be in use "
                    "elsewhere); nothing was changed"
                )
            elif delete_inactive:
                delete_first = True
            else:
                blocked = (
                    f"{caller.arn} already has two access keys; the other one ({other_id}) is "
                    "inactive and may be deleted first (--delete-inactive, or d on the "
                    "rotation screen); nothing was changed"
                )
        return RotationPlan(
            profile=identity.name, arn=caller.arn, user_name=caller.user_name,
            old_key_id=old, keys=keys, sections=sections, stale_sessions=stale,
            signed_with=self.signed_with, blocked=blocked, other_key=other,
            delete_other_first=delete_first, keep_old_inactive=keep_old_inactive,
        )

    # ------------------------------------------------------------ running
    def run(self, plan: RotationPlan, on_step: StepCallback | None = None) -> RotationResult:
        """Rotate. Raises RotationError (after undoing what it can) when a step fails."""
        return _Run(self, plan, on_step).execute()


def _iam(keys: AwsKeys, retries: bool = True) -> Any:
    return aws_calls.iam_client(keys, retries=retries)


class _Run:
    """One execution of a plan: the steps, their undo, and the report."""

    def __init__(self, rotation: KeyRotation, plan: RotationPlan,
                 on_step: StepCallback | None) -> None:
        self.rotation = rotation
        self.plan = plan
        self.on_step = on_step
        self.store: CredentialsStore = rotation.store  # type: ignore[assignment]
        self.old = plan.old_key_id
        self.new: str | None = None
        self.new_secret: Secret | None = None
        self.sections: tuple[str, ...] = ()
        #: Each changed section's previous secret, to put back if the new key fails.
        self.previous: dict[str, Secret] = {}
        self.notes: list[str] = []
        self.create_started = datetime.now(UTC)

    # ------------------------------------------------------------ reporting
    def report(self, step: RotationStep, outcome: StepOutcome, detail: str = "") -> None:
        self.rotation.log.write(self.plan.profile, step.name.lower(), outcome.value,
                                self.old, self.new, detail)
        if self.on_step is not None:
            try:
                self.on_step(StepEvent(step, outcome, detail))
            except Exception:  # noqa: S110 - a display callback must not break a rotation
                pass

    def fail(self, step: RotationStep, exc: BaseException) -> str:
        reason = _reason(exc)
        self.report(step, StepOutcome.FAILED, _mask_ids(reason))
        return reason

    # ------------------------------------------------------------ signers
    def before_verify(self) -> AwsKeys:
        return self.rotation._signer()

    def new_keys(self) -> AwsKeys:
        assert self.new is not None and self.new_secret is not None
        return AwsKeys(self.new, self.new_secret, profile=f"{self.plan.profile} (new key)")

    def after_verify(self) -> list[AwsKeys]:
        """Credentials that should still work once the new key is verified, best first."""
        signers = []
        if self.rotation._session is not None:
            signers.append(self.rotation._session)
        signers.append(self.new_keys())
        return signers

    def _call(self, signers: list[AwsKeys], action: str, call: Callable[[Any], Any]) -> Any:
        """Call IAM with the first signer that AWS accepts (a session may have lapsed)."""
        last: AwsMfaError | None = None
        for keys in signers:
            try:
                return call(_iam(keys))
            except Exception as exc:
                last = aws_calls.translate_error(exc, action, keys)
                if not _signer_refused(exc):
                    raise last from None
        assert last is not None
        raise last

    def user(self) -> dict[str, str]:
        return {"UserName": self.plan.user_name} if self.plan.user_name else {}

    def list_key_dates(self, signers: list[AwsKeys]) -> dict[str, datetime | None]:
        """{key id: creation time} as IAM says now."""
        listed = self._call(signers, "iam:ListAccessKeys",
                            lambda iam: iam.list_access_keys(**self.user()))
        return {k["AccessKeyId"]: _aware(k.get("CreateDate"))
                for k in listed["AccessKeyMetadata"]}

    def list_keys(self, signers: list[AwsKeys]) -> dict[str, str]:
        """{key id: status} as IAM says now."""
        listed = self._call(signers, "iam:ListAccessKeys",
                            lambda iam: iam.list_access_keys(**self.user()))
        return {k["AccessKeyId"]: k["Status"] for k in listed["AccessKeyMetadata"]}

    # ------------------------------------------------------------ the protocol
    def execute(self) -> RotationResult:
        plan = self.plan
        if plan.blocked:
            self.report(RotationStep.CHECK, StepOutcome.FAILED, _mask_ids(plan.blocked))
            raise RotationError(plan.blocked)
        self.check()
        if plan.delete_other_first:
            self.delete_inactive()
        self.create()
        self.persist()
        self.verify()
        self.deactivate()
        old_state = "inactive"
        if not plan.keep_old_inactive:
            self.delete_old()
            old_state = "deleted"
        else:
            self.report(RotationStep.DELETE, StepOutcome.SKIPPED, "kept inactive")
        stale = self.mark_stale()
        assert self.new is not None
        return RotationResult(
            profile=plan.profile, old_key_id=self.old, new_key_id=self.new,
            sections=self.sections, old_key_state=old_state, stale_sessions=stale,
            notes=tuple(self.notes),
        )

    def check(self) -> None:
        """The preconditions again, signed for the run: nothing changed since the plan."""
        step = RotationStep.CHECK
        self.report(step, StepOutcome.RUNNING)
        try:
            now = self.list_keys([self.before_verify()])
            values = self.store.read().get_section(self.plan.profile)
        except Exception as exc:
            reason = self.fail(step, exc)
            raise RotationError(f"couldn't check the keys: {reason}; nothing was changed")
        planned = {k.access_key_id: k.status for k in self.plan.keys}
        if now != planned or values.get("aws_access_key_id") != self.old:
            message = (
                "the access keys or the credentials file changed since the plan was made; "
                "nothing was changed: look at the keys again"
            )
            self.report(step, StepOutcome.FAILED, message)
            raise RotationError(message)
        self.report(step, StepOutcome.DONE)

    def delete_inactive(self) -> None:
        step = RotationStep.DELETE_INACTIVE
        other = self.plan.other_key
        assert other is not None
        self.report(step, StepOutcome.RUNNING, mask_key_id(other.access_key_id))
        try:
            self._call([self.before_verify()], "iam:DeleteAccessKey",
                       lambda iam: iam.delete_access_key(AccessKeyId=other.access_key_id,
                                                         **self.user()))
        except Exception as exc:
            reason = self.fail(step, exc)
            raise RotationError(
                f"couldn't delete the inactive key {other.access_key_id}: {reason}; "
                "nothing else was changed"
            )
        self.report(step, StepOutcome.DONE, mask_key_id(other.access_key_id))

    def create(self) -> None:
        step = RotationStep.CREATE
        self.report(step, StepOutcome.RUNNING)
        signer = self.before_verify()
        self.create_started = datetime.now(UTC)
        try:
            response = _iam(signer, retries=False).create_access_key(**self.user())
            created = response["AccessKey"]
            self.new = str(created["AccessKeyId"])
            self.new_secret = Secret(created["SecretAccessKey"])
            del response, created
        except Exception as exc:
            error = aws_calls.translate_error(exc, "iam:CreateAccessKey", signer)
            reason = self.fail(step, error)
            if isinstance(error, (AwsAuthError, UsageError)):
                # A definite refusal: AWS made no key.
                raise RotationError(
                    f"creating the new key failed: {reason}; nothing was changed, the "
                    f"credentials file still holds {self.old}"
                ) from None
            self.after_failed_create(reason)
        self.report(step, StepOutcome.DONE, mask_key_id(self.new))

    def after_failed_create(self, reason: str) -> NoReturn:
        """A create can fail after AWS made the key (the answer was lost): find that key,
        whose secret nobody has, and delete it."""
        known = {k.access_key_id for k in self.plan.keys}
        if self.plan.delete_other_first and self.plan.other_key is not None:
            known.discard(self.plan.other_key.access_key_id)
        # Only a key made since our create began can be ours (minus a margin for clock
        # skew): a key someone else made meanwhile is never touched.
        since = self.create_started - ORPHAN_CLOCK_MARGIN
        try:
            orphans = [k for k, created in self.list_key_dates([self.before_verify()]).items()
                       if k not in known and (created is None or created >= since)]
        except Exception:
            raise RotationError(
                f"creating the new key failed ({reason}) and IAM can't be checked now: if "
                f"{self.plan.arn} has a key other than {self.old}, AWS made it without "
                "giving us its secret; delete that key. The credentials file was not changed"
            ) from None
        for orphan in orphans:
            step = RotationStep.REMOVE_ORPHAN
            self.report(step, StepOutcome.RUNNING, mask_key_id(orphan))
            def delete(iam: Any, key: str = orphan) -> Any:
                return iam.delete_access_key(AccessKeyId=key, **self.user())

            try:
                self._call([self.before_verify()], "iam:DeleteAccessKey", delete)
            except Exception as exc:
                self.fail(step, exc)
                raise RotationError(
                    f"creating the new key failed ({reason}) after AWS made key {orphan}, "
                    f"whose secret was lost, and deleting it failed too: delete access key "
                    f"{orphan} in IAM. The credentials file still holds {self.old}"
                ) from None
            self.report(step, StepOutcome.DONE, mask_key_id(orphan))
        raise RotationError(
            f"creating the new key failed: {reason}; nothing was changed, the credentials "
            f"file still holds {self.old}"
        )

    def persist(self) -> None:
        step = RotationStep.PERSIST
        assert self.new is not None and self.new_secret is not None
        self.report(step, StepOutcome.RUNNING)
        new, secret, old = self.new, self.new_secret, self.old
        profile = self.plan.profile

        def replace(document: IniDocument) -> tuple[str, ...]:
            sections = _keys_in(document, old)
            if profile not in sections:
                raise RotationError(
                    f"[{profile}] no longer holds key {old}: another program changed it"
                )
            for name in sections:
                self.previous[name] = Secret(
                    document.get_section(name).get("aws_secret_access_key", ""))
                document.set_values(name, {
                    "aws_access_key_id": new,
                    "aws_secret_access_key": secret.reveal(),
                })
            return tuple(sections)

        try:
            self.sections = self.store.edit(replace)
        except Exception as exc:
            reason = self.fail(step, exc)
            holds = self._file_holds(new)
            if holds is None:
                # Can't tell whether the write landed: the locked restore puts the old key
                # back where the new one is (a no-op if it never landed), then deletes it.
                self.undo_persist(f"couldn't write the new key to the credentials file: "
                                  f"{reason}")
            if holds:
                # The write landed before the error (e.g. while syncing): carry on.
                self.sections = tuple(self._sections_with(new))
                self.notes.append(f"the write reported an error but landed: {reason}")
                self.report(step, StepOutcome.DONE, "found in the file after the error")
                return
            self.undo_create(
                f"couldn't write the new key to the credentials file: {reason}",
                file_note=f"the credentials file still holds {old}",
            )
        self.report(step, StepOutcome.DONE, ", ".join(self.sections))

    def _file_holds(self, key_id: str) -> bool | None:
        """Whether the file holds the key; None when it can't be read to tell."""
        try:
            return bool(self._sections_with(key_id))
        except Exception:
            return None

    def _sections_with(self, key_id: str) -> list[str]:
        return _keys_in(self.store.read(), key_id)

    def undo_create(self, why: str, file_note: str) -> NoReturn:
        """Delete the new key (signed with what worked before it) and stop."""
        step = RotationStep.REMOVE_NEW
        assert self.new is not None
        self.report(step, StepOutcome.RUNNING, mask_key_id(self.new))
        try:
            self._call([self.before_verify()], "iam:DeleteAccessKey",
                       lambda iam: iam.delete_access_key(AccessKeyId=self.new, **self.user()))
        except Exception as exc:
            reason = self.fail(step, exc)
            raise RotationError(
                f"{why}; deleting the new key failed too ({reason}): delete access key "
                f"{self.new} in IAM (its secret is not stored anywhere); {file_note}"
            ) from None
        self.report(step, StepOutcome.DONE, mask_key_id(self.new))
        raise RotationError(f"{why}; the new key was deleted, {file_note}")

    def verify(self) -> None:
        step = RotationStep.VERIFY
        self.report(step, StepOutcome.RUNNING)
        rotation = self.rotation
        deadline = rotation.monotonic() + rotation.verify_timeout
        delay = 1.0
        attempts = 0
        while True:
            attempts += 1
            try:
                values = self.store.read().get_section(self.plan.profile)
                keys = AwsKeys.from_section(self.plan.profile, values)
                if keys.access_key_id != self.new:
                    raise RotationError(f"[{self.plan.profile}] no longer holds the new key")
                caller = aws_calls.get_caller_identity(keys, self._region())
                if caller.arn != self.plan.arn:
                    raise RotationError(
                        f"the new key signs in as {caller.arn}, not {self.plan.arn}"
                    )
                break
            except Exception as exc:
                retry = isinstance(exc, (AwsAuthError, AwsUnavailableError))
                left = deadline - rotation.monotonic()
                if not retry or left <= 0:
                    reason = self.fail(step, exc)
                    self.undo_persist(f"the new key didn't work after {attempts} "
                                      f"tries: {reason}")
                self.report(step, StepOutcome.RUNNING, f"not yet ({attempts}), retrying")
                rotation.sleep(min(delay, max(left, 0.0)))
                delay = min(delay * 2, 8.0)
        self.report(step, StepOutcome.DONE,
                    f"signs in as {self.plan.arn}" + (f" after {attempts} tries"
                                                       if attempts > 1 else ""))

    def _region(self) -> str | None:
        try:
            return self.rotation._identity().region
        except AwsMfaError:
            return None

    def undo_persist(self, why: str) -> NoReturn:
        """Put the old key back in every section we changed, then delete the new key."""
        step = RotationStep.RESTORE
        self.report(step, StepOutcome.RUNNING)
        assert self.new is not None
        new, old, previous = self.new, self.old, self.previous

        def restore(document: IniDocument) -> list[str]:
            names = [n for n in _keys_in(document, new) if n in previous]
            for name in names:
                document.set_values(name, {
                    "aws_access_key_id": old,
                    "aws_secret_access_key": previous[name].reveal(),
                })
            return names

        try:
            self.store.edit(restore)
        except Exception as exc:
            reason = self.fail(step, exc)
            raise RotationError(
                f"{why}; putting the old key back failed too ({reason}): the credentials "
                f"file holds the new key {new}, which didn't verify, and the old key "
                f"{self.old} is still active in IAM; both keys were kept"
            ) from None
        self.report(step, StepOutcome.DONE)
        self.undo_create(why, file_note=f"the credentials file holds {self.old} again")

    def deactivate(self) -> None:
        step = RotationStep.DEACTIVATE
        self.report(step, StepOutcome.RUNNING, mask_key_id(self.old))
        try:
            self._call(self.after_verify(), "iam:UpdateAccessKey",
                       lambda iam: iam.update_access_key(AccessKeyId=self.old,
                                                         Status="Inactive", **self.user()))
        except Exception as exc:
            reason = self.fail(step, exc)
            try:
                status = self.list_keys(self.after_verify()).get(self.old)
            except Exception:
                raise RotationError(
                    f"couldn't deactivate the old key ({reason}) and IAM can't be checked "
                    f"now: the credentials file holds the new key {self.new}, which works; "
                    f"deactivate and delete the old key {self.old} in IAM"
                ) from None
            if status == "Active":
                # The new key is verified and in the file: never undo past this point (a
                # lost answer may have deactivated the old key after all). Keep both.
                raise RotationError(
                    f"the new key {self.new} is in the credentials file and works, but "
                    f"deactivating the old key failed ({reason}): the old key {self.old} is "
                    "still active; deactivate and delete it in IAM"
                ) from None
            self.notes.append(f"deactivation reported an error but the old key is {status}")
        self.report(step, StepOutcome.DONE, mask_key_id(self.old))

    def delete_old(self) -> None:
        step = RotationStep.DELETE
        self.report(step, StepOutcome.RUNNING, mask_key_id(self.old))
        try:
            self._call(self.after_verify(), "iam:DeleteAccessKey",
                       lambda iam: iam.delete_access_key(AccessKeyId=self.old, **self.user()))
        except Exception as exc:
            reason = self.fail(step, exc)
            try:
                gone = self.old not in self.list_keys(self.after_verify())
            except Exception:
                gone = False
            if not gone:
                with contextlib.suppress(Exception):
                    self.mark_stale()  # they were made from the old, now inactive key
                raise RotationError(
                    f"the new key {self.new} is in the credentials file and works, but "
                    f"deleting the old key failed ({reason}): the old key {self.old} is "
                    "inactive; delete it in IAM"
                ) from None
        self.report(step, StepOutcome.DONE, mask_key_id(self.old))

    def mark_stale(self) -> tuple[str, ...]:
        """Expire the MFA sessions made from the old key so they get refreshed."""
        step = RotationStep.MARK_STALE
        names = self.plan.stale_sessions
        if not names:
            self.report(step, StepOutcome.SKIPPED, "no MFA session")
            return ()
        self.report(step, StepOutcome.RUNNING, ", ".join(names))
        now = format_expiration(datetime.now(UTC))

        def expire(document: IniDocument) -> tuple[str, ...]:
            done = []
            for name in names:
                values = document.get_section(name)
                if values.get("aws_session_token") or values.get("aws_security_token"):
                    document.set_values(name, {"expiration": now})
                    done.append(name)
            return tuple(done)

        try:
            marked: tuple[str, ...] = self.store.edit(expire)
        except Exception as exc:
            reason = self.fail(step, exc)
            self.notes.append(f"couldn't mark the MFA session stale ({reason}): refresh it")
            return ()
        self.report(step, StepOutcome.DONE, ", ".join(marked))
        return marked


def _signer_refused(exc: BaseException) -> bool:
    """The credentials themselves were refused (not the action): try the next signer."""
    import botocore.exceptions as bx

    if isinstance(exc, bx.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return code in ("InvalidClientTokenId", "ExpiredToken", "UnrecognizedClientException",
                        "SignatureDoesNotMatch", "AccessDenied")
    return False


def _reason(exc: BaseException) -> str:
    if isinstance(exc, AwsMfaError):
        return exc.message
    try:
        return aws_calls.translate_error(exc, "the step").message
    except Exception:
        return type(exc).__name__


def _mask_ids(text: str) -> str:
    """Mask full access key ids in a message meant for the log."""
    import re

    return re.sub(r"\b(A[KS]IA[A-Z0-9]{12,})\b", lambda m: mask_key_id(m.group(1)), text)
