"""One snapshot per command: handing out a fresh session reads the files once and loads no
AWS call layer; a renewal reads them again only after it wrote."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.cli import run
from tui.engine.sessions.service import SessionService


@pytest.fixture
def catalog_reads(monkeypatch) -> list[int]:
    reads: list[int] = []
    real = SessionService.catalog

    def counted(self):
        reads.append(1)
        return real(self)

    monkeypatch.setattr(SessionService, "catalog", counted)
    return reads


@pytest.mark.parametrize("argv", [("credential-process", "work"), ("env", "work"),
                                  ("credential-process", "work-mfa")])
def test_a_fresh_session_is_one_read(work, capsys, catalog_reads, argv):
    code, _out, err = run(capsys, *argv)
    assert code == 0, err
    assert len(catalog_reads) == 1


def test_a_fresh_session_loads_no_aws_layer(work):
    probe = ("import sys, tui.cli\n"
             "code = tui.cli.main(['credential-process', 'work'])\n"
             "loaded = [m for m in ('tui.engine.aws.calls', 'botocore', 'threading')\n"
             "          if m in sys.modules]\n"
             "assert not loaded, loaded\n"
             "sys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
