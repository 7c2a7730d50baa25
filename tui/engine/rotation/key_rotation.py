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
fsynced to the journal (`journal`: key ids, never a secret), so a rotation cut off
at any point is finished by the next one (`KeyRotation.finish_unfinished`).

Beside it: the plan and results (`plan`) and their words (`words`); the
step runner this protocol shares with the finishing of a cut-off rotation
(`steps`, `recovery`); the looks at the file (`key_in_file`).

This module blocks: the TUI calls it from thread workers only.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from tui.engine.aws import calls as aws_calls
from tui.engine.aws.calls import AccessKeyInfo, CallerIdentity
from tui.engine.credential_values import AwsKeys
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import AwsAuthError, RotationError, UsageError
from tui.engine.mfa.codes import SKIP, CodeRequest, FixedCode, MfaCodeSource
from tui.engine.profiles.catalog import IdentityProfile
from tui.engine.rotation import iam_calls
from tui.engine.rotation.journal import BEGIN, LOG_NAME, RotationJournal, Unfinished
from tui.engine.rotation.key_in_file import HOLD as KEY_HOLD
from tui.engine.rotation.key_in_file import TIMEOUT as KEY_HOLD_TIMEOUT
from tui.engine.rotation.key_in_file import FileLook
from tui.engine.rotation.plan import (
    RecoveryResult,
    RotationPlan,
    RotationResult,
    RotationStep,
    StepCallback,
    StepOutcome,
)
from tui.engine.rotation.recovery import ORPHAN_CLOCK_MARGIN, Recovery
from tui.engine.rotation.steps import StepRunner, give_up, mask_ids
from tui.engine.rotation.words import sections_text
from tui.engine.secret import Secret, mask_key_id

if TYPE_CHECKING:  # type-only: the service is handed in
    from tui.engine.sessions.service import SessionService

#: How long a new key gets to start working before the rotation is undone.
VERIFY_TIMEOUT = 60.0
#: Lifetime of the MFA session made to sign the rotation's IAM calls: an hour, so a person
#: who reads the plan slowly before confirming doesn't find the session gone.
ROTATION_SESSION_SECONDS = 3600

#: Held (beside the journal) for the whole of a rotation or a recovery.
ROTATION_LOCK_NAME = ".rotation.lock"


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
    session: AwsKeys | None = field(default=None, repr=False)
    _authenticated: bool = False
    _session_is_new: bool = True

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = self.service.store
        if self.log_path is None:
            self.log_path = Path(self.service.paths.settings).parent / LOG_NAME
        self.journal = RotationJournal(self.log_path)

    # ------------------------------------------------------------ who signs
    def identity(self) -> IdentityProfile:
        identity: IdentityProfile = self.service.catalog().identity(self.profile)
        return identity

    def long_term(self, identity: IdentityProfile | None = None) -> AwsKeys:
        return self.service.long_term_keys(identity or self.identity())

    def mfa_serial(self) -> str | None:
        """The profile's TOTP device (configured, given, or found through IAM), or None."""
        return self.service.mfa_device(self.identity(), self.serial)

    def code_request(self) -> CodeRequest | None:
        """What to ask a person for before `authenticate`, or None when no code is needed."""
        serial = self.mfa_serial()
        if not serial:
            return None
        identity = self.identity()
        return CodeRequest(identity.name, serial, identity.mfa_command)

    def authenticate(self, code_source: MfaCodeSource | None) -> str:
        """Make the MFA session that signs the rotation's IAM calls (when there's a device).

        Returns how IAM calls will be signed, for the plan. `--token-code skip` (or no
        device) signs with the long-term key.
        """
        identity = self.identity()
        skip = isinstance(code_source, FixedCode) and (
            code_source.code.reveal().strip().lower() == SKIP
        )
        serial = None if skip else self.mfa_serial()
        self.session = None
        if serial and code_source is not None:
            code = code_source.get_code(CodeRequest(identity.name, serial, identity.mfa_command))
            if code is not None:
                self.service.used_codes.claim(serial, code)
                credentials = aws_calls.get_session_token(
                    self.long_term(identity), ROTATION_SESSION_SECONDS, serial, code,
                    identity.region,
                )
                self.session = AwsKeys.from_session(
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
            self.session = None
            self._authenticated = True

    def use_valid_session(self) -> bool:
        """Sign with the profile's own MFA session while it is valid, so no code is asked
        for. False (nothing changed) when there is none."""
        keys: AwsKeys = self.service.signing_keys(self.profile)
        if keys.session_token is None:
            return False
        self.session = keys
        self._session_is_new = False
        self._authenticated = True
        return True

    @property
    def signed_with(self) -> str:
        if self.session is not None:
            key = mask_key_id(self.session.access_key_id)
            if not self._session_is_new:
                return f"the MFA session [{self.session.profile}] ({key})"
            return f"a new MFA session ({key})"
        return "the profile's long-term key"

    def signer(self) -> AwsKeys:
        return self.session or self.long_term()

    # ------------------------------------------------------------ preconditions
    def plan(self, delete_inactive: bool = False, keep_old_inactive: bool = False
             ) -> RotationPlan:
        """List the user's keys and decide what rotation would do. Changes nothing."""
        if not self._authenticated:
            self.authenticate(None)
        identity = self.identity()
        # Who the profile's key belongs to: asked with the key itself (GetCallerIdentity is
        # never denied), so the new key can be checked against exactly this ARN.
        caller = aws_calls.get_caller_identity(self.long_term(identity), identity.region)
        keys = tuple(aws_calls.list_access_keys(self.signer(), caller.user_name))
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

        from tui.engine.credentials_file.lock import _file_lock

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
            return Recovery(self, pending, on_step).execute()


class _Run(StepRunner):
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

    # ------------------------------------------------------------ the protocol
    def execute(self) -> RotationResult:
        plan = self.plan
        if plan.blocked:
            self.report(RotationStep.CHECK, StepOutcome.FAILED, mask_ids(plan.blocked))
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
        self.run_step(
            step, lambda: self.delete_key([self.before_verify()], other.access_key_id),
            lambda reason: give_up(f"couldn't delete the inactive key {other.access_key_id}: "
                                   f"{reason}; nothing else was changed"),
            mask_key_id(other.access_key_id))

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
        self.remove_keys(
            RotationStep.REMOVE_ORPHAN, [self.before_verify()], orphans,
            lambda orphan, _why: (
                f"creating the new key failed ({reason}) after AWS made key {orphan}, "
                f"whose secret was lost, and deleting it failed too: delete access key "
                f"{orphan} in IAM. The credentials file still holds {self.old}"))
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
        new = self.new
        assert new is not None
        self.run_step(
            RotationStep.REMOVE_NEW, lambda: self.delete_key([self.before_verify()], new),
            lambda reason: give_up(
                f"{why}; deleting the new key failed too ({reason}): delete access key "
                f"{new} in IAM (its secret is not stored anywhere); {file_note}"),
            mask_key_id(new))
        self.settled = True
        if self.file is not None and self.previous:
            found = self.keep_old("after deleting the new key")
            if not found.kept:
                raise RotationError(
                    f"{why}; the new key {self.new} was deleted, but "
                    f"{self.not_kept(found, new)}: put the old key {self.old} back "
                    f"into {sections_text(self.file.sections)} yourself"
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
        self.run_step(RotationStep.DEACTIVATE,
                      lambda: self.deactivate_key(self.after_verify(), self.old),
                      self._after_failed_deactivate, mask_key_id(self.old))

    def _after_failed_deactivate(self, reason: str) -> None:
        """Carry on if IAM shows the old key inactive after all; else stop, keeping both
        (the new key is verified and in the file: never undo past this point)."""
        try:
            status = self.list_keys(self.after_verify()).get(self.old)
        except Exception:
            give_up(f"couldn't deactivate the old key ({reason}) and IAM can't be checked "
                    f"now: the credentials file holds the new key {self.new}, which works; "
                    f"deactivate and delete the old key {self.old} in IAM")
        if status == "Active":
            give_up(f"the new key {self.new} is in the credentials file and works, but "
                    f"deactivating the old key failed ({reason}): the old key {self.old} is "
                    "still active; deactivate and delete it in IAM")
        self.notes.append(f"deactivation reported an error but the old key is {status}")

    def delete_old(self) -> None:
        self.run_step(RotationStep.DELETE,
                      lambda: self.delete_key(self.after_verify(), self.old),
                      self._after_failed_delete, mask_key_id(self.old))

    def _after_failed_delete(self, reason: str) -> None:
        """Carry on if IAM shows the old key gone after all; else stop."""
        try:
            gone = self.old not in self.list_keys(self.after_verify())
        except Exception:
            gone = False
        if not gone:
            with contextlib.suppress(Exception):
                self.mark_stale()  # they were made from the old, now inactive key
            give_up(f"the new key {self.new} is in the credentials file and works, but "
                    f"deleting the old key failed ({reason}): the old key {self.old} is "
                    "inactive; delete it in IAM")

    def mark_stale(self) -> tuple[str, ...]:
        return self.mark_sessions_stale(self.plan.stale_sessions)


