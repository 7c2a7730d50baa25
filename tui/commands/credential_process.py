"""`credential-process PROFILE`: the JSON `credential_process` in ~/.aws/config expects.

    [profile work-auto]
    credential_process = aws-mfa-tui credential-process work

Refreshes first when the session is missing or expiring and a code source is available
(mfa_command, askpass). Secrets go to stdout only: that is this command's job."""

from __future__ import annotations

import argparse
import json

from tui.commands.context import data, service_from
from tui.commands.session_handoff import usable_session
from tui.engine.credential_values import format_expiration


def run(args: argparse.Namespace) -> int:
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
