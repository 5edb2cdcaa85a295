"""The real-data reference: a table's canonical row order and its two halves.

A perfect synthesizer's table is another sample of the real table's population; the two
halves of the real table (:func:`split_half`) are the nearest such pair at hand, so their
comparison (``validate(..., reference=True)``, and the calibration benchmarks) is the
yardstick shown beside each real-vs-synthetic figure (:func:`reference_summary`). Every
split, subsample and bootstrap is drawn from the seed over one canonical row order
(:func:`canonical_rows`), so the same rows in any order give the same report.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from causalsynth._random import as_generator
from causalsynth.dag import DAG
from causalsynth.data import check_data, series_layout
from causalsynth.media.time import keep_dates, row_dates

__all__ = ["canonical_rows", "panel_periods", "reference_summary", "split_half"]


def _text_rank(col: pd.Series) -> np.ndarray:
    """Per row, the rank of its label's text among the column's categories: sorting by it
    sorts by the text, without turning a million labels into strings."""
    rank = np.argsort(np.argsort(np.asarray(col.cat.categories.astype(str))))
    return np.where(col.cat.codes.to_numpy() >= 0, rank[col.cat.codes.to_numpy()], -1)


def canonical_rows(table: pd.DataFrame, dag: DAG) -> pd.DataFrame:
    """The table's rows in one canonical order (sorted by every node), columns in DAG order.

    Every split, subsample and bootstrap is then drawn from the seed over this order, so the
    same rows in any order give the same report. The rows of a time-indexed DAG's table are
    periods in order: their order is the data, so it is kept.
    """
    cols = list(dag.nodes)
    if dag.time is not None:
        return table[cols].reset_index(drop=True)
    # labels sort by their text (codes follow the declared order, which is not the text's)
    keys = [_text_rank(table[c]) if str(table[c].dtype) == "category" else table[c].to_numpy()
            for c in cols]
    order = np.lexsort(list(reversed(keys)))
    return table[cols].iloc[order].reset_index(drop=True)


def panel_periods(table: pd.DataFrame, dag: DAG) -> int | None:
    """Rows per geo of a geo-panel table (read from its geo and index columns), else None."""
    if dag.time is None or dag.time.geo is None or dag.time.geo not in table.columns:
        return None
    return series_layout(table, dag, min_periods=2).periods


def split_half(table: pd.DataFrame, dag: DAG, seed=None, periods: int | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two halves of a real table: the real-data yardstick of a perfect synthesizer.

    Rows are dealt alternately to the halves within strata of the label columns, rarest
    strata first, so a rare level (an event week) lands in both halves where it can and
    neither half is left with a constant column by chance. The rows of a time-indexed table
    are series, so they are dealt in blocks: the geos of a panel (``periods`` rows each)
    alternately, the periods of one series in alternating runs of a quarter (13 weeks of 52;
    shorter runs when a label would otherwise be missing from a half). Both halves then span
    the whole time range (trend and season alike), and carryover is cut only where a run
    ends.
    """
    rng = as_generator(seed)
    if dag.time is not None and dag.time.index in table.columns and row_dates(table) is None:
        table = check_data(table, dag, allow_constant=True)  # typed: the halves keep dates
    table = canonical_rows(table, dag)
    if dag.time is not None:
        return _time_halves(table, dag.time.period, periods)
    labels = [n for n in dag.nodes if not dag.node(n).is_numeric]
    if labels:
        strata = table[labels].astype(str).agg("|".join, axis=1)
        sizes = strata.map(strata.value_counts())
        tie = rng.random(len(table))
        order = np.lexsort((tie, strata.to_numpy(), sizes.to_numpy()))
    else:
        order = rng.permutation(len(table))
    start = int(rng.integers(2))
    side = (np.arange(len(table)) + start) % 2
    a, b = np.sort(order[side == 0]), np.sort(order[side == 1])
    return table.iloc[a].reset_index(drop=True), table.iloc[b].reset_index(drop=True)


def _halves(table: pd.DataFrame, side: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of ``side`` 0 and 1, each keeping its rows' dates (for holidays)."""
    return tuple(keep_dates(table[side == k].reset_index(drop=True), table, side == k)
                 for k in (0, 1))


def _time_halves(table: pd.DataFrame, period: int, periods: int | None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every other geo of a panel; else alternating runs of periods, the first run length of
    a quarter of ``period``, 10, 8, 6, 4, 2 that leaves every varying column varying in both
    halves (a quarter's when none does)."""
    n = len(table)
    if periods and n // periods > 1:  # a panel: every other geo
        return _halves(table, (np.arange(n) // periods) % 2)
    varying = [c for c in table.columns if table[c].nunique() > 1]
    runs = list(dict.fromkeys([max(2, period // 4), 10, 8, 6, 4, 2]))
    for run in runs:
        for start in (0, 1):
            halves = _halves(table, (np.arange(n) // run + start) % 2)
            if all(h[c].nunique() > 1 for h in halves for c in varying):
                return halves
    return _halves(table, (np.arange(n) // runs[0]) % 2)


def reference_summary(section: dict[str, Any]) -> dict[str, Any]:
    """The split-half comparison, reduced to what is shown beside each real-vs-synthetic figure."""
    key = lambda r: f"{r['treatment']}|{r['kind']}|{r['method']}"  # noqa: E731
    return {"verdict": section["verdict"], "n_rows": [section["n_real"], section["n_synthetic"]],
            "reasons": section["reasons"],
            "ici_diff": {r["node"]: r["diff"] for r in section["ici"]},
            "effect_rel_diff": {key(r): r["rel_diff"] for r in section["effects"]},
            "independence_diff": {f"{r['x']}|{r['y']}": r["diff"]
                                  for r in section["independences"]},
            "mmm_diff": {f"{r['channel']}|{r['quantity']}": r["diff"]
                         for r in (section.get("mmm") or {}).get("channels", [])}}
