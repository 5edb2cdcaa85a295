"""Plots for the HTML reports, as inline SVG text (no files, no fonts, no network).

Every function takes plain aggregates from a report dict (shares, intervals, histogram counts,
a correlation-difference matrix) and returns an ``<svg>`` string, so a saved JSON report renders
the same plots. Nothing here sees a table row. Figures are built with matplotlib's object API
(``matplotlib.figure.Figure``), which keeps pyplot's global state untouched.

Examples
--------
>>> svg = ici_bars([{"node": "tv_spend", "real_share": 17.5, "real_low": 16.9,
...                  "real_high": 18.1, "synthetic_share": 16.0, "synthetic_low": 15.2,
...                  "synthetic_high": 16.8}])
>>> svg.startswith("<svg")
True
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from causalsynth.errors import MissingDependencyError
from causalsynth.evaluate.verdict import INCONCLUSIVE, NOT_PRESERVED, PRESERVED
from causalsynth.render.format import as_float, effect_kind, number

__all__ = [
    "HOLDOUT_COLOR",
    "REAL_COLOR",
    "SYNTH_COLOR",
    "attribution_frontier",
    "column_distributions",
    "correlation_heatmap",
    "correlation_matrix_from_records",
    "distance_quantiles",
    "effects_forest",
    "figure",
    "ici_bars",
    "privacy_fidelity_scatter",
    "response_curves",
    "to_svg",
]

REAL_COLOR = "#4c72b0"
SYNTH_COLOR = "#dd8452"
HOLDOUT_COLOR = "#55a868"
_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


def figure(width: float, height: float, layout: str | None = "constrained"):
    """An empty matplotlib ``Figure`` of that size in inches (constrained layout unless
    ``layout`` says otherwise), made without pyplot.

    >>> figure(4, 3).get_size_inches().tolist()
    [4.0, 3.0]
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise MissingDependencyError(
            "the HTML report's plots need matplotlib; install it with: pip install matplotlib"
        ) from exc
    return Figure(figsize=(width, height), layout=layout)


def panel_grid(n: int, per_row: int, width: float, panel_height: float, *,
               left: float = 0.55, bottom: float = 0.5, top: float = 0.3):
    """A figure of ``n`` panels of one size, ``per_row`` wide, its axes in reading order (the
    unused ones hidden). Margins are in inches (``left``, ``bottom``, ``top``: room for tick
    labels, a shared x label and titles) rather than constrained layout, which measures every
    tick label of every panel and took half of such a plot's time."""
    cols = max(1, min(n, per_row))
    rows = max(1, math.ceil(n / cols))
    height = panel_height * rows + bottom + top - 0.3
    fig = figure(width, height, layout=None)
    fig.subplots_adjust(left=left / width, right=1 - 0.12 / width, bottom=bottom / height,
                        top=1 - top / height, wspace=0.32, hspace=0.62)
    axes = list(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes


def to_svg(fig, key: str) -> str:
    """SVG text without XML prolog or metadata; ``key`` salts the clip-path ids.

    Several SVGs sit in one HTML page, so their ``id``s must not collide; a fixed salt per plot
    also makes the same report render to the same bytes.
    """
    import matplotlib

    buf = io.StringIO()
    rc = {"svg.fonttype": "none", "svg.hashsalt": key, "font.size": 9}
    with matplotlib.rc_context(rc):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = _METADATA.sub("", _PROLOG.sub("", buf.getvalue(), count=1))
    return text.replace("<svg ", f'<svg class="plot" role="img" aria-label="{key}" ', 1)


def _err(center: float, low: float, high: float) -> tuple[float, float]:
    """Error-bar half-widths (0 when an interval bound is missing)."""
    lo = center - low if math.isfinite(low) and math.isfinite(center) else 0.0
    hi = high - center if math.isfinite(high) and math.isfinite(center) else 0.0
    return max(lo, 0.0), max(hi, 0.0)


def ici_bars(ici: Sequence[Mapping[str, Any]], key: str = "ici") -> str:
    """Grouped horizontal bars: each node's ICI share on the real and the synthetic table.

    Error bars are the reported intervals. Shares are percentages.
    """
    nodes = [str(r.get("node")) for r in ici]
    n = len(nodes)
    fig = figure(6.4, max(1.6, 0.45 * n + 0.9))
    ax = fig.subplots()
    ys = list(range(n))
    h = 0.38
    for offset, side, color, label in ((-h / 2, "real", REAL_COLOR, "real"),
                                       (h / 2, "synthetic", SYNTH_COLOR, "synthetic")):
        vals = [as_float(r.get(f"{side}_share")) for r in ici]
        errs = [_err(v, as_float(r.get(f"{side}_low")), as_float(r.get(f"{side}_high")))
                for v, r in zip(vals, ici, strict=True)]
        ax.barh([y + offset for y in ys], [0 if math.isnan(v) else v for v in vals], height=h,
                color=color, label=label,
                xerr=[[e[0] for e in errs], [e[1] for e in errs]],
                error_kw={"ecolor": "#333333", "capsize": 2, "elinewidth": 0.8})
    ax.set_yticks(ys, nodes)
    ax.invert_yaxis()
    ax.set_xlabel("share of the outcome's variation (ICI, %)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", frameon=False)
    return to_svg(fig, key)


def _short_number(value: float, _pos=None) -> str:
    """Tick label: 40000 -> '40k', 2500000 -> '2.5M'."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def response_curves(curves: Sequence[Mapping[str, Any]], key: str = "curves") -> str:
    """One panel per channel: modelled weekly contribution against mean weekly spend, the
    real table's model (solid) over the synthetic table's (dashed)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    channels = list(dict.fromkeys(str(r.get("channel")) for r in curves))
    cols = min(len(channels), 2) or 1
    rows = math.ceil(len(channels) / cols) or 1
    fig = figure(6.4, 2.3 * rows + 0.4)
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, channel in enumerate(channels):
        ax = axes[i // cols][i % cols]
        for table, color, style in (("real", REAL_COLOR, "-"), ("synthetic", SYNTH_COLOR, "--")):
            pts = [r for r in curves if r.get("channel") == channel and r.get("table") == table]
            ax.plot([as_float(r.get("spend")) for r in pts],
                    [as_float(r.get("contribution")) for r in pts], style, color=color,
                    label=table)
        ax.set_title(channel, fontsize=9)
        ax.grid(alpha=0.3)
        for axis in (ax.xaxis, ax.yaxis):  # 40000 as 40k: long tick labels overlap
            axis.set_major_locator(MaxNLocator(4))
            axis.set_major_formatter(FuncFormatter(_short_number))
    for j in range(len(channels), rows * cols):
        axes[j // cols][j % cols].set_visible(False)
    axes[0][0].legend(frameon=False, fontsize=8)
    fig.supxlabel("mean weekly spend", fontsize=9)
    fig.supylabel("weekly contribution", fontsize=9)
    return to_svg(fig, key)


def effects_forest(effects: Sequence[Mapping[str, Any]], key: str = "effects") -> str:
    """Forest plot of treatment effects, each as a percentage of its real-table estimate.

    Effects of different treatments live on different scales (EUR per EUR, EUR per +10%), so
    each row is normalised by its real estimate: the real point sits at 100% with its interval,
    the synthetic point and interval beside it. Rows whose real estimate is 0 are skipped.
    """
    rows = [r for r in effects if as_float(r.get("real")) not in (0.0,)
            and math.isfinite(as_float(r.get("real")))]
    labels = [f"{r.get('treatment')} ({effect_kind(r.get('kind'), short=True)}, "
              f"{r.get('method', '')})" for r in rows]
    n = max(len(rows), 1)
    fig = figure(6.4, max(1.6, 0.42 * n + 0.9))
    ax = fig.subplots()
    for i, r in enumerate(rows):
        base = as_float(r.get("real"))
        for side, color, dy in (("real", REAL_COLOR, -0.12), ("synthetic", SYNTH_COLOR, 0.12)):
            c = 100 * as_float(r.get(side)) / base
            lo = 100 * as_float(r.get(f"{side}_low")) / base
            hi = 100 * as_float(r.get(f"{side}_high")) / base
            lo, hi = min(lo, hi), max(lo, hi)  # a negative base flips the interval
            if not math.isfinite(c):
                continue
            e = _err(c, lo, hi)
            ax.errorbar([c], [i + dy], xerr=[[e[0]], [e[1]]], fmt="o", color=color, ms=4,
                        capsize=2, elinewidth=1, label=side if i == 0 else None)
    ax.axvline(100, color="#888888", lw=0.8, ls="--")
    ax.set_yticks(list(range(len(rows))), labels)
    ax.invert_yaxis()
    ax.set_xlabel("effect as % of the real-table estimate")
    ax.grid(axis="x", alpha=0.3)
    if rows:
        ax.legend(loc="best", frameon=False)
    return to_svg(fig, key)


def distance_quantiles(records: Sequence[Mapping[str, Any]], xlabel: str,
                       key: str = "dcrq") -> str:
    """Quantiles of a distance, synthetic rows vs holdout rows.

    ``records`` hold ``quantile`` and one value per table (``synthetic``, ``holdout``); the
    plot shows, for each quantile, the distance below which that share of rows lies, so a
    synthetic curve left of the holdout curve means synthetic rows sit closer to training.
    """
    fig = figure(6.0, 2.6)
    ax = fig.subplots()
    qs = [100 * as_float(r.get("quantile")) for r in records]
    for side, color, style in (("holdout", HOLDOUT_COLOR, "--"), ("synthetic", SYNTH_COLOR, "-")):
        vals = [as_float(r.get(side)) for r in records]
        if any(math.isfinite(v) for v in vals):
            ax.plot(vals, qs, style, marker="o", ms=3, color=color, label=side)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("% of rows below")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return to_svg(fig, key)


def correlation_matrix_from_records(records: Sequence[Mapping[str, Any]]
                                    ) -> tuple[list[str], list[list[float]]] | None:
    """Read a correlation-difference matrix from breakdown records, in either of two shapes.

    Long: one record per pair with two column-name fields (``column_1``/``column_2``,
    ``column_a``/``column_b`` or ``x``/``y``) and a ``difference`` (or ``diff``/``value``).
    Wide: one record per row with a name field (``column``, ``index`` or ``name``) and one
    numeric field per column. Returns ``(columns, matrix)`` or None when neither fits.
    """
    if not records:
        return None
    first = records[0]
    pair = next(((a, b) for a, b in (("column_1", "column_2"), ("column_a", "column_b"),
                                     ("x", "y"), ("col1", "col2")) if a in first and b in first),
                None)
    if pair:
        vkey = next((k for k in ("difference", "diff", "abs_diff", "abs_difference", "value")
                     if k in first), None)
        if vkey is None:
            return None
        cols: list[str] = []
        for r in records:
            for c in (str(r[pair[0]]), str(r[pair[1]])):
                if c not in cols:
                    cols.append(c)
        idx = {c: i for i, c in enumerate(cols)}
        mat = [[math.nan] * len(cols) for _ in cols]
        for i in range(len(cols)):
            mat[i][i] = 0.0
        for r in records:
            i, j, v = idx[str(r[pair[0]])], idx[str(r[pair[1]])], as_float(r[vkey])
            mat[i][j] = mat[j][i] = v
        return cols, mat
    name = next((k for k in ("column", "index", "name", "") if k in first), None)
    if name is None:
        return None
    cols = [str(r[name]) for r in records]
    if not all(c in first for c in cols):
        return None
    return cols, [[as_float(r.get(c)) for c in cols] for r in records]


def correlation_heatmap(columns: Sequence[str], matrix: Sequence[Sequence[float]],
                        key: str = "corrdiff") -> str:
    """Heat map of |real correlation − synthetic correlation| for every column pair."""
    n = len(columns)
    size = min(7.0, max(3.2, 0.55 * n + 1.6))
    fig = figure(size + 0.8, size)
    ax = fig.subplots()
    vals = [[abs(as_float(v)) for v in row] for row in matrix]
    top = max([v for row in vals for v in row if math.isfinite(v)] + [0.1])
    im = ax.imshow(vals, cmap="Reds", vmin=0, vmax=max(top, 0.1))
    ax.set_xticks(range(n), list(columns), rotation=45, ha="right")
    ax.set_yticks(range(n), list(columns))
    if n <= 12:
        for i in range(n):
            for j in range(n):
                v = vals[i][j]
                if math.isfinite(v):
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if v > 0.6 * top else "black")
    fig.colorbar(im, ax=ax, shrink=0.8, label="|difference in correlation|")
    return to_svg(fig, key)


def _distribution_axes(ax, column: str, spec: Mapping[str, Any]) -> bool:
    """Draw one column's real vs synthetic shares on ``ax``; False when ``spec`` is unusable."""
    real = [as_float(c) for c in spec.get("real") or []]
    synth = [as_float(c) for c in spec.get("synthetic") or []]
    if not real or len(real) != len(synth):
        return False
    edges = spec.get("bins", spec.get("edges"))
    cats = spec.get("categories")
    rt = sum(c for c in real if math.isfinite(c)) or 1.0
    st = sum(c for c in synth if math.isfinite(c)) or 1.0
    rs = [100 * c / rt for c in real]
    ss = [100 * c / st for c in synth]
    if edges is not None and len(edges) == len(real) + 1:
        e = [as_float(b) for b in edges]
        ax.stairs(rs, e, color=REAL_COLOR, fill=True, alpha=0.45, label="real")
        ax.stairs(ss, e, color=SYNTH_COLOR, lw=1.4, label="synthetic")
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    elif cats is not None and len(cats) == len(real):
        xs = list(range(len(cats)))
        ax.bar([x - 0.2 for x in xs], rs, 0.4, color=REAL_COLOR, label="real")
        ax.bar([x + 0.2 for x in xs], ss, 0.4, color=SYNTH_COLOR, label="synthetic")
        ax.set_xticks(xs, [str(c) for c in cats], rotation=30 if len(cats) > 4 else 0)
    else:
        return False
    ax.set_title(column, fontsize=9)
    ax.set_ylabel("% of rows", fontsize=8)
    ax.tick_params(labelsize=7)
    return True


def column_distributions(histograms: Mapping[str, Mapping[str, Any]], key: str = "dist",
                         per_row: int = 3) -> tuple[str | None, list[str]]:
    """Small multiples of every column's real vs synthetic distribution, in one SVG.

    Each entry of ``histograms`` holds ``real`` and ``synthetic`` counts and either ``bins``
    (numeric edges, one more than counts) or ``categories`` (labels, as many as counts).
    Returns the SVG (None when no column is usable) and the columns that were skipped.
    """
    usable = [(c, s) for c, s in histograms.items() if isinstance(s, Mapping)]
    if not usable:
        return None, list(histograms)
    fig, axes = panel_grid(len(usable), per_row, 3.2 * per_row, 2.2)
    skipped = [str(c) for c in histograms if not isinstance(histograms[c], Mapping)]
    drawn = 0
    for col, spec in usable:
        ax = axes[drawn]
        if _distribution_axes(ax, str(col), spec):
            drawn += 1
        else:
            ax.clear()
            skipped.append(str(col))
    for ax in axes[drawn:]:
        ax.set_visible(False)
    if not drawn:
        return None, skipped
    axes[0].legend(fontsize=7, frameon=False)
    return to_svg(fig, key), skipped


#: verdict -> (colour, marker) in the comparison scatter
_VERDICT_MARKS = {PRESERVED: (HOLDOUT_COLOR, "o"), INCONCLUSIVE: ("#f9a825", "D"),
                  NOT_PRESERVED: (SYNTH_COLOR, "X")}


def privacy_fidelity_scatter(points: Sequence[Mapping[str, Any]], x: str, y: str,
                             xlabel: str, ylabel: str, key: str = "frontier") -> str:
    """Scatter of synthesizers: causal-fidelity loss (x) against privacy risk (y).

    ``points`` are leaderboard rows (dicts with ``synthesizer``, ``x`` and ``y`` fields and a
    ``verdict``). Preserved: filled circle; inconclusive: amber diamond; not preserved: cross.
    Lower-left is better.
    """
    fig = figure(5.6, 3.6)
    ax = fig.subplots()
    drawn = 0
    for p in points:
        px, py = as_float(p.get(x)), as_float(p.get(y))
        if not (math.isfinite(px) and math.isfinite(py)):
            continue
        color, marker = _VERDICT_MARKS.get(p.get("verdict"), (SYNTH_COLOR, "X"))
        ax.scatter([px], [py], s=60, color=color, edgecolors="#333333", marker=marker)
        ax.annotate(str(p.get("synthesizer")), (px, py), textcoords="offset points",
                    xytext=(6, 4), fontsize=8)
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, "no synthesizer has both figures", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    return to_svg(fig, key)


#: line colours of the synthesizer families on the frontier
_FAMILY_COLORS = (REAL_COLOR, SYNTH_COLOR, HOLDOUT_COLOR, "#8172b3", "#937860", "#da8bc3")
#: frontier panels: (record field, display scale, y label, margin key)
_FRONTIER_PANELS = (("max_ici_diff", 1.0, "max ICI difference (points)", "ici_points"),
                    ("max_effect_diff", 100.0, "max |relative effect difference| (%)",
                     "effect_rel"))


def attribution_frontier(records: Sequence[Mapping[str, Any]],
                         margins: Mapping[str, Any] | None = None,
                         key: str = "dpfrontier") -> str:
    """Attribution error against the epsilon of a differential-privacy guarantee (log axis).

    ``records`` are frontier records (``family``, ``epsilon``, ``max_ici_diff`` in points,
    ``max_effect_diff`` relative, ``verdict``): one line per family in each of two panels,
    the largest ICI difference and the largest relative effect difference, each point marked
    by its verdict as in :func:`privacy_fidelity_scatter`; ``margins`` (``ici_points``,
    ``effect_rel``) draws the verdict's margins dashed.

    >>> svg = attribution_frontier([
    ...     {"family": "causal", "epsilon": 1.0, "max_ici_diff": 9.0, "max_effect_diff": 0.4,
    ...      "verdict": "not preserved"},
    ...     {"family": "causal", "epsilon": 10.0, "max_ici_diff": 2.0, "max_effect_diff": 0.05,
    ...      "verdict": "preserved"}], {"ici_points": 5.0, "effect_rel": 0.1})
    >>> svg.startswith("<svg"), "max ICI difference" in svg, "log scale" in svg
    (True, True, True)
    """
    fig = figure(8.4, 3.2)
    axes = fig.subplots(1, 2)
    families = list(dict.fromkeys(str(r.get("family")) for r in records))
    ticks = sorted({e for r in records if (e := as_float(r.get("epsilon"))) > 0})
    for ax, (field, scale, ylabel, margin_key) in zip(axes, _FRONTIER_PANELS, strict=True):
        drawn = 0
        for i, family in enumerate(families):
            pts = sorted((as_float(r.get("epsilon")), scale * as_float(r.get(field)),
                          r.get("verdict")) for r in records if str(r.get("family")) == family)
            pts = [p for p in pts if p[0] > 0 and math.isfinite(p[1])]
            color = _FAMILY_COLORS[i % len(_FAMILY_COLORS)]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "-", color=color, lw=1.4,
                        label=family)
            for x, y, verdict in pts:
                marker = _VERDICT_MARKS.get(verdict, (SYNTH_COLOR, "X"))[1]
                ax.scatter([x], [y], s=40, color=color, edgecolors="#333333", marker=marker,
                           zorder=3)
            drawn += len(pts)
        margin = number((margins or {}).get(margin_key))
        if margin is not None:
            ax.axhline(scale * margin, color="#888888", lw=0.8, ls="--", label="margin")
        if not drawn:
            ax.text(0.5, 0.5, "no figures", ha="center", va="center", transform=ax.transAxes)
        ax.set_xscale("log")
        if ticks:
            ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
            ax.set_xticks([], minor=True)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    fig.supxlabel("ε of the differential-privacy guarantee (log scale; smaller = more "
                  "private)", fontsize=9)
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(frameon=False, fontsize=8)
    return to_svg(fig, key)
