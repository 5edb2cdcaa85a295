"""Per-column histogram counts of a real and a synthetic table, for the report's plots.

The edges never embed a real row or a real extreme: from 1,000 real rows they are rounded
aggregates (pooled percentiles); below, round numbers inside the data (see
:func:`column_histograms`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from causalsynth.dag import DAG

__all__ = ["column_histograms"]

_HIST_BINS = 20
#: below this many real rows, histogram edges follow the coarse rule of ``_small_table_edges``
_SMALL_TABLE = 1000
#: no edge of a small table lies closer than this share of the real range to its min or max
_EDGE_MARGIN = 0.05


def _round_edges(edges: np.ndarray) -> np.ndarray:
    """Edges rounded to 3 significant digits (aggregates, not real extremes), kept increasing."""
    scale = np.max(np.abs(edges[np.isfinite(edges)])) if np.isfinite(edges).any() else 1.0
    digits = 2 - int(np.floor(np.log10(scale))) if scale > 0 else 0
    rounded = np.unique(np.round(edges, digits))
    return rounded if len(rounded) >= 2 else np.array([edges[0], edges[0] + 1.0])


def _nice_step(width: float, up: bool = True) -> float:
    """1, 2 or 5 times a power of ten: the smallest >= ``width`` (or the largest <= it)."""
    if not np.isfinite(width) or width <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(width))
    steps = [m * power for m in (1.0, 2.0, 5.0, 10.0)]
    return min(s for s in steps if s >= width) if up else max(s for s in steps if s <= width)


def _multiples(lo: float, hi: float, step: float) -> np.ndarray:
    """The multiples of ``step`` in [lo, hi], without float noise (0.30000000000000004)."""
    digits = max(0, -int(np.floor(np.log10(step)))) + 1
    ks = np.arange(np.ceil(lo / step), np.floor(hi / step) + 1)
    return np.unique(np.round(ks * step, digits))


def _small_table_edges(real: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """Histogram edges for a small real table that do not pin its minimum or maximum.

    The rule: edges are the multiples of a round step (1, 2 or 5 times a power of ten, the
    finest giving at most 8 bins between the pooled 10th and 90th percentiles) that lie
    between those percentiles; an edge closer than 5 % of the real range to the real minimum
    or maximum is dropped. Values beyond the outer edges are counted in the outer bins, which
    are therefore open-ended: the plot's outer edges are round numbers inside the data, never
    the extremes. When fewer than two edges survive, the two edges are the points at one and
    two thirds of the real range rounded to a step of at most 1/20 of it (at most 1/40 off,
    so still more than 5 % inside).
    """
    lo_r, hi_r = float(real.min()), float(real.max())
    span = hi_r - lo_r
    if span <= 0:  # a constant real column: one coarse bin around its order of magnitude
        step = _nice_step(abs(lo_r) or 1.0, up=False)
        base = np.floor(lo_r / step) * step
        return np.array([base - step, base + 2 * step])
    q_lo, q_hi = np.quantile(pooled, [0.1, 0.9])
    edges = np.array([])
    if q_hi > q_lo:
        edges = _multiples(q_lo, q_hi, _nice_step((q_hi - q_lo) / 8))
    margin = _EDGE_MARGIN * span
    edges = edges[(edges > lo_r + margin) & (edges < hi_r - margin)]
    if len(edges) >= 2:
        return edges
    step = _nice_step(span / 20, up=False)
    thirds = np.round(np.array([lo_r + span / 3, lo_r + 2 * span / 3]) / step) * step
    return np.round(thirds, max(0, -int(np.floor(np.log10(step)))) + 1)


def column_histograms(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG
                      ) -> dict[str, dict[str, Any]]:
    """Per-column histogram counts of both tables, for the report's distribution plots.

    Numeric columns: values beyond the outer edges are counted in the outer bins (open-ended
    bins), so neither a real row nor a real extreme is embedded in the edges. From 1,000 real
    rows: 20 bins between the pooled 1st and 99th percentiles, edges rounded to three
    significant digits (each percentile is an aggregate of at least ten rows). Below 1,000
    real rows the percentiles sit next to single rows, so edges follow the coarser rule of
    :func:`_small_table_edges`: round multiples between the pooled 10th and 90th percentiles,
    none within 5 % of the real range from the real minimum or maximum. Labels: counts per
    declared category.
    """
    out: dict[str, dict[str, Any]] = {}
    for col in dag.nodes:
        node = dag.node(col)
        if node.is_numeric:
            values = real[col].to_numpy(float)
            pooled = np.concatenate([values, synthetic[col].to_numpy(float)])
            if len(values) < _SMALL_TABLE:
                edges = _small_table_edges(values, pooled)
            else:
                lo, hi = np.quantile(pooled, [0.01, 0.99])
                edges = _round_edges(np.linspace(lo, hi if hi > lo else lo + 1.0,
                                                 _HIST_BINS + 1))
            counts = [np.histogram(np.clip(t[col].to_numpy(float), edges[0], edges[-1]),
                                   bins=edges)[0].tolist() for t in (real, synthetic)]
            out[col] = {"bins": edges.tolist(), "real": counts[0], "synthetic": counts[1]}
        else:
            labels = [str(c) for c in (node.categories or (0, 1))]
            counts = [t[col].astype(str).value_counts().reindex(labels, fill_value=0).tolist()
                      for t in (real, synthetic)]
            out[col] = {"categories": labels, "real": counts[0], "synthetic": counts[1]}
    return out
