"""Within-geo, per-head units of a geo panel, for the causal comparison's fitted GCM.

The geos of a panel differ in size (spend and revenue scale with the number of people in the
geo) and in baselines (each geo's own level of demand or revenue). A causal model fitted to the
raw rows mixes both into its mechanisms: revenue against spend across geos of different sizes is
not one line (so a flexible model is chosen and the ICI runs by Monte Carlo), and the spread of
the geo baselines lands in the noise terms, whose variance then swings with the geos a
bootstrap draws. An MMM analyst fits a panel within geos and per head instead (Meridian scales
each geo by its population; a fixed-effects regression absorbs the baselines). This module puts
a panel into those units, the same way for the real and the synthetic table:

* **size** of a geo: its mean outcome divided by the mean outcome of all rows (so sizes average
  1, and per-head values stay on the scale of an average geo);
* **per head**: a numeric node whose geo means grow with size (the slope of log geo mean on log
  size is above 1/2, read on the real table; e.g. spend and revenue, not demand) is divided by
  its geo's size;
* **within geo**: every numeric node has its geo's mean removed and the mean of all rows added
  back (geo fixed effects partialled out; levels stay those of the panel as a whole). Labels
  (binary, categorical) are kept as they are.

On a panel, every numeric mechanism of the GCM is linear in these units
(:func:`panel_families`): a fixed-effects regression per head, whose slopes are the
within-geo per-head slopes (revenue per head per euro per head, the same number as euro per
euro), the ICI shares split the within-geo variation, and a "+10%" intervention raises each
row's within-geo value by 10% (around the panel's overall level).

A synthetic table without a geo column (e.g. from a row synthesizer) cannot be put into these
units; then both tables are measured as they are (families as chosen), and :func:`within_geo`
says so.

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

from causalsynth.dag import DAG

__all__ = ["SCALE_SLOPE", "GeoUnits", "describe_units", "panel_families", "panel_units",
           "within_geo"]

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


def _geo_means(x: np.ndarray, periods: int) -> np.ndarray:
    return x.reshape(-1, periods).mean(axis=1)


def _sizes(table: pd.DataFrame, dag: DAG, periods: int, outcome: str) -> np.ndarray:
    """Each geo's mean outcome over the mean of all rows; all 1 when the outcome is not a
    positive quantity in every geo (no size can be read from it)."""
    n_geos = len(table) // periods
    if not dag.node(outcome).is_numeric:
        return np.ones(n_geos)
    means = _geo_means(table[outcome].to_numpy(float), periods)
    if not np.all(np.isfinite(means)) or np.any(means <= 0):
        return np.ones(n_geos)
    return means / means.mean()


def _scaled(table: pd.DataFrame, dag: DAG, periods: int, sizes: np.ndarray,
            outcome: str) -> tuple[str, ...]:
    """Numeric nodes whose geo means grow with the geo sizes (log-log slope > SCALE_SLOPE)."""
    log_size = np.log(sizes)
    if np.var(log_size) < 1e-12:
        return ()
    out = []
    for node in dag.nodes:
        if not dag.node(node).is_numeric:
            continue
        means = _geo_means(table[node].to_numpy(float), periods)
        if node != outcome and (np.any(means <= 0) or not np.all(np.isfinite(means))):
            continue
        slope = np.cov(np.log(means), log_size)[0, 1] / np.var(log_size, ddof=1)
        if node == outcome or slope > SCALE_SLOPE:
            out.append(node)
    return tuple(out)


def panel_units(table: pd.DataFrame, dag: DAG, periods: int | None,
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
    sizes = _sizes(table, dag, periods, outcome)
    if scaled is None:
        scaled = _scaled(table, dag, periods, sizes, outcome)
    demeaned = tuple(n for n in dag.nodes if dag.node(n).is_numeric)
    return GeoUnits(periods=int(periods), sizes=sizes, scaled=tuple(scaled),
                    demeaned=demeaned)


def within_geo(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG,
               periods: tuple[int | None, int | None], target: str | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame, dict | None]:
    """Both tables in within-geo, per-head units (one rule, each table's own geos and sizes).

    Returns the two tables and a description for the report's method (None when the real
    table is not a panel: both tables are then returned as they are). The nodes taken per
    head are chosen on the real table. When the synthetic table has no geos (no geo column,
    e.g. from a row synthesizer, or a single series), neither table can be measured within
    geos: both are returned as they are, and the description says so.
    """
    units_r = panel_units(real, dag, periods[0], target=target)
    if units_r is None:
        return real, synthetic, None
    units_s = panel_units(synthetic, dag, periods[1], scaled=units_r.scaled, target=target)
    if units_s is None:  # nothing to measure the synthetic table by: both as they are
        return real, synthetic, describe_units(units_r, None)
    return units_r.apply(real), units_s.apply(synthetic), describe_units(units_r, units_s)


def panel_families(families: dict[str, str], dag: DAG) -> dict[str, str]:
    """The model families of a panel's GCM in these units: linear for every numeric node with
    parents (the fixed-effects regression per head), labels' families as chosen.

    Saturation makes revenue against spend per head bend (splines fit it better by a few
    percent of the loss), yet a flexible revenue mechanism sends the ICI of a carried-over
    panel to plain Monte Carlo, whose intervals are wider than the margins. The linear model
    is the within-geo slope of each input, measured the same way on both tables; the curves
    themselves are compared by the marketing-mix rows (adstock and Hill per channel).

    >>> from causalsynth import load_dag
    >>> panel_families({"revenue": "additive", "events": "logistic"}, load_dag("geo_mmm"))
    {'revenue': 'linear', 'events': 'logistic'}
    """
    return {n: "linear" if dag.node(n).is_numeric else f for n, f in families.items()}


def describe_units(real: GeoUnits, synthetic: GeoUnits | None) -> dict:
    """What the report's method says about the units of the fitted GCM."""
    def sizes(u: GeoUnits | None) -> dict | None:
        return None if u is None else {"geos": u.n_geos, "periods": u.periods,
                                       "min": float(u.sizes.min()), "max": float(u.sizes.max())}

    if synthetic is None:
        return {"within_geo": False,
                "text": "the synthetic table has no geo series (no geo column, or a single "
                        "series), so neither table could be fitted within geos and per head: "
                        "GCM and DML were fitted on the rows as they are (figures mix "
                        "between-geo variation in)",
                "scaled": [], "real_sizes": sizes(real), "synthetic_sizes": None}
    text = ("GCM and DML fitted within geos and per head: each geo's size is its mean "
            "outcome over the panel's mean; nodes scaling with size (" +
            (", ".join(real.scaled) or "none") + ") are divided by it; every numeric node "
            "has its geo mean removed and the panel mean added back; numeric mechanisms are "
            "linear (fixed-effects regressions per head; response curves are compared in the "
            "mmm rows). Effects per unit are within-geo per-head slopes (revenue per head per "
            "unit of spend per head); ICI shares split the within-geo variation; +10% raises "
            "each row's within-geo value by 10%, around the panel mean.")
    return {"within_geo": True, "text": text, "scaled": list(real.scaled),
            "real_sizes": sizes(real), "synthetic_sizes": sizes(synthetic)}
