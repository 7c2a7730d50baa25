"""The first frame the app sends to the terminal already shows the rows.

The first status is read by a thread started with the main screen, and the mounted screen
waits for it (at most `FIRST_STATUS_WAIT`), so the first frame is not an empty table
followed, a frame later, by the rows. The frame is taken where Textual hands it to the
driver (`App._display`, the one place every frame goes through; headless, it is not
written anywhere), rendered to the terminal's text and read as a person would.
"""

from __future__ import annotations

import re
from datetime import timedelta

from rich.console import RenderableType

# Private: a full frame is told from a partial update only by the type Textual hands
# `App._display`; no public hook sees the first frame's text.
from textual._compositor import CompositorUpdate
from textual.screen import Screen

# Private: what the footer fix (textual#6666) patches.
from textual.widgets._footer import FooterKey

from tests.support.app import SIZE, START, add_session, make_service
from tui.app.app import AwsMfaApp
from tui.app.screens.main import MainScreen

NAMES = ("alpha-team", "bravo-team", "charlie-team")
#: A cursor move starts each line of a frame; the other sequences (colours) are dropped.
MOVE = re.compile(r"\x1b\[\d+;\d+H")
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class FirstFrameApp(AwsMfaApp):
    """The app, keeping the text of the first frame drawn of its main screen."""

    first_frame: str | None = None

    def _display(self, screen: Screen, renderable: RenderableType | None) -> None:
        if (self.first_frame is None and isinstance(screen, MainScreen)
                and isinstance(renderable, CompositorUpdate)):
            text = renderable.render_segments(self.console)
            self.first_frame = ESCAPE.sub("", MOVE.sub("\n", text))
        super()._display(screen, renderable)


async def test_first_frame_has_the_rows_header_summary_and_footer_keys(sandbox_home, clock):
    sandbox_home.aws_dir.mkdir(mode=0o700, exist_ok=True)
    with open(sandbox_home.credentials, "a") as handle:
        for index, name in enumerate(NAMES):
            handle.write(f"[{name}]\naws_access_key_id = AKIA{index:016d}\n"
                         f"aws_secret_access_key = LONGTERM{index:016d}\n\n")
    add_session(sandbox_home.credentials, "alpha-team-mfa", START + timedelta(hours=8))
    app = FirstFrameApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        frame = app.first_frame
        assert frame is not None
        for name in NAMES:
            assert name in frame, f"{name} missing from the first frame:\n{frame}"
        assert "8:00:00" in frame  # alpha-team's session, on the fixed clock
        assert "aws-mfa-tui" in frame  # the header
        assert "alpha-team → [alpha-team-mfa]" in frame  # the summary of the highlighted row
        assert "No identity profiles yet" not in frame
        assert "Quit" in frame and "Details" in frame  # the footer, with the table's keys


async def test_footer_keeps_its_keys_while_the_bindings_stay_the_same(sandbox_home, clock):
    """The screen says "bindings changed" on every focus (twice at start) and screen
    switch: the footer is rebuilt only when what it shows changes."""
    add_session(sandbox_home.credentials, "alpha-team-mfa", START + timedelta(hours=8))
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        keys = list(app.screen.query(FooterKey))
        assert [key.description for key in keys][:2] == ["Quit", "Help"]
        app.screen.refresh_bindings()
        await pilot.press("question_mark")  # the help screen, then back
        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert list(app.screen.query(FooterKey)) == keys
