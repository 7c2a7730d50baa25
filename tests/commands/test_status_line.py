"""`status --short [PROFILE...] [--width N]`: a tmux status line that fits.

Fixtures are 50 sessions in the sandbox HOME, written as `refresh` writes them: an
identity section with long-term keys and its `[X-mfa]` session with an `expiration`.
Widths are measured in terminal cells with rich's own table (not ours).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from rich.cells import cell_len

from tui.cli import main

#: Names that are wide (CJK, emoji), combining (a decomposed é) or plain.
WIDE = ("本番", "🚀rocket", "cafe\u0301")


def _session(name: str, left: timedelta | None) -> str:
    text = (f"[{name}]\naws_access_key_id = AKIA{abs(hash(name)) % 10**16:016d}\n"
            f"aws_secret_access_key = {'s' * 40}\n\n")
    if left is not None:
        stamp = (datetime.now(UTC) + left).strftime("%Y-%m-%dT%H:%M:%SZ")
        text += (f"[{name}-mfa]\naws_access_key_id = ASIAEXAMPLE\n"
                 f"aws_secret_access_key = x\naws_session_token = t\n"
                 f"aws_security_token = t\nexpiration = {stamp}\n\n")
    return text


@pytest.fixture
def fifty(sandbox_home):
    """47 fresh sessions, one expiring, one expired, one never started (50 in all), with a
    few wide names among the fresh ones."""
    sections = [_session("staging", timedelta(minutes=3)),
                _session("old", timedelta(hours=-2)), _session("nosession", None)]
    fresh = [*WIDE, *(f"acct{i:02d}" for i in range(47 - len(WIDE)))]
    sections += [_session(name, timedelta(hours=8, minutes=i)) for i, name in enumerate(fresh)]
    sandbox_home.aws_dir.mkdir()
    # Fresh ones first in the file: action-first ordering has to move the others forward.
    sandbox_home.credentials.write_text("".join(sections[3:] + sections[:3]))
    return sandbox_home


def status_line(capsys, *argv: str) -> str:
    code = main(["status", "--short", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.endswith("\n") and out.count("\n") == 1
    return out[:-1]


def entries_and_count(line: str) -> tuple[list[str], dict[str, int]]:
    """`a 1:00:00 · b no session · +3 no session +44 fresh` -> (["a 1:00:00",
    "b no session"], {"no session": 3, ...}); a count in short (`+47 more`, `+47`) is
    {"more": 47}."""
    parts = line.split(" · ")
    if re.fullmatch(r"\+\d+( more)?", parts[-1]):
        return parts[:-1], {"more": int(parts[-1].split()[0])}
    if re.fullmatch(r"(\+\d+ [a-z ()]+?( |$))+", parts[-1]):
        return parts[:-1], {w: int(n) for n, w in
                            re.findall(r"\+(\d+) ([a-z ()]+?)(?= \+|$)", parts[-1])}
    return parts, {}


def test_fifty_sessions_fit_in_80_cells_with_what_needs_action_first(fifty, capsys):
    line = status_line(capsys)
    assert cell_len(line) <= 80
    shown, counted = entries_and_count(line)
    # What needs action, most urgent first, then fresh sessions as room allows.
    assert shown[:3] == ["old !expired", shown[1], "nosession no session"]
    assert re.fullmatch(r"staging !0:0[23]:\d\d", shown[1])
    assert all(re.search(r" [78]:\d\d:\d\d$", s) for s in shown[3:])
    assert set(counted) == {"fresh"} and len(shown) + counted["fresh"] == 50


def test_what_needs_action_comes_first_soonest_first_then_stale(sandbox_home, capsys):
    """Expired, then expiring soonest first (whatever the file's order), then stale, then
    no session, then fresh in listing order; the count follows the same order."""
    sections = [_session(f"acct{i:02d}", timedelta(hours=8, minutes=i)) for i in range(30)]
    sections += [_session("later", timedelta(minutes=4)), _session("gone", None),
                 _session("sooner", timedelta(minutes=2)),
                 _session("rotated", timedelta(hours=6)).replace(
                     "expiration =", "stale = key-rotated\nexpiration ="),
                 _session("old", timedelta(hours=-1))]
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_text("".join(sections))
    shown, counted = entries_and_count(status_line(capsys, "--width", "120"))
    assert [entry.split()[0] for entry in shown[:5]] == [
        "old", "sooner", "later", "rotated", "gone"]
    assert shown[3] == "rotated !stale (key rotated)"
    assert [entry.split()[0] for entry in shown[5:]] == [
        f"acct{i:02d}" for i in range(len(shown) - 5)]
    assert list(counted) == ["fresh"] and len(shown) + counted["fresh"] == 35


def test_everything_that_fits_keeps_the_listing_order(fifty, capsys):
    line = status_line(capsys, "--width", "10000")
    shown, counted = entries_and_count(line)
    assert not counted and len(shown) == 50
    assert shown[0] == "本番 8:00:00" or shown[0].startswith("本番 7:59:")
    assert shown[-3:] == ["staging " + shown[-3].split()[1], "old !expired", "nosession no session"]


@pytest.mark.parametrize("width", [*range(1, 40), 47, 64, 79, 80, 81, 120, 200, 1000])
def test_never_wider_than_the_width_in_cells(fifty, capsys, width):
    line = status_line(capsys, "--width", str(width))
    assert 0 < cell_len(line) <= width
    if width < 3:
        assert line in ("…", "+…")
        return
    shown, counted = entries_and_count(line)
    if width >= 1000:
        assert not counted and len(shown) == 50
        return
    assert len(shown) + sum(counted.values()) == 50  # every row is either shown or counted
    urgent = ["old !expired", "staging !0:0", "nosession no session"]
    for entry, expected in zip(shown, urgent, strict=False):
        assert entry.startswith(expected)


def test_tiny_widths_shorten_the_count_then_cut_it(fifty, capsys):
    assert status_line(capsys, "--width", "10") == "+50 more"
    assert status_line(capsys, "--width", "3") == "+50"
    assert status_line(capsys, "--width", "2") == "+…"
    assert status_line(capsys, "--width", "1") == "…"
    # Room for the count by state: it is preferred to one more entry with a bare count.
    line = status_line(capsys, "--width", "58")
    assert line.endswith(" · +1 no session +47 fresh")


def test_wide_names_are_measured_in_cells(sandbox_home, capsys):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_text("".join(
        _session(name, timedelta(hours=8)) for name in WIDE * 1))
    everything = status_line(capsys, "--width", "1000")
    assert len(everything.split(" · ")) == 3
    wide = cell_len(everything)
    assert wide > len(everything)  # 本番 and 🚀 take two cells each, the accent none
    assert status_line(capsys, "--width", str(wide)) == everything
    squeezed = status_line(capsys, "--width", str(wide - 1))
    assert squeezed != everything and cell_len(squeezed) <= wide - 1


def test_naming_profiles_shows_only_those(fifty, capsys):
    line = status_line(capsys, "acct05", "staging-mfa", "本番")
    shown, counted = entries_and_count(line)
    assert not counted
    # Listing order, whichever order they were named in; a session name selects its identity.
    assert [s.split()[0] for s in shown] == ["本番", "acct05", "staging"]
    assert status_line(capsys, "old", "--width", "12") == "old !expired"


def test_naming_a_role_shows_it(sandbox_home, capsys):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_text(_session("work", timedelta(hours=3)))
    sandbox_home.config.write_text(
        "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/Deploy\n"
        "source_profile = work-mfa\n")
    assert status_line(capsys, "deploy") == "deploy no session"


@pytest.mark.parametrize(("argv", "message"), [
    (["status", "--short", "nosuch"], "no such profile: nosuch "),
    (["status", "acct01", "nosuch", "other"], "no such profile: nosuch, other "),
    (["status", "--json", "nosuch"], "no such profile: nosuch "),
    (["status", "--short", "--width", "0"], "--width must be at least 1"),
    (["status", "--short", "--width", "-3"], "--width must be at least 1"),
    (["status", "--short", "--width", "wide"], "argument --width: invalid int value"),
    (["status", "--json", "--width", "40"], "--width goes with --short"),
    (["status", "a", "--short", "b"], "unexpected extra argument"),
])
def test_bad_names_and_widths_are_one_line_exit_2(fifty, capsys, argv, message):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert "wide" not in err  # argparse's own error would echo the value typed


def test_the_table_and_json_filter_too(fifty, capsys):
    import json

    assert main(["status", "--json", "old", "acct03"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["profile"] for row in rows] == ["acct03", "old"]
    assert main(["status", "nosession"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 2 and table[1].startswith("nosession ")


def _rotated(name: str) -> str:
    """An identity whose session `rotate` marked stale: it keeps its expiration."""
    return _session(name, timedelta(hours=5)).replace(
        "expiration =", "stale = key-rotated\nexpiration =")


def test_every_front_end_says_no_session_and_stale_in_the_same_words(sandbox_home, capsys):
    import json

    from tui.app.widgets.profile_columns import NO_FLAGS, state_label
    from tui.engine.credentials_file.store import CredentialsStore
    from tui.engine.profiles.catalog import build_catalog, read_config
    from tui.engine.profiles.status import status_rows
    from tui.engine.sessions.schedule import RefreshSchedule
    from tui.engine.settings import Settings

    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.write_text(
        _session("new", None) + _rotated("work") + _session("ok", timedelta(hours=3)))
    catalog = build_catalog(CredentialsStore(sandbox_home.credentials).read(),
                            read_config(sandbox_home.config), Settings())
    tui_words = {row.name: state_label(row, row.state, NO_FLAGS, 0)
                 for row in status_rows(catalog, RefreshSchedule())}
    assert tui_words == {"new": "no session", "work": "stale (key rotated)", "ok": "fresh"}

    assert main(["status", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["profile"]: row["state"] for row in rows} == tui_words
    assert {row["profile"]: row["stale"] for row in rows}["work"] == "key-rotated"

    assert main(["status"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert {line.split()[0]: line for line in lines}.keys() == tui_words.keys()
    for line in lines:
        state = tui_words[line.split()[0]]
        assert line[header.index("STATE"):].startswith(f"{state} "), line
        assert line[header.index("EXPIRES"):].strip()  # the columns stay aligned

    line = status_line(capsys)
    assert line.split(" · ")[:2] == ["new no session", "work !stale (key rotated)"]
    assert line.split(" · ")[2].startswith("ok ")
    # When not all fit: what needs action first (stale before no session), same words.
    assert status_line(capsys, "--width", "50") == (
        "work !stale (key rotated) · +1 no session +1 fresh")
