"""`init PROFILE`: find the profile's MFA device through IAM and remember it in settings."""

from __future__ import annotations

import argparse
import sys

from tui.commands.context import notice, service_from
from tui.engine.errors import UsageError


def _choose(serials: list[str]) -> str:
    if not sys.stdin.isatty():
        raise UsageError(
            f"several MFA devices ({', '.join(serials)}): pass --serial-number to pick one"
        )
    for number, serial in enumerate(serials, 1):
        print(f"  {number}) {serial}", file=sys.stderr)
    answer = input("Which device? ").strip()
    if not answer.isdigit() or not 1 <= int(answer) <= len(serials):
        raise UsageError("no device chosen")
    return serials[int(answer) - 1]


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
    serial = service.init(args.profile, serial=args.serial_number, choose=_choose)
    identity = service.catalog().identity(args.profile)
    notice(f"{identity.name}: MFA device {serial}")
    notice(f"sessions go to [{identity.session_profile}]; saved in {service.paths.settings}")
    return 0
