"""Where the files a command reads are: the credentials file, the config file and the
settings, each from its environment variable or its usual place. Kept apart from `cli` so
the agent's fast path (`agent_first`) and `exec` can name them without importing the
command line back. Plain strings (`os.path`): `status --short` never loads pathlib, whose
imports (urllib.parse, ipaddress, fnmatch) cost about 3.5 ms a run."""

from __future__ import annotations

import os

from tui.engine.named_tuple import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def default_credentials_file() -> str:
    return os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.expanduser(
        "~/.aws/credentials")


def default_config_file() -> str:
    return os.environ.get("AWS_CONFIG_FILE") or os.path.expanduser("~/.aws/config")


def default_settings_file() -> str:
    explicit = os.environ.get("AWS_MFA_TUI_SETTINGS")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return os.path.join(base, "aws-mfa-tui", "settings.toml")


def files_of(args: argparse.Namespace) -> list[str]:
    """The three files of a parsed command line, in the order the agent keys sessions by."""
    return [args.credentials_file, args.config_file, args.settings]
