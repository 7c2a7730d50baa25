"""The one redactor: known secrets, codes near the word "code", secret-like runs and quoted
values in AWS's text never leave the engine in a message.

tests/commands/test_secrets_in_messages.py checks whole commands' output; here each rule is
checked on its own, with what it must leave alone."""

from __future__ import annotations

from tui.engine.errors import AwsMfaError
from tui.engine.redaction import MASK, Redactor, redact
from tui.engine.secret import Secret

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # 40 characters, as AWS makes them
ARN = "arn:aws:iam::123456789012:mfa/alice"


def test_a_known_secret_is_removed_wherever_it_stands():
    redactor = Redactor([Secret("hunter22"), "tok-abc", None, ""])
    assert redactor("x=hunter22; y=[tok-abc]") == f"x={MASK}; y=[{MASK}]"
    assert redactor("prefixhunter22suffix") == f"prefix{MASK}suffix"


def test_a_secret_that_holds_another_is_removed_whole():
    assert Redactor(["abcd", "abcdefgh"])("key abcdefgh") == f"key {MASK}"


def test_a_very_short_secret_is_not_searched_for():
    # It would mangle ordinary words; real secrets are far longer.
    assert Redactor(["the"])("the code") == "the code"


def test_six_digits_near_the_word_code_are_dropped_and_others_kept():
    assert redact("invalid MFA code 246813") == f"invalid MFA code {MASK}"
    assert redact("TokenCode=246813") == f"TokenCode={MASK}"
    assert redact("account 123456 has no user") == "account 123456 has no user"
    far = "code" + " " * 50 + "246813"
    assert redact(far) == far
    assert redact("code 1234567") == "code 1234567"  # seven digits: not a one-time code


def test_a_run_of_secret_like_characters_is_cut_even_when_unknown():
    assert redact(f"signed with {SECRET_KEY} today") == f"signed with {MASK} today"
    token = "FQoGZXIvYXdz" * 20
    assert redact(f"the token {token}.") == f"the token {MASK}."
    # A path, an ARN or a shorter word is left alone.
    # After "=", as in an INI line or a query string: the commonest way a secret shows.
    assert redact(f"aws_secret_access_key={SECRET_KEY}") == f"aws_secret_access_key={MASK}"
    assert redact(f"https://x/federation?SigninToken={token}&x=1") == (
        f"https://x/federation?SigninToken={MASK}&x=1")
    path = "/home/alice/.aws/" + "a" * 45
    assert redact(path) == path
    assert redact(ARN) == ARN
    assert redact("a" * 39) == "a" * 39


def test_aws_text_also_drops_every_quoted_value():
    text = "Value '987654321012' at 'tokenCode' failed; see \"x\" and `y`  "
    assert Redactor().aws_text(text) == "Value '…' at '…' failed; see '…' and '…'"
    assert Redactor().aws_text("") == ""


def test_every_engine_error_message_goes_through_the_redactor():
    error = AwsMfaError(f"AWS said: code 246813, key {SECRET_KEY}")
    assert "246813" not in str(error) and SECRET_KEY not in str(error)
