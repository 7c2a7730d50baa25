"""`exec PROFILE -- CMD...`: run CMD with the session in its environment.

The process is replaced by CMD (os.execvpe), so its exit status and signals pass through
unchanged. Secrets travel in the environment, never in argv."""

from __future__ import annotations

import argparse
import os

from tui.commands.context import service_from
from tui.commands.session_use import environment, region_of, usable_session
from tui.engine.errors import UsageError


def run(args: argparse.Namespace) -> int:
    command = list(args.cmd)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("exec needs a command: aws-mfa-tui exec PROFILE -- CMD ...")
    service = service_from(args)
    env = dict(os.environ)
    # A profile name in the environment could point the command elsewhere.
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        env.pop(name, None)
    env.update(environment(usable_session(service, args.profile),
                           region_of(service, args.profile)))
    env["AWS_MFA_TUI_PROFILE"] = args.profile
    try:
        os.execvpe(command[0], command, env)  # noqa: S606 (the user's own command)
    except FileNotFoundError:
        raise UsageError(f"command not found: {command[0]}") from None
    except PermissionError:
        raise UsageError(f"command can't be run (permission denied): {command[0]}") from None
    return 0  # not reached
