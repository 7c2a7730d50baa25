"""The toasts an app showed, for tests, through public surfaces only."""

from __future__ import annotations

from textual.message import Message
from textual.notifications import Notify


class Toasts(list[str]):
    """Pass as `run_test(message_hook=...)`: it keeps the text of each toast, heard as
    Textual's `Notify` message (instead of reading the app's private `_notifications`)."""

    def __call__(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.append(str(message.notification.message))
