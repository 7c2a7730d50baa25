"""A line-faithful INI document: the credentials file as written, edited in place.

The lines are read by `ini_reader`, which parses exactly the way botocore does. Unlike
configparser, the document keeps every line as written: comments, blank lines, spacing, key
case, order, CRLF/LF endings and a missing final newline. An edit touches only the lines of
the section it edits (the awscli model: rewrite one key line, insert a new key after the
section's last key, append a new section at the end).

Speed matters because the store re-reads the whole file inside the lock on every write: a
section's keys are parsed in detail only when that section is read or edited; bytes equal
to the last ones validated reuse that parse; and `to_bytes` splices the edited lines into
the bytes it parsed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping

from tui.engine.credentials_file.ini_reader import (
    DEFAULT_SECTION,
    IniParseError,
    Option,
    decode,
    nested_problem,
    read_lines,
    walk,
)
from tui.engine.errors import CredentialsFileError

__all__ = ["IniDocument", "IniParseError"]

_NEWLINES = "\r\n"


class IniDocument:
    """The parsed file: lines as written, plus an index of its sections."""

    def __init__(self, lines: list[str], source: str = "<credentials>",
                 values: bool = True) -> None:
        self._lines = lines  # raw lines, each with its own line ending
        self.source = source
        # The bytes parsed (when all ASCII, so line lengths are byte counts) and the lines
        # edited since, (first, end in the original, end now): to_bytes splices them.
        self._original: bytes | None = None
        self._changed: tuple[int, int, int] | None = None
        self._index(values)

    # ----------------------------------------------------------------- reading
    @classmethod
    def parse(cls, text: str, source: str = "<credentials>", values: bool = True
              ) -> IniDocument:
        return cls(read_lines(text, source), source, values)

    @classmethod
    def parse_bytes(
        cls, data: bytes, source: str = "<credentials>", remember: bool = True,
        values: bool = True,
    ) -> IniDocument:
        """Parse and fully validate `data`; bytes equal (`==`) to the last bytes this
        process validated reuse that parse instead of validating them again. A file that
        is never written (~/.aws/config) passes `remember=False`, so it doesn't push out
        the credentials' parse. A parse made only to be edited passes `values=False`: its
        walk then skips recording the values `as_dict` would need (it walks if asked)."""
        last = _last_validated
        if last is not None and last.data == data:
            return cls._from_validated(last, source)
        text = decode(data, source)
        document = cls.parse(text, source, values)
        if text.isascii():
            document._original = data
        if remember:
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
        document._values = last.values  # never changed in place: edits drop it
        document._name_set = last.name_set
        document._parsed_from = last
        return document

    def _index(self, values: bool = True) -> None:
        scan = walk(self._lines, self.source, values=values)
        self._names = scan.names
        self._headers = scan.headers
        self._default_headers = scan.defaults
        self._default_bad = scan.default_bad
        # The sections' values as parsed, until the first edit (as_dict reads them); None
        # when not recorded, and after an edit: as_dict then walks the lines as they are.
        self._values: dict[str, dict[str, str]] | None = scan.values if values else None
        self._name_set: frozenset[str] | None = None  # (see section_names)
        self._parsed_from: _Validated | None = None

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

    def _options(self, name: str) -> dict[str, Option]:
        start, end = self._range(name)
        scan = walk(self._lines[start:end], self.source, start, detail=True)
        return scan.options.get(name, {})

    def _defaults(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for header in self._default_headers:
            block = self._lines[header : self._end_of(header)]
            scan = walk(block, self.source, header, detail=True)
            values.update((k, o.value) for k, o in scan.options[DEFAULT_SECTION].items())
        return values

    def sections(self) -> list[str]:
        """Section names in file order (without DEFAULT), as `RawConfigParser.sections()`."""
        return list(self._sections)

    def section_names(self) -> frozenset[str]:
        """The section names as a set: one object until a section is added or removed, so
        that a caller holding an earlier one can tell nothing changed by identity."""
        if self._name_set is None:
            self._name_set = frozenset(self._names)
            if self._parsed_from is not None:
                self._parsed_from.name_set = self._name_set
        return self._name_set

    def _names_changed(self) -> None:
        self._name_set = self._parsed_from = None

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
        """Every section's values as botocore sees them, in file order (fresh dicts)."""
        found, names = self._values, self._names
        if found is None:  # edited since the parse: walk the lines as they are now
            scan = walk(self._lines, self.source, values=True)
            found, names = scan.values, scan.names
        defaults = found.get(DEFAULT_SECTION)
        if defaults:
            return {name: defaults | found[name] for name in names}
        return {name: found[name].copy() for name in names}

    def same_parse(self, other: IniDocument) -> bool:
        """Whether both documents are one validated parse of the same bytes, neither edited
        since: whatever was worked out from one holds for the other."""
        return self._values is not None and self._values is other._values

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
                self._values = None
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
                        f"{nested_problem(key, DEFAULT_SECTION)} (profile [{name}] would "
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
        self._names_changed()
        self._headers.remove(start)
        self._splice(start, end, kept)
        return True

    def _append_section(self, name: str) -> None:
        lines = self._lines
        self._values = None
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
        self._names_changed()
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
        self._values = None
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

    __slots__ = (
        "ascii", "data", "default_bad", "defaults", "headers", "lines", "name_set", "names",
        "values",
    )

    def __init__(self, data: bytes, document: IniDocument) -> None:
        self.data = data
        self.ascii = document._original is not None
        self.lines = tuple(document._lines)
        self.names = dict(document._names)
        self.headers = tuple(document._headers)
        self.defaults = tuple(document._default_headers)
        self.default_bad = dict(document._default_bad)
        self.values = document._values
        self.name_set = document._name_set


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
        scan = walk(lines, "<check>", whole=False)
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
    options = next(iter(walk(old, source, start, detail=True).options.values()), {})
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
    if name == DEFAULT_SECTION:
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
