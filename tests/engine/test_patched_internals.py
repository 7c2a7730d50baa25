"""Our patches of botocore and urllib3 check what they patch at first use.

Each test takes one internal away (monkeypatched, as a new botocore or urllib3 might) and
runs `refresh` against the emulator:
- what the 30 s deadline and the 1 MiB reply cap stand on: no call is sent, one line, exit 1;
- what only saves time: the patch turns itself off with one log line, and the call works.
"""

from __future__ import annotations

import logging
import sys
import types

import botocore.awsrequest
import botocore.httpsession
import botocore.loaders
import botocore.parsers
import pytest
import urllib3.response

from tests.support.cli import run
from tui.engine import patched_internals
from tui.engine.aws import call_guard
from tui.engine.aws import client as aws_client


@pytest.fixture(autouse=True)
def unchecked(monkeypatch):
    """Each test starts as a fresh process would: nothing checked, nothing turned off."""
    monkeypatch.setattr(call_guard, "_INTERNALS_CHECKED", False, raising=False)
    monkeypatch.setattr(aws_client, "_LOADER_CLASS", None)
    monkeypatch.setattr(aws_client, "_SESSION_CLASS", None)
    monkeypatch.setattr(patched_internals, "_listener", None, raising=False)
    saved = dict(patched_internals.TURNED_OFF)
    patched_internals.TURNED_OFF.clear()
    yield
    patched_internals.TURNED_OFF.clear()
    patched_internals.TURNED_OFF.update(saved)


@pytest.fixture
def alice(aws, make_user):
    user = make_user("alice", profile="work")
    aws.injector.clear()
    return user


def refresh(capsys, user) -> tuple[int, str, str]:
    return run(capsys, "refresh", "work", "--token-code", "246813",
               "--serial-number", user.serial)


def assert_refused(aws, code: int, err: str, what: str) -> None:
    assert code == 1, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert what in err and "no AWS call was sent" in err, err
    assert "deadline" in err and "1 MiB" in err
    assert aws.injector.requests == []  # nothing went out


# --------------------------------------------------- what the promises stand on: refused
def test_no_pool_classes_to_hook(aws, alice, capsys, monkeypatch):
    """botocore renaming `_pool_classes_by_scheme` used to skip the hook without a word:
    calls went out with no deadline and no cap."""
    init = botocore.httpsession.URLLib3Session.__init__

    def renamed(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._pool_classes = self.__dict__.pop("_pool_classes_by_scheme")

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "__init__", renamed)
    code, _, err = refresh(capsys, alice)
    assert_refused(aws, code, err, "_pool_classes_by_scheme")


def test_a_connection_pool_whose_make_request_takes_no_timeout(aws, alice, capsys,
                                                              monkeypatch):
    base = botocore.awsrequest.AWSHTTPConnectionPool._make_request

    def make_request(self, conn, method, url, **kwargs):  # no `timeout` parameter
        return base(self, conn, method, url, **kwargs)

    monkeypatch.setattr(botocore.awsrequest.AWSHTTPConnectionPool, "_make_request",
                        make_request)
    code, _, err = refresh(capsys, alice)
    assert_refused(aws, code, err, "the `timeout` of HTTPConnectionPool._make_request")


def test_a_response_that_cant_be_read_in_chunks(aws, alice, capsys, monkeypatch):
    for cls in urllib3.response.HTTPResponse.__mro__:
        if "read_chunked" in vars(cls):
            monkeypatch.delattr(cls, "read_chunked")
    code, _, err = refresh(capsys, alice)
    assert_refused(aws, code, err, "HTTPResponse.read_chunked")
    assert "urllib3" in err


# ------------------------------------------------ what only saves time: off, one log line
def assert_off_and_working(code: int, err: str, caplog, patch: str, what: str) -> None:
    assert code == 0, err
    lines = [r.getMessage() for r in caplog.records if r.name == "aws-mfa-tui"]
    assert len(lines) == 1, lines
    assert patch in lines[0] and what in lines[0] and "is off" in lines[0]


def test_json_open_methods_renamed(aws, alice, capsys, caplog, monkeypatch):
    """botocore itself still has them (its functions keep their module's globals); only
    the name we read is gone. Every client creation used to fail."""
    renamed = types.ModuleType("botocore.loaders")
    renamed.__dict__.update({k: v for k, v in vars(botocore.loaders).items()
                             if k != "_JSON_OPEN_METHODS"})
    monkeypatch.setitem(sys.modules, "botocore.loaders", renamed)
    monkeypatch.setattr(botocore, "loaders", renamed)
    caplog.set_level(logging.WARNING, logger="aws-mfa-tui")
    code, _, err = refresh(capsys, alice)
    assert_off_and_working(code, err, caplog, "the trimmed endpoints cache",
                           "_JSON_OPEN_METHODS")


def test_no_parser_defaults(aws, alice, capsys, caplog, monkeypatch):
    monkeypatch.delattr(botocore.parsers.ResponseParserFactory, "set_parser_defaults")
    caplog.set_level(logging.WARNING, logger="aws-mfa-tui")
    code, _, err = refresh(capsys, alice)
    assert_off_and_working(code, err, caplog, "STS timestamps as text",
                           "set_parser_defaults")


def test_the_log_line_is_said_once_per_process(caplog):
    caplog.set_level(logging.WARNING, logger="aws-mfa-tui")
    for _ in range(3):
        patched_internals.turn_off("a fix", "x.y", "botocore")
    assert len([r for r in caplog.records if r.name == "aws-mfa-tui"]) == 1
