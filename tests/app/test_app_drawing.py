"""What a tick draws: only the widgets that meet the changed cells, and the same cells as
Textual's own drawing (`textual_fixes` item 3, `ProfileTable.render_lines`)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from rich.ansi import AnsiDecoder
from rich.cells import cell_len
from rich.console import Console
from textual.geometry import Region
from textual.scroll_view import ScrollView
from textual.widget import Widget

from tests.support.app import SIZE, START, add_session, make_service, settle
from tui.app import textual_fixes
from tui.app.app import AwsMfaApp
from tui.app.widgets.profile_table import ProfileTable

ROWS = 50


def write_fresh(sandbox) -> None:
    """50 identities, each with a session that stays fresh for 10 hours: no toasts."""
    write_rows(sandbox, ROWS, lasting=timedelta(hours=10))


def write_rows(sandbox, identities: int, lasting: timedelta | None = None) -> None:
    """Identities with a session each (two rows per identity), lasting 20 minutes and
    a minute more for each further one, unless told."""
    sandbox.aws_dir.mkdir(mode=0o700, exist_ok=True)
    with open(sandbox.credentials, "w") as handle:
        for index in range(identities):
            handle.write(f"[p{index:03d}]\naws_access_key_id = AKIA{index:016d}\n"
                         f"aws_secret_access_key = LONGTERM{index:016d}\n\n")
    for index in range(identities):
        left = lasting if lasting is not None else timedelta(minutes=20 + index)
        add_session(sandbox.credentials, f"p{index:03d}-mfa",
                    START + left + timedelta(seconds=index))


def written(app: AwsMfaApp, regions: list[Region]) -> str:
    """What a partial update of `regions` writes to the terminal."""
    compositor = app.screen._compositor
    compositor._dirty_regions.clear()
    compositor._dirty_regions.update(regions)
    update = compositor.render_partial_update()
    assert update is not None
    console = Console(width=SIZE[0], color_system="truecolor", force_terminal=True,
                      legacy_windows=False)
    return update.render_segments(console)


async def test_a_tick_draws_only_the_table(sandbox_home, clock, bells, monkeypatch):
    write_fresh(sandbox_home)
    drawn: Counter[str] = Counter()
    render_lines = Widget.render_lines

    def counted(self, crop):
        drawn[type(self).__name__] += crop.height
        return render_lines(self, crop)

    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        own_render_lines = type(table).render_lines

        def table_counted(self, crop):
            drawn[type(self).__name__] += crop.height
            return own_render_lines(self, crop)

        monkeypatch.setattr(Widget, "render_lines", counted)
        monkeypatch.setattr(type(table), "render_lines", table_counted)
        for _ in range(3):
            await pilot.pause()
            drawn.clear()
            clock.advance(seconds=1)
            app.clock_tick()
            await pilot.pause()
            # The "Left" column of the rows on screen changed: the table draws those rows
            # and nothing else draws at all (Textual drew every widget on the screen, the
            # header, footer, summary, scrollbar and the screen behind, in full).
            assert drawn == {"ProfileTable": table.size.height - 1}


@pytest.mark.parametrize("where", ["left column", "header and table", "footer", "whole rows",
                                   "two corners", "the scrollbar"])
async def test_a_partial_update_writes_what_textual_writes(sandbox_home, clock, bells,
                                                           monkeypatch, where):
    write_fresh(sandbox_home)
    width, height = SIZE
    regions = {
        "left column": [Region(58, 2, 8, 25)],
        "header and table": [Region(0, 0, width, 1), Region(20, 3, 5, 2)],
        "footer": [Region(3, height - 1, 10, 1)],
        "whole rows": [Region(0, 5, width, 3)],
        "two corners": [Region(0, 0, 3, 1), Region(width - 3, height - 1, 3, 1)],
        "the scrollbar": [Region(width - 2, 1, 2, 20)],
    }[where]
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        ours = written(app, regions)
        monkeypatch.setattr(type(app.screen._compositor), "_get_renders",
                            textual_fixes._textual_get_renders)
        assert written(app, regions) == ours


async def test_the_tables_own_drawing_is_textuals(sandbox_home, clock, bells):
    write_fresh(sandbox_home)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        width, height = table.region.size
        crops = [Region(0, 0, width, height), Region(58, 1, 8, 20), Region(0, 3, 10, 1)]
        for focused in (True, False):
            if focused:
                table.focus()
            else:
                table.blur()
            await pilot.pause()
            for crop in crops:
                ours = [strip.text for strip in table.render_lines(crop)]
                ours_styled = [list(strip) for strip in table.render_lines(crop)]
                table._styles_cache.clear()
                textuals = Widget.render_lines(table, crop)
                assert ours == [strip.text for strip in textuals]
                assert ours_styled == [list(strip) for strip in textuals]


async def test_a_styled_table_is_drawn_by_textual(sandbox_home, clock, bells):
    """A border (a user's CSS, say) is left to Textual's drawing."""
    write_fresh(sandbox_home)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        table.render_lines(Region(0, 0, *table.region.size))
        table.styles.border = ("round", "red")
        await pilot.pause()
        lines = [strip.text for strip in table.render_lines(Region(0, 0, *table.region.size))]
        assert lines[0].startswith("╭") and lines[-1].startswith("╰")
        assert lines[1].startswith("│")


# ---------------------------------------------------------------- every update, twice
# Each update the app makes (partial, full, screenshots) is drawn twice from the same
# state: by `textual_fixes._get_renders` and `ProfileTable.render_lines`, and by
# Textual's own `_get_renders` and `Widget.render_lines`, every widget's caches
# emptied first (so the screen behind a translucent modal is drawn again too). The two
# must write the same cells in the same styles. Not always the same bytes: where a span
# ends at a cut (the right edge of a dialog), Textual also writes the empty piece of
# the widget behind that starts there, a cursor move and no cell, when it drew that
# widget; ours doesn't draw a widget hidden in the span.
_MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")


def _cells(terminal_text: str) -> dict[tuple[int, int], tuple[str, str]]:
    """(x, y) -> (character, style) of every cell the update writes."""
    console = Console()
    cells = {}
    parts = _MOVE.split(terminal_text)
    for at in range(1, len(parts), 3):
        y, x = int(parts[at]) - 1, int(parts[at + 1]) - 1
        line = AnsiDecoder().decode_line(parts[at + 2].replace("\n", ""))
        for offset, character in enumerate(line.plain):
            cells[x, y] = (character, str(line.get_style_at_offset(console, offset)))
            x += cell_len(character)
    return cells


def _forget(app: AwsMfaApp) -> None:
    """Empty every drawing cache of every screen on the stack, as a fresh draw has them."""
    for screen in app.screen_stack:
        for widget in {*screen.walk_children(with_self=True), *screen._compositor.visible_widgets}:
            widget._styles_cache.clear()
            widget._dirty_regions.add(widget.size.region)


def _terminal_text(update, width: int) -> str:
    console = Console(width=width, color_system="truecolor", force_terminal=True,
                      legacy_windows=False)
    return update.render_segments(console)


class Drawings:
    """(kind of update, what ours wrote, what Textual's wrote), for every update."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, str, str]] = []

    def differing(self) -> list[str]:
        """The updates whose cells differ, or where ours moves where Textual's doesn't."""
        return [kind for kind, ours, textuals in self.updates
                if _cells(ours) != _cells(textuals)
                or not set(_MOVE.findall(ours)) <= set(_MOVE.findall(textuals))]

    def same_bytes(self) -> int:
        return sum(ours == textuals for _, ours, textuals in self.updates)

    def kinds(self) -> Counter[str]:
        return Counter(kind for kind, _, _ in self.updates)


@pytest.fixture
def drawn_twice(monkeypatch) -> Drawings:
    from textual._compositor import Compositor

    drawings = Drawings()
    render_update = Compositor.render_update
    monkeypatch.setattr(Compositor, "_get_renders", textual_fixes._get_renders)
    own_table_lines = ProfileTable.render_lines
    monkeypatch.setattr(ProfileTable, "render_lines", own_table_lines)

    def both(self, full=False, screen_stack=None, simplify=False):
        app = self.root.app
        dirty = set(self._dirty_regions)
        made = []
        for get_renders, table_lines in (
                (textual_fixes._get_renders, own_table_lines),
                (textual_fixes._textual_get_renders, ScrollView.render_lines)):
            Compositor._get_renders = get_renders
            ProfileTable.render_lines = table_lines  # type: ignore[method-assign]
            self._dirty_regions.clear()
            self._dirty_regions.update(dirty)
            _forget(app)
            # (a copy: each draw pops the screens behind from it)
            made.append(render_update(self, full, None if screen_stack is None
                                      else list(screen_stack), simplify))
        Compositor._get_renders = textual_fixes._get_renders
        ProfileTable.render_lines = own_table_lines  # type: ignore[method-assign]
        ours, textuals = made
        if textuals is not None:
            assert ours is not None
            drawings.updates.append((type(textuals).__name__,
                                     _terminal_text(ours, self.size.width),
                                     _terminal_text(textuals, self.size.width)))
        else:
            assert ours is None
        return textuals

    monkeypatch.setattr(Compositor, "render_update", both)
    return drawings


async def _ticks(app: AwsMfaApp, pilot, clock, count: int = 3) -> None:
    for _ in range(count):
        clock.advance(seconds=1)
        app.clock_tick()
        await pilot.pause()


async def _code_modal(app, pilot, clock) -> None:
    from tui.app.screens.mfa_code_modal import MfaCodeModal

    row = app.main_screen.table.highlighted_row()
    app.push_screen(MfaCodeModal(app.service, row, clock.now))
    await settle(app, pilot)
    assert isinstance(app.screen, MfaCodeModal)
    await _ticks(app, pilot, clock)
    await pilot.press("1", "2", "3")
    await _ticks(app, pilot, clock)


async def _code_modal_resized(app, pilot, clock) -> None:
    """The terminal resized under the open code modal, smaller then larger again."""
    await _code_modal(app, pilot, clock)
    for size in ((60, 20), (41, 12), (130, 40)):
        await pilot.resize_terminal(*size)
        await settle(app, pilot)
        await _ticks(app, pilot, clock, 2)


async def _toast(app, pilot, clock) -> None:
    app.notify("a toast over the table", timeout=600)
    await pilot.pause()
    await _ticks(app, pilot, clock)
    app.notify("a second toast, longer, over the first and the table " * 2, timeout=600,
               severity="warning")
    await pilot.pause()
    await _ticks(app, pilot, clock)


async def _palette(app, pilot, clock) -> None:
    await pilot.press("ctrl+p")
    await settle(app, pilot)
    await _ticks(app, pilot, clock)
    await pilot.press("t", "h")
    await settle(app, pilot)
    await _ticks(app, pilot, clock)


async def _log_panel(app, pilot, clock) -> None:
    await pilot.press("g")
    await pilot.pause()
    app.main_screen.note("a line in the log", toast=False)
    await _ticks(app, pilot, clock)
    await pilot.press("g")
    await pilot.pause()
    await _ticks(app, pilot, clock, 1)


async def _scrolled(app, pilot, clock) -> None:
    table = app.main_screen.table
    table.focus()
    table.move_cursor(len(table.rows_shown) // 2)
    await pilot.pause()
    await _ticks(app, pilot, clock)
    await pilot.press("down", "pagedown", "up")
    await _ticks(app, pilot, clock)
    table.scroll_to(y=3.5, animate=False)  # a fraction: Textual rounds it as we do
    await pilot.pause()
    await _ticks(app, pilot, clock)


async def _tooltip(app, pilot, clock) -> None:
    from textual.widgets import Tooltip

    await pilot.hover("Footer", offset=(2, 0))
    widget, _ = app.screen.get_widget_at(2, app.size.height - 1)
    widget.tooltip = widget.tooltip or "a tooltip"
    app.screen._handle_tooltip_timer(widget)
    await pilot.pause()
    assert app.screen.get_child_by_type(Tooltip).display
    await _ticks(app, pilot, clock)


async def _dialogs(app, pilot, clock) -> None:
    await pilot.press("question_mark")  # help
    await settle(app, pilot)
    await _ticks(app, pilot, clock)
    await pilot.press("escape")
    await settle(app, pilot)
    await pilot.press("l")  # confirm logout
    await settle(app, pilot)
    await _ticks(app, pilot, clock)
    await pilot.press("n")
    await settle(app, pilot)
    await pilot.press("enter")  # details
    await settle(app, pilot)
    await _ticks(app, pilot, clock)


async def _settings(app, pilot, clock) -> None:
    """A form in a scrolled container: fields half cut at its edges, a Select's overlay."""
    await pilot.press("s")
    await settle(app, pilot)
    await _ticks(app, pilot, clock, 1)
    for key in ("tab", "tab", "tab", "tab", "tab", "1", "shift+tab", "enter"):
        await pilot.press(key)
        await pilot.pause()
        await _ticks(app, pilot, clock, 1)
    app.screen.query_one("VerticalScroll").scroll_to(y=1.5, animate=False)
    await pilot.pause()
    await _ticks(app, pilot, clock, 1)


async def _blurred(app, pilot, clock) -> None:
    from textual import events

    app.post_message(events.AppBlur())
    await pilot.pause()
    await _ticks(app, pilot, clock)
    app.post_message(events.AppFocus())
    await pilot.pause()
    await _ticks(app, pilot, clock, 1)


async def _screenshot(app, pilot, clock) -> None:
    await _toast(app, pilot, clock)
    app.export_screenshot()


def _sweep(app: AwsMfaApp) -> int:
    """Partial updates over the whole top screen: each line, bands of columns, blocks
    across every edge, and pairs of far corners (one crop around two small regions)."""
    width, height = app.size
    regions = [[Region(0, y, width, 1)] for y in range(0, height, max(1, height // 30))]
    regions += [[Region(x, 0, 3, height)] for x in range(0, width, max(3, width // 30))]
    regions += [[Region(x, y, max(1, width // 5), max(1, height // 4))]
                for x in range(0, width, max(1, width // 7))
                for y in range(0, height, max(1, height // 6))]
    regions += [[Region(0, 0, 2, 1), Region(width - 2, height - 1, 2, 1)],
                [Region(width // 2, 1, 1, 1), Region(1, height - 2, 1, 1)]]
    compositor = app.screen._compositor
    for update in regions:
        compositor._dirty_regions.clear()
        compositor._dirty_regions.update(region.intersection(app.screen.region)
                                         for region in update)
        compositor.render_update(screen_stack=app._background_screens)
    return len(regions)


def _inline_and_strips_differ(app: AwsMfaApp) -> list[int]:
    """Inline mode's drawing (`render_inline`, of the whole height and of a part) and
    `render_strips`, ours and Textual's: the heights where they differ."""
    from textual._compositor import Compositor

    compositor = app.screen._compositor
    differing = []
    for height in (app.size.height, app.size.height // 2, 1):
        made = []
        for get_renders in (textual_fixes._get_renders, textual_fixes._textual_get_renders):
            Compositor._get_renders = get_renders
            _forget(app)
            inline = compositor.render_inline(app.size.with_height(height),
                                              screen_stack=app._background_screens)
            _forget(app)
            made.append(([list(strip) for strip in inline.strips],
                         [list(strip) for strip in compositor.render_strips()]))
        Compositor._get_renders = textual_fixes._get_renders
        if made[0] != made[1]:
            differing.append(height)
    return differing


STATES = {"code modal": _code_modal, "code modal resized": _code_modal_resized,
          "toasts": _toast, "palette": _palette,
          "log panel": _log_panel, "scrolled": _scrolled, "tooltip": _tooltip,
          "dialogs": _dialogs, "settings": _settings, "blurred": _blurred, "screenshot": _screenshot}


@pytest.mark.parametrize(("state", "size", "theme", "identities"), [
    *[(state, SIZE, None, 25) for state in STATES],
    ("scrolled", (100, 30), None, 100),
    ("code modal", (60, 20), None, 25),
    ("code modal resized", SIZE, "no-color", 25),
    ("toasts", (60, 20), None, 25),
    ("dialogs", (60, 20), None, 25),
    ("settings", (60, 20), None, 25),
    ("scrolled", (200, 60), None, 100),
    ("code modal", (200, 60), None, 25),
    ("code modal", SIZE, "textual-light", 25),
    ("toasts", SIZE, "ansi-dark", 25),
    ("code modal", SIZE, "ansi-light", 25),
    ("palette", SIZE, "ansi-dark", 25),
    ("log panel", SIZE, "no-color", 25),
    ("code modal", SIZE, "no-color", 25),
    ("blurred", SIZE, "dim", 25),
])
async def test_every_update_is_what_textual_draws(sandbox_home, clock, bells, monkeypatch,
                                                  drawn_twice, state, size, theme,
                                                  identities):
    write_rows(sandbox_home, identities)
    if theme == "no-color":
        monkeypatch.setenv("NO_COLOR", "1")
    if theme == "dim":
        monkeypatch.setattr("textual.constants.FILTERS", "dim")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=size, notifications=True, tooltips=True) as pilot:
        await settle(app, pilot)
        if theme in ("textual-light", "ansi-dark", "ansi-light"):
            app.theme = theme
            await settle(app, pilot)
        await _ticks(app, pilot, clock)
        drawn_twice.updates.clear()
        await STATES[state](app, pilot, clock)
        assert drawn_twice.kinds()["ChopsUpdate"] >= 3, drawn_twice.kinds()
        assert drawn_twice.differing() == []
        # and every part of the screen as it is now
        drawn_twice.updates.clear()
        swept = _sweep(app)
        assert drawn_twice.kinds()["ChopsUpdate"] == swept
        assert drawn_twice.differing() == []
        assert _inline_and_strips_differ(app) == []


async def test_the_rotation_screen_is_drawn_as_textual_draws_it(aws, make_user, sandbox_home,
                                                                 drawn_twice):
    """The rotation screen, before and after its steps run: DataTable, step lines,
    buttons. It is pushed over a host app, as the main app pushes it on `k`."""
    from tests.app.test_rotation_screen import Host, no_wait_rotation
    from tests.support.sandbox import sandbox_service

    make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    app = Host(sandbox_service(sandbox_home), "carol", rotation_factory=no_wait_rotation)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.screen.stage == "ready"
        swept = _sweep(app)
        assert drawn_twice.kinds()["ChopsUpdate"] >= swept
        assert drawn_twice.differing() == []
        drawn_twice.updates.clear()
        await pilot.press("r")
        await settle(app, pilot)
        assert app.screen.stage == "done"
        _sweep(app)
        assert drawn_twice.kinds()["ChopsUpdate"] >= swept
        assert drawn_twice.differing() == []


def _same_as_textuals(table: ProfileTable) -> None:
    """The table's own lines, then Textual's from an emptied cache, for a few crops."""
    width, height = table.region.size
    crops = [Region(0, 0, width, height), Region(0, 1, width, 1),
             Region(min(58, width - 1), 1, 8, height - 1), Region(3, 0, width - 3, 2),
             Region(0, height - 1, width, 1), Region(width - 2, 0, 2, height)]
    for crop in crops:
        ours = [list(strip) for strip in table.render_lines(crop)]
        table._styles_cache.clear()
        textuals = [list(strip) for strip in Widget.render_lines(table, crop)]
        assert ours == textuals, crop


#: Styles that Textual's drawing applies and the table's own can't: set at run time, then
#: unset (so both paths take turns, with the rows changing in between).
STYLED = {
    "border": ("border", ("round", "red")),
    "outline": ("outline", ("blank", "red")),
    "padding": ("padding", (0, 1)),
    "tint": ("tint", "red 30%"),
    "opacity": ("opacity", 0.5),
    "text opacity": ("text_opacity", 0.5),
    "hatch": ("hatch", ("right", "red")),
    "stable gutter": ("scrollbar_gutter", "stable"),
    "background tint": ("background_tint", "red 20%"),
}


@pytest.mark.parametrize(("styled", "no_color"), [
    *[(styled, False) for styled in STYLED], ("padding", True), ("border", True)])
async def test_a_table_styled_at_run_time_draws_as_textual(sandbox_home, clock, bells,
                                                           monkeypatch, styled, no_color):
    """(NO_COLOR and dim: the rows pre-filtered by the table, made at another width, too)"""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.setattr("textual.constants.FILTERS", "dim")
    write_rows(sandbox_home, 40)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        _same_as_textuals(table)
        rule, value = STYLED[styled]
        setattr(table.styles, rule, value)
        await pilot.pause()
        await _ticks(app, pilot, clock)
        _same_as_textuals(table)
        table.styles.clear_rule(rule)
        await pilot.pause()
        await _ticks(app, pilot, clock)
        _same_as_textuals(table)
        setattr(table.styles, rule, value)
        await pilot.pause()
        await _ticks(app, pilot, clock)
        _same_as_textuals(table)


@pytest.mark.parametrize("state", ["hovered", "scrolled", "border title", "resized",
                                   "light", "ansi", "no-color", "blurred and dim"])
async def test_the_tables_own_drawing_is_textuals_in(sandbox_home, clock, bells, monkeypatch,
                                                     state):
    from textual import events

    write_rows(sandbox_home, 100)
    if state == "no-color":
        monkeypatch.setenv("NO_COLOR", "1")
    if state == "blurred and dim":
        monkeypatch.setattr("textual.constants.FILTERS", "dim")
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.main_screen.table
        if state == "hovered":
            await pilot.hover(ProfileTable, offset=(5, 3))
        elif state == "scrolled":
            table.focus()
            table.move_cursor(len(table.rows_shown) // 2)
        elif state == "border title":
            table.border_title = "Profiles"
        elif state == "resized":
            await pilot.resize_terminal(61, 20)
            await settle(app, pilot)
        elif state in ("light", "ansi"):
            app.theme = "textual-light" if state == "light" else "ansi-dark"
        elif state == "blurred and dim":
            app.post_message(events.AppBlur())
        await settle(app, pilot)
        await _ticks(app, pilot, clock)
        _same_as_textuals(table)
        if state == "border title":
            table.border_title = None
            await pilot.pause()
            await _ticks(app, pilot, clock)
            _same_as_textuals(table)


async def test_another_textual_draws_as_it_always_does(sandbox_home, clock, bells,
                                                       monkeypatch):
    """Both copy Textual's internals as read in one version: with another, they're off."""
    from textual._compositor import Compositor

    write_rows(sandbox_home, 40)
    monkeypatch.setattr(textual_fixes, "OWN_DRAWING", False)
    monkeypatch.setattr(Compositor, "_get_renders", textual_fixes._textual_get_renders)
    app = AwsMfaApp(make_service(sandbox_home, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert Compositor._get_renders is textual_fixes._textual_get_renders
        table = app.main_screen.table
        table.render_lines(Region(0, 0, *table.region.size))
        assert not table._drawn_plain
        await _ticks(app, pilot, clock)
        assert not table._drawn_plain


def test_the_textual_installed_is_told_from_its_install_record():
    """`OWN_DRAWING` reads the version from the install record beside the package (one
    stat): it must agree with what `importlib.metadata` says, and tell others apart."""
    import textual

    assert textual_fixes._textual_is(textual.__version__)
    assert not textual_fixes._textual_is(textual.__version__ + ".1")
    assert textual_fixes.OWN_DRAWING == (textual.__version__ == textual_fixes.DRAWN_FOR)
