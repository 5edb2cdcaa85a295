"""A fast marketing mix model for a time-indexed DAG: ``fit_mmm``.

The outcome (revenue) of each week is regressed on the declared controls (the outcome's parents
that are neither spend nor driven by spend: trend, season, demand, events...), the DAG's **time
features** (a linear trend and Fourier terms of the declared period, public holidays of a
declared ``country``, declared event nodes: :mod:`causalsynth.media.time`, the same ones
``check_dag`` conditions on; a table with dates only is fitted like one with trend and season
columns) and, per spend channel among the outcome's ancestors, a carryover then saturation
transform of its spend::

    y_t = a + controls_t b + sum_k c_k hill(adstock(x_k; decay_k)_t; half_k, shape_k) + e_t

``adstock`` is the geometric carryover of :func:`causalsynth.media.adstock` (weights
``decay**l``, ``l = 0..max_lag``, normalised; spend before the first week counted as 0) and
``hill(z) = z**s / (z**s + half**s)``, the same definitions the simulator uses. The transform
parameters are *estimated* by profile least squares: for fixed ``(decay, half, shape)`` the
model is linear, so each candidate is scored by the residual sum of squares of its ordinary
least squares fit. Candidates lie on a grid (decay 0, 0.05, ..., 0.95; half 0.25 to 4 times
the channel's mean spend; shape 1 to 3); channels are updated in turn (coordinate descent,
rounds until no channel moves), each update scoring the whole grid of one channel at once by
the Frisch-Waugh-Lovell identity (the gain of a column ``z`` against residuals ``r`` of the
other regressors is ``(z'r)**2 / z'z``), then a bounded quasi-Newton step refines all
transform parameters jointly from the best grid point. Every candidate has the same number of
parameters, so the in-sample error is the penalised error of any size penalty. Candidates with
a negative media coefficient are excluded (spend does not destroy revenue). An estimate at
the edge of its range (decay at the top of the grid, half-saturation or shape at either end)
is named in the ``at_bound`` column: the data did not settle it inside the range (long
carryover standing in for an unmodelled trend is the usual cause).

Why Hill rather than ``1 - exp(-x / lambda)``: the Hill family contains S-shaped curves
(``shape > 1``) and, at ``shape = 1``, the concave ones; ``1 - exp(-x/lambda)`` is concave
everywhere, so for a channel whose response is S-shaped it overstates the first euros and
biases ROAS (revenue lost at zero spend) upwards. The ROAS estimand extrapolates to zero spend,
where the two families differ most.

From the fitted model, per channel (the definitions of :mod:`causalsynth._mmm`): contribution
share (percent of the media-driven revenue), ROAS (revenue lost with zero spend in every week
per unit spent), mROAS (revenue of +1 % spend in every week per unit of the extra spend),
response curves (multipliers 0 to 2) and the budget split that maximises modelled revenue for
the same total budget. Intervals come from a moving-block bootstrap over weeks
(:mod:`causalsynth.evaluate.resample`): the transformed columns are computed on the whole series,
then blocks of consecutive weeks (rows of the outcome with their own carryover history) are
resampled and the whole model, transform parameters included, is refitted.

Examples
--------
>>> from causalsynth import load_dag
>>> dag = load_dag("weekly_mmm")
>>> fit = fit_mmm(dag.simulate(156, seed=1), dag)
>>> list(fit.channels["channel"])
['tv_spend', 'search_spend', 'social_spend', 'display_spend']
>>> bool(abs(fit.channels["contribution_share"].sum() - 100) < 1e-9)
True
"""

from __future__ import annotations

import math
import time as _clock
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from causalsynth._mmm import CURVE_MULTIPLIERS
from causalsynth._params import MAX_REPLICATES, Interval, check_param, check_size
from causalsynth.dag import load_dag
from causalsynth.evaluate.mmm_design import Design, build_design, prior, within
from causalsynth.evaluate.mmm_lift import Calibration
from causalsynth.evaluate.resample import block_length, resampler
from causalsynth.media import DECAY_GRID, HALF_GRID, SHAPE_GRID

__all__ = ["DECAYS", "HALVES", "MAX_BOOTSTRAP", "MAX_MULTIPLIER", "SHAPES", "MMMFit",
           "fit_mmm"]

#: adstock decays tried for every channel (the media rules' grid)
DECAYS = DECAY_GRID
#: Hill half-saturation points tried, in multiples of the channel's mean weekly spend
HALVES = HALF_GRID
#: Hill shapes tried
SHAPES = SHAPE_GRID
#: the budget split moves each channel between no spend and this multiple of today's
MAX_MULTIPLIER = 3.0
#: most bootstrap refits: the package's size cap on replicates
MAX_BOOTSTRAP = MAX_REPLICATES
#: the range the refinement keeps the shape in (the grid's ends widened)
SHAPE_BOUNDS = (0.8, 3.5)


@dataclass
class MMMFit:
    """A fitted marketing mix model (see :func:`fit_mmm`).

    Attributes
    ----------
    channels : one row per channel: ``channel``, ``spend`` (mean per week), ``decay``,
        ``max_lag``, ``half`` (in spend units), ``shape``, ``coef`` (revenue at full
        saturation), ``contribution_share`` (percent), ``roas``, ``mroas``; with a bootstrap
        also ``<metric>_low`` / ``<metric>_high`` (95 % percentile intervals) for ``roas``,
        ``mroas``, ``contribution_share`` and ``decay``. ``at_bound`` names the transform
        parameters estimated at the edge of their range ("decay", "half, shape"; "" when
        none): such a channel's ROAS rests on a curve the data did not settle.
    budget : one row per channel: current and optimal mean weekly ``spend`` and ``share``
        (percent of the budget), the ``multiplier`` of the observed series and the modelled
        mean weekly ``contribution`` at both.
    budget_gain : modelled revenue gain per week of the optimal split (>= 0).
    response_curves : ``channel, multiplier, spend, contribution`` (mean per week), the
        layout of ``GroundTruth.response_curves``.
    controls : fitted coefficients of the intercept and the controls (declared ones, then
        the time features ``trend``, ``sin1``, ``cos1``, ..., ``holidays`` not already spanned).
    warnings : named problems of the inputs ("sparse_channel: ...", "outlier: ...",
        "nonpositive_outcome: ...") and of the estimates ("at_bound: ...").
    time_features : names of the time features the model conditioned on.
    lift_tests : the lift tests the fit was calibrated by (None without): the given columns,
        then ``test`` (a label), ``predicted`` and ``predicted_uncalibrated`` (the model's lift
        of each test with and without the tests) and ``z`` (``(predicted - lift) / se``).
        ``channels`` then has ``roas_uncalibrated`` beside ``roas``.
    """

    outcome: str
    channels: pd.DataFrame
    budget: pd.DataFrame
    budget_gain: float
    response_curves: pd.DataFrame
    controls: dict[str, float]
    r2: float
    n_weeks: int
    n_bootstrap: int = 0
    block: int | None = None
    seconds: float = 0.0
    bootstrap: pd.DataFrame | None = field(default=None, repr=False)
    warnings: list[str] = field(default_factory=list)
    time_features: tuple[str, ...] = ()
    lift_tests: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {"outcome": self.outcome, "n_weeks": self.n_weeks, "r2": self.r2,
                "n_bootstrap": self.n_bootstrap, "block": self.block,
                "seconds": self.seconds, "controls": dict(self.controls),
                "warnings": list(self.warnings), "time_features": list(self.time_features),
                "lift_tests": (None if self.lift_tests is None else
                               self.lift_tests.astype(object).to_dict(orient="records")),
                "channels": self.channels.to_dict(orient="records"),
                "budget": self.budget.to_dict(orient="records"),
                "budget_gain": self.budget_gain,
                "response_curves": self.response_curves.to_dict(orient="records")}


# ---------------------------------------------------------------------------------------
# Fit
# ---------------------------------------------------------------------------------------
def _basis(m: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of ``m`` (constant or collinear columns dropped)."""
    q, r = np.linalg.qr(m)
    keep = np.abs(np.diag(r)) > 1e-9 * max(1.0, float(np.abs(np.diag(r)).max()))
    return q[:, keep]


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    return coef, float(resid @ resid)


def _stack(design: Design, y: np.ndarray, ctrl: np.ndarray, cols: list[np.ndarray],
           cal: Calibration | None, params) -> tuple[np.ndarray, np.ndarray]:
    """The regression ``(x, y)`` of the weekly rows, with one row per lift test below them
    when calibrating: its weighted measurement against its channel's weighted unit lift at
    ``params``."""
    if cal is None:
        return np.column_stack([ctrl, *cols]), y
    m = len(cal.tests)
    unit = np.array([design.unit_lift(j, params[t.k]) for j, t in enumerate(cal.tests)])
    extra = [cal.rows(k, unit)[:, None] for k in range(len(cols))]
    x = np.vstack([np.column_stack([ctrl, *cols]),
                   np.column_stack([np.zeros((m, ctrl.shape[1])), *extra])])
    return x, np.concatenate([y, cal.target()])


def _cd(design: Design, rows: np.ndarray, start: list[int], rounds: int = 6,
        cal: Calibration | None = None) -> list[int]:
    """Grid index per channel by coordinate descent on the profile residual sum of squares
    (lift tests, when given, as weighted rows below the weeks)."""
    y, ctrl = design.search[0][rows], design.search[1][rows]
    banks = [b[rows] for b in design.bank]
    weeks = len(y)  # the residual variance is the weeks' (a test's row weighs sigma / se)
    if cal is not None:
        m = len(cal.tests)
        y = np.concatenate([y, cal.target()])
        ctrl = np.vstack([ctrl, np.zeros((m, ctrl.shape[1]))])
        banks = [np.vstack([b, cal.rows(k, design.lift_bank)]) for k, b in enumerate(banks)]
    choice = list(start)
    for _ in range(rounds):
        moved = False
        for k in range(len(banks)):
            others = [ctrl] + [banks[j][:, [choice[j]]] for j in range(len(banks)) if j != k]
            q = _basis(np.column_stack(others))
            r = y - q @ (q.T @ y)
            z = banks[k] - q @ (q.T @ banks[k])
            zz, zr = np.einsum("ij,ij->j", z, z), z.T @ r
            gain = np.where((zr > 0) & (zz > 1e-10), zr**2 / np.maximum(zz, 1e-300), -np.inf)
            gain = gain - 2.0 * float(r @ r) / max(weeks - q.shape[1] - 1, 1) * design.penalty
            best = int(np.argmax(gain))
            if np.isfinite(gain[best]) and best != choice[k]:
                choice[k], moved = best, True
        if not moved:
            break
    return choice


def _refine(design: Design, rows: np.ndarray, params: list[tuple[float, float, float]],
            cal: Calibration | None = None) -> list[tuple[float, float, float]]:
    """Joint bounded refinement of the grid point (decay, log half, shape per channel)."""
    y, ctrl = design.search[0][rows], design.search[1][rows]
    k = len(params)

    def column(i: int, p: tuple[float, float, float]) -> np.ndarray:
        return within(design.column(i, p), design.periods)[rows]

    def unpack(v: np.ndarray) -> list[tuple[float, float, float]]:
        return [(v[3 * i], math.exp(v[3 * i + 1]), v[3 * i + 2]) for i in range(k)]

    def rss(v: np.ndarray) -> float:
        ps = unpack(v)
        value = _ols(*_stack(design, y, ctrl, [column(i, p) for i, p in enumerate(ps)], cal,
                             ps))[1]
        return value + 2.0 * sigma2 * sum(prior(h, s) for _, h, s in ps)

    x0, y0 = _stack(design, y, ctrl, [column(i, p) for i, p in enumerate(params)], cal, params)
    sigma2 = _ols(x0, y0)[1] / max(len(y) - x0.shape[1], 1)
    v0 = np.array([x for d, h, s in params for x in (d, math.log(h), s)])
    bounds = [b for _ in range(k) for b in ((0.0, 0.95), (math.log(HALVES[0]),
                                                          math.log(HALVES[-1])), SHAPE_BOUNDS)]
    f0 = rss(v0)
    res = optimize.minimize(rss, v0, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": 60, "eps": 1e-4})
    if not res.fun < f0:
        return params
    new = unpack(res.x)
    coef, _ = _ols(*_stack(design, y, ctrl, [column(i, p) for i, p in enumerate(new)], cal,
                           new))
    return new if np.all(coef[-k:] >= 0) else params


def _estimate(design: Design, rows: np.ndarray, start: list[int], refine: bool = True,
              cal: Calibration | None = None
              ) -> tuple[list[tuple[float, float, float]], np.ndarray]:
    choice = _cd(design, rows, start, cal=cal)
    params = [design.grid[i] for i in choice]
    if refine:
        params = _refine(design, rows, params, cal)
    cols = [design.column(i, p)[rows] for i, p in enumerate(params)]
    coef, _ = _ols(*_stack(design, design.y[rows], design.controls[rows], cols, cal, params))
    return params, coef


def _contribution(design: Design, k: int, params, coef: float, mult: float) -> float:
    """Modelled revenue of channel ``k`` over the table with its spend times ``mult`` (each
    geo's rows scaled back by its size)."""
    return coef * float(np.sum(design.column(k, params, mult) * design.weights))


def _metrics(design: Design, params, coefs: np.ndarray) -> pd.DataFrame:
    rows = []
    for k, (p, c) in enumerate(zip(params, coefs, strict=True)):
        total = design.total(k)
        base = _contribution(design, k, p, c, 1.0)
        plus = _contribution(design, k, p, c, 1.01)
        per = 1.0 / total if total > 0 else np.nan
        rows.append({"channel": design.channels[k], "spend": total / design.n_weeks,
                     "decay": p[0], "max_lag": design.max_lag[k],
                     "half": p[1] * design.scale[k], "shape": p[2], "coef": float(c),
                     "contribution": base, "roas": base * per,
                     "mroas": (plus - base) / 0.01 * per})
    out = pd.DataFrame(rows)
    total = out["contribution"].sum()
    out.insert(out.columns.get_loc("roas"), "contribution_share",
               100.0 * out["contribution"] / total if total > 0 else np.nan)
    return out.drop(columns="contribution")


def _budget(design: Design, params, coefs: np.ndarray) -> tuple[pd.DataFrame, float]:
    """Optimal split of the same total budget: multipliers of each observed series."""
    n, k = design.n_weeks, len(params)
    totals = np.array([design.total(i) for i in range(k)])
    budget = float(totals.sum())

    def revenue(m: np.ndarray) -> float:
        return sum(_contribution(design, i, params[i], coefs[i], m[i]) for i in range(k))

    active = totals > 0
    m_now = np.ones(k)
    best = m_now
    if active.sum() > 1:
        res = optimize.minimize(
            lambda m: -revenue(m) / budget, m_now, method="SLSQP",
            bounds=[(0.0, MAX_MULTIPLIER) if a else (1.0, 1.0) for a in active],
            constraints=[{"type": "eq", "fun": lambda m: (m @ totals - budget) / budget}],
            options={"maxiter": 200, "ftol": 1e-12})
        m = np.clip(res.x, 0.0, MAX_MULTIPLIER)
        m = m * budget / float(m @ totals)  # exactly the same total
        if np.all(m <= MAX_MULTIPLIER + 1e-9) and revenue(m) > revenue(m_now):
            best = m
    now = [_contribution(design, i, params[i], coefs[i], 1.0) / n for i in range(k)]
    opt = [_contribution(design, i, params[i], coefs[i], best[i]) / n for i in range(k)]
    frame = pd.DataFrame({
        "channel": design.channels, "spend": totals / n, "share": 100 * totals / budget,
        "optimal_spend": best * totals / n, "optimal_share": 100 * best * totals / budget,
        "multiplier": best, "contribution": now, "optimal_contribution": opt})
    return frame, float(sum(opt) - sum(now))


def _curves(design: Design, params, coefs: np.ndarray) -> pd.DataFrame:
    n = design.n_weeks
    return pd.DataFrame(
        [(ch, m, design.total(k, m) / n,
          _contribution(design, k, params[k], coefs[k], m) / n)
         for k, ch in enumerate(design.channels) for m in CURVE_MULTIPLIERS],
        columns=["channel", "multiplier", "spend", "contribution"])


def _at_bound(params: tuple[float, float, float], refine: bool) -> str:
    """The transform parameters of a channel at the edge of their range ("" when none): the
    decay at the top of the grid, the half-saturation at either end, the shape at either end
    of the refinement's range (without refinement only at the top: shape 1 is the concave
    curve, a common answer, not an edge the data pressed against)."""
    decay, half, shape = params
    low, high = SHAPE_BOUNDS if refine else (-math.inf, SHAPES[-1])
    hits = [name for name, hit in (
        ("decay", decay >= DECAYS[-1] - 1e-6),
        ("half", half <= HALVES[0] * (1 + 1e-6) or half >= HALVES[-1] * (1 - 1e-6)),
        ("shape", shape <= low + 1e-6 or shape >= high - 1e-6)) if hit]
    return ", ".join(hits)


def _calibration(design: Design, params, coef: np.ndarray) -> Calibration:
    """The lift tests weighted against the weeks: ``sigma / se``, ``sigma`` the residual
    standard deviation of the uncalibrated fit (degrees of freedom: the controls and four per
    channel, its coefficient and three curve parameters)."""
    x = np.column_stack([design.controls, *[design.column(k, q) for k, q in enumerate(params)]])
    resid = design.y - x @ coef  # on a panel in units of each geo's size, as regressed
    df = max(len(resid) - design.controls.shape[1] - 4 * len(params), 1)
    sigma = math.sqrt(float(resid @ resid) / df)
    se = np.array([t.se for t in design.tests])
    return Calibration(design.tests, np.array([t.lift for t in design.tests]), sigma / se)


def _lift_record(design: Design, frame: pd.DataFrame, params, media: np.ndarray,
                 uncalibrated) -> tuple[pd.DataFrame, list[str]]:
    """The lift tests used, with the model's ``predicted`` lift of each with and without
    them; and the notes: a window without spend, a measurement the fit cannot meet."""
    p = design.controls.shape[1]
    rows, notes = [], []
    for j, t in enumerate(design.tests):
        pred = float(media[t.k]) * design.unit_lift(j, params[t.k])
        pred_u = float(uncalibrated[1][p + t.k]) * design.unit_lift(j, uncalibrated[0][t.k])
        rows.append({"test": t.label, "channel": t.channel, "lift": t.lift, "se": t.se,
                     "predicted": pred, "predicted_uncalibrated": pred_u,
                     "z": (pred - t.lift) / t.se})
        if not np.any(design.spend[t.k][t.mask] > 0):
            notes.append(f"lift_test: {t.label} has no {t.channel} spend in its window; it "
                         f"cannot inform the channel's curve (check the window)")
        elif abs(pred - t.lift) > 3 * t.se:
            notes.append(f"lift_test: {t.label} measured {t.lift:.4g} +/- {t.se:.3g} but the "
                         f"calibrated model predicts {pred:.4g} ({(pred - t.lift) / t.se:+.1f} "
                         f"se): the weeks and the experiment disagree (window, units or a "
                         f"confounded channel?)")
    record = frame.reset_index(drop=True).copy()
    out = pd.DataFrame(rows)
    record[["test", "predicted", "predicted_uncalibrated", "z"]] = out[
        ["test", "predicted", "predicted_uncalibrated", "z"]]
    return record, notes


def fit_mmm(table: pd.DataFrame, dag, seed: int = 0, *, n_bootstrap: int = 0,
            block: int | None = None, refine: bool = True,
            n_resample: int | None = None, periods: int | None = None,
            lift_tests: pd.DataFrame | None = None) -> MMMFit:
    """Fit a marketing mix model to the weekly ``table`` of the time-indexed ``dag``.

    Parameters
    ----------
    table : one row per period, in time order (or with the DAG's time index column, then
        sorted by it); the DAG's nodes as columns, checked by
        :func:`causalsynth.data.check_data`.
    dag : a DAG with a ``time`` block and at least one spend node among the outcome's
        ancestors. ``max_lag`` per channel comes from the carryover declared in its simulation
        block, else :data:`DEFAULT_MAX_LAG`.
    seed : seed of the bootstrap.
    n_bootstrap : number of moving-block bootstrap refits (0: no intervals; at most
        :data:`MAX_BOOTSTRAP`).
    block : block length in periods (default: 10, at most a quarter of the series).
    refine : refine the grid estimate jointly by bounded quasi-Newton steps.
    n_resample : periods per bootstrap replicate (default: the series' length); a synthetic
        series is resampled at the real series' length, so it claims no more certainty than
        the real table behind it.
    lift_tests : experiments that calibrate the fit (see :mod:`causalsynth.evaluate.mmm_lift`):
        one row per test with ``channel``, ``start``, ``end`` (the window, in the table's time
        index), the measured incremental revenue ``lift`` and its standard error ``se``
        (``geo`` optional on a panel). Each adds the residual ``(predicted - lift) / se`` to
        the weeks' residuals divided by their standard deviation; the bootstrap redraws each
        measurement within its ``se`` (from a stream of its own: the same ``seed`` resamples
        the same weeks with and without tests). ``channels`` then gains ``roas_uncalibrated``
        (the fit without them) and ``MMMFit.lift_tests`` the measured and predicted lifts.

    Returns
    -------
    MMMFit

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("weekly_mmm")
    >>> fit = fit_mmm(dag.simulate(156, seed=1), dag, n_bootstrap=3)
    >>> bool(np.isclose(fit.budget["optimal_spend"].sum(), fit.budget["spend"].sum()))
    True
    >>> {"roas_low", "roas_high"} <= set(fit.channels.columns)
    True
    """
    check_size("n_bootstrap", n_bootstrap, owner="fit_mmm", replicates=True, low=0)
    check_param("block", block, [Interval(int, 1, None), None], owner="fit_mmm")
    check_param("n_resample", n_resample, [Interval(int, 1, None), None], owner="fit_mmm")
    start_time = _clock.perf_counter()
    dag = load_dag(dag)
    design = build_design(table, dag, periods, lift_tests)
    n = len(design.y)
    everything = np.arange(n)
    start = [design.grid.index((0.5, 1.0, 1.5))] * len(design.channels)
    params, coef = _estimate(design, everything, start, refine)
    p = design.controls.shape[1]
    cal, uncalibrated = None, None
    if design.tests:
        uncalibrated = (params, coef)
        cal = _calibration(design, params, coef)
        params, coef = _estimate(design, everything, start, refine, cal)
    media = coef[p:]
    channels = _metrics(design, params, media)
    if uncalibrated is not None:
        channels.insert(channels.columns.get_loc("roas") + 1, "roas_uncalibrated",
                        _metrics(design, uncalibrated[0], uncalibrated[1][p:])["roas"])
    channels.insert(channels.columns.get_loc("coef"), "at_bound",
                    [_at_bound(q, refine) for q in params])
    notes = list(design.warnings) + [
        f"at_bound: {c}'s {b} at the edge of its range; its ROAS rests on a curve the data did "
        f"not settle (check for an unmodelled trend, season or event)"
        for c, b in zip(channels["channel"], channels["at_bound"], strict=True) if b]
    tests = None
    if cal is not None:
        tests, lift_notes = _lift_record(design, lift_tests, params, media, uncalibrated)
        notes += lift_notes
    fitted = np.column_stack([design.controls, *[design.column(k, q) for k, q in
                                                 enumerate(params)]]) @ coef
    r2 = 1.0 - float(np.sum((design.y - fitted) ** 2)) / float(
        np.sum((design.y - design.y.mean()) ** 2))
    budget, gain = _budget(design, params, media)
    boot = None
    block = int(block or block_length(n))
    if n_bootstrap:
        rng = np.random.default_rng(seed)
        grid_start = [design.grid.index(min(design.grid, key=lambda g, q=q: (
            abs(g[0] - q[0]), abs(math.log(g[1] / q[1])), abs(g[2] - q[2]))))
            for q in params]
        draw = resampler(dag, design.periods, block)  # moving blocks, or whole geos
        # the tests are redrawn from a stream of their own: a seed resamples the same weeks
        # with and without them, so the two fits' intervals are a paired comparison
        redraw = rng.spawn(1)[0]
        draws = []
        for b in range(n_bootstrap):
            rows = draw(n, n_resample or n, rng)
            bp, bc = _estimate(design, rows, grid_start, refine=False,
                               cal=cal.redraw(redraw) if cal is not None else None)
            m = _metrics(design, bp, bc[p:])
            m["optimal_share"] = _budget(design, bp, bc[p:])[0]["optimal_share"].to_numpy()
            m["draw"] = b
            draws.append(m)
        boot = pd.concat(draws, ignore_index=True)
        for metric in ("roas", "mroas", "contribution_share", "decay"):
            q = boot.groupby("channel", sort=False)[metric].quantile([0.025, 0.975]).unstack()
            channels[f"{metric}_low"] = q.loc[channels["channel"], 0.025].to_numpy()
            channels[f"{metric}_high"] = q.loc[channels["channel"], 0.975].to_numpy()
    return MMMFit(outcome=dag.outcome, channels=channels, budget=budget, budget_gain=gain,
                  response_curves=_curves(design, params, media),
                  controls=dict(zip(design.control_names, map(float, coef[:p]), strict=True)),
                  r2=r2,
                  n_weeks=design.n_weeks, n_bootstrap=n_bootstrap,
                  block=block if n_bootstrap and not design.periods else None,
                  seconds=_clock.perf_counter() - start_time, bootstrap=boot, warnings=notes,
                  time_features=design.time_names, lift_tests=tests)
