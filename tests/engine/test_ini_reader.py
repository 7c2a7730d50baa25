"""The credentials file's lines read the way botocore reads them (`credentials_file/
ini_reader.py`), on its own: splitting lines as Python's text mode does, decoding, what is
refused before any parse (BOM, NUL, bad UTF-8) with its line number, and what one walk
finds (headers, keys, values, duplicates).

The byte-faithful editor on top of it, and property tests against configparser and
botocore over generated files, are in tests/engine/test_ini_document.py."""

from __future__ import annotations

import pytest
from botocore.configloader import raw_config_parse

from tui.engine.credentials_file.ini_reader import (
    IniParseError,
    decode,
    line_of,
    read_lines,
    split_lines,
    walk,
)

SOURCE = "~/.aws/credentials"


def test_lines_split_on_universal_newlines_only():
    assert split_lines("a\nb\r\nc\rd") == ["a\n", "b\r\n", "c\r", "d"]
    # Form feed and friends break str.splitlines() but not a file read in text mode.
    assert split_lines("[w]\nk = a\x0cb\n") == ["[w]\n", "k = a\x0cb\n"]
    assert split_lines("k = \u2028x\n") == ["k = \u2028x\n"]
    assert split_lines("") == []


def test_line_numbers_count_each_kind_of_newline_once():
    text = "a\r\nb\rc\nd"
    assert [line_of(text, text.index(c)) for c in "abcd"] == [1, 2, 3, 4]


def test_bad_utf8_is_refused_at_its_line_without_the_bytes():
    with pytest.raises(IniParseError) as caught:
        decode(b"[work]\naws_secret_access_key = s\xff3cret\n", SOURCE)
    assert caught.value.line == 2
    assert str(caught.value) == (f"{SOURCE}, line 2: is not valid UTF-8; re-save it as UTF-8; "
                                 "the file was left unchanged")
    assert decode("[w]\nk = é\n".encode(), SOURCE) == "[w]\nk = é\n"


@pytest.mark.parametrize(("text", "line", "words"), [
    ("\ufeff[work]\n", 1, "byte order mark"),
    ("[work]\nk = v\n\x00\n", 3, "NUL byte"),
])
def test_what_no_sdk_can_open_is_refused_before_parsing(text, line, words):
    with pytest.raises(IniParseError) as caught:
        read_lines(text, SOURCE)
    assert caught.value.line == line and words in caught.value.problem


def _walk(text: str, **options):
    return walk(read_lines(text, SOURCE), SOURCE, **options)


def test_a_walk_finds_headers_and_values_as_botocore_reads_them(tmp_path):
    text = ("# top comment\n[DEFAULT]\nregion = eu-west-1\n\n[work]\n"
            "aws_access_key_id = AKIA1\naws_secret_access_key = s1\n"
            "[profile dev]\nrole_arn : arn:aws:iam::1:role/R\ncontinued = first\n"
            "  second line\n; comment\n[work-mfa]\n")
    scan = _walk(text, values=True)
    assert list(scan.names) == ["work", "profile dev", "work-mfa"]
    assert scan.names["work"] == 4  # the header's index
    assert len(scan.headers) == 4 and scan.defaults == [1]
    path = tmp_path / "credentials"
    path.write_text(text)
    botocore = raw_config_parse(str(path))
    for name in ("work", "profile dev"):
        own = {k: v for k, v in botocore[name].items() if k != "region"}  # DEFAULT's
        assert scan.values[name] == own


@pytest.mark.parametrize("text", [
    "[w]\r\nk = v\r\nj = a\r\n  b\r\n",  # CRLF, with a continuation
    "[w]\rk = v\rj=x\r",  # old Mac line ends
    "[w]\nk = v ; not a comment\nj = v # nor this\n",  # no inline comments
    "[w]\nk = a\n# c\n  b\n; d\n  c\n",  # comments inside a continuation
    "[w]\nk = a\n\n  b\nj = x\n",  # a blank line inside a continuation
    "[w]\nk = a\n \t\n  b\n",  # a line of whitespace inside one
    "[w]\n  \t\nk\t=\t v \t\n key2 = an indented key line continues k\n",
    "[w]\nk = a\n\tb\n\t\n[v]\nk = a\n  [not a header]\n",
    "[ w ]\nk = v\n[profile  x ]\nk = v\n[a]b]\nk=1\n[c] ; c\nk=2\n",
    "[w]\nk : v = w\nj = a:b\nl=\nm:\nmy key = [x]\n",
    "[W]\nKEY = V\n[w]\nKey = v\n",  # names keep their case, keys don't
    "[profile dev]\nk=1\n[dev]\nk=2\n[profile\tdev]\nk=3\n",  # three profiles
    "[wé]\nkü = ✓\nk2 = a\u00a0\nk3 = a\x0bb\n[empty]\n",
    "[w]\nk=1\n[v]\nk=2\n",  # the same key in two sections
])
def test_tricky_files_give_botocores_values(text, tmp_path):
    path = tmp_path / "credentials"
    path.write_bytes(text.encode())
    assert _walk(text, values=True).values == raw_config_parse(str(path))


def test_nested_values_stay_raw_and_defaults_stay_apart(tmp_path):
    text = "[DEFAULT]\nregion = r\n[w]\ns3 =\n  # c\n  max = 10\n  b=2\nk = v\n[DEFAULT]\nx=1\n"
    path = tmp_path / "credentials"
    path.write_text(text)
    botocore = raw_config_parse(str(path))
    assert botocore == {"w": {"s3": {"max": "10", "b": "2"}, "k": "v", "region": "r",
                              "x": "1"}}
    assert _walk(text, values=True).values == {
        "DEFAULT": {"region": "r", "x": "1"}, "w": {"s3": "\nmax = 10\nb=2", "k": "v"}}


def test_detail_gives_each_key_its_lines():
    scan = _walk("[w]\nKey = one\n  two\nother = x\n", detail=True)
    option = scan.options["w"]["key"]  # lower-cased, as configparser does
    assert (option.first, option.last, option.value) == (1, 2, "one\ntwo")
    assert scan.options["w"]["other"].value == "x"


@pytest.mark.parametrize(("text", "line", "words"), [
    ("key = before any header\n[w]\n", 1, "before any [profile] header"),
    ("[w]\nk = 1\nK = 2\n", 3, "k"),
    ("[w]\n[w]\n", 2, "w"),
    ("[w]\n= no key\n", 2, "no key name"),
    ("[w]\njust words\n", 2, "neither a [profile] header"),
    ("[]\nk = v\n", 1, "empty section name"),
    ("[w\nk = v\n", 1, "without its closing `]`"),
    ("[w]\ns3 =\n  max_concurrent_requests\n", 3, "`s3` in [w] has its value on indented"),
    ("[DEFAULT]\ns3 =\n  oops\n[w]\nk = v\n", 3, "`s3` in [DEFAULT]"),
])
def test_what_botocore_refuses_is_refused_with_its_line(text, line, words, tmp_path):
    with pytest.raises(IniParseError) as caught:
        _walk(text)
    assert caught.value.line == line and words in str(caught.value)
    path = tmp_path / "credentials"
    path.write_text(text)
    with pytest.raises(Exception):  # noqa: B017 - whatever botocore raises, it refuses
        raw_config_parse(str(path))


def test_many_distinct_keys_still_catch_a_duplicate():
    keys = "".join(f"key{n} = {n}\n" for n in range(100))  # past the bit-mask keys
    with pytest.raises(IniParseError) as caught:
        _walk(f"[w]\n{keys}key77 = again\n")
    assert caught.value.line == 102
    assert len(_walk(f"[w]\n{keys}[v]\n{keys}", values=True).values["v"]) == 100


def test_an_error_never_echoes_a_value():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    with pytest.raises(IniParseError) as caught:
        _walk(f"[w]\naws_secret_access_key = {secret}\naws_secret_access_key = {secret}\n")
    assert secret not in str(caught.value)
