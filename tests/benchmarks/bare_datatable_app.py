"""The yardstick for the TUI's first paint: a bare Textual app with one DataTable showing
the same profile names (read from the same credentials file), exiting after its first
paint (with `--stay` it keeps running: the idle floor of a Textual process). With
BENCH_PAINTED set, it writes there the `time.monotonic()` of that first paint.
`python tests/benchmarks/bare_datatable_app.py CREDENTIALS_FILE [--stay]`"""

from __future__ import annotations

import configparser
import os
import sys
import time

from textual.app import App, ComposeResult
from textual.widgets import DataTable


class BareDataTableApp(App[None]):
    def __init__(self, credentials: str, stay: bool = False) -> None:
        super().__init__()
        self.credentials = credentials
        self.stay = stay

    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        parser = configparser.RawConfigParser()
        parser.read(self.credentials)
        table = self.query_one(DataTable)
        table.add_column("Profile", key="profile")
        for name in parser.sections():
            table.add_row(name, key=name)
        if not self.stay:
            self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        if "BENCH_PAINTED" in os.environ:
            with open(os.environ["BENCH_PAINTED"], "w") as painted:
                painted.write(repr(time.monotonic()))
        self.exit()


if __name__ == "__main__":
    BareDataTableApp(sys.argv[1], stay="--stay" in sys.argv[2:]).run()
