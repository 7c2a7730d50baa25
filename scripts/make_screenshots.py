"""Regenerate screenshots/*.svg: the real app in demo state, driven with Pilot.

    .venv/bin/python scripts/make_screenshots.py [--out screenshots]

The demo (an in-process AWS emulator and throwaway files, see `tui/demo.py`) is seeded
relative to one fixed moment, and the app's clock is pinned to that moment, so the
countdowns in the pictures are the demo's intended ones. Nothing here touches ~/.aws.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from textual.pilot import Pilot
from textual.widgets import Input

from tui.app.app import AwsMfaApp
from tui.demo import start_demo
from tui.engine.mfa.codes import UsedCodes
from tui.engine.sessions.service import SessionService

SIZE = (100, 30)
# The demo's sessions are placed relative to this moment (the clock stays on it).
MOMENT = datetime.now(UTC).replace(microsecond=0)

Steps = Callable[[Pilot], Awaitable[None]]


async def settle(pilot: Pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


async def main_screen(pilot: Pilot) -> None:
    await pilot.press("j", "j")


async def main_screen_light(pilot: Pilot) -> None:
    pilot.app.theme = "textual-light"
    await pilot.press("j", "j", "g")


async def mfa_modal(pilot: Pilot) -> None:
    await pilot.press("j", "j", "r", "4", "2")


async def details(pilot: Pilot) -> None:
    await pilot.press("j", "j", "j", "j", "enter")  # personal: IAM signs with its keys


async def settings(pilot: Pilot) -> None:
    await pilot.press("s")


async def help_screen(pilot: Pilot) -> None:
    await pilot.press("question_mark")


SHOTS: dict[str, tuple[Steps, tuple[int, int]]] = {
    "main": (main_screen, SIZE),
    "main-60x20": (main_screen, (60, 20)),
    "main-80x24": (main_screen, (80, 24)),
    "main-200x60": (main_screen, (200, 60)),
    "main-light-with-log": (main_screen_light, SIZE),
    "mfa-code": (mfa_modal, SIZE),
    "details": (details, SIZE),
    "settings": (settings, SIZE),
    "help": (help_screen, SIZE),
}


async def shoot(name: str, steps: Steps, size: tuple[int, int], out: Path) -> Path:
    demo = start_demo(now=MOMENT)
    try:
        service = SessionService(demo.paths, clock=lambda: MOMENT, used_codes=UsedCodes())
        app = AwsMfaApp(service, demo=True)
        async with app.run_test(size=size, notifications=True) as pilot:
            await settle(pilot)
            await steps(pilot)
            await settle(pilot)
            path = out / f"{name}.svg"
            app.save_screenshot(filename=path.name, path=str(out))
        text = path.read_text()
        secrets = [line.split("=", 1)[1].strip()
                   for line in demo.paths.credentials.read_text().splitlines()
                   if line.startswith(("aws_secret_access_key", "aws_session_token"))]
        leaked = [s for s in secrets if s and s in text]
        if leaked:
            path.unlink()
            raise SystemExit(f"{name}: a secret appeared on screen; screenshot removed")
        return path
    finally:
        demo.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] /
                                              "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, (steps, size) in SHOTS.items():
        path = asyncio.run(shoot(name, steps, size, out))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
