"""What a key rotation and the finishing of a cut-off one share: one step runner.

Each step is journalled (fsynced before it runs: see `journal`) and shown through
the step callback; `run_step` is the one shape of a step (running, the call, done, or
failed with a one-line reason). Also here: who signs the IAM calls before and after the
new key is verified, the IAM calls themselves, verifying the new key, and the looks at the
credentials file (`key_in_file`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn, Protocol, TypeVar

from tui.engine.aws import calls as aws_calls
from tui.engine.credential_values import AwsKeys
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import AwsAuthError, AwsMfaError, AwsUnavailableError, RotationError
from tui.engine.rotation import iam_calls
from tui.engine.rotation.journal import END, RotationJournal
from tui.engine.rotation.key_in_file import FileLook, KeyInFile
from tui.engine.rotation.plan import RotationStep, StepCallback, StepEvent, StepOutcome
from tui.engine.rotation.words import sections_text
from tui.engine.secret import Secret, mask_key_id

if TYPE_CHECKING:
    from tui.engine.profiles.catalog import IdentityProfile

T = TypeVar("T")


class Rotating(Protocol):
    """What the runner needs of the rotation it runs for (`key_rotation.KeyRotation`)."""

    store: CredentialsStore | None
    journal: RotationJournal
    verify_timeout: float
    hold: float
    hold_timeout: float
    #: The MFA session that signs IAM calls, when there is one.
    session: AwsKeys | None

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def identity(self) -> IdentityProfile: ...

    def long_term(self, identity: IdentityProfile | None = None) -> AwsKeys: ...

    def signer(self) -> AwsKeys: ...


class StepRunner:
    """What a run and a recovery share: the journal, the report, the signers."""

    def __init__(self, rotation: Rotating, profile: str, old: str,
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
        #: What the result reports beside the steps, one line each.
        self.notes: list[str] = []

    def run_step(self, step: RotationStep, call: Callable[[], T],
                 on_error: Callable[[str], object], detail: str = "",
                 done: str | None = None) -> T | None:
        """The one shape of a step: journalled and shown as running, the call, then done.
        When the call raises, `on_error` gets the one-line reason, and raises (or returns:
        the step then counts as done after all)."""
        self.report(step, StepOutcome.RUNNING, detail)
        result = None
        try:
            result = call()
        except Exception as exc:
            on_error(self.fail(step, exc))
        self.report(step, StepOutcome.DONE, detail if done is None else done)
        return result

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
                        f"{sections_text(found.put_back)}; writing {mask_key_id(want)} again",
                        look=point, put_back=list(found.put_back))

        found = self.file.keep(want, secrets, unwanted, write_again, put_back, hold=hold)
        again = found.written_again
        if found.kept:
            self.report(step, StepOutcome.DONE,
                        point + (f": written again {again} times" if again else ""),
                        show=bool(again), look=point, holding=list(found.holding),
                        passed=found.passed)
            if again:
                self.notes.append(
                    f"another program put {mask_key_id(unwanted)} back into the credentials "
                    f"file {sections_text(found.put_back or found.holding)}; "
                    f"{mask_key_id(want)} was written again ({again} times)")
        else:
            self.report(step, StepOutcome.FAILED, f"{point}: {self.not_kept(found, unwanted)}",
                        look=point, holding=list(found.holding))
        return found

    def not_kept(self, found: FileLook, unwanted: str) -> str:
        """Why a look failed, in words (full key ids: see `mask_ids` for the journal)."""
        if not found.readable:
            return f"the credentials file couldn't be read for {self.rotation.hold_timeout:g} s"
        if found.put_back:
            return (f"another program kept putting {unwanted} back into "
                    f"{sections_text(found.put_back)} of the credentials file for "
                    f"{self.rotation.hold_timeout:g} s")
        if found.holding and not found.others:
            return (f"another program kept rewriting the credentials file for "
                    f"{self.rotation.hold_timeout:g} s, so it couldn't be seen to keep "
                    f"{sections_text(found.holding)}")
        return (f"{sections_text(found.others)} of the credentials file were changed by "
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
        elsewhere = found.put_back or found.others
        if found.holding and elsewhere:
            raise RotationError(
                f"the old key {self.old} is {state} in IAM, but {why}: "
                f"{sections_text(found.holding)} holds the new key {self.new}; copy it into "
                f"{sections_text(elsewhere)} once that program stops"
            )
        if found.holding:
            raise RotationError(
                f"the old key {self.old} is {state} in IAM, and {why}: they hold the new "
                f"key {self.new} now; stop that program and check they still do"
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
        reason = reason_of(exc)
        self.report(step, StepOutcome.FAILED, mask_ids(reason))
        return reason

    def before_verify(self) -> AwsKeys:
        return self.rotation.signer()

    def new_keys(self) -> AwsKeys:
        assert self.new is not None and self.new_secret is not None
        return AwsKeys(self.new, self.new_secret, profile=f"{self.profile} (new key)")

    def after_verify(self) -> list[AwsKeys]:
        """Credentials that should still work once the new key is verified, best first."""
        signers = []
        if self.rotation.session is not None:
            signers.append(self.rotation.session)
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

    def remove_keys(self, step: RotationStep, signers: list[AwsKeys], keys: list[str],
                    message: Callable[[str, str], str]) -> None:
        """Delete each key as a step of its own; stop with `message(key, reason)` when
        one can't be."""
        for key in keys:
            def remove(key: str = key) -> None:
                self.delete_key(signers, key)

            def failed(reason: str, key: str = key) -> NoReturn:
                give_up(message(key, reason))

            self.run_step(step, remove, failed, mask_key_id(key))

    def deactivate_key(self, signers: list[AwsKeys], key_id: str) -> None:
        iam_calls.first_accepted(
            signers,
            lambda keys: iam_calls.deactivate_access_key(keys, key_id, self.user_name))

    def _region(self) -> str | None:
        try:
            return self.rotation.identity().region
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
            self.notes.append(f"couldn't mark the MFA session stale ({reason}): refresh it")
            return ()
        self.report(step, StepOutcome.DONE, ", ".join(marked))
        return marked


def give_up(message: str) -> NoReturn:
    """End a step that failed with a one-line message (for `run_step`'s `on_error`)."""
    raise RotationError(message) from None


def reason_of(exc: BaseException) -> str:
    if isinstance(exc, AwsMfaError):
        return exc.message
    try:
        return aws_calls.translate_error(exc, "the step").message
    except Exception:
        return type(exc).__name__


def mask_ids(text: str) -> str:
    """Mask full access key ids in a message meant for the log."""
    import re

    return re.sub(r"\b(A[KS]IA[A-Z0-9]{12,})\b", lambda m: mask_key_id(m.group(1)), text)

