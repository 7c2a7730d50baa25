"""AWS errors turned into one line that never echoes the values sent."""

from __future__ import annotations

import botocore.exceptions

from tui.engine.aws.errors import translate_error


def test_param_validation_errors_never_echo_values():
    exc = botocore.exceptions.ParamValidationError(report="Invalid TokenCode '987654'")
    line = str(translate_error(exc, "sts:GetSessionToken"))
    assert "987654" not in line and "\n" not in line


def test_validation_error_messages_are_sanitized():
    exc = botocore.exceptions.ClientError(
        {"Error": {"Code": "ValidationError",
                   "Message": "Value '98765' at 'tokenCode' failed to satisfy constraint"}},
        "GetSessionToken",
    )
    line = str(translate_error(exc, "sts:GetSessionToken"))
    assert "98765" not in line and "tokenCode" not in line
