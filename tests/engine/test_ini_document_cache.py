"""The parse of the last validated bytes is reused only for bytes equal to them.

A long-running process (the TUI, `watch`) reads the credentials file, then writes into it:
the write re-reads the same bytes under the lock and skips validating them again. Any other
bytes, even one byte off, get the whole check.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tui.engine.credential_values import SessionCredentials
from tui.engine.credentials_file import ini_document
from tui.engine.credentials_file.ini_document import IniDocument, IniParseError
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.profiles.catalog import read_config
from tui.engine.secret import Secret

GOOD = b"# ops\n[a]\nk = 1\n\n[b]\nk = 2\n[DEFAULT]\nregion = eu-west-1\n"


@pytest.fixture
def whole_walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the whole-file validations (the real walk runs; we only count)."""
    ini_document._last_validated = None
    calls: list[int] = []
    real = ini_document.walk

    def counting(lines, source, start=0, detail=False, whole=True, values=False):
        if whole and not detail and start == 0:
            calls.append(len(lines))
        return real(lines, source, start, detail=detail, whole=whole, values=values)

    monkeypatch.setattr(ini_document, "walk", counting)
    return calls


def test_identical_bytes_reuse_the_validated_parse(whole_walks):
    first = IniDocument.parse_bytes(GOOD, "creds")
    assert len(whole_walks) == 1
    again = IniDocument.parse_bytes(bytes(bytearray(GOOD)), "creds")  # equal, not the same
    assert len(whole_walks) == 1
    assert again.sections() == first.sections() == ["a", "b"]
    assert again.get_section("a") == first.get_section("a") == {"k": "1", "region": "eu-west-1"}
    assert again.to_bytes() == GOOD


def test_one_byte_off_gets_the_whole_check_and_is_refused(whole_walks):
    IniDocument.parse_bytes(GOOD, "creds")
    broken = GOOD.replace(b"[b]", b"[b ")  # one byte: an unclosed header
    assert len(broken) == len(GOOD)
    with pytest.raises(IniParseError, match="closing"):
        IniDocument.parse_bytes(broken, "creds")
    assert len(whole_walks) == 2
    duplicate = GOOD.replace(b"[b]", b"[a]")  # one byte: a duplicate section
    with pytest.raises(IniParseError):
        IniDocument.parse_bytes(duplicate, "creds")
    other = GOOD.replace(b"k = 2", b"k = 3")
    assert IniDocument.parse_bytes(other, "creds").get("b", "k") == "3"
    assert len(whole_walks) == 4


def test_editing_a_reused_parse_leaves_the_remembered_one_intact(whole_walks):
    one = IniDocument.parse_bytes(GOOD, "creds")
    two = IniDocument.parse_bytes(GOOD, "creds")
    two.set_values("a", {"k": "changed", "new": "x"})
    two.set_values("zz", {"k": "v"})
    two.remove_section("b")
    three = IniDocument.parse_bytes(GOOD, "creds")
    assert len(whole_walks) == 1
    assert three.to_bytes() == one.to_bytes() == GOOD
    assert three.sections() == ["a", "b"] and three.get("a", "k") == "1"
    # The same edits on a freshly validated parse give the same bytes.
    ini_document._last_validated = None
    fresh = IniDocument.parse_bytes(GOOD, "creds")
    fresh.set_values("a", {"k": "changed", "new": "x"})
    fresh.set_values("zz", {"k": "v"})
    fresh.remove_section("b")
    assert fresh.to_bytes() == two.to_bytes()


def test_a_write_after_a_read_skips_the_second_validation(sandbox_home, whole_walks):
    sandbox_home.aws_dir.mkdir(mode=0o700)
    sandbox_home.credentials.write_bytes(GOOD)
    store = CredentialsStore(sandbox_home.credentials)
    store.read()
    store.write_session("a-mfa", SessionCredentials(
        "ASIAEXAMPLE", Secret("s" * 40), Secret("t" * 100),
        datetime(2026, 11, 22, 18, 0, tzinfo=UTC)))
    assert len(whole_walks) == 1  # the read's; the write re-read the same bytes
    written = sandbox_home.credentials.read_bytes()
    assert written.startswith(GOOD) and b"[a-mfa]" in written
    # Bytes changed behind our back by one byte, into an invalid file: refused in full.
    sandbox_home.credentials.write_bytes(GOOD.replace(b"[b]", b"[b "))
    with pytest.raises(IniParseError):
        store.set_section("a", {"k": "9"})
    # Checked in full again (the store's settled read may re-check a freshly changed file).
    assert len(whole_walks) >= 2
    assert sandbox_home.credentials.read_bytes() == GOOD.replace(b"[b]", b"[b ")


def test_reading_the_config_keeps_the_credentials_parse(tmp_path, whole_walks):
    """A catalog load reads the credentials, then ~/.aws/config: the config file is never
    written, so its parse must not push out the one the next write will reuse."""
    config = tmp_path / "config"
    config.write_bytes(b"[profile r]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = a\n")
    IniDocument.parse_bytes(GOOD, "creds")
    assert read_config(config) == {
        "r": {"role_arn": "arn:aws:iam::1:role/R", "source_profile": "a"}}
    assert len(whole_walks) == 2  # the credentials, then the config, each checked once
    IniDocument.parse_bytes(GOOD, "creds")
    assert len(whole_walks) == 2


def test_a_parse_made_for_editing_still_reads_every_value(whole_walks):
    """An edit's parse skips recording values (`values=False`); when the same bytes are read
    later through the remembered parse, `as_dict` walks the lines and gives the same values
    as a parse that recorded them, multi-line values and [default] included."""
    data = (b"[default]\nregion = eu-west-1\n[work]\naws_access_key_id = AKIA1\n"
            b"aws_secret_access_key = s\ns3 =\n  max_concurrent_requests = 4\n"
            b"[work-mfa]\naws_session_token = t\n")
    ini_document._last_validated = None
    recorded = IniDocument.parse_bytes(data, remember=False).as_dict()
    for_editing = IniDocument.parse_bytes(data, values=False)
    assert for_editing.as_dict() == recorded
    assert IniDocument.parse_bytes(data).as_dict() == recorded  # the remembered parse
    assert recorded["work"]["s3"] == "\nmax_concurrent_requests = 4"
