"""Rotate one profile's access key: the keys, the plan, a confirmation, then each step live.

Every engine call runs in a thread worker that posts a message; the handlers below update
the widgets. When the profile has an MFA device and no `mfa_command`, the screen asks for a
code first (a digits-only field): the rotation's IAM calls, the key listing included, are
signed with an MFA session made from it; while the profile's own MFA session is valid it
signs instead, and no code is asked for. A rotation of the profile that was cut off (see
`rotation.journal`) is finished first. Escape closes the screen (not while steps run).

What is shown follows the stage (`Stage`), set as a CSS class on the screen: the widgets
are all composed once and the stylesheet shows the ones each stage needs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Static

from tui.app import engine_calls
from tui.app.messages import (
    CodeNeeded,
    PlanReady,
    PrepareFailed,
    Recovered,
    RotationFinished,
    SessionCodeNeeded,
    SessionRefreshed,
    StepUpdate,
)
from tui.app.widgets.code_input import CodeInput
from tui.app.widgets.footer import AppFooter
from tui.engine.errors import AwsMfaError
from tui.engine.mfa.codes import CODE_LENGTH, check_code
from tui.engine.rotation.access_keys import key_rows
from tui.engine.rotation.key_rotation import KeyRotation
from tui.engine.rotation.plan import (
    RotationPlan,
    RotationResult,
    RotationStep,
    StepEvent,
    StepOutcome,
)
from tui.engine.rotation.words import plan_lines, recovery_summary
from tui.engine.secret import Secret

RotationFactory = Callable[[Any, str], KeyRotation]

# Five columns, so the table fits 80 columns; the age stands for the creation date.
_KEY_COLUMNS = (("key", "Key"), ("status", "Status"), ("age", "Age"), ("used", "Last used"),
                ("note", "Note"))

_MARKS = {
    "pending": "·",
    StepOutcome.RUNNING: "…",
    StepOutcome.DONE: "✓",
    StepOutcome.FAILED: "✗",
    StepOutcome.SKIPPED: "-",
}


class Stage(enum.StrEnum):
    """Where the screen is; `-<value>` is set as a class on the screen."""

    LOADING = "loading"
    CODE = "code"
    READY = "ready"
    BLOCKED = "blocked"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RotationScreen(Screen[RotationResult | None]):
    """Dismissed with the RotationResult after a rotation, else None."""

    DEFAULT_CSS = """
    RotationScreen { layout: vertical; background: $background; }
    RotationScreen #body { height: 1fr; padding: 0 1; }
    RotationScreen #title { text-style: bold; color: $text-primary; margin-top: 1; }
    RotationScreen #who { color: $text-muted; }
    RotationScreen #status { color: $text-accent; margin-top: 1; height: auto; }
    RotationScreen #keys { height: auto; max-height: 6; margin-top: 1; }
    RotationScreen #keys > .datatable--header { background: $panel; color: $text-muted; }
    RotationScreen #plan { height: auto; margin-top: 1; }
    RotationScreen #blocked { color: $text-error; text-style: bold; margin-top: 1;
                              height: auto; }
    RotationScreen #code-row { height: auto; margin-top: 1; }
    RotationScreen #code-label { width: auto; padding: 1 1 0 0; }
    RotationScreen #actions { height: auto; margin-top: 1; }
    RotationScreen #actions Button { margin-right: 2; }
    RotationScreen #steps { height: auto; margin-top: 1; }
    RotationScreen .step { color: $text-muted; }
    RotationScreen .step.-running { color: $text-accent; text-style: bold; }
    RotationScreen .step.-done { color: $text-success; }
    RotationScreen .step.-failed { color: $text-error; text-style: bold; }
    RotationScreen .step.-skipped { color: $text-disabled; }
    RotationScreen #outcome { margin-top: 1; height: auto; }
    RotationScreen #outcome.-ok { color: $text-success; text-style: bold; }
    RotationScreen #outcome.-error { color: $text-error; text-style: bold; }
    /* What each stage shows: everything below starts hidden. */
    RotationScreen #keys, RotationScreen #plan, RotationScreen #blocked,
    RotationScreen #code-row, RotationScreen #actions, RotationScreen #rotate,
    RotationScreen #keep-old, RotationScreen #delete-inactive, RotationScreen #steps,
    RotationScreen #outcome { display: none; }
    RotationScreen.-has-plan #keys { display: block; }
    RotationScreen.-code #code-row, RotationScreen.-refresh-code #code-row { display: block; }
    RotationScreen.-ready #plan, RotationScreen.-ready #actions,
    RotationScreen.-ready #rotate, RotationScreen.-ready #keep-old { display: block; }
    RotationScreen.-blocked #blocked, RotationScreen.-blocked #actions { display: block; }
    RotationScreen.-blocked.-can-delete #delete-inactive { display: block; }
    RotationScreen.-has-steps #steps { display: block; }
    RotationScreen.-done #outcome, RotationScreen.-failed #outcome { display: block; }
    RotationScreen #status.-empty { display: none; }
    /* Narrow (a 60-column pane): the buttons in two columns, the key notes under the
       table (see `_fill_columns`), so nothing is cut. */
    RotationScreen.-narrow #actions { layout: grid; grid-size: 2; grid-columns: auto;
                                      grid-rows: 3; grid-gutter: 0 2; }
    RotationScreen.-narrow #actions Button { margin-right: 0; }
    RotationScreen #key-notes { color: $text-muted; display: none; height: auto;
                                padding: 0 1; }
    RotationScreen.-has-plan.-key-notes #key-notes { display: block; }
    """
    #: Narrower than this, the buttons go in two columns.
    NARROW = 76

    BINDINGS = [
        Binding("escape", "close", "Close", id="rotation.close",
                tooltip="Back to the profiles (not while the steps run)"),
        Binding("r", "rotate", "Rotate", id="rotation.rotate",
                tooltip="Run the plan shown"),
        Binding("i", "keep_old_inactive", "Keep old key inactive",
                id="rotation.keep_old_inactive",
                tooltip="Deactivate the old key but don't delete it (toggles)"),
        Binding("d", "delete_inactive", "Delete inactive key first",
                id="rotation.delete_inactive",
                tooltip="With two keys: delete the other, inactive one, then rotate"),
        Binding("f", "refresh_session", "Refresh MFA session", id="rotation.refresh_session",
                tooltip="Get a new MFA session with the new key"),
        # Quitting mid-rotation could stop between creating a key and saving it: while the
        # steps run, `q` only says so (the binding is skipped at other times).
        Binding("q", "hold_quit", "Quit", show=False, id="rotation.hold_quit"),
    ]

    def __init__(self, service: Any, profile: str,
                 rotation_factory: RotationFactory | None = None) -> None:
        super().__init__()
        self.service = service
        self.profile = profile
        factory = rotation_factory or (lambda svc, name: KeyRotation(svc, name))
        self.rotation = factory(service, profile)  # (no I/O: its calls run in workers)
        self.plan: RotationPlan | None = None
        self.result: RotationResult | None = None
        self.stage = Stage.LOADING
        self._code_purpose = "rotate"  # or "refresh"
        self._step_order: list[RotationStep] = []
        #: MFA sessions made from the old key, to offer refreshing (f) until it is done.
        self._stale: tuple[str, ...] = ()
        #: The key table's column widths: they only grow, as DataTable's own do.
        self._key_widths: dict[str, int] = {}
        self._outcome_text = ""
        self._recovery_note = ""
        #: Whether a code was typed to sign the rotation (the session refresh needs another).
        self._code_typed_for_rotation = False
        #: The key table's cells as last filled, to lay them out again on a resize.
        self._key_cells: list[Sequence[str]] = []

    # ------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with VerticalScroll(id="body"):
            yield Static(f"Rotate the access key of {self.profile}", id="title", markup=False)
            yield Static("", id="who", markup=False)
            yield Static("Asking IAM for the access keys…", id="status", markup=False)
            table: DataTable[str] = DataTable(id="keys", cursor_type="none",
                                              zebra_stripes=False)
            yield table
            yield Static("", id="key-notes", markup=False)
            yield Static("", id="plan", markup=False)
            yield Static("", id="blocked", markup=False)
            with Horizontal(id="code-row"):
                yield Static("MFA code:", id="code-label", markup=False)
                yield CodeInput(id="code")
            with Horizontal(id="actions"):
                yield Button("Rotate (r)", id="rotate", variant="warning")
                yield Button("Keep old key inactive (i)", id="keep-old")
                yield Button("Delete inactive key first (d)", id="delete-inactive",
                             variant="error")
                yield Button("Cancel (Esc)", id="cancel")
            yield Vertical(id="steps")
            yield Static("", id="outcome", markup=False)
        yield AppFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._fill_columns([])
        self._set_stage(Stage.LOADING)
        self.prepare()

    # ------------------------------------------------------------ helpers
    def _status(self, text: str) -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        status.set_class(not text, "-empty")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("rotate", "keep_old_inactive"):
            return self.stage is Stage.READY
        if action == "delete_inactive":
            return self.stage is Stage.BLOCKED and bool(self.plan and self.plan.can_delete_other)
        if action == "refresh_session":
            return self.stage is Stage.DONE and bool(self._stale)
        if action == "close":
            return self.stage is not Stage.RUNNING
        if action == "hold_quit":
            return self.stage is Stage.RUNNING
        return True

    def _set_stage(self, stage: Stage) -> None:
        self.stage = stage
        for each in Stage:
            self.set_class(each is stage, f"-{each.value}")
        self.refresh_bindings()

    # ------------------------------------------------------------ workers
    # Each calls the engine through `engine_calls`, which turns every outcome into a message.
    @work(thread=True, exclusive=True, group="rotation", exit_on_error=False,
          description="the code needed, then the plan")
    def prepare(self) -> None:
        self.post_message(engine_calls.prepare_rotation(self.rotation, self._post_step))

    @work(thread=True, exclusive=True, group="rotation", exit_on_error=False,
          description="sign in with the code typed, then plan")
    def authenticate_and_plan(self, code: Secret) -> None:
        self.post_message(engine_calls.authenticate_and_plan(self.rotation, code,
                                                             self._post_step))

    @work(thread=True, exclusive=True, group="rotation", exit_on_error=False,
          description="plan again")
    def replan(self, delete_inactive: bool, keep_old_inactive: bool = False) -> None:
        self.post_message(engine_calls.replan(self.rotation, delete_inactive,
                                              keep_old_inactive))

    @work(thread=True, exclusive=True, group="rotation", exit_on_error=False,
          description="run the rotation's steps")
    def execute(self, plan: RotationPlan) -> None:
        self.post_message(engine_calls.rotate(self.rotation, plan, self._post_step))

    def _post_step(self, event: StepEvent) -> None:
        self.post_message(StepUpdate(event))  # thread-safe

    @work(thread=True, exclusive=True, group="rotation", exit_on_error=False,
          description="refresh the MFA session with the new key")
    def refresh_session(self, code: Secret | None) -> None:
        self.post_message(engine_calls.refresh_after_rotation(self.service, self.profile,
                                                              code))

    # ------------------------------------------------------------ handlers
    @on(CodeNeeded)
    def _ask_code(self, message: CodeNeeded) -> None:
        self._code_purpose = "rotate"
        self._set_stage(Stage.CODE)
        request = message.request
        self.query_one("#who", Static).update(f"MFA device {request.serial}")
        self._status("IAM calls for the rotation are signed with a fresh MFA session: "
                     "enter the current code from your MFA device.")
        self.query_one("#code", Input).focus()

    @on(Input.Submitted, "#code")
    @on(Input.Changed, "#code")
    def _code_typed(self, event: Input.Submitted | Input.Changed) -> None:
        field = event.input
        if isinstance(event, Input.Changed) and len(field.value) < CODE_LENGTH:
            return
        try:
            code = check_code(field.value)
        except AwsMfaError as exc:
            self._status(exc.message)
            return
        field.value = ""
        self.remove_class("-refresh-code")
        if self._code_purpose == "refresh":
            self._status("Refreshing the MFA session…")
            self.refresh_session(code)
        else:
            self._code_typed_for_rotation = True
            self._status("Checking the code and asking IAM for the access keys…")
            self._set_stage(Stage.LOADING)
            self.authenticate_and_plan(code)

    @on(PrepareFailed)
    def _prepare_failed(self, message: PrepareFailed) -> None:
        if message.retry_code:
            self._set_stage(Stage.CODE)
            self._status(f"{message.error}. Try the next code.")
            self.query_one("#code", Input).focus()
            return
        self._set_stage(Stage.FAILED)
        self._status("")
        self._outcome(message.error, ok=False)

    @on(Recovered)
    def _recovered(self, message: Recovered) -> None:
        result = message.result
        if message.plan is not None:  # undone: the plan follows
            self._recovery_note = recovery_summary(result)
            self._show_plan(message.plan)
            return
        self._set_stage(Stage.DONE)
        self._status("")
        self._stale = result.stale_sessions
        self._outcome_text = recovery_summary(result)
        self._outcome(self._outcome_text + self._refresh_hint(), ok=True)

    @on(PlanReady)
    def _plan_ready(self, message: PlanReady) -> None:
        self._show_plan(message.plan)

    def _show_plan(self, plan: RotationPlan) -> None:
        self.plan = plan
        self._status(self._recovery_note)  # a cut-off rotation that was undone, if any
        self.query_one("#who", Static).update(plan.arn)
        self._fill_keys(plan)
        self.add_class("-has-plan")
        self.set_class(plan.can_delete_other, "-can-delete")
        if plan.blocked:
            self.query_one("#blocked", Static).update(plan.blocked)
            self._set_stage(Stage.BLOCKED)
        else:
            lines = [f"{n}. {line}" for n, line in enumerate(plan_lines(plan), 1)]
            self.query_one("#plan", Static).update(
                f"Plan (IAM calls signed with {plan.signed_with}):\n"
                + "\n".join(f"  {line}" for line in lines))
            self.query_one("#keep-old", Button).label = (
                "Delete the old key (i)" if plan.keep_old_inactive
                else "Keep old key inactive (i)")
            self._set_stage(Stage.READY)
        focus = "#delete-inactive" if plan.can_delete_other and plan.blocked else (
            "#cancel" if plan.blocked else "#rotate")
        self.query_one(focus, Button).focus()

    def _fill_keys(self, plan: RotationPlan, result: RotationResult | None = None) -> None:
        table = self.query_one("#keys", DataTable)
        table.clear()
        states = {}
        if result is not None:
            states[result.old_key_id] = result.old_key_state
            if plan.delete_other_first and plan.other_key is not None:
                states[plan.other_key.access_key_id] = "deleted"
        rows = key_rows(plan.keys, plan.profile, plan.old_key_id, self.service.clock(),
                        states, result.new_key_id if result is not None else None)
        cells = [(row.masked, row.status, row.age + (" ⚠" if row.old else ""),  # ⚠: too old
                  row.last_used, row.note) for row in rows]
        self._fill_columns(cells)
        notes_below = len(table.columns) < len(_KEY_COLUMNS)
        for row, row_cells in zip(rows, cells, strict=True):
            table.add_row(*(row_cells[:-1] if notes_below else row_cells), key=row.key_id)

    def _fill_columns(self, cells: Sequence[Sequence[str]]) -> None:
        """(Re)make the key table's columns, each as wide as anything it has shown.

        The widths are set here, not measured by DataTable: it measures new rows only when
        it is next idle, and a paint before that keeps the old widths (a cold run once
        showed the last table with the plan's widths, cutting "deleted" to "delete")."""
        table = self.query_one("#keys", DataTable)
        table.clear(columns=True)
        for at, (key, label) in enumerate(_KEY_COLUMNS):
            width = max([cell_len(label), *(cell_len(row[at]) for row in cells)])
            self._key_widths[key] = max(width, self._key_widths.get(key, 0))
        # Too narrow for every column (a 60-column pane): the notes go under the table.
        room = self.size.width - 4  # the body's padding and scrollbar
        notes_below = sum(w + 2 for w in self._key_widths.values()) > room > 0
        for key, label in _KEY_COLUMNS:
            if not (notes_below and key == "note"):
                table.add_column(label, key=key, width=self._key_widths[key])
        notes = [f"{row[0]}: {row[-1]}" for row in cells if row[-1]] if notes_below else []
        self.query_one("#key-notes", Static).update("\n".join(notes))
        self.set_class(bool(notes), "-key-notes")
        self._key_cells = list(cells)

    def on_resize(self) -> None:
        self.set_class(self.size.width < self.NARROW, "-narrow")
        if self._key_cells and self.has_class("-has-plan"):
            self._show_key_cells(self._key_cells)

    def _show_key_cells(self, cells: Sequence[Sequence[str]]) -> None:
        self._fill_columns(cells)
        table = self.query_one("#keys", DataTable)
        notes_below = len(table.columns) < len(_KEY_COLUMNS)
        for row_cells in cells:
            table.add_row(*(row_cells[:-1] if notes_below else row_cells))

    @on(Button.Pressed, "#rotate")
    def action_rotate(self) -> None:
        if self.stage is not Stage.READY or self.plan is None:
            return
        self._set_stage(Stage.RUNNING)
        self._step_order = []
        steps = self.query_one("#steps", Vertical)
        steps.remove_children()
        for step in self.plan.steps():
            self._add_step(step)
        self.add_class("-has-steps")
        self._status("Rotating: don't close the terminal until the steps finish.")
        self.execute(self.plan)

    def _add_step(self, step: RotationStep) -> Static:
        widget = Static(f"{_MARKS['pending']} {step.label}", id=f"step-{step.name.lower()}",
                        classes="step", markup=False)
        self._step_order.append(step)
        self.query_one("#steps", Vertical).mount(widget)
        self.add_class("-has-steps")
        return widget

    @on(StepUpdate)
    def apply_step(self, message: StepUpdate) -> None:
        event = message.event
        if event.step not in self._step_order:
            widget = self._add_step(event.step)
        else:
            widget = self.query_one(f"#step-{event.step.name.lower()}", Static)
        detail = f"  {event.detail}" if event.detail else ""
        widget.update(f"{_MARKS[event.outcome]} {event.step.label}{detail}")
        for outcome in StepOutcome:
            widget.set_class(event.outcome is outcome, f"-{outcome.value}")

    @on(RotationFinished)
    def _finished(self, message: RotationFinished) -> None:
        self._status("")
        self.result = message.result
        if message.result is None:
            self._set_stage(Stage.FAILED)
            self._outcome(message.error or "rotation stopped", ok=False)
            return
        result = message.result
        self._stale = result.stale_sessions
        self._set_stage(Stage.DONE)
        if self.plan is not None:
            self._fill_keys(self.plan, result)
        sections = ", ".join(f"[{s}]" for s in result.sections)
        text = (f"Rotated: {sections} now use{'s' if len(result.sections) == 1 else ''} "
                f"{result.new_key_id}; the old key {result.old_key_id} is "
                f"{result.old_key_state}.")
        for note in result.notes:
            text += f"\n{note}"
        self._outcome_text = text
        self._outcome(text + self._refresh_hint(), ok=True)

    def _refresh_hint(self) -> str:
        if not self._stale:
            return ""
        return (f"\n{', '.join(self._stale)} was made with the old key and is marked stale: "
                "press f to refresh it now.")

    def _outcome(self, text: str, ok: bool) -> None:
        outcome = self.query_one("#outcome", Static)
        outcome.update(text)
        outcome.set_class(ok, "-ok")
        outcome.set_class(not ok, "-error")

    def action_delete_inactive(self) -> None:
        if not self.check_action("delete_inactive", ()):
            return
        self._set_stage(Stage.LOADING)
        self._status("Planning with the inactive key deleted first…")
        self.replan(True)

    def action_keep_old_inactive(self) -> None:
        if not self.check_action("keep_old_inactive", ()) or self.plan is None:
            return
        keep = not self.plan.keep_old_inactive
        self._set_stage(Stage.LOADING)
        self._status("Planning…")
        self.replan(self.plan.delete_other_first, keep_old_inactive=keep)

    @on(Button.Pressed, "#keep-old")
    def _keep_old_pressed(self) -> None:
        self.action_keep_old_inactive()

    @on(Button.Pressed, "#delete-inactive")
    def _delete_inactive_pressed(self) -> None:
        self.action_delete_inactive()

    def action_refresh_session(self) -> None:
        if not self.check_action("refresh_session", ()):
            return
        # Whether a code is needed is read from the files, so a worker finds out.
        self._status("Refreshing the MFA session…")
        self.refresh_session(None)

    @on(SessionCodeNeeded)
    def _ask_refresh_code(self, message: SessionCodeNeeded) -> None:
        self._code_purpose = "refresh"
        # A code works once: after one typed for the rotation, the next 30-second one.
        self._status("Enter the next code (the one used for the rotation can't be reused)."
                     if self._code_typed_for_rotation
                     else "Enter the current code from your MFA device.")
        self.add_class("-refresh-code")
        self.query_one("#code", Input).focus()

    @on(SessionRefreshed)
    def _session_refreshed(self, message: SessionRefreshed) -> None:
        if message.error:
            self._status(f"Refreshing the MFA session failed: {message.error}")
            if self._code_purpose == "refresh":
                self.add_class("-refresh-code")
            return
        self._status("The MFA session was refreshed with the new key.")
        self._code_purpose = "done"
        # Done: stop offering it.
        self._stale = ()
        self._outcome(self._outcome_text, ok=True)
        self.refresh_bindings()

    def action_hold_quit(self) -> None:
        self.app.notify("A key rotation is running: quit when its steps have finished",
                        severity="warning")

    @on(Button.Pressed, "#cancel")
    def action_close(self) -> None:
        if self.stage is Stage.RUNNING:
            return
        self.dismiss(self.result)
