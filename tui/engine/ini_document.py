"""A line-faithful INI document that parses exactly the way botocore does.

botocore reads ~/.aws/credentials with a strict `configparser.RawConfigParser` (see
`botocore.configloader.raw_config_parse`). This module follows the same rules line by line,
so a file we accept is a file every SDK accepts, and a file botocore would reject is refused
here with the line number and what to fix.

Unlike configparser, the document keeps every line as written: comments, blank lines,
spacing, key case, order, CRLF/LF endings and a missing final newline. An edit touches only
the lines of the section it edits (the awscli model: rewrite one key line, insert a new key
after the section's last key, append a new section at the end).

One deliberate difference: a NUL byte is refused although configparser would read it (no
credentials file has one unless it is binary or corrupt).

Speed matters because the store re-reads the whole file inside the lock on every write:
lines are kept as the raw strings `str.splitlines(keepends=True)` gives; the validating
pass dispatches on each line's first character (a line that starts at column 0 can't be a
continuation) and checks keys for duplicates with one bit per distinct key, building no
per-key objects; a section's keys are parsed in detail only when that section is read or
edited; and `to_bytes` splices the edited lines into the bytes it parsed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping

from tui.engine.errors import CredentialsFileError

# Universal newlines, as Python's text mode reads them.
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
# Characters str.splitlines() breaks on but Python's text mode (and so botocore) does not.
_EXOTIC_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_ASCII_EXOTIC_BREAKS = _EXOTIC_BREAKS[:5]
_DEFAULT_SECTION = "DEFAULT"
_NEWLINES = "\r\n"
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


class _Option:
    __slots__ = ("first", "key", "last", "parts")

    def __init__(self, key: str, first: int, value: str) -> None:
        self.key = key  # lower-cased, as configparser's optionxform leaves it
        self.first = first  # index of the `key = value` line
        self.last = first  # index of its last continuation line
        self.parts = [value]  # value pieces, joined the way configparser joins them

    @property
    def value(self) -> str:
        return "\n".join(self.parts).rstrip()


class _Scan:
    """What one pass over the lines found."""

    __slots__ = ("default_bad", "defaults", "headers", "names", "options")

    def __init__(self) -> None:
        self.names: dict[str, int] = {}  # section name -> index of its header line
        self.headers: list[int] = []  # every header line, [DEFAULT] ones included
        self.defaults: list[int] = []  # header lines of [DEFAULT] sections
        self.options: dict[str, dict[str, _Option]] = {}  # by section, when `detail`
        # [DEFAULT] keys with a nested value botocore can't read: key -> 1-based line.
        self.default_bad: dict[str, int] = {}


def _walk(
    lines: list[str], source: str, start: int = 0, detail: bool = False, whole: bool = True
) -> _Scan:
    """Walk lines exactly as RawConfigParser._read does (strict, no interpolation).

    configparser's regular expressions are replaced by equivalent string operations: a
    header is `[`, at least one character, then the line's last `]`; a key ends at the
    first `=` or `:`. On top of configparser, botocore reads a value that starts on the line
    after its key as nested `name = value` lines and rejects the whole file when one of them
    has no `=`; that is checked too (for [DEFAULT]'s keys only when `whole`, as they matter
    only in profiles that don't set the key themselves). tests/test_ini_document.py checks
    all of this against configparser and botocore themselves.

    The loop is the hot path of every write, so the common lines take a short road: a line
    starting with a plain ASCII character is a `key = value` line at column 0, which can't
    be a continuation; its key is looked up by the raw text before its `=` (files repeat the
    same few spellings) to get one bit per distinct key, and a section's keys are a bit mask.
    Past _MAX_KEY_BITS distinct keys (big masks would be slow) keys go into a set instead.
    Everything else takes the general road, which follows configparser statement by statement.
    """
    scan = _Scan()
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
    current: dict[str, _Option] = {}  # the current section's options, when `detail`
    option: _Option | None = None  # the option taking continuation lines, when `detail`
    opt: str | None = None  # the key line that may take continuation lines
    nested_for: str | None = None  # the key line `nested` was worked out for
    nested = False  # its value starts on the next line, so botocore reads it as nested
    # _KEY_START once inside a section: before the first header a key line is an error.
    fast: frozenset[str] = frozenset()
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
                option = current[key] = _Option(key, i, value)
            continue
        if c == "\n" or c == "\r":
            if option is not None:
                option.parts.append("")  # configparser keeps empty lines inside a value
            continue
        if c == "#" or c == ";":
            continue  # a full-line comment
        stripped = line
        if c != "[":
            stripped = line.strip()
            if not stripped:
                if option is not None:
                    option.parts.append("")
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
                    if nested_for is not opt:
                        nested_for = opt
                        nested = not _split_setting(opt)[1]
                    if nested and _bad_nested(stripped):
                        key = _split_setting(opt)[0]
                        if section == _DEFAULT_SECTION:
                            scan.default_bad.setdefault(key, i + 1)
                        else:
                            raise IniParseError(source, i + 1, _nested_problem(key, section or ""))
                    continue
        if c == "[":
            close = stripped.rfind("]")
            if close >= 2:
                name = stripped[1:close]
                headers.append(i)
                opt = None
                option = None
                fast = _KEY_START
                if section == _DEFAULT_SECTION:
                    default_mask, default_extra = mask, extra
                section = name
                if name == _DEFAULT_SECTION:
                    mask, extra = default_mask, default_extra
                    scan.defaults.append(i)
                    if detail:
                        current = options.setdefault(name, {})
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
            option = current[key] = _Option(key, i, _split_setting(stripped)[1])
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


def _check_default_nested(lines: list[str], source: str, start: int, scan: _Scan) -> None:
    """botocore reads [DEFAULT]'s keys into every profile that doesn't set its own."""
    detailed = _walk(lines, source, start, detail=True, whole=False)
    for name in detailed.names:
        own = detailed.options[name]
        for key, line_number in scan.default_bad.items():
            if key not in own:
                raise IniParseError(source, line_number, _nested_problem(key, _DEFAULT_SECTION))


def _bad_nested(part: str) -> bool:
    """botocore's `_parse_nested` would fail on this line of a nested value."""
    if "=" not in part:
        return True
    return any(piece.strip() and "=" not in piece for piece in part.splitlines())


def _nested_problem(key: str, section: str) -> str:
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


class IniDocument:
    """The parsed file: lines as written, plus an index of its sections."""

    def __init__(self, lines: list[str], source: str = "<credentials>") -> None:
        self._lines = lines  # raw lines, each with its own line ending
        self.source = source
        # The bytes parsed (when all ASCII, so line lengths are byte counts) and the lines
        # edited since, (first, end in the original, end now): to_bytes splices them.
        self._original: bytes | None = None
        self._changed: tuple[int, int, int] | None = None
        self._index()

    # ----------------------------------------------------------------- reading
    @classmethod
    def parse(cls, text: str, source: str = "<credentials>") -> IniDocument:
        if text.startswith("\ufeff"):
            raise IniParseError(
                source, 1, "starts with a UTF-8 byte order mark, which the AWS SDKs can't "
                "read; save the file as UTF-8 without BOM"
            )
        nul = text.find("\x00")
        if nul >= 0:
            raise IniParseError(
                source, _line_of(text, nul), "has a NUL byte; remove it (is this a binary file?)"
            )
        return cls(_split_lines(text), source)

    @classmethod
    def parse_bytes(cls, data: bytes, source: str = "<credentials>") -> IniDocument:
        """Parse and fully validate `data`; bytes equal (`==`) to the last bytes this
        process validated reuse that parse instead of validating them again."""
        last = _last_validated
        if last is not None and last.data == data:
            return cls._from_validated(last, source)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            prefix = data[: exc.start].decode("utf-8")
            line = _line_of(prefix, len(prefix))
            raise IniParseError(source, line, "is not valid UTF-8; re-save it as UTF-8") from None
        document = cls.parse(text, source)
        if text.isascii():
            document._original = data
        _remember_validated(data, document)
        return document

    @classmethod
    def _from_validated(cls, last: _Validated, source: str) -> IniDocument:
        """A fresh document from a remembered parse (copies: edits change them in place)."""
        document = cls.__new__(cls)
        document._lines = list(last.lines)
        document.source = source
        document._original = last.data if last.ascii else None
        document._changed = None
        document._names = dict(last.names)
        document._headers = list(last.headers)
        document._default_headers = list(last.defaults)
        document._default_bad = dict(last.default_bad)
        return document

    def _index(self) -> None:
        scan = _walk(self._lines, self.source)
        self._names = scan.names
        self._headers = scan.headers
        self._default_headers = scan.defaults
        self._default_bad = scan.default_bad

    @property
    def _sections(self) -> dict[str, int]:
        """Section name -> index of its header line (edits keep it up to date)."""
        return self._names

    def _range(self, name: str) -> tuple[int, int]:
        """A section's lines: its header up to the next header (trailing comments included)."""
        header = self._sections[name]
        return header, self._end_of(header)

    def _end_of(self, header: int) -> int:
        following = bisect_right(self._headers, header)
        return self._headers[following] if following < len(self._headers) else len(self._lines)

    def _options(self, name: str) -> dict[str, _Option]:
        start, end = self._range(name)
        scan = _walk(self._lines[start:end], self.source, start, detail=True)
        return scan.options.get(name, {})

    def _defaults(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for header in self._default_headers:
            block = self._lines[header : self._end_of(header)]
            scan = _walk(block, self.source, header, detail=True)
            values.update((k, o.value) for k, o in scan.options[_DEFAULT_SECTION].items())
        return values

    def sections(self) -> list[str]:
        """Section names in file order (without DEFAULT), as `RawConfigParser.sections()`."""
        return list(self._sections)

    def has_section(self, name: str) -> bool:
        return name in self._sections

    def get_section(self, name: str) -> dict[str, str]:
        """The section's values as botocore sees them (DEFAULT keys included)."""
        if name not in self._sections:
            return {}
        values = self._defaults()
        values.update({k: o.value for k, o in self._options(name).items()})
        return values

    def get(self, name: str, key: str) -> str | None:
        return self.get_section(name).get(key.lower())

    def as_dict(self) -> dict[str, dict[str, str]]:
        scan = _walk(self._lines, self.source, detail=True)
        defaults = {k: o.value for k, o in scan.options.get(_DEFAULT_SECTION, {}).items()}
        return {
            name: defaults | {k: o.value for k, o in scan.options[name].items()}
            for name in scan.names
        }

    def raw_section(self, name: str) -> list[str]:
        """The section's raw lines, header to the line before the next header."""
        if name not in self._sections:
            return []
        start, end = self._range(name)
        return self._lines[start:end]

    def replace_comment(self, name: str, marker: str, text: str) -> bool:
        """Replace the first comment line of section `name` that holds `marker` with
        `text` (a whole comment line). Returns True when the text changed."""
        if name not in self._sections or not text.lstrip().startswith(("#", ";")):
            return False
        start, end = self._range(name)
        for i in range(start + 1, end):
            line = self._lines[i]
            if line.lstrip().startswith(("#", ";")) and marker.lower() in line.lower():
                ending = line[len(line.rstrip("\r\n")):] or "\n"
                new = text + ending
                if new == line:
                    return False
                self._lines[i] = new
                return True
        return False

    def to_text(self) -> str:
        return "".join(self._lines)

    def to_bytes(self) -> bytes:
        original, changed = self._original, self._changed
        if original is None or changed is None:
            return original if original is not None else self.to_text().encode("utf-8")
        # Only lines[first:end_now] differ from the bytes we parsed: splice them in.
        first, _, end_now = changed
        lines = self._lines
        before = sum(map(len, lines[:first]))
        after = sum(map(len, lines[end_now:]))
        middle = "".join(lines[first:end_now]).encode("utf-8")
        return original[:before] + middle + original[len(original) - after :]

    @property
    def newline(self) -> str:
        """The file's own line ending (the first one it uses), `\\n` for a new file."""
        for line in self._lines:
            body = line.rstrip(_NEWLINES)
            if len(body) < len(line):
                return line[len(body) :]
        return "\n"

    # ----------------------------------------------------------------- editing
    def set_values(
        self, name: str, values: Mapping[str, str], remove: Iterable[str] = ()
    ) -> bool:
        """Set keys in one section (creating it at the end if missing) and drop others.

        Returns True when the text changed. Only lines of section `name` change, except that
        a new section is appended after one blank line. A key both set and removed is set.
        """
        _check_section_name(name)
        for key, value in values.items():
            _check_key(key)
            _check_value(key, value)
        wanted = {key.lower(): value for key, value in values.items()}
        dropped = {key.lower() for key in remove} - wanted.keys()
        exists = name in self._sections
        if not exists and not wanted:
            return False
        if self._default_bad:
            own = set(self._options(name)) if exists else set()
            own = (own - dropped) | wanted.keys()
            for key, line in self._default_bad.items():
                if key not in own:
                    raise IniParseError(
                        self.source, line,
                        f"{_nested_problem(key, _DEFAULT_SECTION)} (profile [{name}] would "
                        "inherit it)",
                    )
        if not exists:
            self._append_section(name)
        start, end = self._range(name)
        old = self._lines[start:end]
        following = self._lines[end] if end < len(self._lines) else None
        edited = _edit_block(old, self.source, start, self.newline, following, wanted, dropped)
        if edited == old:
            return False
        if following is not None and not _ends_with_header([*edited, following]):
            # Can't happen with the indentation _edit_block chooses; checked all the same.
            raise CredentialsFileError(
                f"{self.source}, line {end + 1}: editing [{name}] would make this indented "
                "header part of it; remove the header's indentation first"
            )
        self._splice(start, end, edited)
        return True

    def remove_section(self, name: str) -> bool:
        """Remove the header, key and blank lines of a section; every comment stays."""
        if name not in self._sections:
            return False
        start, end = self._range(name)
        kept = [line for line in self._lines[start + 1 : end] if _is_comment(line)]
        if end < len(self._lines):
            # Without this header, the section above runs on into the next header: an
            # indented next header would become part of the last value above it.
            above = bisect_right(self._headers, start) - 2
            if above >= 0:
                region = self._lines[self._headers[above] : start] + kept
                if not _ends_with_header([*region, self._lines[end]]):
                    raise CredentialsFileError(
                        f"{self.source}, line {end + 1}: removing [{name}] would make this "
                        "indented header part of the section above it; remove the header's "
                        "indentation first"
                    )
        del self._names[name]
        self._headers.remove(start)
        self._splice(start, end, kept)
        return True

    def _append_section(self, name: str) -> None:
        lines = self._lines
        self._note_change(max(len(lines) - 1, 0), len(lines), 0)
        if not lines:
            lines.append(f"[{name}]{self.newline}")
        else:
            text, ending = _split_ending(lines[-1])
            missing_final_newline = not ending
            if missing_final_newline:
                ending = self.newline
                lines[-1] = text + ending
            # New lines end like the line above them: a `\n` after a line ending in a
            # lone `\r` would merge with it into one `\r\n`.
            if text.strip():
                lines.append(ending)
            lines.append(f"[{name}]" + ("" if missing_final_newline else ending))
        # Lines above are unchanged (one may have gained a line ending): extend the index.
        self._names[name] = len(lines) - 1
        self._headers.append(len(lines) - 1)
        first, end, _ = self._changed or (0, 0, 0)
        self._changed = (first, end, len(lines))

    def _note_change(self, start: int, end: int, delta: int) -> None:
        """Lines[start:end] (current numbering) become end - start + delta lines."""
        if self._changed is None:
            self._changed = (start, end, end + delta)
            return
        first, end_before, end_now = self._changed
        # The union of both changed ranges, in the original and in the new numbering.
        top = max(end, end_now)
        self._changed = (
            min(first, start),
            end_before + max(0, end - end_now),
            top + delta,
        )

    def _splice(self, start: int, end: int, new: list[str]) -> None:
        """Replace lines[start:end], shifting the index of every header below."""
        self._note_change(start, end, len(new) - (end - start))
        self._lines[start:end] = new
        delta = len(new) - (end - start)
        if not delta:
            return
        headers = self._headers
        for at in range(bisect_right(headers, start), len(headers)):
            headers[at] += delta
        for name, header in self._names.items():
            if header > start:
                self._names[name] = header + delta
        self._default_headers = [h + delta if h > start else h for h in self._default_headers]
        for key, line in self._default_bad.items():
            if line > start + 1:
                self._default_bad[key] = line + delta


class _Validated:
    """The last bytes fully validated in this process and what their parse found."""

    __slots__ = ("ascii", "data", "default_bad", "defaults", "headers", "lines", "names")

    def __init__(self, data: bytes, document: IniDocument) -> None:
        self.data = data
        self.ascii = document._original is not None
        self.lines = tuple(document._lines)
        self.names = dict(document._names)
        self.headers = tuple(document._headers)
        self.defaults = tuple(document._default_headers)
        self.default_bad = dict(document._default_bad)


# One slot, replaced whole (an atomic store), so threads need no lock. A long-running
# process (the TUI, `watch`) reads the file, then writes into it: the write re-reads the same
# bytes under the lock and skips the whole-file walk. Any other bytes are checked in full.
_last_validated: _Validated | None = None


def _remember_validated(data: bytes, document: IniDocument) -> None:
    global _last_validated
    _last_validated = _Validated(data, document)


def _ends_with_header(lines: list[str]) -> bool:
    """Does the last line still parse as a section header after the lines before it?"""
    try:
        scan = _walk(lines, "<check>", whole=False)
    except IniParseError:
        return False
    return bool(scan.headers) and scan.headers[-1] == len(lines) - 1


def _edit_block(
    old: list[str],
    source: str,
    start: int,
    newline: str,
    following: str | None,
    wanted: dict[str, str],
    dropped: set[str],
) -> list[str]:
    """One section's lines with keys set and removed; everything else as it was.

    A section parses independently of the rest of the file (the parser's state resets at
    every header), so an edit parses only this block. A key set to a new value keeps its
    line (and its indentation) rewritten as `key = value`; a multi-line value collapses onto
    that line, keeping comment lines inside it. A key set to the value it has is left as it
    is. A new key goes after the section's last key, indented like it.
    """
    lines = [_split_ending(line) for line in old]
    options = next(iter(_walk(old, source, start, detail=True).options.values()), {})
    by_first = {option.first - start: option for option in options.values()}
    out: list[tuple[str, str]] = []
    insert_at = 0  # where new keys go: after the last key kept (0: right after the header)
    indent = ""  # that key's indentation
    i = 0
    while i < len(lines):
        option = by_first.get(i)
        if option is None:
            out.append(lines[i])
            i += 1
            continue
        first, last = option.first - start, option.last - start
        i = last + 1
        ending = lines[last][1]  # the line ending the option's lines end with
        comments = [lines[j] for j in range(first + 1, last + 1) if _is_comment(lines[j][0])]
        if comments:
            comments[-1] = (comments[-1][0], ending)
        if option.key in dropped:
            if comments:
                out += comments
            elif not ending and out[-1][0]:
                # We removed the file's last line: keep the missing final newline.
                out[-1] = (out[-1][0], "")
            continue
        indent = _indent_of(lines[first][0])
        if option.key in wanted and (first != last or option.value != wanted[option.key]):
            rendered = _render(option.key, wanted[option.key])
            out.append((indent + rendered, lines[first][1] if comments else ending))
            out += comments
        else:
            out += lines[first : last + 1]
        insert_at = len(out)
    new = [key for key in wanted if key not in options]
    if new:
        if not insert_at:
            insert_at = 1
            # The next header must not become a continuation of the new key.
            indent = _indent_of(following) if following else ""
        text, ending = out[insert_at - 1]
        # New lines end like the line above them (see _append_section).
        added = [(indent + _render(key, wanted[key]), ending or newline) for key in new]
        if not ending:
            # The file ends here without a newline: keep it that way.
            out[insert_at - 1] = (text, newline)
            added[-1] = (added[-1][0], "")
        out[insert_at:insert_at] = added
    edited: list[str] = []
    for text, ending in out:
        if not text and ending == "\n" and edited and edited[-1].endswith("\r"):
            # Lines were removed between a lone `\r` and an empty line: in the file they are
            # one `\r\n` now, and so they must be here, or the line index would drift.
            edited[-1] += ending
        elif text or ending:
            edited.append(text + ending)
    return edited


def _render(key: str, value: str) -> str:
    return f"{key} = {value}" if value else f"{key} ="


def _split_lines(text: str) -> list[str]:
    """Split on \\n, \\r\\n and \\r (Python's universal newlines), keeping each ending."""
    breaks = _ASCII_EXOTIC_BREAKS if text.isascii() else _EXOTIC_BREAKS
    for char in breaks:
        if char in text:
            return [m.group(0) for m in _LINE_RE.finditer(text) if m.group(0)]
    return text.splitlines(keepends=True)


def _line_of(text: str, offset: int) -> int:
    """1-based line number of `offset` in `text`, counting universal newlines."""
    before = text[:offset]
    return before.count("\n") + before.count("\r") - before.count("\r\n") + 1


def _split_ending(line: str) -> tuple[str, str]:
    body = line.rstrip(_NEWLINES)
    return body, line[len(body) :]


def _indent_of(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def _is_comment(text: str) -> bool:
    return text.strip().startswith(("#", ";"))


def _check_text(what: str, text: str) -> None:
    # The text may be a secret: the message never echoes it.
    if "\x00" in text:
        raise CredentialsFileError(f"{what} contains a NUL character; refusing to write it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CredentialsFileError(
            f"{what} contains a character that can't be saved as UTF-8; refusing to write it"
        ) from None


def _check_section_name(name: str) -> None:
    if not name or name.strip() != name:
        raise CredentialsFileError(
            f"profile name {name!r} is not allowed: empty, or leading or trailing spaces"
        )
    if "\n" in name or "\r" in name or "]" in name:
        raise CredentialsFileError(
            f"profile name {name!r} is not allowed: it contains `]` or a line break"
        )
    if name == _DEFAULT_SECTION:
        raise CredentialsFileError(
            "refusing to write the [DEFAULT] section: its keys would leak into every profile"
        )
    _check_text(f"profile name {name!r}", name)


def _check_key(key: str) -> None:
    if (
        not key
        or key != key.strip()
        or any(c in key for c in "=:\r\n[]")
        or key.startswith(("#", ";"))
    ):
        raise CredentialsFileError(f"key name {key!r} is not allowed in the credentials file")
    _check_text(f"key name {key!r}", key)


def _check_value(key: str, value: str) -> None:
    # The value itself may be a secret: the message never echoes it.
    if "\r" in value or "\n" in value:
        raise CredentialsFileError(f"value for `{key}` contains a line break; refusing to write it")
    if value != value.strip():
        raise CredentialsFileError(
            f"value for `{key}` has leading or trailing spaces, which the SDKs would drop"
        )
    _check_text(f"value for `{key}`", value)
