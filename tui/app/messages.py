"""Every message the app's workers and watchers post, as small dataclasses.

Thread workers call the engine (`engine_calls`) and post what comes back; a watcher thread
posts `FilesChanged`; the handlers on the screens change state. (Textual's `Message`
defines `__post_init__` for dataclasses: the generated `__init__` calls it, so none is
written here. `repr=False, eq=False`: a message keeps Textual's own repr and is compared
by identity, as Textual's are; generating the two methods for 20 classes cost about 2.5 ms
of the first paint.) A message that a newer one of its kind makes pointless says so in
`can_replace`: Textual then hands only the newest of a run of them in the queue to the
handlers, as Toolong does for its file-change messages.

Widgets' own messages (the profile table's `MarkToggled`, ...) stay on their widgets, the
way Textual's are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # (types only: the first paint imports this module)
    from tui.engine.mfa.codes import CodeRequest
    from tui.engine.profiles.identity_details import IdentityDetails
    from tui.engine.profiles.status import StatusRow
    from tui.engine.rotation.plan import RecoveryResult, RotationPlan, RotationResult, StepEvent
    from tui.engine.sessions.service import RefreshResult

#: Modification times of the credentials, config and settings files (0 if absent).
Stamp = tuple[float, float, float]


# ---------------------------------------------------------------- the files and the table
@dataclass(repr=False, eq=False)
class FilesChanged(Message):
    """An outside edit: the files' modification times differ from those last read."""

    stamp: Stamp

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FilesChanged)  # one reload covers both


@dataclass(repr=False, eq=False)
class StatusLoaded(Message):
    rows: list[StatusRow]
    error: str | None = None
    #: Modification times of the files just before they were read.
    stamp: Stamp | None = None
    #: Which status read this is (the main screen counts them, 1 up).
    read: int = 0

    def can_replace(self, message: Message) -> bool:
        """A later read of the files supersedes this one."""
        return isinstance(message, StatusLoaded) and message.read >= self.read


@dataclass(repr=False, eq=False)
class StoreNotice(Message):
    """The credentials store said something while a worker used it: it waits for a busy
    lock (after 2 s, naming the lock file), or it made a readable file 0600."""

    text: str


# ---------------------------------------------------------------- refreshing sessions
@dataclass(repr=False, eq=False)
class RefreshFinished(Message):
    """A refresh of one identity or role ended: `result` on success, else `error`."""

    name: str
    result: RefreshResult | None = None
    error: str | None = None
    #: AWS refused the code (or it was used already): the code modal stays open.
    bad_code: bool = False
    with_code: bool = False
    #: How it failed, for the Keeper's backoff: a code refused or already used; an error
    #: worth retrying soon (network, throttling).
    code_refused: bool = False
    transient: bool = False


@dataclass(repr=False, eq=False)
class CommandWaiting(Message):
    """A refresh started (`waiting`) or stopped waiting for its mfa_command's code."""

    name: str
    waiting: bool
    #: The command's program, to say what we wait for (never its arguments: a name only).
    program: str = ""


@dataclass(repr=False, eq=False)
class SerialResolved(Message):
    """The MFA device of a row: found (`serial`), one to choose (`choices`), none at all
    (`no_device_for`, the user's ARN), or an `error`. `skipped` names the security keys
    IAM listed that STS can't use."""

    name: str
    serial: str | None = None
    error: str | None = None
    choices: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    no_device_for: str | None = None


@dataclass(repr=False, eq=False)
class DeviceChosen(Message):
    """The chosen MFA device was saved in settings (else `error` says why not)."""

    name: str
    serial: str
    error: str | None = None


@dataclass(repr=False, eq=False)
class LoggedOut(Message):
    removed: list[str]
    error: str | None = None


# ---------------------------------------------------------------- other screens
@dataclass(repr=False, eq=False)
class DetailsLoaded(Message):
    name: str
    details: IdentityDetails | None = None
    error: str | None = None


@dataclass(repr=False, eq=False)
class SettingsSaved(Message):
    error: str | None = None
    #: The setting the error is about, so the form can show it under that field.
    key: str | None = None


@dataclass(repr=False, eq=False)
class ConsoleOutcome(Message):
    """What became of opening the AWS console in a browser, in one line."""

    text: str


# ---------------------------------------------------------------- key rotation
@dataclass(repr=False, eq=False)
class CutOffRotation(Message):
    """The rotation journal shows a key rotation that never finished."""

    #: The identity whose rotation the rotation screen can finish, if any.
    identity: str | None
    #: One line for each closed rotation of a profile that no longer exists.
    abandoned: list[str]


@dataclass(repr=False, eq=False)
class CodeNeeded(Message):
    """The rotation's IAM calls need an MFA session made from a code typed here."""

    request: CodeRequest


@dataclass(repr=False, eq=False)
class PlanReady(Message):
    plan: RotationPlan


@dataclass(repr=False, eq=False)
class PrepareFailed(Message):
    """No plan: `error` says why; `retry_code` when the code was refused (type the next)."""

    error: str
    retry_code: bool = False


@dataclass(repr=False, eq=False)
class StepUpdate(Message):
    event: StepEvent


@dataclass(repr=False, eq=False)
class RotationFinished(Message):
    result: RotationResult | None
    error: str | None = None


@dataclass(repr=False, eq=False)
class Recovered(Message):
    """A rotation that was cut off was finished, or undone: then `plan` follows."""

    result: RecoveryResult
    plan: RotationPlan | None = None


@dataclass(repr=False, eq=False)
class SessionCodeNeeded(Message):
    """Refreshing the stale session needs a code typed here (no mfa_command)."""


@dataclass(repr=False, eq=False)
class SessionRefreshed(Message):
    error: str | None = None
