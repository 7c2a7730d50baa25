"""A corpus of malformed and odd credentials files, and odd paths.

Every input is either handled faithfully (read back byte for byte, edited correctly, and
botocore agrees with what we read and what we wrote) or refused with one line that names
the file and the line, leaving the file byte-identical and no temp file behind.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import botocore.exceptions
import pytest
from botocore.configloader import raw_config_parse

from tui.engine.credential_values import SessionCredentials
from tui.engine.credentials_file.ini_document import IniDocument, IniParseError
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import CredentialsFileError
from tui.engine.secret import Secret

SESSION = SessionCredentials(
    access_key_id="ASIACORPUS0000000000",
    secret_access_key=Secret("corpus-secret"),
    session_token=Secret("corpus-token"),
    expiration=datetime(2026, 11, 22, 18, 0, 0, tzinfo=UTC),
)

# name -> (file bytes, None when handled or the 1-based line a refusal must name)
CORPUS: dict[str, tuple[bytes, int | None]] = {
    "utf8 byte order mark": (b"\xef\xbb\xbf[default]\naws_access_key_id = A\n", 1),
    "NUL byte": (b"[default]\naws_access_key_id = A\x00B\n", 2),
    "invalid utf-8": (b"[default]\naws_access_key_id = A\n# caf\xe9\n", 3),
    "invalid utf-8 after lone CR": (b"[default]\raws_access_key_id = \xff\r", 2),
    "duplicate section": (b"[a]\nk = 1\n\n[b]\nk = 2\n\n[a]\nk = 3\n", 7),
    "duplicate key, different case": (b"[a]\nKey = 1\nkey = 2\n", 3),
    "duplicate key, different spacing": (b"[a]\naws_access_key_id=1\naws_access_key_id : 2\n", 3),
    "duplicate key in DEFAULT twice": (b"[DEFAULT]\nk = 1\n[a]\n[DEFAULT]\nk = 2\n", 5),
    "missing ]": (b"[a]\nk = v\n[b\nk = w\n", 3),
    "empty section name": (b"[]\nk = v\n", 1),
    "key before any header": (b"region = us-east-1\n[a]\nk = v\n", 1),
    "indented key before any header": (b"# c\n  k = v\n[a]\n", 2),
    "empty key": (b"[a]\n= value\n", 2),
    "colon with empty key": (b"[a]\n : value\n", 2),
    "a line that is nothing": (b"[a]\nk = v\njust words\n", 3),
    "nested value without =": (b"[a]\ns3 =\n  addressing_style = path\n  oops\n", 4),
    "lone CR line endings": (b"[a]\rk = v\r\r[b]\rk = w\r", None),
    "CRLF, no final newline": (b"[a]\r\nk = v\r\n\r\n[b]\r\nk = w", None),
    "mixed line endings": (b"[a]\r\nk = v\n[b]\rk = w\r\n", None),
    "tabs": (b"[a]\n\tk\t=\tv\t\nk2\t:\tw\n", None),
    "DEFAULT section": (b"[DEFAULT]\nregion = eu-west-1\n\n[a]\nk = v\n", None),
    "[profile x] in credentials": (b"[profile dev]\naws_access_key_id = A\n", None),
    "[ spaced ] name": (b"[ spaced ]\naws_access_key_id = A\n", None),
    "inline comments": (b"[a]\naws_access_key_id = A # mine ; ok\n; full\n  # full\n", None),
    "colon separators": (b"[a]\naws_access_key_id: A\naws_secret_access_key:B=C\n", None),
    "continuation lines": (b"[a]\naws_session_token = one\n  two\n\n  three\nregion = x\n", None),
    "nested value": (b"[a]\ns3 =\n  addressing_style = path\n\n  signature_version = s3v4\n", None),
    "header text after ]": (b"[a] # the a profile\nk = v\n", None),
    "header-looking value line": (b"[a]\nk = v\n  [b]\n", None),
    "whitespace-only lines": (b"[a]\n   \nk = v\n\t\n \n", None),
    "empty file": (b"", None),
    "only comments": (b"# nothing\n; here\n   # really", None),
    "very long line": (b"[a]\naws_session_token = " + b"x" * 300_000 + b"\n", None),
    "non-ASCII": ("[профиль]\nnote = café ☕ 日本\n[b]\nk = é\n".encode(), None),
    "Unicode whitespace": ("[a]\nk = v\x0bw\x85x\u2028y\n\xa0more\n".encode(), None),
    "many sections": (b"".join(b"[p%d]\nk = %d\n" % (i, i) for i in range(500)), None),
}


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _botocore(path: Path) -> dict | None:
    try:
        return raw_config_parse(str(path))
    except botocore.exceptions.ConfigParseError:
        return None


def _as_botocore(document: IniDocument) -> dict:
    """Our values with botocore's nested-value reading applied."""
    result = {}
    for name, values in document.as_dict().items():
        result[name] = {}
        for key, value in values.items():
            if value.startswith("\n"):
                nested = [line.split("=", 1) for line in value.splitlines() if line.strip()]
                result[name][key] = {k.strip(): v.strip() for k, v in nested}
            else:
                result[name][key] = value
    return result


# Each refused file, and the words of the reason it must be refused for: right line, wrong
# reason (a key-before-header case refused as a duplicate, say) would be a wrong fix to give.
REASON = {
    "utf8 byte order mark": "byte order mark",
    "NUL byte": "has a NUL byte",
    "invalid utf-8": "is not valid UTF-8",
    "invalid utf-8 after lone CR": "is not valid UTF-8",
    "duplicate section": "profile [a] appears a second time (first on line 1)",
    "duplicate key, different case": "key `key` appears twice in [a]",
    "duplicate key, different spacing": "key `aws_access_key_id` appears twice in [a]",
    "duplicate key in DEFAULT twice": "key `k` appears twice in [DEFAULT]",
    "missing ]": "without its closing `]`",
    "empty section name": "empty section name `[]`",
    "key before any header": "setting before any [profile] header",
    "indented key before any header": "setting before any [profile] header",
    "empty key": "no key name before its `=` or `:`",
    "colon with empty key": "no key name before its `=` or `:`",
    "a line that is nothing": "is neither a [profile] header",
    "nested value without =": "`s3` in [a] has its value on indented lines",
}


@pytest.mark.parametrize("name", [name for name, (_, line) in CORPUS.items() if line])
def test_each_refusal_gives_its_own_reason(name):
    data, refused_line = CORPUS[name]
    with pytest.raises(IniParseError) as caught:
        IniDocument.parse_bytes(data, "creds")
    assert caught.value.line == refused_line
    assert REASON[name] in caught.value.problem


@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus_file_is_handled_faithfully_or_refused_cleanly(sandbox_home, name):
    data, refused_line = CORPUS[name]
    sandbox_home.aws_dir.mkdir(mode=0o700)
    path = sandbox_home.credentials
    path.write_bytes(data)
    store = CredentialsStore(path)
    if refused_line is not None:
        attempts = [
            store.read,
            lambda: store.write_session("corpus-new", SESSION),
            lambda: store.remove_section("a"),
        ]
        for attempt in attempts:
            with pytest.raises(CredentialsFileError) as caught:
                attempt()
            message = str(caught.value)
            assert "\n" not in message and "\r" not in message
            assert f"{path}, line {refused_line}:" in message
            assert "A\x00B" not in message and "oops" not in message  # no values echoed
            assert path.read_bytes() == data
        if b"\x00" not in data:  # botocore reads NUL bytes; we refuse them on purpose
            assert _botocore(path) is None
        assert _temps(sandbox_home.aws_dir) == []
        return

    document = store.read()
    assert document.to_bytes() == data
    before = _botocore(path)
    assert before == _as_botocore(document)
    # A new session profile: appended, everything before it kept byte for byte.
    store.write_session("corpus-new", SESSION)
    after = _botocore(path)
    assert after is not None
    assert path.read_bytes().startswith(data)
    assert after["corpus-new"]["aws_session_token"] == "corpus-token"
    assert {k: v for k, v in after.items() if k != "corpus-new"} == before
    # An edit of a profile that was there: only its values change.
    editable = [s for s in document.sections() if s == s.strip() and "]" not in s]
    if editable:
        target = editable[0]
        store.set_section(target, {"aws_access_key_id": "AKIAEDITED", "extra": "é = : #"})
        edited = _botocore(path)
        assert edited is not None
        assert edited[target]["aws_access_key_id"] == "AKIAEDITED"
        assert edited[target]["extra"] == "é = : #"
        assert {k: v for k, v in edited.items() if k != target} == {
            k: v for k, v in after.items() if k != target
        }
        assert store.read().as_dict()[target]["extra"] == "é = : #"
    # And removing the new profile keeps everything that was there.
    assert store.remove_section("corpus-new")
    final = _botocore(path)
    assert final is not None and "corpus-new" not in final
    assert _temps(sandbox_home.aws_dir) == []


# ------------------------------------------------------------------ odd paths and values
def _refused(store: CredentialsStore, *words: str) -> str:
    for attempt in (store.read, lambda: store.write_session("x", SESSION)):
        with pytest.raises(CredentialsFileError) as caught:
            attempt()
        message = str(caught.value)
        assert "\n" not in message
        for word in words:
            assert word.lower() in message.lower()
    return message


def test_a_directory_is_refused(sandbox_home):
    sandbox_home.credentials.mkdir(parents=True)
    _refused(CredentialsStore(sandbox_home.credentials), str(sandbox_home.credentials),
             "is a directory")
    assert sandbox_home.credentials.is_dir() and not any(sandbox_home.credentials.iterdir())
    assert _temps(sandbox_home.aws_dir) == []


@pytest.mark.parametrize("where", ["missing folder", "missing file"])
def test_a_dangling_symlink_is_refused_and_left_alone(sandbox_home, where):
    sandbox_home.aws_dir.mkdir()
    target = sandbox_home.aws_dir / ("nowhere/credentials" if where == "missing folder"
                                     else "elsewhere")
    sandbox_home.credentials.symlink_to(target)
    _refused(CredentialsStore(sandbox_home.credentials), str(sandbox_home.credentials),
             "symlink")
    assert sandbox_home.credentials.is_symlink() and not target.exists()
    assert _temps(sandbox_home.aws_dir) == []


def test_a_symlink_loop_is_refused(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    sandbox_home.credentials.symlink_to(sandbox_home.credentials)
    _refused(CredentialsStore(sandbox_home.credentials), "credentials")
    assert sandbox_home.credentials.is_symlink()


@pytest.mark.timeout(30)
def test_a_fifo_is_refused_without_hanging(sandbox_home):
    sandbox_home.aws_dir.mkdir()
    os.mkfifo(sandbox_home.credentials)
    _refused(CredentialsStore(sandbox_home.credentials), "not a regular file")
    assert stat.S_ISFIFO(os.lstat(sandbox_home.credentials).st_mode)


def _as_nobody(check: str, *args: str) -> None:
    """Run this module's function `check(*args)` in a fresh interpreter that drops root for
    `nobody` before calling it; re-raise its failure.

    A fresh process rather than a fork: pytest's process has threads (timeouts, xdist), and
    forking it is unsafe (Python 3.12+ warns)."""
    script = (
        "import os, sys\n"
        "import tests.engine.test_credentials_store_corpus as corpus\n"
        "corpus._warm_up()\n"
        "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
        f"corpus.{check}(*sys.argv[1:])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).parents[2], check=False)
    assert done.returncode == 0, done.stderr[-4000:]


def _warm_up() -> None:
    """A read and a write as root first, so every module they import lazily is loaded:
    `nobody` can't read this interpreter's standard library under /root."""
    with tempfile.TemporaryDirectory() as folder:
        store = CredentialsStore(Path(folder) / "credentials")
        store.write_session("x", SESSION)
        store.read()


def _refused_to_nobody(readable_dir_file: str, hidden_file: str) -> None:
    _refused(CredentialsStore(Path(readable_dir_file)), "permission denied",
             readable_dir_file)
    # A folder nobody can enter: even the lock beside the file is out of reach.
    _refused(CredentialsStore(Path(hidden_file)), "permission denied",
             str(Path(hidden_file).parent))


def test_an_unreadable_file_is_refused(sandbox_home):
    if os.geteuid() != 0:
        sandbox_home.aws_dir.mkdir()
        sandbox_home.credentials.write_text("[a]\nk = v\n")
        os.chmod(sandbox_home.credentials, 0)
        try:
            _refused(CredentialsStore(sandbox_home.credentials), "permission denied",
                     str(sandbox_home.credentials))
        finally:
            os.chmod(sandbox_home.credentials, 0o600)
        return
    # As root, chmod doesn't stop reads: drop to `nobody` in a child instead.
    folder = Path(tempfile.mkdtemp(prefix="unreadable-"))
    try:
        os.chmod(folder, 0o755)
        readable_dir_file = folder / "credentials"
        readable_dir_file.write_text("[a]\nk = v\n")
        os.chmod(readable_dir_file, 0o600)  # root's, so nobody can't read it
        lock = folder / ".credentials.lock"
        lock.touch()
        os.chmod(lock, 0o666)  # so the write gets as far as reading the file
        hidden = folder / "private"
        hidden.mkdir(mode=0o700)
        hidden_file = hidden / "credentials"
        hidden_file.write_text("[a]\nk = v\n")

        _as_nobody("_refused_to_nobody", str(readable_dir_file), str(hidden_file))
        assert readable_dir_file.read_text() == "[a]\nk = v\n"
        assert hidden_file.read_text() == "[a]\nk = v\n"
        assert _temps(folder) == [] and _temps(hidden) == []
    finally:
        for file in sorted(folder.rglob("*"), reverse=True):
            file.unlink() if not file.is_dir() else file.rmdir()
        folder.rmdir()


@pytest.mark.parametrize(("name", "values"), [
    ("ok", {"aws_secret_access_key": "line\nbreak"}),
    ("ok", {"aws_secret_access_key": "carriage\rreturn"}),
    ("ok", {"aws_secret_access_key": "crlf\r\n"}),
    ("ok", {"aws_secret_access_key": " padded"}),
    ("ok", {"aws_secret_access_key": "nul\x00byte"}),
    ("ok", {"bad\nkey": "v"}),
    ("ok", {"a = b": "v"}),
    ("with]bracket", {"k": "v"}),
    ("line\nbreak", {"k": "v"}),
    ("cr\rname", {"k": "v"}),
    (" leading", {"k": "v"}),
    ("DEFAULT", {"k": "v"}),
])
def test_values_and_names_that_would_break_the_file_are_refused(sandbox_home, name, values):
    sandbox_home.aws_dir.mkdir()
    original = b"[ok]\naws_access_key_id = A\n"
    sandbox_home.credentials.write_bytes(original)
    store = CredentialsStore(sandbox_home.credentials)
    with pytest.raises(CredentialsFileError) as caught:
        store.set_section(name, values)
    message = str(caught.value)
    assert "\n" not in message
    for value in values.values():
        if len(value) > 3:
            assert value.strip() not in message  # values may be secrets: never echoed
    assert sandbox_home.credentials.read_bytes() == original
    assert _temps(sandbox_home.aws_dir) == []
