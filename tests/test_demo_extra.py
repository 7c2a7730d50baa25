"""The `demo` extra pulls only what `--demo` uses: moto's core with flask and flask-cors
serve IAM and STS; moto's `server` extra (cfn-lint, sympy, docker, ...) is for the tests."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

#: What moto's `server` extra adds for services the demo never starts.
SERVER_ONLY = ("cfn_lint", "docker", "sympy", "networkx", "openapi_spec_validator",
               "jsonpath_ng", "graphql", "aws_xray_sdk", "py_partiql_parser", "joserfc",
               "antlr4")


def test_demo_extra_is_moto_flask_and_flask_cors():
    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    names = {requirement.split(">")[0].split("<")[0].split("!")[0].split("=")[0].strip()
             for requirement in extras["demo"]}
    assert names == {"moto", "flask", "flask-cors"}


def test_demo_runs_without_moto_server_extras(sandbox_home):
    """The demo's emulator, a code refresh and a chained role, with every package of moto's
    `server` extra made unimportable."""
    script = f"""
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {SERVER_ONLY!r}:
            raise ImportError("not in the demo extra: " + name)
sys.meta_path.insert(0, Refuse())
from tui.demo import start_demo
from tui.engine.mfa.codes import FixedCode, UsedCodes
from tui.engine.secret import Secret
from tui.engine.sessions.service import SessionService, no_code_needed
demo = start_demo()
try:
    service = SessionService(demo.paths, used_codes=UsedCodes())
    print(service.refresh("personal", FixedCode(Secret("123456")), force=True).target)
    print(service.assume("prod-admin", no_code_needed()).target)
    print(sorted(m for m in sys.modules if m.split(".")[0] in {SERVER_ONLY!r}))
finally:
    demo.stop()
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=PYPROJECT.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["personal-mfa", "prod-admin-session", "[]"]
