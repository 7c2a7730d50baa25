"""`exec PROFILE -- CMD...`: run CMD with the session in its environment.

The process is replaced by CMD (os.execvpe), so its exit status and signals pass through
unchanged. Secrets travel in the environment, never in argv. The session goes in; an MFA
code never does (AWS_MFA_TOKEN_CODE, or what other tools call theirs)."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping

from tui.commands.context import service_from
from tui.commands.session_handoff import environment, region_of, usable_session
from tui.engine.errors import UsageError


def run(args: argparse.Namespace) -> int:
    command = list(args.cmd)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("exec needs a command: aws-mfa-tui exec PROFILE -- CMD ...")
    service = service_from(args)
    catalog = service.catalog()  # this command's one read of the files
    env = child_environment(os.environ)
    env.update(environment(usable_session(service, args.profile, catalog),
                           region_of(catalog, args.profile)))
    env["AWS_MFA_TUI_PROFILE"] = args.profile
    try:
        os.execvpe(command[0], command, env)  # noqa: S606 (the user's own command)
    except FileNotFoundError:
        raise UsageError(f"command not found: {command[0]}") from None
    except PermissionError:
        raise UsageError(f"command can't be run (permission denied): {command[0]}") from None
    return 0  # not reached


#: A profile name could point the command elsewhere.
_PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
#: Where MFA codes are kept: AWS_MFA_TOKEN_CODE (ours), MFA_CODE, AWS_MFA_OTP, TOTP_CODE...
_CODE_VARIABLE = re.compile(r"(?:TOKEN|MFA|OTP|TOTP)_?CODE$|(?:^|_)T?OTP$", re.IGNORECASE)


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Our environment minus profile names and every variable that may hold a code."""
    return {name: value for name, value in environ.items()
            if name not in _PROFILE_VARIABLES and not _CODE_VARIABLE.search(name)}
