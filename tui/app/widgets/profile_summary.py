"""One line under the table about the highlighted profile: who, where, until when, and
the last error in full (the table's state column only has room for a word)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.app.widgets.profile_columns import account_and_user
from tui.engine.profiles.status import StatusRow


class ProfileSummary(Static):
    DEFAULT_CSS = """
    ProfileSummary {
        height: 2; padding: 0 1;
        background: $panel; color: $text;
        /* A long first line is cut, never wrapped: wrapped, it pushed the note or the
           error off the second line and left a stray "UTC" there. */
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self._shown: tuple[object, ...] = ()

    def show_row(self, row: StatusRow | None, error: str | None, note: str | None = None
                 ) -> None:
        key = (row, error, note)
        if key == self._shown:
            return
        self._shown = key
        if row is None:
            self.update(Text(note or "No identity profiles yet: add long-term keys to the "
                             "credentials file.", style="dim"))
            return
        line = Text()
        line.append(row.name, style="bold")
        line.append(f" → [{row.target}]")
        who = account_and_user(row)
        if who:
            line.append(f"  {who}", style="dim")
        if row.expiration is not None:
            line.append(f"  expires {row.expiration.strftime('%Y-%m-%d %H:%M:%S')} UTC",
                        style="dim")
        if row.mfa_deadline is not None:
            line.append(f"  MFA too old at {row.mfa_deadline.strftime('%H:%M:%S')} UTC",
                        style="dim")
        problem = error or row.blocked
        if problem:
            line.append("\n")
            line.append(problem, style="bold")
        elif note:
            line.append("\n")
            line.append(note, style="dim")
        self.update(line)
