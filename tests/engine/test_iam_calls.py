"""The IAM calls of key rotation on their own, against the emulator: create (never
retried), deactivate, delete, the keys' states, and trying signers in order only while AWS
refuses the credentials themselves.

Whole rotations are tested in test_rotation*.py."""

from __future__ import annotations

import pytest

from tui.engine.credential_values import AwsKeys
from tui.engine.errors import AwsAuthError, AwsUnavailableError
from tui.engine.rotation import iam_calls
from tui.engine.rotation.iam_calls import IamCallError
from tui.engine.secret import Secret


@pytest.fixture
def alice(aws, make_user):
    user = make_user("alice", profile="work", allow_all=True)
    return user, AwsKeys(user.access_key_id, Secret(user.secret_access_key), None, "work")


def test_a_key_is_made_deactivated_and_deleted(aws, alice):
    user, keys = alice
    new_id, secret = iam_calls.create_access_key(keys, "alice")
    assert new_id != user.access_key_id and secret.reveal() and "Secret('****')" == repr(secret)
    states = iam_calls.key_states(keys, "alice")
    assert {k: s for k, (s, _) in states.items()} == {user.access_key_id: "Active",
                                                       new_id: "Active"}
    assert all(created is not None and created.tzinfo is not None
               for _, created in states.values())
    iam_calls.deactivate_access_key(keys, new_id, "alice")
    assert iam_calls.key_states(keys, "alice")[new_id][0] == "Inactive"
    iam_calls.delete_access_key(keys, new_id, "alice")
    assert set(iam_calls.key_states(keys, "alice")) == {user.access_key_id}


def test_a_create_is_never_retried(aws, alice):
    _user, keys = alice
    before = len(aws.injector.calls("CreateAccessKey"))  # the fixture's own key
    aws.injector.add("CreateAccessKey", code="ServiceUnavailable", status=503,
                     message="Service is unavailable")
    with pytest.raises(IamCallError) as caught:
        iam_calls.create_access_key(keys, "alice")
    # The answer was lost: the error says so (a key may exist), and it was asked once.
    assert isinstance(caught.value.error, AwsUnavailableError)
    assert not caught.value.signer_refused
    assert len(aws.injector.calls("CreateAccessKey")) == before + 1


def test_the_third_key_is_refused_as_the_action_not_the_signer(aws, alice):
    _user, keys = alice
    iam_calls.create_access_key(keys, "alice")
    with pytest.raises(IamCallError) as caught:
        iam_calls.create_access_key(keys, "alice")  # two keys per user at most
    assert not caught.value.signer_refused


def test_signers_are_tried_in_order_while_aws_refuses_the_credentials(aws, alice):
    user, keys = alice
    lapsed = AwsKeys("ASIALAPSEDSESSION001", Secret("s"), Secret("t"), "work-mfa")
    aws.injector.add("ListAccessKeys", code="ExpiredToken", status=403,
                     message="The security token included in the request is expired")
    states = iam_calls.first_accepted([lapsed, keys],
                                      lambda signer: iam_calls.key_states(signer, "alice"))
    assert set(states) == {user.access_key_id}
    assert [c.access_key_id for c in aws.injector.calls("ListAccessKeys")] == [
        "ASIALAPSEDSESSION001", user.access_key_id]


def test_a_refused_action_stops_at_the_first_signer(aws, alice):
    _user, keys = alice
    aws.injector.add("ListAccessKeys", code="NoSuchEntity", status=404,
                     message="The user with name bob cannot be found.")
    with pytest.raises(IamCallError) as caught:
        iam_calls.first_accepted([keys, keys],
                                 lambda signer: iam_calls.key_states(signer, "bob"))
    assert not caught.value.signer_refused
    assert len(aws.injector.calls("ListAccessKeys")) == 1


def test_when_every_signer_is_refused_the_last_refusal_is_raised(aws, alice):
    _user, keys = alice
    aws.injector.add("ListAccessKeys", code="InvalidClientTokenId", status=403, times=2,
                     message="The security token included in the request is invalid.")
    with pytest.raises(IamCallError) as caught:
        iam_calls.first_accepted([keys, keys._replace(profile="other")],
                                 lambda signer: iam_calls.key_states(signer, "alice"))
    assert caught.value.signer_refused and isinstance(caught.value.error, AwsAuthError)
    assert "other" in str(caught.value)
