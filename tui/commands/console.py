"""`console PROFILE [--print]`: open the AWS console for a role session, as aws-vault's
`login` does. The sign-in URL is a credential: it is printed only with --print; otherwise
the browser is handed a private local page that sends it on (`console_handoff`), so the
URL is on no command line."""

from __future__ import annotations

import argparse

from tui.commands.context import data, notice, service_from
from tui.commands.session_handoff import usable_session
from tui.engine.console_handoff import open_in_browser
from tui.engine.console_signin import console_url_for
from tui.engine.errors import UsageError


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
    if service.catalog().role(args.profile) is not None:
        usable_session(service, args.profile)  # refreshed first when due
    url = console_url_for(service, args.profile)
    if args.print:
        data(url)
    elif not open_in_browser(url):
        raise UsageError("no browser found: run with --print to get the URL")
    else:
        notice(f"opened the console for {args.profile} in a browser")
    return 0
