"""`console PROFILE [--print] [--duration S] [--service NAME | --path /x] [--federation]`:
open the AWS console for a role session, as aws-vault's `login` does, or (--federation)
for a GetFederationToken session of an identity, as Granted does. The sign-in URL is a
credential: it is printed only with --print; otherwise the browser (the profile's `browser`
setting, else the default one) is handed a private local page that sends it on
(`console.handoff`), so the URL is on no command line."""

from __future__ import annotations

import argparse

from tui.commands.agent_first import agent_session
from tui.commands.common_options import duration, one_profile
from tui.commands.context import data, notice, service_from
from tui.commands.session_handoff import usable_session
from tui.engine.console.handoff import open_in_browser
from tui.engine.console.signin import (
    NO_MFA_CONTEXT,
    ConsoleRequest,
    browser_for,
    console_url_for,
)
from tui.engine.errors import UsageError


def options(parser: argparse.ArgumentParser) -> None:
    one_profile(parser)
    parser.add_argument("--print", action="store_true",
                        help="print the sign-in URL (a credential) instead of opening a browser")
    duration(parser, help="console session length: 900-43200 for a role (default: "
             "AWS's), 900-129600 with --federation (default 3600)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--service", metavar="NAME", help="open this service's page, e.g. s3")
    where.add_argument("--path", metavar="/PATH", help="open this path under the console")
    parser.add_argument("--federation", action="store_true",
                        help="for an identity: a GetFederationToken session from its "
                        "long-term key (no MFA context)")


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
    request = ConsoleRequest(duration=args.duration, service=args.service, path=args.path,
                             federation=args.federation)
    catalog = service.catalog()
    if catalog.role(args.profile) is not None and not args.federation \
            and agent_session(args) is None:
        usable_session(service, args.profile, catalog)  # refreshed first when due
    url = console_url_for(service, args.profile, request)
    if args.federation:
        notice(f"note: {NO_MFA_CONTEXT}")
    if args.print:
        data(url)
    elif not open_in_browser(url, browser_for(service, args.profile)):
        raise UsageError("no browser found: set `browser` in settings, or run with --print "
                         "to get the URL")
    else:
        notice(f"opened the console for {args.profile} in a browser")
    return 0
