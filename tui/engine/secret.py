"""A secret value whose repr and str never show it, and key-id masking for display.

Secret keys, session tokens and MFA codes travel through the engine as `Secret`, so a
traceback, a log line, Textual's crash screen (which renders locals) or an f-string shows
`Secret('****')`. The value is only read with `.reveal()`, at the point where it is sent to
AWS, written to the credentials file, or emitted by `env` / `exec` / `credential-process`.
"""

from __future__ import annotations


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        import hmac

        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("Secret values are not picklable")


def mask_key_id(key_id: str | None) -> str:
    """`AKIAIOSFODNN7EXAMPLE` -> `AKIA****MPLE`. Key ids aren't secret, but we show less."""
    if not key_id:
        return "-"
    if len(key_id) <= 8:
        return "****"
    return f"{key_id[:4]}****{key_id[-4:]}"
