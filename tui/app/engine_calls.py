"""The blocking engine calls the TUI makes, each turned into one small result message.

Every screen's thread workers call these and `post_message` what they return; nothing
here touches a widget, and no screen has an except-ladder of its own. Every `AwsMfaError`
becomes a one-line `error` in the message (the engine keeps those lines free of secrets).
Anything else raised by the main screen's and the dialogs' calls reaches the app's
`show_worker_error`; the rotation's calls turn it into a message too ("unexpected
RuntimeError"), so its screen never stays at "running". Codes travel as `Secret`, never
as plain strings.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.message import Message

from tui.app.messages import (
    CodeNeeded,
    ConsoleOutcome,
    DetailsLoaded,
    DeviceChosen,
    LoggedOut,
    PlanReady,
    PrepareFailed,
    Recovered,
    RefreshFinished,
    RotationFinished,
    SerialResolved,
    SessionCodeNeeded,
    SessionRefreshed,
    SettingsSaved,
    Stamp,
    StatusLoaded,
)
from tui.engine.errors import AwsAuthError, AwsMfaError, MfaCodeError
from tui.engine.mfa.codes import (
    CodeRequest,
    CommandCode,
    FixedCode,
    MfaCodeSource,
    NoCodeSource,
    WithoutMfa,
    choose_code_source,
)
from tui.engine.mfa.devices import NoMfaDevice, SeveralMfaDevices
from tui.engine.profiles.status import CodeMode, StatusRow
from tui.engine.secret import Secret
from tui.engine.sessions.service import SessionService
from tui.engine.sessions.service import no_code_needed as chained_code_source
from tui.engine.settings import parse_settings

if TYPE_CHECKING:  # (the rotation's modules are imported when its screen opens)
    from tui.engine.rotation.key_rotation import KeyRotation
    from tui.engine.rotation.plan import RotationPlan, StepCallback


class WatchedCommand(MfaCodeSource):
    """An mfa_command whose start and end are told (a YubiKey may wait for a touch)."""

    def __init__(self, inner: CommandCode, told: Callable[[bool], None]) -> None:
        self.inner = inner
        self.told = told

    def get_code(self, request: CodeRequest) -> Secret | None:
        self.told(True)
        try:
            return self.inner.get_code(request)
        finally:
            self.told(False)


def load_status(service: SessionService, stamp: Callable[[], Stamp] | None = None,
                read: int = 0) -> StatusLoaded:
    """The rows; `stamp` gives the files' modification times, taken just before the read."""
    before = stamp() if stamp is not None else None
    try:
        return StatusLoaded(rows=service.status(), stamp=before, read=read)
    except AwsMfaError as exc:
        return StatusLoaded(rows=[], error=str(exc), stamp=before, read=read)


class FirstStatus:
    """The first status, read by a thread started with the main screen, so the first
    frame can already show the rows: Textual composes and mounts meanwhile, and the
    screen, when mounted, waits for it at most `timeout` s (200 profiles take ~10 ms)
    before falling back to the usual worker. Saves drawing an empty frame first. (A plain
    thread, the app's one, not a worker: a worker's thread is started from the event loop,
    which `on_mount` holds while it waits.)"""

    def __init__(self, service: SessionService, stamp: Callable[[], Stamp]) -> None:
        self._done = threading.Event()
        self._loaded: StatusLoaded | None = None
        threading.Thread(target=self._load, args=(service, stamp), name="first-status",
                         daemon=True).start()

    def _load(self, service: SessionService, stamp: Callable[[], Stamp]) -> None:
        # Anything unexpected is not raised here (it would print a traceback beside the
        # screen): `_loaded` stays None and the worker reads the files again and reports it.
        with contextlib.suppress(Exception):
            self._loaded = load_status(service, stamp)
        self._done.set()

    def wait(self, timeout: float) -> StatusLoaded | None:
        return self._loaded if self._done.wait(timeout) else None


def code_source_for(service: SessionService, row: StatusRow,
                    told: Callable[[bool], None] | None = None) -> MfaCodeSource:
    """How a refresh without a person gets its code: chained roles need none, a
    configured mfa_command gives one (and `told` hears when it starts and ends)."""
    if row.code_mode == CodeMode.CHAINED:
        return chained_code_source()
    source = choose_code_source(None, row.mfa_command, interactive=False)
    if told is not None and isinstance(source, CommandCode):
        return WatchedCommand(source, told)
    return source


def refresh(service: SessionService, row: StatusRow, code: Secret | None = None,
            told: Callable[[bool], None] | None = None,
            without_mfa: bool = False) -> RefreshFinished:
    """Refresh a row: with the code a person typed, on its own (chained / command), or
    (`without_mfa`, which a person chose) with no MFA at all."""
    try:
        if without_mfa:
            source: MfaCodeSource = WithoutMfa()
        elif code:
            source = FixedCode(code, origin="the TUI")
        else:
            source = code_source_for(service, row, told)
        result = service.renew(row.name, source, interactive=False)
    except MfaCodeError as exc:
        return RefreshFinished(row.name, error=str(exc), bad_code=code is not None,
                               with_code=code is not None, code_refused=True)
    except AwsMfaError as exc:
        return RefreshFinished(row.name, error=str(exc), with_code=code is not None,
                               transient=exc.transient)
    return RefreshFinished(row.name, result=result, with_code=code is not None)


def resolve_serial(service: SessionService, row: StatusRow) -> SerialResolved:
    try:
        identity = service.catalog().identity(row.identity)
        serial = service.resolve_serial(identity)
        return SerialResolved(row.name, serial=serial,
                              skipped=service.devices.skipped(identity.name))
    except SeveralMfaDevices as exc:
        return SerialResolved(row.name, choices=exc.survey.usable, skipped=exc.survey.skipped)
    except NoMfaDevice as exc:
        return SerialResolved(row.name, no_device_for=exc.survey.user_arn,
                              skipped=exc.survey.skipped)
    except AwsMfaError as exc:
        return SerialResolved(row.name, error=str(exc))


def choose_device(service: SessionService, row: StatusRow, serial: str) -> DeviceChosen:
    """Remember the device a person chose for the row's identity, in settings."""
    try:
        service.choose_device(row.identity, serial)
    except AwsMfaError as exc:
        return DeviceChosen(row.name, serial, error=str(exc))
    return DeviceChosen(row.name, serial)


def open_console(service: SessionService, name: str) -> ConsoleOutcome:
    """Open the AWS console for a role in a browser (the sign-in URL is handed over by
    `console.handoff`, never on a command line or on screen)."""
    from tui.engine.console.handoff import open_in_browser
    from tui.engine.console.signin import browser_for, console_url_for

    try:
        opened = open_in_browser(console_url_for(service, name), browser_for(service, name))
    except AwsMfaError as exc:
        return ConsoleOutcome(str(exc))
    return ConsoleOutcome(f"opened the console for {name} in a browser" if opened else
                          "no browser found: use `aws-mfa-tui console NAME --print`")


def identity_details(service: SessionService, row: StatusRow) -> DetailsLoaded:
    try:
        return DetailsLoaded(row.name, details=service.identity_details(row.identity))
    except AwsMfaError as exc:
        return DetailsLoaded(row.name, error=str(exc))


def logout(service: SessionService, names: list[str]) -> LoggedOut:
    try:
        return LoggedOut(removed=service.logout(names))
    except AwsMfaError as exc:
        return LoggedOut(removed=[], error=str(exc))


def save_settings(service: SessionService, values: dict[str, Any]) -> SettingsSaved:
    """Validate the edited values the way the settings file is validated, then save."""
    try:
        parsed = parse_settings(values)
        changes = {key: getattr(parsed, key) for key in values}
        service.save_settings(service.current_settings.with_values(**changes))
    except AwsMfaError as exc:
        message = str(exc)
        key = next((k for k in values if f"`{k}`" in message), None)
        return SettingsSaved(error=message.split(": ", 1)[-1] if key else message, key=key)
    return SettingsSaved()


# ---------------------------------------------------------------- key rotation
# The rotation screen's calls. They never raise: the screen must not stay at "loading" or
# "running", so anything unexpected becomes a message too, named by its type alone.


def _failure(exc: Exception) -> str:
    """The one line a failed call shows: an `AwsMfaError`'s own (kept free of secrets by
    the engine), anything else by its type only (its text might hold a secret)."""
    return str(exc) if isinstance(exc, AwsMfaError) else f"unexpected {type(exc).__name__}"


def prepare_rotation(rotation: KeyRotation, on_step: StepCallback) -> Message:
    """Find out whether a code must be typed (`CodeNeeded`); without one, sign in and
    make the plan, finishing a cut-off rotation first (see `plan_or_recover`)."""
    try:
        # The profile's own MFA session, while valid, signs: no code to type.
        if not rotation.use_valid_session():
            # A cut-off rotation may have left a key AWS no longer knows in the file (put
            # back by another program): its recovery says which key to deal with.
            unfinished = rotation.unfinished() is not None
            try:
                request = rotation.code_request()
            except AwsAuthError:
                if not unfinished:
                    raise
                request = None
            if request is not None:
                # mfa_command or $AWS_MFA_TOKEN_CODE, as on the command line; else ask.
                source = choose_code_source(None, request.mfa_command, interactive=False)
                if isinstance(source, NoCodeSource):
                    return CodeNeeded(request)
                rotation.authenticate(source)
            elif unfinished:
                rotation.authenticate_for_recovery(None)
            else:
                rotation.authenticate(None)
        return plan_or_recover(rotation, on_step)
    except Exception as exc:
        return PrepareFailed(_failure(exc))


def authenticate_and_plan(rotation: KeyRotation, code: Secret,
                          on_step: StepCallback) -> Message:
    """Sign in with the code typed (a refused one asks for the next), then plan."""
    try:
        rotation.authenticate(FixedCode(code, origin="the rotation screen"))
    except MfaCodeError as exc:  # a wrong or reused code
        return PrepareFailed(str(exc), retry_code=True)
    except Exception as exc:
        return PrepareFailed(_failure(exc))
    try:
        return plan_or_recover(rotation, on_step)
    except Exception as exc:  # the code was good; IAM or the network said no
        return PrepareFailed(_failure(exc))


def plan_or_recover(rotation: KeyRotation, on_step: StepCallback) -> Message:
    """Finish a rotation that was cut off (`Recovered`, with the plan when it was undone),
    else make the plan (`PlanReady`). Raises: the callers above say how it failed."""
    if rotation.unfinished() is not None:
        recovered = rotation.finish_unfinished(on_step=on_step)
        if recovered is not None:
            return Recovered(recovered, rotation.plan() if recovered.rolled_back else None)
    return PlanReady(rotation.plan())


def replan(rotation: KeyRotation, delete_inactive: bool,
           keep_old_inactive: bool = False) -> Message:
    try:
        return PlanReady(rotation.plan(delete_inactive=delete_inactive,
                                       keep_old_inactive=keep_old_inactive))
    except Exception as exc:
        return PrepareFailed(_failure(exc))


def rotate(rotation: KeyRotation, plan: RotationPlan, on_step: StepCallback) -> RotationFinished:
    try:
        return RotationFinished(rotation.run(plan, on_step=on_step))
    except Exception as exc:
        return RotationFinished(None, _failure(exc))


def refresh_after_rotation(service: SessionService, profile: str,
                           code: Secret | None) -> Message:
    """A new MFA session made with the new key: with the code typed, else by itself when it
    can (`SessionCodeNeeded` when a code must be typed)."""
    try:
        source = FixedCode(code, origin="the rotation screen") if code else None
        if source is None and service.needs_code(profile):
            return SessionCodeNeeded()
        service.renew(profile, source, interactive=False)
    except Exception as exc:
        return SessionRefreshed(_failure(exc))
    return SessionRefreshed()
