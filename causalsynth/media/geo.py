"""Units of a geo panel: each geo's size and the nodes that scale with it.

The geos of a panel differ in size (spend and revenue scale with the number of people in the
geo) and in baselines. The one rule, used by ``fit_mmm``, the causal comparison's fitted model
and the series synthesizer alike:

* **size** of a geo: its mean outcome divided by the mean outcome of all rows (sizes average
  1); all 1 when the outcome is not positive in every geo (no size can be read from it);
* **per head**: a numeric node whose geo means grow with size (slope of log geo mean on log
  size above :data:`SCALE_SLOPE`; e.g. spend and revenue, not a demand index) is divided by
  its geo's size;
* **within geo**: every numeric node has its geo's mean removed and the mean of all rows added
  back (geo fixed effects partialled out). Labels are kept as they are.

Examples
--------
>>> from causalsynth import load_dag
>>> from causalsynth.data import check_data
>>> dag = load_dag("geo_mmm")
>>> table = check_data(dag.simulate(40 * 30, seed=0), dag)
>>> units = panel_units(table, dag, periods=30)
>>> units.scaled
('tv_spend', 'search_spend', 'social_spend', 'display_spend', 'revenue')
>>> per_head = units.apply(table)
>>> bool(per_head["revenue"].to_numpy().reshape(40, 30).mean(axis=1).std() < 1e-6)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SCALE_SLOPE", "GeoUnits", "geo_means", "geo_sizes", "panel_units"]

#: a node is taken per head when the slope of its log geo means on log geo sizes exceeds this
#: (1: proportional to size, like spend and revenue; 0: unrelated, like a demand index)
SCALE_SLOPE = 0.5


@dataclass(frozen=True)
class GeoUnits:
    """How one panel table is put into within-geo, per-head units.

    ``periods`` rows per geo (geo after geo), ``sizes`` one per geo (mean 1), ``scaled`` the
    nodes divided by their geo's size, ``demeaned`` the nodes whose geo means are removed.
    """

    periods: int
    sizes: np.ndarray
    scaled: tuple[str, ...]
    demeaned: tuple[str, ...]

    @property
    def n_geos(self) -> int:
        return len(self.sizes)

    def apply(self, table: pd.DataFrame) -> pd.DataFrame:
        """A new table in these units (rows and columns as given; ``table`` is not modified)."""
        out = table.copy()
        rows_size = np.repeat(self.sizes, self.periods)
        for node in self.demeaned:
            x = table[node].to_numpy(float)
            if node in self.scaled:
                x = x / rows_size
            by_geo = x.reshape(self.n_geos, self.periods)
            x = (by_geo - by_geo.mean(axis=1, keepdims=True) + by_geo.mean()).reshape(-1)
            out[node] = x
        return out


def geo_means(x: np.ndarray, periods: int) -> np.ndarray:
    """The mean of each geo's ``periods`` rows (rows geo after geo)."""
    return np.asarray(x, float).reshape(-1, periods).mean(axis=1)


def geo_sizes(outcome: np.ndarray, periods: int) -> np.ndarray:
    """Each geo's mean outcome over the mean of all rows; all 1 when the outcome is not a
    positive quantity in every geo (no size can be read from it).

    >>> geo_sizes(np.array([1.0, 1.0, 3.0, 3.0]), 2).tolist()
    [0.5, 1.5]
    >>> geo_sizes(np.array([-1.0, 1.0, 3.0, 3.0]), 2).tolist()
    [1.0, 1.0]
    """
    means = geo_means(outcome, periods)
    if not np.all(np.isfinite(means)) or np.any(means <= 0):
        return np.ones(len(means))
    return means / means.mean()


def _scaled(table: pd.DataFrame, dag, periods: int, sizes: np.ndarray,
            outcome: str) -> tuple[str, ...]:
    """Numeric nodes whose geo means grow with the geo sizes (log-log slope > SCALE_SLOPE)."""
    log_size = np.log(sizes)
    if np.var(log_size) < 1e-12:
        return ()
    out = []
    for node in dag.nodes:
        if not dag.node(node).is_numeric:
            continue
        means = geo_means(table[node].to_numpy(float), periods)
        if node != outcome and (np.any(means <= 0) or not np.all(np.isfinite(means))):
            continue
        slope = np.cov(np.log(means), log_size)[0, 1] / np.var(log_size, ddof=1)
        if node == outcome or slope > SCALE_SLOPE:
            out.append(node)
    return tuple(out)


def panel_units(table: pd.DataFrame, dag, periods: int | None,
                scaled: tuple[str, ...] | None = None, target: str | None = None
                ) -> GeoUnits | None:
    """The within-geo, per-head units of a panel table, or None when it is not a panel.

    ``table``: typed node columns (:func:`causalsynth.data.check_data`), geo after geo,
    ``periods`` rows per geo; None when the DAG declares no geo column or the table holds
    fewer than two whole geos. ``scaled``: the nodes taken per head (default: read from this
    table; pass the real table's choice for the synthetic one, so both are measured alike).
    Sizes always come from the table's own geos (``target``'s geo means, default the DAG's
    outcome).
    """
    if (dag.time is None or dag.time.geo is None or not periods
            or len(table) % periods or len(table) // periods < 2):
        return None
    outcome = target or dag.outcome
    n_geos = len(table) // periods
    sizes = (geo_sizes(table[outcome].to_numpy(float), periods)
             if dag.node(outcome).is_numeric else np.ones(n_geos))
    if scaled is None:
        scaled = _scaled(table, dag, periods, sizes, outcome)
    demeaned = tuple(n for n in dag.nodes if dag.node(n).is_numeric)
    return GeoUnits(periods=int(periods), sizes=sizes, scaled=tuple(scaled),
                    demeaned=demeaned)
