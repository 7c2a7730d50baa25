"""Key rotation against the emulator: every path ends with one working key, or a message
that names the key needing attention.

Signature checking is on wherever a key's validity matters (a deleted key really stops
working). moto then rejects GetSessionToken credentials, so the MFA-signed path runs with
checking off and asserts which key signed each IAM call instead. moto accepts inactive keys,
so deactivation is checked through ListAccessKeys.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
from datetime import UTC, datetime, timedelta

import boto3
import botocore.exceptions
import pytest
from botocore.configloader import raw_config_parse

from tests.support.sandbox import sandbox_service
from tui.engine.aws import calls as aws_calls
from tui.engine.aws.calls import AccessKeyInfo
from tui.engine.errors import CredentialsFileError, RotationError
from tui.engine.mfa.codes import FixedCode
from tui.engine.mfa.sent_codes import SENT_CODES
from tui.engine.rotation.access_keys import describe_age, is_key_old, old_keys
from tui.engine.rotation.key_rotation import VERIFY_TIMEOUT, KeyRotation
from tui.engine.rotation.plan import RotationStep, StepOutcome
from tui.engine.secret import Secret
from tui.engine.sessions.service import SessionService

ADMIN_KEY = "AKIAADMINEXAMPLE0000"  # make_user.iam signs with this


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def service_for(sandbox, lock_timeout: float = 30.0) -> SessionService:
    # With the process-wide memory of used codes, as the `rotate` command has.
    return sandbox_service(sandbox, used_codes=SENT_CODES, lock_timeout=lock_timeout)


def rotator(service, profile, fake_time, **kwargs) -> KeyRotation:
    return KeyRotation(service, profile, sleep=fake_time.sleep,
                       monotonic=fake_time.monotonic, **kwargs)


def sts_works(aws, key_id: str, secret: str) -> bool:
    sts = boto3.client("sts", endpoint_url=aws.url, region_name="us-east-1",
                       aws_access_key_id=key_id, aws_secret_access_key=secret)
    try:
        sts.get_caller_identity()
    except botocore.exceptions.ClientError:
        return False
    return True


def iam_keys(aws, make_user, user_name: str) -> dict[str, str]:
    """{key id: status}, read with checking switched off (the admin key isn't real)."""
    aws.set_auth(False)
    listed = make_user.iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in listed}


def credentials(sandbox) -> dict[str, dict[str, str]]:
    return raw_config_parse(str(sandbox.credentials))


def assert_one_working_key(aws, make_user, sandbox, user, profile: str) -> str:
    """The file's key works, and it is the user's only key in IAM."""
    section = credentials(sandbox)[profile]
    key, secret = section["aws_access_key_id"], section["aws_secret_access_key"]
    aws.set_auth(True)
    assert sts_works(aws, key, secret)
    assert iam_keys(aws, make_user, user.name) == {key: "Active"}
    return key


def steps_of(events, outcome=StepOutcome.DONE) -> list[RotationStep]:
    return [e.step for e in events if e.outcome is outcome]


# ------------------------------------------------------------------ happy paths
def test_happy_path_replaces_key_and_old_one_stops_working(aws, make_user, sandbox_home,
                                                           fake_time):
    user = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    service = service_for(sandbox_home)
    rotation = rotator(service, "carol", fake_time)
    plan = rotation.plan()
    assert plan.blocked is None
    assert plan.old_key_id == user.access_key_id
    assert plan.sections == ("carol",)
    assert [k.access_key_id for k in plan.keys] == [user.access_key_id]
    events = []
    result = rotation.run(plan, on_step=events.append)

    section = credentials(sandbox_home)["carol"]
    assert section["aws_access_key_id"] == result.new_key_id != user.access_key_id
    assert section["aws_secret_access_key"] != user.secret_access_key
    assert result.old_key_state == "deleted"
    assert steps_of(events) == [RotationStep.CHECK, RotationStep.CREATE, RotationStep.PERSIST,
                                RotationStep.VERIFY, RotationStep.DEACTIVATE,
                                RotationStep.DELETE]
    assert steps_of(events, StepOutcome.SKIPPED) == [RotationStep.MARK_STALE]
    assert not steps_of(events, StepOutcome.FAILED)
    assert fake_time.sleeps == []  # moto's new keys work at once
    # The deleted key really stops working; the new one works.
    assert not sts_works(aws, user.access_key_id, user.secret_access_key)
    # Create was signed with the old key; deactivate and delete with the new, verified one.
    assert aws.injector.calls("CreateAccessKey")[-1].access_key_id == user.access_key_id
    assert aws.injector.calls("UpdateAccessKey")[0].access_key_id == result.new_key_id
    assert aws.injector.calls("DeleteAccessKey")[0].access_key_id == result.new_key_id
    assert assert_one_working_key(aws, make_user, sandbox_home, user, "carol") == \
        result.new_key_id


def test_new_secret_is_only_a_secret_and_only_in_the_file(aws, make_user, sandbox_home,
                                                          fake_time):
    user = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    service = service_for(sandbox_home)
    rotation = rotator(service, "carol", fake_time)
    events = []
    plan = rotation.plan()
    result = rotation.run(plan, on_step=events.append)
    secret = credentials(sandbox_home)["carol"]["aws_secret_access_key"]
    shown = repr(result) + repr(plan) + "".join(repr(e) for e in events)
    assert secret not in shown and user.secret_access_key not in shown
    # The journal: next to the settings, 0600, JSON lines with key ids and no secret.
    log = sandbox_home.settings.parent / "rotation.log"
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    text = log.read_text()
    assert secret not in text and user.secret_access_key not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert {r["profile"] for r in records} == {"carol"}
    assert records[0]["old_key"] == user.access_key_id
    assert records[0]["step"] == "begin" and records[-1]["step"] == "end"
    done = [(r["step"], r["new_key"]) for r in records if r["outcome"] == "done"]
    assert ("delete", result.new_key_id) in done
    assert all({"time", "step", "outcome"} <= set(r) for r in records)
    # Append-only: a second rotation adds lines, keeps the first ones.
    rotation.run(rotation.plan())
    assert log.read_text().startswith(text)


def test_mfa_profile_signs_iam_calls_with_a_rotation_session(aws, make_user, sandbox_home,
                                                            fake_time):
    user = make_user("alice", mfa=True)  # checking off: moto rejects session credentials
    service = service_for(sandbox_home)
    service.refresh("alice", FixedCode(Secret("111111")))  # an MFA session made from the key
    expiration_before = credentials(sandbox_home)["alice-mfa"]["expiration"]
    rotation = rotator(service, "alice", fake_time)
    request = rotation.code_request()
    assert request is not None and request.serial == user.serial
    rotation.authenticate(FixedCode(Secret("222222")))
    plan = rotation.plan()
    assert plan.stale_sessions == ("alice-mfa",)
    assert "MFA session" in plan.signed_with
    result = rotation.run(plan)

    sent = aws.injector.calls("GetSessionToken")[-1]
    assert sent.params["TokenCode"] == "222222" and sent.params["SerialNumber"] == user.serial
    assert sent.params["DurationSeconds"] == "3600"
    session_key = rotation.session.access_key_id
    assert session_key != user.access_key_id
    for action in ("ListAccessKeys", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"):
        signers = {c.access_key_id for c in aws.injector.calls(action)} - {ADMIN_KEY}
        assert signers == {session_key}, action
    # The new key itself signed the verification.
    assert aws.injector.calls("GetCallerIdentity")[-1].access_key_id == result.new_key_id
    # The MFA session made from the old key is marked stale, its expiry left as AWS gave
    # it (not rewritten to a fake "expired just now").
    assert result.stale_sessions == ("alice-mfa",)
    section = credentials(sandbox_home)["alice-mfa"]
    assert section["stale"] == "key-rotated"
    assert section["expiration"] == expiration_before
    assert service.catalog().identity("alice").session.stale == "key-rotated"
    assert service.status()[0].entry.state.needs_refresh
    # A new session written there drops the mark.
    service.refresh("alice", FixedCode(Secret("333333")), force=True)
    assert "stale" not in credentials(sandbox_home)["alice-mfa"]
    assert not service.status()[0].entry.state.needs_refresh
    assert iam_keys(aws, make_user, "alice") == {result.new_key_id: "Active"}


def test_a_used_code_is_not_sent_again(aws, make_user, sandbox_home, fake_time):
    make_user("alice", mfa=True)
    service = service_for(sandbox_home)
    service.refresh("alice", FixedCode(Secret("111111")))
    with pytest.raises(Exception, match="already used"):
        rotator(service, "alice", fake_time).authenticate(FixedCode(Secret("111111")))


def test_two_profiles_sharing_a_key_are_both_updated(aws, make_user, sandbox_home, fake_time):
    user = make_user("carol", profile="work", mfa=False, allow_all=True)
    with open(sandbox_home.credentials, "a") as handle:
        handle.write(
            "# same key, other name\n[work-copy]\n"
            f"aws_access_key_id={user.access_key_id}\n"
            f"aws_secret_access_key={user.secret_access_key}\nregion_note = kept\n"
        )
    aws.set_auth(True)
    rotation = rotator(service_for(sandbox_home), "work", fake_time)
    plan = rotation.plan()
    assert plan.sections == ("work", "work-copy")
    result = rotation.run(plan)
    creds = credentials(sandbox_home)
    assert creds["work"] == {k: v for k, v in creds["work-copy"].items() if k != "region_note"}
    assert creds["work-copy"]["aws_access_key_id"] == result.new_key_id
    assert creds["work-copy"]["region_note"] == "kept"
    text = sandbox_home.credentials.read_text()
    assert "# same key, other name" in text
    assert result.sections == ("work", "work-copy")
    assert_one_working_key(aws, make_user, sandbox_home, user, "work-copy")


def test_keep_old_inactive_leaves_it_inactive(aws, make_user, sandbox_home, fake_time):
    user = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    events = []
    result = rotation.run(rotation.plan(keep_old_inactive=True), on_step=events.append)
    assert result.old_key_state == "inactive"
    assert RotationStep.DELETE in steps_of(events, StepOutcome.SKIPPED)
    assert iam_keys(aws, make_user, "carol") == {
        user.access_key_id: "Inactive", result.new_key_id: "Active"}


# ------------------------------------------------------------------ two keys
def test_two_active_keys_are_refused_and_nothing_changes(aws, make_user, sandbox_home,
                                                         fake_time):
    user = make_user("carol", mfa=False, allow_all=True)
    other = make_user.iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]
    before = sandbox_home.credentials.read_bytes()
    aws.set_auth(True)
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    plan = rotation.plan(delete_inactive=True)  # an active key is never deleted
    assert plan.blocked and other in plan.blocked and "active" in plan.blocked
    assert {k.access_key_id for k in plan.keys} == {user.access_key_id, other}
    assert not plan.can_delete_other
    with pytest.raises(RotationError) as caught:
        rotation.run(plan)
    assert caught.value.exit_code == 7
    assert [c for c in aws.injector.calls("CreateAccessKey")
            if c.access_key_id != ADMIN_KEY] == []
    assert sandbox_home.credentials.read_bytes() == before
    assert iam_keys(aws, make_user, "carol") == {user.access_key_id: "Active",
                                                 other: "Active"}


def test_inactive_second_key_blocks_until_deletion_is_asked_for(aws, make_user, sandbox_home,
                                                                fake_time):
    user = make_user("carol", mfa=False, allow_all=True)
    other = make_user.iam.create_access_key(UserName="carol")["AccessKey"]["AccessKeyId"]
    make_user.iam.update_access_key(UserName="carol", AccessKeyId=other, Status="Inactive")
    aws.set_auth(True)
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    plan = rotation.plan()
    assert plan.blocked and "--delete-inactive" in plan.blocked
    assert plan.can_delete_other and plan.other_key.access_key_id == other
    plan = rotation.plan(delete_inactive=True)
    assert plan.blocked is None and plan.delete_other_first
    assert plan.steps()[:3] == [RotationStep.CHECK, RotationStep.DELETE_INACTIVE,
                                RotationStep.CREATE]
    events = []
    result = rotation.run(plan, on_step=events.append)
    assert RotationStep.DELETE_INACTIVE in steps_of(events)
    assert aws.injector.calls("DeleteAccessKey")[0].params["AccessKeyId"] == other
    assert assert_one_working_key(aws, make_user, sandbox_home, user, "carol") == \
        result.new_key_id


def test_keys_changed_since_the_plan_stop_the_run(aws, make_user, sandbox_home, fake_time):
    make_user("carol", mfa=False, allow_all=True)
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    plan = rotation.plan()
    make_user.iam.create_access_key(UserName="carol")
    with pytest.raises(RotationError, match="changed since the plan"):
        rotation.run(plan)
    assert aws.injector.calls("CreateAccessKey")[-1].access_key_id == "AKIAADMINEXAMPLE0000"


# ------------------------------------------------------------------ faults at each step
def test_create_fails_nothing_changes(aws, make_user, sandbox_home, fake_time):
    user = make_user("carol", mfa=False, allow_all=True)
    before = sandbox_home.credentials.read_bytes()
    aws.set_auth(True)
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    plan = rotation.plan()
    aws.injector.add("CreateAccessKey", code="AccessDenied", status=403,
                     message="not authorized to perform: iam:CreateAccessKey")
    with pytest.raises(RotationError, match=r"creating the new key failed.*nothing was changed"):
        rotation.run(plan)
    assert sandbox_home.credentials.read_bytes() == before
    assert_one_working_key(aws, make_user, sandbox_home, user, "carol")


def test_create_whose_answer_is_lost_deletes_the_orphan(aws, make_user, sandbox_home,
                                                        fake_time, monkeypatch):
    """The network drops after AWS made the key: nobody has its secret, so it goes."""
    user = make_user("carol", mfa=False, allow_all=True)
    before = sandbox_home.credentials.read_bytes()
    aws.set_auth(True)
    real_iam = aws_calls.iam_client

    class LosesCreateAnswer:
        def __init__(self, client):
            self.client = client

        def create_access_key(self, **kwargs):
            self.client.create_access_key(**kwargs)
            raise botocore.exceptions.ReadTimeoutError(endpoint_url=aws.url)

        def __getattr__(self, name):
            return getattr(self.client, name)

    monkeypatch.setattr(aws_calls, "iam_client",
                        lambda keys, retries=True: LosesCreateAnswer(real_iam(keys, retries)))
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    events = []
    with pytest.raises(RotationError, match="nothing was changed") as caught:
        rotation.run(rotation.plan(), on_step=events.append)
    assert "did not answer" in str(caught.value)
    assert RotationStep.REMOVE_ORPHAN in steps_of(events)
    assert sandbox_home.credentials.read_bytes() == before
    assert_one_working_key(aws, make_user, sandbox_home, user, "carol")


def test_create_is_sent_once_even_on_a_server_error(aws, make_user, sandbox_home, fake_time):
    make_user("carol", mfa=False, allow_all=True)
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    plan = rotation.plan()
    aws.injector.add("CreateAccessKey", code="ServiceUnavailable", status=503, times=-1)
    with pytest.raises(RotationError, match="server error"):
        rotation.run(plan)
    assert len([c for c in aws.injector.calls("CreateAccessKey")
                if c.access_key_id != ADMIN_KEY]) == 1


def hold_lock(sandbox):
    handle = open(sandbox.aws_dir / ".credentials.lock", "a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def test_persist_fails_on_a_held_lock_and_the_new_key_is_deleted(aws, make_user, sandbox_home,
                                                                 fake_time):
    user = make_user("carol", mfa=False, allow_all=True)
    before = sandbox_home.credentials.read_bytes()
    aws.set_auth(True)
    rotation = rotator(service_for(sandbox_home, lock_timeout=0.2), "carol", fake_time)
    plan = rotation.plan()
    events = []
    handle = hold_lock(sandbox_home)
    try:
        with pytest.raises(RotationError) as caught:
            rotation.run(plan, on_step=events.append)
    finally:
        handle.close()
    message = str(caught.value)
    assert "waited 0.2 s for the lock" in message and "the new key was deleted" in message
    assert steps_of(events, StepOutcome.FAILED) == [RotationStep.PERSIST]
    assert RotationStep.REMOVE_NEW in steps_of(events)
    assert sandbox_home.credentials.read_bytes() == before
    assert_one_working_key(aws, make_user, sandbox_home, user, "carol")


def test_persist_and_cleanup_both_fail_names_the_new_key(aws, make_user, sandbox_home,
                                                         fake_time, monkeypatch):
    user = make_user("carol", mfa=False, allow_all=True)
    before = sandbox_home.credentials.read_bytes()
    aws.set_auth(True)
    service = service_for(sandbox_home)

    def refuse(change, **options):
        raise CredentialsFileError("can't write the credentials file: disk full; the file "
                                   "was left unchanged")

    monkeypatch.setattr(service.store, "edit", refuse)  # the store's own interface fails
    rotation = rotator(service, "carol", fake_time)
    plan = rotation.plan()
    aws.injector.add("DeleteAccessKey", code="ServiceUnavailable", status=503, times=-1)
    with pytest.raises(RotationError) as caught:
        rotation.run(plan)
    new_key = next(k for k in iam_keys(aws, make_user, "carol") if k != user.access_key_id)
    assert f"delete access key {new_key} in IAM" in str(caught.value)  # the full id
    assert "disk full" in str(caught.value)
    assert sandbox_home.credentials.read_bytes() == before
    assert sts_works(aws, user.access_key_id, user.secret_access_key)


def test_verify_fails_for_60_seconds_restores_old_key_and_deletes_new(aws, make_user,
                                                                      sandbox_home, fake_time):
    user = make_user("carol", profile="work", mfa=False, allow_all=True)
    with open(sandbox_home.credentials, "a") as handle:
        handle.write(f"[twin]\naws_access_key_id = {user.access_key_id}\n"
                     f"aws_secret_access_key = {user.secret_access_key}\n")
    before = sandbox_home.credentials.read_bytes()
    aws.set_auth(True)
    rotation = rotator(service_for(sandbox_home), "work", fake_time)
    plan = rotation.plan()
    aws.injector.add("GetCallerIdentity", code="InvalidClientTokenId", status=403, times=-1,
                     message="The security token included in the request is invalid.")
    events = []
    with pytest.raises(RotationError) as caught:
        rotation.run(plan, on_step=events.append)
    assert "didn't work" in str(caught.value) and "the new key was deleted" in str(caught.value)
    assert VERIFY_TIMEOUT == 60.0
    assert sum(fake_time.sleeps) == pytest.approx(60.0)
    assert fake_time.sleeps[:4] == [1.0, 2.0, 4.0, 8.0] and max(fake_time.sleeps) == 8.0
    assert len(aws.injector.calls("GetCallerIdentity")) > 5
    assert steps_of(events) [-2:] == [RotationStep.RESTORE, RotationStep.REMOVE_NEW]
    assert sandbox_home.credentials.read_bytes() == before  # both sections restored
    aws.injector.clear()
    assert_one_working_key(aws, make_user, sandbox_home, user, "twin")


def test_verify_retries_until_the_new_key_works(aws, make_user, sandbox_home, fake_time):
    user = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    plan = rotation.plan()
    aws.injector.add("GetCallerIdentity", code="InvalidClientTokenId", status=403, times=2)
    result = rotation.run(plan)
    assert fake_time.sleeps == [1.0, 2.0]
    assert assert_one_working_key(aws, make_user, sandbox_home, user, "carol") == \
        result.new_key_id


def test_verify_and_restore_both_fail_names_both_keys(aws, make_user, sandbox_home,
                                                      fake_time, monkeypatch):
    user = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    service = service_for(sandbox_home)
    rotation = rotator(service, "carol", fake_time)
    plan = rotation.plan()
    aws.injector.add("GetCallerIdentity", code="InvalidClientTokenId", status=403, times=-1)
    real_edit = service.store.edit
    calls = []

    def edit_once(change, **options):
        calls.append(change)
        if len(calls) > 1:
            raise CredentialsFileError("can't write: read-only file system")
        return real_edit(change, **options)

    monkeypatch.setattr(service.store, "edit", edit_once)
    with pytest.raises(RotationError) as caught:
        rotation.run(plan)
    new_key = credentials(sandbox_home)["carol"]["aws_access_key_id"]
    message = str(caught.value)
    assert new_key in message and user.access_key_id in message and "both keys were kept" in \
        message
    assert set(iam_keys(aws, make_user, "carol")) == {user.access_key_id, new_key}


def test_deactivate_fails_keeps_the_verified_new_key(aws, make_user, sandbox_home, fake_time):
    """Past a good verify nothing is undone: a lost answer may have deactivated the old key
    after all, and rolling back to it could leave no working key."""
    user = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    plan = rotation.plan()
    aws.injector.add("UpdateAccessKey", code="AccessDenied", status=403, times=-1,
                     message="not authorized to perform: iam:UpdateAccessKey")
    events = []
    with pytest.raises(RotationError) as caught:
        rotation.run(plan, on_step=events.append)
    assert RotationStep.RESTORE not in steps_of(events)
    assert RotationStep.REMOVE_NEW not in steps_of(events)
    section = credentials(sandbox_home)["carol"]
    new_key = section["aws_access_key_id"]
    assert new_key != user.access_key_id
    message = str(caught.value)
    assert f"the new key {new_key} is in the credentials file and works" in message
    assert f"the old key {user.access_key_id} is still active" in message
    assert sts_works(aws, new_key, section["aws_secret_access_key"])
    assert iam_keys(aws, make_user, user.name) == {new_key: "Active",
                                                   user.access_key_id: "Active"}


def test_deactivate_fails_and_iam_unreachable_names_the_old_key(aws, make_user, sandbox_home,
                                                                 fake_time):
    user = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    plan = rotation.plan()
    aws.injector.add("UpdateAccessKey", code="ServiceUnavailable", status=503, times=-1)

    def network_goes(event):
        if event.step is RotationStep.DEACTIVATE and event.outcome is StepOutcome.RUNNING:
            aws.injector.add("ListAccessKeys", code="ServiceUnavailable", status=503, times=-1)

    with pytest.raises(RotationError) as caught:
        rotation.run(plan, on_step=network_goes)
    section = credentials(sandbox_home)["carol"]
    assert f"delete the old key {user.access_key_id} in IAM" in str(caught.value)
    assert section["aws_access_key_id"] in str(caught.value)
    assert sts_works(aws, section["aws_access_key_id"], section["aws_secret_access_key"])


def test_delete_fails_leaves_new_key_working_and_names_the_old_key(aws, make_user,
                                                                   sandbox_home, fake_time):
    user = make_user("carol", mfa=False, allow_all=True)
    aws.set_auth(True)
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    plan = rotation.plan()
    aws.injector.add("DeleteAccessKey", code="AccessDenied", status=403, times=-1,
                     message="not authorized to perform: iam:DeleteAccessKey")
    with pytest.raises(RotationError) as caught:
        rotation.run(plan)
    assert caught.value.exit_code == 7
    message = str(caught.value)
    assert f"the old key {user.access_key_id} is inactive; delete it in IAM" in message
    section = credentials(sandbox_home)["carol"]
    log = (sandbox_home.settings.parent / "rotation.log").read_text()
    assert '"step": "delete", "outcome": "failed"' in log
    for full in (user.access_key_id, section["aws_access_key_id"]):
        assert full in log
    assert section["aws_secret_access_key"] not in log
    assert sts_works(aws, section["aws_access_key_id"], section["aws_secret_access_key"])
    assert iam_keys(aws, make_user, "carol") == {
        user.access_key_id: "Inactive", section["aws_access_key_id"]: "Active"}


# ------------------------------------------------------------------ key age
def test_key_age_helpers_flag_keys_older_than_90_days():
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    young = AccessKeyInfo("AKIAYOUNG00000000000", "Active", now - timedelta(days=90))
    old = AccessKeyInfo("AKIAOLD0000000000000", "Active", now - timedelta(days=91))
    undated = AccessKeyInfo("AKIAUNDATED000000000", "Active", None)
    assert old_keys([young, old, undated], now) == [old]
    # The boundary itself: exactly 90 days is not old, a second more is.
    assert not is_key_old(now - timedelta(days=90), now)
    assert is_key_old(now - timedelta(days=90, seconds=1), now)
    # A naive date from IAM counts as UTC, at the same boundary.
    naive = (now - timedelta(days=90, seconds=1)).replace(tzinfo=None)
    assert is_key_old(naive, now)
    # The limit is a parameter: the main screen's default is one value of it.
    assert is_key_old(now - timedelta(days=31), now, max_age_days=30)
    assert not is_key_old(now - timedelta(days=30), now, max_age_days=30)
    assert not is_key_old(young.created, now) and is_key_old(old.created, now)
    assert describe_age(old.created, now) == "91 days"
    assert describe_age(now - timedelta(hours=3), now) == "today"
    assert describe_age(None, now) == "-"
    assert describe_age(now + timedelta(minutes=5), now) == "today"  # clock skew


def test_a_definite_create_refusal_never_deletes_a_key_made_by_someone_else(
        aws, make_user, sandbox_home, fake_time):
    user = make_user("carol", mfa=False, allow_all=True)
    rotation = rotator(service_for(sandbox_home), "carol", fake_time)
    plan = rotation.plan()
    theirs = {}

    def someone_else_creates_a_key(event):
        # Between our check and our create, an admin (or another rotation) adds a key, and
        # then our create is refused outright.
        if event.step is RotationStep.CREATE and event.outcome is StepOutcome.RUNNING:
            theirs["id"] = make_user.iam.create_access_key(UserName="carol")["AccessKey"][
                "AccessKeyId"]
            aws.injector.add("CreateAccessKey", code="LimitExceeded", status=409,
                             message="Cannot exceed quota for AccessKeysPerUser: 2")

    with pytest.raises(RotationError, match="nothing was changed"):
        rotation.run(plan, on_step=someone_else_creates_a_key)
    assert iam_keys(aws, make_user, user.name) == {user.access_key_id: "Active",
                                                   theirs["id"]: "Active"}
    assert aws.injector.calls("DeleteAccessKey") == []


# ------------------------------------------------------------------ one at a time
def test_a_second_rotation_while_one_runs_changes_nothing(aws, make_user, sandbox_home,
                                                          fake_time):
    """Another process mid-rotation holds the rotation lock: a second `rotate` (or a
    recovery, which would take the first's open journal entry for a cut-off one) must
    refuse at once, before any IAM change."""
    from tui.engine.rotation.key_rotation import ROTATION_LOCK_NAME

    user = make_user("carol", mfa=False, allow_all=True)
    service = service_for(sandbox_home)
    rotation = rotator(service, "carol", fake_time)
    plan = rotation.plan()
    aws.injector.clear()
    # The first rotation, cut in the middle: begun in the journal, lock held elsewhere.
    rotation.journal.write("carol", "begin", "running", user.access_key_id,
                           known_keys=[user.access_key_id])
    assert rotation.log_path is not None
    lock_path = rotation.log_path.with_name(ROTATION_LOCK_NAME)
    with open(lock_path, "a") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(RotationError, match="another key rotation is running"):
            rotation.run(plan)
        with pytest.raises(RotationError, match="another key rotation is running"):
            rotation.finish_unfinished()
    assert not aws.injector.calls("CreateAccessKey")
    assert not aws.injector.calls("DeleteAccessKey")
    assert not aws.injector.calls("UpdateAccessKey")
    assert credentials(sandbox_home)["carol"]["aws_access_key_id"] == user.access_key_id
