"""The INI document against botocore's own parser: property tests plus the edge cases.

botocore reads the credentials file with `configparser.RawConfigParser` (strict) and then
`botocore.configloader.raw_config_parse` turns values that start on the line after their
key into nested dicts. The property tests generate awkward files (comments, odd spacing,
CRLF/LF/CR and mixes, continuation lines, blank lines inside values, many sections,
missing final newline, Unicode whitespace, junk lines, duplicates) and check that

(a) parse then `to_text()` gives the file back byte for byte;
(b) we accept exactly the files botocore accepts, with configparser's values;
(c) one edit changes nothing outside its section;
(d) values written through `CredentialsStore` are what botocore reads back.
"""

from __future__ import annotations

import configparser
import itertools
import locale
import tempfile
from collections.abc import Iterator
from pathlib import Path

import botocore.exceptions
import pytest
from botocore.configloader import raw_config_parse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tui.engine.credentials_file.ini_document import IniDocument, IniParseError
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import CredentialsFileError

# botocore opens the file in the locale's encoding; these tests write UTF-8.
UTF8_LOCALE = locale.getpreferredencoding(False).lower().replace("-", "") == "utf8"
PROPERTY = settings(
    max_examples=250, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# ------------------------------------------------------------------ generators
# Whitespace that str.strip() removes but Python's text mode does not split lines on.
ODD_SPACE = ["\t", "\x0b", "\x0c", "\x1c", "\x1f", "\xa0", "\x85", "\u2028", "\u3000"]
NAME_CHARS = st.sampled_from([*list("abcAB -_.]#;=:["), "é", "\u2028", "\t"])
TEXT_CHARS = st.sampled_from([*list("abcXYZ019 =:#;[]\"'/+.-"), "é", "日本", "\t", *ODD_SPACE])
KEYS = ["aws_access_key_id", "AWS_Access_Key_ID", "region", "Region", "s3", "k", "a b", "x.y"]


def _text(min_size: int = 0, max_size: int = 12) -> st.SearchStrategy[str]:
    return st.lists(TEXT_CHARS, min_size=min_size, max_size=max_size).map("".join)


def _indent(deep: bool = False) -> st.SearchStrategy[str]:
    options = ["  ", "\t", "    ", " \t", "\xa0", "\x0c"] if deep else ["", "", "", "", " ", "\t"]
    return st.sampled_from(options)


@st.composite
def header_line(draw) -> str:
    name = draw(st.one_of(
        st.sampled_from(["default", "DEFAULT", "work", "prod", "profile dev", " spaced "]),
        st.lists(NAME_CHARS, min_size=0, max_size=6).map("".join),
    ))
    trailer = draw(st.sampled_from(["", "", " ", " # note", "]", " x]", "\t"]))
    return f"{draw(_indent())}[{name}]{trailer}"


@st.composite
def key_line(draw) -> str:
    key = draw(st.one_of(st.sampled_from(KEYS), st.lists(NAME_CHARS, max_size=5).map("".join)))
    sep = draw(st.sampled_from(["=", "=", " = ", "  =  ", ":", " : ", "\t=\t", "=:", ":="]))
    return f"{draw(_indent())}{key}{sep}{draw(_text())}"


@st.composite
def continuation_line(draw) -> str:
    body = draw(st.one_of(
        _text(min_size=1),
        st.sampled_from(["a = b", "addressing_style = path", "# not a comment?", "[x]", "k: v"]),
    ))
    return f"{draw(_indent(deep=True))}{body}"


@st.composite
def other_line(draw, junk: bool = True) -> str:
    kinds = ["comment", "comment", "blank", "blank", "junk"] if junk else ["comment", "blank"]
    kind = draw(st.sampled_from(kinds))
    if kind == "comment":
        return f"{draw(_indent(deep=draw(st.booleans())))}{draw(st.sampled_from('#;'))}{draw(_text())}"
    if kind == "blank":
        return draw(st.sampled_from(["", "", " ", "\t", "  \t", "\xa0"]))
    return draw(_text(min_size=1, max_size=8))


LINE = st.one_of(
    header_line(), key_line(), key_line(), key_line(), continuation_line(), other_line(),
    other_line(),
)


@st.composite
def ini_text(draw, lines: st.SearchStrategy[list[str]] | None = None) -> str:
    body = draw(lines if lines is not None else st.lists(LINE, max_size=30))
    mode = draw(st.sampled_from(["\n", "\n", "\r\n", "\r", "mixed"]))
    endings = [
        draw(st.sampled_from(["\n", "\r\n", "\r"])) if mode == "mixed" else mode for _ in body
    ]
    text = "".join(line + end for line, end in zip(body, endings, strict=True))
    if body and not draw(st.booleans()):
        text = text[: -len(endings[-1])]  # no final newline
    if draw(st.integers(0, 40)) == 17:  # (hypothesis favours 0 and the ends of a range)
        text = "\ufeff" + text
    return text


@st.composite
def plausible_text(draw) -> str:
    """Mostly-valid files: sections with keys, so the accepted cases are well covered."""
    sections = []
    names = draw(st.lists(
        st.one_of(st.sampled_from(["default", "work", "prod", "DEFAULT", "profile x", "a]b"]),
                  st.lists(NAME_CHARS, min_size=1, max_size=5).map("".join)),
        max_size=6, unique=True,
    ))
    for name in names:
        lines = [draw(st.sampled_from(["", "# about " + name, "  ; note"]))] if draw(
            st.booleans()) else []
        lines.append(f"{draw(_indent())}[{name}]")
        # Keys of a section share an indentation (a deeper one would be a continuation);
        # now and then two spellings of one key meet (a duplicate botocore refuses).
        indent = draw(st.sampled_from(["", "", "", " ", "\t", "  "]))
        pool = [*KEYS[::2], "output", "mfa_serial"]
        if draw(st.integers(0, 9)) == 7:
            pool = KEYS
        keys = draw(st.lists(st.sampled_from(pool), max_size=4, unique=True))
        for key in keys:
            sep = draw(st.sampled_from(["=", " = ", ": ", " ="]))
            value = draw(_text(min_size=draw(st.sampled_from([1, 0]))))
            lines.append(f"{indent}{key}{sep}{value}")
            lines += draw(st.lists(st.one_of(
                continuation_line().map(lambda line, indent=indent: indent + line),
                other_line(junk=False),
            ), max_size=2))
        sections.append(lines)
    flat = [line for section in sections for line in section]
    return draw(ini_text(st.just(flat)))


ANY_TEXT = st.one_of(ini_text(), plausible_text(), plausible_text())
VALID_LEANING = st.one_of(ini_text(), plausible_text(), plausible_text(), plausible_text())


# ------------------------------------------------------------------ the references
@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def _botocore(path: Path) -> dict | None:
    """What botocore reads (None: it can't parse the file)."""
    try:
        return raw_config_parse(str(path))
    except botocore.exceptions.ConfigParseError:
        return None


def _configparser(path: Path) -> dict[str, dict[str, str]] | None:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    return {name: dict(parser.items(name)) for name in parser.sections()}


def _ours(data: bytes) -> IniDocument | None:
    try:
        return IniDocument.parse_bytes(data, "credentials")
    except IniParseError as exc:
        assert "\n" not in str(exc) and "credentials" in str(exc)
        return None


# ------------------------------------------------------------------ properties
@settings(PROPERTY, max_examples=150)
@given(VALID_LEANING)
def test_round_trip_is_byte_identical(text):
    document = _ours(text.encode())
    assume(document is not None)
    assert document.to_text() == text
    assert document.to_bytes() == text.encode()


@PROPERTY
@given(ANY_TEXT)
def test_accepts_exactly_what_botocore_accepts_with_its_values(scratch, text):
    path = scratch / "credentials"
    data = text.encode()
    path.write_bytes(data)
    expected = _configparser(path)
    document = _ours(data)
    if UTF8_LOCALE:
        accepted_by_botocore = _botocore(path) is not None
        assert (document is not None) == accepted_by_botocore
    if document is None:
        return
    assert expected is not None
    assert document.sections() == list(expected)
    assert document.as_dict() == expected
    for name, values in expected.items():
        assert document.has_section(name)
        assert document.get_section(name) == values
        for key, value in values.items():
            assert document.get(name, key.upper() if key.isascii() else key) == value


@st.composite
def edit(draw, document: IniDocument):
    names = document.sections()
    kind = draw(st.sampled_from(["set", "set", "new", "remove"] if names else ["new"]))
    if kind == "remove":
        return ("remove", draw(st.sampled_from(names)), {}, [])
    if kind == "set":
        name = draw(st.sampled_from(names))
        existing = list(document.get_section(name))
    else:
        name = draw(st.lists(st.sampled_from(list("abcXY-_[#. é")), min_size=1, max_size=6)
                    .map("".join).filter(lambda n: n == n.strip() and n not in names
                                         and n != "DEFAULT"))
        existing = []
    key_names = st.one_of(
        st.sampled_from([*existing, "aws_session_token", "Region", "expiration"])
        if existing else st.sampled_from(["aws_session_token", "Region", "expiration"]),
        st.lists(st.sampled_from(list("abcK_ .é")), min_size=1, max_size=5).map("".join)
        .filter(lambda k: k == k.strip()),
    )
    value = st.lists(TEXT_CHARS, max_size=10).map("".join).map(str.strip)
    values = draw(st.dictionaries(key_names, value, max_size=4))
    remove = draw(st.lists(st.sampled_from(existing), max_size=2)) if existing else []
    return (kind, name, values, remove)


def _offsets(document: IniDocument, name: str) -> tuple[int, int]:
    """Character offsets of a section's header line and one past its last line."""
    start, end = document._range(name)
    lines = document._lines
    before = sum(map(len, lines[:start]))
    return before, before + sum(map(len, lines[start:end]))


@PROPERTY
@given(st.data())
def test_one_edit_changes_nothing_outside_its_section(data):
    text = data.draw(VALID_LEANING)
    document = _ours(text.encode())
    assume(document is not None)
    before = {name: document.raw_section(name) for name in document.sections()}
    values_before = document.as_dict()
    kind, name, values, remove = data.draw(edit(document))
    start, end = _offsets(document, name) if kind != "new" else (len(text), len(text))
    try:
        if kind == "remove":
            assert document.remove_section(name)
        else:
            document.set_values(name, values, remove)
    except CredentialsFileError as exc:
        # A refusal (a DEFAULT value botocore can't read, an indented header below) must
        # leave the document as it was and say so in one line.
        assert "\n" not in str(exc)
        assert document.to_text() == text
        return
    new = document.to_text()
    assert document.to_bytes() == new.encode()  # (spliced from the parsed bytes)
    fresh = IniDocument.parse(new)  # the result is a file botocore can read
    # The document's own index after the edit matches a fresh parse of its text.
    assert document.sections() == fresh.sections()
    assert document.as_dict() == fresh.as_dict()
    for section in fresh.sections():
        assert document.raw_section(section) == fresh.raw_section(section)
    # Bytes before the section's header are untouched; so are the bytes after it.
    assert new[:start] == text[:start]
    assert new[len(new) - (len(text) - end) :] == text[end:]
    if kind == "new":
        assert new.startswith(text)
    names = fresh.sections()
    for other, raw in before.items():
        if other == name:
            continue
        if kind == "remove":
            # The section above a removed one gains the removed section's comments.
            assert fresh.raw_section(other)[: len(raw)] == raw
        elif kind == "new" and other == list(before)[-1]:
            # The last section may gain a line ending and a blank line before a new one.
            assert fresh.raw_section(other)[: len(raw) - 1] == raw[:-1]
        else:
            assert fresh.raw_section(other) == raw
        assert fresh.get_section(other) == values_before[other]
    if kind == "remove" or (kind == "new" and not values):
        assert name not in names
        return
    assert name in names
    result = fresh.get_section(name)
    wanted = {key.lower(): value for key, value in values.items()}  # the last spelling wins
    for key, value in wanted.items():
        assert result[key] == value
    own = fresh._options(name)
    for key in remove:
        if key.lower() not in {k.lower() for k in values}:
            assert key.lower() not in own
    # Keys neither set nor removed keep their values.
    untouched = {k: v for k, v in values_before.get(name, {}).items()
                 if k not in {x.lower() for x in values} | {x.lower() for x in remove}}
    for key, value in untouched.items():
        assert result[key] == value


@settings(PROPERTY, max_examples=150)
@given(st.data())
def test_several_edits_in_one_document_match_a_fresh_parse(data):
    text = data.draw(plausible_text())
    document = _ours(text.encode())
    assume(document is not None)
    for _ in range(data.draw(st.integers(1, 4))):
        kind, name, values, remove = data.draw(edit(document))
        try:
            if kind == "remove":
                document.remove_section(name)
            else:
                document.set_values(name, values, remove)
        except CredentialsFileError:
            continue
        fresh = IniDocument.parse(document.to_text())
        assert document.sections() == fresh.sections()
        assert document.as_dict() == fresh.as_dict()
        for section in fresh.sections():
            assert document.raw_section(section) == fresh.raw_section(section)
    assert document.to_bytes() == document.to_text().encode()


_EXAMPLES = itertools.count()


@settings(PROPERTY, max_examples=120)
@given(st.data())
def test_values_written_through_the_store_are_what_botocore_reads(scratch, data):
    assume(UTF8_LOCALE)
    text = data.draw(VALID_LEANING)
    # A file of its own for each example: another example's file in the same place would
    # count as sections lost a moment ago (and be waited for, see `credentials_file.settled_read`).
    path = scratch / f"credentials-{next(_EXAMPLES)}"
    path.write_bytes(text.encode())
    before = _botocore(path)
    assume(before is not None)
    store = CredentialsStore(path)
    document = store.read()
    written: dict[str, dict[str, str]] = {}
    for _ in range(data.draw(st.integers(1, 3))):
        kind, name, values, _remove = data.draw(edit(document))
        if kind == "remove" or not values:
            continue
        try:
            store.set_section(name, values)
        except CredentialsFileError as exc:
            assert "\n" not in str(exc)
            continue
        document = store.read()
        for key, value in values.items():
            written.setdefault(name, {})[key.lower()] = value
    after = _botocore(path)
    assert after is not None
    for name, values in written.items():
        for key, value in values.items():
            assert after[name][key] == value
    for name, values in before.items():
        if name not in written:
            assert after[name] == values
    assert not list(scratch.glob(".credentials.*.tmp"))


# ------------------------------------------------------------------ edge cases
def parse(text: str) -> IniDocument:
    return IniDocument.parse(text, "creds")


def refused(text: str | bytes) -> IniParseError:
    with pytest.raises(IniParseError) as caught:
        if isinstance(text, bytes):
            IniDocument.parse_bytes(text, "creds")
        else:
            IniDocument.parse(text, "creds")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("creds")
    return caught.value


@pytest.mark.parametrize(("text", "expected"), [
    ("# c\n  # indented\n\t; semi\n[a]\n  # in a section\nk = v\n", {"a": {"k": "v"}}),
    ("[a]\nk=v\nk2 : w\nk3:=x\nk4 =: y\nk5 = p = q\n",
     {"a": {"k": "v", "k2": "w", "k3": "=x", "k4": ": y", "k5": "p = q"}}),
    ("[a]\nKey = v\n", {"a": {"key": "v"}}),
    ("[A]\nk=1\n[a]\nk=2\n[ a ]\nk=3\n", {"A": {"k": "1"}, "a": {"k": "2"}, " a ": {"k": "3"}}),
    ("[a]\nk = one\n  two\n\n\n  three\nn = 1\n", {"a": {"k": "one\ntwo\n\n\nthree", "n": "1"}}),
    ("[a]\nk = v # not a comment\n", {"a": {"k": "v # not a comment"}}),
    ("[DEFAULT]\nregion = eu\n[a]\nk = v\n[b]\nregion = us\n",
     {"a": {"region": "eu", "k": "v"}, "b": {"region": "us"}}),
    ("[profile dev]\nk = v\n", {"profile dev": {"k": "v"}}),
    ("[a] trailing ] text\nk = v\n", {"a] trailing ": {"k": "v"}}),
    ("[a]\r\nk = v\r\n", {"a": {"k": "v"}}),
    ("[a]\rk = v\rn = w", {"a": {"k": "v", "n": "w"}}),
    ("[a]\nk = v\x0bw\x85x\u2028y\n", {"a": {"k": "v\x0bw\x85x\u2028y"}}),
    ("[a]\n\xa0k = v\n", {"a": {"k": "v"}}),
    ("[a]\nk =\n  sub = 1\n  other = 2\n", {"a": {"k": "\nsub = 1\nother = 2"}}),
    ("[a]\nk = \n", {"a": {"k": ""}}),
    ("", {}),
    ("# only\n; comments\n", {}),
    ("[a]\n[b]", {"a": {}, "b": {}}),
    ("[a]\nk = v\n  [b]\n", {"a": {"k": "v\n[b]"}}),
    ("  [a]\n    [b]\n", {"a": {}, "b": {}}),
    ("[a]\n[]=x\n", {"a": {"[]": "x"}}),
])
def test_parses_like_botocore(text, expected, tmp_path):
    document = parse(text)
    assert document.as_dict() == expected
    assert document.to_text() == text
    path = tmp_path / "credentials"
    path.write_bytes(text.encode())
    assert _configparser(path) == expected


@pytest.mark.parametrize(("data", "line", "words"), [
    (b"\xef\xbb\xbf[a]\nk = v\n", 1, "byte order mark"),
    (b"[a]\nk = v\x00\n", 2, "NUL"),
    (b"[a]\nk = v\n\xff\n", 3, "UTF-8"),
    (b"[a]\r\rk = \xc3\n", 3, "UTF-8"),
    (b"[a]\nk = 1\n[b]\n[a]\n", 4, "[a] appears a second time (first on line 1)"),
    (b"[a]\nKey = 1\nkey = 2\n", 3, "key `key` appears twice in [a]"),
    (b"[a]\nk = 1\n  more\nk : 2\n", 4, "appears twice"),
    (b"[a\nk = v\n", 1, "without its closing `]`"),
    (b"[]\n", 1, "empty section name"),
    (b"k = v\n[a]\n", 1, "before any [profile] header"),
    (b"# c\n\n  k = v\n", 3, "before any [profile] header"),
    (b"[a]\n= v\n", 2, "no key name"),
    (b"[a]\nno separator here\n", 2, "neither a [profile] header"),
    (b"[a]\n  k = v\nbare\n", 3, "neither"),
    (b"[a]\ns3 =\n  addressing_style = path\n  oops\n", 4, "nested"),
    (b"[a]\ns3 =\n  a = b\x0bc\n", 3, "nested"),
    (b"[DEFAULT]\ns3 =\n  oops\n[a]\n", 3, "[DEFAULT]"),
])
def test_refuses_what_botocore_refuses(data, line, words, tmp_path):
    error = refused(data)
    assert error.line == line
    assert f"creds, line {line}:" in str(error)
    assert words in str(error)
    path = tmp_path / "credentials"
    path.write_bytes(data)
    if b"\x00" not in data:  # botocore reads NUL bytes; we refuse them on purpose
        assert _botocore(path) is None


def test_default_with_a_bad_nested_value_is_fine_until_a_profile_inherits_it(tmp_path):
    text = "[DEFAULT]\ns3 =\n  oops\n"
    path = tmp_path / "credentials"
    path.write_text(text)
    assert _botocore(path) == {}  # no profile, nothing inherits it
    document = parse(text)
    with pytest.raises(IniParseError, match="line 3"):
        document.set_values("a", {"k": "v"})
    assert document.to_text() == text
    document.set_values("a", {"S3": "fixed"})  # a profile that sets its own s3 is fine
    path.write_text(document.to_text())
    assert _botocore(path) == {"a": {"s3": "fixed"}}
    assert parse("[DEFAULT]\ns3 =\n  oops\n[a]\ns3 = own\n").get("a", "s3") == "own"


def test_errors_never_echo_a_value():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    for text in (f"{secret}\n", f"[a]\n{secret}\n", f"[a]\nk = {secret}\nk = {secret}\n",
                 f"[a]\nk =\n  {secret}\n"):
        assert secret not in str(refused(text))
    document = parse("[a]\n")
    for value in (f"{secret}\n", f" {secret}", f"{secret}\x00", f"{secret}\ud800"):
        with pytest.raises(CredentialsFileError) as caught:
            document.set_values("a", {"aws_secret_access_key": value})
        assert secret not in str(caught.value)
    assert document.to_text() == "[a]\n"


@pytest.mark.parametrize("name", ["", " a", "a ", "a]b", "a\nb", "a\rb", "DEFAULT", "a\x00"])
def test_bad_section_names_are_refused(name):
    document = parse("[a]\nk = v\n")
    with pytest.raises(CredentialsFileError):
        document.set_values(name, {"k": "v"})
    assert document.to_text() == "[a]\nk = v\n"


@pytest.mark.parametrize("key", ["", " k", "k ", "a=b", "a:b", "[k", "k]", "#k", ";k", "a\nb"])
def test_bad_keys_are_refused(key):
    with pytest.raises(CredentialsFileError):
        parse("[a]\n").set_values("a", {key: "v"})


# ------------------------------------------------------------------ edits
def edited(text: str, name: str, values: dict[str, str], remove=()) -> str:
    document = parse(text)
    document.set_values(name, values, remove)
    result = document.to_text()
    assert parse(result).to_text() == result
    return result


def test_set_existing_key_rewrites_only_that_line_keeping_indentation():
    text = "# top\n[a]\n  Key=old\n  other : x\n\n[b]\nkey = b\n"
    assert edited(text, "a", {"KEY": "new"}) == "# top\n[a]\n  key = new\n  other : x\n\n[b]\nkey = b\n"


def test_new_key_goes_after_the_last_key_with_its_indentation():
    text = "[a]\n\tk = v\n\tcont = x\n\t  more\n# trailing comment\n\n[b]\n"
    assert edited(text, "a", {"n": "1"}) == (
        "[a]\n\tk = v\n\tcont = x\n\t  more\n\tn = 1\n# trailing comment\n\n[b]\n"
    )


def test_new_key_in_an_empty_section_keeps_the_indented_header_below_a_header():
    text = "[a]\n   [b]\nk = v\n"
    result = edited(text, "a", {"n": "1"})
    assert result == "[a]\n   n = 1\n   [b]\nk = v\n"
    assert parse(result).as_dict() == {"a": {"n": "1"}, "b": {"k": "v"}}


def test_multi_line_value_collapses_and_keeps_its_comments():
    text = "[a]\nk = one\n  # note\n  two\nn = 1\n"
    assert edited(text, "a", {"k": "x"}) == "[a]\nk = x\n  # note\nn = 1\n"


def test_new_section_is_appended_after_one_blank_line():
    assert edited("[a]\nk = v\n", "b", {"k": "w"}) == "[a]\nk = v\n\n[b]\nk = w\n"
    assert edited("[a]\nk = v\n\n", "b", {"k": "w"}) == "[a]\nk = v\n\n[b]\nk = w\n"
    assert edited("", "b", {"k": "w"}) == "[b]\nk = w\n"
    assert edited("# only a comment", "b", {"k": "w"}) == "# only a comment\n\n[b]\nk = w"


def test_line_endings_and_missing_final_newline_are_kept():
    assert edited("[a]\r\nk = v", "a", {"n": "1"}) == "[a]\r\nk = v\r\nn = 1"
    assert edited("[a]\r\nk = v\r\n", "b", {"n": "1"}) == "[a]\r\nk = v\r\n\r\n[b]\r\nn = 1\r\n"
    assert edited("[a]\rk = v\r", "a", {"k": "w"}) == "[a]\rk = w\r"
    assert edited("[a]\nk = v\nn = 1", "a", {}, ["n"]) == "[a]\nk = v"
    assert edited("[a]", "a", {"k": "v"}) == "[a]\nk = v"


def test_remove_key_keeps_comments_inside_its_value():
    assert edited("[a]\nk = 1\n  # c\n  2\nn = 3\n", "a", {}, ["K"]) == "[a]\n  # c\nn = 3\n"


def test_set_and_remove_the_same_key_sets_it():
    assert edited("[a]\nk = 1\n", "a", {"k": "2"}, ["k"]) == "[a]\nk = 2\n"


def test_unchanged_values_report_no_change():
    document = parse("[a]\nK=v\n")
    assert not document.set_values("a", {"k": "v"})  # same value: the line stays as written
    assert document.to_text() == "[a]\nK=v\n"
    assert not document.set_values("missing", {})
    assert not document.remove_section("missing")


def test_remove_section_keeps_comments_and_other_bytes():
    text = "[a]\nk = v\n\n# about b\n[b]\n# inside b\nk = w\n  more\n\n[c]\nk = x"
    document = parse(text)
    assert document.remove_section("b")
    assert document.to_text() == "[a]\nk = v\n\n# about b\n# inside b\n[c]\nk = x"
    assert document.remove_section("c")
    assert document.to_text() == "[a]\nk = v\n\n# about b\n# inside b\n"
    assert document.sections() == ["a"]


def test_remove_section_refuses_to_swallow_an_indented_header():
    text = "[a]\nk = v\n[b]\n  [c]\nn = 1\n"
    document = parse(text)
    assert document.as_dict() == {"a": {"k": "v"}, "b": {}, "c": {"n": "1"}}
    with pytest.raises(CredentialsFileError, match=r"line 4: removing \[b\]"):
        document.remove_section("b")
    assert document.to_text() == text


def test_several_edits_in_one_document_keep_the_index_right():
    document = IniDocument.parse_bytes(b"[a]\nk = 1\n  two\n[b]\nk = 2\n[c]\nk = 3\n", "creds")
    document.set_values("a", {"k": "x", "n": "y", "m": "z"})
    document.remove_section("b")
    document.set_values("c", {"k": "c"})
    document.set_values("d", {"k": "d"})
    assert document.to_text() == "[a]\nk = x\nn = y\nm = z\n[c]\nk = c\n\n[d]\nk = d\n"
    assert document.to_bytes() == document.to_text().encode()
    assert document.as_dict() == parse(document.to_text()).as_dict()
    assert document.raw_section("c") == ["[c]\n", "k = c\n", "\n"]


def test_newline_is_the_first_one_the_file_uses():
    assert parse("").newline == "\n"
    assert parse("[a]").newline == "\n"
    assert parse("[a]\r\nk = v\n").newline == "\r\n"
    assert parse("[a]\rk = v\n").newline == "\r"


def test_duplicates_are_found_among_many_distinct_keys(tmp_path):
    # Past the first keys, duplicates are tracked in a set rather than a bit mask.
    many = "".join(f"key{n} = {n}\n" for n in range(100))
    text = f"[a]\n{many}[b]\n{many}"
    document = parse(text)
    assert len(document.get_section("b")) == 100
    for dup, line in ((f"[c]\n{many}KEY77 : again\n", 102), (f"[c]\nkey5 = x\n{many}", 8)):
        assert refused(text + dup).line == len(text.splitlines()) + line
    defaults = f"[DEFAULT]\n{many}[x]\n[DEFAULT]\nkey99 = again\n"
    assert refused(defaults).line == 104
    (tmp_path / "c").write_text(defaults)
    assert _botocore(tmp_path / "c") is None


def test_colon_keys_are_read_like_equals_keys():
    text = "[a]\nmfa_serial: arn:aws:iam::1:mfa/x\nregion: eu\n[b]\nmfa_serial: arn:aws:iam::2:mfa/y\n"
    assert parse(text).as_dict() == {
        "a": {"mfa_serial": "arn:aws:iam::1:mfa/x", "region": "eu"},
        "b": {"mfa_serial": "arn:aws:iam::2:mfa/y"},
    }
    assert refused(text + "MFA_Serial = again\n").line == 6
