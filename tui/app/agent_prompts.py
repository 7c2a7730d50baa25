"""The open TUI as the machine's agent: it serves sessions to this user's programs, and a
program whose session needs a code gets the TUI's code dialog, naming who asks.

`TuiAgent` is the front end the engine's agent (`tui.engine.agent.server`) talks to from
its threads: it moves each call onto the app's loop. `AgentCodeModal` is the usual code
dialog, titled "terraform (pid 4121) needs work", that hands the code typed to the
waiting programs' one renewal instead of running a refresh of its own; it closes by
itself when no program waits any more. The log panel records each program served
(program, pid, profile; never a secret).

For an IDE that stays open, the TUI can also serve a profile on a credentials endpoint (the
palette's "Serve X on an endpoint"): the two variables go into a 0600 file in the runtime
folder, and the log says which file to source; the token never shows on screen."""

from __future__ import annotations

import contextlib
import os
import re
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.widgets import Static

from tui.app.screens.mfa_code_modal import MfaCodeModal
from tui.engine.agent.code_prompts import CodePrompt
from tui.engine.secret import Secret

if TYPE_CHECKING:
    from tui.app.screens.main import MainScreen
    from tui.engine.agent.credentials_endpoint import CredentialsEndpoint
    from tui.engine.agent.server import AgentServer
    from tui.engine.profiles.status import StatusRow
    from tui.engine.sessions.service import SessionService


class AgentHost(Protocol):
    """What the agent's front end asks of the app (`AwsMfaApp`): its service and main screen,
    a way onto its loop, the code alert, and a screen pushed. Named here so this module needs
    no import of the app, which imports it."""

    service: SessionService

    @property
    def main_screen(self) -> MainScreen: ...

    def call_from_thread(self, callback: Any, *args: Any, **kwargs: Any) -> Any: ...

    def code_needed(self, name: str, text: str) -> None: ...

    def push_screen(self, screen: Any, callback: Any = None) -> Any: ...


class AgentCodeModal(MfaCodeModal):
    """The code dialog for programs that wait on the agent."""

    def __init__(self, prompt: CodePrompt, row: StatusRow, app: AgentHost) -> None:
        super().__init__(app.service, row, app.service.clock())
        self.prompt = prompt
        self.outcome = f"no code entered for {prompt.who()}"

    def title_text(self) -> str:
        return f"{self.prompt.who()} needs {self.row.name}"

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#title", Static).update(self.title_text())

    def clock_tick(self, now) -> None:  # (now: datetime)
        super().clock_tick(now)
        self.query_one("#title", Static).update(self.title_text())  # who waits, as it is

    def check_code(self, code: Secret | None) -> None:  # type: ignore[override]
        """The code goes to the renewal the programs wait on; it is not used here."""
        self.prompt.answer(code)
        self.outcome = f"code handed to {self.prompt.who()}"
        self.closed = True
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.prompt.answer(None)
        super().action_cancel()

    def withdrawn(self) -> None:
        if not self.closed:
            self.outcome = "withdrawn: no program waits for it any more"
            self.closed = True
            self.dismiss(None)


class TuiAgent:
    """The engine's agent, with the TUI as its code dialog and log."""

    def __init__(self, app: AgentHost) -> None:
        self.app = app
        self.server: AgentServer | None = None
        self._modals: dict[int, AgentCodeModal] = {}
        #: profile -> its endpoint and the file with its two variables.
        self.endpoints: dict[str, tuple[CredentialsEndpoint, Path]] = {}

    def start(self) -> str:
        """Serve (from a worker thread); what to log about it."""
        from tui.engine.agent.server import AgentRunning, agent_for
        from tui.engine.errors import AwsMfaError

        try:
            self.server = agent_for(self.app.service, log=self.log, asker=self).start()
        except AgentRunning:
            return "agent: another aws-mfa-tui serves this user's programs; this one doesn't"
        except (OSError, AwsMfaError) as exc:
            return f"agent: not serving ({getattr(exc, 'strerror', None) or exc})"
        return f"agent: serving this user's programs at {self.server.path}"

    def stop(self) -> None:
        for endpoint, exports in self.endpoints.values():
            endpoint.stop()
            with contextlib.suppress(OSError):
                exports.unlink()
        self.endpoints.clear()
        if self.server is not None:
            self.server.stop()
            self.server = None

    def serve_endpoint(self, profile: str) -> str:
        """Serve `profile` on a credentials endpoint until the TUI quits (from a worker
        thread); what to log about it."""
        from tui.engine.agent.credentials_endpoint import CredentialsEndpoint
        from tui.engine.agent.session_supply import Requester

        server = self.server
        if server is None or server.path is None:
            return "agent: not serving, so no endpoint either"
        if profile in self.endpoints:
            return f"agent: {profile} is served already; in a shell: . {self.endpoints[profile][1]}"
        endpoint = CredentialsEndpoint(
            server, profile, lambda: Requester(f"the endpoint for {profile}")).start()
        exports = server.path.parent / f"endpoint-{re.sub(r'[^A-Za-z0-9._-]', '_', profile)}.env"
        lines = "".join(f"export {name}={value}\n"
                        for name, value in endpoint.environment().items())
        fd = os.open(exports, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(lines)
        self.endpoints[profile] = (endpoint, exports)
        return (f"agent: {profile} served at {endpoint.url} until the TUI quits; "
                f"in a shell or an IDE's environment: . {exports}")

    # ------------------------------------------------------------ from agent threads
    def log(self, text: str) -> None:
        self._on_loop(self._note, text)

    def show(self, prompt: CodePrompt) -> None:
        self._on_loop(self._open, prompt)

    def withdraw(self, prompt: CodePrompt) -> None:
        self._on_loop(self._close, prompt)

    def _on_loop(self, callback, *args) -> None:
        with contextlib.suppress(RuntimeError):  # the app is closing: nobody to tell
            self.app.call_from_thread(callback, *args)

    # ------------------------------------------------------------ on the app's loop
    def _note(self, text: str) -> None:
        with contextlib.suppress(LookupError):
            self.app.main_screen.note(text)

    def _open(self, prompt: CodePrompt) -> None:
        screen = self.app.main_screen
        row = screen.row_named(prompt.identity)
        if row is None:
            prompt.answer(None)
            return
        modal = AgentCodeModal(prompt, row, self.app)
        self._modals[id(prompt)] = modal
        text = f"{prompt.who()} needs a new MFA code for {row.name}"
        self.app.code_needed(row.name, text)
        screen.note(text, level="warning")

        def closed(_result: object) -> None:
            self._modals.pop(id(prompt), None)
            screen.note(f"{row.name}: {modal.outcome}")

        self.app.push_screen(modal, closed)

    def _close(self, prompt: CodePrompt) -> None:
        modal = self._modals.get(id(prompt))
        if modal is not None:
            modal.withdrawn()


class EndpointCommands(Provider):
    """The palette's "Serve X on an endpoint", for each identity and role."""

    def _commands(self) -> list[tuple[str, object]]:
        if getattr(self.app, "agent", None) is None:
            return []
        with contextlib.suppress(LookupError):
            rows = self.app.main_screen.rows  # type: ignore[attr-defined]
            serve = self.app.serve_on_endpoint  # type: ignore[attr-defined]
            return [(f"Serve {row.name} on an endpoint", partial(serve, row.name))
                    for row in rows]
        return []

    async def discover(self) -> Hits:
        for title, callback in self._commands():
            yield DiscoveryHit(Content(title), callback, text=title,  # type: ignore[arg-type]
                               help="for an IDE: a loopback URL and a token")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback in self._commands():
            score, offsets = matcher.fuzzy_search.match(matcher.query, title)
            if score > 0:
                shown = Content(title)  # a profile name is plain text, never markup
                for offset in offsets:
                    if not title[offset].isspace():
                        shown = shown.stylize(matcher.match_style, offset, offset + 1)
                yield Hit(score, shown, callback,  # type: ignore[arg-type]
                          text=title, help="for an IDE: a loopback URL and a token")
