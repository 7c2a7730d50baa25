"""The event log: one timestamped line per thing that happened. Never a secret: lines are
profile names and the engine's one-line messages, which carry none.

Hidden until `g` shows it, so its `RichLog` (which imports `rich.pretty` and `attr`, ~11 ms
of the first paint) is imported and mounted only when first shown. Until then the lines
wait here, at most `MAX_LINES` of them (a hidden `RichLog` never learns its size and would
queue every write in `_deferred_renders`, unbounded).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
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
        self._rich_log: RichLog | None = None

    def add(self, moment: datetime, message: str, level: str = "info") -> None:
        stamp = moment.astimezone().strftime("%H:%M:%S")
        line = Text(f"{stamp} ", style="dim")
        colours = theme_colours(self.app.theme_variables)
        style = {"error": f"bold {colours['error']}", "warning": colours["warning"]}.get(
            level, "").strip()
        line.append(" ".join(message.split()), style=style)
        self.lines_written.append(line.plain)
        del self.lines_written[:-MAX_LINES]
        if self._rich_log is None:
            self.pending.append(line)
        else:
            self._rich_log.write(line)

    def toggle(self) -> bool:
        shown = not self.has_class("-shown")
        self.set_class(shown, "-shown")
        if shown and self._rich_log is None:
            from textual.widgets import RichLog

            self._rich_log = RichLog(max_lines=MAX_LINES, wrap=True, markup=False,
                                     highlight=False)
            self.mount(self._rich_log)
            for line in self.pending:
                self._rich_log.write(line)
            self.pending.clear()
        return shown
