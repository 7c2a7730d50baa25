"""`credential-process PROFILE`: the JSON `credential_process` in ~/.aws/config expects.

    [profile work-auto]
    credential_process = aws-mfa-tui credential-process work

Refreshes first when the session is missing or expiring and a code source is available
(mfa_command, askpass). Secrets go to stdout only: that is this command's job."""

from __future__ import annotations

from tui.commands.common_options import one_profile
from tui.engine.named_tuple import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def options(parser: argparse.ArgumentParser) -> None:
    one_profile(parser)


def run(args: argparse.Namespace) -> int:
    # Imported here, not above: the option is declared before the agent is asked, and an
    # agent's answer needs none of this (tui/commands/agent_first.py).
    import json

    from tui.commands.context import data, service_from
    from tui.commands.session_handoff import usable_session
    from tui.engine.credential_values import format_expiration

    service = service_from(args)
    credentials = usable_session(service, args.profile)
    data(json.dumps({
        "Version": 1,
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key.reveal(),
        "SessionToken": credentials.session_token.reveal(),
        "Expiration": format_expiration(credentials.expiration),
    }))
    return 0
