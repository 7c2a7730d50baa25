"""Settings: session length, lead time, session name template, mfa_command and theme.

Values are checked as they are typed (whole numbers in range) and again, exactly as the
settings file is checked, by the save worker; any error shows under its field.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import get_current_worker

from tui.app import engine_calls, messages
from tui.app.screens.dialog import Dialog
from tui.engine.sessions.service import SessionService
from tui.engine.settings import CODE_ALERTS, MAX_DURATION, MIN_DURATION, THEMES

MAX_LEAD_TIME = 43200

FIELDS = (
    # key, label, hint
    ("duration", "Session length (seconds)", f"{MIN_DURATION}-{MAX_DURATION}; 43200 = 12 h"),
    ("lead_time", "Lead time (seconds)", "refresh or ask for a code this long before expiry"),
    ("session_name", "Session profile name", "template with {profile}, e.g. {profile}-mfa"),
    ("mfa_command", "MFA command", "prints a code: ykman oath accounts code --single NAME"),
)


def check_field(key: str, text: str) -> str | None:
    """A problem with one typed value, or None."""
    text = text.strip()
    if key in ("duration", "lead_time"):
        low, high = (MIN_DURATION, MAX_DURATION) if key == "duration" else (0, MAX_LEAD_TIME)
        if not text.isdigit():
            return "a whole number of seconds"
        if not low <= int(text) <= high:
            return f"between {low} and {high} seconds"
    if key == "session_name" and "{profile}" not in text and text:
        return "should contain {profile}, or every identity writes the same profile"
    if key == "session_name" and not text:
        return "can't be empty"
    return None


class SettingsScreen(Dialog[bool]):
    """Dismissed with True when saved."""


    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="settings.cancel", tooltip="Close, don't save"),
        Binding("ctrl+s", "save", "Save", id="settings.save", tooltip="Check and save"),
    ]

    def __init__(self, service: SessionService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        current = self.service.current_settings
        themes = [t for t in THEMES if t in self.app.available_themes]
        if current.theme not in themes and current.theme in self.app.available_themes:
            themes.append(current.theme)
        with Vertical(id="dialog"):
            yield Static("Settings", id="title")
            with VerticalScroll(id="form"):
                for key, label, hint in FIELDS:
                    value = getattr(current, key)
                    with Horizontal(classes="row"):
                        yield Label(label)
                        with Vertical():
                            yield Input(str(value or ""), id=key, compact=True)
                            yield Static(hint, classes="hint", markup=False)
                            yield Static("", id=f"{key}-problem", classes="problem",
                                         markup=False)
                with Horizontal(classes="row"):
                    yield Label("Theme")
                    with Vertical():
                        yield Select([(t, t) for t in themes], value=current.theme
                                     if current.theme in themes else Select.BLANK,
                                     allow_blank=False, id="theme", compact=True)
                        yield Static("applies at once", classes="hint")
                with Horizontal(classes="row"):
                    yield Label("When a code is needed")
                    with Vertical():
                        yield Select([(a, a) for a in CODE_ALERTS], value=current.code_alert,
                                     allow_blank=False, id="code_alert", compact=True)
                        yield Static("bell, desktop notification, or both", classes="hint")
            yield Static("", id="saving", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", variant="primary", id="save")

    def on_mount(self) -> None:
        self.query_one(f"#{FIELDS[0][0]}", Input).focus()

    def _show_problem(self, key: str, problem: str | None) -> None:
        label = self.query_one(f"#{key}-problem", Static)
        label.update(problem or "")
        label.set_class(bool(problem), "-shown")

    @on(Input.Changed)
    def _check_as_typed(self, event: Input.Changed) -> None:
        if event.input.id:
            self._show_problem(event.input.id, check_field(event.input.id, event.value))

    def _values(self) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        problems = False
        for key, _label, _hint in FIELDS:
            text = self.query_one(f"#{key}", Input).value.strip()
            problem = check_field(key, text)
            self._show_problem(key, problem)
            problems = problems or problem is not None
            values[key] = int(text) if key in ("duration", "lead_time") and not problem else text
        for key in ("theme", "code_alert"):
            choice = self.query_one(f"#{key}", Select).value
            if isinstance(choice, str):
                values[key] = choice
        return None if problems else values

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        values = self._values()
        if values is None:
            bad = [key for key, _label, _hint in FIELDS
                   if self.query_one(f"#{key}-problem", Static).has_class("-shown")]
            self.query_one("#saving", Static).update(
                "Not saved: fix the value" + ("s" if len(bad) > 1 else "")
                + " marked in red under " + ("their fields" if len(bad) > 1 else "its field"))
            if bad:
                self.query_one(f"#{bad[0]}", Input).focus()
            self.app.bell()
            return
        self.query_one("#saving", Static).update("")
        self.save(values)

    @work(thread=True, exclusive=True, group="settings", exit_on_error=False,
          description="save the settings")
    def save(self, values: dict[str, Any]) -> None:
        if get_current_worker().is_cancelled:
            return
        self.post_message(engine_calls.save_settings(self.service, values))

    @on(messages.SettingsSaved)
    def _saved(self, message: messages.SettingsSaved) -> None:
        if message.error:
            if message.key and message.key in {key for key, _label, _hint in FIELDS}:
                self._show_problem(message.key, message.error)
            else:
                self.query_one("#saving", Static).update(message.error)
            self.app.bell()
            return
        theme = self.service.current_settings.theme
        if theme in self.app.available_themes:
            self.app.theme = theme
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
