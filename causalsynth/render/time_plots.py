"""Plots of a time-indexed report's time structure, as inline SVG text.

Like :mod:`causalsynth.render.plots` (whose figure and SVG helpers they use), each function
takes aggregates from the ``temporal_acf_diff`` metric of a report dict and returns an
``<svg>`` string; nothing here sees a row or computes a figure:

- :func:`temporal_profiles`: each spend's correlation with the outcome by lag, and the
  outcome's autocorrelation;
- :func:`seasonal_spectrum`: power by frequency of the outcome and each spend, the declared
  period and its harmonics marked;
- :func:`zero_run_lengths`: how long each channel's runs of zero spend last.

Real is drawn solid (blue), synthetic dashed (orange).

Examples
--------
>>> svg = zero_run_lengths([{"spend": "tv_spend", "real_zero_share": 0.3,
...                          "synthetic_zero_share": 0.3,
...                          "run_lengths": {"length": [1, 2, 3], "real": [1, 2, 5],
...                                          "synthetic": [9, 3, 0]}}])
>>> svg.startswith("<svg"), "≥3" in svg
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from causalsynth.render.format import as_float
from causalsynth.render.plots import REAL_COLOR, SYNTH_COLOR, panel_grid, to_svg

__all__ = ["has_run_lengths", "has_spectrum", "seasonal_spectrum", "temporal_profiles",
           "zero_run_lengths"]

_SIDES = (("real", REAL_COLOR, "-"), ("synthetic", SYNTH_COLOR, "--"))


def _grid(n: int, per_row: int = 3, height: float = 1.9, left: float = 0.55):
    """A figure of ``n`` panels, ``per_row`` wide; the axes in reading order (unused hidden),
    with room for a shared x label below."""
    fig, axes = panel_grid(n, per_row, 6.4, height, left=left, bottom=0.6)
    return fig, axes[:n]


def temporal_profiles(acf: Sequence[Mapping[str, Any]], ccf: Sequence[Mapping[str, Any]],
                      outcome: str, key: str = "temporal") -> str:
    """Time structure, real (solid) vs synthetic (dashed): the correlation of each spend with
    the outcome ``lag`` periods later (carryover's footprint), and the outcome's
    autocorrelation, by lag."""
    from matplotlib.ticker import MaxNLocator

    panels = [(f"{sp} → {outcome}", [r for r in ccf if r.get("spend") == sp], "ccf")
              for sp in dict.fromkeys(str(r.get("spend")) for r in ccf)]
    panels.append((f"{outcome} autocorrelation", [r for r in acf if r.get("column") == outcome],
                   "acf"))
    fig, axes = _grid(len(panels))
    for ax, (title, pts, kind) in zip(axes, panels, strict=True):
        lags = [as_float(r.get("lag")) for r in pts]
        for side, color, style in _SIDES:
            ax.plot(lags, [as_float(r.get(f"{side}_{kind}")) for r in pts], style, color=color,
                    marker=".", label=side)
        ax.axhline(0, color="#999999", linewidth=0.6)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.set_title(title, fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False, fontsize=7)
    fig.supxlabel("lag (periods)", fontsize=9)
    return to_svg(fig, key)


def has_spectrum(seasonal: Sequence[Mapping[str, Any]]) -> bool:
    """Whether any ``seasonal`` record carries a spectrum (reports before it did not).

    >>> has_spectrum([{"column": "revenue", "real_share": 0.9}])
    False
    """
    return any(isinstance(r.get("spectrum"), Mapping) for r in seasonal)


def has_run_lengths(zero_runs: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a ``zero_runs`` record has runs of zero spend to draw, in either table.

    >>> has_run_lengths([{"spend": "tv", "run_lengths": {"real": [0, 0], "synthetic": [1, 0]}}])
    True
    """
    return any(sum(as_float(v) for v in (r.get("run_lengths") or {}).get(side) or []) > 0
               for r in zero_runs for side in ("real", "synthetic"))


def _positive(values: Sequence[Any]) -> list[float]:
    """Powers for a log axis: missing and non-positive values as NaN (a gap in the line)."""
    return [v if v > 0 else math.nan for v in map(as_float, values)]


def seasonal_spectrum(seasonal: Sequence[Mapping[str, Any]], outcome: str | None = None,
                      key: str = "spectrum") -> str:
    """Power by frequency of each column whose ``seasonal`` record carries a ``spectrum``,
    real (solid) vs synthetic (dashed), log scale, the outcome first.

    Frequency is shown in cycles per declared period (1 = the season, 2 = its half, ...) on
    a log scale;
    the declared period is the dotted line and the power at it and its harmonics the markers
    (circles real, crosses synthetic). Relative power: 1 is white noise, a lost season sinks
    to about 1 at the markers.

    >>> svg = seasonal_spectrum([{"column": "revenue", "spectrum": {
    ...     "period": 52, "frequency": [0.02, 0.1, 0.3], "real": [30.0, 2.0, 0.5],
    ...     "synthetic": [1.2, 1.0, 0.9], "harmonic": [1], "harmonic_frequency": [0.0192],
    ...     "real_harmonic": [38.0], "synthetic_harmonic": [0.9]}}], "revenue")
    >>> svg.startswith("<svg"), "declared period" in svg
    (True, True)
    """
    records = sorted((r for r in seasonal if isinstance(r.get("spectrum"), Mapping)),
                     key=lambda r: r.get("column") != outcome)
    fig, axes = _grid(len(records), left=1.0)
    for ax, rec in zip(axes, records, strict=True):
        spec = rec["spectrum"]
        period = as_float(spec.get("period"))
        freq = [period * as_float(f) for f in spec.get("frequency") or []]
        harm = [period * as_float(f) for f in spec.get("harmonic_frequency") or []]
        for (side, color, style), mark in zip(_SIDES, ("o", "x"), strict=True):
            ax.plot(freq, _positive(spec.get(side) or []), style, color=color, lw=1.1,
                    label=side)
            ax.plot(harm, _positive(spec.get(f"{side}_harmonic") or []), mark, color=color,
                    ms=4, mew=1.2)
        ax.axvline(1, color="#777777", lw=0.8, ls=":",
                   label=f"declared period ({period:g})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ticks = [t for t in (1, 2, 4, 8, 16, 32) if t <= max(freq + harm + [1])]
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.set_xticks([], minor=True)
        ax.set_title(str(rec.get("column")), fontsize=8)
        ax.grid(alpha=0.3)
    if records:
        axes[0].legend(frameon=False, fontsize=6.5)
    fig.supxlabel("frequency (cycles per declared period, log scale)", fontsize=9)
    fig.supylabel("relative power (1 = white noise)", fontsize=9)
    return to_svg(fig, key)


def zero_run_lengths(zero_runs: Sequence[Mapping[str, Any]], key: str = "zeroruns") -> str:
    """Bars of how long each channel's runs of zero spend last: the share of its runs of each
    length, real vs synthetic, the last bar counting longer runs too; each panel's title
    gives the share of zero weeks in both tables. Flighting shows as long real runs; a
    synthesizer that shuffles the weeks piles its runs at length 1.
    """
    records = [r for r in zero_runs if has_run_lengths([r])]
    fig, axes = _grid(len(records), per_row=2, height=2.0, left=0.75)
    for ax, rec in zip(axes, records, strict=True):
        runs = rec["run_lengths"]
        lengths = [int(as_float(n)) for n in runs.get("length") or []]
        xs = list(range(len(lengths)))
        for (side, color, _), dx in zip(_SIDES, (-0.2, 0.2), strict=True):
            counts = [as_float(c) for c in runs.get(side) or []]
            total = sum(c for c in counts if math.isfinite(c)) or 1.0
            ax.bar([x + dx for x in xs], [100 * c / total for c in counts], 0.4, color=color,
                   label=side)
        labels = [str(n) for n in lengths]
        if labels:
            labels[-1] = f"≥{labels[-1]}"
        ax.set_xticks(xs, labels)
        ax.set_title(f"{rec.get('spend')}: zero in {_pct(rec.get('real_zero_share'))} real, "
                     f"{_pct(rec.get('synthetic_zero_share'))} synthetic", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    if records:
        axes[0].legend(frameon=False, fontsize=7)
    fig.supxlabel("length of a run of zero spend (periods)", fontsize=9)
    fig.supylabel("% of the runs", fontsize=9)
    return to_svg(fig, key)


def _pct(share: Any) -> str:
    value = as_float(share)
    return f"{100 * value:.0f}%" if math.isfinite(value) else "–"
