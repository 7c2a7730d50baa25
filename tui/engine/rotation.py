"""Access key rotation that always leaves a working key, in the file and in IAM.

AWS shows a new secret once. The order here is the one that can't lose a key:

1. Preconditions: list the IAM user's keys and find the profile's among them. Two keys
   already: stop (an inactive other key may be deleted first, on explicit request).
2. Create the new key (one attempt: a retried create could make a key whose secret we
   never see).
3. Persist it at once: one locked, atomic edit puts the new id and secret into every
   credentials section that holds the old key id.
4. Verify: sts:GetCallerIdentity with the new key must name the same user; retried with
   backoff for up to 60 s (new keys take seconds to work).
5. Look at the file again: every section that held the old key must hold the new one, and
   keep it (`key_in_file`: a program that takes no lock may write back a copy it read
   before our write; the key is then written again). Only then is the old key deactivated,
   then deleted (or left inactive); the file is looked at again after that and at the end.
6. Mark the MFA sessions made from the old key stale.

Any failure undoes what can be undone (a failed persist deletes the new key; a failed
verify, or a file that won't keep the new key, restores the old key in the file and deletes
the new key) and ends with
`RotationError`, whose one-line message names the full key id that needs attention when
something could not be undone. Key ids are not secret; the new secret only ever exists as
a `Secret` and is written only into the credentials file.

IAM calls are signed with an MFA session made for the rotation when the profile has an
MFA device (MFA-guarded IAM policies need it; the profile's own MFA session while valid,
else one made for the rotation), else with the long-term key. Before each step a line is
fsynced to the journal (`rotation_journal`: key ids, never a secret), so a rotation cut off
at any point is finished by the next one (`KeyRotation.finish_unfinished`).

This module blocks: the TUI calls it from thread workers only.
"""

from __future__ import annotations

import contextlib
import enum
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from tui.engine import aws_calls, iam_calls
from tui.engine.access_keys import (  # re-exported: the key-age helpers lived here
    KEY_MAX_AGE_DAYS,
    describe_age,
    is_key_old,
    key_age,
    old_keys,
)
from tui.engine.aws_calls import AccessKeyInfo, AwsKeys, CallerIdentity
from tui.engine.credentials_store import CredentialsStore
from tui.engine.errors import (
    AwsAuthError,
    AwsMfaError,
    AwsUnavailableError,
    RotationError,
    UsageError,
)
from tui.engine.key_in_file import HOLD as KEY_HOLD
from tui.engine.key_in_file import TIMEOUT as KEY_HOLD_TIMEOUT
from tui.engine.key_in_file import FileLook, KeyInFile
from tui.engine.mfa_code import SKIP, CodeRequest, FixedCode, MfaCodeSource
from tui.engine.profiles import IdentityProfile
from tui.engine.rotation_journal import BEGIN, END, LOG_NAME, RotationJournal, Unfinished
from tui.engine.secret import Secret, mask_key_id

if TYPE_CHECKING:  # type-only: the service is handed in
    from tui.engine.sessions import SessionService

__all__ = [
    "KEY_MAX_AGE_DAYS", "LOG_NAME", "KeyRotation", "RecoveryResult", "RotationPlan",
    "RotationResult", "RotationStep", "StepEvent", "StepOutcome", "close_abandoned",
    "describe_age",
    "is_key_old", "key_age", "old_keys", "unfinished_profiles",
]

#: How long a new key gets to start working before the rotation is undone.
VERIFY_TIMEOUT = 60.0
#: Lifetime of the MFA session made to sign the rotation's IAM calls: an hour, so a person
#: who reads the plan slowly before confirming doesn't find the session gone.
ROTATION_SESSION_SECONDS = 3600


#: How far AWS's clock may be from ours when telling a key we made from one made before.
ORPHAN_CLOCK_MARGIN = timedelta(minutes=5)
#: Held (beside the journal) for the whole of a rotation or a recovery.
ROTATION_LOCK_NAME = ".rotation.lock"


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
    #: A look at the credentials file: it still holds the key (see `key_in_file`).
    RECHECK = "check the credentials file keeps the new key"
    #: Finishing a rotation that was cut off (see `KeyRotation.finish_unfinished`).
    RECOVER = "finish the rotation that was cut off"
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


@dataclass(frozen=True)
class RecoveryResult:
    """How a rotation that was cut off was finished."""

    profile: str
    #: The key the credentials file holds now, the one working key left in IAM.
    key_id: str
    #: True when the cut-off rotation was undone (the new key's secret never reached the
    #: file, so the new key was deleted): a rotation can start again.
    rolled_back: bool
    #: What was done, one line each (masked key ids).
    actions: tuple[str, ...]
    stale_sessions: tuple[str, ...] = ()

    def summary(self) -> str:
        what = "undone" if self.rolled_back else "finished"
        done = "; ".join(self.actions) if self.actions else "nothing was left to do"
        return (f"a key rotation of {self.profile} was cut off; it was {what}: {done}. "
                f"[{self.profile}] holds {mask_key_id(self.key_id)}")


# ---------------------------------------------------------------------- rotation
@dataclass
class KeyRotation:
    """Rotate the access key of one identity profile. See the module docstring."""

    service: SessionService
    profile: str
    serial: str | None = None  # --serial-number
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    verify_timeout: float = VERIFY_TIMEOUT
    #: How long a look at the file holds, and keeps writing the key again (`key_in_file`).
    hold: float = KEY_HOLD
    hold_timeout: float = KEY_HOLD_TIMEOUT
    store: CredentialsStore | None = None
    log_path: Path | None = None
    _session: AwsKeys | None = field(default=None, repr=False)
    _authenticated: bool = False
    _session_is_new: bool = True

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = self.service.store
        if self.log_path is None:
            self.log_path = Path(self.service.paths.settings).parent / LOG_NAME
        self.journal = RotationJournal(self.log_path)

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
                self._session_is_new = True
        self._authenticated = True
        return self.signed_with

    def authenticate_for_recovery(self, code_source: MfaCodeSource | None) -> None:
        """`authenticate`, except that a key AWS doesn't know is no stop: the cut-off
        rotation may have retired the key the file holds now (another program put it
        back), and the recovery is what says so and which key to deal with."""
        try:
            self.authenticate(code_source)
        except AwsAuthError:
            self._session = None
            self._authenticated = True

    def use_valid_session(self) -> bool:
        """Sign with the profile's own MFA session while it is valid, so no code is asked
        for. False (nothing changed) when there is none."""
        keys: AwsKeys = self.service.signing_keys(self.profile)
        if keys.session_token is None:
            return False
        self._session = keys
        self._session_is_new = False
        self._authenticated = True
        return True

    @property
    def signed_with(self) -> str:
        if self._session is not None:
            key = mask_key_id(self._session.access_key_id)
            if not self._session_is_new:
                return f"the MFA session [{self._session.profile}] ({key})"
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
        sections = tuple(self.store.sections_with_key(old))  # type: ignore[union-attr]
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
        with self._exclusive():
            return _Run(self, plan, on_step).execute()

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One rotation (or recovery) at a time on this machine: a second one would read
        the first's open journal entry as cut off and "finish" it under its feet (delete
        its new key, or the old key it still signs with). Never waits."""
        import filelock

        from tui.engine.credentials_lock import _file_lock

        assert self.log_path is not None
        lock_path = self.log_path.with_name(ROTATION_LOCK_NAME)
        lock = _file_lock(lock_path)
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            raise RotationError(
                "another key rotation is running on this machine; nothing was changed: "
                "let it finish, then try again"
            ) from None
        except OSError as exc:
            raise RotationError(f"can't lock {lock_path}: {exc.strerror}; nothing was "
                                "changed") from None
        try:
            yield
        finally:
            lock.release()

    # ------------------------------------------------------------ cut-off rotations
    def unfinished(self) -> Unfinished | None:
        """The journal's rotation of this profile that never ended, if any."""
        pending = self.journal.unfinished(self.profile)
        return pending[-1] if pending else None

    def finish_unfinished(self, on_step: StepCallback | None = None
                          ) -> RecoveryResult | None:
        """Finish a rotation of this profile that was cut off (None when there is none).

        - The file still holds the old key: the new key's secret never reached it, so the
          new key (or any key made since the rotation began) is deleted.
        - The file holds the new key: it is verified (unless the journal shows it already
          was), then the old key is deactivated and deleted (or left inactive, as planned).
        Raises RotationError, journal left open, when that can't be done now.
        """
        pending = self.unfinished()
        if pending is None:
            return None
        if not self._authenticated:
            self.authenticate_for_recovery(None)
        with self._exclusive():
            pending = self.unfinished()  # read again: another run may have ended it
            if pending is None:
                return None
            return _Recovery(self, pending, on_step).execute()


class _Steps:
    """What a run and a recovery share: the journal, the report, the signers."""

    def __init__(self, rotation: KeyRotation, profile: str, old: str,
                 on_step: StepCallback | None) -> None:
        self.rotation = rotation
        self.profile = profile
        self.on_step = on_step
        self.store: CredentialsStore = rotation.store  # type: ignore[assignment]
        self.old = old
        self.new: str | None = None
        self.new_secret: Secret | None = None
        self.user_name: str | None = None
        #: The looks at the file, once the sections that held the old key are known.
        self.file: KeyInFile | None = None

    def watch_file(self, sections: tuple[str, ...]) -> None:
        rotation = self.rotation
        self.file = KeyInFile(self.store, sections, hold=rotation.hold,
                              timeout=rotation.hold_timeout)
        self.file.note_our_write()

    def keep_in_file(self, point: str, want: str, secrets: Mapping[str, Secret],
                     unwanted: str, write_again: Callable[[FileLook], object],
                     hold: bool = False) -> FileLook:
        """Look at the file again (see `key_in_file`), writing `want` again wherever
        another program put `unwanted` back; each look and each rewrite is journalled."""
        assert self.file is not None
        step = RotationStep.RECHECK
        self.report(step, StepOutcome.RUNNING, point, show=False, look=point)

        def put_back(found: FileLook) -> None:
            self.report(step, StepOutcome.RUNNING,
                        f"{point}: another program put {mask_key_id(unwanted)} back in "
                        f"{_sections(found.put_back)}; writing {mask_key_id(want)} again",
                        look=point, put_back=list(found.put_back))

        found = self.file.keep(want, secrets, unwanted, write_again, put_back, hold=hold)
        again = found.written_again
        if found.kept:
            self.report(step, StepOutcome.DONE,
                        point + (f": written again {again} times" if again else ""),
                        show=bool(again), look=point, holding=list(found.holding))
            if again:
                self.notes_append(
                    f"another program put {mask_key_id(unwanted)} back into the credentials "
                    f"file {_sections(found.put_back or found.holding)}; "
                    f"{mask_key_id(want)} was written again ({again} times)")
        else:
            self.report(step, StepOutcome.FAILED, f"{point}: {self.not_kept(found, unwanted)}",
                        look=point, holding=list(found.holding))
        return found

    def not_kept(self, found: FileLook, unwanted: str) -> str:
        """Why a look failed, in words (full key ids: see `_mask_ids` for the journal)."""
        if not found.readable:
            return f"the credentials file couldn't be read for {self.rotation.hold_timeout:g} s"
        if found.put_back:
            return (f"another program kept putting {unwanted} back into "
                    f"{_sections(found.put_back)} of the credentials file for "
                    f"{self.rotation.hold_timeout:g} s")
        return (f"{_sections(found.others)} of the credentials file were changed by "
                "another program")

    def keep_new(self, point: str, hold: bool = False) -> FileLook:
        """The file holds the new key, wherever the old one was; written again where a
        writer put the old one back."""
        assert self.file is not None and self.new is not None
        new, old, secret = self.new, self.old, self.new_secret
        assert secret is not None
        return self.keep_in_file(
            point, new, dict.fromkeys(self.file.sections, secret), old,
            lambda found: self.store.replace_key(old, new, secret,
                                                 required=found.put_back[0]),
            hold=hold)

    def retired_but_not_kept(self, found: FileLook, state: str) -> NoReturn:
        """The old key is gone (or inactive) and the file doesn't keep the new one."""
        why = self.not_kept(found, self.old)
        if found.holding:
            raise RotationError(
                f"the old key {self.old} is {state} in IAM, but {why}: "
                f"{_sections(found.holding)} holds the new key {self.new}; copy it into "
                f"{_sections(found.put_back or found.others)} once that program stops"
            )
        raise RotationError(
            f"the old key {self.old} is {state} in IAM, but {why}, so no section holds a "
            f"working key: the new key {self.new} couldn't be kept in the file and its "
            "secret is lost; stop that program, delete that key and create a new one in IAM"
        )

    def report(self, step: RotationStep, outcome: StepOutcome, detail: str = "",
               show: bool = True, **extra: object) -> None:
        """Journal the event (always), and show it (unless `show` is False)."""
        self.rotation.journal.write(self.profile, step.name.lower(), outcome.value,
                                    self.old, self.new, detail, **extra)
        if self.on_step is not None and show:
            try:
                self.on_step(StepEvent(step, outcome, detail))
            except Exception:  # noqa: S110 - a display callback must not break a rotation
                pass

    def end(self, outcome: str, new: str | None = None) -> None:
        self.rotation.journal.write(self.profile, END, outcome, self.old, new or self.new)

    def fail(self, step: RotationStep, exc: BaseException) -> str:
        reason = _reason(exc)
        self.report(step, StepOutcome.FAILED, _mask_ids(reason))
        return reason

    def before_verify(self) -> AwsKeys:
        return self.rotation._signer()

    def new_keys(self) -> AwsKeys:
        assert self.new is not None and self.new_secret is not None
        return AwsKeys(self.new, self.new_secret, profile=f"{self.profile} (new key)")

    def after_verify(self) -> list[AwsKeys]:
        """Credentials that should still work once the new key is verified, best first."""
        signers = []
        if self.rotation._session is not None:
            signers.append(self.rotation._session)
        signers.append(self.new_keys())
        return signers

    def key_states(self, signers: list[AwsKeys]) -> dict[str, tuple[str, datetime | None]]:
        return iam_calls.first_accepted(
            signers, lambda keys: iam_calls.key_states(keys, self.user_name))

    def list_keys(self, signers: list[AwsKeys]) -> dict[str, str]:
        """{key id: status} as IAM says now."""
        return {k: status for k, (status, _) in self.key_states(signers).items()}

    def delete_key(self, signers: list[AwsKeys], key_id: str) -> None:
        iam_calls.first_accepted(
            signers, lambda keys: iam_calls.delete_access_key(keys, key_id, self.user_name))

    def deactivate_key(self, signers: list[AwsKeys], key_id: str) -> None:
        iam_calls.first_accepted(
            signers,
            lambda keys: iam_calls.deactivate_access_key(keys, key_id, self.user_name))

    def _region(self) -> str | None:
        try:
            return self.rotation._identity().region
        except AwsMfaError:
            return None

    def check_new_key(self, arn: str) -> None:
        """Raise unless the new key signs in as `arn`. (That the file holds it, id and
        secret, is the next look's job: `keep_new`.)"""
        caller = aws_calls.get_caller_identity(self.new_keys(), self._region())
        if caller.arn != arn:
            raise RotationError(f"the new key signs in as {caller.arn}, not {arn}")

    def verify_with_backoff(self, arn: str, on_give_up: Callable[[str], NoReturn]) -> int:
        """`check_new_key` until it passes or VERIFY_TIMEOUT is over (new keys take seconds
        to work). Returns the number of tries."""
        step = RotationStep.VERIFY
        rotation = self.rotation
        deadline = rotation.monotonic() + rotation.verify_timeout
        delay = 1.0
        attempts = 0
        while True:
            attempts += 1
            try:
                self.check_new_key(arn)
                return attempts
            except Exception as exc:
                retry = isinstance(exc, (AwsAuthError, AwsUnavailableError))
                left = deadline - rotation.monotonic()
                if not retry or left <= 0:
                    reason = self.fail(step, exc)
                    on_give_up(f"the new key didn't work after {attempts} tries: {reason}")
                self.report(step, StepOutcome.RUNNING, f"not yet ({attempts}), retrying")
                rotation.sleep(min(delay, max(left, 0.0)))
                delay = min(delay * 2, 8.0)

    def mark_sessions_stale(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """Mark the MFA sessions made from the old key stale so they get refreshed."""
        step = RotationStep.MARK_STALE
        if not names:
            self.report(step, StepOutcome.SKIPPED, "no MFA session")
            return ()
        self.report(step, StepOutcome.RUNNING, ", ".join(names))
        try:
            marked = self.store.mark_stale(names)
        except Exception as exc:
            reason = self.fail(step, exc)
            self.notes_append(f"couldn't mark the MFA session stale ({reason}): refresh it")
            return ()
        self.report(step, StepOutcome.DONE, ", ".join(marked))
        return marked

    def notes_append(self, note: str) -> None:
        raise NotImplementedError


class _Run(_Steps):
    """One execution of a plan: the steps, their undo, and the report."""

    def __init__(self, rotation: KeyRotation, plan: RotationPlan,
                 on_step: StepCallback | None) -> None:
        super().__init__(rotation, plan.profile, plan.old_key_id, on_step)
        self.plan = plan
        self.user_name = plan.user_name
        self.sections: tuple[str, ...] = ()
        #: Each changed section's previous secret, to put back if the new key fails.
        self.previous: dict[str, Secret] = {}
        self.notes: list[str] = []
        self.create_started = datetime.now(UTC)
        #: Nothing is left for a later run to finish (no key without its secret in the
        #: file, no old key still to remove): a failure then ends the journal's entry.
        self.settled = True

    def notes_append(self, note: str) -> None:
        self.notes.append(note)

    # ------------------------------------------------------------ the protocol
    def execute(self) -> RotationResult:
        plan = self.plan
        if plan.blocked:
            self.report(RotationStep.CHECK, StepOutcome.FAILED, _mask_ids(plan.blocked))
            raise RotationError(plan.blocked)
        self.rotation.journal.write(
            plan.profile, BEGIN, "running", self.old,
            known_keys=[k.access_key_id for k in plan.keys],
            keep_old_inactive=plan.keep_old_inactive,
            stale_sessions=list(plan.stale_sessions),
        )
        try:
            result = self._steps()
        except RotationError:
            if self.settled:
                self.end("failed")
            raise
        self.end("done")
        return result

    def _steps(self) -> RotationResult:
        plan = self.plan
        self.check()
        if plan.delete_other_first:
            self.delete_inactive()
        self.create()
        self.persist()
        self.verify()
        found = self.keep_new("before deactivating the old key", hold=True)
        if not found.kept:
            self.undo_persist(f"{self.not_kept(found, self.old)}, so the old key was kept")
        self.deactivate()
        old_state = "inactive"
        if not plan.keep_old_inactive:
            self.delete_old()
            old_state = "deleted"
        else:
            self.report(RotationStep.DELETE, StepOutcome.SKIPPED, "kept inactive")
        self.settled = True  # nothing is left that a later run could finish
        found = self.keep_new(f"after the old key was {old_state}")
        if not found.kept:
            self.retired_but_not_kept(found, old_state)
        stale = self.mark_stale()
        if self.file is not None:
            self.file.note_our_write()
        found = self.keep_new("at the end")
        if not found.kept:
            self.retired_but_not_kept(found, old_state)
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
            self.delete_key([self.before_verify()], other.access_key_id)
        except Exception as exc:
            reason = self.fail(step, exc)
            raise RotationError(
                f"couldn't delete the inactive key {other.access_key_id}: {reason}; "
                "nothing else was changed"
            ) from None
        self.report(step, StepOutcome.DONE, mask_key_id(other.access_key_id))

    def create(self) -> None:
        step = RotationStep.CREATE
        self.report(step, StepOutcome.RUNNING)
        signer = self.before_verify()
        self.create_started = datetime.now(UTC)
        self.settled = False  # from here a key may exist whose secret is only ours
        try:
            self.new, self.new_secret = iam_calls.create_access_key(signer, self.user_name)
        except iam_calls.IamCallError as exc:
            reason = self.fail(step, exc.error)
            if isinstance(exc.error, (AwsAuthError, UsageError)):
                # A definite refusal: AWS made no key.
                self.settled = True
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
            orphans = [k for k, (_, created) in self.key_states([self.before_verify()]).items()
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
            try:
                self.delete_key([self.before_verify()], orphan)
            except Exception as exc:
                self.fail(step, exc)
                raise RotationError(
                    f"creating the new key failed ({reason}) after AWS made key {orphan}, "
                    f"whose secret was lost, and deleting it failed too: delete access key "
                    f"{orphan} in IAM. The credentials file still holds {self.old}"
                ) from None
            self.report(step, StepOutcome.DONE, mask_key_id(orphan))
        self.settled = True
        raise RotationError(
            f"creating the new key failed: {reason}; nothing was changed, the credentials "
            f"file still holds {self.old}"
        )

    def persist(self) -> None:
        step = RotationStep.PERSIST
        assert self.new is not None and self.new_secret is not None
        self.report(step, StepOutcome.RUNNING)
        new, old = self.new, self.old
        try:
            self.previous = self.store.replace_key(old, new, self.new_secret,
                                                   required=self.plan.profile)
            self.sections = tuple(self.previous)
            self.watch_file(self.sections)
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
                self.sections = tuple(self.store.sections_with_key(new))
                self.watch_file(self.sections)
                self.notes.append(f"the write reported an error but landed: {reason}")
                self.report(step, StepOutcome.DONE, "found in the file after the error")
                return
            self.undo_create(
                f"couldn't write the new key to the credentials file: {reason}",
                file_note=f"the credentials file still holds {old}",
            )
        self.report(step, StepOutcome.DONE, ", ".join(self.sections),
                    sections=list(self.sections))

    def _file_holds(self, key_id: str) -> bool | None:
        """Whether the file holds the key; None when it can't be read to tell."""
        try:
            return bool(self.store.sections_with_key(key_id))
        except Exception:
            return None

    def undo_create(self, why: str, file_note: str) -> NoReturn:
        """Delete the new key (signed with what worked before it) and stop."""
        step = RotationStep.REMOVE_NEW
        assert self.new is not None
        self.report(step, StepOutcome.RUNNING, mask_key_id(self.new))
        try:
            self.delete_key([self.before_verify()], self.new)
        except Exception as exc:
            reason = self.fail(step, exc)
            raise RotationError(
                f"{why}; deleting the new key failed too ({reason}): delete access key "
                f"{self.new} in IAM (its secret is not stored anywhere); {file_note}"
            ) from None
        self.report(step, StepOutcome.DONE, mask_key_id(self.new))
        self.settled = True
        if self.file is not None and self.previous:
            found = self.keep_old("after deleting the new key")
            if not found.kept:
                raise RotationError(
                    f"{why}; the new key {self.new} was deleted, but "
                    f"{self.not_kept(found, self.new)}: put the old key {self.old} back "
                    f"into {_sections(self.file.sections)} yourself"
                )
        raise RotationError(f"{why}; the new key was deleted, {file_note}")

    def keep_old(self, point: str, hold: bool = False) -> FileLook:
        """The file holds the old key again, wherever we put the new one (an undo)."""
        assert self.new is not None
        new, old, previous = self.new, self.old, self.previous
        return self.keep_in_file(
            point, old, previous, new,
            lambda found: self.store.restore_keys(new, old, previous), hold=hold)

    def verify(self) -> None:
        step = RotationStep.VERIFY
        self.report(step, StepOutcome.RUNNING)
        attempts = self.verify_with_backoff(self.plan.arn, self.undo_persist)
        self.report(step, StepOutcome.DONE,
                    f"signs in as {self.plan.arn}" + (f" after {attempts} tries"
                                                       if attempts > 1 else ""))

    def undo_persist(self, why: str) -> NoReturn:
        """Put the old key back in every section we changed, then delete the new key."""
        step = RotationStep.RESTORE
        self.report(step, StepOutcome.RUNNING)
        assert self.new is not None
        try:
            self.store.restore_keys(self.new, self.old, self.previous)
        except Exception as exc:
            reason = self.fail(step, exc)
            raise RotationError(
                f"{why}; putting the old key back failed too ({reason}): the credentials "
                f"file holds the new key {self.new}, and the old key {self.old} is still "
                "active in IAM; both keys were kept"
            ) from None
        self.report(step, StepOutcome.DONE)
        if self.file is not None:
            if self.previous:
                self.file.note_our_write()
            found = self.keep_old("after putting the old key back", hold=True)
            if not found.kept:
                raise RotationError(
                    f"{why}; putting the old key back didn't hold either "
                    f"({self.not_kept(found, self.new)}): both keys were kept, the new key "
                    f"{self.new} and the old key {self.old}, still active in IAM; check "
                    "which one the credentials file holds, then delete the other in IAM"
                )
        self.undo_create(why, file_note=f"the credentials file holds {self.old} again")

    def deactivate(self) -> None:
        step = RotationStep.DEACTIVATE
        self.report(step, StepOutcome.RUNNING, mask_key_id(self.old))
        try:
            self.deactivate_key(self.after_verify(), self.old)
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
            self.delete_key(self.after_verify(), self.old)
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
        return self.mark_sessions_stale(self.plan.stale_sessions)


class _Recovery(_Steps):
    """Finish a rotation the journal shows was cut off (see `finish_unfinished`)."""

    def __init__(self, rotation: KeyRotation, pending: Unfinished,
                 on_step: StepCallback | None) -> None:
        super().__init__(rotation, pending.profile, pending.old_key, on_step)
        self.pending = pending
        self.new = pending.new_key
        self.actions: list[str] = []
        self.notes: list[str] = []

    def notes_append(self, note: str) -> None:
        self.notes.append(note)

    def execute(self) -> RecoveryResult:
        step = RotationStep.RECOVER
        pending = self.pending
        self.report(step, StepOutcome.RUNNING)
        in_file: str | None = None
        try:
            identity = self.rotation._identity()
            long_term = self.rotation._long_term(identity)
            in_file = long_term.access_key_id
            caller = aws_calls.get_caller_identity(long_term, identity.region)
            self.user_name = caller.user_name
            signers = [self.before_verify()]
            if long_term.access_key_id != signers[0].access_key_id:
                signers.append(long_term)
            states = self.key_states(signers)
        except Exception as exc:
            reason = self.fail(step, exc)
            if (in_file == pending.old_key and isinstance(exc, AwsAuthError)
                    and "delete" in pending.started):
                self._put_back_after_retiring("deleted")
            raise RotationError(
                f"a key rotation of {self.profile} was cut off and can't be finished now "
                f"({reason}): run rotate again"
            ) from None
        if in_file == pending.old_key and states.get(in_file, ("",))[0] != "Active":
            self._put_back_after_retiring(states.get(in_file, ("deleted",))[0].lower())
        if in_file == pending.old_key:
            result = self._roll_back(signers, states)
        elif in_file == pending.new_key or (
            pending.new_key is None and in_file in states and in_file not in pending.known_keys
        ):
            self.new, self.new_secret = in_file, long_term.secret_access_key
            result = self._finish(caller.arn, states)
        else:
            message = (
                f"a key rotation of {self.profile} was cut off, and [{self.profile}] now holds "
                f"{in_file}, neither its old key {pending.old_key} nor its new key "
                f"{pending.new_key or '(unknown)'}: check {caller.arn}'s keys in IAM"
            )
            self.report(step, StepOutcome.FAILED, _mask_ids(message))
            raise RotationError(message)
        self.report(step, StepOutcome.DONE, "; ".join(self.actions))
        self.end("recovered", result.key_id)
        return result

    def _put_back_after_retiring(self, state: str) -> NoReturn:
        """The file holds the old key, which the cut-off rotation had already retired: a
        program that takes no lock put it back, and the new key's secret is lost. Rolling
        back would delete the one key left: say so once (the journal is closed)."""
        pending = self.pending
        message = (
            f"a key rotation of {self.profile} was cut off after its old key "
            f"{pending.old_key} was {state}, and another program has put that key back into "
            f"[{self.profile}]; the new key {pending.new_key or '(unknown)'}'s secret is "
            f"lost: delete it and create a new key for {self.profile} in IAM"
            + (" (or activate the old key again)" if state == "inactive" else "")
        )
        self.report(RotationStep.RECOVER, StepOutcome.FAILED, _mask_ids(message))
        self.end("abandoned")
        raise RotationError(message)

    def _roll_back(self, signers: list[AwsKeys],
                   states: dict[str, tuple[str, datetime | None]]) -> RecoveryResult:
        """The new key's secret never reached the file: delete the new key (or, when the
        journal never learnt its id, any key made since the rotation began)."""
        pending = self.pending
        since = (pending.began or datetime.now(UTC)) - ORPHAN_CLOCK_MARGIN
        orphans = [
            key for key, (_, created) in states.items()
            if key != pending.old_key and (
                key == pending.new_key
                or (key not in pending.known_keys and (created is None or created >= since))
            )
        ]
        for orphan in orphans:
            step = RotationStep.REMOVE_NEW
            self.report(step, StepOutcome.RUNNING, mask_key_id(orphan))
            try:
                self.delete_key(signers, orphan)
            except Exception as exc:
                reason = self.fail(step, exc)
                raise RotationError(
                    f"a key rotation of {self.profile} was cut off before its new key "
                    f"{orphan} reached the credentials file, and deleting that key failed "
                    f"({reason}): delete access key {orphan} in IAM"
                ) from None
            self.report(step, StepOutcome.DONE, mask_key_id(orphan))
            self.actions.append(f"deleted the new key {mask_key_id(orphan)}, whose secret "
                                "never reached the file")
        return RecoveryResult(self.profile, pending.old_key, True, tuple(self.actions))

    def _finish(self, arn: str,
                states: dict[str, tuple[str, datetime | None]]) -> RecoveryResult:
        """The file holds the new key: verify it (unless that passed), then retire the old."""
        pending = self.pending
        assert self.new is not None
        if "verify" not in pending.done:
            self.report(RotationStep.VERIFY, StepOutcome.RUNNING)

            def give_up(why: str) -> NoReturn:
                raise RotationError(
                    f"a key rotation of {self.profile} was cut off; the credentials file "
                    f"holds the new key {self.new}, but {why}; the old key {self.old} was "
                    "kept: check both keys in IAM"
                )

            self.verify_with_backoff(arn, give_up)
            self.report(RotationStep.VERIFY, StepOutcome.DONE, f"signs in as {arn}")
            self.actions.append(f"verified the new key {mask_key_id(self.new)}")
        signers = self.after_verify()
        status = states.get(self.old, (None, None))[0]
        self.watch_file(pending.sections or (self.profile,))
        found = self.keep_new("before deactivating the old key", hold=status == "Active")
        if not found.kept and status == "Active":
            raise RotationError(
                f"a key rotation of {self.profile} was cut off; the credentials file held "
                f"the new key {self.new}, but {self.not_kept(found, self.old)}, so the old "
                f"key {self.old} was kept: run rotate again once that program stops"
            )
        if not found.kept:
            self.end("failed")
            self.retired_but_not_kept(found, "inactive" if status else "deleted")
        if status == "Active":
            self.report(RotationStep.DEACTIVATE, StepOutcome.RUNNING, mask_key_id(self.old))
            self._retire(RotationStep.DEACTIVATE,
                         lambda: self.deactivate_key(signers, self.old))
            self.actions.append(f"deactivated the old key {mask_key_id(self.old)}")
        if status is not None and not pending.keep_old_inactive:
            self.report(RotationStep.DELETE, StepOutcome.RUNNING, mask_key_id(self.old))
            self._retire(RotationStep.DELETE, lambda: self.delete_key(signers, self.old))
            self.actions.append(f"deleted the old key {mask_key_id(self.old)}")
        state = "inactive" if pending.keep_old_inactive else "deleted"
        found = self.keep_new(f"after the old key was {state}")
        if not found.kept:
            self.end("failed")
            self.retired_but_not_kept(found, state)
        stale: tuple[str, ...] = ()
        if "mark_stale" not in pending.done and pending.stale_sessions:
            stale = self.mark_sessions_stale(pending.stale_sessions)
            self.file.note_our_write()  # type: ignore[union-attr]
        found = self.keep_new("at the end")
        if not found.kept:
            self.end("failed")
            self.retired_but_not_kept(found, state)
        self.actions.extend(self.notes)
        return RecoveryResult(self.profile, self.new, False, tuple(self.actions), stale)

    def _retire(self, step: RotationStep, call: Callable[[], None]) -> None:
        try:
            call()
        except Exception as exc:
            reason = self.fail(step, exc)
            raise RotationError(
                f"a key rotation of {self.profile} was cut off; the new key {self.new} is in "
                f"the credentials file, but we couldn't {step.label} {self.old} ({reason}): "
                "run rotate again, or do it in IAM"
            ) from None
        self.report(step, StepOutcome.DONE, mask_key_id(self.old))


def unfinished_profiles(service: SessionService) -> list[str]:
    """Profiles whose last key rotation was cut off and that still exist (read from the
    journal; blocks). See `close_abandoned` for the others."""
    journal = RotationJournal(Path(service.paths.settings).parent / LOG_NAME)
    names = {i.name for i in service.catalog().identities}
    return [p.profile for p in journal.unfinished() if p.profile in names]


def close_abandoned(service: SessionService) -> list[str]:
    """Close the journal's cut-off rotations of profiles that no longer exist (removed or
    renamed: they can't be finished by name), so they are reported once, not at every
    start. Returns one line for each, naming the full key ids to check in IAM. Nothing is
    closed when the profiles can't be read (an unparseable file hides every profile)."""
    journal = RotationJournal(Path(service.paths.settings).parent / LOG_NAME)
    pending = journal.unfinished()
    if not pending:
        return []
    names = {i.name for i in service.catalog().identities}  # raises on an unreadable file
    lines = []
    for gone in (p for p in pending if p.profile not in names):
        journal.write(gone.profile, END, "abandoned", gone.old_key, gone.new_key,
                      "the profile no longer exists")
        keys = gone.old_key + (f" and {gone.new_key}" if gone.new_key else "")
        lines.append(
            f"a key rotation of {gone.profile} was cut off, and {gone.profile} is no longer "
            f"a profile, so it can't be finished here: check access keys {keys} in IAM "
            "(one of them may still be active or unused); this is reported once"
        )
    return lines


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


def _sections(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"[{name}]" for name in names)
