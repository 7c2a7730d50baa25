"""Asks for one MFA code for one profile. It submits on the sixth digit (or Enter).

The modal runs the refresh itself, in its own worker, and hands back how it ended: it is
dismissed with the `RefreshFinished` message (success, or an error other than a refused
code), or with None when cancelled. A refused code rings the bell and the modal stays
open for the next code. It also looks up the MFA device in IAM when the files don't name
one: with several, `MfaDeviceChooser` asks which (saved in settings for next time); with
none, `NoMfaDeviceOffer` explains and offers a session without MFA (this modal hides
under either). `outcome` says why it closed without a result. Digits show as dots and the
field is cleared as soon as the code is read, as a `Secret`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Input, Static
from textual.worker import (
    Worker,
    WorkerCancelled,
    WorkerFailed,
    WorkerState,
    get_current_worker,
)

from tui.app import engine_calls, messages
from tui.app.screens.dialog import Dialog
from tui.app.widgets.code_input import CodeInput
from tui.engine.mfa.codes import CODE_LENGTH, seconds_left_in_window
from tui.engine.profiles.status import ProfileKind, StatusRow
from tui.engine.secret import Secret
from tui.engine.sessions.service import SessionService


class MfaCodeModal(Dialog[messages.RefreshFinished | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="mfa.cancel",
                tooltip="Close without refreshing (and skip any profiles queued after this)"),
    ]

    #: The code is with AWS: the field is locked and the line under it says so.
    checking: reactive[bool] = reactive(False, init=False)
    #: The MFA device, once known (from the files, or from IAM).
    serial: reactive[str | None] = reactive(None, init=False)

    def __init__(self, service: SessionService, row: StatusRow, now: datetime,
                 position: tuple[int, int] = (1, 1),
                 on_checking: Callable[[str, bool], None] | None = None,
                 late_result: Callable[[messages.RefreshFinished], None] | None = None
                 ) -> None:
        """`on_checking(name, checking)` hears when a code goes to AWS and comes back
        (the main screen's row shows a spinner meanwhile); `late_result` gets the result
        of a code that was still with AWS when the modal was closed with Escape."""
        super().__init__()
        self.on_checking = on_checking
        self.late_result = late_result
        self.closed = False
        self.service = service
        self.row = row
        self.set_reactive(MfaCodeModal.serial, row.mfa_serial)
        self._now = now
        self._position = position
        #: Why the modal closed without a result, for the main screen's log.
        self.outcome = "no code entered"
        #: Security keys IAM listed that STS can't use, once the device was looked up.
        self.skipped: tuple[str, ...] = ()
        self.remembered = False
        #: The worker checking the code last typed.
        self._check: Worker | None = None

    def compose(self) -> ComposeResult:
        row = self.row
        index, total = self._position
        queue = f"  ({index} of {total})" if total > 1 else ""
        what = "role" if row.kind == ProfileKind.ROLE else "identity"
        with Vertical(id="dialog"):
            yield Static(f"MFA code for {row.name}{queue}", id="title", markup=False)
            yield Static(f"{what}: {row.name} → [{row.target}]", classes="field", markup=False)
            yield Static(self._device_text(), id="device", classes="field", markup=False)
            yield CodeInput(id="code", valid_empty=True)
            yield Static(self._window_text(self._now), id="window")
            yield Static("", id="problem", markup=False)
            yield Static("Submits on the 6th digit · Enter submits · Esc cancels", id="hint")

    def on_mount(self) -> None:
        if not self.row.mfa_serial:
            self.resolve_serial()

    def _device_text(self) -> str:
        text = f"device: {self.serial or 'looking it up in IAM…'}"
        if self.remembered:
            text += "\nremembered for this profile in settings"
        if self.skipped:
            count = len(self.skipped)
            text += (f"\nskipped {count} FIDO/U2F security key{'s' if count > 1 else ''}, "
                     "which STS can't use")
        return text

    @staticmethod
    def _window_text(now: datetime) -> str:
        left = seconds_left_in_window(now.timestamp())
        return f"current code changes in {left:2d} s"

    def clock_tick(self, now: datetime) -> None:
        self.query_one("#window", Static).update(self._window_text(now))

    # ------------------------------------------------------------ reactives
    def watch_serial(self) -> None:
        self.query_one("#device", Static).update(self._device_text())

    def watch_checking(self, checking: bool) -> None:
        if self.on_checking is not None:
            self.on_checking(self.row.name, checking)
        problem = self.query_one("#problem", Static)
        problem.set_class(checking, "-checking")
        code = self.query_one("#code", Input)
        code.disabled = checking
        if checking:
            problem.update("checking the code with AWS…")
        else:
            code.focus()

    # ------------------------------------------------------------ workers
    @work(thread=True, exclusive=True, group="mfa-serial", exit_on_error=False,
          description="find the MFA device in IAM")
    def resolve_serial(self) -> None:
        if not get_current_worker().is_cancelled:
            self.post_message(engine_calls.resolve_serial(self.service, self.row))

    @work(thread=True, exclusive=True, group="mfa-serial", exit_on_error=False,
          description="remember the chosen MFA device")
    def remember_device(self, serial: str) -> None:
        if not get_current_worker().is_cancelled:
            self.post_message(engine_calls.choose_device(self.service, self.row, serial))

    @work(thread=True, exclusive=True, group="mfa-refresh", exit_on_error=False,
          description="a refresh with the code typed")
    def check_code(self, code: Secret | None) -> None:
        """Refresh with this code, or (None) with no MFA, as the person chose."""
        if get_current_worker().is_cancelled:
            return
        # Not cancelled with the modal: the code is spent, its answer must be heard.
        self.app.call_from_thread(self._answered, engine_calls.refresh(
            self.service, self.row, code, without_mfa=code is None))

    def _answered(self, message: messages.RefreshFinished) -> None:
        if self.closed:
            if self.late_result is not None:
                self.late_result(message)
            return
        self.post_message(message)

    @on(messages.SerialResolved)
    def _serial_resolved(self, message: messages.SerialResolved) -> None:
        message.stop()
        self.skipped = message.skipped
        if message.serial:
            self.serial = message.serial
        elif message.choices:
            self._ask_which_device(message.choices)
        elif message.no_device_for:
            self._offer_without_mfa(message.no_device_for)
        elif message.error:
            self.query_one("#device", Static).update(
                "device: unknown (IAM didn't say): name it with mfa_serial in this "
                "profile's ~/.aws/config section")
            self.show_problem(message.error, ring=False)

    def _ask_which_device(self, serials: tuple[str, ...]) -> None:
        from tui.app.screens.mfa_device_chooser import MfaDeviceChooser

        def chosen(serial: str | None) -> None:
            self.remove_class("-behind")
            if serial is None:
                self.outcome = "no MFA device chosen"
                self.action_cancel()
                return
            self.serial = serial
            self.remember_device(serial)

        self.add_class("-behind")
        self.app.push_screen(MfaDeviceChooser(self.row.identity, serials, self.skipped),
                             chosen)

    def _offer_without_mfa(self, user_arn: str) -> None:
        from tui.app.screens.no_mfa_device import NoMfaDeviceOffer

        def answered(accept: bool | None) -> None:
            if not accept:
                self.outcome = "no MFA device: declined a session without MFA, nothing written"
                self.action_cancel()
                return
            self.checking = True
            self._check = self.check_code(None)

        self.add_class("-behind")  # stays hidden: there is no code to type
        self.app.push_screen(NoMfaDeviceOffer(self.row.name, self.row.target, user_arn,
                                              self.skipped), answered)

    @on(messages.DeviceChosen)
    def _device_chosen(self, message: messages.DeviceChosen) -> None:
        message.stop()
        if message.error:
            self.show_problem(f"{message.error} (the device is used for now)", ring=False)
        else:
            self.remembered = True
            self.watch_serial()

    @on(messages.RefreshFinished)
    async def _refresh_finished(self, message: messages.RefreshFinished) -> None:
        message.stop()
        if message.error and message.bad_code:
            self.show_problem(message.error)
            return
        self.closed = True
        # Closed once its worker has ended: closing cancels the modal's workers, and one
        # cancelled on its way out would look as if the refresh never ended.
        if self._check is not None:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self._check.wait()
        self.dismiss(message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker of ours raised (the app shows the error): free the field."""
        if event.state is WorkerState.ERROR and event.worker.group == "mfa-refresh":
            self.show_problem(f"unexpected error: {type(event.worker.error).__name__}")

    # ------------------------------------------------------------ typing
    def show_problem(self, message: str, ring: bool = True) -> None:
        """The code was refused (or something else went wrong): say so, wait for another."""
        self.checking = False
        self.query_one("#problem", Static).update(message)
        code = self.query_one("#code", Input)
        code.disabled = False
        code.value = ""
        code.focus()
        if ring:
            self.app.bell()

    def on_input_changed(self, event: Input.Changed) -> None:
        if len(event.value) == CODE_LENGTH and not self.checking:
            self._submit(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.checking:
            return
        if len(event.value) != CODE_LENGTH:
            self.show_problem(f"an MFA code is {CODE_LENGTH} digits", ring=True)
            return
        self._submit(event.value)

    def _submit(self, typed: str) -> None:
        code = Secret(typed)
        self.query_one("#code", Input).value = ""
        self.checking = True
        self._check = self.check_code(code)

    def action_cancel(self) -> None:
        self.closed = True
        self.dismiss(None)
