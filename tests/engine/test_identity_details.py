"""What IAM says about an identity, asked with the data it needs (the identity and its two
sets of keys), against the emulator: who it is, its access keys, and which keys signed.

Which keys the service hands in (the MFA session while valid) is tested in
tests/engine/test_session_service.py."""

from __future__ import annotations

import pytest

from tests.support.sandbox import sandbox_service
from tui.engine.credential_values import AwsKeys
from tui.engine.errors import AwsMfaError
from tui.engine.mfa.codes import FixedCode
from tui.engine.profiles.identity_details import identity_details
from tui.engine.secret import Secret


@pytest.fixture
def alice(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    service = sandbox_service(sandbox_home)
    service.refresh("work", FixedCode(Secret("123456")))
    catalog = service.catalog()
    identity = catalog.identity("work")
    long_term = AwsKeys.from_section("work", catalog.session_section("work"))
    session = AwsKeys.from_section("work-mfa", catalog.session_section("work-mfa"))
    return user, identity, long_term, session


def test_the_signing_keys_list_the_access_keys_and_the_long_term_key_names_the_user(
        aws, alice):
    user, identity, long_term, session = alice
    details = identity_details(identity, long_term, session)
    assert (details.name, details.account, details.arn, details.user_name) == (
        "work", user.account, user.arn, "alice")
    assert [k.access_key_id for k in details.keys] == [user.access_key_id]
    assert details.signed_with == "work-mfa"
    assert aws.injector.calls("GetCallerIdentity")[-1].access_key_id == user.access_key_id
    assert aws.injector.calls("ListAccessKeys")[-1].access_key_id == session.access_key_id


def test_a_refused_session_falls_back_to_the_long_term_key(aws, alice):
    user, identity, long_term, session = alice
    aws.injector.add("ListAccessKeys", code="ExpiredToken", message="The token has expired")
    details = identity_details(identity, long_term, session)
    assert details.signed_with == "work"
    assert [c.access_key_id for c in aws.injector.calls("ListAccessKeys")] == [
        session.access_key_id, user.access_key_id]


def test_a_refused_long_term_key_is_the_error_itself(aws, alice):
    _user, identity, long_term, _session = alice
    aws.injector.add("ListAccessKeys", code="AccessDenied", status=403,
                     message="User is not authorized to perform: iam:ListAccessKeys")
    with pytest.raises(AwsMfaError, match="iam:ListAccessKeys"):
        identity_details(identity, long_term, long_term)
    assert len(aws.injector.calls("ListAccessKeys")) == 1  # not asked twice with one key
