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

ENGINE_MODULES = sorted(
    f"tui.engine.{m.name}" for m in pkgutil.iter_modules(tui.engine.__path__)
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

    on_disk = {
        f"tui.engine.{path.stem}"
        for path in Path(tui.engine.__path__[0]).glob("*.py")
        if path.stem != "__init__"
    }
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
