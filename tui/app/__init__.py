"""The Textual UI. It calls the engine only from thread workers."""

from __future__ import annotations

import sys


def run_app(service, demo: bool = False) -> int:  # replaced when the TUI lands
    print("aws-mfa-tui: the terminal UI is not built yet", file=sys.stderr)
    return 2
