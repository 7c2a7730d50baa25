"""`env PROFILE`: exports for `eval "$(aws-mfa-tui env work)"` (sh, fish, PowerShell, JSON).

This command's job is to emit secrets: they go to stdout only, never to stderr or argv."""

from __future__ import annotations

import argparse
import json
import shlex

from tui.commands.common_options import one_profile
from tui.commands.context import data, service_from
from tui.commands.session_handoff import environment, region_of, usable_session


def options(parser: argparse.ArgumentParser) -> None:
    one_profile(parser)
    parser.add_argument("--format", choices=("sh", "fish", "powershell", "json"), default="sh")


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
    catalog = service.catalog()  # this command's one read of the files
    variables = environment(usable_session(service, args.profile, catalog),
                            region_of(catalog, args.profile))
    data(render(variables, args.format))
    return 0


def render(variables: dict[str, str], shell: str) -> str:
    if shell == "json":
        return json.dumps(variables, indent=2)
    lines = []
    for name, value in variables.items():
        if shell == "fish":
            lines.append(f"set -gx {name} {shlex.quote(value)};")
        elif shell == "powershell":
            escaped = value.replace("'", "''")
            lines.append(f"$Env:{name} = '{escaped}'")
        else:
            lines.append(f"export {name}={shlex.quote(value)}")
    return "\n".join(lines)
