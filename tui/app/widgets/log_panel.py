"""The event log: one timestamped line per thing that happened. Never a secret: lines are
profile names and the engine's one-line messages, which carry none.

Hidden until `g` shows it, so its `RichLog` (which imports `rich.pretty` and `attr`, ~11 ms
of the first paint) is imported and mounted only when first shown. Until then the lines
wait here, at most `MAX_LINES` of them (a hidden `RichLog` never learns its size and would
queue every write in `_deferred_renders`, unbounded).

A `RichLog` wraps each line once, when written, and at most at the width of the app's
console, which is the terminal's width at start. Here lines are written at the log's own
width, and written again when the panel's width changes (a log wrapped at 120 columns
kept that wrap at 200).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.widget import Widget

from tui.app.widgets.profile_columns import theme_colours

if TYPE_CHECKING:
    from textual.widgets import RichLog

MAX_LINES = 500


class LogPanel(Widget):
    DEFAULT_CSS = """
    LogPanel {
        height: 8;
        border-top: solid $panel-lighten-2;
        background: $surface;
        display: none;
    }
    LogPanel.-shown { display: block; }
    LogPanel > RichLog { height: 1fr; background: $surface; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lines_written: list[str] = []
        #: Lines written before the panel was first shown (then handed to the RichLog).
        self.pending: deque[Text] = deque(maxlen=MAX_LINES)
        #: Every line the log holds, to wrap them again when the width changes.
        self._kept: deque[Text] = deque(maxlen=MAX_LINES)
        self._rich_log: RichLog | None = None
        self._wrapped_at = 0

    def add(self, moment: datetime, message: str, level: str = "info") -> None:
        stamp = moment.astimezone().strftime("%H:%M:%S")
        line = Text(f"{stamp} ", style="dim")
        colours = theme_colours(self.app.theme_variables)
        style = {"error": f"bold {colours['error']}", "warning": colours["warning"]}.get(
            level, "").strip()
        line.append(" ".join(message.split()), style=style)
        self.lines_written.append(line.plain)
        del self.lines_written[:-MAX_LINES]
        self._kept.append(line)
        if self._rich_log is None:
            self.pending.append(line)
        else:
            self._write(self._rich_log, line)

    def toggle(self) -> bool:
        shown = not self.has_class("-shown")
        self.set_class(shown, "-shown")
        if shown and self._rich_log is None:
            from textual.widgets import RichLog

            self._rich_log = RichLog(max_lines=MAX_LINES, wrap=True, markup=False,
                                     highlight=False)
            self.mount(self._rich_log)
            for line in self.pending:
                self._write(self._rich_log, line)
            self.pending.clear()
            self._wrapped_at = self.size.width
        return shown

    def on_resize(self, event: events.Resize) -> None:
        if self._rich_log is not None and event.size.width != self._wrapped_at:
            self.call_after_refresh(self._wrap_again)

    def _wrap_again(self) -> None:
        """Write the kept lines again at the log's width now (once its size is known)."""
        log = self._rich_log
        if log is None or not self.display:
            return
        width = self.size.width
        if width == self._wrapped_at:
            return
        self._wrapped_at = width
        log.clear()
        for line in self._kept:
            self._write(log, line)

    @staticmethod
    def _write(log: RichLog, line: Text) -> None:
        """At the log's width once known, less its scrollbar, shown or not yet (else
        RichLog defers it until the width is known)."""
        width = log.content_region.width - log.styles.scrollbar_size_vertical
        log.write(line, width=width if width > 0 else None)
