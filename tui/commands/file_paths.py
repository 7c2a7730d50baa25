"""Where the files a command reads are: the credentials file, the config file and the
settings, each from its environment variable or its usual place. Kept apart from `cli` so
the agent's fast path (`agent_first`) and `exec` can name them without importing the
command line back."""

from __future__ import annotations

import os
from pathlib import Path

from tui.engine.named_tuple import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


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


def files_of(args: argparse.Namespace) -> list[str]:
    """The three files of a parsed command line, in the order the agent keys sessions by."""
    return [args.credentials_file, args.config_file, args.settings]
