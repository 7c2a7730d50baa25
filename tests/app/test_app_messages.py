"""The app's messages: a run of `StatusLoaded` or `FilesChanged` waiting in the main
screen's queue is handled once, for the newest (`can_replace`), and the screen is not left
waiting for the reads that were replaced."""

from __future__ import annotations

from tests.app.test_app_main import seeded
from tests.support.app import SIZE, settle
from tui.app.app import AwsMfaApp
from tui.app.messages import FilesChanged, StatusLoaded


def handled_of(handled: list[object], sent: list[object]) -> list[int]:
    """Which of `sent` (by position) were handled, in order (by identity: dataclasses that
    hold the same values are equal)."""
    return [i for m in handled for i, s in enumerate(sent) if s is m]


async def test_only_the_newest_of_queued_status_and_file_messages_is_handled(sandbox_home,
                                                                             clock):
    service, _ = seeded(sandbox_home, clock)
    handled: list[object] = []
    app = AwsMfaApp(service)
    async with app.run_test(size=SIZE, message_hook=handled.append) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        rows = screen.rows
        stamp = screen.watcher.known
        assert stamp is not None
        # Three reads queued together, as when refreshes end at once (read numbers 1 up).
        loads = [StatusLoaded(rows=rows[:count], stamp=stamp, read=100 + count)
                 for count in (1, 2, 3)]
        for message in loads:
            screen.post_message(message)
        await pilot.pause()
        assert handled_of(handled, loads) == [2, 2]  # the newest only, on the screen then the app
        assert len(screen.rows) == 3 and not screen.reading_status
        changes = [FilesChanged(stamp) for _ in range(3)]
        for message in changes:
            screen.post_message(message)
        await pilot.pause()
        assert handled_of(handled, changes) == [2, 2]
        await settle(app, pilot)
        assert len(screen.rows) == 5
