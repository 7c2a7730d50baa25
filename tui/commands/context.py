"""What every command needs: the session service built from the global options, and
one way to print notices (stderr) and data (stdout)."""

from __future__ import annotations

import os
import sys

from tui.engine.named_tuple import TYPE_CHECKING
from tui.engine.profiles.catalog import Paths
from tui.engine.settings import Settings, load_settings

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from tui.engine.sessions.service import SessionService


def paths_from(args: argparse.Namespace) -> Paths:
    from pathlib import Path  # (not at the top: `status` reads the files by name)

    return Paths(
        credentials=Path(args.credentials_file),
        config=Path(args.config_file),
        settings=Path(args.settings),
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings, with any warnings (unknown keys) told once on stderr."""
    settings = load_settings(args.settings)
    for warning in settings.warnings:
        notice(f"warning: {warning}")
    return settings


def service_from(args: argparse.Namespace) -> SessionService:
    from tui.engine.sessions.service import SessionService

    return SessionService(paths_from(args), settings=settings_from(args), notice=notice)


def notice(message: str) -> None:
    """A one-line message for the person at the terminal (stderr, never data)."""
    print(f"aws-mfa-tui: {message}", file=sys.stderr, flush=True)


def data(text: str) -> None:
    """Output meant for a pipe, eval or a status bar (stdout)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def no_identities_hint(credentials_file: str | Path, sections: dict[str, dict[str, str]]
                       ) -> str:
    """Why no identity profile was found, naming the file and how to start."""
    path = os.fspath(credentials_file)
    start = ("add one with `aws configure --profile NAME` (access key id and secret), "
             "then `aws-mfa-tui refresh NAME`")
    if not os.path.exists(path):
        return f"no credentials file at {path}: {start}"
    if not sections:
        return f"{path} has no profiles: {start}"
    halves = half_keys(sections)
    if halves:
        return f"no identity profiles in {path}: {halves[0]}"
    return f"no identity profiles with long-term keys in {path}: {start}"


def half_keys(sections: dict[str, dict[str, str]]) -> list[str]:
    """A line for each section with a key id but no secret (a half-finished profile)."""
    return [
        f"[{name}] has aws_access_key_id but no aws_secret_access_key: add the secret "
        f"(`aws configure --profile {name}`)"
        for name, values in sections.items()
        if values.get("aws_access_key_id") and not values.get("aws_secret_access_key")
    ]
