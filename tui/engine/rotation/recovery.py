"""Finishing a key rotation that was cut off (SIGKILL, power loss), from its journal.

- The file still holds the old key, and that key is still active: the new key's secret
  never reached the file, so the new key (or any key made since the rotation began) is
  deleted.
- The file holds the old key, which the rotation had already retired: another program put
  it back, and the new key's secret is lost. Nothing is rolled back; one line says which
  key to deal with, once.
- The file holds the new key: it is verified (unless the journal shows it already was),
  the file is looked at as a rotation does (`key_in_file`), then the old key is
  deactivated and deleted (or left inactive, as planned).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from tui.engine.aws import calls as aws_calls
from tui.engine.credential_values import AwsKeys
from tui.engine.errors import AwsAuthError, RotationError
from tui.engine.rotation.journal import END, LOG_NAME, RotationJournal, Unfinished
from tui.engine.rotation.plan import RecoveryResult, RotationStep, StepCallback, StepOutcome
from tui.engine.rotation.steps import Rotating, StepRunner, give_up, mask_ids
from tui.engine.secret import mask_key_id

if TYPE_CHECKING:  # type-only: the service is handed in
    from tui.engine.sessions.service import SessionService

#: How far AWS's clock may be from ours when telling a key we made from one made before.
ORPHAN_CLOCK_MARGIN = timedelta(minutes=5)


class Recovery(StepRunner):
    """Finish a rotation the journal shows was cut off (see `finish_unfinished`)."""

    def __init__(self, rotation: Rotating, pending: Unfinished,
                 on_step: StepCallback | None) -> None:
        super().__init__(rotation, pending.profile, pending.old_key, on_step)
        self.pending = pending
        self.new = pending.new_key
        self.actions: list[str] = []

    def execute(self) -> RecoveryResult:
        step = RotationStep.RECOVER
        pending = self.pending
        self.report(step, StepOutcome.RUNNING)
        in_file: str | None = None
        try:
            identity = self.rotation.identity()
            long_term = self.rotation.long_term(identity)
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
            self.report(step, StepOutcome.FAILED, mask_ids(message))
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
        self.report(RotationStep.RECOVER, StepOutcome.FAILED, mask_ids(message))
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
        self.remove_keys(
            RotationStep.REMOVE_NEW, signers, orphans,
            lambda orphan, reason: (
                f"a key rotation of {self.profile} was cut off before its new key "
                f"{orphan} reached the credentials file, and deleting that key failed "
                f"({reason}): delete access key {orphan} in IAM"))
        for orphan in orphans:
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
            self._retire(RotationStep.DEACTIVATE,
                         lambda: self.deactivate_key(signers, self.old))
            self.actions.append(f"deactivated the old key {mask_key_id(self.old)}")
        if status is not None and not pending.keep_old_inactive:
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
        self.run_step(step, call, lambda reason: give_up(
            f"a key rotation of {self.profile} was cut off; the new key {self.new} is in "
            f"the credentials file, but we couldn't {step.label} {self.old} ({reason}): "
            "run rotate again, or do it in IAM"), mask_key_id(self.old))


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

