"""`logout PROFILE...`: remove session sections from the credentials file."""

from __future__ import annotations

import argparse

from tui.commands.context import notice, service_from


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
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
