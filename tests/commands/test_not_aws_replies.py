"""Every reply that isn't AWS XML exits 6, whatever its status and content type.

The replies are real HTTP answers from the emulator's fault injector (moto on loopback),
to the real CLI in a process of its own: a captive portal's page (even one that is
well-formed XML, which botocore's parser would otherwise take apart and fail on with a
bare KeyError), a proxy's error page, a redirect, JSON, plain text, an empty body. For
STS (GetSessionToken, AssumeRole) and IAM (ListMFADevices, DeleteAccessKey).
"""

from __future__ import annotations

import pytest

from tests.support.cli import cli

CODE = "246813"
UNUSABLE = "AWS sent a reply that can't be used"

#: name -> (status, content type, body, what the one line says about it)
NOT_AWS = {
    "hotel wifi page, HTTP 200": (
        200, "text/html", "<html><body>Sign in to the hotel wifi</body></html>",
        "a web page (HTTP 200) instead of an AWS reply"),
    "portal page sent as XML": (
        200, "application/xml", '<?xml version="1.0"?><portal><login href="/x"/></portal>',
        "a reply that is not AWS XML (HTTP 200"),
    "JSON": (200, "application/json", '{"message": "please sign in"}',
             "a reply that is not AWS XML (HTTP 200"),
    "empty body": (200, "text/xml", "", "an empty reply (HTTP 200)"),
    "proxy's forbidden page": (
        403, "text/html", "<html><body><h1>Blocked by policy</h1></body></html>",
        "a web page (HTTP 403)"),
    "plain not found": (404, "text/plain", "Not Found", "a reply that is not AWS XML (HTTP 404"),
    "redirect": (302, "text/html", "<html><body>moved</body></html>", "a redirect (HTTP 302)"),
    "load balancer's 503 page": (
        503, "text/html", "<html><body><b>Http/1.1 Service Unavailable</b></body></html>",
        "a web page (HTTP 503)"),
    "another operation's reply": (
        200, "text/xml",
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<GetCallerIdentityResult><Arn>arn:aws:iam::1:user/x</Arn></GetCallerIdentityResult>"
        "</GetCallerIdentityResponse>",
        "a reply that is not AWS XML (HTTP 200"),
}


def assert_exit_6(done, says: str) -> None:
    assert done.returncode == 6, done.stderr
    assert done.stderr.count("\n") == 1 and done.stdout == ""
    assert UNUSABLE in done.stderr and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and CODE not in done.stderr


@pytest.fixture
def alice(make_user, sandbox_home):
    user = make_user("alice", profile="work")
    return user, sandbox_home.credentials.read_text()


@pytest.mark.parametrize("name", list(NOT_AWS))
def test_get_session_token(aws, alice, sandbox_home, name):
    user, before = alice
    status, content_type, body, says = NOT_AWS[name]
    aws.injector.add("GetSessionToken", status=status, body=body, content_type=content_type,
                     times=-1)
    done = cli("refresh", "work", "--token-code", CODE, "--serial-number", user.serial)
    assert_exit_6(done, f"sts:GetSessionToken got {says}")
    assert sandbox_home.credentials.read_text() == before
    # A code is sent once: only a 5xx page, answered before any code could be used, is
    # retried by botocore (a call carrying a code never is).
    assert len(aws.injector.calls("GetSessionToken")) == 1


@pytest.mark.parametrize("name", ["hotel wifi page, HTTP 200", "proxy's forbidden page",
                                  "portal page sent as XML"])
def test_assume_role(aws, alice, sandbox_home, name):
    user, before = alice
    status, content_type, body, says = NOT_AWS[name]
    aws.injector.add("AssumeRole", status=status, body=body, content_type=content_type)
    done = cli("assume", f"arn:aws:iam::{user.account}:role/Admin", "--profile", "work",
               "--token-code", CODE, "--serial-number", user.serial)
    assert_exit_6(done, f"sts:AssumeRole got {says}")
    assert sandbox_home.credentials.read_text() == before


@pytest.mark.parametrize("name", ["hotel wifi page, HTTP 200", "proxy's forbidden page",
                                  "load balancer's 503 page"])
def test_iam_list_mfa_devices(aws, alice, sandbox_home, name):
    status, content_type, body, says = NOT_AWS[name]
    aws.injector.add("ListMFADevices", status=status, body=body, content_type=content_type,
                     times=-1)
    done = cli("init", "work")
    assert_exit_6(done, f"iam:ListMFADevices got {says}")
    assert not sandbox_home.settings.exists()


def test_a_portal_page_for_a_call_with_no_result_is_not_a_success(aws, make_user,
                                                                   sandbox_home):
    """DeleteAccessKey has no result: botocore took any HTTP 200 as done. A portal's
    page is not AWS saying the old key is gone."""
    make_user("rita", profile="r", mfa=False, allow_all=True)
    aws.set_auth(True)
    page = NOT_AWS["hotel wifi page, HTTP 200"]
    aws.injector.add("DeleteAccessKey", status=200, body=page[2], content_type=page[1],
                     times=-1)
    done = cli("rotate", "r", "--yes")
    assert done.returncode != 0, done.stderr
    assert "old key deleted" not in done.stderr
    assert "iam:DeleteAccessKey got a web page (HTTP 200)" in done.stderr, done.stderr


def test_real_aws_errors_still_read_as_before(aws, alice):
    """The control: AWS's own error XML is still AWS's (a wrong code: exit 4)."""
    user, _ = alice
    aws.injector.add("GetSessionToken", status=403, code="AccessDenied",
                     message="MultiFactorAuthentication failed with invalid MFA one time "
                             "pass code.")
    done = cli("refresh", "work", "--token-code", CODE, "--serial-number", user.serial)
    assert done.returncode == 4, done.stderr
