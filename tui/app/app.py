"""The app: one main screen, one 1-second clock, the palette and the keys that work
everywhere. The session service's clock is the only clock, so tests can fix it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.app import desktop_notice, session_jobs
from tui.app.screens.main import MainScreen
from tui.app.widgets.profile_table import ProfileTable
from tui.engine.sessions import SessionService

if TYPE_CHECKING:
    from textual.command import Provider

#: Seconds within which a second quit leaves even during a key rotation.
QUIT_AGAIN_WITHIN = 5.0
#: Palette commands we never offer: Screenshot writes the screen to a file on disk.
HIDDEN_SYSTEM_COMMANDS = {"Screenshot"}


def profile_commands() -> type[Provider]:
    """The palette's per-profile commands, imported when the palette first opens."""
    from tui.app.profile_commands import ProfileCommands

    return ProfileCommands


class AwsMfaApp(App[int]):
    TITLE = "aws-mfa-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    COMMANDS = App.COMMANDS | {profile_commands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Quit at once"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="List every key"),
    ]

    def __init__(self, service: SessionService, demo: bool = False) -> None:
        super().__init__()
        self.service = service
        self.demo = demo
        self._title_shown = ""
        self._quit_warned_at = float("-inf")
        # What the store says from a worker (a busy lock, a mode it tightened) becomes a
        # message, then a toast: printed to stderr it would tear the screen.
        service.store.notice = self._store_notice
        theme = service.current_settings.theme
        if theme in self.available_themes:
            self.theme = theme

    def get_default_screen(self) -> Screen:
        return MainScreen(self.service)

    async def action_quit(self) -> None:
        """Quit at once, unless a key rotation is mid-way: cutting it between creating a
        key and saving it would strand a key whose secret is gone. A second press within
        five seconds quits anyway (the rotation log then names any key left behind)."""
        now = monotonic()
        if self._rotation_running() and now - self._quit_warned_at > QUIT_AGAIN_WITHIN:
            self._quit_warned_at = now
            self.notify(
                "A key rotation is running: wait for its steps to finish, or press quit "
                "again to leave anyway",
                severity="warning",
            )
            return
        await super().action_quit()

    def _rotation_running(self) -> bool:
        """A rotation's steps are running: its `execute` worker (group "rotation") is.
        Asked of the worker registry, never of a screen's state."""
        return any(worker.group == "rotation" and worker.name == "execute"
                   and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
                   for worker in self.workers)

    @property
    def main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("no main screen")

    def on_mount(self) -> None:
        self.set_interval(1, self._tick, name="countdown")
        self.theme_changed_signal.subscribe(self, self._theme_picked)

    def _theme_picked(self, _theme: object) -> None:
        """A theme chosen anywhere (the palette's "Change theme" too) is saved."""
        if self.theme != self.service.current_settings.theme:
            self._save_theme(self.theme)

    @work(thread=True, exclusive=True, group="save-theme", exit_on_error=False)
    def _save_theme(self, theme: str) -> None:
        saved = session_jobs.save_settings(self.service, {"theme": theme})
        if saved.error:
            self.call_from_thread(self.notify, f"the theme wasn't saved: {saved.error}",
                                  severity="error", markup=False)

    def _tick(self) -> None:
        """The one timer: every screen that shows time reads the same clock."""
        now = self.service.clock()
        for screen in list(self.screen_stack):
            tick = getattr(screen, "clock_tick", None)
            # (a screen just pushed has no widgets until it is composed and mounted)
            if tick is not None and screen.is_mounted:
                tick(now)

    def code_needed(self, name: str, text: str) -> None:
        """A session needs a typed code: the bell, a desktop notification, or both, as
        the `code_alert` setting says."""
        how = self.service.current_settings.code_alert
        if how in ("bell", "both"):
            self.bell()
        if how in ("desktop", "both"):
            self._desktop_notice(f"{name} needs an MFA code", text)

    @work(thread=True, group="desktop-notice", exit_on_error=False)
    def _desktop_notice(self, title: str, body: str) -> None:
        """notify-send when there is one, else the terminal's OSC 777 / OSC 9."""
        env = desktop_notice.environment()
        argv = desktop_notice.notify_send_argv(title, body, env)
        if argv is not None and desktop_notice.send(argv):
            return
        if not self.is_headless and self._driver is not None:
            sequence = desktop_notice.terminal_escape(title, body, env)
            self.call_from_thread(self._driver.write, sequence)

    def set_terminal_title(self, text: str) -> None:
        """The terminal's (and tmux's) window title, via the OSC 2 escape."""
        clean = "".join(ch for ch in text if ch.isprintable())[:120]
        if clean == self._title_shown:
            return
        self._title_shown = clean
        if not self.is_headless and self._driver is not None:
            self._driver.write(f"\x1b]2;{clean}\x07")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in HIDDEN_SYSTEM_COMMANDS:
                yield command

    def help_sections(self) -> list[tuple[str, list[BindingType]]]:
        return [
            ("Profiles", [*ProfileTable.BINDINGS, *MainScreen.BINDINGS]),
            ("Everywhere", [
                *self.BINDINGS,
                Binding("ctrl+q", "", "Quit, also while typing in a dialog"),
                Binding("escape", "", "Close a dialog (cancels a code entry)"),
                Binding("ctrl+p", "", "Command palette: refresh X, rotate X, details X, theme"),
            ]),
        ]

    def action_help(self) -> None:
        from tui.app.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections()))

    def _store_notice(self, text: str) -> None:
        """Called in a worker thread: post, never touch the screen."""
        self.post_message(session_jobs.StoreNotice(text))

    def on_store_notice(self, message: session_jobs.StoreNotice) -> None:
        from tui.engine.credentials_lock import GIVE_UP_HINT

        self.notify(message.text.removesuffix(GIVE_UP_HINT), severity="warning", timeout=15,
                    markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that raised (not an AwsMfaError, which jobs turn into messages)."""
        if event.state is not WorkerState.ERROR:
            return
        worker = event.worker
        error = worker.error
        line = f"{type(error).__name__}: {' '.join(str(error).split())}"[:200]
        self.notify(f"unexpected error ({worker.name}): {line}", severity="error", timeout=10,
                    markup=False)
        try:
            self.main_screen.worker_failed(worker)
        except LookupError:
            pass
