"""Which MFA device each identity uses: configured, or discovered through IAM (and cached).

FIDO/U2F security keys are skipped, with a note: STS accepts only TOTP devices. When IAM
lists several usable devices, the caller chooses (the TUI asks a person, the CLI says how
to pick one); when it lists none, `NoMfaDevice` says so, and a session without MFA is the
caller's offer to make.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple

from tui.engine.aws import calls as aws_calls
from tui.engine.credential_values import AwsKeys
from tui.engine.errors import AwsAuthError, UsageError
from tui.engine.profiles.catalog import IdentityProfile


class DeviceSurvey(NamedTuple):
    """What IAM lists for one user: the devices STS can use, and the security keys it can't."""

    user_arn: str
    usable: tuple[str, ...]
    skipped: tuple[str, ...] = ()

    def skipped_note(self) -> str:
        """"" when nothing was skipped, else one clause naming the security keys."""
        if not self.skipped:
            return ""
        count = len(self.skipped)
        keys = "security key" if count == 1 else "security keys"
        return (f"skipped {count} FIDO/U2F {keys} ({', '.join(self.skipped)}): "
                "STS can't use them for sessions")


class SeveralMfaDevices(UsageError):
    """IAM lists more than one device STS can use, and nothing says which one."""

    def __init__(self, profile: str, survey: DeviceSurvey) -> None:
        self.profile = profile
        self.survey = survey
        skipped = survey.skipped_note()
        super().__init__(
            f"{profile} has {len(survey.usable)} MFA devices ({', '.join(survey.usable)}): "
            f"pick one with --serial-number or `aws-mfa-tui init {profile}`"
            + (f"; {skipped}" if skipped else "")
        )


class NoMfaDevice(AwsAuthError):
    """IAM lists no device STS can use for this user."""

    def __init__(self, survey: DeviceSurvey) -> None:
        self.survey = survey
        why = survey.skipped_note() or "security keys can't be used here"
        super().__init__(
            f"no MFA device that STS can use is assigned to {survey.user_arn} ({why}): assign "
            "a virtual or hardware TOTP device, or pass --token-code skip for a session "
            "without MFA"
        )


class MfaDevices:
    def __init__(self, long_term_keys: Callable[[IdentityProfile], AwsKeys]) -> None:
        self._long_term_keys = long_term_keys
        self._discovered: dict[str, str] = {}
        self._skipped: dict[str, tuple[str, ...]] = {}
        self._guard = threading.Lock()

    def discovered(self) -> dict[str, str]:
        """Serials found through IAM so far, by identity ("" when it has none)."""
        with self._guard:
            return dict(self._discovered)

    def skipped(self, name: str) -> tuple[str, ...]:
        """The security keys the last look at this identity's devices skipped."""
        with self._guard:
            return self._skipped.get(name, ())

    def resolve(
        self, identity: IdentityProfile, explicit: str | None = None,
        choose: Callable[[list[str]], str] | None = None,
    ) -> str:
        """--serial-number > settings > config > credentials > discovery through IAM."""
        if explicit:
            return explicit
        if identity.mfa_serial:
            return identity.mfa_serial
        with self._guard:
            known = self._discovered.get(identity.name)
        if known:
            return known
        serial = self.discover(identity, choose)  # raises when there is none
        with self._guard:
            self._discovered[identity.name] = serial
        return serial

    def device(self, identity: IdentityProfile, explicit: str | None = None) -> str | None:
        """The device a code is needed for, or None when the user has none (no error).

        Several devices are still an error: guessing could ask for a code from a device the
        person doesn't hold."""
        if explicit or identity.mfa_serial:
            return explicit or identity.mfa_serial
        with self._guard:
            if identity.name in self._discovered:
                return self._discovered[identity.name] or None
        survey = self.survey(identity)
        serial = self._pick(identity, survey, None) if survey.usable else ""
        with self._guard:
            self._discovered[identity.name] = serial
        return serial or None

    def discover(self, identity: IdentityProfile,
                 choose: Callable[[list[str]], str] | None = None) -> str:
        survey = self.survey(identity)
        if not survey.usable:
            raise NoMfaDevice(survey)
        return self._pick(identity, survey, choose)

    def chosen(self, identity: IdentityProfile, serial: str) -> None:
        """A person picked this device (it is saved in settings): use it from now on."""
        with self._guard:
            self._discovered[identity.name] = serial

    def survey(self, identity: IdentityProfile) -> DeviceSurvey:
        """The user's devices, through IAM: those STS can use, and the keys it can't."""
        keys = self._long_term_keys(identity)
        caller = aws_calls.get_caller_identity(keys, identity.region)
        devices = aws_calls.list_mfa_devices(keys, caller.user_name)
        survey = DeviceSurvey(
            caller.arn,
            tuple(d.serial for d in devices if d.is_totp),
            tuple(d.serial for d in devices if not d.is_totp),
        )
        with self._guard:
            self._skipped[identity.name] = survey.skipped
        return survey

    @staticmethod
    def _pick(identity: IdentityProfile, survey: DeviceSurvey,
              choose: Callable[[list[str]], str] | None) -> str:
        if len(survey.usable) == 1:
            return survey.usable[0]
        if choose is not None:
            return choose(list(survey.usable))
        raise SeveralMfaDevices(identity.name, survey)
