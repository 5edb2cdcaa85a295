"""The media-mix truth of a time DAG: per channel contribution, ROAS, marginal ROAS and
response curves, from paired runs of the one engine with common random numbers.

For a channel with spend ``x_t`` in the periods of the series and outcome ``y_t``:

* ``roas = (sum_t y_t - sum_t y_t[do(x = 0)]) / sum_t x_t``: the revenue the channel's spend
  brings over the series (carryover inside the series included), per unit spent;
* ``mroas = (sum_t y_t[do(x * 1.01)] - sum_t y_t) / (0.01 sum_t x_t)``: the revenue of one
  more unit, spread like the current spend;
* ``contribution_share``: the channel's contribution (numerator of ``roas``) in percent of the
  sum of the channels' contributions.

Sums run over every row of every series (every geo of a panel), so the ratios are ratios of
expected sums per series (per panel: summed over the geos); ``spend`` is the mean per row.
For ``y_t = b * adstock(x)_t`` (no saturation) ``roas = mroas = b * (1 - sum_s x_s (1 -
W_(T-1-s)) / sum_s x_s)``, ``W_m = w_0 + ... + w_min(m, max_lag)``: exactly ``b`` when the last
``max_lag`` periods of each series have no spend, less when carryover spills past the end.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from causalsynth.scm import Mechanism, propagate

__all__ = ["CURVE_MULTIPLIERS", "channel_truth", "media_channels"]

#: spend multipliers at which the response curves are evaluated
CURVE_MULTIPLIERS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def media_channels(dag, target: str) -> list[str]:
    """Numeric nodes with role ``spend`` that are ancestors of ``target``, in declared order."""
    ancestors = set(dag.ancestors(target))
    return [n.name for n in dag.node_specs
            if n.role == "spend" and n.is_numeric and n.name in ancestors]


def channel_truth(dag, mechanisms: Mapping[str, Mechanism], noise: Mapping[str, np.ndarray],
                  target: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(mmm, response_curves)`` frames for ``target`` (see :class:`~causalsynth.simulation.
    GroundTruth`), every run on the same ``noise`` rows."""

    def run(interventions=None) -> dict[str, np.ndarray]:
        return propagate(dag, mechanisms, noise, interventions, upto=target)

    base = run()
    y0 = float(np.sum(base[target]))
    rows, curves = [], []
    for channel in media_channels(dag, target):
        spend = float(np.sum(base[channel]))
        y_zero = run({channel: 0.0})[target]
        contribution = y0 - float(np.sum(y_zero))
        y_plus = float(np.sum(run({channel: "+1%"})[target]))
        per_unit = 1.0 / spend if spend > 0 else np.nan
        rows.append((channel, spend / len(y_zero), contribution, contribution * per_unit,
                     (y_plus - y0) / 0.01 * per_unit))
        for m in CURVE_MULTIPLIERS:
            y_m = base[target] if m == 1.0 else y_zero if m == 0.0 else run(
                {channel: lambda x, m=m: x * m})[target]
            curves.append((channel, m, m * spend / len(y_zero), float(np.mean(y_m - y_zero))))
    mmm = pd.DataFrame(rows, columns=["channel", "spend", "contribution", "roas", "mroas"])
    total = mmm["contribution"].sum()
    mmm.insert(2, "contribution_share",
               100.0 * mmm["contribution"] / total if total else np.nan)
    mmm = mmm.drop(columns="contribution")
    return mmm, pd.DataFrame(curves, columns=["channel", "multiplier", "spend", "contribution"])
