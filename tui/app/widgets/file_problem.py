"""Why the files can't be read (a broken line and its fix), kept on screen above the
summary until they parse again: a toast fades, and an empty table would otherwise read
"no identity profiles yet"."""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual.widgets import Static


class FileProblem(Static):
    DEFAULT_CSS = """
    FileProblem {
        display: none; height: auto; max-height: 4; padding: 0 1;
        background: $error 25%; color: $text;
    }
    FileProblem.-shown { display: block; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.problem: str | None = None

    def show_problem(self, problem: str | None, kept_rows: bool) -> None:
        """`problem`: the file's error, or None once it parses. `kept_rows`: the table
        still shows what was read before."""
        if problem == self.problem:
            return
        self.problem = problem
        self.set_class(problem is not None, "-shown")
        if problem is None:
            self.update("")
            return
        text = Text()
        text.append("Can't read the files: ", style="bold")
        home = str(Path.home()) + os.sep  # `~/.aws/credentials`: it fits a narrow pane
        text.append(problem.replace(home, "~" + os.sep) if len(home) > 1 else problem)
        if kept_rows:
            text.append(" (the table shows what was read before, until the file parses)",
                        style="italic")
        self.update(text)
