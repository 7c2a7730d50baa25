"""Per-profile commands for the command palette (ctrl+p): refresh X, rotate X, details X.

Titles and help lines name profiles from the files, so they are built as `Content`
(plain text), never parsed as markup: `[work-mfa]` shows as typed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from tui.engine.profiles.status import ProfileKind

if TYPE_CHECKING:
    from tui.app.screens.main import MainScreen


class ProfileCommands(Provider):
    def _main(self) -> MainScreen | None:
        from tui.app.screens.main import MainScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        main = self._main()
        if main is None:
            return []
        commands: list[tuple[str, str, Callable[[], object]]] = []
        for row in main.rows:
            commands.append((f"Refresh {row.name}", f"get a new session into [{row.target}]",
                             partial(main.start_refresh, [row.name])))
            commands.append((f"Details of {row.name}", "device, key, key age, expiry, error",
                             partial(main.open_details, row.name)))
            if row.kind == ProfileKind.IDENTITY:
                commands.append((f"Rotate key of {row.name}",
                                 "replace the access key without losing it",
                                 partial(main.action_rotate_key, row.name)))
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(Content(title), callback, text=title, help=Content(help_text))  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score, offsets = matcher.fuzzy_search.match(matcher.query, title)
            if score > 0:
                shown = Content(title)
                for offset in offsets:
                    if not title[offset].isspace():
                        shown = shown.stylize(matcher.match_style, offset, offset + 1)
                yield Hit(score, shown, callback, text=title, help=Content(help_text))  # type: ignore[arg-type]
