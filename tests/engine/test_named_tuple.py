"""`tui.engine.named_tuple.NamedTuple` makes the class `typing.NamedTuple` makes."""

from __future__ import annotations

import pickle
import typing

import pytest

from tui.engine.named_tuple import NamedTuple


def _declare(base):
    class Row(base):
        """A row."""

        name: str
        left: int = 0
        tags: tuple[str, ...] = ()

        @property
        def doubled(self) -> int:
            return self.left * 2

        def greet(self) -> str:
            return f"hi {self.name}"

    return Row


Ours, Theirs = _declare(NamedTuple), _declare(typing.NamedTuple)


def test_same_fields_defaults_methods_and_docstring():
    assert Ours._fields == Theirs._fields == ("name", "left", "tags")
    assert Ours._field_defaults == Theirs._field_defaults
    assert Ours.__doc__ == Theirs.__doc__ == "A row."
    assert Ours.__mro__[1:] == Theirs.__mro__[1:] == (tuple, object)
    assert list(Ours.__annotations__) == list(Theirs.__annotations__)
    ours, theirs = Ours("a", 3), Theirs("a", 3)
    assert tuple(ours) == tuple(theirs) == ("a", 3, ())
    assert repr(ours) == repr(theirs) == "Row(name='a', left=3, tags=())"
    assert ours.doubled == 6 and ours.greet() == "hi a"
    assert ours._replace(left=1) == ("a", 1, ()) and ours._asdict() == theirs._asdict()
    assert Ours.__module__ == __name__ and Ours.__qualname__ == Theirs.__qualname__


def test_pickles_like_a_module_level_namedtuple():
    from tui.engine.sessions.schedule import RefreshSchedule

    schedule = RefreshSchedule(lead_time=600)
    assert pickle.loads(pickle.dumps(schedule)) == schedule


def test_refuses_what_typing_refuses():
    with pytest.raises(TypeError, match="cannot follow"):
        class Bad(NamedTuple):
            a: int = 0
            b: int
    with pytest.raises(AttributeError, match="_replace"):
        class Worse(NamedTuple):
            a: int

            def _replace(self):  # type: ignore[override]
                return self
