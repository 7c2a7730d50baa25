"""What every AWS call goes through, rule by rule: which bodies count as AWS's, how a reply
that isn't is described (never by its content), and the deadline setting. Over HTTP, with a
server that drips, lies or floods, these are tested in test_hostile_replies.py."""

from __future__ import annotations

import pytest

from tui.engine.aws.call_guard import (
    DEADLINE_VARIABLE,
    DEFAULT_DEADLINE,
    deadline_seconds,
    describe_reply,
    is_aws_xml,
)
from tui.engine.errors import UsageError

OK = b'<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
ERROR = b"<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>"


@pytest.mark.parametrize("body", [
    OK,
    b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- note -->\n' + OK,
    b'<sts:GetSessionTokenResponse xmlns:sts="x">',
])
def test_an_operation_s_own_response_is_aws_xml(body):
    assert is_aws_xml(body, 200, "GetSessionToken")


@pytest.mark.parametrize(("body", "status", "operation"), [
    (OK, 200, "AssumeRole"),  # another operation's reply
    (b"<html><body>Sign in to the Wi-Fi</body></html>", 200, "GetSessionToken"),
    (b"<html><body>", 200, ""),  # well-formed, but no ...Response
    (b"<ErrorResponse><Code>x</Code></ErrorResponse>", 200, ""),  # an error as a success
    (b"", 200, "GetSessionToken"),
    (b"\x00\x01binary", 200, "GetSessionToken"),
    (b"<ErrorResponse><Message>no code</Message></ErrorResponse>", 403, "GetSessionToken"),
    (OK, 500, "GetSessionToken"),  # a success element with an error status
])
def test_anything_else_is_not(body, status, operation):
    assert not is_aws_xml(body, status, operation)


@pytest.mark.parametrize("root", [b"ErrorResponse", b"Response", b"Error"])
def test_each_error_element_with_a_code_is_aws_xml(root):
    body = b"<" + root + b"><Code>Throttling</Code></" + root + b">"
    assert is_aws_xml(body, 400, "GetSessionToken") and is_aws_xml(ERROR, 503, "")
    assert is_aws_xml(OK.replace(b"GetSessionToken", b"ListUsers"), 200, "")


@pytest.mark.parametrize(("raw", "says"), [
    ({}, "a reply that is not AWS XML"),
    ({"status": 302, "head": b""}, "a redirect (HTTP 302) instead of an AWS reply: a captive"),
    ({"status": 200, "content_type": "text/html; charset=utf-8", "size": 5},
     "a web page (HTTP 200) instead of an AWS reply: a captive portal"),
    ({"status": 200, "head": b"  <!DOCTYPE html><p>secret-ish</p>", "size": 40},
     "a web page (HTTP 200)"),
    ({"status": 502, "size": 0}, "an empty reply (HTTP 502)"),
    ({"status": 200, "head": b"AKIA...", "size": 7},
     "a reply that is not AWS XML (HTTP 200, 7 bytes)"),
])
def test_a_reply_that_isn_t_aws_s_is_described_without_its_content(raw, says):
    line = describe_reply(raw)
    assert line.startswith(says)
    assert "secret-ish" not in line and "AKIA" not in line


def test_the_deadline_setting(monkeypatch):
    assert deadline_seconds() == DEFAULT_DEADLINE
    for value, seconds in (("5", 5.0), (" 0.5 ", 0.5), ("3600", 3600.0), ("", DEFAULT_DEADLINE)):
        monkeypatch.setenv(DEADLINE_VARIABLE, value)
        assert deadline_seconds() == seconds
    for bad in ("0", "-1", "3601", "nan", "inf", "soon"):
        monkeypatch.setenv(DEADLINE_VARIABLE, bad)
        with pytest.raises(UsageError, match=DEADLINE_VARIABLE):
            deadline_seconds()
