"""The command line: `aws-mfa-tui [global options] [COMMAND ...]`.

With no command it opens the TUI. Commands run the same engine headless, for scripts,
shell prompts, tmux status lines and services. Prompts and notices go to stderr, data to
stdout. Errors are one line on stderr and a documented exit code, never a traceback.

This module imports neither textual nor boto3 at start-up (a test checks it): `status
--short` runs every few seconds from tmux and must stay cheap.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tui import __version__
from tui.engine.errors import EXIT_CODES, AwsMfaError


def default_credentials_file() -> str:
    return os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or str(
        Path("~/.aws/credentials").expanduser()
    )


def default_config_file() -> str:
    return os.environ.get("AWS_CONFIG_FILE") or str(Path("~/.aws/config").expanduser())


def default_settings_file() -> str:
    explicit = os.environ.get("AWS_MFA_TUI_SETTINGS")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return str(Path(base) / "aws-mfa-tui" / "settings.toml")


def _exit_codes_epilog() -> str:
    lines = ["exit codes:"]
    lines += [f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items()]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aws-mfa-tui",
        description=(
            "Keep ~/.aws/credentials stocked with MFA sessions. With no command, opens the "
            "terminal UI."
        ),
        epilog=_exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aws-mfa-tui {__version__}")
    parser.add_argument(
        "--credentials-file", default=None, metavar="PATH",
        help="shared credentials file (default: $AWS_SHARED_CREDENTIALS_FILE or "
        "~/.aws/credentials)",
    )
    parser.add_argument(
        "--config-file", default=None, metavar="PATH",
        help="AWS config file (default: $AWS_CONFIG_FILE or ~/.aws/config)",
    )
    parser.add_argument(
        "--settings", default=None, metavar="PATH",
        help="settings TOML (default: $AWS_MFA_TUI_SETTINGS or "
        "$XDG_CONFIG_HOME/aws-mfa-tui/settings.toml)",
    )
    parser.add_argument(
        "--demo", action="store_true",
        help="run against an embedded local AWS emulator with throwaway profiles "
        "(needs the `demo` extra); never touches ~/.aws",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def code_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--token-code", metavar="CODE",
            help="the 6-digit MFA code, or `skip` for no MFA (default: $AWS_MFA_TOKEN_CODE, "
            "the profile's mfa_command, a prompt, or askpass)",
        )
        p.add_argument("--serial-number", metavar="ARN", help="MFA device serial or ARN")

    p = sub.add_parser("refresh", help="get new MFA sessions for identity profiles")
    p.add_argument("profiles", nargs="*", metavar="PROFILE",
                   help="identity profiles (default: every identity profile)")
    code_options(p)
    p.add_argument("--duration", type=int, metavar="SECONDS",
                   help="session length, 900-129600 (default 43200, or the setting)")
    p.add_argument("--force", action="store_true", help="refresh even if still fresh")

    p = sub.add_parser("assume", help="assume a role into its profile")
    p.add_argument("role", metavar="ROLE", help="a config profile with role_arn, or a role ARN")
    p.add_argument("--profile", metavar="IDENTITY", help="identity profile to start from")
    p.add_argument("--target", metavar="NAME", help="profile to write the role session into")
    p.add_argument("--duration", type=int, metavar="SECONDS")
    p.add_argument("--role-session-name", metavar="NAME")
    code_options(p)

    p = sub.add_parser("status", help="every profile with state and time left (no secrets)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="machine-readable output")
    group.add_argument("--short", action="store_true",
                       help="one compact line for tmux status-right or a shell prompt")

    p = sub.add_parser("env", help="print exports of a session for eval")
    p.add_argument("profile", metavar="PROFILE")
    p.add_argument("--format", choices=("sh", "fish", "powershell", "json"), default="sh")

    p = sub.add_parser("exec", help="run a command with a session in its environment")
    p.add_argument("profile", metavar="PROFILE")
    p.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD ...")

    p = sub.add_parser("credential-process",
                       help="print the JSON that credential_process in ~/.aws/config expects")
    p.add_argument("profile", metavar="PROFILE")

    p = sub.add_parser("logout", help="remove session profiles from the credentials file")
    p.add_argument("profiles", nargs="+", metavar="PROFILE")

    p = sub.add_parser("init", help="discover a profile's MFA device and save it in settings")
    p.add_argument("profile", metavar="PROFILE")
    p.add_argument("--serial-number", metavar="ARN")

    p = sub.add_parser("rotate", help="rotate a profile's access key without ever losing it")
    p.add_argument("profile", metavar="PROFILE")
    p.add_argument("--yes", action="store_true", help="don't ask before rotating")
    code_options(p)
    p.add_argument("--keep-old-inactive", action="store_true",
                   help="leave the old key inactive instead of deleting it")
    p.add_argument("--delete-inactive", action="store_true",
                   help="with two keys, delete the other one first if it is inactive")

    p = sub.add_parser("watch", help="headless keeper: refresh sessions before they expire")
    p.add_argument("profiles", nargs="*", metavar="PROFILE")
    p.add_argument("--once", action="store_true",
                   help="refresh whatever is due, then exit (for cron or a systemd timer)")

    sub.add_parser("policy", help="print a starter IAM policy that requires MFA")
    return parser


def resolve_paths(args: argparse.Namespace) -> argparse.Namespace:
    args.credentials_file = args.credentials_file or default_credentials_file()
    args.config_file = args.config_file or default_config_file()
    args.settings = args.settings or default_settings_file()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = resolve_paths(parser.parse_args(argv))
    demo = None
    try:
        if args.demo:
            demo = _start_demo(args)
        if args.command is None:
            return _run_app(args)
        return _run_command(args)
    except AwsMfaError as exc:
        print(f"aws-mfa-tui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("aws-mfa-tui: interrupted", file=sys.stderr)
        return 130
    finally:
        if demo is not None:
            demo.stop()


def _start_demo(args: argparse.Namespace):  # -> tui.demo.Demo
    """Point everything at a throwaway home and an in-process AWS emulator."""
    from tui.demo import start_demo

    demo = start_demo()
    args.credentials_file = str(demo.paths.credentials)
    args.config_file = str(demo.paths.config)
    args.settings = str(demo.paths.settings)
    return demo


def _run_app(args: argparse.Namespace) -> int:
    from tui.app import run_app
    from tui.commands.context import service_from

    return run_app(service_from(args), demo=args.demo)


def _run_command(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"tui.commands.{args.command.replace('-', '_')}")
    return int(module.run(args))
