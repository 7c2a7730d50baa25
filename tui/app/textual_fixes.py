"""A workaround for a leak in Textual, applied once when the app starts.

`StylesCache.get_inner_outer` is an `lru_cache(1024)` on a method, so its key holds the
`StylesCache` itself: up to 1,024 caches of removed widgets (each toast is one), with
every line they cached, stay alive (Textualize/textual#6665). Over a day of toasts that
was most of the app's growth. The two styles depend only on the colours, so the cache
here is keyed on the colours alone.
"""

from __future__ import annotations

from functools import lru_cache

from textual._styles_cache import StylesCache
from textual.color import Color
from textual.style import Style


@lru_cache(1024)
def _inner_outer(base_background: Color, background: Color) -> tuple[Style, Style]:
    """What Textual's `get_inner_outer` returns, without holding on to the caller."""
    return (Style(background=base_background + background),
            Style(background=base_background))


def _get_inner_outer(_cache: StylesCache, base_background: Color,
                     background: Color) -> tuple[Style, Style]:
    return _inner_outer(base_background, background)


def apply() -> None:
    """Idempotent; the old cache is emptied so the widgets it held can go."""
    current = StylesCache.__dict__.get("get_inner_outer")
    if current is _get_inner_outer:
        return
    cache_clear = getattr(current, "cache_clear", None)
    if cache_clear is not None:
        cache_clear()
    StylesCache.get_inner_outer = _get_inner_outer  # type: ignore[assignment,method-assign]
