"""Textual's `Footer`, without the leak of its recompose, drawn in the first frame.

Each `FooterKey` is `data_bind(compact=Footer.compact)`: the binding's watcher is stored on
the footer and pruned only when `compact` changes, which it never does here. The footer
recomposes whenever the bindings change (a screen, a focus, a toast), so every old key,
with its styles and cached lines, stayed alive for the life of the app
(Textualize/textual#6666, open in 8.2.8): 300 focus changes left 12,003 keys and +264 MiB
(11 keys and +7.4 MiB with this; tests/benchmarks/test_bench_workarounds.py). After each
recompose, the watchers of closed keys are dropped.

Textual composes the keys after the refresh that follows each "bindings changed" signal:
the first frame had no keys, and a second layout drew them (27 ms of the first paint
with 200 profiles, 308 ms against 335 ms). Here the first keys are
composed at once (before the first frame), and a signal that leaves the keys as they are
changes nothing (the screen focuses its table twice at start). Each key is born with the
`-compact` class its binding would give it at mount: set there, it restyled every key a
second time.

Where the keys don't fit on one line (a 60-column pane), they go on two or more, in
aligned columns, so no key is cut off: `columns_for` picks the fewest rows that fit.

All of this leans on Textual's internals (`Footer.bindings_changed`, `_bindings_ready`,
`FooterKey`, the `__watchers` store, `active_bindings` as 4-tuples): at first use each is
checked (`_fix_applies`), and with any of them missing the footer turns into Textual's own,
with one log line.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual import events
from textual.widgets import Footer

from tui.engine.patched_internals import is_off, missing, turn_off

try:
    from textual.widgets._footer import FooterKey
except ImportError:  # (moved: the fix is off, see `_fix_applies`)
    FooterKey = None  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.screen import Screen


FIX = "the footer fix (textual#6666)"
_checked = False


def _fix_applies() -> bool:
    """Whether what the fix leans on is there (checked once; off for good when not)."""
    global _checked
    if is_off(FIX):
        return False
    if _checked:
        return True
    gone = missing(Footer, "bindings_changed", "_bindings_ready", "compose", "recompose",
                   "call_next", "call_after_refresh")
    if FooterKey is None:
        gone = "textual.widgets._footer.FooterKey"
    if gone:
        turn_off(FIX, gone, "textual")
        return False
    _checked = True
    return True


class AppFooter(Footer):
    #: What the shown keys were composed from; None until they are first asked for.
    _shown: tuple[Hashable, ...] | None = None
    #: The width of each column the keys are laid out in; () for one line.
    _grid: tuple[int, ...] = ()

    def bindings_changed(self, screen: Screen) -> None:
        if not (_fix_applies() and screen.app.app_focus and self.is_attached
                and screen is self.screen):
            super().bindings_changed(screen)  # (Textual's way: nothing, or later)
            return
        self._bindings_ready = True
        if self._shown is None:
            self._shown = ()
            self.call_next(self.recompose)
        elif _shown_keys(screen) != self._shown:
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        if not _fix_applies():
            yield from super().compose()
            return
        if self._bindings_ready:
            self._shown = _shown_keys(self.screen)
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    async def recompose(self) -> None:
        await super().recompose()
        self._fit()
        if not _fix_applies():
            return
        watchers = getattr(self, "__watchers", None)  # Textual's name for them (reactive.py)
        if not watchers:
            if self.query(FooterKey):  # keys bound to `compact`, yet no store: renamed
                turn_off(FIX, "the `__watchers` store of textual.reactive", "textual")
            return
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries
                          if not (node._closing or node._closed)]

    def on_mount(self) -> None:
        self._fit()

    def on_resize(self, _event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """One line when the keys fit in the width, else as few rows as fit."""
        # Before the first layout the footer has no size yet: it spans the screen.
        width = self.size.width or self.app.size.width
        if not self.is_attached or not width or FooterKey is None:
            return
        widths = [key_cells(key) for key in self.query_children(FooterKey)]
        columns = columns_for(widths, width)
        # Set each time (a style set to its value changes nothing): Footer.compose sets
        # its own grid size on every recompose. Inline styles, not a class: a class change
        # matches the stylesheet again against every key (about 11 ms of the first paint).
        self._grid = columns
        styles = self.styles
        if columns:
            styles.layout = "grid"
            styles.grid_size_columns = len(columns)
            styles.grid_columns = " ".join(map(str, columns))
        elif styles.clear_rule("layout"):  # back to Footer's own (one line)
            self.refresh(layout=True)
        styles.height = -(-len(widths) // len(columns)) if columns else 1


def _shown_keys(screen: Screen) -> tuple[Hashable, ...]:
    """Everything of the bindings that `Footer.compose` shows, in its order (or, should
    `active_bindings` no longer be of that shape, the fix is off and a fresh key: the
    footer recomposes as Textual's does)."""
    try:
        return tuple((binding.key, binding.action, binding.description, binding.key_display,
                      binding.tooltip, id(binding.group), enabled, tooltip)
                     for _node, binding, enabled, tooltip in screen.active_bindings.values()
                     if binding.show)
    except (AttributeError, TypeError, ValueError):
        turn_off(FIX, "Screen.active_bindings as (node, binding, enabled, tooltip)",
                 "textual")
        return (object(),)


def key_cells(key: FooterKey) -> int:
    """Cells a compact key takes: its key, a space and its description, and the space
    after it."""
    text = key.key_display + (f" {key.description}" if key.description else "")
    return cell_len(text) + 1


def columns_for(widths: list[int], width: int) -> tuple[int, ...]:
    """The widths of the columns of the fewest rows of keys that fit `width` cells (the
    last column's trailing space may hang over the edge); () when one line fits."""
    if sum(widths) <= width + 1 or not widths:
        return ()
    for rows in range(2, len(widths) + 1):
        count = -(-len(widths) // rows)
        columns = tuple(max(widths[column::count]) for column in range(count))
        if sum(columns) <= width + 1:
            return columns
    return (max(widths),)
