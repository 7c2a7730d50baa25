"""Which MFA device each identity uses: configured, or discovered through IAM (and cached).

FIDO/U2F security keys are skipped: STS accepts only TOTP devices.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tui.engine import aws_calls
from tui.engine.aws_calls import AwsKeys
from tui.engine.errors import AwsAuthError, UsageError
from tui.engine.profiles import IdentityProfile


class MfaDevices:
    def __init__(self, long_term_keys: Callable[[IdentityProfile], AwsKeys]) -> None:
        self._long_term_keys = long_term_keys
        self._discovered: dict[str, str] = {}
        self._guard = threading.Lock()

    def discovered(self) -> dict[str, str]:
        """Serials found through IAM so far, by identity ("" when it has none)."""
        with self._guard:
            return dict(self._discovered)

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
        _, serials = self._totp_devices(identity)
        serial = self._pick(identity, serials, None) if serials else ""
        with self._guard:
            self._discovered[identity.name] = serial
        return serial or None

    def discover(self, identity: IdentityProfile,
                 choose: Callable[[list[str]], str] | None = None) -> str:
        arn, serials = self._totp_devices(identity)
        if not serials:
            raise AwsAuthError(
                f"no MFA device that STS can use is assigned to {arn} (security keys "
                "can't be used here): assign a virtual or hardware TOTP device, or pass "
                "--token-code skip for a session without MFA"
            )
        return self._pick(identity, serials, choose)

    def _totp_devices(self, identity: IdentityProfile) -> tuple[str, list[str]]:
        """(the user's ARN, serials of the TOTP devices STS can use) through IAM."""
        keys = self._long_term_keys(identity)
        caller = aws_calls.get_caller_identity(keys, identity.region)
        devices = aws_calls.list_mfa_devices(keys, caller.user_name)
        return caller.arn, [d.serial for d in devices if d.is_totp]

    @staticmethod
    def _pick(identity: IdentityProfile, serials: list[str],
              choose: Callable[[list[str]], str] | None) -> str:
        if len(serials) == 1:
            return serials[0]
        if choose is not None:
            return choose(serials)
        raise UsageError(
            f"{identity.name} has {len(serials)} MFA devices ({', '.join(serials)}): pick one "
            f"with --serial-number or `aws-mfa-tui init {identity.name}`"
        )
