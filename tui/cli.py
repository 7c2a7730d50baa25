"""The command line: `aws-mfa-tui [global options] [COMMAND ...]`.

With no command it opens the TUI. Commands run the same engine headless, for scripts,
shell prompts, tmux status lines and services. Prompts and notices go to stderr, data to
stdout. Errors are one line on stderr and a documented exit code, never a traceback.

This module imports neither textual nor boto3 at start-up (a test checks it): `status
--short` runs every few seconds from tmux and must stay cheap.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence

from tui import __version__
from tui.commands import AGENT_SERVED
from tui.commands.file_paths import (
    default_config_file,
    default_credentials_file,
    default_settings_file,
)
from tui.engine.errors import EXIT_CODES, AwsMfaError, UsageError
from tui.engine.named_tuple import TYPE_CHECKING

if TYPE_CHECKING:
    # Loaded only when a parser is built: a plain `status` line never builds one.
    import argparse
    from types import ModuleType


def _exit_codes_epilog() -> str:
    lines = ["exit codes:"]
    lines += [f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items()]
    return "\n".join(lines)


def command_line_parser(**options: object) -> argparse.ArgumentParser:
    """argparse, but a mistake is one line (exit 2) that never repeats a value typed.

    argparse's own error is a usage block plus a message that echoes what was typed
    (`unrecognized arguments: --token-code 987654`), and values typed on a command line
    include codes. Its subparsers are made with the same class.

    The class is made on first use, so that importing this module doesn't import argparse.
    """
    global _command_line_parser_class
    if _command_line_parser_class is None:
        import argparse

        class CommandLineParser(argparse.ArgumentParser):
            #: The command being run, for the "see ... --help" hint of top-level errors.
            command: str | None = None

            def error(self, message: str) -> None:  # type: ignore[override]
                hint = (f"aws-mfa-tui {self.command} --help" if self.command
                        else f"{self.prog} --help")
                raise UsageError(f"{usage_problem(message)}; see {hint}")

        _command_line_parser_class = CommandLineParser
    return _command_line_parser_class(**options)  # type: ignore[arg-type]


_command_line_parser_class: type[argparse.ArgumentParser] | None = None
# Compiled on first use (re's cache), like the parser: only errors need them.
_OPTION_NAME = r"--?[A-Za-z][A-Za-z0-9-]*"
_QUOTED = r"'[^']*'|\"[^\"]*\""


def _option_name(token: str) -> str | None:
    """`--token-code=987654` -> `--token-code`; a token that isn't an option name -> None."""
    name = token.split("=", 1)[0]
    return name if re.fullmatch(_OPTION_NAME, name) else None


def usage_problem(message: str) -> str:
    """argparse's error message, rewritten without any value that was typed."""
    prefix = ""
    argument = re.match(r"argument ([^:]+): (.*)", message)
    if argument:
        prefix, message = f"argument {argument[1]}: ", argument[2]
    if message.startswith("unrecognized arguments:"):
        tokens = message.split(":", 1)[1].split()
        names = list(dict.fromkeys(n for n in map(_option_name, tokens) if n))
        if names:
            return f"unrecognized option{'s' if len(names) > 1 else ''} {', '.join(names)}"
        return "unexpected extra argument (not shown)"
    if message.startswith("ambiguous option:"):
        typed, _, matches = message.split(":", 1)[1].strip().partition(" could match ")
        return f"ambiguous option {_option_name(typed) or '(not shown)'} could match {matches}"
    choices = re.search(r"\((?:choose from|choices:) (.*)\)$", message)
    if message.startswith(("invalid choice", "unknown parser")) and choices:
        what = "unknown command" if argument and "COMMAND" in prefix else "invalid choice"
        return f"{prefix}{what} (choose from {choices[1].replace(chr(39), '')})".replace(
            "argument COMMAND: ", "")
    invalid = re.match(r"invalid (\S+) value:", message)
    if invalid:
        return f"{prefix}invalid {invalid[1]} value (not shown)"
    if message.startswith("ignored explicit argument"):
        return f"{prefix}takes no value"
    return prefix + re.sub(_QUOTED, "(not shown)", message)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (with `only`) one that builds just that command's options."""
    import argparse

    parser = command_line_parser(
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
    parser.command = only  # type: ignore[attr-defined]
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in COMMANDS.items():
        if only is None or name == only:
            command_module(name).options(sub.add_parser(name, help=summary))
        else:
            # Listed for `--help`, but neither built nor imported: each full parser costs
            # gettext look-ups, each module its imports, and the TUI's first paint waits.
            sub.add_parser(name, help=summary, add_help=False)
    return parser


#: The commands, in `--help`'s order, each with its one line there. Each has a module under
#: tui/commands/ (`credential-process`: credential_process.py) that declares its options in
#: `options(parser)` and runs them in `run(args)`.
COMMANDS: dict[str, str] = {
    "refresh": "get new MFA sessions for identity profiles",
    "assume": "assume a role into its profile",
    "status": "every profile with state and time left (no secrets)",
    "env": "print exports of a session for eval",
    "exec": "run a command with a session in its environment",
    "credential-process": "print the JSON that credential_process in ~/.aws/config expects",
    "logout": "remove session profiles from the credentials file",
    "init": "discover a profile's MFA device and save it in settings",
    "rotate": "rotate a profile's access key without ever losing it",
    "watch": "headless keeper: refresh sessions before they expire",
    "console": "open the AWS console for a role session",
    "policy": "print a starter IAM policy that requires MFA",
    "doctor": "explain the setup: files, layouts, devices, chains, clock, keys",
}


def command_module(command: str) -> ModuleType:
    """The module of `command` (imported on first use: each imports what it runs on)."""
    import importlib

    return importlib.import_module(f"tui.commands.{command.replace('-', '_')}")


_GLOBAL_OPTIONS_WITH_VALUE = ("--credentials-file", "--config-file", "--settings")


def command_in(argv: Sequence[str]) -> str | None:
    """The command named in argv (after any global options), or None."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in _GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif token == "--":
            return None
        elif not token.startswith("-"):
            return token if token in COMMANDS else None
    return None


def _parser_scope(argv: Sequence[str]) -> str | None:
    """Which commands' options the parser builds: the command named; none ("") when no
    word of argv is a command (the TUI, `--help`, `--version`: ~8 ms of the first paint);
    every command otherwise, importing each one's module (`-- status`, `--sett P status`:
    a word argparse reads where we don't)."""
    command = command_in(argv)
    if command is None and not any(token in COMMANDS for token in argv):
        return ""
    return command


def _plain_status(argv: Sequence[str]):  # -> types.SimpleNamespace | None
    """`[--credentials-file P] [--config-file P] [--settings P] status ...`, read as argparse
    would without loading it: the global options spelled out in full, each once, then
    `status` and what its module reads plainly (`tui.commands.status.plain_options`). None
    for anything else (abbreviations, `=` forms, repeats, `--help`, errors), which goes
    through argparse. tests/commands/test_cli_options.py checks the two read alike."""
    values: dict[str, str] = {}
    at = 0
    while at < len(argv) and argv[at] in _GLOBAL_OPTIONS_WITH_VALUE:
        option = argv[at]
        if option in values or at + 1 >= len(argv) or argv[at + 1].startswith("-"):
            return None
        values[option] = argv[at + 1]
        at += 2
    if argv[at:at + 1] != ["status"]:
        return None
    from tui.commands.status import plain_options

    options = plain_options(argv[at + 1:])
    if options is None:
        return None
    import types

    return types.SimpleNamespace(
        credentials_file=values.get("--credentials-file"),
        config_file=values.get("--config-file"),
        settings=values.get("--settings"),
        demo=False,
        command="status",
        **options,
    )


def resolve_paths(args: argparse.Namespace) -> argparse.Namespace:
    args.credentials_file = args.credentials_file or default_credentials_file()
    args.config_file = args.config_file or default_config_file()
    args.settings = args.settings or default_settings_file()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    whole_process = argv is None  # the console script, not a caller in a longer process
    argv = list(sys.argv[1:] if argv is None else argv)
    demo = None
    short_lived = False
    try:
        if argv[:1] == ["credential-process"]:  # run by SDKs for every set of credentials
            from tui.commands.agent_first import plain_credential_process

            answered = plain_credential_process(argv)
            if answered is not None:
                return answered
        if whole_process and command_in(argv) == "status":
            short_lived = _short_lived()
        fast = _plain_status(argv)
        if fast is None:
            args = resolve_paths(build_parser(only=_parser_scope(argv)).parse_args(argv))
        else:
            args = resolve_paths(fast)  # type: ignore[arg-type]
        _refuse_a_code_as_profile(args)
        if args.demo:
            demo = _start_demo(args)
        if args.command is None:
            return _run_app(args, demo)
        return _run_command(args)
    except AwsMfaError as exc:
        print(f"aws-mfa-tui: {with_help_hint(exc, argv)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        print(f"aws-mfa-tui: {exc or 'interrupted'}", file=sys.stderr)
        return 130
    except Exception as exc:
        # A bug of ours. Tracebacks can carry values near secrets: show one only on request.
        if os.environ.get("AWS_MFA_TUI_DEBUG"):
            raise
        print(
            f"aws-mfa-tui: unexpected error ({type(exc).__name__}); nothing more was changed. "
            "Set AWS_MFA_TUI_DEBUG=1 to see the traceback when reporting it",
            file=sys.stderr,
        )
        return 1
    finally:
        if demo is not None:
            demo.stop()
        if short_lived:
            import gc

            gc.freeze()  # nothing left to collect at exit: skip walking every module again


def with_help_hint(exc: AwsMfaError, argv: Sequence[str]) -> str:
    """A usage error (an unknown name, a bad value) ends with where to read what the
    command accepts: `...; see aws-mfa-tui refresh --help`."""
    message = str(exc)
    if not isinstance(exc, UsageError) or message.endswith("--help"):
        return message
    command = command_in(argv)
    return f"{message}; see aws-mfa-tui {command + ' ' if command else ''}--help"


def _refuse_a_code_as_profile(args: argparse.Namespace) -> None:
    """A PROFILE that looks like an MFA code is a code typed in the wrong place: refused
    before anything runs, and never echoed (an unknown profile's error names it)."""
    names = [*(getattr(args, "profiles", None) or ()),
             *(getattr(args, name, None) for name in ("profile", "role", "target"))]
    for name in names:
        if isinstance(name, str) and re.fullmatch(r"\s*\d{3}[\s-]?\d{3}\s*", name):
            raise UsageError(
                "a profile argument looks like an MFA code (not shown): pass a code with "
                f"--token-code; see aws-mfa-tui {args.command} --help")


def _short_lived() -> bool:
    """`status` in its own process reads two files, prints and ends. The cyclic garbage
    collector would only walk the modules it imports, over and over while they load and
    once more at exit (about a tenth of the run): off until exit, then skipped."""
    import gc

    gc.disable()
    return True


def _start_demo(args: argparse.Namespace):  # -> tui.demo.Demo
    """Point everything at a throwaway home and an in-process AWS emulator. The TUI
    starts the emulator itself after its first paint; a command waits for it here."""
    from tui.demo import prepare_demo, start_demo

    demo = prepare_demo() if args.command is None else start_demo()
    args.credentials_file = str(demo.paths.credentials)
    args.config_file = str(demo.paths.config)
    args.settings = str(demo.paths.settings)
    return demo


def _run_app(args: argparse.Namespace, demo=None) -> int:  # demo: tui.demo.Demo | None
    from tui.app import run_app
    from tui.commands.context import service_from

    return run_app(service_from(args), demo=demo)


def _run_command(args: argparse.Namespace) -> int:
    if args.command in AGENT_SERVED:
        from tui.commands.agent_first import answered_by_agent

        # the open TUI's (or watch's) session, when it has one
        answered = answered_by_agent(args)
        if answered is not None:
            return answered
    return int(command_module(args.command).run(args))
