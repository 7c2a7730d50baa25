"""What the credentials file last held, kept between processes: saved privately and
atomically, shared by a symlink and its target, read again only when another process
wrote it, and forgotten (never trusted) when unreadable. Never a value.

How the store uses it (a read that lost a section is distrusted) is tested in
tests/engine/test_credentials_store_stalling.py and its neighbours."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tui.engine.credentials_file import known_state
from tui.engine.credentials_file.known_state import KnownState, KnownStateFile

STATE = KnownState(frozenset({"work", "work-mfa", "home"}), frozenset({"work", "home"}), 420,
                   (11, 420, 1_700_000_000_000_000_000, 1_700_000_000_000_000_001))


def test_nothing_is_known_until_saved_then_it_reads_back(sandbox_home):
    credentials = sandbox_home.credentials
    assert KnownStateFile(credentials).load() is None
    KnownStateFile(credentials).save(STATE)
    assert KnownStateFile(credentials).load() == STATE  # another process reads it back
    other = KnownStateFile(sandbox_home.aws_dir / "other-credentials")
    assert other.load() is None and other.path() != KnownStateFile(credentials).path()


def test_the_state_file_is_private_and_holds_no_value(sandbox_home):
    known = KnownStateFile(sandbox_home.credentials)
    known.save(STATE._replace(stamp=None))
    path = Path(known.path())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert str(sandbox_home.home / ".local" / "state") in str(path)
    assert set(os.listdir(path.parent)) == {path.name}  # no temp file left behind
    assert known.load() == STATE._replace(stamp=None)


def test_a_symlink_and_its_target_share_one_state(sandbox_home, tmp_path):
    target = tmp_path / "dotfiles" / "credentials"
    link = tmp_path / "credentials-link"
    link.symlink_to(target)
    KnownStateFile(target).save(STATE)
    assert KnownStateFile(link).path() == KnownStateFile(target).path()
    assert KnownStateFile(link).load() == STATE


def test_another_process_s_save_is_seen_by_a_long_lived_reader(sandbox_home):
    reader = KnownStateFile(sandbox_home.credentials)
    reader.save(STATE)
    assert reader.load() == STATE
    smaller = STATE._replace(names=frozenset({"work"}), size=100)
    KnownStateFile(sandbox_home.credentials).save(smaller)
    assert reader.load() == smaller


def test_saving_the_same_state_writes_nothing(sandbox_home):
    known = KnownStateFile(sandbox_home.credentials)
    known.save(STATE)
    before = os.stat(known.path())
    known.save(STATE)
    after = os.stat(known.path())
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_an_unreadable_state_is_forgotten_not_trusted(sandbox_home):
    known = KnownStateFile(sandbox_home.credentials)
    known.save(STATE)
    for text in ("{not json", '{"names": ["a"]}', "[]",
                 "aws-mfa-tui known state 1\nname a\n",  # no size
                 "aws-mfa-tui known state 1\nsize x\n",
                 "aws-mfa-tui known state 1\nsize 1\nstamp 1 2\n",
                 "aws-mfa-tui known state 1\nsize 1\nsecret a\n",
                 "aws-mfa-tui known state 1\nsize 1\nname cut-off",  # no final newline
                 "aws-mfa-tui known state 2\nsize 1\n"):
        Path(known.path()).write_text(text)
        assert KnownStateFile(sandbox_home.credentials).load() is None, text
    known.save(STATE)  # and it is written whole again
    assert KnownStateFile(sandbox_home.credentials).load() == STATE


@pytest.mark.parametrize("state", [
    STATE, STATE._replace(long_term=frozenset(), stamp=(1, 2, 3, 4)),
    KnownState(frozenset(), frozenset(), 0),
    KnownState(frozenset({"profile a b", "x[y]", "name z", "long_term w"}),
               frozenset({"long_term w"}), 7),
])
def test_each_state_we_write_is_read_back_in_one_pass(state):
    text = known_state._text(state, "12.34")
    assert known_state._parse_in_order(text) == (state, "12.34")  # the fast reading
    assert known_state._parse(text) == (state, "12.34")


def test_a_state_in_another_order_or_an_older_layout_is_read_line_by_line(sandbox_home):
    known = KnownStateFile(sandbox_home.credentials)
    for text in ("aws-mfa-tui known state 1\nsize 420\nstamp -\n"  # before generations
                 "name work\nname work-mfa\nname home\nlong_term work\nlong_term home\n",
                 "aws-mfa-tui known state 1\ngeneration g\nsize 420\nstamp -\n"
                 "long_term work\nname work\nname work-mfa\nlong_term home\nname home\n"):
        assert known_state._parse_in_order(text) is None
        Path(known.path()).write_text(text)
        assert KnownStateFile(sandbox_home.credentials).load() == STATE._replace(stamp=None)


def test_a_state_says_which_sections_a_read_lost():
    assert STATE.lost(frozenset({"work", "home", "new"})) == {"work-mfa"}
    assert STATE.lost(STATE.names) == frozenset()


def test_the_store_reads_the_file_past_a_state_file_it_doesn_t_understand(sandbox_home):
    from tui.engine.credentials_file.store import CredentialsStore

    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_text("[work]\naws_access_key_id = AKIA1\n"
                                        "aws_secret_access_key = s\n")
    known = KnownStateFile(sandbox_home.credentials)
    known.save(STATE)
    Path(known.path()).write_text("[]")  # not what we write
    assert CredentialsStore(sandbox_home.credentials).read().sections() == ["work"]


def test_a_section_name_with_spaces_and_brackets_reads_back(sandbox_home):
    odd = KnownState(frozenset({"profile work prod", "a]b", " lead"}), frozenset({"a]b"}), 7)
    KnownStateFile(sandbox_home.credentials).save(odd)
    assert KnownStateFile(sandbox_home.credentials).load() == odd


def test_a_new_stamp_on_the_same_sections_goes_to_the_small_companion(sandbox_home):
    known = KnownStateFile(sandbox_home.credentials)
    known.save(STATE)
    before = os.stat(known.path())
    moved = STATE._replace(size=421, stamp=(12, 421, 5, 6))
    known.save(moved)
    after = os.stat(known.path())
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert Path(known.stamp_path()).stat().st_size <= 256
    assert stat.S_IMODE(Path(known.stamp_path()).stat().st_mode) == 0o600
    assert KnownStateFile(sandbox_home.credentials).load() == moved
    assert set(os.listdir(os.path.dirname(known.path()))) == {os.path.basename(known.path()), os.path.basename(known.stamp_path())}


def test_a_companion_of_another_generation_is_ignored(sandbox_home):
    # Process A amends its state; process B then saves new sections (a new generation).
    # A's companion no longer speaks for the state file, whatever order they land in.
    a, b = KnownStateFile(sandbox_home.credentials), KnownStateFile(sandbox_home.credentials)
    a.save(STATE)
    a.save(STATE._replace(size=999, stamp=(1, 2, 3, 4)))
    companion = Path(a.stamp_path()).read_bytes()
    fewer = STATE._replace(names=frozenset({"work", "home"}), size=300, stamp=None)
    b.save(fewer)
    assert a.load() == fewer
    Path(a.stamp_path()).write_bytes(companion)  # put back late: still of the old generation
    assert KnownStateFile(sandbox_home.credentials).load() == fewer


def test_an_unreadable_companion_is_ignored(sandbox_home):
    known = KnownStateFile(sandbox_home.credentials)
    known.save(STATE)
    known.save(STATE._replace(size=1))
    for text in ("", "aws-mfa-tui known stamp 1\n", "aws-mfa-tui known stamp 1\nx y 1 2\n",
                 "aws-mfa-tui known stamp 1\nx 5 -\nmore\n", "junk"):
        Path(known.stamp_path()).write_text(text)
        assert KnownStateFile(sandbox_home.credentials).load() == STATE, text


def test_a_companion_read_half_way_through_a_write_is_ignored(sandbox_home):
    known = KnownStateFile(sandbox_home.credentials)
    known.save(STATE)
    known.save(STATE._replace(size=12345, stamp=(1, 2, 3, 4)))
    record = Path(known.stamp_path()).read_bytes()
    later = KnownStateFile(sandbox_home.credentials)
    later.save(STATE._replace(size=99999, stamp=(5, 6, 7, 8)))
    newer = Path(known.stamp_path()).read_bytes()
    # Half of one record over the other: digits of both, which no checksum fits.
    cut = newer.index(b"99999") + 2
    torn = newer[:cut] + record[cut:]
    assert torn not in (record, newer)
    Path(known.stamp_path()).write_bytes(torn)
    assert KnownStateFile(sandbox_home.credentials).load() == STATE


def test_a_long_lived_reader_sees_each_new_record_even_within_one_clock_tick(sandbox_home):
    # The companion is written in place: same inode, same size, and (two writes within
    # one tick of the filesystem's clock) the same mtime. Its bytes tell them apart.
    reader = KnownStateFile(sandbox_home.credentials)
    reader.save(STATE)
    reader.save(STATE._replace(size=500, stamp=(1, 2, 3, 4)))
    assert reader.load() == STATE._replace(size=500, stamp=(1, 2, 3, 4))
    before = os.stat(reader.stamp_path())
    KnownStateFile(sandbox_home.credentials).save(STATE._replace(size=600, stamp=(5, 6, 7, 8)))
    os.utime(reader.stamp_path(), ns=(before.st_atime_ns, before.st_mtime_ns))
    assert reader.load() == STATE._replace(size=600, stamp=(5, 6, 7, 8))
