"""Rows of a time-indexed table for conditional-independence tests: time context, autocorrelation.

A DAG with ``time: {index, period[, geo]}`` describes consecutive periods (weeks, days), one
series or one per geo. Two facts make the i.i.d. tests of :mod:`causalsynth.evaluate.independence`
wrong on such rows:

* every series shares **trend and seasonality**, common causes of spend plans and sales that
  the DAG rarely lists as nodes: two spends planned with the season are correlated although
  neither causes the other. The tests therefore also condition on the **time context**
  (:func:`time_context`): an intercept, a linear trend in the period, ``harmonics`` Fourier
  pairs ``sin/cos(2 pi k t / period)`` and, on panels, one fixed effect per geo: the time
  features of :mod:`causalsynth.media.time`, the ones ``fit_mmm``, the fitted causal model,
  DML and the series synthesizer condition on;
* weeks are **autocorrelated**: n weeks hold fewer than n independent observations. The
  generalised covariance measure is the sum of the residual products ``R_t = r_x,t r_y,t``;
  :func:`series_z` divides it by a standard error for autocorrelated rows: the robust
  (Shah-Peters) variance of the products inflated by ``(1 + a b) / (1 - a b)``, the long-run
  variance of a product of two AR(1) series whose lag-1 autocorrelations are ``a`` and
  ``b``: Bartlett's effective sample size ``n (1 - a b) / (1 + a b)``, with ``a`` and ``b``
  bias-corrected. On a panel the products are first summed over the geos of each period
  (as Driscoll and Kraay do), so geos hit by the same national week are not counted as
  independent. The sum is read as Student t with the effective number of periods less 2
  degrees of freedom. Chosen over a Newey-West (HAC) variance and a block permutation test
  because on series as short as an MMM table it is the one that holds its level: on pairs
  of independent AR(1) series of 156 weeks with autocorrelation 0.8 (after the time
  context), Newey-West with Andrews' bandwidth rejected 16.6% at the 5% level and
  prewhitened Newey-West 10.4% (500 pairs), this test 7.9% (1,500 pairs; i.i.d.: 34.9%); at
  0.5: 7.8%, 6.6% and 4.9% (i.i.d. 11.8%); at 0: 5.1%. A block permutation test would refit
  every claim hundreds of times.

References
----------
Bartlett. "Some aspects of the time-correlation problem in regard to tests of
significance." Journal of the Royal Statistical Society 98(3), 1935.
Pyper, Peterman. "Comparison of methods to account for autocorrelation in correlation
analyses of fish data." Canadian Journal of Fisheries and Aquatic Sciences 55(9), 1998.
Driscoll, Kraay. "Consistent covariance matrix estimation with spatially dependent panel
data." Review of Economics and Statistics 80(4), 1998.

Examples
--------
>>> import numpy as np
>>> time_context(np.arange(4), period=52, harmonics=1).shape
(4, 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import linalg

from causalsynth.errors import DataError, excerpt
from causalsynth.media.time import (
    DEFAULT_HARMONICS,
    FourierSeason,
    LinearTrend,
    choose_harmonics,
    row_dates,
    time_features,
)

__all__ = ["GRAM_HIDDEN", "GRAM_KEEP", "GRAM_NOISE", "HARMONICS", "TimeRows", "gram_partial_out",
           "lag1_autocorrelation", "partial_out", "scale_within_geo", "series_z", "time_context",
           "time_rows"]

#: Fourier harmonics of the declared period in the time context when the DAG names none
HARMONICS = DEFAULT_HARMONICS


@dataclass(frozen=True)
class TimeRows:
    """Where each row of a time-indexed table sits: its period and (panels) its geo.

    ``position``: whole periods since the first one (0, 1, ...; gaps kept); ``geo``: one label
    per row or None; ``period``: the declared seasonal period; ``harmonics``: Fourier pairs in
    the time context. Rows are in (geo, period) order.
    """

    position: np.ndarray
    period: int
    geo: np.ndarray | None = None
    harmonics: int = HARMONICS
    #: the time features beyond trend and season (a country's holidays), rows x k, or None
    calendar: np.ndarray | None = None
    #: their names, for :meth:`describe`
    calendar_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.position)

    @cached_property
    def n_geos(self) -> int:  # read by every test: counted once
        return 1 if self.geo is None else len(np.unique(self.geo))

    def take(self, rows: np.ndarray) -> TimeRows:
        """The layout of a subset of rows (``rows``: positions into this layout)."""
        return TimeRows(self.position[rows], self.period,
                        None if self.geo is None else self.geo[rows], self.harmonics,
                        None if self.calendar is None else self.calendar[rows],
                        self.calendar_names)

    def sample(self, max_rows: int, rng: np.random.Generator) -> np.ndarray:
        """At most ``max_rows`` rows that keep series whole: whole geos drawn at random on a
        panel, one window of consecutive rows (random start) on a single series."""
        n = len(self)
        if n <= max_rows:
            return np.arange(n)
        if self.geo is not None and self.n_geos > 1:
            geos = np.unique(self.geo)
            picked, rows = [], 0
            for g in rng.permutation(geos):
                size = int((self.geo == g).sum())
                if picked and rows + size > max_rows:
                    break
                picked.append(g)
                rows += size
            return np.flatnonzero(np.isin(self.geo, picked))
        start = int(rng.integers(0, n - max_rows + 1))
        return np.arange(start, start + max_rows)

    def describe(self) -> str:
        """The time context in words, for summaries and test labels."""
        geo = f" + {self.n_geos} geo fixed effects" if self.geo is not None else ""
        extra = "".join(f" + {n}" for n in self.calendar_names)
        return (f"linear trend + {self.harmonics} Fourier harmonics of period {self.period}"
                f"{extra}{geo}")

    def context(self) -> np.ndarray:
        """The time-context columns of these rows (:func:`time_context`)."""
        return time_context(self.position, self.period, self.harmonics, self.geo,
                            self.calendar)


def time_rows(data: pd.DataFrame, dag, harmonics: int | None = None
              ) -> tuple[pd.DataFrame, TimeRows]:
    """The nodes of a time-indexed table in (geo, period) order, and where each row sits.

    The DAG's time index and geo columns, when ``data`` holds them, give each row's period
    and geo and are dropped from the returned frame (they are not nodes); rows are sorted by
    geo, then period. Without the index column the rows are taken as consecutive periods in
    their given order (within each geo). A panel DAG (``time.geo``) needs its geo column.
    Index values may be dates (text or datetime: positions in steps of the most common
    gap), numbers (steps of the smallest gap) or other labels (their sorted order).
    ``harmonics``: Fourier pairs of the time context (default: the DAG's ``time.harmonics``;
    ``auto`` is chosen from the outcome, as every estimator chooses it).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("weekly_mmm")
    >>> frame, rows = time_rows(dag.simulate(60, seed=0), dag)
    >>> frame.shape, int(rows.position[-1]), rows.period
    ((60, 9), 59, 52)
    """
    axis = dag.time
    if axis is None:
        raise DataError(f"DAG {dag.name!r} declares no time axis; add a 'time: {{index: week, "
                        f"period: 52}}' block to test its rows as a time series")
    if axis.geo is not None and axis.geo not in data.columns:
        raise DataError(f"DAG {dag.name!r} declares a geo panel (time.geo = {axis.geo!r}) but "
                        f"the data have no column {axis.geo!r}; columns present: "
                        f"{excerpt([str(c) for c in data.columns])}; keep the geo column in "
                        f"the table so that series are tested within their geo")
    n = len(data)
    geo = data[axis.geo].astype(str).to_numpy() if axis.geo is not None else None
    has_index = axis.index in data.columns
    if has_index:
        position = _positions(data[axis.index])
    elif geo is not None:
        position = pd.Series(geo).groupby(geo).cumcount().to_numpy()
    else:
        position = np.arange(n)
    keys = [position] if geo is None else [position, geo]
    order = np.lexsort(keys)
    if has_index:
        pairs = pd.DataFrame({"g": geo if geo is not None else "", "t": position})
        dup = pairs.duplicated()
        if dup.any():
            where = "" if geo is None else f" within geo {pairs['g'][dup].iloc[0]!r}"
            raise DataError(f"the time index {axis.index!r} repeats a period{where} "
                            f"({excerpt(data[axis.index].iloc[int(np.flatnonzero(dup)[0])])});"
                            f" a time-indexed table has one row per period"
                            + (" and geo" if geo is not None else "")
                            + ": aggregate or drop the duplicate rows")
    dropped = [c for c in (axis.index, axis.geo) if c is not None and c in data.columns]
    frame = data.drop(columns=dropped).iloc[order].reset_index(drop=True)
    if harmonics is None:
        harmonics = axis.harmonics
    if harmonics == "auto":
        outcome = dag.outcome if dag.outcome in frame.columns else None
        harmonics = (choose_harmonics(frame[outcome].to_numpy(float), position[order],
                                      axis.period) if outcome and dag.node(outcome).is_numeric
                     else HARMONICS)
    calendar, names = None, ()
    if axis.country:  # holidays of each row's date, by the builder every estimator reads
        dates = _row_dates(data, axis, has_index)
        feats = time_features(axis, position[order], harmonics=harmonics,
                              dates=None if dates is None else dates[order])
        calendar, names = feats.calendar(), ("holidays",)
    rows = TimeRows(position[order] - position.min(), axis.period,
                    None if geo is None else geo[order], harmonics, calendar, names)
    return frame, rows


def _row_dates(data: pd.DataFrame, axis, has_index: bool) -> np.ndarray | None:
    """Each row's date, in the given row order: the index column's, or those ``check_data``
    recorded on a typed table; None when the index holds no dates."""
    if not has_index:
        return row_dates(data)
    index = data[axis.index]
    if pd.api.types.is_numeric_dtype(index.dtype) or pd.api.types.is_bool_dtype(index.dtype):
        return None
    try:
        stamps = pd.to_datetime(index, errors="raise")
    except (ValueError, TypeError):
        return None
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[ns]")


def _positions(index: pd.Series) -> np.ndarray:
    """Whole periods since the first value of a time index (dates, numbers or labels)."""
    if pd.api.types.is_bool_dtype(index.dtype):
        raise DataError("the time index holds True/False values; give dates or period numbers")
    if pd.api.types.is_numeric_dtype(index.dtype):
        x = index.to_numpy(dtype=float)
        scale = _step(x)
    else:
        try:
            stamps = pd.to_datetime(index, errors="raise")
        except (ValueError, TypeError):
            return pd.Series(index.astype(str)).rank(method="dense").to_numpy(int) - 1
        x = stamps.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
        u = np.unique(x)
        gaps = np.diff(u)
        scale = float(pd.Series(gaps).mode().iloc[0]) if len(gaps) else 1.0
    if not np.isfinite(x).all():
        raise DataError("the time index has missing or infinite values; give every row its "
                        "period")
    return np.rint((x - x.min()) / scale).astype(int)


def _step(x: np.ndarray) -> float:
    gaps = np.diff(np.unique(x[np.isfinite(x)]))
    return float(gaps.min()) if len(gaps) else 1.0


def time_context(position: np.ndarray, period: int, harmonics: int = HARMONICS,
                 geo: np.ndarray | None = None, calendar: np.ndarray | None = None
                 ) -> np.ndarray:
    """The time-context columns: intercept (or one indicator per geo), linear trend,
    ``harmonics`` Fourier pairs ``sin/cos(2 pi k t / period)`` and the ``calendar`` columns
    (a country's holidays: :meth:`causalsynth.media.time.TimeFeatures.calendar`); columns
    without variation (``sin(pi t)`` for period 2) are left out.

    >>> time_context(np.arange(3), period=4, harmonics=1).round(2)
    array([[ 1. ,  0. ,  0. ,  1. ],
           [ 1. ,  0.5,  1. ,  0. ],
           [ 1. ,  1. ,  0. , -1. ]])
    """
    t = np.asarray(position, dtype=float)
    span = max(float(np.ptp(t)), 1.0) if len(t) else 1.0
    if geo is None:
        cols = [np.ones(len(t))]
    else:
        cols = [(geo == g).astype(float) for g in np.unique(geo)]
    cols += LinearTrend().columns(t - t.min() if len(t) else t, span).values()
    cols += FourierSeason(period, int(harmonics)).columns(t).values()
    if calendar is not None:
        cols += [c for c in np.asarray(calendar, float).reshape(len(t), -1).T if np.ptp(c) > 0]
    return np.column_stack(cols)


def scale_within_geo(values: np.ndarray, geo: np.ndarray | None) -> np.ndarray:
    """Each column centred and scaled to unit spread within each geo (0 where a geo's values
    do not vary); unchanged without geos.

    Geos differ in size: spend, sales and the effect of every control on them scale with the
    geo's population, so one model of the raw values across geos leaves a size-driven residual
    that all channels share. On the same scale within every geo the common model fits.

    >>> scale_within_geo(np.array([1.0, 3.0, 10.0, 30.0]), np.array(["a", "a", "b", "b"]))
    array([-1.,  1., -1.,  1.])
    """
    v = np.asarray(values, dtype=float)
    if geo is None:
        return v
    out = np.zeros_like(v)
    for g in np.unique(geo):
        rows = geo == g
        part = v[rows] - v[rows].mean(axis=0)
        sd = part.std(axis=0)
        out[rows] = np.divide(part, sd, out=np.zeros_like(part), where=sd > 1e-12 * (
            np.abs(v[rows]).max(axis=0) + 1e-300))
    return out


def partial_out(values: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, int]:
    """Least-squares residuals of ``values`` (n or n x k) on ``basis`` (n x p) and the rank of
    the basis (the degrees of freedom it uses).

    >>> resid, rank = partial_out(np.arange(4.0), np.ones((4, 1)))
    >>> resid, rank
    (array([-1.5, -0.5,  0.5,  1.5]), 1)
    """
    try:
        coef, _, rank, _ = np.linalg.lstsq(basis, values, rcond=None)
        return values - basis @ coef, int(rank)
    except np.linalg.LinAlgError:  # LAPACK's SVD can fail to converge on a large, nearly
        # collinear spline basis (seen at 20,000 weekly rows): the same projection by QR
        q, r, _ = linalg.qr(basis, mode="economic", pivoting=True)
        diag = np.abs(np.diag(r))
        keep = diag > 1e-10 * (diag.max() if len(diag) else 1.0)
        q = q[:, keep]
        return values - q @ (q.T @ values), int(keep.sum())


#: eigenvalues of a basis's Gram matrix, relative to the largest: above GRAM_KEEP a direction of
#: the fit (a singular value above 1e-6 of the largest: least squares keeps those above about
#: 1e-12), below GRAM_NOISE rounding noise of an exact collinearity (seen up to 5e-16 on the
#: tests' spline bases); one between the two sends :func:`gram_partial_out` to least squares
GRAM_KEEP, GRAM_NOISE = 1e-12, 1e-14
#: what the residuals may still hold of the basis outside the kept eigenvectors, in units of
#: rounding noise (``eps * sqrt(p) * |basis| * |residual|``): up to 0.04 where least squares
#: found the same rank, 1e5 and more where it kept a direction the Gram matrix could not see
#: (on the PC tests of weekly_mmm and geo_mmm at 20,000 rows)
GRAM_HIDDEN = 1.0


def gram_partial_out(values: np.ndarray, basis: np.ndarray, gram: np.ndarray | None = None
                     ) -> tuple[np.ndarray, int]:
    """:func:`partial_out` (same residuals and rank, to rounding) from the basis's Gram matrix,
    about three times faster on the wide spline bases of the conditional-independence tests.

    ``basis.T @ basis`` (``gram``: its upper triangle, when already computed) costs half the
    arithmetic of least squares' QR step and runs at the speed of a matrix product. Its
    eigenvectors with eigenvalues above ``GRAM_KEEP`` times the largest span the fit;
    iterative refinement (until a step changes nothing) makes the residuals as accurate as
    least squares' although the Gram matrix squares the basis's condition number. The spline
    bases have many exactly collinear columns (B-splines sum to one; products of splines
    whose supports do not overlap are zero; geo indicators sum to one): their eigenvalues are
    rounding noise, below ``GRAM_NOISE``. A spectrum with an eigenvalue between the two
    bounds, whose rank the Gram matrix cannot tell, is left to :func:`partial_out`. So is a
    fit whose residuals still lean on the basis beyond rounding noise (``GRAM_HIDDEN``): a
    singular value below about 1e-7 of the largest is invisible in the Gram matrix, while
    least squares keeps it down to about 1e-12 (products of a rare binary node and a spline's
    tail on a 40-geo panel; a synthetic season that is almost a Fourier term). The check
    reads ``basis.T @ residuals`` once more.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(50, 2))
    >>> basis = np.column_stack([np.ones(50), x, x.sum(axis=1)])  # one collinear column
    >>> y = rng.normal(size=50)
    >>> resid, rank = gram_partial_out(y, basis)
    >>> rank, bool(np.allclose(resid, partial_out(y, basis)[0]))
    (3, True)
    """
    v = np.asarray(values, dtype=float)
    b = np.asfortranarray(basis, dtype=float)
    if b.shape[1] == 0:
        return v.copy(), 0
    g = linalg.blas.dsyrk(1.0, b, trans=1) if gram is None else gram  # upper triangle
    nonzero = np.diag(g) > 0  # all-zero columns change no fit
    if not nonzero.any():
        return v.copy(), 0
    if not nonzero.all():
        b, g = b.T[nonzero].T, g[np.ix_(nonzero, nonzero)]
    lam, vec = linalg.eigh(g, lower=False)
    rel = lam / lam[-1] if lam[-1] > 0 else lam
    if lam[-1] <= 0 or ((rel > GRAM_NOISE) & (rel < GRAM_KEEP)).any():
        return partial_out(values, basis)
    keep = rel >= GRAM_KEEP
    w = vec[:, keep] / np.sqrt(lam[keep])  # b @ w: an orthonormal basis of the fit's span
    flat = v.reshape(len(v), -1)
    resid = flat - b @ (w @ (w.T @ (b.T @ flat)))
    last = np.inf
    for _ in range(4):  # iterative refinement, while a step still gains (to rounding noise)
        step = b @ (w @ (w.T @ (b.T @ resid)))
        resid -= step
        size = np.abs(step).max()
        if size > last / 10 or size <= 1e-15 * np.abs(flat).max():
            break
        last = size
    # a direction too small for the Gram matrix that least squares keeps shows in b.T @ resid
    # outside the kept eigenvectors: beyond rounding noise, least squares decides
    lean = b.T @ resid
    lean -= vec[:, keep] @ (vec[:, keep].T @ lean)
    noise = np.finfo(float).eps * np.sqrt(lam[-1] * b.shape[1]) * np.linalg.norm(resid, axis=0)
    if (np.linalg.norm(lean, axis=0) > GRAM_HIDDEN * noise).any():
        return partial_out(values, basis)
    return resid.reshape(v.shape), int(keep.sum())


def lag1_autocorrelation(values: np.ndarray, rows: TimeRows) -> np.ndarray:
    """Lag-1 autocorrelation of each column of ``values`` (n x k) within each series
    (pairs of rows one period apart in the same geo), bias-corrected by Kendall's
    ``(1 + 3 rho) / T`` for series of T periods and kept within [-0.97, 0.97].

    >>> rows = TimeRows(np.arange(6), period=52)
    >>> lag1_autocorrelation(np.array([[1.0], [1], [1], [-1], [-1], [-1]]), rows).round(2)
    array([0.92])
    """
    v = np.asarray(values, dtype=float).reshape(len(values), -1)
    v = v - v.mean(axis=0)
    same = np.diff(rows.position) == 1
    if rows.geo is not None:
        same &= rows.geo[1:] == rows.geo[:-1]
    denom = np.maximum((v * v).sum(axis=0), 1e-300)
    rho = (v[1:][same] * v[:-1][same]).sum(axis=0) / denom
    periods = max(len(v) / max(rows.n_geos, 1), 2.0)
    return np.clip(rho + (1 + 3 * rho) / periods, -0.97, 0.97)


def series_z(rx: np.ndarray, ry: np.ndarray, rows: TimeRows) -> tuple[np.ndarray, np.ndarray]:
    """Statistics of the generalised covariance measure on time-indexed rows, one per pair
    of columns of the standardised residuals ``rx`` (n x kx) and ``ry`` (n x ky), and their
    degrees of freedom: the effective number of periods less 2 (read them as Student t, as
    Pyper and Peterman do for the correlation of autocorrelated series).

    The residual products ``R = rx_i ry_j`` are summed per period (Driscoll-Kraay: over the
    geos of a panel, so common weekly shocks are not counted as independent), and the sum is
    divided by ``sqrt(V)``, ``V`` the sum of squared centred per-period sums (robust to unequal
    variances, as Shah and Peters' statistic) times the long-run variance factor of a product
    of two AR(1) series, ``(1 + a b) / (1 - a b)`` with ``a, b`` the residuals' lag-1
    autocorrelations (:func:`lag1_autocorrelation`): the effective sample size
    ``n (1 - a b) / (1 + a b)`` of Bartlett (1935).

    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(2, 200, 1))
    >>> stat, dof = series_z(x, y, TimeRows(np.arange(200), period=52))
    >>> bool(abs(stat[0]) < 2), bool(190 < dof[0] < 210)
    (True, True)
    """
    n = len(rx)
    a, b = lag1_autocorrelation(rx, rows), lag1_autocorrelation(ry, rows)
    products = (rx[:, :, None] * ry[:, None, :]).reshape(n, -1)
    factor = np.outer(a, b).ravel()
    pos = np.asarray(rows.position, dtype=int)
    h = np.zeros((int(pos.max()) + 1 if n else 0, products.shape[1]))
    np.add.at(h, pos, products)
    present = np.zeros(len(h), dtype=bool)
    present[pos] = True
    h = h[present]  # the periods present, in order
    centred = h - h.mean(axis=0)
    var = (centred * centred).sum(axis=0) * (1 + factor) / (1 - factor)
    dof = np.maximum(len(h) * (1 - factor) / (1 + factor) - 2, 1.0)
    return h.sum(axis=0) / np.sqrt(np.maximum(var, 1e-300)), dof
