"""Differentially private node models of the ``causal`` synthesizer (``epsilon=`` set).

Every quantity fitted from the real table is released through the Gaussian mechanism and
accounted in zero-concentrated differential privacy (zCDP; Bun and Steinke 2016), with
*add/remove one row* neighbours. The total budget ``rho`` comes from the requested
``(epsilon, delta)`` by ``epsilon = rho + 2 sqrt(rho log(1/delta))``; each row contributes
once to every node's statistics, so the nodes' ``rho`` add up. Inside a node:

The budget is split across nodes in proportion to the squared norm bound of each node's
released statistics (1 for a root), since the noise a release needs grows with that bound.

* a numeric node's bounds come from its declared ``range`` in the DAG; when none is declared,
  ``bounds_share`` of the node's budget buys them privately: a noisy histogram on a fixed,
  data-independent geometric grid of quarter decades; bins whose noisy count noise alone
  would reach with probability 1/1000 over the grid are kept, and the bounds are the outer
  edges of the first and last kept bins, widened by one bin on each side (the tails whose
  bins the noise hid). When no bin stands out, the counts are summed into whole decades
  (post-processing, free) and tried again. Never the data's own min/max. When even that
  finds nothing, the bounds fall back to (-1, 1) (counts: (0, 1)) and the fit says so (see
  :func:`private_range`): the decision is made from noisy counts, so saying it costs no
  privacy. A declared range is checked with a noisy count of the rows outside it
  (``clip_share`` of the node's budget): a range that excludes a visible share of the rows
  is reported;
* a **root** is a noisy histogram (64 equal bins over its range, plus a cell for exact zeros)
  for numbers, noisy counts for labels;
* knots of a numeric parent's hat basis sit at quantiles of that parent's values as the
  already released models generate them (post-processing, free);
* a **numeric child** is a ridge regression from noisy sufficient statistics (``Z'Z`` of
  ``Z = [features, y]``, clipped: every feature row has a bounded norm) with Gaussian residuals
  whose variance comes from the same statistics. Features: an intercept, one-hot labels, and a
  piecewise-linear "hat" basis of every numeric parent over its range (at most two non-zero
  weights summing to one, so a saturation curve is followed at the cost of one unit of norm);
* a **label child** with label parents only is a table of noisy counts per parent cell and
  class; with numeric parents, a linear probability model from noisy sufficient statistics;
* structural zeros (no click without exposure) and zero hurdles are decided from noisy counts.

The boosted and kernel-density models of the non-private path are never used here: they read
the data in ways whose sensitivity is not bounded.

References
----------
Bun, Steinke. "Concentrated differential privacy: simplifications, extensions, and lower
bounds." TCC 2016. Sheffet. "Differentially private ordinary least squares." ICML 2017
(noisy sufficient statistics). Wang. "Revisiting differentially private linear regression."
NeurIPS 2018 (ridge penalty from the noise scale).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from causalsynth.dag import DAG, Node

__all__ = ["ACCOUNTANT", "CLIP_SHARE", "FALLBACK_BOUNDS", "Budget", "PrivateClass",
           "PrivateNumeric", "PrivateRoot", "clipped_share", "epsilon_for", "even_knots",
           "node_weight", "private_range", "quantile_knots", "rho_for"]

ACCOUNTANT = "zCDP (Bun & Steinke 2016), Gaussian mechanism, add/remove-one-row neighbours"
_BINS = 64          # equal-width bins of a numeric root's histogram
_KNOTS = 4          # knots of the hat basis of a numeric parent (2 interior hats)
_COUNT_SHARE = 0.1  # share of a node's budget for its zero / structural-zero counts
_GATE_SHARE = 0.01  # a gate is kept when the noisy share of non-zeros with the parent off is below
_RESIDUAL_SHARE = 0.2  # share of a numeric child's main budget for its residual variance
_EPS = 1e-9
#: share of a node's budget for the noisy count of rows outside its declared range
CLIP_SHARE = 0.02
# fixed geometric grid for private bounds: 0 and +-10^k, k = -2 ... 12 in quarter decades
_PER_DECADE = 4
_GRID_POS = 10.0 ** np.arange(-2.0, 12.001, 1 / _PER_DECADE)
_GRID = np.concatenate([-_GRID_POS[::-1], [0.0], _GRID_POS])
#: bounds when no bin of the noisy histogram stands out of the noise (said in ``guarantee_``)
FALLBACK_BOUNDS = {False: (-1.0, 1.0), True: (0.0, 1.0)}


def rho_for(epsilon: float, delta: float) -> float:
    """The zCDP ``rho`` whose (epsilon, delta) conversion is exactly ``epsilon``."""
    log_term = math.log(1.0 / delta)
    return (math.sqrt(log_term + epsilon) - math.sqrt(log_term)) ** 2


def epsilon_for(rho: float, delta: float) -> float:
    """(epsilon, delta)-DP of a rho-zCDP mechanism: ``rho + 2 sqrt(rho log(1/delta))``."""
    return rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta))


class Budget:
    """A zCDP ledger: every release goes through :meth:`gaussian`, which records its rho."""

    def __init__(self, rho: float, rng: np.random.Generator):
        self.rho, self.rng = rho, rng
        self.spent: dict[str, float] = {}

    def gaussian(self, what: str, values: ArrayLike, sensitivity: float, rho: float
                 ) -> np.ndarray:
        """``values`` plus N(0, sigma^2), sigma = sensitivity / sqrt(2 rho): rho-zCDP."""
        sigma = sensitivity / math.sqrt(2.0 * rho)
        self.spent[what] = self.spent.get(what, 0.0) + rho
        return np.asarray(values, float) + self.rng.normal(0.0, sigma, np.shape(values))

    @staticmethod
    def sigma(sensitivity: float, rho: float) -> float:
        return sensitivity / math.sqrt(2.0 * rho)

    def total_spent(self) -> float:
        return float(sum(self.spent.values()))


def private_range(x: np.ndarray, budget: Budget, rho: float, what: str,
                  nonnegative: bool) -> tuple[tuple[float, float], bool]:
    """Bounds of ``x`` from a noisy histogram on a fixed grid (see the module docstring), and
    whether they are :data:`FALLBACK_BOUNDS` because no bin stood out of the noise.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(98_000, 20_000, 300)
    >>> (lo, hi), fell_back = private_range(x, Budget(1.0, rng), 0.001, "demand", False)
    >>> bool(lo <= 60_000 and hi >= 140_000), fell_back
    (True, False)
    """
    counts = np.histogram(np.clip(x, _GRID[0], _GRID[-1]), bins=_GRID)[0]
    noisy = budget.gaussian(f"{what}: bounds", counts, 1.0, rho)
    sigma = Budget.sigma(1.0, rho)
    found = _kept_span(noisy, sigma, 1)
    if found is None:  # whole decades: sums of released counts (post-processing, free)
        found = _kept_span(_by_decade(noisy), sigma * math.sqrt(_PER_DECADE), _PER_DECADE)
    if found is None:
        return FALLBACK_BOUNDS[nonnegative], True
    lo, hi = found
    if nonnegative:
        lo = max(lo, 0.0)
    return ((lo, hi) if hi > lo else (lo, lo + 1.0)), False


def _by_decade(noisy: np.ndarray) -> np.ndarray:
    """Noisy grid counts summed per decade on each side of 0 (the bins touching 0 alone)."""
    side = (len(noisy) - 2) // 2  # bins per side beyond the two that touch 0
    neg, mid, pos = noisy[:side], noisy[side:side + 2], noisy[side + 2:]
    return np.concatenate([neg.reshape(-1, _PER_DECADE).sum(1), mid,
                           pos.reshape(-1, _PER_DECADE).sum(1)])


def _kept_span(noisy: np.ndarray, sigma: float, width: int) -> tuple[float, float] | None:
    """Edges of the first and last bins beyond noise, widened by one bin on each side; a
    bin is kept when its noisy count is beyond what noise gives any of the empty bins with
    probability 1/1000 (Bonferroni over the bins): a spurious far bin would set the bounds.
    ``width``: grid bins per bin of ``noisy`` (1, or a decade)."""
    z = float(special.ndtri(1.0 - 1e-3 / len(noisy)))
    kept = np.flatnonzero(noisy >= z * sigma)
    if not len(kept):
        return None
    side = (len(noisy) - 2) // 2
    edges = (_GRID if width == 1 else np.concatenate(
        [_GRID[: side * width + 1:width], [0.0], _GRID[-(side * width + 1)::width]]))
    first, last = max(kept[0] - 1, 0), min(kept[-1] + 2, len(edges) - 1)
    return float(edges[first]), float(edges[last])


def clipped_share(x: np.ndarray, bounds: tuple[float, float], budget: Budget, rho: float,
                  what: str) -> tuple[float, bool]:
    """The noisy share of rows outside a declared range, and whether it is visible: at least
    5 % and beyond three noise sds (a row is in one of the two counts: sensitivity 1).

    >>> rng = np.random.default_rng(0)
    >>> share, visible = clipped_share(np.full(500, 50_000.0), (0.0, 10.0), Budget(1.0, rng),
    ...                                0.01, "tv_spend")
    >>> bool(share > 0.9), visible
    (True, True)
    """
    outside = int(np.sum((x < bounds[0]) | (x > bounds[1])))
    noisy = np.clip(budget.gaussian(f"{what}: rows outside the range",
                                    [len(x) - outside, outside], 1.0, rho), 0.0, None)
    share = float(noisy[1] / max(noisy.sum(), 1.0))
    return share, bool(share >= 0.05 and noisy[1] > 3.0 * Budget.sigma(1.0, rho))


def _scale(x: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    lo, hi = bounds
    return 2.0 * (np.clip(x, lo, hi) - lo) / (hi - lo) - 1.0


def _unscale(z: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    lo, hi = bounds
    return lo + (np.clip(z, -1.0, 1.0) + 1.0) / 2.0 * (hi - lo)


def _hat(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Piecewise-linear basis on the knots: rows have at most two weights, summing to 1."""
    eye = np.eye(len(knots))
    x = np.clip(x, knots[0], knots[-1])
    return np.column_stack([np.interp(x, knots, eye[k]) for k in range(len(knots))])


def even_knots(bounds: tuple[float, float]) -> np.ndarray:
    """Knots evenly spread over a range (when no released distribution places them)."""
    return np.linspace(bounds[0], bounds[1], _KNOTS)


def quantile_knots(simulated: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """Knots at evenly spaced quantiles of a node's non-zero values *as the released models
    generate them* (post-processing: no budget), so a child's hat basis is finest where the
    parent's values are, and a saturation curve bends there; the range's ends stay the outer
    knots. Falls back to even knots when the quantiles do not separate."""
    x = simulated[(simulated != 0) & np.isfinite(simulated)]
    if len(x) < 10 * _KNOTS:
        return even_knots(bounds)
    inner = np.quantile(np.clip(x, *bounds), np.linspace(0, 1, _KNOTS)[1:-1])
    knots = np.unique(np.concatenate([[bounds[0]], inner, [bounds[1]]]))
    return knots if len(knots) == _KNOTS else even_knots(bounds)


class _Features:
    """Intercept, one-hot labels, and per numeric parent its scaled value and a hat basis
    (squared row norm at most ``norm2``). ``smooth`` marks the hat columns: they get a stronger
    ridge penalty, so where data are sparse the fit falls back to the linear term (a penalised
    spline), instead of to zero."""

    def __init__(self, dag: DAG, node: Node, ranges: Mapping[str, tuple[float, float]],
                 knots: Mapping[str, np.ndarray] | None = None):
        self.parents = list(node.parents)
        self.kinds = {p: dag.node(p) for p in self.parents}
        self.ranges = ranges
        self.knots: dict[str, np.ndarray] = {
            p: k for p in self.parents if (k := (knots or {}).get(p)) is not None}
        for p in self.parents:
            if self.kinds[p].is_numeric and p not in self.knots and p in ranges:
                self.knots[p] = even_knots(ranges[p])
        numeric = sum(self.kinds[p].is_numeric for p in self.parents)
        # intercept, one unit per label parent, two per numeric parent (value and hat basis)
        self.norm2 = 1.0 + len(self.parents) + numeric
        smooth = [False]
        for p in self.parents:
            parent = self.kinds[p]
            if parent.is_numeric:
                smooth += [False] + [True] * (_KNOTS - 2)
            else:
                levels = 2 if parent.type == "binary" else len(parent.categories or ())
                smooth += [False] * (levels - 1)
        self.smooth = np.array(smooth)

    def __call__(self, values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        cols = [np.ones((n, 1))]
        for p in self.parents:
            v = np.asarray(values[p], float)
            parent = self.kinds[p]
            # no column is a combination of others (an exact collinearity would leave a null
            # direction in which the noise of the released statistics decides the fit): the
            # interior hats with the value and the intercept span the piecewise-linear
            # functions, and a label drops its first category
            if parent.is_numeric:
                cols += [_scale(v, self.ranges[p])[:, None], _hat(v, self.knots[p])[:, 1:-1]]
            else:
                k = 2 if parent.type == "binary" else len(parent.categories or ())
                cols.append(np.eye(k)[np.clip(v.astype(int), 0, k - 1)][:, 1:])
        return np.hstack(cols)


def _noisy_gram(z: np.ndarray, norm2: float, budget: Budget, rho: float, what: str) -> np.ndarray:
    """``Z'Z`` with symmetric Gaussian noise; a row changes it by at most ``norm2`` (Frobenius)."""
    gram = z.T @ z
    iu = np.triu_indices(gram.shape[0])
    noisy = np.zeros_like(gram)
    noisy[iu] = budget.gaussian(what, gram[iu], norm2, rho)
    return noisy + np.triu(noisy, 1).T


#: ridge penalties per unit of noise sd and sqrt(features): hat columns, other columns
_RIDGE_SMOOTH, _RIDGE_LINEAR = 2.0, 0.1


def _solve(gram: np.ndarray, d: int, sigma: float, smooth: np.ndarray) -> np.ndarray:
    """Ridge coefficients from a noisy Gram matrix; the penalty grows with the noise, and is
    stronger on the smooth (hat) columns."""
    penalty = np.where(smooth, _RIDGE_SMOOTH, _RIDGE_LINEAR) * sigma * math.sqrt(d)
    # the noisy Gram matrix may have lost positive definiteness: clip its spectrum at 0
    w, v = np.linalg.eigh(gram[:d, :d])
    a = (v * np.maximum(w, 0.0)) @ v.T + np.diag(penalty)
    return np.linalg.solve(a, gram[:d, d:])


def _gate_parents(node: Node, dag: DAG, values: Mapping[str, np.ndarray], budget: Budget,
                  rho: float) -> list[str]:
    """Binary parents whose 0 forces the node to 0, from noisy counts (rows with the parent
    off, and those among them where the node is not zero)."""
    binary = [p for p in node.parents if dag.node(p).type == "binary"]
    if not binary or node.type == "categorical":
        return []
    y = values[node.name]
    gates, share = [], rho / len(binary)
    for p in binary:
        off = values[p] == 0
        counts = np.array([off.sum(), np.sum(off & (y != 0))], float)
        # a row with the parent off and a non-zero node changes both counts: sensitivity sqrt 2
        noisy = budget.gaussian(f"{node.name}: gate {p}", counts, math.sqrt(2.0), share)
        if (noisy[0] > 10.0 * Budget.sigma(math.sqrt(2.0), share)
                and noisy[1] < _GATE_SHARE * noisy[0]):
            gates.append(p)
    return gates


def _apply_gates(y: np.ndarray, parents: Mapping[str, np.ndarray], gates: list[str]
                 ) -> np.ndarray:
    for g in gates:
        y = np.where(np.asarray(parents[g]) > 0.5, y, 0.0)
    return y


def node_weight(dag: DAG, node: Node) -> float:
    """The node's share of the budget, relative to others: the squared norm bound of what it
    releases (a root's histogram: 1; a child: its features and target), since the noise a
    release needs grows with that bound."""
    if not node.parents:
        return 1.0
    return _Features(dag, node, {}).norm2 + 1.0


class PrivateRoot:
    """A root's noisy histogram (numbers) or noisy counts (labels); ``evaluate`` turns one
    uniform per row into values through the released distribution."""

    def __init__(self, node: Node, x: np.ndarray, bounds: tuple[float, float] | None,
                 budget: Budget, rho: float):
        self.node, self.bounds = node, bounds
        if node.is_numeric:
            if bounds is None:  # pragma: no cover - the fit gives every numeric root bounds
                raise ValueError(f"numeric root {node.name!r} needs bounds")
            lo, hi = bounds
            zeros = x == 0
            edges = np.linspace(lo, hi, _BINS + 1)
            counts = np.concatenate([[zeros.sum()],
                                     np.histogram(np.clip(x[~zeros], lo, hi), edges)[0]])
            self.edges_ = edges
        else:
            k = 2 if node.type == "binary" else len(node.categories or ())
            counts = np.bincount(x.astype(int), minlength=k)
        noisy = np.clip(budget.gaussian(f"{node.name}: distribution", counts, 1.0, rho), 0, None)
        self.cum_ = np.cumsum(noisy + _EPS) / np.sum(noisy + _EPS)

    def evaluate(self, parents: Mapping[str, np.ndarray], noise: np.ndarray) -> np.ndarray:
        u = np.asarray(noise, float)
        u = u[:, 0] if u.ndim == 2 else u
        cell = np.minimum(np.searchsorted(self.cum_, u, side="right"), len(self.cum_) - 1)
        if not self.node.is_numeric:
            return cell.astype(float)
        # the position of u inside its cell places the value uniformly within its bin
        start = np.where(cell > 0, self.cum_[np.maximum(cell - 1, 0)], 0.0)
        within = np.clip((u - start) / np.maximum(self.cum_[cell] - start, _EPS), 0.0, 1.0)
        b = np.maximum(cell - 1, 0)
        x = self.edges_[b] + within * (self.edges_[b + 1] - self.edges_[b])
        x = np.where(cell == 0, 0.0, x)
        return np.rint(x) if self.node.type == "count" else x

    def describe(self) -> dict[str, Any]:
        return {"model": "noisy histogram" if self.node.is_numeric else "noisy counts"}


class PrivateNumeric:
    """Numeric child: ridge mean from noisy sufficient statistics, Gaussian residuals, zero
    hurdle and gates from noisy counts."""

    def __init__(self, node: Node, dag: DAG, values: Mapping[str, np.ndarray],
                 ranges: Mapping[str, tuple[float, float]], budget: Budget, rho: float,
                 zero_share: float, knots: Mapping[str, np.ndarray] | None = None):
        self.node, self.bounds = node, ranges[node.name]
        count_rho = _COUNT_SHARE * rho
        self.gates = _gate_parents(node, dag, values, budget, count_rho / 2)
        y = values[node.name]
        on = np.ones(len(y), dtype=bool)
        for g in self.gates:
            on &= values[g] == 1
        zeros = np.array([np.sum(on & (y == 0)), np.sum(on & (y != 0))], float)
        noisy = np.clip(budget.gaussian(f"{node.name}: zeros", zeros, 1.0, count_rho / 2), 0,
                        None)
        p0 = noisy[0] / max(noisy.sum(), 1.0)
        self.p0_ = float(p0) if p0 >= zero_share else 0.0
        rows = on & (y != 0) if self.p0_ else on
        self.features = _Features(dag, node, ranges, knots)
        x = self.features({p: values[p][rows] for p in node.parents}, int(rows.sum()))
        y_s = _scale(y[rows], self.bounds)
        z = np.column_stack([x, y_s])
        norm2 = self.features.norm2 + 1.0
        main_rho = rho - count_rho
        gram_rho = (1.0 - _RESIDUAL_SHARE) * main_rho
        gram = _noisy_gram(z, norm2, budget, gram_rho, f"{node.name}: regression")
        d = x.shape[1]
        self.coef_ = _solve(gram, d, Budget.sigma(norm2, gram_rho), self.features.smooth)[:, 0]
        # the residual variance, released once the (private) coefficients are fixed: squared
        # residuals are clipped at c^2, with c three times the residual sd that the released
        # Gram matrix implies (post-processing), so a row adds at most c^2 to the sum
        n_hat = max(gram[0, 0], 1.0)
        rss = gram[d, d] - 2 * self.coef_ @ gram[:d, d] + self.coef_ @ gram[:d, :d] @ self.coef_
        clip = float(np.clip(3.0 * math.sqrt(max(rss / n_hat, 0.0)), 0.002, 2.0))
        r2 = np.minimum((y_s - x @ self.coef_) ** 2, clip**2)
        released = budget.gaussian(f"{node.name}: residual variance",
                                   np.array([r2.sum(), len(r2)], float),
                                   math.sqrt(clip**4 + 1.0), _RESIDUAL_SHARE * main_rho)
        self.sd_ = float(math.sqrt(min(max(released[0] / max(released[1], 1.0), 1e-6), 1.0)))

    def evaluate(self, parents: Mapping[str, np.ndarray], noise: np.ndarray) -> np.ndarray:
        n = len(noise)
        mean = self.features(parents, n) @ self.coef_
        z = mean + self.sd_ * special.ndtri(np.clip(noise[:, 0], _EPS, 1 - _EPS))
        y = _unscale(z, self.bounds)
        if self.node.type == "count":
            y = np.rint(y)
        if self.p0_:
            y = np.where(noise[:, 1] < self.p0_, 0.0, y)
        return _apply_gates(y, parents, self.gates)

    def describe(self) -> dict[str, Any]:
        return {"model": "private ridge (noisy sufficient statistics)", "noise": "gaussian",
                "gates": self.gates, "zero_share": round(self.p0_, 4)}


class PrivateClass:
    """Label child: noisy counts per parent cell (label parents only) or a linear probability
    model from noisy sufficient statistics (numeric parents)."""

    def __init__(self, node: Node, dag: DAG, values: Mapping[str, np.ndarray],
                 ranges: Mapping[str, tuple[float, float]], budget: Budget, rho: float,
                 knots: Mapping[str, np.ndarray] | None = None):
        self.node = node
        self.k = 2 if node.type == "binary" else len(node.categories or ())
        count_rho = _COUNT_SHARE * rho
        self.gates = _gate_parents(node, dag, values, budget, count_rho)
        y = values[node.name].astype(int)
        on = np.ones(len(y), dtype=bool)
        for g in self.gates:
            on &= values[g] == 1
        self.features = _Features(dag, node, ranges, knots)
        x = self.features({p: values[p][on] for p in node.parents}, int(on.sum()))
        z = np.column_stack([x, np.eye(self.k)[y[on]]])
        norm2 = self.features.norm2 + 1.0
        main_rho = rho - count_rho
        gram = _noisy_gram(z, norm2, budget, main_rho, f"{node.name}: classes")
        d = x.shape[1]
        self.coef_ = _solve(gram, d, Budget.sigma(norm2, main_rho), self.features.smooth)

    def evaluate(self, parents: Mapping[str, np.ndarray], noise: np.ndarray) -> np.ndarray:
        n = len(noise)
        proba = np.clip(self.features(parents, n) @ self.coef_, 1e-3, None)
        cum = np.cumsum(proba, axis=1)
        cum /= cum[:, -1:]
        y = np.minimum((noise[:, 0:1] >= cum).sum(axis=1), self.k - 1).astype(float)
        return _apply_gates(y, parents, self.gates)

    def describe(self) -> dict[str, Any]:
        return {"model": "private linear probability (noisy sufficient statistics)",
                "gates": self.gates}
