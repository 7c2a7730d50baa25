"""Reading and writing the credentials file beside programs that take no lock, tested on
`OtherWriters` directly: what a read teaches the known state, when the path is still the
file we read, and our edit redone on what a writer put into the inode we replaced.

The store's behaviour against real writer processes is tested in
tests/engine/test_credentials_store_unlocked.py and the stalling tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.engine.credentials_file.file_replace import replace_file
from tui.engine.credentials_file.ini_document import IniDocument
from tui.engine.credentials_file.other_writers import OtherWriters
from tui.engine.credentials_file.settled_read import Read
from tui.engine.errors import CredentialsFileError

LONG = b"[work]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cret\n"
SESSION = b"[work-mfa]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = x\n" \
          b"aws_session_token = t\n"


@pytest.fixture
def credentials(sandbox_home) -> Path:
    path: Path = sandbox_home.credentials
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _writers(path: Path, told: list[str] | None = None) -> OtherWriters:
    return OtherWriters(path, lambda: told.append if told is not None else None)


def _opened(credentials: Path, data: bytes) -> tuple[OtherWriters, Read]:
    """The file written with `data`, and a settled read of it (the caller closes its fd)."""
    credentials.write_bytes(data)
    writers = _writers(credentials)
    read = writers.open(credentials, None)
    assert read is not None
    return writers, read


def test_a_missing_file_reads_as_none_and_a_dangling_symlink_is_refused(sandbox_home,
                                                                        tmp_path):
    credentials = sandbox_home.credentials
    if credentials.exists():
        credentials.unlink()
    assert _writers(credentials).open(credentials, None) is None
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(CredentialsFileError, match="which does not exist"):
        _writers(link).open(tmp_path / "nowhere", None)


def test_a_directory_at_the_path_is_refused(sandbox_home, tmp_path):
    folder = tmp_path / "credentials"
    folder.mkdir()
    with pytest.raises(CredentialsFileError, match="is a directory"):
        _writers(folder).open(folder, None)


def test_a_trusted_read_becomes_the_known_state_with_its_long_term_sections(credentials):
    credentials.write_bytes(LONG + SESSION)
    writers = _writers(credentials)
    read = writers.open(credentials, None)
    assert read is not None and read.data == LONG + SESSION
    try:
        document = writers.parse(read)
    finally:
        os.close(read.fd)
    assert document.sections() == ["work", "work-mfa"]
    known = writers.known()
    assert known is not None
    assert known.names == {"work", "work-mfa"} and known.long_term == {"work"}
    assert known.size == len(LONG + SESSION)


def test_a_write_that_drops_a_section_narrows_the_known_state_first(credentials):
    writers, read = _opened(credentials, LONG + SESSION)
    try:
        document = writers.parse(read, values=False)
    finally:
        os.close(read.fd)
    document.remove_section("work-mfa")
    writers.expect(document, len(LONG))
    known = writers.known()
    assert known is not None
    assert known.names == {"work"} and known.size == len(LONG)


def test_the_path_is_unchanged_until_replaced_or_rewritten_with_other_bytes(credentials):
    writers, read = _opened(credentials, LONG)
    try:
        assert writers.changed(credentials, read, frozenset({"work"}), None) == (False, read)
        # the same bytes written in place (awscli rewrites the whole file): no change
        credentials.write_bytes(LONG)
        os.utime(credentials, ns=(1, 1))
        changed, now = writers.changed(credentials, read, frozenset({"work"}), None)
        assert not changed and now is not None and now.data == LONG
        # a section added in place: changed, and the newer version is handed back
        credentials.write_bytes(LONG + SESSION)
        changed, newer = writers.changed(credentials, read, frozenset({"work"}), None)
        assert changed and newer is not None and newer.data == LONG + SESSION
        # a section of ours gone: changed, and nothing to build on
        credentials.write_bytes(SESSION + b"\n" * len(LONG))
        assert writers.changed(credentials, read, frozenset({"work"}), None) == (True, None)
    finally:
        os.close(read.fd)
    # replaced by another file
    read = writers.open(credentials, None)
    assert read is not None
    try:
        replaced = credentials.with_name("other")
        replaced.write_bytes(LONG)
        os.replace(replaced, credentials)
        assert writers.changed(credentials, read, frozenset(), None) == (True, None)
    finally:
        os.close(read.fd)


def test_a_file_we_wrote_last_is_not_busy(credentials):
    writers, read = _opened(credentials, LONG)
    os.close(read.fd)
    assert writers.busy(read.stamp)  # written just now, by someone else
    writers.our_stamp = read.stamp
    assert not writers.busy(read.stamp)


def test_our_edit_is_redone_on_what_a_writer_put_into_the_inode_we_replaced(credentials):
    writers, read = _opened(credentials, LONG)
    try:
        document = writers.parse(read, values=False)

        def change(document: IniDocument) -> None:
            document.set_values("home", {"region": "eu-west-1"})

        change(document)
        ours = document.to_bytes()
        stamp = replace_file(credentials, ours, 0o600, lambda: True)
        assert stamp is not None
        # a writer that opened the path before our replace writes into the old inode
        with open(f"/proc/self/fd/{read.fd}", "wb") as orphan:
            orphan.write(LONG + SESSION)
        stamp, redone = writers.redo_on_orphan(
            credentials, read, frozenset({"work"}), stamp, ours, change, 0o600, None, 0.0)
    finally:
        os.close(read.fd)
    assert redone is not None
    assert redone.sections() == ["work", "work-mfa", "home"]
    assert credentials.read_bytes() == redone.to_bytes()

