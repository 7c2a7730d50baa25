"""Commands that hand out a session ask the agent first (the open TUI, or `watch`).

`credential-process`, `env` and `exec` (and `exec --server`'s endpoint, in exec.py) take
the session from the agent when its socket answers: a fresh one from its memory, a due one
from its one renewal, with a code typed in the TUI. `console` and a plain `refresh` (no
--token-code, --force, --duration or --serial-number) have the agent renew what is due
first, then go on as usual. With no agent, with a code given for
this run (AWS_MFA_TOKEN_CODE), or when the agent has no way to ask for a code, the command
does what it does without one. The agent's errors are today's one line and exit code.

`credential-process` through the agent imports neither the command modules nor any AWS
library and parses no file: it runs every time an SDK needs credentials.
"""

from __future__ import annotations

import os
import sys

from tui.commands import AGENT_SERVED
from tui.engine.named_tuple import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from tui.engine.credential_values import SessionCredentials



def agent_session(args: argparse.Namespace, profile: str | None = None
                  ) -> dict[str, str] | None:
    """The agent's session for `profile` (args.profile), renewed by the agent when due, or
    None to go without the agent."""
    if os.environ.get("AWS_MFA_TOKEN_CODE") or getattr(args, "demo", False) or (
            args.command == "refresh" and any(getattr(args, o, None) for o in _OWN_WAY)):
        return None
    from tui.commands.file_paths import files_of
    from tui.engine.agent.client import session_from_agent

    return session_from_agent(profile or args.profile, files_of(args))


#: `refresh` options that ask for a renewal of its own: the agent isn't asked.
_OWN_WAY = ("token_code", "force", "duration", "serial_number")


def answered_by_agent(args: argparse.Namespace) -> int | None:
    """The command's exit status when the agent served it; None to run it as usual."""
    if args.command not in AGENT_SERVED or getattr(args, "server", False):
        return None
    session = agent_session(args)
    if session is None:
        return None
    if args.command == "credential-process":
        return print_credential_process(session)
    from tui.commands.session_handoff import environment

    variables = environment(credentials_of(session), session.get("Region"))
    if args.command == "env":
        from tui.commands.context import data
        from tui.commands.env import render

        data(render(variables, args.format))
        return 0
    from tui.commands.exec import command_of, replace_with

    return replace_with(command_of(args), variables, args.profile)


def print_credential_process(session: dict[str, str]) -> int:
    import json

    sys.stdout.write(json.dumps({
        "Version": 1, "AccessKeyId": session["AccessKeyId"],
        "SecretAccessKey": session["SecretAccessKey"],
        "SessionToken": session["SessionToken"], "Expiration": session["Expiration"],
    }) + "\n")
    sys.stdout.flush()
    return 0


def plain_credential_process(argv: list[str]) -> int | None:
    """`credential-process PROFILE`, exactly so, answered by the agent before any option
    parsing (argparse and what it imports are a third of the cost); None otherwise."""
    if len(argv) != 2 or argv[0] != "credential-process" or argv[1].startswith("-") \
            or os.environ.get("AWS_MFA_TOKEN_CODE"):
        return None
    from tui.commands.file_paths import (
        default_config_file,
        default_credentials_file,
        default_settings_file,
    )
    from tui.engine.agent.client import session_from_agent

    files = [default_credentials_file(), default_config_file(), default_settings_file()]
    session = session_from_agent(argv[1], files)
    return None if session is None else print_credential_process(session)


def credentials_of(session: dict[str, str]) -> SessionCredentials:
    from tui.engine.credential_values import SessionCredentials, parse_expiration
    from tui.engine.errors import AwsMfaError
    from tui.engine.secret import Secret

    expiration = parse_expiration(session["Expiration"])
    if expiration is None:
        raise AwsMfaError("the agent sent a session without an expiry")
    return SessionCredentials(session["AccessKeyId"], Secret(session["SecretAccessKey"]),
                              Secret(session["SessionToken"]), expiration)


def serve_for_watch(service):  # (SessionService) -> AgentServer | None
    """`watch` as the agent: codes from the mfa_command or askpass; with neither, the
    client asks itself. None when another agent serves (the TUI, another watch)."""
    from tui.commands.context import notice
    from tui.engine.agent.server import AgentRunning, agent_for
    from tui.engine.errors import AwsMfaError
    from tui.engine.mfa.codes import AskpassPrompt, find_askpass

    def code_source(requester):  # (Requester) -> MfaCodeSource | None
        askpass = find_askpass()
        return AskpassPrompt(askpass) if askpass else None

    try:
        agent = agent_for(service, log=notice, code_source=code_source).start()
    except AgentRunning as exc:
        notice(f"{exc}: this watch doesn't")
        return None
    except (OSError, AwsMfaError) as exc:
        notice(f"agent: not serving ({getattr(exc, 'strerror', None) or exc})")
        return None
    notice(f"agent: serving this user's programs at {agent.path}")
    return agent
