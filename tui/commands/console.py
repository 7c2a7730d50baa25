"""`console PROFILE [--print]`: open the AWS console for a role session, as aws-vault's
`login` does. The sign-in URL is a credential: it is printed only with --print; otherwise
it is handed to the browser (which, as with aws-vault, receives it in its argv)."""

from __future__ import annotations

import argparse
import webbrowser

from tui.commands.context import data, notice, service_from
from tui.commands.session_use import usable_session
from tui.engine.console_signin import RoleSession, SigninError, console_url, partition_of
from tui.engine.errors import AwsAuthError, UsageError


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
    catalog = service.catalog()
    role = catalog.role(args.profile)
    if role is None:
        for identity in catalog.identities:
            if args.profile in (identity.name, identity.session_profile):
                roles = ", ".join(r.name for r in catalog.roles_of(identity.name)) or "none"
                raise UsageError(
                    f"{args.profile} is an MFA session (GetSessionToken), which the console "
                    f"federation endpoint refuses: use one of its roles ({roles})"
                )
        raise UsageError(f"{args.profile} is not a role profile")
    credentials = usable_session(service, args.profile)
    session = RoleSession(credentials.access_key_id, credentials.secret_access_key.reveal(),
                          credentials.session_token.reveal())
    try:
        url = console_url(session, partition_of(role.role_arn))
    except SigninError as exc:
        raise AwsAuthError(str(exc)) from None
    if args.print:
        data(url)
    elif not webbrowser.open(url):
        raise UsageError("no browser found: run with --print to get the URL")
    else:
        notice(f"opened the console for {args.profile} in a browser")
    return 0
