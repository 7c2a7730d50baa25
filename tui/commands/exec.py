"""`exec PROFILE -- CMD...`: run CMD with the session in its environment.

The process is replaced by CMD (os.execvpe), so its exit status and signals pass through
unchanged. Secrets travel in the environment, never in argv. The session goes in; an MFA
code never does (AWS_MFA_TOKEN_CODE, or what other tools call theirs).

`exec --server PROFILE -- CMD...`: CMD gets no keys, but a credentials endpoint on
127.0.0.1 (AWS_CONTAINER_CREDENTIALS_FULL_URI) and its token (AWS_CONTAINER_AUTHORIZATION_
TOKEN), which every SDK reads and reads again as the session nears its end; the endpoint
renews it ahead of expiry, so CMD outlives a role's one-hour session. It lives as long as
CMD, whose exit status is ours (128 + N when a signal N ended it)."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping

from tui.commands.common_options import one_profile
from tui.commands.context import service_from
from tui.commands.session_handoff import environment, region_of, usable_session
from tui.engine.errors import UsageError


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", action="store_true",
                        help="give CMD a credentials endpoint on 127.0.0.1 instead of keys; "
                        "it renews the session ahead of expiry for as long as CMD runs")
    one_profile(parser)
    parser.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD ...")


def run(args: argparse.Namespace) -> int:
    command = command_of(args)
    if getattr(args, "server", False):
        return run_with_endpoint(args, command)
    service = service_from(args)
    catalog = service.catalog()  # this command's one read of the files
    return replace_with(command, environment(usable_session(service, args.profile, catalog),
                                             region_of(catalog, args.profile)), args.profile)


def command_of(args: argparse.Namespace) -> list[str]:
    command = list(args.cmd)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("exec needs a command: aws-mfa-tui exec PROFILE -- CMD ...")
    return command


def replace_with(command: list[str], variables: dict[str, str], profile: str) -> int:
    """Become `command`, with the session's `variables` in its environment."""
    env = child_environment(os.environ)
    env.update(variables)
    env["AWS_MFA_TUI_PROFILE"] = profile
    try:
        os.execvpe(command[0], command, env)  # noqa: S606 (the user's own command)
    except FileNotFoundError:
        raise UsageError(f"command not found: {command[0]}") from None
    except PermissionError:
        raise UsageError(f"command can't be run (permission denied): {command[0]}") from None
    return 0  # not reached


def run_with_endpoint(args: argparse.Namespace, command: list[str]) -> int:
    import signal
    import subprocess

    from tui.commands.context import notice
    from tui.engine.agent.credentials_endpoint import CredentialsEndpoint
    from tui.engine.agent.session_supply import RememberedSessions, Requester, SessionSupply

    service = service_from(args)
    supply: SessionSupply = RememberedSessions(service, notice=notice)
    if not os.environ.get("AWS_MFA_TOKEN_CODE"):
        # Through the agent when one answers: its renewals, its code prompt in the TUI.
        from tui.commands.file_paths import files_of
        from tui.engine.agent.session_supply import AgentSessions

        supply = AgentSessions(files_of(args), fallback=supply)
    program = os.path.basename(command[0])
    child: list[subprocess.Popen[bytes]] = []

    def requester() -> Requester:
        return Requester(program, child[0].pid if child else None)

    # The first session before CMD starts: a code is asked while the terminal is ours, and
    # a profile that can't be served fails here with today's one line and exit code.
    supply.session_for(args.profile, requester())
    with CredentialsEndpoint(supply, args.profile, requester) as endpoint:
        env = endpoint_environment(os.environ)
        env.update(endpoint.environment())
        region = region_of(service.catalog(), args.profile)
        if region and not any(os.environ.get(n) for n in ("AWS_REGION", "AWS_DEFAULT_REGION")):
            env.update(AWS_REGION=region, AWS_DEFAULT_REGION=region)
        env["AWS_MFA_TUI_PROFILE"] = args.profile
        # Ctrl-C reaches CMD from the terminal itself: a second copy from us would make
        # programs that stop gracefully on the first (terraform) stop hard. Others pass on.
        forwarded = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
                     signal.SIGUSR2)
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, *forwarded)}
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            try:
                child.append(subprocess.Popen(command, env=env))
            except FileNotFoundError:
                raise UsageError(f"command not found: {command[0]}") from None
            except PermissionError:
                raise UsageError(
                    f"command can't be run (permission denied): {command[0]}") from None
            for sig in forwarded:
                signal.signal(sig, lambda signum, _frame: child[0].send_signal(signum))
            status = child[0].wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return status if status >= 0 else 128 - status


#: Variables that would make an SDK take keys from elsewhere before the endpoint: static
#: keys, another container endpoint or token file, and the shared credentials file (its
#: [default] is read before the container provider).
_NOT_WITH_ENDPOINT = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
)


def endpoint_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The child's environment for `--server`: ours without codes, profile names or keys,
    with the credentials file pointed at an empty one."""
    env = {name: value for name, value in child_environment(environ).items()
           if name not in _NOT_WITH_ENDPOINT}
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


#: A profile name could point the command elsewhere.
_PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
#: Where MFA codes are kept: AWS_MFA_TOKEN_CODE (ours), MFA_CODE, AWS_MFA_OTP, TOTP_CODE...
_CODE_VARIABLE = re.compile(r"(?:TOKEN|MFA|OTP|TOTP)_?CODE$|(?:^|_)T?OTP$", re.IGNORECASE)


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Our environment minus profile names and every variable that may hold a code."""
    return {name: value for name, value in environ.items()
            if name not in _PROFILE_VARIABLES and not _CODE_VARIABLE.search(name)}
