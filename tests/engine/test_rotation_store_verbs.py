"""The credentials-store verbs key rotation uses: every byte outside the edited sections
stays, and each verb does only its one thing."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.configloader import raw_config_parse

from tui.engine.credential_values import SessionCredentials
from tui.engine.credentials_file.store import STALE_KEY, CredentialsStore
from tui.engine.errors import CredentialsFileError
from tui.engine.secret import Secret

TEXT = (
    "# keep me\n"
    "[work]\naws_access_key_id = AKIAOLD0000000000001\naws_secret_access_key = old1\n\n"
    "[work-ci]\r\naws_access_key_id=AKIAOLD0000000000001\r\naws_secret_access_key=old2\r\n\n"
    "[other] ; note\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = o\n\n"
    "[work-mfa]\naws_access_key_id = ASIASESSION000000001\naws_secret_access_key = s\n"
    "aws_session_token = t\nexpiration = 2030-01-01T00:00:00Z\n"
)


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "credentials"
    path.write_bytes(TEXT.encode())
    return CredentialsStore(path)


def test_replace_key_everywhere_then_restore(store):
    before = raw_config_parse(str(store.path))
    previous = store.replace_key("AKIAOLD0000000000001", "AKIANEW0000000000001",
                                 Secret("new"), required="work")
    assert set(previous) == {"work", "work-ci"}
    parsed = raw_config_parse(str(store.path))
    assert parsed["work"]["aws_access_key_id"] == "AKIANEW0000000000001"
    assert parsed["work-ci"]["aws_secret_access_key"] == "new"
    assert parsed["other"]["aws_access_key_id"] == "AKIAOTHER00000000001"
    assert store.sections_with_key("AKIANEW0000000000001") == ["work", "work-ci"]
    assert store.restore_keys("AKIANEW0000000000001", "AKIAOLD0000000000001",
                              previous) == ["work", "work-ci"]
    # The edited sections read as before; every other byte is the same.
    assert raw_config_parse(str(store.path)) == before
    data = Path(store.path).read_bytes()
    assert data.startswith(b"# keep me\n[work]\n")
    assert data.endswith(TEXT.encode()[TEXT.index("[other]"):])


def test_replace_key_refuses_when_the_required_section_changed(store):
    with pytest.raises(CredentialsFileError, match=r"\[other\] no longer holds"):
        store.replace_key("AKIAOLD0000000000001", "AKIANEW0000000000001", Secret("n"),
                          required="other")
    assert Path(store.path).read_bytes() == TEXT.encode()


def test_mark_stale_keeps_the_expiration_and_a_new_session_drops_the_mark(store):
    assert store.mark_stale(("work-mfa", "work")) == ("work-mfa",)  # work has no token
    assert Path(store.path).read_bytes().startswith(TEXT.split("[work-mfa]")[0].encode())
    parsed = raw_config_parse(str(store.path))
    assert parsed["work-mfa"][STALE_KEY] == "key-rotated"
    assert parsed["work-mfa"]["expiration"] == "2030-01-01T00:00:00Z"
    from datetime import UTC, datetime

    store.write_session("work-mfa", SessionCredentials(
        "ASIANEW", Secret("s2"), Secret("t2"), datetime(2031, 1, 1, tzinfo=UTC)))
    assert STALE_KEY not in raw_config_parse(str(store.path))["work-mfa"]
