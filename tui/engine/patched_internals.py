"""What our patches of other packages' internals (botocore, urllib3, Textual) do when those
internals are not what they were written against.

Each patch checks, at its first use, that what it patches is there with the expected shape
(`missing`). If not, one of two things happens, decided by the patch:

- it turns itself off (`turn_off`): the package then works as it always does, a little
  slower or without a workaround, and one log line says so, once per process;
- where turning off would break a promise (every AWS call has a 30 s deadline and reads
  at most 1 MiB of reply), it refuses (`InternalsChanged`): no call goes out without them,
  and one line says which package to install.

The log line goes to Python's `logging` (logger `aws-mfa-tui`): on stderr for a command.
The TUI also `listen`s, and shows each line as a warning (stderr is Textual's there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from tui.engine.errors import AwsMfaError

LOGGER = logging.getLogger("aws-mfa-tui")
#: Patches turned off in this process -> why (each logged once).
TURNED_OFF: dict[str, str] = {}
_listener: Callable[[str], None] | None = None


class InternalsChanged(AwsMfaError):
    """A patch that a promise depends on can't apply to the installed package."""

    exit_code = 1


def missing(owner: Any, *paths: str) -> str | None:
    """The first of `paths` (dotted, from `owner`) that isn't there, or None when all are."""
    for path in paths:
        target = owner
        for name in path.split("."):
            if not hasattr(target, name):
                return f"{_name_of(owner)}.{path}"
            target = getattr(target, name)
    return None


def is_off(patch: str) -> bool:
    return patch in TURNED_OFF


def turn_off(patch: str, what: str, package: str) -> None:
    """Note once that `patch` is off because `what` is missing from `package`."""
    if patch in TURNED_OFF:
        return
    why = f"{what} is not in {package} {_version(package)}"
    TURNED_OFF[patch] = why
    LOGGER.warning("aws-mfa-tui: %s", _line(patch, why))
    if _listener is not None:
        _listener(_line(patch, why))


def listen(listener: Callable[[str], None] | None) -> None:
    """Also hand each line to `listener` (from any thread), starting with those said
    already in this process."""
    global _listener
    _listener = listener
    if listener is not None:
        for patch, why in list(TURNED_OFF.items()):
            listener(_line(patch, why))


def _line(patch: str, why: str) -> str:
    return f"{patch} is off ({why}); everything else works as before"


def refuse(promise: str, what: str, package: str) -> InternalsChanged:
    """The error for a patch that a promise depends on."""
    return InternalsChanged(
        f"{what} is not in {package} {_version(package)}, and aws-mfa-tui needs it for "
        f"{promise}, so no AWS call was sent: install the {package} range aws-mfa-tui is "
        "tested with (pip install -U aws-mfa-tui)"
    )


def _name_of(owner: Any) -> str:
    name = getattr(owner, "__qualname__", None) or getattr(owner, "__name__", None)
    if name is None:
        name = type(owner).__qualname__
    module = getattr(owner, "__module__", None) if not hasattr(owner, "__path__") else None
    return f"{module}.{name}" if module and isinstance(module, str) else str(name)


def _version(package: str) -> str:
    try:
        from importlib.metadata import version

        return version(package)
    except Exception:  # (not installed as a distribution: say nothing)
        return "(version unknown)"
