"""A line-faithful INI document that parses exactly the way botocore does.

botocore reads ~/.aws/credentials with a strict `configparser.RawConfigParser`. This module
follows the same rules line by line, so a file we accept is a file every SDK accepts, and a
file botocore would reject is refused here with the line number and what to fix.

Unlike configparser, the document keeps every line as written: comments, blank lines,
spacing, key case, order, CRLF/LF endings and a missing final newline. An edit touches only
the lines of the section it edits (the awscli model: rewrite one key line, insert a new key
after the section's last key, append a new section at the end).

Speed matters because the store re-reads the whole file inside the lock on every write:
lines are kept as the raw strings `str.splitlines(keepends=True)` gives, the validating
pass builds no per-key objects, and a section's keys are parsed in detail only when that
section is read or edited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from tui.engine.errors import CredentialsFileError

# Universal newlines, as Python's text mode reads them.
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
# Characters str.splitlines() breaks on but Python's text mode (and so botocore) does not.
_EXOTIC_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_DEFAULT_SECTION = "DEFAULT"
_NEWLINES = "\r\n"


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


class _Section:
    __slots__ = ("end", "header", "name")

    def __init__(self, name: str, header: int) -> None:
        self.name = name
        self.header = header  # index of the `[name]` line
        self.end = header + 1  # one past the last line that belongs to the section


def _walk(lines: list[str], source: str, start: int = 0, detail: bool = False):
    """Walk lines exactly as RawConfigParser._read does (strict, no interpolation).

    Returns (sections, header line indices, options by section name when `detail`).
    configparser's regular expressions are replaced by equivalent string operations: a
    header is `[`, at least one character, then the line's last `]`; a key ends at the
    first `=` or `:`. tests/test_ini_document.py checks this against configparser itself.
    """
    sections: dict[str, _Section] = {}
    options: dict[str, dict[str, _Option]] = {}
    headers: list[int] = []
    keys: set[str] | None = None  # keys of the current section (None before any header)
    section_name = ""
    option: _Option | None = None
    in_option = False  # the previous key line may take continuation lines
    indent_level = 0
    default_keys: set[str] = set()
    for i, line in enumerate(lines, start):
        stripped = line.strip()
        if not stripped:
            if in_option and option is not None:
                option.parts.append("")  # configparser keeps empty lines inside a value
            continue
        first = stripped[0]
        if first == "#" or first == ";":
            continue  # a full-line comment, however it is indented
        cur_indent = 0 if line[0] == first else len(line) - len(line.lstrip())
        if in_option and cur_indent > indent_level:
            if option is not None:
                option.parts.append(stripped)
                option.last = i
            continue
        indent_level = cur_indent
        if first == "[":
            close = stripped.rfind("]")
            if close >= 2:
                name = stripped[1:close]
                headers.append(i)
                in_option = False
                option = None
                section_name = name
                if name == _DEFAULT_SECTION:
                    keys = default_keys
                    continue
                if name in sections:
                    raise IniParseError(
                        source, i + 1,
                        f"profile [{name}] appears a second time (first on line "
                        f"{sections[name].header + 1}); merge the two sections into one",
                    )
                sections[name] = _Section(name, i)
                keys = set()
                if detail:
                    options[name] = {}
                continue
        if keys is None:
            raise IniParseError(source, i + 1, _unexpected(first, before_header=True))
        key, sep, value = stripped.partition("=")
        if ":" in key or not sep:
            key, sep, value = stripped.partition(":")
        key = key.rstrip().lower()
        if not sep or not key:
            raise IniParseError(source, i + 1, _unexpected(first, before_header=False))
        if key in keys:
            raise IniParseError(
                source, i + 1, f"key `{key}` appears twice in [{section_name}]; keep only one"
            )
        keys.add(key)
        in_option = True
        if detail:
            option = _Option(key, i, value.strip())
            options.setdefault(section_name, {})[key] = option
    return sections, headers, options


def _unexpected(first: str, before_header: bool) -> str:
    if first == "[":
        return "has a `[` without its closing `]`; close the section header"
    if before_header:
        return "has a setting before any [profile] header; add a header above it or remove it"
    return "is neither a [profile] header, a `key = value` line nor a comment; fix or remove it"


class IniDocument:
    """The parsed file: lines as written, plus an index of its sections."""

    def __init__(self, lines: list[str], source: str = "<credentials>") -> None:
        self._lines = lines  # raw lines, each with its own line ending
        self.source = source
        self._section_index: dict[str, _Section] = {}
        self._index_fresh = False
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
            raise IniParseError(source, len(_split_lines(text[: nul + 1])), "has a NUL byte")
        return cls(_split_lines(text), source)

    @classmethod
    def parse_bytes(cls, data: bytes, source: str = "<credentials>") -> IniDocument:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise IniParseError(source, line, "is not valid UTF-8; re-save it as UTF-8") from None
        return cls.parse(text, source)

    def _index(self) -> None:
        sections, headers, _ = _walk(self._lines, self.source)
        # A section runs up to the next header: its trailing blank lines and comments included.
        by_header = {section.header: section for section in sections.values()}
        for here, following in zip(headers, [*headers[1:], len(self._lines)], strict=False):
            if here in by_header:
                by_header[here].end = following
        self._defaults_header = next((h for h in headers if h not in by_header), None)
        self._section_index = sections
        self._index_fresh = True

    @property
    def _sections(self) -> dict[str, _Section]:
        if not self._index_fresh:
            self._index()
        return self._section_index

    def _options(self, name: str) -> dict[str, _Option]:
        section = self._sections[name]
        _, _, options = _walk(
            self._lines[section.header : section.end], self.source, section.header, detail=True
        )
        return options.get(name, {})

    def _defaults(self) -> dict[str, str]:
        if self._defaults_header is None:
            return {}
        _, _, options = _walk(self._lines, self.source, detail=True)
        return {k: o.value for k, o in options.get(_DEFAULT_SECTION, {}).items()}

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
        if self._defaults_header is None:
            _, _, options = _walk(self._lines, self.source, detail=True)
            return {
                name: {k: o.value for k, o in options.get(name, {}).items()}
                for name in self._sections
            }
        return {name: self.get_section(name) for name in self._sections}

    def to_text(self) -> str:
        return "".join(self._lines)

    def to_bytes(self) -> bytes:
        return self.to_text().encode("utf-8")

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
        a new section is appended after one blank line.
        """
        _check_section_name(name)
        for key, value in values.items():
            _check_key(key)
            _check_value(key, value)
        if name not in self._sections:
            if not values:
                return False
            self._append_section(name)
        section = self._sections[name]
        start, end = section.header, section.end
        block = _SectionBlock(self._lines[start:end], self.source, self.newline)
        for key in remove:
            block.remove_key(key.lower())
        for key, value in values.items():
            block.set_key(key.lower(), value)
        edited = block.raw_lines()
        if edited == self._lines[start:end]:
            return False
        self._replace_lines(self._lines[:start] + edited + self._lines[end:])
        return True

    def remove_section(self, name: str) -> bool:
        """Remove the header, key and blank lines of a section; every comment stays."""
        section = self._sections.get(name)
        if section is None:
            return False
        start, end = section.header, section.end
        drop = {start}
        for option in self._options(name).values():
            drop.update(range(option.first, option.last + 1))
        drop.update(i for i in range(start, end) if not self._lines[i].strip())
        kept = [self._lines[i] for i in range(start, end) if i not in drop]
        prefix = self._lines[:start]
        last = self._lines[-1]
        if end == len(self._lines) and not kept and prefix and last == last.rstrip(_NEWLINES):
            # The section ended the file without a final newline; so does the file now.
            prefix[-1] = prefix[-1].rstrip(_NEWLINES)
        self._replace_lines(prefix + kept + self._lines[end:])
        return True

    def _append_section(self, name: str) -> None:
        lines = list(self._lines)
        nl = self.newline
        if not lines:
            self._replace_lines([f"[{name}]{nl}"])
            return
        missing_final_newline = lines[-1] == lines[-1].rstrip(_NEWLINES)
        if missing_final_newline:
            lines[-1] += nl
        if lines[-1].strip():
            lines.append(nl)
        lines.append(f"[{name}]" + ("" if missing_final_newline else nl))
        self._replace_lines(lines)

    def _replace_lines(self, lines: list[str]) -> None:
        # Re-indexed on the next read: a store edit never pays for a second full parse.
        self._lines = lines
        self._index_fresh = False


class _SectionBlock:
    """One section's lines, edited on their own and spliced back into the document.

    A section parses independently of the rest of the file (the parser's state resets at
    every header), so an edit re-parses only this block.
    """

    def __init__(self, raw: list[str], source: str, newline: str) -> None:
        self.lines = [_split_ending(line) for line in raw]
        self.source = source
        self.newline = newline

    def raw_lines(self) -> list[str]:
        return [text + ending for text, ending in self.lines]

    def _options(self) -> dict[str, _Option]:
        _, _, options = _walk(self.raw_lines(), self.source, detail=True)
        return next(iter(options.values()), {})

    def set_key(self, key: str, value: str) -> None:
        options = self._options()
        rendered = f"{key} = {value}" if value else f"{key} ="
        lines = self.lines
        existing = options.get(key)
        if existing is not None:
            indent = _indent_of(lines[existing.first][0])
            # A multi-line value collapses to one line; comment lines inside it stay.
            kept = [(indent + rendered, lines[existing.first][1])]
            kept += [
                lines[i] for i in range(existing.first + 1, existing.last + 1)
                if _is_comment(lines[i][0])
            ]
            kept[-1] = (kept[-1][0], lines[existing.last][1])
            lines[existing.first : existing.last + 1] = kept
            return
        at = max((o.last for o in options.values()), default=0)
        indent = ""
        if options:
            indent = _indent_of(lines[max(options.values(), key=lambda o: o.last).first][0])
        text, ending = lines[at]
        if ending:
            lines.insert(at + 1, (indent + rendered, ending))
        else:
            # The file ends here without a newline: keep it that way.
            lines[at] = (text, self.newline)
            lines.insert(at + 1, (indent + rendered, ""))

    def remove_key(self, key: str) -> None:
        option = self._options().get(key)
        if option is None:
            return
        lines = self.lines
        last_ending = lines[option.last][1]
        comments = [
            lines[i] for i in range(option.first + 1, option.last + 1) if _is_comment(lines[i][0])
        ]
        lines[option.first : option.last + 1] = comments
        if comments:
            end = option.first + len(comments) - 1
            lines[end] = (lines[end][0], last_ending)
        elif not last_ending:
            # We removed the file's last line: keep the missing final newline.
            lines[option.first - 1] = (lines[option.first - 1][0], "")


def _split_lines(text: str) -> list[str]:
    """Split on \\n, \\r\\n and \\r (Python's universal newlines), keeping each ending."""
    if _EXOTIC_BREAKS.search(text):
        return [m.group(0) for m in _LINE_RE.finditer(text) if m.group(0)]
    return text.splitlines(keepends=True)


def _split_ending(line: str) -> tuple[str, str]:
    body = line.rstrip(_NEWLINES)
    return body, line[len(body) :]


def _indent_of(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def _is_comment(text: str) -> bool:
    return text.strip().startswith(("#", ";"))


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


def _check_key(key: str) -> None:
    if (
        not key
        or key != key.strip()
        or any(c in key for c in "=:\r\n[]")
        or key.startswith(("#", ";"))
    ):
        raise CredentialsFileError(f"key name {key!r} is not allowed in the credentials file")


def _check_value(key: str, value: str) -> None:
    # The value itself may be a secret: the message never echoes it.
    if "\r" in value or "\n" in value:
        raise CredentialsFileError(f"value for `{key}` contains a line break; refusing to write it")
    if value != value.strip():
        raise CredentialsFileError(
            f"value for `{key}` has leading or trailing spaces, which the SDKs would drop"
        )
