"""The app: one main screen, one 1-second clock, the palette and the keys that work
everywhere. The session service's clock is the only clock, so tests can fix it."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.app import desktop_notice, engine_calls, messages, textual_fixes
from tui.app.screens.main import MainScreen
from tui.app.widgets.profile_table import ProfileTable
from tui.engine import patched_internals
from tui.engine.errors import AwsMfaError
from tui.engine.free_memory import FreeMemoryTimer
from tui.engine.sessions.service import SessionService

if TYPE_CHECKING:
    from textual.command import Provider

    from tui.app.agent_prompts import TuiAgent
    from tui.demo import Demo

#: Seconds within which a second quit leaves even during a key rotation.
QUIT_AGAIN_WITHIN = 5.0
#: The demo's title once its emulator is up.
DEMO_READY_WORDS = "demo: any 6-digit code works"
#: Palette commands we never offer: Screenshot writes the screen to a file on disk.
HIDDEN_SYSTEM_COMMANDS = {"Screenshot"}
#: Seconds after the start at which `run_app` has the garbage collector turned back on:
#: the first frame is drawn by then.
GC_PAUSE = 1.0


def profile_commands() -> type[Provider]:
    """The palette's per-profile commands, imported when the palette first opens."""
    from tui.app.profile_commands import ProfileCommands

    return ProfileCommands


def endpoint_commands() -> type[Provider]:
    """The palette's "Serve X on an endpoint" (imported when the palette first opens)."""
    from tui.app.agent_prompts import EndpointCommands

    return EndpointCommands


class AwsMfaApp(App[int]):
    TITLE = "aws-mfa-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    COMMANDS = App.COMMANDS | {profile_commands, endpoint_commands}
    ENABLE_COMMAND_PALETTE = True
    #: Turn the cyclic garbage collector on `GC_PAUSE` s after the start (`run_app`).
    resume_gc = False
    #: Serve this user's programs as their agent (`run_app`; tests that want it).
    serve_agent = False

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Quit at once"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="List every key"),
        # Textual's own palette key, shown (Textual adds it hidden unless one is given).
        Binding("ctrl+p", "command_palette", "Palette", id="app.palette", priority=True,
                tooltip="Command palette: refresh X, rotate X, details X, theme"),
    ]

    def __init__(self, service: SessionService, demo: bool | Demo = False) -> None:
        """`demo`: True for a demo whose emulator already runs; a `Demo` not yet started
        has its emulator started in a worker once the rows are first painted."""
        textual_fixes.apply()
        super().__init__()
        self.service = service
        self.demo = demo
        #: What the title says about the demo ("" outside one).
        self.demo_words = DEMO_READY_WORDS if demo else ""
        self._emulator: Demo | None = None
        self._emulator_asked = False
        self._agent_asked = False
        #: The agent's front end, made with the first rows (`_rows_loaded`) when serving.
        self.agent: TuiAgent | None = None
        if demo is not True and demo and not demo.ready.is_set():
            self._emulator = demo
            self.demo_words = _starting_words()
        self._title_shown = ""
        self._quit_warned_at = float("-inf")
        #: Every 10 minutes the C heap's free pages go back to the system (all day, the
        #: resident size would creep with nothing live behind it).
        self._free_memory = FreeMemoryTimer(service.clock())
        # What the store says from a worker (a busy lock, a mode it tightened) becomes a
        # message, then a toast: printed to stderr it would tear the screen.
        service.store.notice = self._store_notice
        # A patch of Textual's or botocore's internals that turned itself off says so
        # once (`patched_internals`), here as a warning too.
        patched_internals.listen(self._store_notice)
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
        self.set_interval(1, self.clock_tick, name="countdown")
        if self.resume_gc:
            self.set_timer(GC_PAUSE, gc.enable, name="resume-gc")
        self.theme_changed_signal.subscribe(self, self._theme_picked)

    def _serve_as_agent(self) -> None:
        """Become this user's agent (once, after the first rows are drawn: its code dialog
        and server are imported only now)."""
        from tui.app.agent_prompts import TuiAgent

        self.agent = TuiAgent(self)
        self._start_agent(self.agent)

    @work(thread=True, group="agent", exit_on_error=False,
          description="start serving as the agent")
    def _start_agent(self, agent: TuiAgent) -> None:
        agent.log(agent.start())

    @work(thread=True, group="agent", exit_on_error=False,
          description="serve a profile on a credentials endpoint")
    def serve_on_endpoint(self, profile: str) -> None:
        """The palette's "Serve X on an endpoint" (`agent_prompts.EndpointCommands`, which
        offers it only once the agent is made)."""
        if self.agent is not None:
            self.agent.log(self.agent.serve_endpoint(profile))

    def on_unmount(self) -> None:
        if self.agent is not None:
            self.agent.stop()

    # ------------------------------------------------------------------ the demo
    @property
    def emulator_starting(self) -> bool:
        """The demo's emulator is still starting: the rows and the title say so."""
        return self._emulator is not None and not self._emulator.ready.is_set()

    @on(messages.StatusLoaded)
    def _rows_loaded(self) -> None:
        """(Bubbled up from the main screen, after it showed the rows.) The first time, the
        agent starts serving, and a demo starts its emulator, once that paint is on the
        terminal: a thread importing them (the agent's server and json, moto for seconds)
        would hold the first paint back. Until then a program asking the agent finds none,
        and reads the file as it would without one."""
        if self.serve_agent and not self._agent_asked:
            self._agent_asked = True
            self.call_after_refresh(self._serve_as_agent)
        if self._emulator is not None and not self._emulator_asked:
            self._emulator_asked = True
            self.call_after_refresh(self._start_emulator)

    @work(thread=True, exclusive=True, group="demo-emulator", exit_on_error=False,
          description="start the demo's emulator")
    def _start_emulator(self) -> None:
        assert self._emulator is not None
        error = None
        try:
            self._emulator.start_emulator()
        except AwsMfaError as exc:
            error = str(exc)
        except Exception as exc:  # a bug (ours or moto's): said in a line, not a traceback
            error = f"unexpected error ({type(exc).__name__})"
        if error is None and not self._emulator.ready.is_set():
            return  # the demo was stopped meanwhile: the app is quitting
        self.call_from_thread(self._emulator_started, error)

    def _emulator_started(self, error: str | None) -> None:
        screen = self.main_screen
        if error:
            self._emulator = None  # the rows stop saying "starting"; calls now fail at once
            self.demo_words = "the local AWS emulator didn't start"
            screen.note(f"the local AWS emulator didn't start: {error}", "error", toast=True)
        else:
            self.demo_words = DEMO_READY_WORDS
            screen.note("the local AWS emulator is up: any 6-digit MFA code works")
        screen.repaint()

    def _theme_picked(self, _theme: object) -> None:
        """A theme chosen anywhere (the palette's "Change theme" too) is saved."""
        if self.theme != self.service.current_settings.theme:
            self._save_theme(self.theme)

    @work(thread=True, exclusive=True, group="save-theme", exit_on_error=False,
          description="save the theme in settings")
    def _save_theme(self, theme: str) -> None:
        saved = engine_calls.save_settings(self.service, {"theme": theme})
        if saved.error:
            self.call_from_thread(self.notify, f"the theme wasn't saved: {saved.error}",
                                  severity="error", markup=False)

    def clock_tick(self) -> None:
        """The one timer (public: tests call it to move time on a painted screen): every
        screen that shows time reads the same clock. A screen
        whose widgets aren't all there is skipped this second: one pushed since the last
        tick and not yet composed (a code modal opened just before a tick ended the app),
        or one being torn down while the app quits."""
        now = self.service.clock()
        for screen in list(self.screen_stack):
            tick = getattr(screen, "clock_tick", None)
            if tick is None or not screen.is_mounted:
                continue
            try:
                tick(now)
            except NoMatches:
                continue
        self._free_memory.tick(now)

    def code_needed(self, name: str, text: str) -> None:
        """A session needs a typed code: the bell, a desktop notification, or both, as
        the `code_alert` setting says."""
        how = self.service.current_settings.code_alert
        if how in ("bell", "both"):
            self.bell()
        if how in ("desktop", "both"):
            self._desktop_notice(f"{name} needs an MFA code", text)

    @work(thread=True, group="desktop-notice", exit_on_error=False,
          description="a desktop notification")
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
        self.post_message(messages.StoreNotice(text))

    def on_store_notice(self, message: messages.StoreNotice) -> None:
        from tui.engine.credentials_file.lock import GIVE_UP_HINT

        self.notify(message.text.removesuffix(GIVE_UP_HINT), severity="warning", timeout=15,
                    markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.show_worker_error(event.worker)

    def show_worker_error(self, worker: Worker) -> None:
        """A worker that raised (not an AwsMfaError, which jobs turn into messages). Its
        `StateChanged` doesn't bubble: the app's, the main screen's and every dialog's
        handler send it here."""
        error = worker.error
        line = f"{type(error).__name__}: {' '.join(str(error).split())}"[:200]
        self.notify(f"unexpected error ({worker.name}): {line}", severity="error", timeout=10,
                    markup=False)


def _starting_words() -> str:
    from tui.demo import STARTING_WORDS

    return STARTING_WORDS
