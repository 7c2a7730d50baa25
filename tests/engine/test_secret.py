"""Secrets never show in a repr, a str, a format or a pickle; key ids are masked."""

from __future__ import annotations

import pytest

from tui.engine.credential_values import AwsKeys
from tui.engine.secret import Secret, mask_key_id


def test_secret_is_masked_everywhere():
    secret = Secret("wJalrXUtnFEMI")
    assert "wJalr" not in repr(secret) + str(secret) + f"{secret}" + repr([secret])
    assert secret == Secret("wJalrXUtnFEMI") and secret.reveal() == "wJalrXUtnFEMI"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)
    assert mask_key_id("AKIAIOSFODNN7EXAMPLE") == "AKIA****MPLE"
    keys = AwsKeys("AKIAIOSFODNN7EXAMPLE", Secret("topsecret"), Secret("token"), "work")
    assert "topsecret" not in repr(keys) and "token'" not in repr(keys)
