"""`NamedTuple` for the modules `status --short` loads, without importing `typing`.

`class X(NamedTuple)` gives the same class as `typing.NamedTuple` would: a
`collections.namedtuple` with the annotated fields, their defaults, and the class body's
methods, properties and docstring. Type checkers see `typing.NamedTuple` itself.

Why: tmux runs `status --short` every few seconds, and importing `typing` plus checking
each field's annotation was about a fifth of its whole run.
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing.TYPE_CHECKING` without importing typing
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from collections import namedtuple

    # Names the namedtuple itself owns (as typing.NamedTupleMeta keeps them).
    _PROHIBITED = frozenset({
        "__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults",
        "_make", "_replace", "_asdict", "_source",
    })
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    class _NamedTupleMeta(type):
        def __new__(mcls, typename, bases, namespace):
            if not bases:  # the `NamedTuple` base below
                return super().__new__(mcls, typename, bases, namespace)
            fields = list(namespace.get("__annotations__", {}))
            defaults = []
            for name in fields:
                if name in namespace:
                    defaults.append(namespace[name])
                elif defaults:
                    raise TypeError(f"Non-default namedtuple field {name} cannot follow "
                                    "a default field")
            made = namedtuple(typename, fields, defaults=defaults,
                              module=namespace["__module__"])
            made.__annotations__ = dict(namespace.get("__annotations__", {}))
            for key, value in namespace.items():
                if key in _PROHIBITED:
                    raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
                if key not in _SPECIAL and key not in made._fields:
                    setattr(made, key, value)
            return made

    class NamedTuple(metaclass=_NamedTupleMeta):
        """Base for `class X(NamedTuple): field: type = default` declarations."""
