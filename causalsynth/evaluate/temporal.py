"""Temporal fidelity of a synthetic weekly series or geo panel: does it move like the real one?

Column shapes and pair trends see rows one by one: a table whose weeks are shuffled scores as
well as the real one. On a time-indexed DAG four figures compare how columns move, real
against synthetic, each within every series (one per geo) and averaged over the series:
:func:`autocorrelation_diff` (every numeric column, lags 1..8: trend, season, carryover),
:func:`cross_correlation_diff` (each spend against the outcome 0..8 periods later, spend
leading: the footprint of carryover), :func:`seasonal_share_diff` (variance at the declared
period's first harmonics) and :func:`zero_run_diff` (runs of zero spend: flighting).
:func:`temporal_fidelity` runs all four and adds JSON-ready headline numbers, and, for the
report's plots, the power spectrum of the outcome and each spend (:func:`spectrum_diff`, with
the power at the declared period's harmonics, :func:`seasonal_power_diff`) and the lengths of
the zero-spend runs (:func:`zero_run_length_diff`): aggregates only, never a row.

Tables are typed tables of :func:`causalsynth.data.check_data` (node columns, rows series
after series in time order); ``periods`` gives the rows per series of the real and the
synthetic table (None: one series). A table that still carries the DAG's index or geo column
(as a synthesizer that emits whole series writes it) is put in that order here, and without
``periods`` its rows per geo are read from the geo column. Correlations use the biased
estimator (overlap sums over the full length), in [-1, 1]. Their sampling noise is large
on one series: against one weekly_mmm series of 156 weeks, 20 fresh series of the same
process differ by 0.27 (median; at most 0.38) in autocorrelation at lags 1-4, so "within
0.1" cannot be met there even by a perfect synthesizer; averaged over geo_mmm's 40 geos a
fresh panel differs by 0.03-0.04.

References
----------
Box, Jenkins, Reinsel, Ljung. "Time Series Analysis: Forecasting and Control", 5th ed., 2015.

Examples
--------
>>> from causalsynth import load_dag; from causalsynth.data import check_data
>>> dag = load_dag("weekly_mmm"); real = check_data(dag.simulate(156, seed=0), dag)
>>> fresh = check_data(dag.simulate(156, seed=1), dag)
>>> out = temporal_fidelity(real, fresh, dag)
>>> round(out["headline"]["max_abs_acf_diff_lags_1_4"], 2), out["headline"]["acf_target_met"]
(0.27, False)
>>> out["headline"]["max_abs_acf_diff_lags_1_4_at"]
{'column': 'social_spend', 'lag': 1}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from causalsynth._params import Interval, check_param
from causalsynth._time_columns import check_time_columns
from causalsynth.errors import DAGError, DataError
from causalsynth.evaluate._spectrum import (
    binned_spectrum,
    frequency_edges,
    relative_power,
    run_length_counts,
)
from causalsynth.evaluate.metric import jsonable
from causalsynth.media.time import FourierSeason, LinearTrend

__all__ = ["ACF_TARGET", "MAX_LAG", "MAX_RUN", "SPECTRUM_POINTS", "autocorrelation_diff",
           "cross_correlation_diff", "seasonal_power_diff", "seasonal_share_diff",
           "spectrum_diff", "temporal_fidelity", "zero_run_diff", "zero_run_length_diff"]

#: largest lag compared (about two months of weeks: media carryover rarely lasts longer)
MAX_LAG = 8
#: the target of the series issue: autocorrelation at lags 1-4 within this of the real series
ACF_TARGET = 0.1
#: most points of a reported spectrum (1 / period to 0.5 cycles per period, log-spaced bins)
SPECTRUM_POINTS = 40
#: zero-spend runs are counted by length 1..MAX_RUN, the last counting runs at least that long
MAX_RUN = 8
#: significant digits of the spectrum figures embedded in a report
_DIGITS = 4


def _in_series_order(table: pd.DataFrame, dag, periods: int | None, what: str,
                     min_periods: int) -> tuple[pd.DataFrame, int | None]:
    """A table that still carries the DAG's index or geo column, rows series after series
    (as check_data orders them), with the rows per geo read from the geo column."""
    axis, columns = dag.time, {str(c) for c in table.columns}
    if axis.index not in columns and (axis.geo is None or axis.geo not in columns):
        return table, periods
    order, layout, problems = check_time_columns(table, axis, min_periods)
    if problems:
        raise DataError([f"the {what} table: {p}" for p in problems])
    if layout.n_series == 1:
        return table.iloc[order], periods
    if periods not in (None, layout.periods):
        raise DataError(f"the {what} table's geo column {axis.geo!r} gives {layout.periods} "
                        f"periods per geo, but periods={periods} was passed; pass "
                        f"periods=None to read it from the geo column")
    return table.iloc[order], layout.periods


def _series(table: pd.DataFrame, dag, periods: int | None, what: str,
            columns: list[str], min_periods: int) -> dict[str, np.ndarray]:
    """Each column as an array (series, periods), after checking the table fits."""
    if dag.time is None:
        raise DAGError(f"DAG {dag.name!r} declares no 'time' block, so its rows are independent "
                       f"and have no temporal fidelity; declare time: {{index: week, period: 52}}")
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"the {what} table must be a DataFrame; got {type(table).__name__}")
    check_param("periods", periods, [Interval(int, min_periods, None), None],
                owner="temporal fidelity", hint=f"rows per series of the {what} table")
    table, periods = _in_series_order(table, dag, periods, what, min_periods)
    problems = []
    missing = [c for c in columns if c not in table.columns]
    if missing:
        problems.append(f"column(s) {missing} of DAG {dag.name!r} are missing from the {what} "
                        f"table; pass the typed table of causalsynth.data.check_data")
    n = len(table)
    periods = n if periods is None else periods
    if n < min_periods or n % periods:
        problems.append(f"the {what} table has {n} rows, which is not a whole number of series "
                        f"of {periods} periods (at least {min_periods}); pass periods= the rows "
                        f"per geo, or a table of whole series")
    if problems:
        raise DataError(problems)
    out = {}
    for c in columns:
        x = pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(x).all():
            raise DataError(f"column {c!r} of the {what} table holds missing, infinite or "
                            f"non-numeric values; pass the typed table of check_data")
        out[c] = x.reshape(n // periods, periods)
    return out


def _numeric(dag) -> list[str]:  # continuous, count and binary (as 0/1) nodes
    return [n for n in dag.nodes if dag.node(n).is_numeric or dag.node(n).type == "binary"]


def _spends(dag) -> list[str]:
    return [n.name for n in dag.node_specs if n.role == "spend" and n.is_numeric]


def _xcorr(x: np.ndarray, y: np.ndarray, lags: range) -> np.ndarray:
    """Mean over series of corr(x_t, y_{t+k}) for each lag k (biased estimator; NaN when a
    series is constant; the mean skips those)."""
    xc, yc, t = x - x.mean(axis=1, keepdims=True), y - y.mean(axis=1, keepdims=True), x.shape[1]
    scale = np.sqrt((xc ** 2).sum(axis=1) * (yc ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        per = np.stack([(xc[:, :t - k] * yc[:, k:]).sum(axis=1) / scale for k in lags], axis=1)
    per[~np.isfinite(per)] = np.nan
    if np.isnan(per).all(axis=0).any():
        return np.full(len(lags), np.nan)
    return np.nanmean(per, axis=0)


def _rows(name: str, key: str, keys, real: np.ndarray, synth: np.ndarray,
          **fixed: Any) -> list[dict]:
    return [{**fixed, key: k, f"real_{name}": r, f"synthetic_{name}": s, "diff": s - r}
            for k, r, s in zip(keys, real, synth, strict=True)]


def autocorrelation_diff(real: pd.DataFrame, synthetic: pd.DataFrame, dag,
                         periods: tuple[int | None, int | None] = (None, None),
                         max_lag: int = MAX_LAG) -> pd.DataFrame:
    """Autocorrelation of every numeric column at lags 1..``max_lag``, real vs synthetic.

    Returns one row per column and lag: ``column``, ``lag``, ``real_acf``, ``synthetic_acf``
    and ``diff`` (synthetic minus real); each autocorrelation is the mean over the table's
    series of the within-series one. A column constant in every series has NaN.

    Examples
    --------
    >>> from causalsynth import load_dag; from causalsynth.data import check_data
    >>> dag = load_dag("weekly_mmm"); real = check_data(dag.simulate(156, seed=0), dag)
    >>> acf = autocorrelation_diff(real, real, dag)
    >>> acf.shape, float(acf["diff"].abs().max())
    ((72, 5), 0.0)
    """
    check_param("max_lag", max_lag, Interval(int, 1, None), owner="autocorrelation_diff")
    cols, lags = _numeric(dag), range(1, max_lag + 1)
    r = _series(real, dag, periods[0], "real", cols, max_lag + 2)
    s = _series(synthetic, dag, periods[1], "synthetic", cols, max_lag + 2)
    rows = [row for c in cols for row in _rows(
        "acf", "lag", lags, _xcorr(r[c], r[c], lags), _xcorr(s[c], s[c], lags), column=c)]
    return pd.DataFrame(rows, columns=["column", "lag", "real_acf", "synthetic_acf", "diff"])


def cross_correlation_diff(real: pd.DataFrame, synthetic: pd.DataFrame, dag,
                           periods: tuple[int | None, int | None] = (None, None),
                           max_lag: int = MAX_LAG) -> pd.DataFrame:
    """Correlation of each spend column with the outcome ``lag`` periods later, real vs synthetic.

    Lags 0..``max_lag``, spend leading: ``corr(spend_t, outcome_{t+lag})`` within each
    series, averaged over the series. Carryover (adstock) shows as correlation at lags >= 1
    that a synthesizer blind to time loses. Rows: ``spend``, ``lag``, ``real_ccf``,
    ``synthetic_ccf``, ``diff``; none when the DAG has no node with role ``spend``.

    Examples
    --------
    >>> from causalsynth import load_dag; from causalsynth.data import check_data
    >>> dag = load_dag("weekly_mmm"); real = check_data(dag.simulate(156, seed=0), dag)
    >>> ccf = cross_correlation_diff(real, real, dag)
    >>> lag1 = ccf.query("spend == 'tv_spend' and lag == 1")
    >>> bool(lag1["real_ccf"].iloc[0] > 0.3), float(lag1["diff"].iloc[0])
    (True, 0.0)
    """
    check_param("max_lag", max_lag, Interval(int, 0, None), owner="cross_correlation_diff")
    spends, y, lags = _spends(dag), dag.outcome, range(max_lag + 1)
    r = _series(real, dag, periods[0], "real", [*spends, y], max_lag + 2)
    s = _series(synthetic, dag, periods[1], "synthetic", [*spends, y], max_lag + 2)
    rows = [row for c in spends for row in _rows(
        "ccf", "lag", lags, _xcorr(r[c], r[y], lags), _xcorr(s[c], s[y], lags), spend=c)]
    return pd.DataFrame(rows, columns=["spend", "lag", "real_ccf", "synthetic_ccf", "diff"])


def _seasonal_share(x: np.ndarray, period: int, harmonics: int) -> float:
    """Mean over series of the share of the detrended variance (after an intercept and a linear
    trend) that harmonics 1..H of ``period`` explain; NaN when every series is a pure trend."""
    t = np.arange(x.shape[1], dtype=float)
    base = np.column_stack([np.ones_like(t), *LinearTrend().columns(t, len(t) - 1).values()])
    full = np.column_stack([base, *FourierSeason(period, harmonics).columns(t).values()])
    tss = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    detrended, seasonal = (((x.T - b @ np.linalg.lstsq(b, x.T, rcond=None)[0]) ** 2).sum(axis=0)
                           for b in (base, full))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (detrended - seasonal) / detrended
    share = share[np.isfinite(share) & (detrended > 1e-12 * tss)]
    return float(share.mean()) if share.size else float("nan")


def seasonal_share_diff(real: pd.DataFrame, synthetic: pd.DataFrame, dag,
                        periods: tuple[int | None, int | None] = (None, None),
                        harmonics: int = 2) -> pd.DataFrame:
    """Share of each numeric column's variance at the declared period's first harmonics.

    Within each series the column is regressed on an intercept, a linear trend and
    ``sin/cos(2 pi h t / period)`` for ``h`` = 1..``harmonics`` (the DAG's ``time.period``);
    the share is the variance the harmonics explain beyond intercept and trend, divided by
    the variance left after intercept and trend: near 0 for a shuffled series, 1 for a pure
    season, NaN for a pure trend (nothing left to explain). Rows:
    ``column``, ``real_share``, ``synthetic_share``, ``diff``.

    Examples
    --------
    >>> from causalsynth import load_dag; from causalsynth.data import check_data
    >>> dag = load_dag("weekly_mmm"); real = check_data(dag.simulate(156, seed=0), dag)
    >>> seas = seasonal_share_diff(real, real, dag).set_index("column")
    >>> round(float(seas.loc["season", "real_share"]), 2)
    1.0
    """
    check_param("harmonics", harmonics, Interval(int, 1, None), owner="seasonal_share_diff")
    cols = _numeric(dag)
    r = _series(real, dag, periods[0], "real", cols, 2 * harmonics + 3)
    s = _series(synthetic, dag, periods[1], "synthetic", cols, 2 * harmonics + 3)
    p = dag.time.period
    rows = [row for c in cols for row in _rows(
        "share", "column", [c], [_seasonal_share(r[c], p, harmonics)],
        [_seasonal_share(s[c], p, harmonics)])]
    return pd.DataFrame(rows, columns=["column", "real_share", "synthetic_share", "diff"])


def _zero_runs(x: np.ndarray) -> tuple[float, float, int]:
    """(mean run length of exact zeros, share of zeros, number of runs) pooled over series;
    the mean is 0 when the column is never zero."""
    zero = np.pad(x == 0, ((0, 0), (1, 1))).astype(np.int8)
    starts, total = int((np.diff(zero, axis=1) == 1).sum()), int((x == 0).sum())
    return (total / starts if starts else 0.0), total / x.size, starts


def zero_run_diff(real: pd.DataFrame, synthetic: pd.DataFrame, dag,
                  periods: tuple[int | None, int | None] = (None, None)) -> pd.DataFrame:
    """Runs of exactly zero spend (dark weeks, flighting) per spend column, real vs synthetic.

    A run does not cross from one series into the next. Rows: ``spend``, ``real_mean_run``,
    ``synthetic_mean_run`` (mean length in periods, 0 when the column is never zero),
    ``diff``, ``real_zero_share``, ``synthetic_zero_share``, ``real_runs``,
    ``synthetic_runs``.

    Examples
    --------
    >>> from causalsynth import load_dag; from causalsynth.data import check_data
    >>> dag = load_dag("weekly_mmm"); real = check_data(dag.simulate(156, seed=0), dag)
    >>> runs = zero_run_diff(real, real, dag).set_index("spend")
    >>> bool(runs.loc["tv_spend", "real_mean_run"] > 1)
    True
    """
    spends = _spends(dag)
    r = _series(real, dag, periods[0], "real", spends, 2)
    s = _series(synthetic, dag, periods[1], "synthetic", spends, 2)
    cols = ["spend", "real_mean_run", "synthetic_mean_run", "diff", "real_zero_share",
            "synthetic_zero_share", "real_runs", "synthetic_runs"]
    rows = [(c, rm, sm, sm - rm, rz, sz, rn, sn) for c in spends
            for (rm, rz, rn), (sm, sz, sn) in [(_zero_runs(r[c]), _zero_runs(s[c]))]]
    return pd.DataFrame(rows, columns=cols)


def _plotted(dag) -> list[str]:  # the columns whose spectrum a report carries
    numeric = set(_numeric(dag))
    return [c for c in dict.fromkeys([dag.outcome, *_spends(dag)]) if c in numeric]


def spectrum_diff(real: pd.DataFrame, synthetic: pd.DataFrame, dag,
                  periods: tuple[int | None, int | None] = (None, None),
                  columns: list[str] | None = None,
                  max_points: int = SPECTRUM_POINTS) -> pd.DataFrame:
    """Power spectrum of each column from the declared period up to 0.5 cycles per period.

    Within each series the column loses its intercept and linear trend; its periodogram,
    divided by the variance left, is the *relative power* (1 for white noise at every
    frequency, ``T / 2`` for a pure cycle of ``T`` periods). Frequencies from ``1 / period``
    (the DAG's ``time.period``) to 0.5 are cut into ``max_points`` bins of equal width on a
    log scale, the same for both tables; each bin's power is the mean over its Fourier
    frequencies and over the series, and bins without a Fourier frequency of both tables are
    left out. Rows: ``column``, ``frequency`` (bin centre on the log scale, cycles per
    period), ``real_power``, ``synthetic_power`` (NaN where the column has no variance
    beyond its trend). ``columns``: default every numeric node.

    Examples
    --------
    >>> from causalsynth import load_dag; from causalsynth.data import check_data
    >>> dag = load_dag("weekly_mmm"); real = check_data(dag.simulate(156, seed=0), dag)
    >>> spec = spectrum_diff(real, real, dag, columns=["revenue"])
    >>> len(spec), bool(spec["real_power"].iloc[0] > 10 * spec["real_power"].iloc[-1])
    (32, True)
    """
    check_param("max_points", max_points, Interval(int, 1, None), owner="spectrum_diff")
    cols = _numeric(dag) if columns is None else list(columns)
    r = _series(real, dag, periods[0], "real", cols, 4)
    s = _series(synthetic, dag, periods[1], "synthetic", cols, 4)
    edges = frequency_edges(dag.time.period, max_points)
    rows = []
    for c in cols:
        (rp, rn), (sp, sn) = binned_spectrum(r[c], edges), binned_spectrum(s[c], edges)
        both = (rn > 0) & (sn > 0)  # bins holding a Fourier frequency of each table
        mid = np.sqrt(edges[:-1] * edges[1:])[both]
        rows += [(c, f, a, b) for f, a, b in zip(mid, rp[both], sp[both], strict=True)]
    return pd.DataFrame(rows, columns=["column", "frequency", "real_power", "synthetic_power"])


def seasonal_power_diff(real: pd.DataFrame, synthetic: pd.DataFrame, dag,
                        periods: tuple[int | None, int | None] = (None, None),
                        harmonics: int = 2, columns: list[str] | None = None) -> pd.DataFrame:
    """Relative power (see :func:`spectrum_diff`) at the declared period and its harmonics.

    The frequencies ``h / period`` for ``h`` = 1..``harmonics`` (up to 0.5), taken exactly
    (not binned), averaged over the series. A table that has lost the season (its periods
    shuffled) has the power of white noise there: about 1, give or take the periodogram's
    noise. Rows: ``column``,
    ``harmonic``, ``frequency``, ``real_power``, ``synthetic_power`` and ``ratio``
    (synthetic over real).

    Examples
    --------
    >>> from causalsynth import load_dag; from causalsynth.data import check_data
    >>> dag = load_dag("weekly_mmm"); real = check_data(dag.simulate(156, seed=0), dag)
    >>> p = seasonal_power_diff(real, real, dag, columns=["season"]).set_index("harmonic")
    >>> bool(p.loc[1, "real_power"] > 10), float(p.loc[1, "ratio"])
    (True, 1.0)
    """
    check_param("harmonics", harmonics, Interval(int, 1, None), owner="seasonal_power_diff")
    cols, period = (_numeric(dag) if columns is None else list(columns)), dag.time.period
    r = _series(real, dag, periods[0], "real", cols, 4)
    s = _series(synthetic, dag, periods[1], "synthetic", cols, 4)
    hs = [h for h in range(1, harmonics + 1) if h / period <= 0.5]
    freqs = np.array(hs, dtype=float) / period
    rows = [{"column": c, "harmonic": h, "frequency": f, "real_power": rp,
             "synthetic_power": sp, "ratio": sp / rp if rp > 0 else np.nan}
            for c in cols for h, f, rp, sp in zip(hs, freqs, relative_power(r[c], freqs),
                                                  relative_power(s[c], freqs), strict=True)]
    return pd.DataFrame(rows, columns=["column", "harmonic", "frequency", "real_power",
                                       "synthetic_power", "ratio"])


def zero_run_length_diff(real: pd.DataFrame, synthetic: pd.DataFrame, dag,
                         periods: tuple[int | None, int | None] = (None, None),
                         max_run: int = MAX_RUN) -> pd.DataFrame:
    """How long the runs of exactly zero spend last, per spend column, real vs synthetic.

    Flighting (a channel dark for weeks on end) gives long runs; a table whose weeks are
    shuffled breaks them into runs of about one week. Runs are counted within each series.
    Rows: ``spend``, ``length`` (1..``max_run``; the last row counts runs at least that
    long), ``real_runs``, ``synthetic_runs`` (counts) and ``real_share``,
    ``synthetic_share`` (of that spend's runs in the table; NaN when it has none).

    Examples
    --------
    >>> from causalsynth import load_dag; from causalsynth.data import check_data
    >>> dag = load_dag("weekly_mmm"); real = check_data(dag.simulate(156, seed=0), dag)
    >>> runs = zero_run_length_diff(real, real, dag, max_run=3)
    >>> runs.query("spend == 'tv_spend'")["length"].tolist()
    [1, 2, 3]
    """
    check_param("max_run", max_run, Interval(int, 1, None), owner="zero_run_length_diff")
    spends = _spends(dag)
    r = _series(real, dag, periods[0], "real", spends, 2)
    s = _series(synthetic, dag, periods[1], "synthetic", spends, 2)
    rows = []
    for c in spends:
        rc, sc = run_length_counts(r[c], max_run), run_length_counts(s[c], max_run)
        with np.errstate(invalid="ignore", divide="ignore"):
            rs, ss = rc / rc.sum(), sc / sc.sum()
        rows += [(c, k + 1, rc[k], sc[k], rs[k], ss[k]) for k in range(max_run)]
    return pd.DataFrame(rows, columns=["spend", "length", "real_runs", "synthetic_runs",
                                       "real_share", "synthetic_share"])


def _rounded(values) -> list[float | None]:
    """Report figures to a few significant digits (NaN as None)."""
    return [float(f"{v:.{_DIGITS}g}") if np.isfinite(v) else None for v in values]


def _plot_figures(records: dict[str, list[dict]], spec: pd.DataFrame, power: pd.DataFrame,
                  lengths: pd.DataFrame, period: int) -> None:
    """Attach each column's spectrum to its ``seasonal`` record and each spend's run-length
    counts to its ``zero_runs`` record (in place; the records are fresh JSON data)."""
    for rec in records["seasonal"]:
        sp = spec[spec["column"] == rec["column"]]
        pw = power[power["column"] == rec["column"]]
        if len(sp):
            rec["spectrum"] = {
                "period": period, "frequency": _rounded(sp["frequency"]),
                "real": _rounded(sp["real_power"]), "synthetic": _rounded(sp["synthetic_power"]),
                "harmonic": pw["harmonic"].astype(int).tolist(),
                "harmonic_frequency": _rounded(pw["frequency"]),
                "real_harmonic": _rounded(pw["real_power"]),
                "synthetic_harmonic": _rounded(pw["synthetic_power"])}
    for rec in records["zero_runs"]:
        ln = lengths[lengths["spend"] == rec["spend"]]
        rec["run_lengths"] = {"length": ln["length"].astype(int).tolist(),
                              "real": ln["real_runs"].astype(int).tolist(),
                              "synthetic": ln["synthetic_runs"].astype(int).tolist()}


def _largest(frame: pd.DataFrame, key: str, mask=None) -> dict[str, Any]:
    """The row with the largest |diff| (optionally among ``mask``) as {value, column, lag}."""
    f = (frame if mask is None else frame[mask]).dropna(subset=["diff"])
    if f.empty:
        return {"value": None}
    row = f.loc[f["diff"].abs().idxmax()]
    return {"value": abs(float(row["diff"])), key: row[key]} | (
        {"lag": int(row["lag"])} if "lag" in f else {})


def temporal_fidelity(real: pd.DataFrame, synthetic: pd.DataFrame, dag,
                      periods: tuple[int | None, int | None] = (None, None),
                      max_lag: int = MAX_LAG, harmonics: int = 2) -> dict[str, Any]:
    """All four temporal comparisons and their headline numbers, as plain JSON types.

    Returns the per-item rows (``autocorrelation``, ``cross_correlation``, ``seasonal``,
    ``zero_runs``: records of the functions above), ``meta`` and ``headline``. For the
    report's plots the ``seasonal`` record of the outcome and of each spend carries a
    ``spectrum`` (``period``; ``frequency``, ``real``, ``synthetic``: :func:`spectrum_diff`;
    ``harmonic``, ``harmonic_frequency``, ``real_harmonic``, ``synthetic_harmonic``:
    :func:`seasonal_power_diff`; 4 significant digits) and each ``zero_runs`` record
    ``run_lengths`` (``length``, ``real``, ``synthetic``: :func:`zero_run_length_diff`'s
    counts, the last length counting longer runs too). The headline:
    ``max_abs_acf_diff_lags_1_4`` with ``acf_target`` (0.1) and ``acf_target_met``,
    ``max_abs_acf_diff``, ``max_abs_ccf_diff``, ``max_abs_ccf_diff_carryover`` (lags >= 1),
    ``max_abs_seasonal_share_diff``, ``max_abs_zero_run_diff`` (periods), each with a
    ``..._at`` entry naming its column (and lag). Lower is better for all of them.

    Examples
    --------
    >>> from causalsynth import load_dag; from causalsynth.data import check_data
    >>> dag = load_dag("weekly_mmm"); real = check_data(dag.simulate(156, seed=0), dag)
    >>> temporal_fidelity(real, real, dag)["headline"]["acf_target_met"]
    True
    """
    acf = autocorrelation_diff(real, synthetic, dag, periods, max_lag)
    ccf = cross_correlation_diff(real, synthetic, dag, periods, max_lag)
    seas = seasonal_share_diff(real, synthetic, dag, periods, harmonics)
    runs = zero_run_diff(real, synthetic, dag, periods)
    plotted = _plotted(dag)
    spec = spectrum_diff(real, synthetic, dag, periods, plotted)
    power = seasonal_power_diff(real, synthetic, dag, periods, harmonics, plotted)
    lengths = zero_run_length_diff(real, synthetic, dag, periods)
    largest = {"max_abs_acf_diff_lags_1_4": _largest(acf, "column", acf["lag"] <= 4),
               "max_abs_acf_diff": _largest(acf, "column"),
               "max_abs_ccf_diff": _largest(ccf, "spend"),
               "max_abs_ccf_diff_carryover": _largest(ccf, "spend", ccf["lag"] >= 1),
               "max_abs_seasonal_share_diff": _largest(seas, "column"),
               "max_abs_zero_run_diff": _largest(runs, "spend")}
    headline: dict[str, Any] = {k: v.pop("value") for k, v in largest.items()}
    head = headline["max_abs_acf_diff_lags_1_4"]
    headline |= {"acf_target": ACF_TARGET,
                 "acf_target_met": None if head is None else bool(head <= ACF_TARGET)}
    headline |= {f"{k}_at": v for k, v in largest.items() if v}
    out = jsonable({"headline": headline, "autocorrelation": acf, "cross_correlation": ccf,
                    "seasonal": seas, "zero_runs": runs,
                    "meta": {"max_lag": max_lag, "harmonics": harmonics,
                             "period": dag.time.period, "periods": list(periods)}})
    _plot_figures(out, spec, power, lengths, dag.time.period)
    return out
