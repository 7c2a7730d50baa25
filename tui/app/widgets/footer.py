"""Textual's `Footer`, without the leak of its recompose.

Each `FooterKey` is `data_bind(compact=Footer.compact)`: the binding's watcher is stored on
the footer and pruned only when `compact` changes, which it never does here. The footer
recomposes whenever the bindings change (a screen, a focus, a toast), so every old key,
with its styles and cached lines, stayed alive for the life of the app
(Textualize/textual#6666). After each recompose, the watchers of closed keys are dropped.

Each key is born with the `-compact` class its binding would give it at mount: set there,
it restyled every key a second time (three style applications each, ~7 ms at start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.app import ComposeResult


class AppFooter(Footer):
    def compose(self) -> ComposeResult:
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
