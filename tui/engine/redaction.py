"""The one redactor: what a message may not carry out of the engine.

AWS error texts sometimes echo the request, quoted or not (`... TokenCode=246813`,
`Value 246813 at tokenCode ...`), and a hostile endpoint can put anything in them. Every
`AwsMfaError` message passes through `redact()` (in `errors`), and `aws.calls` adds the
secrets of the operation that failed: the MFA code, the secret key and the session token it
signed with. What is removed:

- each known secret, wherever it appears, whatever surrounds it;
- any 6-digit number near the word "code" (a one-time code we were not told about);
- any run of 40 or more base64 characters standing on its own (a secret key is 40, a
  session token hundreds), so a secret we don't know of is cut too;
- in text from AWS (`aws_text`), every quoted value: validation messages quote the bad value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tui.engine.secret import Secret

MASK = "****"
#: A known secret shorter than this is not searched for: it would mangle ordinary words.
MIN_SECRET_LENGTH = 4
#: How far (characters) from the word "code" a 6-digit number counts as a code.
CODE_NEIGHBOURHOOD = 40

# Patterns, compiled on first use through re's cache: importing this module (every error
# class does) shouldn't cost `status --short` their compilation.
_SIX_DIGITS = r"(?<!\d)\d{6}(?!\d)"
_CODE_WORD = r"(?i)code"
# Not preceded by a character that would make it part of a path, ARN or longer word. An
# `=` may precede it: `aws_secret_access_key=...` and `?SigninToken=...` are how secrets
# most often appear in text.
_SECRET_LIKE = r"(?<![A-Za-z0-9+/:._@-])[A-Za-z0-9+/]{40,}={0,2}"
_QUOTED = r"'[^']*'|\"[^\"]*\"|`[^`]*`"


class Redactor:
    """Removes the given secrets, and anything that looks like one, from a message."""

    def __init__(self, secrets: Iterable[Secret | str | None] = ()) -> None:
        values = {s.reveal() if isinstance(s, Secret) else s for s in secrets if s}
        # Longest first, so a secret that contains another is removed whole.
        self._secrets = sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH),
                               key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        text = re.sub(_SECRET_LIKE, MASK, text)
        return _drop_codes(text)

    def aws_text(self, text: str) -> str:
        """A message written by AWS (or whatever answered): also drop quoted values."""
        return self(re.sub(_QUOTED, "'…'", text or "")).strip()


def _drop_codes(text: str) -> str:
    if not re.search(_SIX_DIGITS, text):
        return text
    words = [m.start() for m in re.finditer(_CODE_WORD, text)]
    if not words:
        return text

    def replace(match: re.Match[str]) -> str:
        near = any(match.start() - CODE_NEIGHBOURHOOD <= at <= match.end() + CODE_NEIGHBOURHOOD
                   for at in words)
        return MASK if near else match.group()

    return re.sub(_SIX_DIGITS, replace, text)


#: For messages where no operation's secrets are known: only the look-alike rules apply.
redact = Redactor()
