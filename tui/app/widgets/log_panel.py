"""The event log: one timestamped line per thing that happened. Never a secret: lines are
profile names and the engine's one-line messages, which carry none."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import RichLog

from tui.app.widgets.profile_columns import theme_colours

MAX_LINES = 500


class LogPanel(RichLog):
    DEFAULT_CSS = """
    LogPanel {
        height: 8;
        border-top: solid $panel-lighten-2;
        background: $surface;
        display: none;
    }
    LogPanel.-shown { display: block; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_lines=MAX_LINES, wrap=True, markup=False, highlight=False,
                         **kwargs)  # type: ignore[arg-type]
        self.lines_written: list[str] = []

    def add(self, moment: datetime, message: str, level: str = "info") -> None:
        stamp = moment.astimezone().strftime("%H:%M:%S")
        line = Text(f"{stamp} ", style="dim")
        colours = theme_colours(self.app.theme_variables)
        style = {"error": f"bold {colours['error']}", "warning": colours["warning"]}.get(
            level, "").strip()
        line.append(" ".join(message.split()), style=style)
        self.lines_written.append(line.plain)
        del self.lines_written[:-MAX_LINES]
        self.write(line)
        # Hidden (display: none), a RichLog never learns its size and queues every write
        # in `_deferred_renders` with no limit: keep only what max_lines would keep.
        deferred = getattr(self, "_deferred_renders", None)
        while deferred is not None and len(deferred) > MAX_LINES:
            deferred.popleft()

    def toggle(self) -> bool:
        self.set_class(not self.has_class("-shown"), "-shown")
        return self.has_class("-shown")
