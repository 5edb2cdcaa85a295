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
from collections.abc import Mapping
from typing import Any

from causalsynth.guarantee import PrivacyGuarantee

__all__ = ["as_float", "effect_kind", "esc", "fmt", "guarantee_text", "number", "points"]

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


def guarantee_text(guarantee: PrivacyGuarantee | Mapping[str, Any], details: bool = False) -> str:
    """A differential-privacy guarantee (a synthesizer's ``guarantee_``, or its dict form in a
    saved report's ``meta``) in plain words; with ``details``, the accounting behind it instead
    (plain text: escape it for a page). Read through the mapping both share, so a report
    whose guarantee lacks a figure still renders (``–``).

    >>> g = {"epsilon": 3.0, "delta": 1e-6, "rho": 0.0571, "epsilon_spent": 2.9999,
    ...      "accountant": "zCDP", "bounds": {"tv": "declared", "search": "private"}}
    >>> print(*guarantee_text(g).split("; "), sep="\\n")
    Differential privacy: (ε = 3, δ = 1e-06) guaranteed by the synthesizer
    accountant: zCDP
    bounds declared for tv, estimated privately for search
    >>> guarantee_text(g, details=True)
    'ρ = 0.0571 (zCDP); ε spent 3'
    >>> guarantee_text(PrivacyGuarantee(epsilon=1.0, notes=("widen 'range:'",)))
    "Differential privacy: (ε = 1, δ = –) guaranteed by the synthesizer; widen 'range:'"
    """
    def num(value: Any) -> str:
        v = number(value)
        return "–" if v is None else f"{v:.3g}"

    if details:
        bits = [f"ρ = {num(guarantee['rho'])} (zCDP)" if "rho" in guarantee else "",
                f"ε spent {num(guarantee['epsilon_spent'])}" if "epsilon_spent" in guarantee
                else "", f"budget split {guarantee['split']}" if guarantee.get("split") else ""]
        return "; ".join(b for b in bits if b)
    text = (f"Differential privacy: (ε = {num(guarantee.get('epsilon'))}, δ = "
            f"{num(guarantee.get('delta'))}) guaranteed by the synthesizer")
    if guarantee.get("accountant"):
        text += f"; accountant: {guarantee['accountant']}"
    bounds = guarantee.get("bounds") or {}
    how = [f"{words} {', '.join(str(n) for n, s in bounds.items() if s == source)}"
           for source, words in (("declared", "declared for"),
                                 ("private", "estimated privately for"),
                                 ("fallback", "fell back to a default range for"))
           if source in bounds.values()]
    notes = [str(n) for n in guarantee.get("notes") or []]
    return text + ("; bounds " + ", ".join(how) if how else "") + "".join(
        f"; {n}" for n in notes)
