"""The design of ``fit_mmm``: the outcome, the controls (declared ones and the DAG's time
features) and, per channel, every candidate transform of its spend on the shared grid.

Geo panels are put in units of each geo's size (:func:`causalsynth.media.geo_sizes`) with their
own baselines; the grid search then regresses within geos (:func:`within`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from causalsynth._mmm import media_channels
from causalsynth.data import check_data, series_layout
from causalsynth.errors import DAGError, DataError
from causalsynth.evaluate.mmm_inputs import input_warnings, prune_collinear
from causalsynth.evaluate.mmm_lift import LiftTest, lift_windows
from causalsynth.media import (
    DECAY_GRID,
    DEFAULT_MAX_LAG,
    HALF_GRID,
    SHAPE_GRID,
    adstock,
    geo_sizes,
    hill,
    row_features,
)
from causalsynth.media.time import layout_dates, row_dates

__all__ = ["PRIOR", "Design", "build_design", "prior", "within"]

@dataclass
class Design:
    y: np.ndarray
    controls: np.ndarray            # n x p, intercept first
    control_names: list[str]
    channels: list[str]
    spend: list[np.ndarray]         # observed series per channel
    max_lag: list[int]
    scale: list[float]              # mean weekly spend (half = multiple of it)
    peak: list[float | None]        # declared delayed-adstock peak per channel (None: geometric)
    grid: list[tuple[float, float, float]]  # (decay, half multiple, shape), shared
    bank: list[np.ndarray]          # n x len(grid) transformed columns per channel
    penalty: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per grid point
    periods: int | None = None      # rows per series (a geo panel); None: one series
    weights: np.ndarray | None = None  # per row: the geo's size (y and spend were divided)
    # what the grid search regresses on: y and the controls, or for a panel the same demeaned
    # within each geo (the geo intercepts partialled out, Frisch-Waugh-Lovell; the bank is
    # demeaned alike), so each step projects on a few columns instead of one per geo
    search: tuple[np.ndarray, np.ndarray] | None = None
    time_names: tuple[str, ...] = ()   # the time features among the controls
    warnings: list[str] = field(default_factory=list)
    tests: list[LiftTest] = field(default_factory=list)  # lift tests (mmm_lift)
    # per test, the lift of a unit coefficient at every grid point (tests x grid)
    lift_bank: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def n_weeks(self) -> int:
        return self.periods or len(self.y)

    def total(self, k: int, mult: float = 1.0) -> float:
        """Channel ``k``'s spend over the whole table, in the data's units."""
        return mult * float(np.sum(self.spend[k] * self.weights))

    def column(self, k: int, params: tuple[float, float, float], mult: float | np.ndarray = 1.0
               ) -> np.ndarray:
        decay, half, shape = params
        return hill(adstock(self.spend[k] * mult, decay, self.max_lag[k], self.periods,
                             self.peak[k]), half * self.scale[k], shape)

    def unit_lift(self, j: int, params: tuple[float, float, float]) -> float:
        """Lift test ``j``'s prediction for a unit coefficient of its channel: the revenue
        lost over the table with the channel's spend at 0 in the test's window."""
        test = self.tests[j]
        off = self.column(test.k, params, 1.0 - test.mask)
        return float(np.sum((self.column(test.k, params) - off) * self.weights))


PRIOR = {"half_sd": math.log(2.0), "shape": 1.5, "shape_sd": 0.75}


def prior(half: float, shape: float) -> float:
    """Negative log prior of a saturation: half near the mean spend, shape near 1.5."""
    if not PRIOR:
        return 0.0
    return (0.5 * (math.log(half) / PRIOR["half_sd"]) ** 2
            + 0.5 * ((shape - PRIOR["shape"]) / PRIOR["shape_sd"]) ** 2)


def build_design(table: pd.DataFrame, dag, periods: int | None = None,
                 lift_tests: pd.DataFrame | None = None) -> Design:
    if dag.time is None:
        raise DAGError(f"DAG {dag.name!r} has no 'time' block; fit_mmm needs rows that are "
                       f"consecutive periods: declare time: {{index: week, period: 52}}")
    outcome = dag.outcome
    channels = media_channels(dag, outcome)
    if not channels:
        raise DAGError(f"DAG {dag.name!r} has no numeric spend node among the ancestors of "
                       f"{outcome!r}; a media mix model needs at least one channel")
    # holidays need each row's date: a typed table's recorded ones, or its index column's
    layout, dates = None, row_dates(table) if isinstance(table, pd.DataFrame) else None
    if lift_tests is not None:  # the windows are read in the table's own periods
        layout = series_layout(table, dag, min_periods=2)
    if isinstance(table, pd.DataFrame) and dag.time.index in table.columns:
        table = table.sort_values(dag.time.index, kind="stable")
        if dag.time.country:
            layout = series_layout(table, dag, min_periods=2)
            dates = layout_dates(layout)
        table = table.drop(columns=dag.time.index)
    if periods is None and dag.time.geo is not None:
        periods = series_layout(table, dag).periods
    data = check_data(table, dag)
    n_series = len(data) // periods if periods else 1
    controls = [p for p in dag.parents(outcome)  # parents not driven by spend (no mediator)
                if p not in channels and not set(channels) & set(dag.ancestors(p))]
    controls += [e for e in dag.time.events if e not in controls and e not in channels]
    cols, names = [np.ones(len(data))], ["intercept"]
    y = data[outcome].to_numpy(float)
    problems, notes = input_warnings(data, channels, outcome, periods)
    if problems:
        raise DataError(problems)
    weights = np.ones(len(data))
    if n_series > 1:  # a panel: each geo in units of its size (its mean revenue), own baseline
        weights = np.repeat(geo_sizes(y, periods), periods)
        for g in range(1, n_series):
            cols.append(np.repeat(np.arange(n_series) == g, periods).astype(float))
            names.append(f"geo {g}")
    for c in controls:
        if dag.node(c).type == "categorical":
            for cat in dag.node(c).categories[1:]:
                cols.append((data[c] == cat).to_numpy(float))
                names.append(f"{c}={cat}")
        else:
            cols.append(data[c].to_numpy(float))
            names.append(c)
    time = row_features(dag, len(data), periods if n_series > 1 else None, dates=dates,
                        outcome=y / weights)
    cols, names = prune_collinear([*cols, *time.values.T], [*names, *time.names])
    carry = ((dag.simulation or {}).get(outcome, {}) or {}).get("carryover", {}) or {}
    spend = [data[c].to_numpy(float) / weights for c in channels]
    if any(np.any(x < 0) for x in spend):
        raise DataError("spend columns must be >= 0 for a media mix model")
    lags = [int(carry.get(c, {}).get("max_lag", DEFAULT_MAX_LAG)) for c in channels]
    too_long = [f"{c} (max_lag {lag})" for c, lag in zip(channels, lags, strict=True)
                if lag >= (periods or len(data))]
    if too_long:
        raise DataError(f"carryover reaches back further than the series is long "
                        f"({periods or len(data)} periods): {', '.join(too_long)}; give a longer "
                        f"series or declare a shorter max_lag")
    grid = [(d, h, s) for d in DECAY_GRID for h in HALF_GRID for s in SHAPE_GRID]
    design = Design(y=y / weights, controls=np.column_stack(cols),
                     control_names=names, channels=channels, spend=spend,
                     max_lag=lags,
                     scale=[max(float(np.mean(x)), 1e-12) for x in spend], grid=grid, bank=[],
                     peak=[carry.get(c, {}).get("peak") for c in channels],
                     periods=periods if n_series > 1 else None, weights=weights,
                     time_names=tuple(n for n in time.names if n in names), warnings=notes)
    design.penalty = np.array([prior(h, s_) for _, h, s_ in grid])
    if lift_tests is not None and layout is not None:
        design.tests = lift_windows(lift_tests, channels, layout.index, layout.periods,
                                    layout.n_series, layout.geos)
        design.lift_bank = np.zeros((len(design.tests), len(grid)))
    for k in range(len(channels)):
        bank = np.empty((len(data), len(grid)))
        own = [(j, t) for j, t in enumerate(design.tests) if t.k == k]
        i = 0
        for d in DECAY_GRID:
            z = adstock(spend[k], d, design.max_lag[k], design.periods, design.peak[k])
            offs = [adstock(spend[k] * (1.0 - t.mask), d, design.max_lag[k], design.periods,
                            design.peak[k]) for _, t in own]
            for h in HALF_GRID:
                for s in SHAPE_GRID:
                    bank[:, i] = hill(z, h * design.scale[k], s)
                    for (j, _), off in zip(own, offs, strict=True):  # = design.unit_lift
                        design.lift_bank[j, i] = float(np.sum(
                            (bank[:, i] - hill(off, h * design.scale[k], s)) * weights))
                    i += 1
        design.bank.append(within(bank, design.periods))
    design.search = ((design.y, design.controls) if not design.periods else
                     (within(design.y, periods),
                      within(design.controls[:, n_series:], periods)))  # no geo intercepts
    return design


def within(x: np.ndarray, periods: int | None) -> np.ndarray:
    """``x`` (rows series after series) minus each series' mean; unchanged without series."""
    if not periods:
        return x
    shaped = x.reshape(-1, periods, *x.shape[1:])
    return (shaped - shaped.mean(axis=1, keepdims=True)).reshape(x.shape)
