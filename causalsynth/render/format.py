"""Number and text formatting for every renderer: HTML pages, plots, terminal and command line.

One place decides how a figure reads: rounded to reading precision (a page shows aggregates,
never a value at full precision), ``–`` for a missing figure, ``yes``/``no`` for a flag. The
text :func:`fmt` returns is HTML-safe (strings are escaped), so a page can insert it as is.

Examples
--------
>>> fmt(10038.4213), fmt(0.52), fmt(0.577, pct=True), fmt(None), fmt(True)
('10,038', '0.520', '57.7%', '–', 'yes')
>>> points(-2.04, sign=True), effect_kind("shift_10pct")
('-2.0', '+10% shift')
"""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = ["as_float", "effect_kind", "esc", "fmt", "number", "points"]

#: treatment-effect kinds as a reader names them: kind -> (long, short)
_EFFECT_KINDS = {"per_unit": ("per unit", "per unit"), "shift_10pct": ("+10% shift", "+10%")}


def esc(value: Any) -> str:
    """HTML-escape any value's text.

    >>> esc("<b>ctgan</b>")
    '&lt;b&gt;ctgan&lt;/b&gt;'
    """
    return html.escape(str(value), quote=True)


def number(value: Any) -> float | None:
    """A finite float, or None for None, flags, non-numbers, NaN and infinities.

    >>> number("0.25"), number(None), number(True), number(float("inf"))
    (0.25, None, None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def as_float(value: Any) -> float:
    """:func:`number`, with NaN for missing: plots skip NaN points.

    >>> as_float("2"), as_float(None)
    (2.0, nan)
    """
    v = number(value)
    return math.nan if v is None else v


def fmt(value: Any, pct: bool = False) -> str:
    """Display text for a value: rounded numbers, yes/no for flags, '–' for missing.

    Integers get thousands separators; other numbers keep about three significant digits
    (``pct`` shows a share as a percentage to one decimal). Anything else is escaped text.

    >>> fmt(3), fmt(12.345), fmt(0.0042), fmt("a<b")
    ('3', '12.3', '4.20e-03', 'a&lt;b')
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    v = number(value)
    if v is None:
        return esc(value)
    if pct:
        return f"{100 * v:.1f}%"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 0.01 or a == 0:
        return f"{v:.3f}"
    return f"{v:.2e}"


def points(value: Any, sign: bool = False) -> str:
    """Percent shares and point differences to one decimal ('–' when missing).

    >>> points(17.54), points(None), points(0.26, sign=True)
    ('17.5', '–', '+0.3')
    """
    v = number(value)
    if v is None:
        return "–"
    return f"{v:+.1f}" if sign else f"{v:.1f}"


def effect_kind(kind: Any, short: bool = False) -> str:
    """How a treatment effect's kind reads: ``per_unit`` -> 'per unit', ``shift_10pct`` ->
    '+10% shift' ('+10%' when ``short``); an unknown kind as it is.

    >>> effect_kind("per_unit"), effect_kind("shift_10pct", short=True), effect_kind("x")
    ('per unit', '+10%', 'x')
    """
    long, brief = _EFFECT_KINDS.get(str(kind), (str(kind), str(kind)))
    return brief if short else long
