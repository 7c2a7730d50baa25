"""The credentials file's lines read exactly the way botocore reads them.

botocore reads ~/.aws/credentials with a strict `configparser.RawConfigParser` (see
`botocore.configloader.raw_config_parse`). `walk` follows the same rules line by line, so a
file we accept is a file every SDK accepts, and a file botocore would reject is refused here
with the line number and what to fix. tests/engine/test_ini_document.py checks this against
configparser and botocore themselves.

One deliberate difference: a NUL byte is refused although configparser would read it (no
credentials file has one unless it is binary or corrupt).

Speed matters because the store re-reads the whole file inside the lock on every write:
lines are kept as the raw strings `str.splitlines(keepends=True)` gives; the validating
pass dispatches on each line's first character (a line that starts at column 0 can't be a
continuation) and checks keys for duplicates with one bit per distinct key, building no
per-key objects; a section's keys are parsed in detail only when asked (`detail=True`).

The editor that keeps every line as written is `ini_document.IniDocument`.
"""

from __future__ import annotations

import re

from tui.engine.errors import CredentialsFileError

# Universal newlines, as Python's text mode reads them.
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
# Characters str.splitlines() breaks on but Python's text mode (and so botocore) does not.
_EXOTIC_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_ASCII_EXOTIC_BREAKS = _EXOTIC_BREAKS[:5]
DEFAULT_SECTION = "DEFAULT"
# First characters of a line that can only be a `key = value` line at column 0: printable
# ASCII other than space and the characters that start a header, a comment or a separator.
_KEY_START = frozenset(chr(c) for c in range(0x21, 0x7F)) - frozenset("[#;=:")

# Keys with a bit each in a section's duplicate mask (small ints stay fast).
_MAX_KEY_BITS = 60

_BEFORE_HEADER = "has a setting before any [profile] header; add a header above it or remove it"
_NOT_A_SETTING = (
    "is neither a [profile] header, a `key = value` line nor a comment; fix or remove it"
)


class IniParseError(CredentialsFileError):
    """The file is not one botocore can read. Carries the 1-based line number."""

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source}, line {line}" if line else source
        super().__init__(f"{where}: {problem}; the file was left unchanged")
        self.source = source
        self.line = line
        self.problem = problem


class Option:
    __slots__ = ("first", "key", "last", "parts")

    def __init__(self, key: str, first: int, value: str) -> None:
        self.key = key  # lower-cased, as configparser's optionxform leaves it
        self.first = first  # index of the `key = value` line
        self.last = first  # index of its last continuation line
        self.parts = [value]  # value pieces, joined the way configparser joins them

    @property
    def value(self) -> str:
        return "\n".join(self.parts).rstrip()


class Scan:
    """What one pass over the lines found."""

    __slots__ = ("default_bad", "defaults", "headers", "names", "options", "values")

    def __init__(self) -> None:
        self.names: dict[str, int] = {}  # section name -> index of its header line
        self.headers: list[int] = []  # every header line, [DEFAULT] ones included
        self.defaults: list[int] = []  # header lines of [DEFAULT] sections
        self.options: dict[str, dict[str, Option]] = {}  # by section, when `detail`
        # Each section's own values as configparser reads them (the [DEFAULT] sections'
        # keys under DEFAULT_SECTION), when `values`: what `IniDocument.as_dict` needs.
        self.values: dict[str, dict[str, str]] = {}
        # [DEFAULT] keys with a nested value botocore can't read: key -> 1-based line.
        self.default_bad: dict[str, int] = {}


def walk(
    lines: list[str], source: str, start: int = 0, detail: bool = False, whole: bool = True,
    values: bool = False,
) -> Scan:
    """Walk lines exactly as RawConfigParser._read does (strict, no interpolation).

    configparser's regular expressions are replaced by equivalent string operations: a
    header is `[`, at least one character, then the line's last `]`; a key ends at the
    first `=` or `:`. On top of configparser, botocore reads a value that starts on the line
    after its key as nested `name = value` lines and rejects the whole file when one of them
    has no `=`; that is checked too (for [DEFAULT]'s keys only when `whole`, as they matter
    only in profiles that don't set the key themselves). tests/engine/test_ini_document.py checks
    all of this against configparser and botocore themselves.

    The loop is the hot path of every write, so the common lines take a short road: a line
    starting with a plain ASCII character is a `key = value` line at column 0, which can't
    be a continuation; its key is looked up by the raw text before its `=` (files repeat the
    same few spellings) to get one bit per distinct key, and a section's keys are a bit mask.
    Past _MAX_KEY_BITS distinct keys (big masks would be slow) keys go into a set instead.
    Everything else takes the general road, which follows configparser statement by statement.

    With `values`, the same pass also records each section's values (`Scan.values`), so a
    document read for its values is walked once: a key line's value is stored as a string,
    and only a value that takes more lines (continuations, blank lines) collects its pieces
    until the next key or header, as `Option.value` joins them.
    """
    scan = Scan()
    names = scan.names
    headers = scan.headers
    options = scan.options
    raw_bits: dict[str, int] = {}  # text before a key line's first `=` -> its key's bit
    raw_keys: dict[str, str] = {}  # the same -> its key, for keys without a bit (bit 0)
    key_bits: dict[str, int] = {}  # key -> bit
    mask = 0  # bits of the current section's keys
    extra: set[str] = set()  # the current section's keys that have no bit
    default_mask = 0  # the same for [DEFAULT] (several [DEFAULT] sections share them)
    default_extra: set[str] = set()
    section: str | None = None  # current section (None before the first header)
    current: dict[str, Option] = {}  # the current section's options, when `detail`
    option: Option | None = None  # the option taking continuation lines, when `detail`
    opt: str | None = None  # the key line that may take continuation lines
    nested_for: str | None = None  # the key line `nested` was worked out for
    nested = False  # its value starts on the next line, so botocore reads it as nested
    # _KEY_START once inside a section: before the first header a key line is an error.
    fast: frozenset[str] = frozenset()
    found = scan.values
    own: dict[str, str] = {}  # the current section's values, when `values`
    held: str = ""  # the key `own` last received, when `values`
    pieces: list[str] | None = None  # its value's pieces once it has more than one line
    for i, line in enumerate(lines, start):
        c = line[0]
        if c in fast:
            # A `key = value` line at column 0 (the common case): never a continuation.
            k = line.find("=")
            if k < 0:
                k = line.find(":")
            raw = line[:k] if k >= 0 else line  # the key is a function of `raw`
            bit = raw_bits.get(raw)
            if bit is None:
                key = _key_of(line)
                if key is None:
                    raise IniParseError(source, i + 1, _NOT_A_SETTING)
                bit = raw_bits[raw] = _bit_for(key, key_bits)
                raw_keys[raw] = key
            if mask & bit:
                raise _duplicate_key(source, i, _key_of(line) or "", section or "")
            if bit:
                mask |= bit
            else:
                key = raw_keys[raw]
                if key in extra:
                    raise _duplicate_key(source, i, key, section or "")
                extra.add(key)
            opt = line
            if detail:
                key, value = _split_setting(line)
                option = current[key] = Option(key, i, value)
            if values:
                if pieces is not None:
                    own[held] = "\n".join(pieces).rstrip()
                    pieces = None
                colon = raw.find(":")  # a `:` before the `=` ends the key (_split_setting)
                held = raw_keys[raw]
                own[held] = line[(colon if colon >= 0 else k) + 1 :].strip()
            continue
        if c == "\n" or c == "\r":
            if option is not None:
                option.parts.append("")  # configparser keeps empty lines inside a value
            if values and opt is not None:
                if pieces is None:
                    pieces = [own[held]]
                pieces.append("")
            continue
        if c == "#" or c == ";":
            continue  # a full-line comment
        stripped = line
        if c != "[":
            stripped = line.strip()
            if not stripped:
                if option is not None:
                    option.parts.append("")
                if values and opt is not None:
                    if pieces is None:
                        pieces = [own[held]]
                    pieces.append("")
                continue
            c = stripped[0]
            if c == "#" or c == ";":
                continue  # a full-line comment, however it is indented
            if opt is not None:
                cur_indent = len(line) - len(line.lstrip())
                if cur_indent > len(opt) - len(opt.lstrip()):
                    # A continuation line: part of the value above.
                    if option is not None:
                        option.parts.append(stripped)
                        option.last = i
                    if values:
                        if pieces is None:
                            pieces = [own[held]]
                        pieces.append(stripped)
                    if nested_for is not opt:
                        nested_for = opt
                        nested = not _split_setting(opt)[1]
                    if nested and _bad_nested(stripped):
                        key = _split_setting(opt)[0]
                        if section == DEFAULT_SECTION:
                            scan.default_bad.setdefault(key, i + 1)
                        else:
                            raise IniParseError(source, i + 1, nested_problem(key, section or ""))
                    continue
        if c == "[":
            close = stripped.rfind("]")
            if close >= 2:
                name = stripped[1:close]
                headers.append(i)
                opt = None
                option = None
                if pieces is not None:
                    own[held] = "\n".join(pieces).rstrip()
                    pieces = None
                fast = _KEY_START
                if section == DEFAULT_SECTION:
                    default_mask, default_extra = mask, extra
                section = name
                if name == DEFAULT_SECTION:
                    mask, extra = default_mask, default_extra
                    scan.defaults.append(i)
                    if detail:
                        current = options.setdefault(name, {})
                    if values:
                        own = found.setdefault(name, {})
                    continue
                if name in names:
                    raise IniParseError(
                        source, i + 1,
                        f"profile [{name}] appears a second time (first on line "
                        f"{names[name] + 1}); merge the two sections into one",
                    )
                names[name] = i
                mask = 0
                if extra:
                    extra = set()
                if detail:
                    current = options[name] = {}
                if values:
                    own = found[name] = {}
                continue
        # Anything else must be a `key = value` line inside a section.
        if section is None:
            raise IniParseError(source, i + 1, _unexpected(c, stripped, before_header=True))
        key = _key_of(stripped)
        if not key:
            raise IniParseError(source, i + 1, _unexpected(c, stripped, before_header=False))
        bit = _bit_for(key, key_bits)
        if mask & bit or (not bit and key in extra):
            raise _duplicate_key(source, i, key, section)
        if bit:
            mask |= bit
        else:
            extra.add(key)
        opt = line
        if detail:
            option = current[key] = Option(key, i, _split_setting(stripped)[1])
        if values:
            if pieces is not None:
                own[held] = "\n".join(pieces).rstrip()
                pieces = None
            held = key
            own[key] = _split_setting(stripped)[1]
    if pieces is not None:
        own[held] = "\n".join(pieces).rstrip()
    if whole and scan.default_bad and names:
        _check_default_nested(lines, source, start, scan)
    return scan


def _bit_for(key: str, key_bits: dict[str, int]) -> int:
    """The key's bit in a section's mask; 0 (use a set) past the first _MAX_KEY_BITS keys."""
    bit = key_bits.get(key)
    if bit is None:
        bit = key_bits[key] = 1 << len(key_bits) if len(key_bits) < _MAX_KEY_BITS else 0
    return bit


def _key_of(text: str) -> str | None:
    """The key of a `key = value` line (from its first `=` or `:`), None without either."""
    eq = text.find("=")
    colon = text.find(":", 0, eq) if eq >= 0 else text.find(":")
    end = colon if colon >= 0 else eq
    if end < 0:
        return None
    return text[:end].strip().lower()


def _split_setting(text: str) -> tuple[str, str]:
    """(key, value) of a `key = value` line, as configparser reads them."""
    eq = text.find("=")
    colon = text.find(":", 0, eq) if eq >= 0 else text.find(":")
    end = colon if colon >= 0 else eq
    return text[:end].strip().lower(), text[end + 1 :].strip()


def _check_default_nested(lines: list[str], source: str, start: int, scan: Scan) -> None:
    """botocore reads [DEFAULT]'s keys into every profile that doesn't set its own."""
    detailed = walk(lines, source, start, detail=True, whole=False)
    for name in detailed.names:
        own = detailed.options[name]
        for key, line_number in scan.default_bad.items():
            if key not in own:
                raise IniParseError(source, line_number, nested_problem(key, DEFAULT_SECTION))


def _bad_nested(part: str) -> bool:
    """botocore's `_parse_nested` would fail on this line of a nested value."""
    if "=" not in part:
        return True
    return any(piece.strip() and "=" not in piece for piece in part.splitlines())


def nested_problem(key: str, section: str) -> str:
    return (
        f"`{key}` in [{section}] has its value on indented lines below it, which the AWS "
        "SDKs read as nested `name = value` settings, and this line has no `=`; put the "
        "value on the key's line or fix the indentation"
    )


def _duplicate_key(source: str, i: int, key: str, section: str) -> IniParseError:
    return IniParseError(source, i + 1, f"key `{key}` appears twice in [{section}]; keep only one")


def _unexpected(first: str, stripped: str, before_header: bool) -> str:
    if first == "[":
        if stripped.startswith("[]"):
            return "has an empty section name `[]`; name the profile or remove the line"
        return "has a `[` without its closing `]`; close the section header"
    if before_header:
        return _BEFORE_HEADER
    if first in "=:":
        return "has a value but no key name before its `=` or `:`; add the key or remove it"
    return _NOT_A_SETTING


def split_lines(text: str) -> list[str]:
    """Split on \\n, \\r\\n and \\r (Python's universal newlines), keeping each ending."""
    breaks = _ASCII_EXOTIC_BREAKS if text.isascii() else _EXOTIC_BREAKS
    for char in breaks:
        if char in text:
            return [m.group(0) for m in _LINE_RE.finditer(text) if m.group(0)]
    return text.splitlines(keepends=True)


def line_of(text: str, offset: int) -> int:
    """1-based line number of `offset` in `text`, counting universal newlines."""
    before = text[:offset]
    return before.count("\n") + before.count("\r") - before.count("\r\n") + 1


def decode(data: bytes, source: str) -> str:
    """The file's bytes as text: UTF-8, as botocore opens it."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8")
        line = line_of(prefix, len(prefix))
        raise IniParseError(source, line, "is not valid UTF-8; re-save it as UTF-8") from None


def read_lines(text: str, source: str) -> list[str]:
    """The file's lines, each with its own ending, refusing what botocore can't open."""
    if text.startswith("\ufeff"):
        raise IniParseError(
            source, 1, "starts with a UTF-8 byte order mark, which the AWS SDKs can't "
            "read; save the file as UTF-8 without BOM"
        )
    nul = text.find("\x00")
    if nul >= 0:
        raise IniParseError(
            source, line_of(text, nul), "has a NUL byte; remove it (is this a binary file?)"
        )
    return split_lines(text)
