"""`aws-mfa-tui rotate` end to end: plan, question, steps, exit codes, nothing secret shown."""

from __future__ import annotations

import io

from botocore.configloader import raw_config_parse

from tests.support.cli import run
from tui.commands import rotate as rotate_command
from tui.engine.secret import mask_key_id


def test_rotate_with_yes(aws, make_user, sandbox_home, capsys):
    carol = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    code, out, err = run(capsys, "rotate", "carol", "--yes")
    assert code == 0, err
    section = raw_config_parse(str(sandbox_home.credentials))["carol"]
    new = section["aws_access_key_id"]
    assert out == f"rotated carol: new key {new} in [carol]; old key {carol.access_key_id} " \
        "deleted\n"
    assert mask_key_id(carol.access_key_id) in err and "<- profile carol" in err
    for label in ("create a new key", "verify the new key", "delete the old key"):
        assert f"ok      {label}" in err
    assert section["aws_secret_access_key"] not in out + err
    assert carol.secret_access_key not in out + err


def test_rotate_without_terminal_or_yes_refuses_before_anything(aws, make_user, sandbox_home,
                                                                  capsys):
    make_user("carol", mfa=False, allow_all=True)
    before = sandbox_home.credentials.read_bytes()
    code, _out, err = run(capsys, "rotate", "carol")
    assert code == 2
    assert err.count("\n") == 1 and "--yes" in err
    assert aws.injector.requests == [] or all(
        r.action in ("CreateUser", "CreateAccessKey", "PutUserPolicy")
        and r.access_key_id == "AKIAADMINEXAMPLE0000" for r in aws.injector.requests)
    assert sandbox_home.credentials.read_bytes() == before


def test_rotate_on_a_terminal_asks_and_no_means_nothing_changes(aws, make_user, sandbox_home,
                                                                capsys, monkeypatch):
    make_user("carol", mfa=False, allow_all=True)
    before = sandbox_home.credentials.read_bytes()
    monkeypatch.setattr(rotate_command, "_has_terminal", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, _out, err = run(capsys, "rotate", "carol")
    assert code == 7
    assert "rotate the access key of carol? [y/N]" in err
    assert "1. create a new access key" in err
    assert sandbox_home.credentials.read_bytes() == before


def test_rotate_on_a_terminal_yes_rotates(aws, make_user, sandbox_home, capsys, monkeypatch):
    carol = make_user("carol", mfa=False, allow_all=True)
    monkeypatch.setattr(rotate_command, "_has_terminal", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, out, err = run(capsys, "rotate", "carol", "--keep-old-inactive")
    assert code == 0, err
    assert f"old key {carol.access_key_id} inactive" in out


def test_rotate_two_keys_shows_both_and_exits_7(aws, make_user, sandbox_home, capsys):
    carol = make_user("carol", mfa=False, allow_all=True)
    other = make_user.iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]
    before = sandbox_home.credentials.read_bytes()
    code, _out, err = run(capsys, "rotate", "carol", "--yes")
    assert code == 7
    assert mask_key_id(carol.access_key_id) in err and mask_key_id(other) in err
    assert err.count("Active") == 2 and "last used" in err
    assert other in err.splitlines()[-1]  # the key to act on, in full
    assert sandbox_home.credentials.read_bytes() == before


def test_rotate_delete_inactive_on_the_command_line(aws, make_user, sandbox_home, capsys):
    make_user("carol", mfa=False, allow_all=True)
    other = make_user.iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]
    make_user.iam.update_access_key(UserName="carol", AccessKeyId=other, Status="Inactive")
    code, _out, err = run(capsys, "rotate", "carol", "--yes")
    assert code == 7 and "--delete-inactive" in err
    code, _out, err = run(capsys, "rotate", "carol", "--yes", "--delete-inactive")
    assert code == 0, err
    assert "ok      delete the inactive key" in err


def test_rotate_with_mfa_code_and_stale_session_hint(aws, make_user, sandbox_home, capsys):
    alice = make_user("alice", mfa=True)
    assert run(capsys, "refresh", "alice", "--token-code", "111111")[0] == 0
    code, _out, err = run(capsys, "rotate", "alice", "--yes", "--token-code", "222222")
    assert code == 0, err
    assert "IAM calls signed with a new MFA session" in err
    assert "alice-mfa is marked stale: run `aws-mfa-tui refresh alice`" in err
    sent = aws.injector.calls("GetSessionToken")[-1]
    assert sent.params["TokenCode"] == "222222" and sent.params["SerialNumber"] == alice.serial


def test_rotate_failure_message_is_one_line_with_exit_7(aws, make_user, sandbox_home, capsys):
    carol = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    aws.injector.add("DeleteAccessKey", code="AccessDenied", status=403, times=-1)
    code, out, err = run(capsys, "rotate", "carol", "--yes")
    assert code == 7
    last = err.splitlines()[-1]
    assert last.startswith("aws-mfa-tui: ") and carol.access_key_id in last
    assert "FAILED  delete the old key" in err
    assert out == ""


def test_rotate_on_a_terminal_offers_to_refresh_the_stale_session(aws, make_user, sandbox_home,
                                                                   capsys, monkeypatch):
    make_user("alice", mfa=True)
    assert run(capsys, "refresh", "alice", "--token-code", "111111")[0] == 0
    monkeypatch.setattr(rotate_command, "_has_terminal", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\nn\n"))
    code, out, err = run(capsys, "rotate", "alice", "--token-code", "222222")
    assert code == 0, err
    assert "alice-mfa was made with the old key and is marked stale; refresh it now? [y/N]" \
        in err
    assert "run `aws-mfa-tui refresh alice`" in err
    assert out.startswith("rotated alice: new key ")


def test_ctrl_c_during_the_steps_does_not_stop_a_rotation_half_way(aws, make_user,
                                                                    sandbox_home):
    import os
    import signal
    import subprocess
    import sys
    import time

    old = make_user("carol", mfa=False, allow_all=True)
    # The new key's check is slow, so the interrupt lands between create and the end.
    aws.injector.add("GetCallerIdentity", delay=2.0, passthrough=True, times=-1)
    creates_before = len(aws.injector.calls("CreateAccessKey"))  # the fixture's own
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "rotate", old.profile, "--yes"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL, env=dict(os.environ))
    deadline = time.monotonic() + 60
    while (len(aws.injector.calls("CreateAccessKey")) == creates_before
           and time.monotonic() < deadline):
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, (out, err)
    assert "can't be stopped safely half-way" in err
    section = raw_config_parse(str(sandbox_home.credentials))[old.profile]
    assert section["aws_access_key_id"] != old.access_key_id
    assert section["aws_access_key_id"] in out


def test_rotate_signs_with_a_valid_mfa_session_without_asking_a_code(aws, make_user,
                                                                    sandbox_home, capsys):
    """As on the rotation screen: the profile's own MFA session, while valid, signs the
    IAM calls, so `rotate` needs no code (none is available here: it would fail)."""
    make_user("alice", mfa=True, allow_all=True)
    assert run(capsys, "refresh", "alice", "--token-code", "111111")[0] == 0
    session_key = raw_config_parse(str(sandbox_home.credentials))["alice-mfa"][
        "aws_access_key_id"]
    aws.injector.clear()
    code, _out, err = run(capsys, "rotate", "alice", "--yes")
    assert code == 0, err
    assert not aws.injector.calls("GetSessionToken")
    assert "IAM calls signed with the MFA session [alice-mfa]" in err
    assert aws.injector.calls("CreateAccessKey")[-1].access_key_id == session_key
