"""`assume ROLE`: a role session in its target profile, chained from the MFA session when
that is valid (no code needed), else from the long-term keys with an MFA code."""

from __future__ import annotations

import argparse

from tui.commands.context import service_from
from tui.commands.report import report_result
from tui.engine.mfa_code import choose_code_source


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
    catalog = service.catalog()
    role = catalog.role(args.role)
    identity_name = args.profile or (role.identity if role else None)
    mfa_command = catalog.identity(identity_name).mfa_command if identity_name else None
    source = choose_code_source(args.token_code, mfa_command)
    result = service.assume(
        args.role, source, identity_name=args.profile, target=args.target,
        duration=args.duration, role_session_name=args.role_session_name,
        serial=args.serial_number,
    )
    report_result(result, service.clock())
    return 0
