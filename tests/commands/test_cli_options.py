"""The command line's options, held still against golden files: `aws-mfa-tui --help`, each
`aws-mfa-tui COMMAND --help`, and what a list of argument lines (good and bad) parses to.

The help text shows each option's name, metavar, help and grouping; the parsed lines show
what it doesn't (types, defaults, choices, `nargs`, the one-line usage errors). Regenerate
with CLI_GOLDEN_UPDATE=1 after a change that is meant, and read the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tui.cli import COMMANDS, _parser_scope, build_parser, main
from tui.engine.errors import UsageError

GOLDEN = Path(__file__).parent / "golden"
HELP = GOLDEN / "help"
PARSED = GOLDEN / "parsed_argv.json"
UPDATE = bool(os.environ.get("CLI_GOLDEN_UPDATE"))

#: Argument lines for every command: each option at least once, and mistakes of each kind.
ARGV_LINES: list[list[str]] = [
    [], ["--demo"], ["--credentials-file", "/c", "--config-file", "/k", "--settings", "/s"],
    ["--credentials-file=/c", "status"], ["--nope"], ["nope"], ["--settings"],
    ["--", "status"], ["--settings", "status"],
    ["refresh"], ["refresh", "a", "b", "--force", "--duration", "3600"],
    ["refresh", "--token-code", "123456", "--serial-number", "GAHT12345678"],
    ["refresh", "--serial-number", "arn:aws:iam::123456789012:mfa/alice"],
    ["refresh", "--serial-number", "bad serial"], ["refresh", "--duration", "x"],
    ["refresh", "--dur", "900"], ["refresh", "--token-code"], ["refresh", "--forc=1"],
    ["refresh", "a", "--nope", "--token-code=123456"],
    ["assume", "admin"], ["assume"],
    ["assume", "arn:aws:iam::123456789012:role/Admin", "--profile", "work", "--target", "t",
     "--duration", "900", "--role-session-name", "me", "--token-code", "skip"],
    ["status"], ["status", "--short", "--width", "40", "a", "b"], ["status", "--json", "a"],
    ["status", "--short", "--json"], ["status", "--width", "wide"], ["status", "--sh"],
    ["env", "p"], ["env", "p", "--format", "fish"], ["env", "p", "--format", "csh"], ["env"],
    ["exec", "p", "--", "aws", "s3", "ls"], ["exec", "--server", "p", "env"], ["exec", "p"],
    ["exec"],
    ["credential-process", "p"], ["credential-process"], ["credential-process", "p", "q"],
    ["logout", "a", "b"], ["logout"],
    ["init", "p"], ["init", "p", "--serial-number", "GAHT12345678"], ["init"],
    ["rotate", "p", "--yes", "--keep-old-inactive", "--delete-inactive",
     "--token-code", "123456"], ["rotate"],
    ["watch"], ["watch", "a", "--once"], ["watch", "--once=yes"],
    ["console", "p"],
    ["console", "p", "--print", "--duration", "3600", "--service", "s3", "--federation"],
    ["console", "p", "--path", "/iam"], ["console", "p", "--service", "s3", "--path", "/x"],
    ["policy"], ["policy", "extra"],
    ["doctor"], ["doctor", "a", "--json", "--offline"], ["doctor", "--jso"],
]


def _help_of(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    out, err = capsys.readouterr()
    assert not err
    return out


def _parsed(argv: list[str], only: str | None) -> dict[str, object] | str:
    try:
        return vars(build_parser(only=only).parse_args(argv))
    except UsageError as exc:
        return f"usage error: {exc}"


def _check(path: Path, text: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


@pytest.fixture(autouse=True)
def eighty_columns(monkeypatch):
    # argparse wraps help to the terminal's width (shutil reads COLUMNS first).
    monkeypatch.setenv("COLUMNS", "80")


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_is_as_golden(capsys, command):
    argv = [] if command is None else [command]
    _check(HELP / f"{command or 'aws-mfa-tui'}.txt", _help_of(capsys, argv))


def test_every_golden_help_file_is_a_command():
    # A command removed or renamed leaves no golden file behind that nothing reads.
    assert {p.stem for p in HELP.glob("*.txt")} == {"aws-mfa-tui", *COMMANDS}


def test_argument_lines_parse_as_golden():
    parsed = {}
    for argv in ARGV_LINES:
        # What main builds (just the command named) reads a good line as the full parser
        # does. (Their errors may differ in the hint: the full parser can't tell the command.)
        scoped = _parsed(argv, _parser_scope(argv))
        if isinstance(scoped, dict):
            assert scoped == _parsed(argv, None), argv
        parsed[" ".join(argv) or "(nothing)"] = scoped
    _check(PARSED, json.dumps(parsed, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize(("argv", "imported"), [
    (["--help"], set()),  # the commands are listed from cli.py: none is imported
    (["refresh", "--help"], {"refresh"}),
    (["credential-process", "--help"], {"credential-process"}),
    (["status", "--sh"], {"status"}),
])
def test_a_command_module_is_imported_only_for_its_own_options(argv, imported):
    import subprocess
    import sys

    code = ("import sys\nfrom tui.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\nprint(*sys.modules, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                          text=True, check=False)
    loaded = set(done.stderr.split())
    assert {c for c in COMMANDS if f"tui.commands.{c.replace('-', '_')}" in loaded} == imported


# ------------------------------------------------------------ status's plain reading
# `status --short` runs from tmux every few seconds, and argparse with what it imports is
# about a seventh of that run: `status` spelled out plainly is read without it
# (`tui.cli._plain_status`, `tui.commands.status.plain_options`). Whatever it reads must be
# what argparse reads, and anything else must go to argparse.
PLAIN_LINES = [
    ["status"], ["status", "--short"], ["status", "--json"],
    ["--credentials-file", "/c", "status", "--short"],
    ["--settings", "", "--config-file", "/k", "--credentials-file", "/c", "status"],
    ["status", "--short", "--width", "40"], ["status", "--width", "007", "--short"],
    ["status", "a", "b", "--short"], ["status", "--short", "a", "b"],
    ["status", "--width", "9", "a", "--short"], ["status", "status", "refresh"],
    ["status", "--json", "a"], ["status", "--width", "0"],
]
ARGPARSE_LINES = [
    ["status", "--sh"], ["status", "--short", "--json"], ["status", "--help"],
    ["--settings=/s", "status"], ["--settings", "/a", "--settings", "/b", "status"],
    ["--settings", "--short", "status"], ["--settings"], ["--demo", "status"],
    ["refresh"], [], ["status", "--short", "--short"], ["status", "a", "--short", "b"],
    ["status", "--width"], ["status", "--width", "-1"], ["status", "--width=4"],
    ["status", "--width", "4", "--width", "5"], ["status", "--wid", "4"],
    ["status", "--width", "٣"], ["status", "--", "a"], ["status", ""],
    ["status", "5", "--width", "5", "5"],
]
GLOBAL_PREFIXES = [
    [], ["--credentials-file", "/c"], ["--settings", "", "--config-file", "/k"],
    ["--settings", "--short"], ["--settings=/s"], ["--demo"], ["--cred", "/c"],
    ["--settings", "/a", "--settings", "/b"], ["--config-file"], ["-h"], ["--", "x"],
]
WORDS = ["--short", "--json", "--width", "40", "007", "-1", "٣", "a", "--", "", "--sh",
         "--width=4", "--help", "status", "-x"]


def _argument_lines():
    """Every global prefix, then `status` (or another word), then up to 3 of WORDS."""
    import itertools

    tails = [list(t) for n in range(4) for t in itertools.product(WORDS, repeat=n)]
    for prefix in GLOBAL_PREFIXES:
        for command in (["status"], ["refresh"], []):
            for tail in tails if command == ["status"] else tails[:len(WORDS) + 1]:
                yield [*prefix, *command, *tail]


def _argparse_reading(parsers, argv):
    import contextlib
    import io

    from tui.cli import _parser_scope

    scope = _parser_scope(argv)
    if scope not in parsers:
        parsers[scope] = build_parser(only=scope)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return vars(parsers[scope].parse_args(argv))
    except (UsageError, SystemExit):
        return None


@pytest.mark.parametrize("argv", PLAIN_LINES)
def test_status_spelled_out_plainly_is_read_without_argparse(argv):
    from tui.cli import _plain_status

    fast = _plain_status(argv)
    assert fast is not None
    assert vars(fast) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", ARGPARSE_LINES)
def test_anything_else_goes_through_argparse(argv):
    from tui.cli import _plain_status

    assert _plain_status(argv) is None


def test_the_plain_reading_agrees_with_argparse_over_every_line_of_a_vocabulary():
    from tui.cli import _plain_status

    parsers: dict[str | None, object] = {}
    read, lines = 0, 0
    for argv in _argument_lines():
        lines += 1
        fast = _plain_status(argv)
        if fast is not None:
            read += 1
            assert vars(fast) == _argparse_reading(parsers, argv), argv
    assert lines > 40_000 and read > 500  # it did meet both kinds
