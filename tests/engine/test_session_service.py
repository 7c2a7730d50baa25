"""SessionService paths the command line doesn't reach: the details view's IAM queries."""

from __future__ import annotations

from tests.support.sandbox import sandbox_service
from tui.engine.mfa_code import FixedCode
from tui.engine.secret import Secret


def test_details_are_asked_with_the_session_while_it_is_valid(aws, make_user, sandbox_home):
    user = make_user("alice", profile="work")
    service = sandbox_service(sandbox_home)
    service.refresh("work", FixedCode(Secret("123456")))
    details = service.identity_details("work")
    assert details.arn == user.arn and details.user_name == "alice"
    assert [k.access_key_id for k in details.keys] == [user.access_key_id]
    assert details.signed_with == "work-mfa"
    listing = aws.injector.calls("ListAccessKeys")[-1]
    assert listing.access_key_id != user.access_key_id  # the session's key signed it


def test_details_fall_back_to_the_key_when_the_session_is_refused(aws, make_user,
                                                                  sandbox_home):
    user = make_user("alice", profile="work")
    service = sandbox_service(sandbox_home)
    service.refresh("work", FixedCode(Secret("123456")))
    aws.injector.add("ListAccessKeys", code="ExpiredToken", message="The token has expired")
    details = service.identity_details("work")
    assert details.signed_with == "work"
    assert aws.injector.calls("ListAccessKeys")[-1].access_key_id == user.access_key_id
