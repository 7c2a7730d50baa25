"""Says that a user has no MFA device STS can use, and offers a session without MFA.

It is dismissed with True (make the session: GetSessionToken with no serial and no code)
or False (leave the credentials file as it is). Policies that require MFA
(`aws:MultiFactorAuthPresent`) deny such a session: the dialog says so before asking.
The answer is not remembered: a session without MFA is a step down, so it is always a
person's choice, and a device assigned later is found by the next refresh.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from tui.app.screens.dialog import Question


class NoMfaDeviceOffer(Question):

    BINDINGS = [
        Binding("y", "yes", "Without MFA", id="no_mfa.accept",
                tooltip="Get a session without MFA and write it as usual"),
        Binding("n,escape", "no", "Leave it", id="no_mfa.decline",
                tooltip="Write nothing: the credentials file stays as it is"),
    ]

    YES = ("accept", "Session without MFA (y)")
    NO = ("decline", "Leave it (n)")

    def __init__(self, profile: str, target: str, user_arn: str,
                 skipped: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.profile = profile
        self.target = target
        self.user_arn = user_arn
        self.skipped = skipped

    def compose_text(self) -> ComposeResult:
        yield Static(f"No MFA device on this user ({self.profile})", id="title",
                     markup=False)
        yield Static(f"IAM lists no MFA device that STS can use for {self.user_arn}, so "
                     "there is no code to ask for.", markup=False)
        if self.skipped:
            count = len(self.skipped)
            yield Static(f"Skipped {count} FIDO/U2F security key{'s' if count > 1 else ''}"
                         f", which STS can't use: {', '.join(self.skipped)}",
                         id="skipped", markup=False)
        yield Static(f"A session without MFA can still be written to [{self.target}]. "
                     "Policies that require MFA (aws:MultiFactorAuthPresent) deny it.",
                     id="caveat", markup=False)
        yield Static("This answer is not remembered: each refresh looks again, so a "
                     "TOTP device assigned in IAM later is used from then on.", id="hint",
                     markup=False)
