"""`init PROFILE`: find the profile's MFA device through IAM and remember it in settings."""

from __future__ import annotations

import argparse
import sys

from tui.commands.common_options import one_profile, serial_number_option
from tui.commands.context import notice, service_from
from tui.engine.errors import AwsAuthError, UsageError
from tui.engine.mfa.codes import check_serial_shape
from tui.engine.mfa.devices import DeviceSurvey
from tui.engine.sessions.service import SessionService


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


def options(parser: argparse.ArgumentParser) -> None:
    one_profile(parser)
    serial_number_option(parser)


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
    if args.serial_number:
        args.serial_number = check_serial_shape(args.serial_number)
        check_owner(service, args.profile, args.serial_number)
    serial = service.init(args.profile, serial=args.serial_number, choose=_choose)
    identity = service.catalog().identity(args.profile)
    notice(f"{identity.name}: MFA device {serial}")
    skipped = service.devices.skipped(identity.name)
    if skipped:
        notice(f"{identity.name}: {DeviceSurvey('', (), skipped).skipped_note()}")
    notice(f"sessions go to [{identity.session_profile}]; saved in {service.paths.settings}")
    return 0


def check_owner(service: SessionService, profile: str, serial: str) -> None:
    """Where IAM lets the user list their devices, the serial must be one of them."""
    from tui.engine.aws import calls as aws_calls

    identity = service.catalog().identity(profile)
    keys = service.long_term_keys(identity)
    try:
        caller = aws_calls.get_caller_identity(keys, identity.region)
        devices = aws_calls.list_mfa_devices(keys, caller.user_name)
    except AwsAuthError:
        notice(f"{identity.name}: IAM doesn't let this key list MFA devices, so {serial} "
               "is saved unchecked")
        return
    serials = [d.serial for d in devices]
    if serial not in serials:
        raise UsageError(
            f"{serial} is not assigned to {caller.arn} (its devices: "
            f"{', '.join(serials) or 'none'})"
        )
