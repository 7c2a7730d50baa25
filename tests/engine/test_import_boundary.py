"""The engine never imports textual, and status paths never import boto3.

Each module is imported in a fresh interpreter, so nothing imported by another test or by
pytest itself can hide a stray import.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import tui.engine

# Every module of the engine, in its folders too, and each folder's own `__init__`.
ENGINE_MODULES = sorted(
    m.name for m in pkgutil.walk_packages(tui.engine.__path__, "tui.engine.")
)


def _imported_after(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_every_engine_file_is_checked():
    # The parametrized list must cover each module on disk, or a new module goes unchecked.
    from pathlib import Path

    root = Path(tui.engine.__path__[0])
    on_disk = set()
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        if parts:  # tui.engine itself is imported by every other
            on_disk.add(".".join(("tui.engine", *parts)))
    assert any("." in name.removeprefix("tui.engine.") for name in on_disk)  # folders seen
    assert on_disk and on_disk == set(ENGINE_MODULES)


def test_the_probe_sees_a_textual_import():
    # The probe itself must be able to fail: importing textual shows up in what it reports.
    assert "textual" in _imported_after("textual.app")


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_module_does_not_import_textual(module: str):
    loaded = _imported_after(module)
    assert not {name for name in loaded if name == "textual" or name.startswith("textual.")}


def test_cli_module_does_not_import_textual_or_boto3():
    loaded = _imported_after("tui.cli")
    assert "textual" not in loaded
    assert "boto3" not in loaded and "botocore" not in loaded


# ------------------------------------------------------------------ the status line
# tmux runs `status --short` every few seconds: it loads no argument parser (argparse's help
# formatter pulls in shutil and gettext's locale look-ups), no threading (only writers lock),
# no typing (NamedTuple comes from tui.engine.named_tuple), no pathlib (its urllib.parse,
# ipaddress and fnmatch cost about 3.5 ms: the read path names files as strings), and no
# TOML parser when there is no settings file.
STATUS_LIGHT = ("argparse", "gettext", "locale", "shutil", "threading", "tomllib", "typing",
                "pathlib")


def _status_run_loads(argv: list[str]) -> set[str]:
    code = (
        "import sys\nimport tui.cli\n"
        f"code = tui.cli.main({argv!r})\n"
        "print('\\n'.join(sys.modules), file=sys.stderr); raise SystemExit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return set(done.stderr.split())


@pytest.fixture
def a_profile(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_text(
        "[p]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n")
    return sandbox_home


@pytest.mark.parametrize("flag", [
    ["--short"], ["--json"], [], ["--short", "--width", "40", "p"], ["p", "--json"],
])
def test_status_without_settings_loads_no_parser_threads_or_toml(a_profile, flag):
    loaded = _status_run_loads(["status", *flag])
    assert not loaded & set(STATUS_LIGHT)
    assert "boto3" not in loaded and "botocore" not in loaded
    assert "tui.engine.credentials_file.store" in loaded


def test_the_status_probe_sees_toml_and_argparse_when_they_are_used(a_profile):
    a_profile.settings.parent.mkdir(parents=True)
    a_profile.settings.write_text("lead_time = 600\n")
    assert "tomllib" in _status_run_loads(["status", "--short"])
    assert "shutil" in _status_run_loads(["status", "--sh"])  # an abbreviation: argparse


# What the plain reading reads is what argparse reads: tests/commands/test_cli_options.py.


@pytest.mark.parametrize("flag", ["--short", "--sh"])  # read plainly, and by argparse
def test_status_in_its_own_process_skips_the_collector_but_never_a_callers(a_profile, flag):
    # As the console script: no argv given. The collector is off for the run (no collection
    # while the status modules load) and the heap frozen, so exit doesn't walk every module.
    code = ("import gc, sys, tui.cli\n"
            f"sys.argv = ['aws-mfa-tui', 'status', {flag!r}]\n"
            "runs = []\ngc.callbacks.append(lambda phase, info: runs.append(phase))\n"
            "code = tui.cli.main()\n"
            "print(gc.isenabled(), gc.get_freeze_count() > 0, len(runs), file=sys.stderr)\n"
            "raise SystemExit(code)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr.split() == ["False", "True", "0"]
    # Called with argv, inside a longer process (tests, the TUI, a script): untouched.
    import gc

    from tui.cli import main

    frozen = gc.get_freeze_count()
    assert main(["status", "--short"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen
