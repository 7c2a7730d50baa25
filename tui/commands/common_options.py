"""Options that several commands declare the same way: where an MFA code comes from.

Each command's module declares its own options in `options(parser)`; those it shares with
other commands are declared here once, so their spelling and help can't drift apart.
"""

from __future__ import annotations

from tui.engine.named_tuple import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def code_options(parser: argparse.ArgumentParser) -> None:
    """--token-code and --serial-number (refresh, assume, rotate)."""
    parser.add_argument(
        "--token-code", metavar="CODE",
        help="the 6-digit MFA code, or `skip` for no MFA (default: $AWS_MFA_TOKEN_CODE, "
        "the profile's mfa_command, a prompt, or askpass)",
    )
    parser.add_argument("--serial-number", metavar="ARN", type=serial_number,
                        help="MFA device serial or ARN")


def serial_number(text: str) -> str:
    """--serial-number is checked for its shape before anything else (as `init` does)."""
    from tui.engine.mfa_code import check_serial_shape

    return check_serial_shape(text)
