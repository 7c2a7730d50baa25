"""A `SessionService` on the sandbox's files (see the `sandbox_home` fixture)."""

from __future__ import annotations

from typing import Any

from tui.engine.mfa.codes import UsedCodes
from tui.engine.profiles.catalog import Paths
from tui.engine.sessions.service import SessionService


def sandbox_service(sandbox, *, used_codes: UsedCodes | None = None,
                    **kwargs: Any) -> SessionService:
    """A service on the sandbox's files, with its own memory of used codes unless given
    one (the machine-wide `SENT_CODES`, say)."""
    paths = Paths(sandbox.credentials, sandbox.config, sandbox.settings)
    return SessionService(paths, used_codes=used_codes or UsedCodes(), **kwargs)
