"""SDMetrics' quality report for wide tables: the same figures, without its per-pair loop.

SDMetrics' ``QualityReport`` scores every pair of columns one at a time (about 15 ms a pair):
19,900 pairs for 200 columns, minutes per table. :func:`wide_quality_report` gives the same
numbers for tables wider than :data:`WIDE_COLUMNS` columns:

- column shapes: SDMetrics' ``ColumnShapes`` property, unchanged (linear in columns);
- pairs of two numerical columns (constant in neither table, no missing value): SDMetrics'
  ``CorrelationSimilarity``, ``1 - |r_real - r_synthetic| / 2`` with Pearson's r, computed
  for all pairs at once from the two correlation matrices (equal to SDMetrics' per-pair figure
  to floating-point noise), with the report's rule that a pair counts only when its real
  correlation exceeds ``QualityReport``'s threshold (0.5);
- every other pair (a label or a boolean involved, a constant column): SDMetrics'
  ``ColumnPairTrends`` on those pairs; above :data:`MAX_OTHER_PAIRS` of them, a sample of that
  many pairs drawn with the seed, and the result says so (``cap``).

The overall score is the mean of the two property scores, as in ``QualityReport``.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MAX_OTHER_PAIRS", "WIDE_COLUMNS", "correlation_pairs", "wide_quality_report"]

#: tables with more columns than this take :func:`wide_quality_report`
WIDE_COLUMNS = 30
#: pairs with a label, a boolean or a constant column scored by SDMetrics at most (sampled)
MAX_OTHER_PAIRS = 400


def correlation_pairs(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str],
                      threshold: float = 0.0) -> pd.DataFrame:
    """SDMetrics' ``CorrelationSimilarity`` (Pearson) of every pair of ``columns``, at once.

    Rows in ``itertools.combinations`` order, with SDMetrics' detail columns. As in SDMetrics,
    a pair whose real correlation is at most ``threshold`` in size has no score and does not
    count (``meets_threshold`` False) when ``threshold`` > 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = pd.DataFrame(rng.normal(size=(100, 3)), columns=list("xyz"))
    >>> b = pd.DataFrame(rng.normal(size=(100, 3)), columns=list("xyz"))
    >>> correlation_pairs(a, b, list("xyz"))[["Column 1", "Column 2"]].values.tolist()
    [['x', 'y'], ['x', 'z'], ['y', 'z']]
    """
    def corr(frame: pd.DataFrame) -> np.ndarray:
        x = frame[columns].to_numpy(dtype=float)
        x = x - x.mean(axis=0)
        x = x / np.linalg.norm(x, axis=0)
        return np.clip(x.T @ x, -1.0, 1.0)

    i, j = np.triu_indices(len(columns), k=1)
    r, s = corr(real)[i, j], corr(synthetic)[i, j]
    meets = np.abs(r) > threshold if threshold > 0 else np.ones(len(r), dtype=bool)
    s = np.where(meets, s, np.nan)
    names = np.asarray(columns, dtype=object)
    return pd.DataFrame({"Column 1": names[i], "Column 2": names[j],
                         "Metric": "CorrelationSimilarity", "Score": 1 - np.abs(r - s) / 2,
                         "Real Correlation": r, "Synthetic Correlation": s,
                         "Real Association": np.nan, "Meets Threshold?": meets})


def _plain_numeric(real: pd.DataFrame, synthetic: pd.DataFrame, meta: dict[str, Any]
                   ) -> list[str]:
    """Numerical columns SDMetrics scores by Pearson's r without an error."""
    out = []
    for c, m in meta["columns"].items():
        if m["sdtype"] != "numerical":
            continue
        a, b = real[c], synthetic[c]
        if a.isna().any() or b.isna().any() or a.nunique() < 2 or b.nunique() < 2:
            continue
        out.append(c)
    return out


def wide_quality_report(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: dict[str, Any],
                        seed: int = 0) -> dict[str, Any]:
    """SDMetrics' quality figures of a wide table (see the module notes).

    Returns the dict of :func:`causalsynth.evaluate.fidelity.quality_report`, plus ``cap``
    (None, or a sentence saying how many pairs were sampled) and ``pairs_scored``.
    """
    from sdmetrics.reports.single_table import QualityReport
    from sdmetrics.reports.single_table._properties import ColumnPairTrends, ColumnShapes

    settings = QualityReport()  # its thresholds and subsample size, as generate() sets them
    shapes_prop = ColumnShapes()
    shapes_prop.num_rows_subsample = settings.num_rows_subsample
    shapes_score = float(shapes_prop.get_score(real, synthetic, metadata))
    columns = list(metadata["columns"])
    numeric = _plain_numeric(real, synthetic, metadata)
    fast = set(combinations(numeric, 2))
    others = [p for p in combinations(columns, 2) if p not in fast]
    cap = None
    if len(others) > MAX_OTHER_PAIRS:
        keep = np.sort(np.random.default_rng(seed).choice(len(others), MAX_OTHER_PAIRS,
                                                         replace=False))
        cap = (f"{MAX_OTHER_PAIRS} of the {len(others):,} column pairs with a label, a boolean "
               f"or a constant column scored by SDMetrics (drawn at random with the seed); "
               f"all {len(fast):,} pairs of numerical columns scored")
        others = [others[k] for k in keep]
    parts = ([correlation_pairs(real, synthetic, numeric, settings.real_correlation_threshold)]
             if len(numeric) > 1 else [])
    if others:
        prop = ColumnPairTrends()
        prop.num_rows_subsample = settings.num_rows_subsample
        prop.real_correlation_threshold = settings.real_correlation_threshold
        prop.real_association_threshold = settings.real_association_threshold
        parts.append(prop._generate_details(real, synthetic, metadata, column_pairs=others))
    order = {p: k for k, p in enumerate(combinations(columns, 2))}
    pairs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["Column 1", "Column 2", "Metric", "Score"])
    pairs["Meets Threshold?"] = pairs["Meets Threshold?"].astype("boolean")
    pairs = pairs.iloc[np.argsort([order[(a, b)] for a, b in zip(
        pairs["Column 1"], pairs["Column 2"], strict=True)], kind="stable")]
    pairs = pairs.reset_index(drop=True)
    contributing = pairs["Meets Threshold?"].fillna(False).astype(bool)
    pair_score = float(pairs.loc[contributing, "Score"].mean())
    snake = lambda df: df.rename(columns=lambda c: c.lower().replace(" ", "_").rstrip("?"))  # noqa: E731
    return {"score": float(np.nanmean([shapes_score, pair_score])),
            "column_shapes": shapes_score, "column_pair_trends": pair_score,
            "shapes_details": snake(shapes_prop.details.copy()),
            "pairs_details": snake(pairs), "cap": cap, "pairs_scored": len(pairs)}
