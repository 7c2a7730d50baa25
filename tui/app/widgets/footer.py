"""Textual's `Footer`, without the leak of its recompose.

Each `FooterKey` is `data_bind(compact=Footer.compact)`: the binding's watcher is stored on
the footer and pruned only when `compact` changes, which it never does here. The footer
recomposes whenever the bindings change (a screen, a focus, a toast), so every old key,
with its styles and cached lines, stayed alive for the life of the app
(Textualize/textual#6666). After each recompose, the watchers of closed keys are dropped.
"""

from __future__ import annotations

from textual.widgets import Footer


class AppFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        watchers = getattr(self, "__watchers", None)  # Textual's name for them (reactive.py)
        if not watchers:
            return
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries
                          if not (node._closing or node._closed)]
