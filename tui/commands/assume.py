"""`assume ROLE`: a role session in its target profile, chained from the MFA session when
that is valid (no code needed), else from the long-term keys with an MFA code."""

from __future__ import annotations

import argparse

from tui.commands.common_options import code_options, duration
from tui.commands.context import notice, service_from
from tui.commands.report import report_result
from tui.engine.mfa.codes import choose_code_source
from tui.engine.sessions.service import RefreshResult, SessionService
from tui.engine.settings import RoleSettings


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("role", metavar="ROLE",
                        help="a config profile with role_arn, or a role ARN")
    parser.add_argument("--profile", metavar="IDENTITY", help="identity profile to start from")
    parser.add_argument("--target", metavar="NAME",
                        help="profile to write the role session into")
    duration(parser)
    parser.add_argument("--role-session-name", metavar="NAME")
    code_options(parser)


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
    if role is None:
        remember_role(service, args, result)
    return 0


def remember_role(service: SessionService, args: argparse.Namespace,
                  result: RefreshResult) -> None:
    """A role assumed by ARN becomes a `[roles.NAME]` in settings (NAME = its target), so
    `status`, the TUI and `watch` list it and keep it fresh."""
    settings = service.reload_settings()
    name = result.target
    if name in settings.roles or service.catalog().role(name) is not None:
        return
    roles = dict(settings.roles)
    roles[name] = RoleSettings(
        name=name, role_arn=args.role, source_profile=args.profile, target=name,
        duration=args.duration, role_session_name=args.role_session_name,
    )
    service.save_settings(settings._replace(roles=roles))
    notice(f"remembered role {name} in {service.paths.settings}; it is now kept fresh")
