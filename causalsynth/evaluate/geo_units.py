"""Within-geo, per-head units of a geo panel, for the causal comparison's fitted GCM.

The rule itself (sizes, nodes per head, :class:`GeoUnits`, :func:`panel_units`) lives in
:mod:`causalsynth.media.geo`, shared with ``fit_mmm`` and the series synthesizer; this module
applies it to both tables of a comparison and describes it for the report.

The geos of a panel differ in size (spend and revenue scale with the number of people in the
geo) and in baselines (each geo's own level of demand or revenue). A causal model fitted to the
raw rows mixes both into its mechanisms: revenue against spend across geos of different sizes is
not one line (so a flexible model is chosen and the ICI runs by Monte Carlo), and the spread of
the geo baselines lands in the noise terms, whose variance then swings with the geos a
bootstrap draws. An MMM analyst fits a panel within geos and per head instead (Meridian scales
each geo by its population; a fixed-effects regression absorbs the baselines). This module puts
a panel into those units (sizes from the outcome, nodes per head, geo means removed: the
rule of :mod:`causalsynth.media.geo`), the same way for the real and the synthetic table.

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
>>> panel_families({"revenue": "additive"}, load_dag("geo_mmm"))
{'revenue': 'linear'}
"""

from __future__ import annotations

import pandas as pd

from causalsynth.dag import DAG
from causalsynth.media.geo import SCALE_SLOPE, GeoUnits, panel_units

__all__ = ["SCALE_SLOPE", "GeoUnits", "describe_units", "panel_families", "panel_units",
           "within_geo"]


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
