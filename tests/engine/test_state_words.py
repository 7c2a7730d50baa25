"""One vocabulary for where a session stands, shared by the TUI, `status`, `--short` and
`--json`: blocked before stale before the state's own word."""

from __future__ import annotations

import pytest

from tui.engine.sessions.schedule import SessionState
from tui.engine.sessions.state_words import STATE_WORDS, state_words


@pytest.mark.parametrize(("state", "word"), [
    (SessionState.FRESH, "fresh"), (SessionState.EXPIRING, "expiring"),
    (SessionState.EXPIRED, "expired"), (SessionState.ERROR, "error"),
    (SessionState.NONE, "no session"),
])
def test_each_state_has_its_word(state, word):
    assert state_words(state) == word


def test_every_state_has_a_word_and_no_two_share_one():
    assert set(STATE_WORDS) == set(SessionState)
    assert len(set(STATE_WORDS.values())) == len(STATE_WORDS)


def test_the_words_list_what_needs_action_first():
    assert list(STATE_WORDS.values()) == ["expired", "error", "expiring", "no session", "fresh"]


def test_a_stale_session_reads_stale_whatever_its_expiry():
    assert state_words(SessionState.FRESH, stale="key-rotated") == "stale (key rotated)"
    assert state_words(SessionState.EXPIRED, stale="other") == "stale (other)"


def test_blocked_wins_over_everything():
    assert state_words(SessionState.FRESH, stale="key-rotated", blocked="why") == "blocked"
