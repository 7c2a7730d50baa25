"""The console sign-in URL reaches the browser through a private local page, never argv.

A fake browser of the test's own (set through $BROWSER) records its pid and waits: while it
lives, every process's `/proc/PID/cmdline` on the machine is scanned for the sign-in token,
the session's secret key and its token. The page it was handed is 0600, in a 0700 folder,
leads to the sign-in URL, and is removed after its time.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.engine.test_console_signin import _Fake, fake, prod  # noqa: F401 (fixtures)
from tui.engine.console.handoff import open_in_browser, redirect_page, write_redirect

SIGNIN_TOKEN = "TOKEN123"  # what the fake federation endpoint hands out


def every_cmdline() -> dict[int, str]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes().decode(
                    "utf-8", "replace")
            except OSError:
                pass  # gone meanwhile
    return found


def wait_for(path: Path, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < end:
        time.sleep(0.02)
    assert path.exists(), f"{path} never appeared"


def fake_browser(tmp_path: Path) -> Path:
    """Records its pid and argv, copies the page it was given (as a browser reads it), then
    lives until told to go (at most 20 s)."""
    script = tmp_path / "browser.py"
    script.write_text(
        "import os, sys, time, urllib.parse, urllib.request\n"
        f"out = {str(tmp_path)!r}\n"
        "page = urllib.request.url2pathname(urllib.parse.urlsplit(sys.argv[-1]).path)\n"
        "if os.path.isfile(page):\n"
        "    info = os.stat(page)\n"
        "    open(out + '/page', 'w').write(open(page).read())\n"
        "    open(out + '/modes', 'w').write(f'{info.st_mode:o} '\n"
        "                                    f'{os.stat(os.path.dirname(page)).st_mode:o} {page}')\n"
        "open(out + '/pid.tmp', 'w').write(str(os.getpid()))\n"
        "os.replace(out + '/pid.tmp', out + '/pid')\n"
        "end = time.monotonic() + 20\n"
        "while not os.path.exists(out + '/go') and time.monotonic() < end:\n"
        "    time.sleep(0.02)\n"
    )
    launcher = tmp_path / "browser.sh"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
    launcher.chmod(0o755)
    return launcher


def test_the_browser_gets_no_secret_in_any_command_line(prod, fake, tmp_path):  # noqa: F811
    env = {**os.environ, "AWS_ENDPOINT_URL_SIGNIN": fake,
           "BROWSER": str(fake_browser(tmp_path))}
    command = subprocess.Popen([sys.executable, "-m", "tui", "console", "prod"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(tmp_path / "pid")
        browser_pid = int((tmp_path / "pid").read_text())
        cmdlines = every_cmdline()
        assert browser_pid in cmdlines and "file://" in cmdlines[browser_pid]
        secrets = (SIGNIN_TOKEN, prod["aws_secret_access_key"], prod["aws_session_token"])
        for pid, cmdline in cmdlines.items():
            for secret in secrets:
                assert secret not in cmdline, f"pid {pid}: {cmdline!r}"
    finally:
        (tmp_path / "go").write_text("")
        out, err = command.communicate(timeout=60)
    assert command.returncode == 0, err
    assert "opened the console for prod" in err and SIGNIN_TOKEN not in out + err
    # The page leads to the sign-in URL, and only its owner could read it.
    page = (tmp_path / "page").read_text()
    assert f"{fake}/federation?Action=login" in page and f"SigninToken={SIGNIN_TOKEN}" in page
    file_mode, folder_mode, path = (tmp_path / "modes").read_text().split(" ", 2)
    assert stat.S_IMODE(int(file_mode, 8)) == 0o600
    assert stat.S_IMODE(int(folder_mode, 8)) == 0o700
    assert Path(path).exists()  # for a minute


def test_the_page_is_removed_after_its_time_even_after_we_exit(tmp_path):
    folder = tmp_path / "console"
    url = "https://signin.example/federation?Action=login&SigninToken=abc"
    page = write_redirect(url, folder, keep_seconds=2)
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    # The remover is a process of its own, whose argv holds the path, not the URL.
    # (A process's cmdline reads empty for a moment after its exec: look again.)
    end = time.monotonic() + 30
    while not (removers := [c for c in every_cmdline().values() if str(page) in c]):
        assert time.monotonic() < end and page.exists()
        time.sleep(0.01)
    assert all("SigninToken" not in c for c in removers)
    while page.exists() and time.monotonic() < end:
        time.sleep(0.05)
    assert not page.exists()


def test_older_pages_a_remover_missed_go_at_the_next_handoff(tmp_path):
    folder = tmp_path / "console"
    folder.mkdir(mode=0o700)
    stale = folder / "console-old.html"
    stale.write_text("x")
    os.utime(stale, (time.time() - 120, time.time() - 120))
    write_redirect("https://signin.example/x", folder)
    assert not stale.exists()


def test_a_folder_others_can_enter_is_closed(tmp_path):
    folder = tmp_path / "console"
    folder.mkdir()
    folder.chmod(0o755)
    write_redirect("https://signin.example/x", folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_the_page_escapes_the_url():
    url = "https://x/federation?a=1&b=\"</script><script>alert(1)</script>"
    page = redirect_page(url)
    assert "</script><script>alert" not in page
    assert re.search(r'content="0;url=https://x/federation\?a=1&amp;b=&quot;', page)


def test_a_browser_command_gets_the_page_where_it_says(tmp_path):
    seen = tmp_path / "argv"
    script = tmp_path / "b.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s|" "$@" > {seen}\n')
    script.chmod(0o755)
    assert open_in_browser("https://signin.example/?SigninToken=abc",
                           f"{script} --new-window %s --flag", tmp_path / "c")
    wait_for(seen)
    time.sleep(0.1)
    first, page, last, _ = seen.read_text().split("|")
    assert first == "--new-window" and last == "--flag"
    assert page.startswith("file://") and "SigninToken" not in page


def test_a_missing_browser_command_is_one_line(tmp_path):
    from tui.engine.errors import UsageError

    with pytest.raises(UsageError, match="the browser command `no-such-browser-x` can't be run"):
        open_in_browser("https://signin.example/", "no-such-browser-x", tmp_path / "c")


@pytest.fixture(autouse=True)
def no_runtime_folder(monkeypatch):
    """Sign-in pages go under the sandbox's cache folder, never a real $XDG_RUNTIME_DIR."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)


def test_the_folder_is_the_runtime_folder_where_there_is_one(tmp_path, monkeypatch):
    from tui.engine.console.handoff import handoff_folder

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert handoff_folder() == tmp_path / "aws-mfa-tui" / "console"
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "gone"))
    assert handoff_folder() == Path(os.environ["XDG_CACHE_HOME"]) / "aws-mfa-tui" / "console"
