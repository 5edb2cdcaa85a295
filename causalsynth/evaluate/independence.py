"""Conditional independences implied by a DAG, tested by effect size; ``check_dag``.

The local Markov condition says every node is independent of its non-descendants given its
parents. Each implied independence ``X ⊥ Y | Z`` is tested by the residual correlation of a
generalised covariance measure (Shah & Peters 2020): regress X and Y (one-hot indicators for
labels) on a flexible basis of Z (one-hot labels, cubic splines of numbers, and their pairwise
interactions) and correlate the residuals. The effect size is the largest absolute residual
correlation; the p-value (Fisher z, Bonferroni over indicator pairs) is reported beside it.
An independence *fails* only when the effect reaches the threshold (default 0.05) **and** is
statistically significant (p below 0.05, Bonferroni-corrected over the DAG's claims): at 20,000
rows a correlation of -0.017 already has p = 0.014, so p-values alone would flag negligible
deviations; at a few hundred rows a correlation of 0.06 is noise, so effect sizes alone would.

Large DAGs: a DAG of n nodes implies up to n(n-1)/2 independences (19,540 for a sparse
200-node graph). At most ``max_claims`` (default 200) are tested, the most informative first
(:func:`rank_claims`: nodes closest in the graph, then the smallest conditioning sets); the
rest are listed as untested in the result and its summary. DoWhy's permutation test re-tests
every claim in each of its permutations, so :func:`check_dag` runs it only when the DAG
implies at most ``falsify_max_claims`` (default 100) independences and says so otherwise.
Progress goes to stderr as a tqdm bar when stderr is a terminal (``progress=False`` silences
it).

Time-indexed DAGs (``time``): weeks share trend and season and are autocorrelated, so
:func:`check_dag` also conditions every test on the time context and reads it with an
effective sample size (:mod:`causalsynth.evaluate.series`).

References
----------
Shah, Peters. "The hardness of conditional independence testing and the generalised
covariance measure." Annals of Statistics 48(3), 2020.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy import linalg, stats
from sklearn.preprocessing import SplineTransformer

from causalsynth._params import Interval, check_param
from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG, load_dag
from causalsynth.data import check_data
from causalsynth.evaluate.falsify import falsify
from causalsynth.evaluate.series import (
    TimeRows,
    gram_partial_out,
    scale_within_geo,
    series_z,
    time_rows,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "ConditionalTests",
    "DAGCheck",
    "check_dag",
    "implied_independences",
    "independence_tests",
    "rank_claims",
    "residual_test",
]

DEFAULT_THRESHOLD = 0.05
ALPHA = 0.05
MAX_TEST_ROWS = 10_000
#: most implied independences tested by default (the most informative first)
MAX_CLAIMS = 200
#: DoWhy's permutation test runs only for DAGs implying at most this many independences
FALSIFY_MAX_CLAIMS = 100


def implied_independences(dag: DAG) -> list[tuple[str, str, tuple[str, ...]]]:
    """(x, y, given) for every local-Markov independence: x ⊥ y | parents(x), once per pair."""
    graph = dag.to_networkx()
    claims, seen = [], set()
    for x in dag.nodes:
        descendants = nx.descendants(graph, x)
        parents = set(dag.parents(x))
        for y in dag.nodes:
            if y == x or y in descendants or y in parents or frozenset((x, y)) in seen:
                continue
            seen.add(frozenset((x, y)))
            claims.append((x, y, tuple(sorted(parents))))
    return claims


def rank_claims(dag: DAG, claims: list[tuple[str, str, tuple[str, ...]]] | None = None
                ) -> list[tuple[str, str, tuple[str, ...]]]:
    """Claims ordered from most to least informative.

    The order: the distance between x and y in the undirected graph (shortest path; nodes two
    steps apart, sharing a parent or a child, come first: a missing edge is most likely
    between nearby nodes, while a claim between distant nodes of a sparse graph rarely fails),
    then the size of the conditioning set (smaller sets are cheaper and more powerful tests),
    then the declared order. ``claims`` defaults to :func:`implied_independences`.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> rank_claims(load_dag("acquisition"))[0]
    ('demand', 'tv_spend', ())
    """
    claims = implied_independences(dag) if claims is None else list(claims)
    graph = dag.to_networkx().to_undirected()
    dist: dict[str, dict[str, int]] = {}

    def key(item: tuple[int, tuple[str, str, tuple[str, ...]]]) -> tuple[float, int, int]:
        i, (x, y, given) = item
        if x not in dist:
            dist[x] = nx.single_source_shortest_path_length(graph, x)
        return (dist[x].get(y, math.inf), len(given), i)

    return [c for _, c in sorted(enumerate(claims), key=key)]


def _progress(total: int, desc: str, progress: bool | None):
    """A tqdm bar on stderr: shown when stderr is a terminal (None) or when asked (True).

    Under a rich live display (the CLI's spinner), which holds back partial lines, the bar
    is written as a whole line every 5 seconds instead, so it appears above the spinner.
    """
    from tqdm.auto import tqdm

    tty = getattr(sys.stderr, "isatty", None)
    show = bool(tty and tty()) if progress is None else bool(progress)
    proxied = getattr(sys.stderr, "rich_proxied_file", None) is not None
    if not show or not proxied:
        return tqdm(total=total, desc=desc, disable=not show, leave=False, file=sys.stderr)
    return tqdm(total=total, desc=desc, leave=False, file=_Lines(sys.stderr), mininterval=5.0,
                ncols=80)


class _Lines:
    """A file for tqdm that writes each refresh as one whole line (nothing for the clean-up)."""

    def __init__(self, target):
        self.target = target

    def write(self, text: str) -> None:
        text = text.strip("\r\n ")
        if text:
            self.target.write(text + "\n")

    def flush(self) -> None:
        self.target.flush()


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


def _basis(z: list[np.ndarray], max_columns: int | None = None) -> np.ndarray | None:
    """One-hot labels and cubic splines of numbers, with all pairwise interactions, each
    column standardised; constant columns (products of splines that never overlap, of two
    levels of one label) left out.

    ``max_columns`` (time-indexed tables, a few hundred rows): without the interactions
    (additive) when the full basis (constant columns counted) is wider, and the plain values
    (linear) when even that is.
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
    context) as given, then z's :func:`_basis`; the basis's width, its constant columns
    counted (the degrees of freedom of the i.i.d. test); and whether the basis is the full
    one (interactions kept: the i.i.d. test's basis). None without columns."""
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


def independence_tests(data: pd.DataFrame, dag, threshold: float = DEFAULT_THRESHOLD,
                       seed=None, max_rows: int = MAX_TEST_ROWS,
                       max_claims: int | None = MAX_CLAIMS,
                       progress: bool | None = None, checked: bool = False,
                       time_aware: bool = False) -> pd.DataFrame:
    """Test the independences the DAG implies (at most ``max_claims``); one row per claim.

    Columns: ``x``, ``y``, ``given`` (list), ``test``, ``effect`` (residual correlation weighted
    by unexplained variance), ``residual_corr``, ``p_value``, ``holds``
    (effect below ``threshold`` or not significant at 0.05 / number of tested claims). Tables
    above ``max_rows`` are subsampled (seeded).

    When the DAG implies more than ``max_claims`` independences (``None``: no limit), the
    ``max_claims`` most informative ones are tested (:func:`rank_claims`); rows keep the
    declared order. ``result.attrs`` then holds ``"claims"`` (how many the DAG implies),
    ``"max_claims"`` and ``"untested"``: a frame of the claims not tested (``x``, ``y``,
    ``given``). ``progress``: a tqdm bar on stderr (None: only when stderr is a terminal).
    ``checked``: ``data`` is already typed by ``check_data``.

    ``time_aware`` (DAGs with ``time``): rows are periods laid out by
    :func:`~causalsynth.evaluate.series.time_rows` (index and geo columns order them, if
    present); tests condition on the time context with autocorrelation-aware p-values
    (:func:`residual_test`); above ``max_rows``, whole geos or one window of periods are kept.
    ``result.attrs["time_context"]`` describes the context (None without time).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> bool(independence_tests(dag.simulate(5000, seed=0), dag)["holds"].all())
    True
    """
    dag = load_dag(dag)
    layout = None
    if time_aware and dag.time is not None:
        data, layout = time_rows(data, dag)
    clean = data if checked else check_data(data, dag)
    _check_budget(max_claims, "max_claims")
    rng = as_generator(seed)
    if layout is not None:
        keep = layout.sample(max_rows, rng)
        clean, layout = clean.iloc[keep], layout.take(keep)
    elif len(clean) > max_rows:
        clean = clean.iloc[np.sort(rng.choice(len(clean), max_rows, replace=False))]
    cols = {n: clean[n].to_numpy() if dag.node(n).is_numeric or dag.node_type(n) == "binary"
            else clean[n].astype(str).to_numpy() for n in dag.nodes}
    claims = implied_independences(dag)
    tested, untested = _budget(dag, claims, max_claims)
    alpha = ALPHA / max(len(tested), 1)
    rows = []
    label = ("residual correlation (GCM)" if layout is None else
             f"residual correlation (GCM) given the time context ({layout.describe()}), "
             f"HAC p-value")
    engine = ConditionalTests(cols, layout)
    asked: dict[tuple[str, ...], list[str]] = defaultdict(list)  # columns fitted per set
    for x, y, given in tested:
        asked[given] += [x, y]
    with _progress(len(tested), "independence tests", progress) as bar:
        for x, y, given in tested:
            engine.residuals(given, asked[given])
            effect, p, raw = engine.test(x, y, given)
            rows.append({"x": x, "y": y, "given": list(given), "test": label, "effect": effect,
                         "residual_corr": raw, "p_value": p,
                         "holds": bool(effect < threshold or p >= alpha)})
            bar.update()
    out = pd.DataFrame(rows, columns=["x", "y", "given", "test", "effect", "residual_corr",
                                      "p_value", "holds"])
    out.attrs.update({"claims": len(claims), "max_claims": max_claims,
                      "time_context": None if layout is None else layout.describe(),
                      "untested": pd.DataFrame(
                          [{"x": x, "y": y, "given": list(g)} for x, y, g in untested],
                          columns=["x", "y", "given"])})
    return out


def _check_budget(value, name: str) -> None:
    check_param(name, value, [Interval(int, 1, None), None])


def _budget(dag: DAG, claims: list, max_claims: int | None) -> tuple[list, list]:
    """(tested, untested): the ``max_claims`` most informative claims, in declared order."""
    if max_claims is None or len(claims) <= max_claims:
        return list(claims), []
    chosen = set(rank_claims(dag, claims)[:max_claims])
    return [c for c in claims if c in chosen], [c for c in claims if c not in chosen]


@dataclass
class DAGCheck:
    """Does a table contradict the DAG? Implied independences and DoWhy's falsification test.

    ``independences`` holds the tested claims; ``untested`` the claims beyond the budget
    (``x``, ``y``, ``given``); ``claims`` how many the DAG implies in all.
    """

    dag: str
    threshold: float
    independences: pd.DataFrame
    falsification: dict[str, Any] = field(default_factory=dict)
    untested: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["x", "y", "given"]))
    claims: int | None = None
    #: the time context every test conditioned on (time-indexed DAGs), None for i.i.d. rows
    time_context: str | None = None

    @property
    def violations(self) -> pd.DataFrame:
        return self.independences[~self.independences["holds"]]

    @property
    def passed(self) -> bool:
        """No tested independence fails and DoWhy does not falsify the graph."""
        return self.violations.empty and not self.falsification.get("falsified", False)

    def summary(self) -> str:
        n, bad = len(self.independences), len(self.violations)
        total = self.claims if self.claims is not None else n + len(self.untested)
        lines = [f"DAG {self.dag!r}: {n - bad} of {n} implied independences tested hold "
                 f"(effect < {self.threshold} or not significant)."]
        if self.time_context:
            lines.append(f"Rows are periods of a time series: every test also conditions on "
                         f"the time context ({self.time_context}), common causes of spend "
                         f"plans and sales; its p-value counts autocorrelated periods as "
                         f"fewer independent ones (Bartlett's effective sample size).")
        if len(self.untested):
            lines.append(f"{len(self.untested):,} of the DAG's {total:,} implied independences "
                         f"were NOT tested (claim budget max_claims={n}; the most informative "
                         f"were tested first: nearest nodes, smallest conditioning sets); "
                         f"raise max_claims (--max-claims) to test more")
        for r in self.violations.itertuples():
            given = f" | {', '.join(r.given)}" if r.given else ""
            lines.append(f"  - {r.x} ⊥ {r.y}{given} fails: effect {r.effect:.3f} "
                         f"(p = {r.p_value:.2g}); the data link {r.x} and {r.y} beyond the "
                         f"declared edges — consider an edge between them or a missing "
                         f"common cause")
        f = self.falsification
        if f.get("skipped"):
            lines.append(f"DoWhy permutation test skipped: {f['skipped']}")
        elif f.get("error"):
            lines.append(f"DoWhy falsification could not run: {f['error']}")
        elif f:
            lines.append(
                f"DoWhy permutation test: {f['violations']} of {f['tests']} local Markov tests "
                f"violated at p <= {f['significance_level']} on {f['rows']} rows; the graph is "
                + ("FALSIFIED (random node orders explain the data as well)" if f["falsified"]
                   else "not falsified") + ("" if f["falsifiable"] else
                                            " (but the graph is not falsifiable: too few "
                                            "independences to tell it from permutations)"))
        verdict = ("the data do not contradict the DAG" if self.passed
                   else "the data contradict the DAG")
        if self.passed and len(self.untested):
            verdict += f" (in the {n:,} independences tested)"
        lines.append("verdict: " + verdict)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        from causalsynth.evaluate.metric import jsonable

        total = self.claims if self.claims is not None else len(self.independences)
        return jsonable({"dag": self.dag, "passed": self.passed, "threshold": self.threshold,
                         "claims": total, "tested": len(self.independences),
                         "independences": self.independences,
                         "untested": self.untested, "falsification": self.falsification,
                         "time_context": self.time_context,
                         "summary": self.summary()})

    def __repr__(self) -> str:
        return self.summary()


def check_dag(data: pd.DataFrame, dag, seed=None, threshold: float = DEFAULT_THRESHOLD,
              n_permutations: int = 20, falsify_rows: int = 2000,
              max_claims: int | None = MAX_CLAIMS,
              falsify_max_claims: int | None = FALSIFY_MAX_CLAIMS,
              progress: bool | None = None, time_aware: bool | None = None,
              suggest: bool = False) -> DAGCheck:
    """Do the data contradict the DAG's implied conditional independences?

    Runs :func:`independence_tests` (effect-size judgement) on at most ``max_claims`` claims
    (the most informative first; ``None``: all) and DoWhy's permutation-based
    ``falsify_graph`` (Eulig et al. 2023) with the same residual test on ``falsify_rows`` rows,
    so that its p-values are not driven by sample size alone. DoWhy's test re-tests every
    claim of the DAG in each of ``n_permutations`` permuted graphs, so it is skipped (and the
    summary says so) when the DAG implies more than ``falsify_max_claims`` independences
    (``None``: always run; on 5,000 rows a 25-node DAG with 256 claims takes 139 s with it
    and 9 s without). ``progress``: a tqdm bar on stderr (None: only on a terminal).
    ``suggest``: rank the edges whose addition (or removal) resolves the failed
    independences, with evidence, in ``result.suggestions`` (:mod:`.._discovery_suggest`).

    Time (``time_aware``; default: when the DAG declares ``time``): weekly rows are not
    independent and share trend and seasonality, common causes of spend plans and sales.
    Each test (here and in DoWhy's) then also conditions on the time context, a linear trend
    and 2 Fourier harmonics of the period (plus geo fixed effects on a panel, every number
    scaled within its geo), and its p-value allows for lag-1 autocorrelation (Bartlett's
    effective sample size; on a panel, products summed over geos per period): see
    :mod:`causalsynth.evaluate.series`. The index and geo columns may stay in ``data`` (they
    order the rows); without the index, rows are in time order. On 20 ``weekly_mmm`` series
    of 156 weeks the i.i.d. test rejects the true DAG in all 20, the time-aware one in none.

    Examples
    --------
    >>> from causalsynth import load_dag, check_dag
    >>> weekly = load_dag("weekly_mmm")
    >>> check_dag(weekly.simulate(156, seed=0), weekly, seed=0, n_permutations=5).passed
    True

    References
    ----------
    Eulig, Mastakouri, Blöbaum, Hardt, Janzing. "Toward falsifying causal graphs using a
    permutation-based test." AAAI 2025 (arXiv:2305.09565).
    Bartlett. "Some aspects of the time-correlation problem in regard to tests of
    significance." Journal of the Royal Statistical Society 98(3), 1935.
    """
    dag = load_dag(dag)
    _check_budget(falsify_max_claims, "falsify_max_claims")
    check_param("time_aware", time_aware, [bool, None])
    rng = as_generator(seed)
    aware = dag.time is not None and time_aware is not False
    table = independence_tests(data, dag, threshold=threshold, seed=rng, max_claims=max_claims,
                               progress=progress, time_aware=aware)
    claims = table.attrs["claims"]
    if falsify_max_claims is not None and claims > falsify_max_claims:
        falsification = {"skipped": f"the DAG implies {claims:,} independences, more than "
                                    f"falsify_max_claims={falsify_max_claims:,}; DoWhy would "
                                    f"re-test each in {n_permutations} permuted graphs",
                         "claims": claims, "falsify_max_claims": falsify_max_claims}
    else:
        rows, layout = time_rows(data, dag) if aware else (data, None)
        falsification = falsify(check_data(rows, dag), dag, residual_test, rng, n_permutations,
                                falsify_rows, layout)
    result = DAGCheck(dag=dag.name, threshold=threshold, independences=table,
                      falsification=falsification, untested=table.attrs["untested"],
                      claims=claims, time_context=table.attrs["time_context"])
    if suggest:
        from causalsynth.evaluate._discovery_suggest import with_suggestions
        return with_suggestions(result, data, dag, child_seed(rng), max_claims, aware)
    return result

