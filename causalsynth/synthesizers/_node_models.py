"""The ``causal`` synthesizer's mechanisms: one fitted model per node (smoothed marginals for
roots, classifiers for labels, mean + scale + smoothed residuals for numbers, zero hurdles and
structural-zero gates), and the Gaussian copula that joins dependent roots. Each child model is
a :class:`causalsynth.scm.Mechanism`: ``evaluate(parents, noise)`` with two uniforms per row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import special, stats
from sklearn.linear_model import RidgeCV

from causalsynth.dag import DAG, Node
from causalsynth.synthesizers._fitting import (
    ALPHAS,
    MIN_MODEL_ROWS,
    Design,
    Inputs,
    Smooth1D,
    select_model,
)

__all__ = ["EPS", "ClassNode", "NumericNode", "RootModel", "find_gates", "root_copula"]

_MIN_SCALE_ROWS = 100   # a heteroscedastic scale model is a candidate from this many residuals
_SCALE_GAIN = 0.01      # ... and kept when it lowers the validation NLL by this much per row
_GATE_P = 0.01          # a structural zero is kept when chance would explain it with p < this
_COPULA_P = 0.01
EPS = 1e-9


# ---------------------------------------------------------------------------------------
# Node models
# ---------------------------------------------------------------------------------------
class RootModel:
    """A smoothed marginal; ``value(u)`` is increasing in ``u`` so a copula can join roots."""

    def __init__(self, node: Node, x: np.ndarray, zero_share: float):
        self.node = node
        if node.type == "categorical":
            counts = np.bincount(x.astype(int), minlength=len(node.categories or ())).astype(float)
            self.cum_ = np.cumsum((counts + 0.5) / (counts.sum() + 0.5 * len(counts)))
        elif node.type == "binary":
            self.p1_ = (float(x.sum()) + 0.5) / (len(x) + 1.0)
        else:
            self.numeric_ = _NumericMarginal(node, x, zero_share)

    def evaluate(self, parents: Mapping[str, np.ndarray], noise: np.ndarray) -> np.ndarray:
        """The root's values; ``noise`` is one uniform per row (copula-joined upstream)."""
        return self.value(noise)

    def value(self, u: np.ndarray) -> np.ndarray:
        if self.node.type == "categorical":
            return np.minimum(np.searchsorted(self.cum_, u, side="right"),
                              len(self.cum_) - 1).astype(float)
        if self.node.type == "binary":
            return (u > 1.0 - self.p1_).astype(float)
        return self.numeric_.value(u)

    def describe(self) -> dict[str, Any]:
        if self.node.type in ("categorical", "binary"):
            return {"model": "smoothed frequencies"}
        return self.numeric_.describe()


#: this many exact zeros get a hurdle whatever their share: a point mass a smoothed density
#: would spread over small values (3.5 % of geo_mmm's search weeks are spend clipped to 0,
#: the steep start of the response curve; without them synthetic search lost ~10 % of its
#: within-geo effect on revenue)
_MIN_ZEROS = 50


def _zero_inflated(x: np.ndarray, zero_share: float) -> bool:
    zeros = int(np.sum(x == 0))
    return zeros >= 2 and len(x) - zeros >= 2 and (zeros / len(x) >= zero_share
                                                   or zeros >= _MIN_ZEROS)


def _lower_bound(node: Node, x: np.ndarray, hurdle: bool) -> float:
    """Lowest value a draw may take before rounding: natural support of the real values."""
    if node.type == "count":
        return 0.5 if hurdle else -0.5
    return 0.0 if np.min(x) >= 0 else -np.inf


class _NumericMarginal:
    """Kernel-smoothed marginal of a numeric root, with a point mass at zero when zero-inflated."""

    def __init__(self, node: Node, x: np.ndarray, zero_share: float):
        self.count = node.type == "count"
        self.hurdle = _zero_inflated(x, zero_share)
        self.p0_ = (np.sum(x == 0) + 0.5) / (len(x) + 1.0) if self.hurdle else 0.0
        rest = x[x != 0] if self.hurdle else x
        self.dist_ = Smooth1D(rest)
        lo = _lower_bound(node, x, self.hurdle)
        self.u_lo_ = float(self.dist_.cdf(np.array([lo]))[0]) if np.isfinite(lo) else 0.0

    def value(self, u: np.ndarray) -> np.ndarray:
        v = np.clip((u - self.p0_) / (1.0 - self.p0_), 0.0, 1.0)
        x = self.dist_.ppf(self.u_lo_ + v * (1.0 - self.u_lo_))
        if self.count:
            x = np.maximum(np.rint(x), 0.0)
        return np.where(u < self.p0_, 0.0, x)

    def describe(self) -> dict[str, Any]:
        return {"model": "kernel density", "zero_share": round(float(self.p0_), 4)}


class ClassNode:
    """Binary or categorical child: a classifier picked by validation log-loss."""

    def __init__(self, node: Node, design: Design, gates: list[str],
                 values: Mapping[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator):
        self.node, self.design, self.gates = node, design, gates
        self.classes = 2 if node.type == "binary" else len(node.categories or ())
        y = values[node.name][rows].astype(int)
        x = design(values, len(values[node.name])).take(rows)
        self.fit_ = select_model(x, y, self.classes, design.cat_mask, rng)

    def evaluate(self, values: Mapping[str, np.ndarray], u: np.ndarray) -> np.ndarray:
        proba = self.fit_.model.predict(self.design(values, len(u)))
        cum = np.cumsum(proba, axis=1)
        cum /= cum[:, -1:]
        y = np.minimum((u[:, 0:1] >= cum).sum(axis=1), self.classes - 1).astype(float)
        return _apply_gates(y, values, self.gates)

    def describe(self) -> dict[str, Any]:
        return {"model": self.fit_.model.kind, "gates": self.gates,
                "validation_log_loss": _round(self.fit_.scores)}

    def scores(self, values: Mapping[str, np.ndarray], y: np.ndarray,
               rng: np.random.Generator) -> tuple[np.ndarray, None]:
        """Randomised probability integral transform of the observed labels ``y``: uniform
        when the model is right, so its autocorrelation along a series is the noise's."""
        proba = self.fit_.model.predict(self.design(values, len(y)))
        proba /= proba.sum(axis=1, keepdims=True)
        k = y.astype(int)
        below = np.cumsum(proba, axis=1)[np.arange(len(k)), k] - proba[np.arange(len(k)), k]
        u = below + rng.random(len(k)) * proba[np.arange(len(k)), k]
        return _gated(np.clip(u, EPS, 1 - EPS), values, self.gates), None


class NumericNode:
    """Continuous or count child: mean model + scale model + smoothed residuals (or Poisson),
    behind a zero hurdle when the node has many exact zeros."""

    def __init__(self, node: Node, design: Design, gates: list[str],
                 values: Mapping[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator,
                 zero_share: float):
        self.node, self.gates = node, gates
        self.design: Design | None = design
        n_all = len(values[node.name])
        y_all = values[node.name][rows]
        x_all = design(values, n_all).take(rows)
        self.hurdle = _zero_inflated(y_all, zero_share) and np.sum(y_all != 0) >= MIN_MODEL_ROWS
        self.zero_ = None
        if self.hurdle:
            self.zero_ = select_model(x_all, (y_all == 0).astype(int), 2, design.cat_mask, rng)
            keep = y_all != 0
            x, y = x_all.take(np.flatnonzero(keep)), y_all[keep]
        else:
            x, y = x_all, y_all
        self.lower_ = _lower_bound(node, y_all, self.hurdle)
        if len(y) < MIN_MODEL_ROWS:  # too few rows to learn from the parents
            x = Inputs(np.ones((len(y), 0)), np.ones((len(y), 0)))
            self.design = None
        self.mean_ = select_model(x, y.astype(float), 0, design.cat_mask, rng)
        resid_rows = self.mean_.rows
        r = y[resid_rows] - self.mean_.pred
        x_r = x.take(resid_rows)
        self.scale_ = _ScaleModel(x_r, self.mean_.pred, r, rng, design.cat_mask)
        e = r / self.scale_.predict(x_r, self.mean_.pred)
        self.resid_ = Smooth1D(e)
        self.poisson_ = node.type == "count" and not self.hurdle and self._poisson_fits(
            y[resid_rows], self.mean_.pred, self.scale_.predict(x_r, self.mean_.pred))

    def _poisson_fits(self, y: np.ndarray, m: np.ndarray, s: np.ndarray) -> bool:
        """Poisson draws when their validation log-likelihood beats the rounded continuous one."""
        ll_pois = np.mean(stats.poisson.logpmf(y, np.maximum(m, 1e-6)))
        p = self.resid_.cdf((y + 0.5 - m) / s) - self.resid_.cdf((y - 0.5 - m) / s)
        ll_cont = np.mean(np.log(np.maximum(p, 1e-300)))
        return bool(ll_pois > ll_cont)

    def evaluate(self, values: Mapping[str, np.ndarray], u: np.ndarray) -> np.ndarray:
        n = len(u)
        x = self.design(values, n) if self.design is not None else Inputs(np.ones((n, 0)),
                                                                       np.ones((n, 0)))
        m = self.mean_.model.predict(x)
        if self.poisson_:
            y = stats.poisson.ppf(np.clip(u[:, 0], EPS, 1 - EPS), np.maximum(m, 1e-6))
        else:
            s = self.scale_.predict(x, m)
            v = u[:, 0]
            if np.isfinite(self.lower_):  # draw from the noise truncated to the support
                u_lo = self.resid_.cdf((self.lower_ - m) / s)
                v = u_lo + v * (1.0 - u_lo)
            y = m + s * self.resid_.ppf(v)
            if self.node.type == "count":
                y = np.maximum(np.rint(y), 0.0)
            elif np.isfinite(self.lower_):
                y = np.maximum(y, self.lower_)
        if self.zero_ is not None and self.design is not None:  # a hurdle keeps its design
            p0 = self.zero_.model.predict(self.design(values, n))[:, 1]
            y = np.where(u[:, 1] < p0, 0.0, y)
        return _apply_gates(y, values, self.gates)

    def scores(self, values: Mapping[str, np.ndarray], y: np.ndarray,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        """Probability integral transform of the observed ``y`` (NaN on a hurdle's zeros and
        where a gate is off) and, with a hurdle, each row's probability of a zero."""
        n = len(y)
        x = self.design(values, n) if self.design is not None else Inputs(np.ones((n, 0)),
                                                                       np.ones((n, 0)))
        m = self.mean_.model.predict(x)
        if self.poisson_:
            mu = np.maximum(m, 1e-6)
            lo, hi = stats.poisson.cdf(y - 1, mu), stats.poisson.cdf(y, mu)
            u = lo + rng.random(n) * (hi - lo)
        else:
            s = self.scale_.predict(x, m)
            u = self.resid_.cdf((y - m) / s)
            if np.isfinite(self.lower_):
                u_lo = self.resid_.cdf((self.lower_ - m) / s)
                u = (u - u_lo) / np.maximum(1.0 - u_lo, EPS)
        p0 = None
        if self.zero_ is not None and self.design is not None:  # a hurdle keeps its design
            p0 = self.zero_.model.predict(self.design(values, n))[:, 1]
            u = np.where(y == 0, np.nan, u)
        return _gated(np.clip(u, EPS, 1 - EPS), values, self.gates), p0

    def describe(self) -> dict[str, Any]:
        out = {"model": self.mean_.model.kind, "validation_mse": _round(self.mean_.scores),
               "noise": "poisson" if self.poisson_ else self.scale_.kind + " kernel density",
               "gates": self.gates}
        if self.zero_ is not None:
            out["zero_model"] = self.zero_.model.kind
        return out


class _ScaleModel:
    """Noise scale ``s(x)``: constant, or ``exp(g(x)/2)`` with ``g`` a ridge regression of
    log squared residuals on the parents and the fitted mean, kept only when it lowers the
    Gaussian negative log-likelihood of held-out residuals by ``_SCALE_GAIN`` per row."""

    def __init__(self, x: Inputs, m: np.ndarray, r: np.ndarray, rng: np.random.Generator,
                 cat_mask: np.ndarray):
        self.kind = "homoscedastic"
        self.sd_ = float(np.sqrt(np.mean(r**2))) or 1.0
        if len(r) < _MIN_SCALE_ROWS or x.lin.shape[1] == 0:
            return
        self.m_center_, self.m_scale_ = float(m.mean()), float(m.std()) or 1.0
        z = self._features(x, m)
        t = np.log(r**2 + 1e-6 * self.sd_**2)
        half = rng.permutation(len(r)) < len(r) // 2
        a, b = half, ~half
        g = RidgeCV(alphas=ALPHAS).fit(z[a], t[a])
        gb = g.predict(z[b])
        c = np.mean(r[a] ** 2 / np.exp(g.predict(z[a])))
        nll_het = np.mean(0.5 * (np.log(c) + gb) + r[b] ** 2 / (2 * c * np.exp(gb)))
        var0 = np.mean(r[a] ** 2)
        nll_hom = np.mean(0.5 * np.log(var0) + r[b] ** 2 / (2 * var0))
        if nll_hom - nll_het < _SCALE_GAIN:
            return
        self.kind = "heteroscedastic"
        self.g_ = RidgeCV(alphas=ALPHAS).fit(z, t)
        fitted = self.g_.predict(z)
        # extrapolated scales are bounded by those seen in the data
        self.g_range_ = (float(fitted.min()), float(fitted.max()))
        self.c_ = float(np.mean(r**2 / np.exp(fitted)))

    def _features(self, x: Inputs, m: np.ndarray) -> np.ndarray:
        mz = (m - self.m_center_) / self.m_scale_
        return np.column_stack([x.lin, mz, mz**2])

    def predict(self, x: Inputs, m: np.ndarray) -> np.ndarray:
        if self.kind == "homoscedastic":
            return np.full(len(m), self.sd_)
        g = np.clip(self.g_.predict(self._features(x, m)), *self.g_range_)
        return np.sqrt(self.c_ * np.exp(g))


def _apply_gates(y: np.ndarray, values: Mapping[str, np.ndarray], gates: list[str]) -> np.ndarray:
    for g in gates:
        y = np.where(np.asarray(values[g]) > 0.5, y, 0.0)
    return y


def _gated(u: np.ndarray, values: Mapping[str, np.ndarray], gates: list[str]) -> np.ndarray:
    """NaN where a gate is off (the value is forced, its noise unseen)."""
    for g in gates:
        u = np.where(np.asarray(values[g]) > 0.5, u, np.nan)
    return u


def find_gates(node: Node, dag: DAG, values: Mapping[str, np.ndarray]) -> list[str]:
    """Binary parents whose 0 forces the node to 0 (no click without exposure).

    Kept when the node is 0 on all ``n0`` rows where the parent is 0, while it is non-zero
    on a share ``q`` of the other rows, and ``(1 - q) ** n0 < _GATE_P`` (chance is unlikely).
    """
    if node.type == "categorical":
        return []
    y = values[node.name]
    gates = []
    for p in node.parents:
        if dag.node(p).type != "binary":
            continue
        off = values[p] == 0
        n0 = int(off.sum())
        if n0 < 5 or np.any(y[off] != 0) or off.all():
            continue
        q = float(np.mean(y[~off] != 0))
        if q > 0 and (1.0 - q) ** n0 < _GATE_P:
            gates.append(p)
    return gates


def _round(scores: Mapping[str, float]) -> dict[str, float]:
    return {k: float(f"{v:.6g}") for k, v in scores.items()}


# ---------------------------------------------------------------------------------------
# Gaussian copula over dependent roots
# ---------------------------------------------------------------------------------------
def root_copula(roots: list[str], dag: DAG, values: Mapping[str, np.ndarray],
                 threshold: float) -> tuple[list[str], np.ndarray | None, list[dict]]:
    """Roots joined by a Gaussian copula and the Cholesky factor of its correlation.

    Numeric and binary roots enter; a pair counts as dependent when |Spearman| >= threshold
    and p < 0.01 (at 20,000 rows p alone flags negligible correlations). Categorical roots with
    more than two levels have no order, so they are drawn independently.
    """
    members = [r for r in roots if dag.node(r).type != "categorical"]
    tests: list[dict[str, Any]] = []
    if len(members) < 2:
        return [], None, tests
    k = len(members)
    dependent = np.zeros((k, k), dtype=bool)
    for i in range(k):
        for j in range(i + 1, k):
            res = stats.spearmanr(values[members[i]], values[members[j]])
            r, p = float(res.statistic), float(res.pvalue)
            dep = bool(np.isfinite(r) and abs(r) >= threshold and p < _COPULA_P)
            tests.append({"pair": (members[i], members[j]), "spearman": round(r, 4),
                          "p_value": float(f"{p:.3g}"), "dependent": dep})
            dependent[i, j] = dependent[j, i] = dep
    if not dependent.any():
        return [], None, tests
    keep = np.flatnonzero(dependent.any(axis=0))
    members = [members[i] for i in keep]
    scores = np.column_stack([
        special.ndtri(stats.rankdata(values[m]) / (len(values[m]) + 1.0)) for m in members])
    corr = np.corrcoef(scores, rowvar=False)
    corr = np.where(dependent[np.ix_(keep, keep)] | np.eye(len(keep), dtype=bool), corr, 0.0)
    # nearest positive-definite correlation: clip eigenvalues, rescale the diagonal to 1
    w, v = np.linalg.eigh(corr)
    corr = (v * np.maximum(w, 1e-6)) @ v.T
    d = np.sqrt(np.diag(corr))
    corr = corr / np.outer(d, d)
    return members, np.linalg.cholesky(corr), tests


