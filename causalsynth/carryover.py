"""Carryover (adstock) of spend inside the fitted causal model of a time-indexed table.

In a DAG that declares ``time``, this week's revenue answers to this week's spend *and* to the
spend of the weeks before: a child of a spend node depends on the parent's adstocked series
``z_t = sum_l w_l x_(t-l)`` (geometric weights ``decay**l``, normalised; see
:func:`causalsynth.media.adstock`), not on ``x_t`` alone. :func:`estimate_carryover` estimates
each such edge's decay from the table by profile least squares: for fixed decays the child is
linear in its parents, so each candidate decay (0, 0.05, ..., 0.95) is scored by the residual
sum of squares of the child's least-squares fit on the adstocked spend, its other parents and
the DAG's time features (trend, season, holidays:
:func:`causalsynth.media.time.table_features`, so a table with dates only is read like one
with trend and season columns), channels updated in
turn until none moves. It runs on the real and on the synthetic table
alike, so a synthetic table that loses the carryover shows it. The maximum lag of an edge (and
the peak of a delayed adstock) is the one declared in the DAG's simulation block, else 8
periods (two months of weeks), geometric.

The resulting :class:`Carryover` holds the decays and the adstocked columns computed on the
whole series: bootstrap replicates resample rows of those columns (:meth:`Carryover.take`),
so each replicate's rows keep their own carryover history, as in
:func:`causalsynth.evaluate.mmm.fit_mmm`.

Examples
--------
>>> from causalsynth import load_dag
>>> dag = load_dag("weekly_mmm")
>>> carry = estimate_carryover(dag.simulate(156, seed=1), dag)
>>> sorted(carry.decays["revenue"])
['display_spend', 'search_spend', 'social_spend', 'tv_spend']
>>> carry.decays["revenue"]["tv_spend"] > carry.decays["revenue"]["search_spend"]
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from causalsynth.media import DECAY_GRID, DEFAULT_MAX_LAG, adstock
from causalsynth.media.time import table_features

__all__ = ["DECAY_GRID", "DEFAULT_MAX_LAG", "Carryover", "carryover_edges",
           "estimate_carryover"]


@dataclass
class Carryover:
    """Estimated carryover of a table: ``decays[child][parent]``, ``max_lags`` alike, and the
    adstocked parent columns ``columns[(child, parent)]`` aligned with the table's rows.

    ``designs`` keeps, per child, what the decays were chosen from (the child's values, its
    other parents and every candidate's adstocked column, all computed on the whole series),
    so :meth:`take` re-estimates the decays on a bootstrap replicate's rows."""

    decays: dict[str, dict[str, float]]
    max_lags: dict[str, dict[str, int]]
    periods: int | None = None
    peaks: dict[str, dict[str, float | None]] = field(default_factory=dict)
    columns: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)
    designs: dict[str, tuple] = field(default_factory=dict, repr=False)

    def transform(self, child: str, parents: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``parents`` with the carried ones replaced by their adstocked series (rows in time
        order; series of ``periods`` rows when that divides the rows, else one series)."""
        edges = self.decays.get(child)
        if not edges:
            return parents
        out = dict(parents)
        for p, decay in edges.items():
            x = np.asarray(parents[p], float)
            periods = self.periods if self.periods and len(x) % self.periods == 0 else None
            out[p] = adstock(x, decay, self.max_lags[child][p], periods, self.peak(child, p))
        return out

    def peak(self, child: str, parent: str) -> float | None:
        """The declared delayed-adstock peak of an edge (None: geometric)."""
        return self.peaks.get(child, {}).get(parent)

    def take(self, idx: np.ndarray) -> Carryover:
        """The carryover of the table's rows ``idx`` (a bootstrap replicate): decays chosen
        again on those rows, from columns adstocked on the whole series."""
        decays, columns = {}, {}
        for child, (y, fixed, bank) in self.designs.items():
            decays[child] = _choose(y[idx], fixed[idx], {p: b[idx] for p, b in bank.items()})
            for p, d in decays[child].items():
                columns[(child, p)] = bank[p][idx, DECAY_GRID.index(d)]
        return Carryover(decays, self.max_lags, None, self.peaks, columns)


def carryover_edges(dag) -> dict[str, list[str]]:
    """Per child, its numeric spend parents (the edges that carry over), for a time DAG."""
    if dag.time is None:
        return {}
    spend = {n.name for n in dag.node_specs if n.role == "spend" and n.is_numeric}
    out = {}
    for child in dag.nodes:
        if not dag.node(child).is_numeric:
            continue
        carried = [p for p in dag.parents(child) if p in spend]
        if carried:
            out[child] = carried
    return out


def _declared(dag, child: str, parent: str) -> dict:
    block = ((dag.simulation or {}).get(child) or {}).get("carryover") or {}
    return block.get(parent) or {}


def _rss(x: np.ndarray, y: np.ndarray) -> float:
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    r = y - x @ coef
    return float(r @ r)


def _choose(y: np.ndarray, fixed: np.ndarray, bank: dict[str, np.ndarray], rounds: int = 4
            ) -> dict[str, float]:
    """Coordinate descent over the decay grid, one carried parent at a time."""
    choice = dict.fromkeys(bank, DECAY_GRID.index(0.5))
    for _ in range(rounds):
        moved = False
        for p in bank:
            rest = [bank[q][:, choice[q]] for q in bank if q != p]
            best = min(range(len(DECAY_GRID)), key=lambda i, p=p, rest=rest: _rss(
                np.column_stack([fixed, *rest, bank[p][:, i]]), y))
            moved |= best != choice[p]
            choice[p] = best
        if not moved:
            break
    return {p: DECAY_GRID[i] for p, i in choice.items()}


def _fixed_columns(data: pd.DataFrame, dag, parents: list[str], time: np.ndarray
                   ) -> np.ndarray:
    cols = [np.ones(len(data)), *time.T]
    for p in parents:
        if dag.node(p).is_numeric:
            cols.append(data[p].to_numpy(float))
        else:
            cols += list(pd.get_dummies(data[p], drop_first=True, dtype=float).to_numpy().T)
    return np.column_stack(cols)


def estimate_carryover(data: pd.DataFrame, dag, periods: int | None = None) -> Carryover:
    """Decay of every spend -> child edge of a time DAG, by profile least squares.

    ``data``: typed node columns (:func:`causalsynth.data.check_data`), rows in time order,
    ``periods`` rows per series (a geo panel; default one series).
    """
    decays: dict[str, dict[str, float]] = {}
    lags: dict[str, dict[str, int]] = {}
    peaks: dict[str, dict[str, float | None]] = {}
    columns: dict[tuple[str, str], np.ndarray] = {}
    designs: dict[str, tuple] = {}
    edges = carryover_edges(dag)
    time = np.zeros((len(data), 0))
    if edges:
        time = table_features(data, dag, periods).values
    for child, carried in edges.items():
        y = data[child].to_numpy(float)
        fixed = _fixed_columns(data, dag, [p for p in dag.parents(child) if p not in carried],
                               time)
        lags[child] = {p: int(_declared(dag, child, p).get("max_lag", DEFAULT_MAX_LAG))
                       for p in carried}
        peaks[child] = {p: _declared(dag, child, p).get("peak") for p in carried}
        bank = {p: np.column_stack([adstock(data[p].to_numpy(float), d, lags[child][p],
                                            periods, peaks[child][p]) for d in DECAY_GRID])
                for p in carried}
        decays[child] = _choose(y, fixed, bank)
        designs[child] = (y, fixed, bank)
        for p, d in decays[child].items():
            columns[(child, p)] = bank[p][:, DECAY_GRID.index(d)]
    return Carryover(decays, lags, periods, peaks, columns, designs)
