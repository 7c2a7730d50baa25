"""Options that several commands declare the same way: the profiles a command acts on, a
session's length, JSON output, and where an MFA code comes from.

Each command's module declares its own options in `options(parser)`; those it shares with
other commands are declared here once, so their names, types and spelling can't drift apart
(`agent_first` and `cli._refuse_a_code_as_profile` read them by name). What differs from one
command to the next is the help line, which each passes in.
"""

from __future__ import annotations

from tui.engine.named_tuple import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def one_profile(parser: argparse.ArgumentParser) -> None:
    """PROFILE: the one profile the command acts on (`args.profile`)."""
    parser.add_argument("profile", metavar="PROFILE")


def profile_names(parser: argparse.ArgumentParser, help: str | None = None, *,
                  at_least_one: bool = False) -> None:
    """PROFILE ...: the profiles the command acts on (`args.profiles`), by default all."""
    parser.add_argument("profiles", nargs="+" if at_least_one else "*", metavar="PROFILE",
                        help=help)


def duration(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    """--duration SECONDS: how long the session asked for lasts (`args.duration`)."""
    parser.add_argument("--duration", type=int, metavar="SECONDS", help=help)


def json_output(parser: argparse._ActionsContainer, help: str) -> None:
    """--json: the command's output as JSON, for scripts (`args.json`)."""
    parser.add_argument("--json", action="store_true", help=help)


def code_options(parser: argparse.ArgumentParser) -> None:
    """--token-code and --serial-number (refresh, assume, rotate)."""
    parser.add_argument(
        "--token-code", metavar="CODE",
        help="the 6-digit MFA code, or `skip` for no MFA (default: $AWS_MFA_TOKEN_CODE, "
        "the profile's mfa_command, a prompt, or askpass)",
    )
    serial_number_option(parser, help="MFA device serial or ARN")


def serial_number_option(parser: argparse.ArgumentParser, help: str | None = None) -> None:
    """--serial-number ARN, checked for its shape before anything else runs."""
    parser.add_argument("--serial-number", metavar="ARN", type=serial_number, help=help)


def serial_number(text: str) -> str:
    """--serial-number is checked for its shape before anything else (as `init` does)."""
    from tui.engine.mfa.codes import check_serial_shape

    return check_serial_shape(text)
