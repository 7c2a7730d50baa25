"""What a key rotation will do and what it did: its steps, plan and results (no secret).

The words shown for a plan or a recovery live in `words`; the protocol that runs a
plan in `key_rotation`; the finishing of a cut-off rotation in `recovery`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from tui.engine.aws.calls import AccessKeyInfo


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
