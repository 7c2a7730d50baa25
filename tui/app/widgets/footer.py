"""Textual's `Footer`, without the leak of its recompose, drawn in the first frame.

Each `FooterKey` is `data_bind(compact=Footer.compact)`: the binding's watcher is stored on
the footer and pruned only when `compact` changes, which it never does here. The footer
recomposes whenever the bindings change (a screen, a focus, a toast), so every old key,
with its styles and cached lines, stayed alive for the life of the app
(Textualize/textual#6666). After each recompose, the watchers of closed keys are dropped.

Textual composes the keys after the refresh that follows each "bindings changed" signal:
the first frame had no keys, and a second layout drew them. Here the first keys are
composed at once (before the first frame), and a signal that leaves the keys as they are
changes nothing (the screen focuses its table twice at start). Each key is born with the
`-compact` class its binding would give it at mount: set there, it restyled every key a
second time.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen


class AppFooter(Footer):
    #: What the shown keys were composed from; None until they are first asked for.
    _shown: tuple[Hashable, ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)  # (Textual's way: nothing, or later)
            return
        self._bindings_ready = True
        if self._shown is None:
            self._shown = ()
            self.call_next(self.recompose)
        elif _shown_keys(screen) != self._shown:
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = _shown_keys(self.screen)
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    async def recompose(self) -> None:
        await super().recompose()
        watchers = getattr(self, "__watchers", None)  # Textual's name for them (reactive.py)
        if not watchers:
            return
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries
                          if not (node._closing or node._closed)]


def _shown_keys(screen: Screen) -> tuple[Hashable, ...]:
    """Everything of the bindings that `Footer.compose` shows, in its order."""
    return tuple((binding.key, binding.action, binding.description, binding.key_display,
                  binding.tooltip, id(binding.group), enabled, tooltip)
                 for _node, binding, enabled, tooltip in screen.active_bindings.values()
                 if binding.show)
