"""Which MFA device an identity uses, against the local emulator: configured, or found
through IAM and kept; FIDO/U2F keys skipped; several devices or none said plainly.

moto can't create FIDO keys: their ListMFADevices reply is injected at the HTTP layer."""

from __future__ import annotations

import pytest

from tests.support.aws_emulator import list_mfa_devices_reply
from tests.support.sandbox import sandbox_service
from tui.engine.mfa.devices import MfaDevices, NoMfaDevice, SeveralMfaDevices
from tui.engine.profiles.catalog import IdentityProfile

KEY = "arn:aws:iam::123456789012:u2f/user/alice/key-ABCD"
PHONE = "arn:aws:iam::123456789012:mfa/alice-phone"
HARDWARE = "GAHT12345678"


def _devices(sandbox_home) -> tuple[MfaDevices, IdentityProfile]:
    service = sandbox_service(sandbox_home)
    return MfaDevices(service.long_term_keys), service.catalog().identity("work")


def _listings(aws) -> int:
    return len(aws.injector.calls("ListMFADevices"))


def test_one_device_is_found_with_the_long_term_key_and_kept(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    devices, work = _devices(sandbox_home)
    assert devices.discovered() == {}
    assert devices.resolve(work) == user.serial
    assert aws.injector.calls("ListMFADevices")[-1].access_key_id == user.access_key_id
    assert devices.discovered() == {"work": user.serial}
    assert devices.resolve(work) == devices.device(work) == user.serial
    assert _listings(aws) == 1  # asked once


def test_a_configured_or_given_serial_asks_iam_nothing(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    devices, work = _devices(sandbox_home)
    assert devices.resolve(work, explicit=PHONE) == PHONE
    assert devices.device(work, explicit=PHONE) == PHONE
    configured = work._replace(mfa_serial=HARDWARE)
    assert devices.resolve(configured) == devices.device(configured) == HARDWARE
    assert _listings(aws) == 0 and devices.discovered() == {}


def test_several_devices_are_an_error_unless_someone_chooses(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    aws.injector.add("ListMFADevices", status=200, times=-1,
                     body=list_mfa_devices_reply("alice", [user.serial, PHONE]))
    devices, work = _devices(sandbox_home)
    with pytest.raises(SeveralMfaDevices) as caught:
        devices.resolve(work)
    assert caught.value.survey.usable == (user.serial, PHONE)
    assert user.serial in str(caught.value) and "--serial-number" in str(caught.value)
    with pytest.raises(SeveralMfaDevices):
        devices.device(work)  # guessing could ask for a code from a device nobody holds
    offered: list[list[str]] = []

    def choose(serials: list[str]) -> str:
        offered.append(serials)
        return serials[1]

    assert devices.resolve(work, choose=choose) == PHONE
    assert offered == [[user.serial, PHONE]]
    listed = _listings(aws)
    assert devices.resolve(work) == PHONE and _listings(aws) == listed  # kept


def test_a_person_s_choice_is_used_from_then_on(aws, make_user, sandbox_home):
    make_user("alice", profile="work")
    devices, work = _devices(sandbox_home)
    devices.chosen(work, PHONE)
    assert devices.resolve(work) == devices.device(work) == PHONE
    assert _listings(aws) == 0


def test_security_keys_are_skipped_with_a_note(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    aws.injector.add("ListMFADevices", status=200, times=-1,
                     body=list_mfa_devices_reply("alice", [KEY, user.serial]))
    devices, work = _devices(sandbox_home)
    survey = devices.survey(work)
    assert survey.usable == (user.serial,) and survey.skipped == (KEY,)
    assert survey.user_arn == user.arn
    assert survey.skipped_note() == (
        f"skipped 1 FIDO/U2F security key ({KEY}): STS can't use them for sessions")
    assert devices.skipped("work") == (KEY,) and devices.skipped("other") == ()
    assert devices.resolve(work) == user.serial


def test_no_usable_device_is_an_error_for_discovery_and_none_for_device(aws, make_user,
                                                                       sandbox_home):
    make_user("alice", profile="work")
    aws.injector.add("ListMFADevices", status=200, times=-1,
                     body=list_mfa_devices_reply("alice", [KEY]))
    devices, work = _devices(sandbox_home)
    with pytest.raises(NoMfaDevice) as caught:
        devices.discover(work)
    assert KEY in str(caught.value) and "--token-code skip" in str(caught.value)
    assert devices.device(work) is None
    listed = _listings(aws)
    assert devices.device(work) is None and _listings(aws) == listed  # "none" is kept too
    assert devices.discovered() == {"work": ""}


def test_a_user_without_any_device(aws, make_user, sandbox_home):
    make_user("alice", profile="work", mfa=False)
    devices, work = _devices(sandbox_home)
    assert devices.survey(work).usable == ()
    with pytest.raises(NoMfaDevice, match="security keys can't be used here"):
        devices.resolve(work)
    assert devices.device(work) is None
