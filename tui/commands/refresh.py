"""`refresh PROFILE...`: new MFA sessions for identity profiles (all of them by default)."""

from __future__ import annotations

import argparse

from tui.commands.agent_first import agent_session
from tui.commands.common_options import code_options, duration, profile_names
from tui.commands.context import no_identities_hint, notice, service_from
from tui.commands.report import report_result
from tui.engine.errors import AwsMfaError
from tui.engine.mfa.codes import choose_code_source


def options(parser: argparse.ArgumentParser) -> None:
    profile_names(parser, help="identity profiles (default: every identity profile)")
    code_options(parser)
    duration(parser, help="session length, 900-129600 (default 43200, or the setting)")
    parser.add_argument("--force", action="store_true", help="refresh even if still fresh")


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
    catalog = service.catalog()
    names = args.profiles or [identity.name for identity in catalog.identities]
    if not names:
        notice(no_identities_hint(args.credentials_file, catalog.credentials))
        return 2
    status = 0
    for index, name in enumerate(names):
        identity = catalog.identity(name)
        if agent_session(args, identity.name) is not None:
            catalog = service.catalog()  # the agent renewed it if it was due: read it again
        source = choose_code_source(args.token_code, identity.mfa_command)
        try:
            result = service.refresh(identity.name, source, duration=args.duration,
                                     force=args.force, serial=args.serial_number,
                                     # Just read: the first needn't read it again.
                                     catalog=catalog if index == 0 else None)
        except AwsMfaError as exc:
            if len(names) == 1:
                raise
            notice(f"{identity.name}: {exc}")
            status = status or exc.exit_code
            continue
        report_result(result, service.clock())
    return status
