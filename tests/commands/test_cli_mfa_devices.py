"""`init --serial-number` checks the device: its shape, and (where IAM allows it) that it
belongs to the user. Security keys are refused."""

from __future__ import annotations

import tomllib

from tests.support.cli import cli


def saved_serial(sandbox_home, profile: str = "work") -> str | None:
    if not sandbox_home.settings.exists():
        return None
    data = tomllib.loads(sandbox_home.settings.read_text())
    return data.get("profiles", {}).get(profile, {}).get("mfa_serial")


def test_garbage_is_refused_and_not_saved(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    for garbage in ("garbage", "arn:aws:iam::12:mfa/x", "arn:aws:s3:::bucket"):
        done = cli("init", "work", "--serial-number", garbage)
        assert done.returncode == 2, done.stderr
        assert "must be an MFA device ARN" in done.stderr and done.stderr.count("\n") == 1
    assert saved_serial(sandbox_home) is None


def test_a_security_key_is_refused(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    done = cli("init", "work", "--serial-number", "arn:aws:iam::123456789012:u2f/user/alice/k")
    assert done.returncode == 2 and "security key" in done.stderr
    assert saved_serial(sandbox_home) is None


def test_someone_elses_device_is_refused(aws, make_user, sandbox_home):
    alice = make_user("alice", profile="work")
    bob = make_user("bob", profile="bob", write_profile=False)
    done = cli("init", "work", "--serial-number", bob.serial)
    assert done.returncode == 2, done.stderr
    assert f"not assigned to {alice.arn}" in done.stderr and alice.serial in done.stderr
    assert saved_serial(sandbox_home) is None


def test_own_device_and_a_hardware_serial_where_iam_is_denied(aws, make_user, sandbox_home):
    alice = make_user("alice", profile="work")
    done = cli("init", "work", "--serial-number", alice.serial)
    assert done.returncode == 0, done.stderr
    assert saved_serial(sandbox_home) == alice.serial
    aws.injector.add("ListMFADevices", code="AccessDenied", status=403,
                     message="not authorized to perform: iam:ListMFADevices")
    done = cli("init", "work", "--serial-number", "GAHT12345678")
    assert done.returncode == 0, done.stderr
    assert "saved unchecked" in done.stderr
    assert saved_serial(sandbox_home) == "GAHT12345678"
