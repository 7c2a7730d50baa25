"""Replies no real AWS sends, from a server of the tests' own (`tests.support.hostile_sts`).

Each is answered with one line, exit 6 and an untouched credentials file; a reply that
drips is cut off by the call's total deadline (shortened here with AWS_MFA_TUI_CALL_TIMEOUT
so the tests take seconds; the outcome is asserted, never the duration).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.support.app import SIZE, make_service, settle, table_rows
from tests.support.hostile_sts import (
    ACCESS_KEY_ID,
    CALLER_XML,
    CAPTIVE_PORTAL,
    SECRET,
    TOKEN,
    HostileSts,
    Reply,
    credentials_xml,
    in_hours,
)
from tui.cli import main

SERIAL = "arn:aws:iam::123456789012:mfa/alice"
LONG_TERM = ("[work]\naws_access_key_id = AKIAEXAMPLELONGTERM1\n"
             "aws_secret_access_key = longTermSecretExample000000000000000000X\n")
CODE = "246813"
UNUSABLE = "AWS sent a reply that can't be used"


@pytest.fixture
def work(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_text(LONG_TERM)
    return sandbox_home


@pytest.fixture
def impostor(monkeypatch) -> Iterator[HostileSts]:
    """STS at a server of our own; GetCallerIdentity is answered well unless replaced."""
    server = HostileSts({"GetCallerIdentity": Reply(CALLER_XML)}).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", server.url)
    yield server
    server.stop()


def refresh(capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["refresh", "work", "--token-code", CODE, "--serial-number", SERIAL, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code: int, out: str, err: str, says: str, work) -> None:
    assert code == 6, err
    assert err.count("\n") == 1 and err.startswith("aws-mfa-tui: ") and out == ""
    assert says in err
    assert "Traceback" not in err and CODE not in err
    for secret in (SECRET, TOKEN, "longTermSecretExample"):
        assert secret not in err
    assert work.credentials.read_text() == LONG_TERM


HOSTILE = {
    "expired": (Reply(credentials_xml(expiration="2020-01-01T00:00:00Z")),
                "the session it grants has already expired"),
    "empty token": (Reply(credentials_xml(token="")), "its session token is empty"),
    "token over 64 KiB": (Reply(credentials_xml(token="A" * (64 * 1024 + 1))),
                          "its session token is larger than 64 KiB"),
    "30 MB token": (Reply(credentials_xml(token="B" * (30 * 1024 * 1024))),
                    "sts:GetSessionToken got a reply larger than 1 MiB"),
    "expiry far beyond the duration": (Reply(credentials_xml(expiration=in_hours(100))),
                                       "longer than the 43200 s asked for"),
    "expiration not a date": (Reply(credentials_xml(expiration="tomorrow")),
                              "its expiration is not a date"),
    "no expiration": (Reply(credentials_xml(expiration="")), "it has no expiration"),
    "no key id": (Reply(credentials_xml(key_id=None)), "it has no access key id"),
    "no secret": (Reply(credentials_xml(secret=None)), "it has no secret key"),
    "no token": (Reply(credentials_xml(token=None)), "it has no session token"),
    "empty secret": (Reply(credentials_xml(secret="")), "its secret key is empty"),
    "newline in the secret": (Reply(credentials_xml(secret="abc&#10;[evil]&#10;x=1")),
                              "its secret key holds spaces, control"),
    "DEL in the token": (Reply(credentials_xml(token="abc\x7fdef")),
                         "its session token holds spaces, control"),
    "escape sequence in the key id": (Reply(credentials_xml(key_id="ASIA&#x1b;[2J")),
                                      "not AWS XML"),
    "broken XML": (Reply(credentials_xml()[:-40]), "a reply that is not AWS XML (HTTP 200"),
    "captive portal page": (Reply(CAPTIVE_PORTAL, content_type="text/html"),
                            "a web page (HTTP 200) instead of an AWS reply"),
    "captive portal redirect": (Reply(CAPTIVE_PORTAL, status=302, content_type="text/html",
                                      headers={"Location": "http://10.0.0.1/login"}),
                                "a redirect (HTTP 302)"),
    "network login required": (Reply(CAPTIVE_PORTAL, status=511, content_type="text/html"),
                               "a web page (HTTP 511)"),
    "random bytes": (Reply(bytes(range(256)) * 3, content_type="application/octet-stream"),
                     "not AWS XML"),
    "empty body": (Reply(b""), "an empty reply (HTTP 200)"),
    "no credentials element": (Reply(CALLER_XML.replace(b"GetCallerIdentity",
                                                        b"GetSessionToken")),
                               "it holds no credentials"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_session_reply_is_one_line_exit_6_and_nothing_written(work, impostor, capsys,
                                                                     name):
    reply, says = HOSTILE[name]
    impostor.replies["GetSessionToken"] = reply
    code, out, err = refresh(capsys)
    assert_refused(code, out, err, says, work)
    assert UNUSABLE in err


def test_a_good_reply_from_the_same_server_is_written(work, impostor, capsys):
    """The control: the server and the checks accept what AWS really sends."""
    impostor.replies["GetSessionToken"] = Reply(credentials_xml())
    code, _, err = refresh(capsys)
    assert code == 0, err
    written = work.credentials.read_text()
    assert ACCESS_KEY_ID in written and TOKEN in written and SECRET in written


def test_a_session_five_minutes_past_the_duration_is_still_accepted(work, impostor, capsys):
    sts = impostor.replies
    sts["GetSessionToken"] = Reply(credentials_xml(expiration=in_hours(1 + 4 / 60)))
    code, _, err = refresh(capsys, "--duration", "3600")
    assert code == 0, err
    sts["GetSessionToken"] = Reply(credentials_xml(expiration=in_hours(1 + 6 / 60)))
    code, _, err = refresh(capsys, "--duration", "3600", "--token-code", "135790", "--force")
    assert code == 6 and "longer than the 3600 s asked for" in err


def test_hostile_assume_role_reply(work, impostor, capsys):
    impostor.replies["AssumeRole"] = Reply(credentials_xml("AssumeRole", expiration=in_hours(2)))
    code = main(["assume", "arn:aws:iam::123456789012:role/Admin", "--profile", "work",
                 "--token-code", CODE, "--serial-number", SERIAL])
    out, err = capsys.readouterr()
    # No DurationSeconds sent: AWS grants 1 hour, so 2 hours is not AWS talking.
    assert_refused(code, out, err, "longer than the 3600 s asked for", work)


def test_caller_identity_without_an_arn(work, impostor, capsys):
    impostor.replies["GetCallerIdentity"] = Reply(CALLER_XML.replace(b"<Arn>", b"<Nope>")
                                          .replace(b"</Arn>", b"</Nope>"))
    impostor.replies["AssumeRole"] = Reply(credentials_xml("AssumeRole"))
    code = main(["assume", "arn:aws:iam::123456789012:role/Admin", "--profile", "work",
                 "--token-code", CODE, "--serial-number", SERIAL])
    out, err = capsys.readouterr()
    assert_refused(code, out, err, "doesn't say who these credentials are", work)


# ------------------------------------------------------------------ the total deadline
DRIP = Reply(credentials_xml(), drip=0.3, drip_limit=60)


def test_a_dripping_reply_is_cut_off_by_the_deadline(work, impostor, capsys, monkeypatch):
    monkeypatch.setenv("AWS_MFA_TUI_CALL_TIMEOUT", "1.5")
    impostor.replies["GetSessionToken"] = DRIP
    code, out, err = refresh(capsys)
    assert_refused(code, out, err,
                   "AWS did not answer sts:GetSessionToken within 1.5 s, so the call was cut "
                   "off", work)


def test_a_call_that_retries_sends_nothing_after_the_deadline(work, impostor, capsys,
                                                             monkeypatch):
    """GetCallerIdentity carries no code, so botocore may retry it; not once the deadline
    has passed."""
    monkeypatch.setenv("AWS_MFA_TUI_CALL_TIMEOUT", "1.5")
    impostor.replies["GetCallerIdentity"] = DRIP
    code = main(["assume", "arn:aws:iam::123456789012:role/Admin", "--profile", "work",
                 "--token-code", CODE, "--serial-number", SERIAL])
    out, err = capsys.readouterr()
    assert_refused(code, out, err, "did not answer sts:GetCallerIdentity within 1.5 s", work)
    assert impostor.actions == ["GetCallerIdentity"]


def test_a_30_mb_reply_is_not_read_into_memory(work, impostor, capsys):
    """Refused from its Content-Length, and the connection dropped: the server could not
    send it all, and botocore did not ask again."""
    impostor.replies["GetSessionToken"] = HOSTILE["30 MB token"][0]
    code, out, err = refresh(capsys)
    assert_refused(code, out, err, "larger than 1 MiB", work)
    assert impostor.actions == ["GetSessionToken"]
    end = time.monotonic() + 30  # its handler thread sees the hang-up a moment later
    while not impostor.hung_up and time.monotonic() < end:
        time.sleep(0.05)
    assert impostor.hung_up == ["GetSessionToken"]


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A loopback port whose accept queue is full: a new connect hangs (its SYN dropped)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for sock in (*fillers, listener):
        sock.close()


def test_a_connect_gets_no_more_than_the_time_left(work, unanswered_port, capsys,
                                                   monkeypatch):
    """botocore's connect timeout is 5 s; with 1.5 s left, the connect is given 1.5 s at
    most (seen in the timeout urllib3 hands the socket), so it can't overrun the deadline."""
    import urllib3.util.connection

    monkeypatch.setenv("AWS_MFA_TUI_CALL_TIMEOUT", "1.5")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{unanswered_port}")
    connect = urllib3.util.connection.create_connection
    timeouts: list[float] = []

    def recording(address, timeout=None, *args, **kwargs):
        timeouts.append(timeout)
        return connect(address, timeout, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", recording)
    code, out, err = refresh(capsys)
    assert_refused(code, out, err, "did not answer sts:GetSessionToken within 1.5 s", work)
    assert timeouts and all(0 < timeout <= 1.5 for timeout in timeouts), timeouts


def test_a_bad_deadline_setting_is_a_usage_error(work, impostor, capsys, monkeypatch):
    monkeypatch.setenv("AWS_MFA_TUI_CALL_TIMEOUT", "soon")
    impostor.replies["GetSessionToken"] = Reply(credentials_xml())
    code, _, err = refresh(capsys)
    assert code == 2 and "AWS_MFA_TUI_CALL_TIMEOUT" in err and err.count("\n") == 1
    assert work.credentials.read_text() == LONG_TERM


def test_watch_says_the_call_was_cut_off(work, impostor, monkeypatch):
    impostor.replies["GetSessionToken"] = DRIP
    settings = work.settings
    settings.parent.mkdir(parents=True)
    settings.write_text(f'[profiles.work]\nmfa_serial = "{SERIAL}"\n')
    env = dict(os.environ, AWS_MFA_TUI_CALL_TIMEOUT="1.5", AWS_MFA_TOKEN_CODE=CODE)
    done = subprocess.run([sys.executable, "-m", "tui", "watch", "--once"], env=env,
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    # --once exits with the failure's code (6: transient) and promises no retry.
    assert done.returncode == 6, done.stderr
    assert "work: AWS did not answer sts:GetSessionToken within 1.5 s" in done.stderr
    assert "retrying in" not in done.stderr and CODE not in done.stderr
    assert work.credentials.read_text() == LONG_TERM


async def test_tui_row_says_the_call_was_cut_off(work, impostor, clock, monkeypatch):
    from tui.app.app import AwsMfaApp

    monkeypatch.setenv("AWS_MFA_TUI_CALL_TIMEOUT", "1.5")
    impostor.replies["GetSessionToken"] = DRIP
    work.settings.parent.mkdir(parents=True)
    work.settings.write_text(
        f'mfa_command = "{sys.executable} -c \'print({CODE})\'"\n'
        f'[profiles.work]\nmfa_serial = "{SERIAL}"\n')
    app = AwsMfaApp(make_service(work, clock))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert table_rows(app)["work"]["state"] == "error"
        error = app.main_screen.errors["work"]
        assert "did not answer sts:GetSessionToken within 1.5 s" in error
    assert work.credentials.read_text() == LONG_TERM
