"""The conditional-independence test of ``check_dag`` and PC: ``X ⊥ Y | Z`` by residual correlation.

A generalised covariance measure (Shah & Peters 2020): regress X and Y (one-hot indicators for
labels) on a flexible basis of Z (:func:`conditioning_basis`: one-hot labels, cubic splines of
numbers, and their pairwise interactions) and correlate the residuals. The effect size is the
largest absolute residual correlation, weighted by the variance Z leaves unexplained; the
p-value (Fisher z, Bonferroni over indicator pairs; on time rows, autocorrelation-aware) is
reported beside it. :func:`residual_test` tests one claim; :class:`ConditionalTests` tests many
on one table, fitting each conditioning set once (its basis, Gram matrix and residuals kept).

References
----------
Shah, Peters. "The hardness of conditional independence testing and the generalised
covariance measure." Annals of Statistics 48(3), 2020.
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy import linalg, stats
from sklearn.preprocessing import SplineTransformer

from causalsynth.evaluate.series import TimeRows, gram_partial_out, scale_within_geo, series_z

__all__ = ["ConditionalTests", "conditioning_basis", "residual_test"]


def _indicators(values: np.ndarray) -> np.ndarray:
    """Numbers as one column; labels as one indicator column per level (constant ones dropped)."""
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    try:
        return values.astype(float).reshape(len(values), -1)
    except (TypeError, ValueError):
        levels = np.unique(values.astype(str))
        ind = (values.astype(str)[:, None] == levels[None, :]).astype(float)
        return ind[:, ind.std(axis=0) > 0] if len(levels) > 1 else ind


def conditioning_basis(z: list[np.ndarray], max_columns: int | None = None
                       ) -> np.ndarray | None:
    """The columns a test regresses on to condition on z (None when z is empty).

    One-hot labels and cubic splines of numbers, with all pairwise interactions, each
    column standardised; constant columns (products of splines that never overlap, of two
    levels of one label) left out.

    ``max_columns`` (time-indexed tables, a few hundred rows): without the interactions
    (additive) when the full basis (constant columns counted) is wider, and the plain values
    (linear) when even that is.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> conditioning_basis([rng.normal(size=200), rng.choice(["a", "b"], 200)]).shape
    (200, 38)
    """
    return _design([_part(v) for v in z], max_columns)[0]


@dataclass(frozen=True)
class _Part:
    """One conditioning variable as the basis reads it: its plain values (a number, or one
    indicator per label) and, for a number with more than 10 values, its cubic B-splines
    (5 knots at quantiles)."""

    plain: np.ndarray
    spline: np.ndarray | None = None

    def block(self, form: str | None) -> np.ndarray:
        return self.plain if self.spline is None or form == "linear" else self.spline


def _part(values: np.ndarray) -> _Part:
    ind = _indicators(values)
    if ind.shape[1] != 1 or len(np.unique(ind)) <= 10:
        return _Part(ind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _Part(ind, SplineTransformer(n_knots=5, degree=3, knots="quantile"
                                            ).fit_transform(ind))


def _design(parts: list[_Part], max_columns: int | None = None,
            lead: np.ndarray | None = None) -> tuple[np.ndarray | None, int, bool]:
    """The columns a test conditions on, in Fortran order for the fit: ``lead`` (the time
    context) as given, then z's :func:`conditioning_basis`; the basis's width, its constant
    columns counted (the degrees of freedom of the i.i.d. test); and whether the basis is the
    full one (interactions kept: the i.i.d. test's basis). None without columns."""
    if not parts:
        return lead, 0, True
    for form in (None, "additive", "linear"):
        width = sum(p.block(form).shape[1] for p in parts)
        if form is None and len(parts) > 1:
            width += width * (width - 1) // 2
        if max_columns is None or width <= max_columns or form == "linear":
            return _basis_form(parts, form, width, lead), width, form is None
    raise AssertionError("unreachable")  # pragma: no cover


def _basis_form(parts: list[_Part], form: str | None, width: int,
                lead: np.ndarray | None) -> np.ndarray:
    """The basis of one form after the ``lead`` columns. Each basis column is standardised
    (``StandardScaler``'s arithmetic), constant ones are dropped (after centring they are
    zero: they change no fit). Interactions: every product of two columns, after the
    columns, in ``PolynomialFeatures(interaction_only=True)``'s order."""
    plain = np.hstack([p.block(form) for p in parts])
    n, k = plain.shape
    c = 0 if lead is None else lead.shape[1]
    out = np.empty((n, c + width), order="F")
    if lead is not None:
        out[:, :c] = lead
    base = out[:, c:]
    base[:, :k] = plain
    if width > k:  # the products, filled in place: they are most of the basis
        at = k
        for a in range(k - 1):
            np.multiply(plain[:, a:a + 1], plain[:, a + 1:], out=base[:, at:at + k - a - 1])
            at += k - a - 1
    mean = base.mean(axis=0)
    base -= mean
    var = np.einsum("ij,ij->j", base, base) / n  # no n x width temporary
    eps = np.finfo(np.float64).eps
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    base /= np.where(constant, 1.0, np.sqrt(var))
    if constant.any():
        out = out.T[np.concatenate([np.ones(c, bool), ~constant])].T  # one copy, Fortran
    return out


def _residuals(target: np.ndarray, basis: np.ndarray | None,
               gram: np.ndarray | None = None) -> np.ndarray:
    """Residuals of a ridge fit with intercept, ``alpha = 0.01 sqrt(n)``, for several targets
    at once: scikit-learn's ``Ridge`` with its Cholesky solver, written out (``gram``: the
    upper triangle of ``basis.T @ basis`` when already computed). The basis is standardised
    (columns of mean zero), so the intercept is the target's mean."""
    target = target - target.mean(axis=0)
    if basis is None or basis.shape[1] == 0:
        return target
    x = np.asfortranarray(basis)
    a = linalg.blas.dsyrk(1.0, x, trans=1) if gram is None else gram.copy()
    a[np.diag_indices_from(a)] += 1e-2 * len(basis) ** 0.5
    flat = target.reshape(len(target), -1)
    coef = linalg.solve(a, x.T @ flat, assume_a="pos", lower=False, overwrite_a=True)
    return (flat - x @ coef).reshape(target.shape)


class _SetDesign:
    """What one conditioning set gives the fits, built once: the time context (time rows) and
    z's basis in one Fortran-ordered matrix, and its Gram matrix (upper triangle), which the
    least-squares fit of the time-aware test and, when the basis is the full one, the ridge
    fit of the i.i.d. test both start from."""

    def __init__(self, parts: list[_Part], context: np.ndarray | None, n: int):
        self.lead = 0 if context is None else context.shape[1]
        cap = None if context is None else max(n // 4 - self.lead, 1)
        self.matrix, self.width, self.full = _design(parts, cap, lead=context)
        self._gram: np.ndarray | None = None

    @property
    def gram(self) -> np.ndarray | None:
        if self._gram is None and self.matrix is not None and self.matrix.shape[1]:
            self._gram = linalg.blas.dsyrk(1.0, self.matrix, trans=1)
        return self._gram

    def least_squares(self, targets: np.ndarray) -> tuple[np.ndarray, int]:
        """Residuals on the time context and the basis, and the fit's rank."""
        if self.matrix is None or self.matrix.shape[1] == 0:
            return targets - targets.mean(axis=0), 0
        return gram_partial_out(targets, self.matrix, self.gram)

    def ridge(self, targets: np.ndarray) -> tuple[np.ndarray, int]:
        """Residuals of the i.i.d. test's ridge fit on the basis alone, and its width."""
        if self.matrix is None or self.matrix.shape[1] == self.lead:
            return _residuals(targets, None), self.width
        gram = self.gram
        return _residuals(targets, self.matrix[:, self.lead:],
                          None if gram is None else gram[self.lead:, self.lead:]), self.width


def residual_test(x: np.ndarray, y: np.ndarray, z: list[np.ndarray] | None = None,
                  rows: TimeRows | None = None) -> tuple[float, float, float]:
    """(effect, p-value, residual correlation) of x ⊥ y | z.

    The residual correlation is the generalised covariance measure; its p-value (Fisher z,
    Bonferroni over indicator pairs) tests it. The *effect* weighs that correlation by the
    share of each variable's variance that z leaves unexplained, i.e. the joint variation the
    DAG fails to explain, on the scale of the variables themselves: for a near-deterministic
    node (revenue = clicks + small noise) a tiny distortion of the small residual gives a large
    residual correlation, yet moves nothing an analyst attributes.

    ``rows`` (a :class:`~causalsynth.evaluate.series.TimeRows`): the rows are the periods of
    a time series or panel, in that layout's order. On a panel every number is first put on
    its geo's own scale (:func:`~causalsynth.evaluate.series.scale_within_geo`). The test then
    also conditions on the time context (trend, Fourier terms, geo fixed effects), by least
    squares with z (z's basis kept below a quarter of the rows: additive or linear when the
    interactions would not fit), and its p-value comes from the summed residual products
    with a variance for autocorrelated periods (:func:`~causalsynth.evaluate.series.series_z`),
    scaled by ``sqrt((n - k) / n)`` for the k fitted columns.

    Many claims on one table: :class:`ConditionalTests` gives the same statistics and fits
    each conditioning set once.
    """
    ix, iy = _tested(x, rows), _tested(y, rows)
    resid, df = _residualize(np.hstack([ix, iy]), [_part(_given(v, rows)) for v in z or []],
                             rows)
    k = ix.shape[1]
    return _gcm(ix, iy, resid[:, :k], resid[:, k:], df, rows)


def _tested(values: np.ndarray, rows: TimeRows | None) -> np.ndarray:
    """A tested variable as the test reads it: one column (numbers) or indicators (labels), on
    its geo's own scale on a panel."""
    ind = _indicators(values)
    return ind if rows is None or rows.geo is None else scale_within_geo(ind, rows.geo)


def _given(values: np.ndarray, rows: TimeRows | None) -> np.ndarray:
    """A conditioning variable as the basis reads it: a number on its geo's own scale on a
    panel; labels as they are."""
    if rows is None or rows.geo is None:
        return values
    ind = _indicators(values)
    return scale_within_geo(ind, rows.geo).ravel() if ind.shape[1] == 1 else values


def _residualize(targets: np.ndarray, z: list[_Part], rows: TimeRows | None,
                 context: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Residuals of the columns of ``targets`` (n x k) given ``z`` (one fit, k right-hand
    sides) and the degrees of freedom the fit used: on time rows, least squares on the time
    context (``context``: ``rows.context()`` when already built) and z's basis, and its rank;
    otherwise a ridge fit on z's basis, and its width."""
    if rows is None:
        return _SetDesign(z, None, len(targets)).ridge(targets)
    context = rows.context() if context is None else context
    return _SetDesign(z, context, len(targets)).least_squares(targets)


def _gcm(ix: np.ndarray, iy: np.ndarray, rx: np.ndarray, ry: np.ndarray, df: int,
         rows: TimeRows | None) -> tuple[float, float, float]:
    """(effect, p-value, residual correlation) from the tested columns and their residuals."""
    n = len(rx)
    sx, sy = rx.std(axis=0), ry.std(axis=0)
    # relative to each variable's own spread, so that the test does not depend on units
    keep_x, keep_y = sx > 1e-9 * ix.std(axis=0), sy > 1e-9 * iy.std(axis=0)
    if not keep_x.any() or not keep_y.any():
        return 0.0, 1.0, 0.0
    share_x = (sx / np.maximum(ix.std(axis=0), 1e-300))[keep_x]
    share_y = (sy / np.maximum(iy.std(axis=0), 1e-300))[keep_y]
    rx, ry = rx[:, keep_x] / sx[keep_x], ry[:, keep_y] / sy[keep_y]
    corr = (rx.T @ ry) / n
    raw = float(np.max(np.abs(corr)))
    effect = float(np.max(np.abs(corr) * np.sqrt(np.outer(share_x, share_y))))
    if rows is not None:  # HAC z of the summed products, for the fitted degrees of freedom
        stat, dof = series_z(rx, ry, rows)
        tail = stats.t.sf(np.abs(stat) * math.sqrt(max(n - df, 0) / n), dof)
        return effect, float(min(1.0, 2 * np.min(tail) * corr.size)), raw
    z_stat = np.arctanh(min(raw, 0.999999)) * np.sqrt(max(n - df - 3, 1))
    return effect, float(min(1.0, 2 * stats.norm.sf(z_stat) * corr.size)), raw


class ConditionalTests:
    """:func:`residual_test` for many claims on one table, each conditioning set fitted once.

    PC tests many pairs given one set, ``check_dag`` every non-descendant of a node given its
    parents. Here a set's basis is built and fitted once for all the columns asked of it (one
    least-squares factorisation with many right-hand sides: the factorisation, not the
    right-hand sides, is the cost) and the residuals are kept, least recently used first out
    beyond ``max_bytes``. The statistics are :func:`residual_test`'s, to rounding.

    ``columns``: name -> values (numbers, or labels); ``rows``: their time layout, or None.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=500)
    >>> cols = {"z": z, "x": z + rng.normal(size=500), "y": z + rng.normal(size=500)}
    >>> tests = ConditionalTests(cols)
    >>> bool(np.allclose(tests.test("x", "y", ("z",)), residual_test(cols["x"], cols["y"],
    ...                                                             [cols["z"]])))
    True
    """

    def __init__(self, columns: dict[str, np.ndarray], rows: TimeRows | None = None,
                 max_bytes: int = 256 * 2**20):
        self.columns, self.rows, self.max_bytes = dict(columns), rows, max_bytes
        self._context = None if rows is None else rows.context()
        self._values: dict[tuple[str, bool], np.ndarray] = {}
        self._parts: dict[tuple[str, bool], _Part] = {}
        #: (set, timed) -> (residuals by name, degrees of freedom, bytes), oldest use first
        self._fits: OrderedDict[tuple[tuple[str, ...], bool],
                                tuple[dict[str, np.ndarray], int, int]] = OrderedDict()
        self._bytes = 0
        #: the last design built: (set, time-aware, design)
        self._last: tuple[tuple[str, ...], bool, _SetDesign] | None = None

    def test(self, x: str, y: str, given: tuple[str, ...] | list[str] = (),
             timed: bool = True) -> tuple[float, float, float]:
        """(effect, p-value, residual correlation) of ``x ⊥ y | given``; ``timed`` False:
        without the time context (i.i.d. rows), as ``residual_test(..., rows=None)``."""
        rows = self.rows if timed else None
        resid, df = self.residuals(given, (x, y), timed)
        return _gcm(self._tested(x, rows), self._tested(y, rows), resid[x], resid[y], df, rows)

    def residuals(self, given: tuple[str, ...] | list[str], names, timed: bool = True
                  ) -> tuple[dict[str, np.ndarray], int]:
        """Residuals of ``names`` (and of those fitted before on the same set) given
        ``given``, and the degrees of freedom of the fit; the missing ones in one fit.

        Asked right after the same set's time-aware fit, an i.i.d. fit (``timed`` False)
        reuses its basis and Gram matrix where they are the same (no geos; the full basis).
        """
        rows = self.rows if timed else None
        key = (tuple(c for c in self.columns if c in set(given)), timed)
        resid, df, size = self._fits.pop(key, ({}, 0, 0))
        missing = [c for c in dict.fromkeys(names) if c not in resid]
        if missing:
            blocks = [self._tested(c, rows) for c in missing]
            targets = np.hstack(blocks)
            design = self._design(key[0], timed)
            fit, df = design.least_squares(targets) if timed and self.rows is not None else (
                design.ridge(targets))
            edges = np.cumsum([0] + [b.shape[1] for b in blocks])
            resid = {**resid, **{c: fit[:, i:j] for c, i, j in zip(
                missing, edges[:-1], edges[1:], strict=True)}}
            size += fit.nbytes
            self._bytes += fit.nbytes
        self._fits[key] = (resid, df, size)
        while self._bytes > self.max_bytes and len(self._fits) > 1:
            self._bytes -= self._fits.popitem(last=False)[1][2]
        return resid, df

    def _design(self, given: tuple[str, ...], timed: bool) -> _SetDesign:
        """The set's design: the last one built when it serves (see :meth:`residuals`)."""
        timed = timed and self.rows is not None
        last = self._last
        if last is not None and last[0] == given and (last[1] == timed or (
                last[1] and last[2].full and self.rows is not None and self.rows.geo is None)):
            return last[2]
        rows = self.rows if timed else None
        n = len(next(iter(self.columns.values())))
        design = _SetDesign([self._part(g, rows) for g in given],
                            self._context if timed else None, n)
        self._last = (given, timed, design)
        return design

    def _tested(self, name: str, rows: TimeRows | None) -> np.ndarray:
        key = (name, rows is not None)
        if key not in self._values:
            self._values[key] = _tested(self.columns[name], rows)
        return self._values[key]

    def _part(self, name: str, rows: TimeRows | None) -> _Part:
        key = (name, rows is not None)
        if key not in self._parts:
            self._parts[key] = _part(_given(self.columns[name], rows))
        return self._parts[key]
