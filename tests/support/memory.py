"""This process's resident size, for the memory tests and the memory benchmark."""

from __future__ import annotations

import os
from pathlib import Path

MIB = 1024 * 1024


def rss_bytes() -> int:
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")
