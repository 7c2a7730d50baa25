"""`logout PROFILE...`: remove session sections from the credentials file."""

from __future__ import annotations

import argparse

from tui.commands.common_options import profile_names
from tui.commands.context import notice, service_from
from tui.engine.errors import UsageError


def options(parser: argparse.ArgumentParser) -> None:
    profile_names(parser, at_least_one=True)


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
    catalog = service.catalog()
    unknown = [
        name for name in args.profiles
        if catalog.role(name) is None and name not in catalog.credentials
        and not any(name in (i.name, i.session_profile) for i in catalog.identities)
    ]
    if unknown:
        raise UsageError(
            f"no such profile: {', '.join(unknown)} (not a role, an identity or a section "
            f"of {service.paths.credentials})"
        )
    removed = service.logout(args.profiles)
    for section in removed:
        notice(f"removed [{section}]")
    if not removed:
        notice("nothing to remove: no such session profiles")
        return 0
    notice(
        "removed from this machine only: AWS can't revoke a session, so any copy made "
        "elsewhere stays valid until it expires"
    )
    return 0
