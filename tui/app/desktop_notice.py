"""A desktop notification that a code is needed, beside (or instead of) the bell.

`notify-send` when it is on PATH and there is a desktop session; else the terminal's own
notification escape: OSC 777 (foot, rxvt, VTE terminals, Ghostty, WezTerm), OSC 9
(iTerm2, Windows Terminal, ConEmu, kitty, WezTerm). Inside tmux the escape is passed
through to the outer terminal. Only profile names travel, never a secret; notify-send
gets them as arguments, which other local users could read in /proc: names only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping

APP_NAME = "aws-mfa-tui"


def _clean(text: str) -> str:
    """No control characters (they would end the escape) and no `;` (its separator)."""
    return "".join(ch for ch in text if ch.isprintable()).replace(";", ",")[:200]


def terminal_escape(title: str, body: str, env: Mapping[str, str]) -> str:
    """The notification escape this terminal understands."""
    term = env.get("TERM", "")
    program = env.get("TERM_PROGRAM", "")
    osc777 = (env.get("VTE_VERSION") or "foot" in term or "rxvt" in term
              or program in ("ghostty", "WezTerm") or "ghostty" in term)
    if osc777:
        sequence = f"\x1b]777;notify;{_clean(title)};{_clean(body)}\x1b\\"
    else:
        sequence = f"\x1b]9;{_clean(title)}: {_clean(body)}\x1b\\"
    if env.get("TMUX"):
        # tmux passes a DCS-wrapped sequence on (with allow-passthrough on); ESCs doubled
        sequence = "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence


def notify_send_argv(title: str, body: str, env: Mapping[str, str]) -> list[str] | None:
    """The notify-send call, when there is one and a desktop session to show it."""
    program = shutil.which("notify-send", path=env.get("PATH"))
    if program is None or not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
                               or env.get("DBUS_SESSION_BUS_ADDRESS")):
        return None
    return [program, "--app-name", APP_NAME, _clean(title), _clean(body)]


def send(argv: list[str]) -> bool:
    """Run notify-send (in a worker: it may wait on D-Bus). True when it said yes."""
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def environment() -> Mapping[str, str]:
    return os.environ
