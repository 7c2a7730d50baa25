"""Where an MFA code comes from, in order, and the rule that a code is sent only once.

1. `--token-code CODE` (`skip` means no MFA, as awsmfa allows)
2. `AWS_MFA_TOKEN_CODE`
3. the profile's `mfa_command`, whose stdout is the code (e.g. `ykman oath accounts code
   --single NAME` for a YubiKey); run without a shell, nothing secret in its arguments
4. a prompt on the controlling terminal (`/dev/tty`), when there is one, even when stdin
   and stderr are pipes (botocore's `credential_process` captures both), as ssh and sudo do
5. askpass: `$SSH_ASKPASS`, or `ssh-askpass` on PATH, called with the prompt as argument.
   As in ssh, `SSH_ASKPASS_REQUIRE=force` prefers askpass to the terminal and
   `SSH_ASKPASS_REQUIRE=never` never uses it.

A person who mistypes gets asked again, up to three times in all.

Codes are checked to be six digits before any call. A TOTP code works once: `UsedCodes`
remembers (device, code) pairs for a few minutes so the engine never sends one twice, and
`sent_codes.SENT_CODES` (what a `SessionService` uses unless told otherwise) shares that
memory with every process of this user.
"""

from __future__ import annotations

import os
import re
import time

# threading.Lock itself, without importing threading (a fresh session handed out by
# credential-process starts no thread: ~1.4 ms of its start-up).
from _thread import allocate_lock
from collections.abc import Callable

from tui.engine.errors import MfaCodeError, UsageError
from tui.engine.named_tuple import NamedTuple
from tui.engine.secret import Secret

SKIP = "skip"
CODE_LENGTH = 6
ATTEMPTS = 3
TOTP_PERIOD = 30
COMMAND_TIMEOUT = 60


def check_code(code: str | Secret) -> Secret:
    """Six digits (spaces ignored), else a clear error. The code is never echoed."""
    text = code.reveal() if isinstance(code, Secret) else code
    text = "".join(text.split())
    if len(text) != CODE_LENGTH or not text.isdigit():
        raise MfaCodeError("an MFA code is 6 digits; the one given was not")
    return Secret(text)


_DEVICE_ARN = re.compile(
    r"arn:aws(-cn|-us-gov)?:iam::\d{12}:(mfa|u2f)/[\w+=,.@/-]{1,512}"
)
_HARDWARE_SERIAL = re.compile(r"[A-Z0-9]{9,256}")


def check_serial_shape(serial: str) -> str:
    """A virtual or hardware device ARN, or a hardware token's serial (GAHT12345678), else
    a clear error. Security keys (`:u2f/`) are refused: STS can't use them."""
    serial = serial.strip()
    match = _DEVICE_ARN.fullmatch(serial)
    if match and match.group(2) == "u2f":
        raise UsageError(
            f"{serial} is a FIDO security key, which STS can't use for sessions: pick a "
            "virtual or hardware TOTP device"
        )
    if not match and not _HARDWARE_SERIAL.fullmatch(serial):
        raise UsageError(
            "--serial-number must be an MFA device ARN (arn:aws:iam::123456789012:mfa/NAME) "
            "or a hardware token's serial (like GAHT12345678)"
        )
    return serial


def seconds_left_in_window(now: float | None = None) -> int:
    """Seconds until the current 30-second TOTP code changes."""
    now = time.time() if now is None else now
    return TOTP_PERIOD - int(now) % TOTP_PERIOD


class CodeRequest(NamedTuple):
    """What a code source is told: which profile and device the code is for."""

    profile: str
    serial: str
    mfa_command: str | None = None

    @property
    def prompt(self) -> str:
        return f"MFA code for {self.profile} ({self.serial}): "


class UsedCodes:
    """Remembers recently sent codes per device (hashed), so none is sent twice: this
    process's memory only. `sent_codes.SentCodes` shares it with every process."""

    def __init__(self, keep_seconds: float = 180.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.keep_seconds = keep_seconds
        self.clock = clock
        self._seen: dict[str, float] = {}
        self._lock = allocate_lock()

    @staticmethod
    def _key(serial: str, code: Secret) -> str:
        import hashlib

        return hashlib.sha256(f"{serial}\0{code.reveal()}".encode()).hexdigest()

    def claim(self, serial: str, code: Secret) -> None:
        """Mark a code as sent; refuse it if it was sent for this device already."""
        now = self.clock()
        key = self._key(serial, code)
        with self._lock:
            for old in [k for k, t in self._seen.items() if now - t > self.keep_seconds]:
                del self._seen[old]
            if key in self._seen:
                raise MfaCodeError(
                    "that MFA code was already used (a code works once): wait for the next "
                    "30-second code"
                )
            self._seen[key] = now

    def forget(self) -> None:
        """Forget every code sent (tests start each from nothing)."""
        with self._lock:
            self._seen.clear()


class MfaCodeSource:
    """Asks for a code. Returns None for "no MFA" (`skip`)."""

    def get_code(self, request: CodeRequest) -> Secret | None:
        raise NotImplementedError

    @property
    def interactive(self) -> bool:
        return False

    @property
    def without_mfa(self) -> bool:
        """This source means "a session without MFA": no device is looked up."""
        return False


class WithoutMfa(MfaCodeSource):
    """No code and no device: GetSessionToken (or AssumeRole) without MFA, for a user who
    has no MFA device and chose such a session. MFA-guarded policies deny it."""

    def get_code(self, request: CodeRequest) -> Secret | None:
        return None

    @property
    def without_mfa(self) -> bool:
        return True


class FixedCode(MfaCodeSource):
    """A code given on the command line or in the environment (or `skip`)."""

    def __init__(self, code: Secret, origin: str = "--token-code") -> None:
        self.code = code
        self.origin = origin

    @property
    def without_mfa(self) -> bool:
        return self.code.reveal().strip().lower() == SKIP

    def get_code(self, request: CodeRequest) -> Secret | None:
        if self.code.reveal().strip().lower() == SKIP:
            return None
        return check_code(self.code)


class CommandCode(MfaCodeSource):
    """Runs the configured `mfa_command` and reads the code from its stdout."""

    def __init__(self, command: str) -> None:
        self.command = command

    def get_code(self, request: CodeRequest) -> Secret | None:
        import shlex
        import subprocess

        try:
            argv = shlex.split(self.command)
        except ValueError:
            raise MfaCodeError("mfa_command can't be parsed (check its quotes)") from None
        if not argv:
            raise MfaCodeError("mfa_command is empty")
        env = dict(os.environ, AWS_MFA_PROFILE=request.profile, AWS_MFA_SERIAL=request.serial)
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, env=env,
                stdin=subprocess.DEVNULL, check=False,
            )
        except FileNotFoundError:
            raise MfaCodeError(f"mfa_command: `{argv[0]}` was not found on PATH") from None
        except subprocess.TimeoutExpired:
            raise MfaCodeError(
                f"mfa_command `{argv[0]}` gave no code within {COMMAND_TIMEOUT} s"
            ) from None
        except OSError as exc:
            raise MfaCodeError(f"mfa_command `{argv[0]}` failed: {exc.strerror}") from None
        if done.returncode != 0:
            raise MfaCodeError(f"mfa_command `{argv[0]}` exited with status {done.returncode}")
        lines = done.stdout.strip().splitlines()
        return check_code(lines[-1] if lines else "")


class _AskingPerson(MfaCodeSource):
    """A source with a person behind it: a malformed code is asked for again."""

    def ask(self, prompt: str) -> str:
        raise NotImplementedError

    def tell(self, message: str) -> None:
        raise NotImplementedError

    def get_code(self, request: CodeRequest) -> Secret | None:
        for attempt in range(1, ATTEMPTS + 1):
            answer = self.ask(request.prompt)  # a cancel raises: it is not asked again
            try:
                return check_code(answer)
            except MfaCodeError:
                if attempt == ATTEMPTS:
                    raise MfaCodeError(
                        f"an MFA code is 6 digits; none of the {ATTEMPTS} entered was"
                    ) from None
                left = ATTEMPTS - attempt
                self.tell(f"an MFA code is 6 digits; try again ({left} "
                          f"{'try' if left == 1 else 'tries'} left)")
        raise AssertionError("not reached")

    @property
    def interactive(self) -> bool:
        return True


class TerminalPrompt(_AskingPerson):
    """Asks on the controlling terminal (`/dev/tty`) without echoing, as ssh and sudo do:
    stdin and stderr may be pipes (botocore's credential_process captures them)."""

    def ask(self, prompt: str) -> str:
        import getpass

        try:
            # With no stream, getpass opens /dev/tty for both the prompt and the answer.
            return getpass.getpass(prompt)
        except EOFError:
            raise MfaCodeError("no MFA code was entered") from None

    def tell(self, message: str) -> None:
        try:
            with open("/dev/tty", "w", encoding="utf-8") as tty:
                tty.write(message + "\n")
        except OSError:
            pass


class AskpassPrompt(_AskingPerson):
    """`$SSH_ASKPASS` (or `ssh-askpass` on PATH), called with the prompt as its argument."""

    def __init__(self, program: str) -> None:
        self.program = program
        self._retry_note = ""

    def ask(self, prompt: str) -> str:
        import subprocess

        try:
            done = subprocess.run(
                [self.program, self._retry_note + prompt], capture_output=True, text=True,
                timeout=300, stdin=subprocess.DEVNULL, check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            raise MfaCodeError(f"askpass program {self.program} did not give a code") from None
        if done.returncode != 0:
            raise MfaCodeError("askpass was cancelled; no MFA code")
        return done.stdout.strip()

    def tell(self, message: str) -> None:
        self._retry_note = message[:1].upper() + message[1:] + ". "


class NoCodeSource(MfaCodeSource):
    """Nothing can give a code here (no tty, no askpass, no command)."""

    def get_code(self, request: CodeRequest) -> Secret | None:
        raise MfaCodeError(
            f"{request.profile} needs an MFA code and there's no way to ask for one here: "
            "pass --token-code, set AWS_MFA_TOKEN_CODE, configure mfa_command, or run in a "
            "terminal"
        )


def find_askpass() -> str | None:
    import shutil

    explicit = os.environ.get("SSH_ASKPASS")
    if explicit:
        return explicit
    return shutil.which("ssh-askpass")


def _has_terminal() -> bool:
    """Whether this process has a controlling terminal a person can type into."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def choose_code_source(
    token_code: str | None, mfa_command: str | None, interactive: bool = True
) -> MfaCodeSource:
    """The first source that applies, in the documented order."""
    if token_code:
        return FixedCode(Secret(token_code))
    env_code = os.environ.get("AWS_MFA_TOKEN_CODE")
    if env_code:
        return FixedCode(Secret(env_code), origin="AWS_MFA_TOKEN_CODE")
    if mfa_command:
        return CommandCode(mfa_command)
    if not interactive:
        return NoCodeSource()
    require = os.environ.get("SSH_ASKPASS_REQUIRE", "").lower()
    askpass = None if require == "never" else find_askpass()
    if askpass and require == "force":
        return AskpassPrompt(askpass)
    if _has_terminal():
        return TerminalPrompt()
    if askpass:
        return AskpassPrompt(askpass)
    return NoCodeSource()
