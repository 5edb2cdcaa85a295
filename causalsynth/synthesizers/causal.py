"""``causal``: a DAG-structured synthesizer that keeps attribution by construction.

The synthesizer is a fitted structural causal model. It walks the declared DAG in topological
order and learns, for every node, a conditional generative model of the node given its parents:

* **continuous and count nodes**: a regression for the conditional mean (ridge on a one-hot
  design or histogram gradient boosting, whichever has the lower validation error), a scale
  model for heteroscedastic noise (kept only when it lowers the validation negative
  log-likelihood), and a smoothed distribution of the standardised out-of-sample residuals
  (a variance-preserving Gaussian kernel density, Silverman's rule). Count nodes may use a
  Poisson draw instead, when it has the better validation likelihood. Nodes with many exact
  zeros get a hurdle: a classifier for ``P(zero | parents)`` and the regression on the non-zero
  rows. Samples stay within the natural support (``>= 0`` when every real value is).
* **binary and categorical nodes**: a classifier (smoothed frequencies, logistic regression or
  gradient boosting, whichever has the lower validation log-loss); values are drawn from the
  predicted probabilities.
* **structural zeros** ("no click without exposure"): when a child is zero on every row where a
  binary parent is 0, and chance cannot explain it, the parent is kept as a gate.
* **root nodes**: smoothed marginals (kernel density for numbers, add-one-half smoothed
  frequencies for labels), joined by a Gaussian copula when the real roots are dependent
  (|Spearman| >= ``copula_threshold`` with p < 0.01).

No real value is ever resampled: every numeric value passes through a smoothed quantile
function. Every node draws two stratified uniforms per row in a fixed order, so sampling under an
intervention reuses the same noise (common random numbers): the difference of two samples
with the same seed, with and without ``{"tv_spend": "+10%"}``, estimates the effect with little
Monte Carlo noise.

References
----------
Pearl. "Causality." Cambridge University Press, 2009 (structural causal models, do-operator).
Silverman. "Density Estimation for Statistics and Data Analysis." Chapman & Hall, 1986
(rule-of-thumb bandwidth, variance-preserving smoothed bootstrap, section 6.4.1).
Mullahy. "Specification and testing of some modified count data models." J. Econometrics, 1986
(hurdle models).
Nelsen. "An Introduction to Copulas." Springer, 2006 (Gaussian copula).
McKay, Beckman, Conover. "A comparison of three methods for selecting values of input variables
in the analysis of output from a computer code." Technometrics, 1979 (Latin hypercube sampling).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import signal, special, stats
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, RidgeCV
from threadpoolctl import threadpool_limits

from causalsynth._random import child_seed
from causalsynth.dag import DAG, Node
from causalsynth.errors import CausalSynthError, DAGError, SynthesizerError
from causalsynth.simulation import parse_intervention
from causalsynth.synthesizers.base import Synthesizer

__all__ = ["CausalSynthesizer"]

_ALPHAS = np.logspace(-4, 4, 17)
_SPLIT_ROWS = 1000      # above: one train/validation split; below: K-fold cross-validation
_SELECT_ROWS = 5000     # model selection runs on at most this many rows
_MIN_BOOST_ROWS = 200   # gradient boosting is a candidate from this many rows on
_MIN_SCALE_ROWS = 100   # a heteroscedastic scale model is a candidate from this many residuals
_SCALE_GAIN = 0.01      # ... and kept when it lowers the validation NLL by this much per row
_MIN_MODEL_ROWS = 5     # fewer fitted rows: the node's values are smoothed, parents ignored
_GATE_P = 0.01          # a structural zero is kept when chance would explain it with p < this
_COPULA_P = 0.01
_EPS = 1e-9


# ---------------------------------------------------------------------------------------
# A smoothed one-dimensional distribution
# ---------------------------------------------------------------------------------------
class _Smooth1D:
    """Variance-preserving Gaussian kernel density of a sample, as CDF and quantile function.

    The bandwidth follows Silverman's rule of thumb, ``0.9 min(sd, IQR/1.349) n^(-1/5)``; the
    density is evaluated on a fine grid by binning and FFT convolution, and rescaled about the
    mean by ``1 / sqrt(1 + h^2 / var)`` so that its variance equals the sample's (Silverman
    1986, 6.4.1). Values drawn through :meth:`ppf` are interpolations on that grid: never
    verbatim sample values.
    """

    def __init__(self, x: np.ndarray):
        x = np.asarray(x, dtype=float)
        n = len(x)
        mu = float(x.mean())
        sd = float(x.std(ddof=1)) if n > 1 else 0.0
        iqr = float(np.subtract(*np.percentile(x, [75, 25]))) if n > 1 else 0.0
        spread = min(sd, iqr / 1.349) if iqr > 0 else sd
        if spread <= 0:  # one value, or all equal: a small kernel around it
            spread = max(0.05 * abs(mu), 1e-6)
            sd = spread
        h = 0.9 * spread * n ** (-0.2)
        lo, hi = float(x.min()) - 6 * h, float(x.max()) + 6 * h
        size = int(np.clip(np.ceil((hi - lo) / (h / 8)), 512, 1 << 16))
        delta = (hi - lo) / size
        # linear binning of the sample onto bin centres, then convolution with the kernel
        pos = (x - lo) / delta - 0.5
        i0 = np.clip(np.floor(pos).astype(int), 0, size - 1)
        frac = np.clip(pos - i0, 0.0, 1.0)
        weights = np.bincount(i0, 1 - frac, minlength=size) + np.bincount(
            np.minimum(i0 + 1, size - 1), frac, minlength=size)
        half = int(np.ceil(6 * h / delta))
        kernel = np.exp(-0.5 * (np.arange(-half, half + 1) * delta / h) ** 2)
        pdf = np.clip(signal.fftconvolve(weights, kernel, mode="same")[:size], 0.0, None)
        # a tiny ramp keeps the CDF strictly increasing, so the quantile function is defined
        cdf = np.concatenate([[0.0], np.cumsum(pdf + 1e-12 * pdf.sum())])
        self.cdf_ = cdf / cdf[-1]
        shrink = 1.0 / np.sqrt(1.0 + h**2 / max(sd**2, 1e-300))
        self.edges_ = mu + (lo + delta * np.arange(size + 1) - mu) * shrink
        self.bandwidth_ = h * shrink

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return np.interp(x, self.edges_, self.cdf_)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.interp(u, self.cdf_, self.edges_)


# ---------------------------------------------------------------------------------------
# Inputs of a node's model: its parents as a linear design and as a tree design
# ---------------------------------------------------------------------------------------
@dataclass
class _X:
    lin: np.ndarray    # numeric parents standardised, categorical parents one-hot
    tree: np.ndarray   # numeric parents raw, categorical parents as codes

    def take(self, rows: np.ndarray) -> _X:
        return _X(self.lin[rows], self.tree[rows])

    def __len__(self) -> int:
        return len(self.lin)


class _Design:
    """Turns the parents' values (categorical as integer codes) into model inputs."""

    def __init__(self, dag: DAG, parents: tuple[str, ...], values: Mapping[str, np.ndarray]):
        self.parents = parents
        self.levels = [len(dag.node(p).categories) if dag.node(p).type == "categorical" else 0
                       for p in parents]
        self.center, self.scale = [], []
        for p, k in zip(parents, self.levels, strict=True):
            v = values[p]
            self.center.append(0.0 if k else float(v.mean()))
            self.scale.append(1.0 if k else float(v.std()) or 1.0)
        self.cat_mask = np.array([k > 0 for k in self.levels], dtype=bool)

    def __call__(self, values: Mapping[str, np.ndarray], n: int) -> _X:
        lin, tree = [np.ones((n, 0))], []
        for p, k, c, s in zip(self.parents, self.levels, self.center, self.scale, strict=True):
            v = np.asarray(values[p], dtype=float)
            tree.append(v)
            if k:
                lin.append(np.eye(k)[np.clip(v.astype(int), 0, k - 1)])
            else:
                lin.append(((v - c) / s)[:, None])
        return _X(np.hstack(lin), np.column_stack(tree) if tree else np.zeros((n, 0)))


# ---------------------------------------------------------------------------------------
# Candidate models and their selection by validation error
# ---------------------------------------------------------------------------------------
class _Model:
    """One candidate: ``constant``, ``linear`` or ``boosting``; regression or classification."""

    def __init__(self, kind: str, classes: int, cat_mask: np.ndarray, seed: int):
        self.kind, self.classes, self.cat_mask, self.seed = kind, classes, cat_mask, seed

    def fit(self, x: _X, y: np.ndarray) -> _Model:
        if self.classes:
            return self._fit_classifier(x, y.astype(int))
        if self.kind == "constant" or x.lin.shape[1] == 0:
            self.kind, self.mean_ = "constant", float(y.mean())
        elif self.kind == "linear":
            self.model_ = RidgeCV(alphas=_ALPHAS).fit(x.lin, y)
        else:  # boosting on the ridge residuals: fast to stop when the ridge says it all,
            # and extrapolates linearly (not flat) under interventions beyond the data
            self.model_ = RidgeCV(alphas=_ALPHAS).fit(x.lin, y)
            self.boost_ = HistGradientBoostingRegressor(**self._boost_params()).fit(
                x.tree, y - self.model_.predict(x.lin))
        return self

    def _fit_classifier(self, x: _X, y: np.ndarray) -> _Model:
        counts = np.bincount(y, minlength=self.classes).astype(float)
        self.prior_ = (counts + 0.5) / (counts.sum() + 0.5 * self.classes)
        self.present_ = np.flatnonzero(counts)
        if len(self.present_) < 2 or x.lin.shape[1] == 0:
            self.kind = "constant"
        if self.kind == "linear":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.model_ = LogisticRegression(C=1.0, max_iter=500).fit(x.lin, y)
        elif self.kind == "boosting":
            self.model_ = HistGradientBoostingClassifier(**self._boost_params()).fit(x.tree, y)
        return self

    def _boost_params(self) -> dict[str, Any]:
        return dict(max_iter=300, learning_rate=0.1, early_stopping=True,
                    validation_fraction=0.1, n_iter_no_change=15, random_state=self.seed,
                    categorical_features=self.cat_mask if self.cat_mask.any() else None)

    def predict(self, x: _X) -> np.ndarray:
        """Conditional mean (regression) or class probabilities over all classes."""
        n = len(x)
        if self.classes:
            if self.kind == "constant":
                return np.tile(self.prior_, (n, 1))
            proba = np.zeros((n, self.classes))
            raw = self.model_.predict_proba(x.lin if self.kind == "linear" else x.tree)
            proba[:, self.model_.classes_.astype(int)] = raw
            return proba
        if self.kind == "constant":
            return np.full(n, self.mean_)
        pred = self.model_.predict(x.lin)
        return pred + self.boost_.predict(x.tree) if self.kind == "boosting" else pred


def _loss(y: np.ndarray, pred: np.ndarray, classes: int) -> float:
    if classes:
        p = np.clip(pred[np.arange(len(y)), y.astype(int)], 1e-6, 1.0)
        return float(-np.mean(np.log(p)))
    return float(np.mean((y - pred) ** 2))


@dataclass
class _Fitted:
    model: _Model
    rows: np.ndarray        # rows whose predictions are out of sample (or nearly: see _select)
    pred: np.ndarray        # the model's predictions on those rows
    scores: dict[str, float]


def _select(x: _X, y: np.ndarray, classes: int, cat_mask: np.ndarray,
            rng: np.random.Generator) -> _Fitted:
    """Pick the candidate with the lowest validation loss and fit it.

    Large tables: one 75/25 split of at most ``_SELECT_ROWS`` rows picks the candidate; a
    winning ridge or logistic model is refit on every row (with few parameters its in-sample
    residuals are honest), a winning boosting model on 80% of the rows, keeping the other 20%
    for out-of-sample residuals. Small tables: K-fold cross-validation picks, the winner is
    refit on every row and the residuals are the out-of-fold ones.
    """
    n = len(y)
    kinds = ["constant", "linear"] + (["boosting"] if n >= _MIN_BOOST_ROWS else [])
    if not classes:
        kinds.remove("constant")  # ridge with a large penalty covers it

    def make(kind: str) -> _Model:
        return _Model(kind, classes, cat_mask, child_seed(rng))

    if n < _MIN_MODEL_ROWS:  # too few rows to validate anything: the smoothed mean
        model = make("constant").fit(x, y)
        return _Fitted(model, np.arange(n), model.predict(x), {})
    if n > _SPLIT_ROWS:
        sel = rng.permutation(n)[:_SELECT_ROWS]
        cut = int(0.75 * len(sel))
        tr, va = sel[:cut], sel[cut:]
        scores = {k: _loss(y[va], make(k).fit(x.take(tr), y[tr]).predict(x.take(va)), classes)
                  for k in kinds}
        best = min(scores, key=scores.get)
        if best == "boosting" and not classes:
            perm = rng.permutation(n)
            hold, train = perm[: n // 5], perm[n // 5:]
            model = make(best).fit(x.take(train), y[train])
            return _Fitted(model, hold, model.predict(x.take(hold)), scores)
        model = make(best).fit(x, y)
        rows = np.arange(n)
        return _Fitted(model, rows, model.predict(x), scores)
    folds = rng.permutation(n) % min(5, n)
    oof = {}
    for k in kinds:
        pred = np.zeros((n, classes)) if classes else np.zeros(n)
        for f in np.unique(folds):
            tr, va = folds != f, folds == f
            pred[va] = make(k).fit(x.take(tr), y[tr]).predict(x.take(va))
        oof[k] = pred
    scores = {k: _loss(y, oof[k], classes) for k in kinds}
    best = min(scores, key=scores.get)
    return _Fitted(make(best).fit(x, y), np.arange(n), oof[best], scores)


# ---------------------------------------------------------------------------------------
# Node models
# ---------------------------------------------------------------------------------------
class _RootModel:
    """A smoothed marginal; ``value(u)`` is increasing in ``u`` so a copula can join roots."""

    def __init__(self, node: Node, x: np.ndarray, zero_share: float):
        self.node = node
        if node.type == "categorical":
            counts = np.bincount(x.astype(int), minlength=len(node.categories)).astype(float)
            self.cum_ = np.cumsum((counts + 0.5) / (counts.sum() + 0.5 * len(counts)))
        elif node.type == "binary":
            self.p1_ = (float(x.sum()) + 0.5) / (len(x) + 1.0)
        else:
            self.numeric_ = _NumericMarginal(node, x, zero_share)

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


def _zero_inflated(x: np.ndarray, zero_share: float) -> bool:
    zeros = int(np.sum(x == 0))
    return zeros >= 2 and len(x) - zeros >= 2 and zeros / len(x) >= zero_share


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
        self.dist_ = _Smooth1D(rest)
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


class _ClassNode:
    """Binary or categorical child: a classifier picked by validation log-loss."""

    def __init__(self, node: Node, design: _Design, gates: list[str],
                 values: Mapping[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator):
        self.node, self.design, self.gates = node, design, gates
        self.classes = 2 if node.type == "binary" else len(node.categories)
        y = values[node.name][rows].astype(int)
        x = design(values, len(values[node.name])).take(rows)
        self.fit_ = _select(x, y, self.classes, design.cat_mask, rng)

    def sample(self, values: Mapping[str, np.ndarray], u: np.ndarray) -> np.ndarray:
        proba = self.fit_.model.predict(self.design(values, len(u)))
        cum = np.cumsum(proba, axis=1)
        cum /= cum[:, -1:]
        y = np.minimum((u[:, 0:1] >= cum).sum(axis=1), self.classes - 1).astype(float)
        return _apply_gates(y, values, self.gates)

    def describe(self) -> dict[str, Any]:
        return {"model": self.fit_.model.kind, "gates": self.gates,
                "validation_log_loss": _round(self.fit_.scores)}


class _NumericNode:
    """Continuous or count child: mean model + scale model + smoothed residuals (or Poisson),
    behind a zero hurdle when the node has many exact zeros."""

    def __init__(self, node: Node, design: _Design, gates: list[str],
                 values: Mapping[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator,
                 zero_share: float):
        self.node, self.design, self.gates = node, design, gates
        n_all = len(values[node.name])
        y_all = values[node.name][rows]
        x_all = design(values, n_all).take(rows)
        self.hurdle = _zero_inflated(y_all, zero_share) and np.sum(y_all != 0) >= _MIN_MODEL_ROWS
        self.zero_ = None
        if self.hurdle:
            self.zero_ = _select(x_all, (y_all == 0).astype(int), 2, design.cat_mask, rng)
            keep = y_all != 0
            x, y = x_all.take(np.flatnonzero(keep)), y_all[keep]
        else:
            x, y = x_all, y_all
        self.lower_ = _lower_bound(node, y_all, self.hurdle)
        if len(y) < _MIN_MODEL_ROWS:  # too few rows to learn from the parents
            x = _X(np.ones((len(y), 0)), np.ones((len(y), 0)))
            self.design = None
        self.mean_ = _select(x, y.astype(float), 0, design.cat_mask, rng)
        resid_rows = self.mean_.rows
        r = y[resid_rows] - self.mean_.pred
        x_r = x.take(resid_rows)
        self.scale_ = _ScaleModel(x_r, self.mean_.pred, r, rng, design.cat_mask)
        e = r / self.scale_.predict(x_r, self.mean_.pred)
        self.resid_ = _Smooth1D(e)
        self.poisson_ = node.type == "count" and not self.hurdle and self._poisson_fits(
            y[resid_rows], self.mean_.pred, self.scale_.predict(x_r, self.mean_.pred))

    def _poisson_fits(self, y: np.ndarray, m: np.ndarray, s: np.ndarray) -> bool:
        """Poisson draws when their validation log-likelihood beats the rounded continuous one."""
        ll_pois = np.mean(stats.poisson.logpmf(y, np.maximum(m, 1e-6)))
        p = self.resid_.cdf((y + 0.5 - m) / s) - self.resid_.cdf((y - 0.5 - m) / s)
        ll_cont = np.mean(np.log(np.maximum(p, 1e-300)))
        return bool(ll_pois > ll_cont)

    def sample(self, values: Mapping[str, np.ndarray], u: np.ndarray) -> np.ndarray:
        n = len(u)
        x = self.design(values, n) if self.design is not None else _X(np.ones((n, 0)),
                                                                       np.ones((n, 0)))
        m = self.mean_.model.predict(x)
        if self.poisson_:
            y = stats.poisson.ppf(np.clip(u[:, 0], _EPS, 1 - _EPS), np.maximum(m, 1e-6))
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
        if self.zero_ is not None:
            p0 = self.zero_.model.predict(self.design(values, n))[:, 1]
            y = np.where(u[:, 1] < p0, 0.0, y)
        return _apply_gates(y, values, self.gates)

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

    def __init__(self, x: _X, m: np.ndarray, r: np.ndarray, rng: np.random.Generator,
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
        g = RidgeCV(alphas=_ALPHAS).fit(z[a], t[a])
        gb = g.predict(z[b])
        c = np.mean(r[a] ** 2 / np.exp(g.predict(z[a])))
        nll_het = np.mean(0.5 * (np.log(c) + gb) + r[b] ** 2 / (2 * c * np.exp(gb)))
        var0 = np.mean(r[a] ** 2)
        nll_hom = np.mean(0.5 * np.log(var0) + r[b] ** 2 / (2 * var0))
        if nll_hom - nll_het < _SCALE_GAIN:
            return
        self.kind = "heteroscedastic"
        self.g_ = RidgeCV(alphas=_ALPHAS).fit(z, t)
        fitted = self.g_.predict(z)
        # extrapolated scales are bounded by those seen in the data
        self.g_range_ = (float(fitted.min()), float(fitted.max()))
        self.c_ = float(np.mean(r**2 / np.exp(fitted)))

    def _features(self, x: _X, m: np.ndarray) -> np.ndarray:
        mz = (m - self.m_center_) / self.m_scale_
        return np.column_stack([x.lin, mz, mz**2])

    def predict(self, x: _X, m: np.ndarray) -> np.ndarray:
        if self.kind == "homoscedastic":
            return np.full(len(m), self.sd_)
        g = np.clip(self.g_.predict(self._features(x, m)), *self.g_range_)
        return np.sqrt(self.c_ * np.exp(g))


def _apply_gates(y: np.ndarray, values: Mapping[str, np.ndarray], gates: list[str]) -> np.ndarray:
    for g in gates:
        y = np.where(np.asarray(values[g]) > 0.5, y, 0.0)
    return y


def _find_gates(node: Node, dag: DAG, values: Mapping[str, np.ndarray]) -> list[str]:
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
def _root_copula(roots: list[str], dag: DAG, values: Mapping[str, np.ndarray],
                 threshold: float) -> tuple[list[str], np.ndarray | None, list[dict]]:
    """Roots joined by a Gaussian copula and the Cholesky factor of its correlation.

    Numeric and binary roots enter; a pair counts as dependent when |Spearman| >= threshold
    and p < 0.01 (at 20,000 rows p alone flags negligible correlations). Categorical roots with
    more than two levels have no order, so they are drawn independently.
    """
    members = [r for r in roots if dag.node(r).type != "categorical"]
    tests = []
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


# ---------------------------------------------------------------------------------------
# The synthesizer
# ---------------------------------------------------------------------------------------
class CausalSynthesizer(Synthesizer):
    """A structural causal model fitted along the declared DAG; samples under interventions.

    Parameters
    ----------
    random_state : int or None, default 0
        Seed of the fitting randomness (validation splits, gradient boosting). ``sample`` has
        its own ``seed``.
    zero_share : float, default 0.05
        A numeric node with at least this share of exact zeros gets a zero hurdle.
    copula_threshold : float, default 0.1
        Roots are joined by a Gaussian copula when some pair has |Spearman| at least this
        (with p < 0.01).

    Attributes
    ----------
    models_ : dict
        One fitted model per node, in topological order.
    summary_ : pandas.DataFrame
        Per node: the model chosen, its validation scores, noise model, gates.

    Examples
    --------
    >>> from causalsynth import load_dag, make_synthesizer
    >>> dag = load_dag("acquisition")
    >>> synth = make_synthesizer("causal").fit(dag.simulate(2000, seed=0), dag)
    >>> base = synth.sample(5000, seed=1)
    >>> more_tv = synth.sample(5000, seed=1, interventions={"tv_spend": "+10%"})
    >>> 8000 < (more_tv["revenue"] - base["revenue"]).mean() < 12000   # truth: 10,003
    True

    References
    ----------
    Pearl. "Causality." 2009. Silverman. "Density Estimation." 1986. Mullahy. "Specification
    and testing of some modified count data models." 1986.
    """

    name: ClassVar[str] = "causal"
    #: a node model needs a handful of rows; smaller subsets fall back to smoothed marginals.
    min_rows: ClassVar[int] = 10
    supports_interventions: ClassVar[bool] = True

    def __init__(self, random_state: int | None = 0, zero_share: float = 0.05,
                 copula_threshold: float = 0.1):
        self.random_state = random_state
        self.zero_share = zero_share
        self.copula_threshold = copula_threshold

    # ---- fitting --------------------------------------------------------------------
    def _fit(self, data: pd.DataFrame, dag: DAG) -> None:
        if not 0 < self.zero_share < 1:
            raise CausalSynthError(f"The 'zero_share' parameter of CausalSynthesizer must be "
                                   f"in (0, 1). Got {self.zero_share!r} instead.")
        if not 0 < self.copula_threshold < 1:
            raise CausalSynthError(f"The 'copula_threshold' parameter of CausalSynthesizer "
                                   f"must be in (0, 1). Got {self.copula_threshold!r} instead.")
        rng = np.random.default_rng(self.random_state)
        values = _to_arrays(data, dag)
        self.models_: dict[str, Any] = {}
        # HistGradientBoosting's OpenMP threads stall badly on a shared, loaded machine
        with threadpool_limits(limits=1):
            for name in dag.nodes:
                try:
                    self.models_[name] = self._fit_node(dag.node(name), dag, values, rng)
                except CausalSynthError:
                    raise
                except Exception as exc:  # a model library failed: name the node
                    raise SynthesizerError(
                        f"causal: fitting the model of node {name!r} failed ({exc}); check "
                        f"that column for extreme or degenerate values") from exc
        self.copula_roots_, self.copula_chol_, self.root_tests_ = _root_copula(
            dag.roots, dag, values, self.copula_threshold)
        self.summary_ = self._summary()

    def _fit_node(self, node: Node, dag: DAG, values: Mapping[str, np.ndarray],
                  rng: np.random.Generator):
        if not node.parents:
            return _RootModel(node, values[node.name], self.zero_share)
        gates = _find_gates(node, dag, values)
        on = np.ones(len(values[node.name]), dtype=bool)
        for g in gates:
            on &= values[g] == 1
        rows = np.flatnonzero(on)
        design = _Design(dag, node.parents, values)
        if node.type in ("binary", "categorical"):
            return _ClassNode(node, design, gates, values, rows, rng)
        return _NumericNode(node, design, gates, values, rows, rng, self.zero_share)

    def _summary(self) -> pd.DataFrame:
        rows = []
        for name, model in self.models_.items():
            info = model.describe()
            info["copula"] = name in self.copula_roots_
            rows.append({"node": name, "type": self.dag_.node(name).type, **info})
        return pd.DataFrame(rows)

    # ---- sampling -------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator,
                interventions: Mapping[str, Any] | None = None) -> pd.DataFrame:
        dag = self.dag_
        do = self._parse_interventions(interventions or {})
        # two uniforms per node and row, drawn in a fixed order whatever the interventions:
        # the same seed gives the same noise with and without them (common random numbers)
        noise = {name: _stratified_uniforms(n, rng) for name in dag.nodes}
        root_u = self._root_uniforms(noise)
        values: dict[str, np.ndarray] = {}
        with threadpool_limits(limits=1):
            for name in dag.nodes:
                model = self.models_[name]
                if isinstance(model, _RootModel):
                    natural = model.value(root_u[name])
                else:
                    natural = model.sample(values, noise[name])
                if name in do:
                    natural = self._intervene(name, do[name], natural)
                values[name] = natural
        return _to_frame(values, dag)

    def _root_uniforms(self, noise: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        u = {name: noise[name][:, 0] for name in self.dag_.roots}
        if self.copula_chol_ is not None:
            z = special.ndtri(np.clip(np.column_stack([u[r] for r in self.copula_roots_]),
                                      _EPS, 1 - _EPS))
            joined = special.ndtr(z @ self.copula_chol_.T)
            for i, r in enumerate(self.copula_roots_):
                u[r] = joined[:, i]
        return u

    def _parse_interventions(self, interventions: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(interventions, Mapping):
            raise DAGError(f"interventions must be a mapping {{node: value or shift}}, such as "
                           f"{{'tv_spend': '+10%'}}; got {type(interventions).__name__}")
        parsed = {}
        for name, value in interventions.items():
            node = self.dag_.node(str(name))  # unknown node: DAGError listing the nodes
            parsed[node.name] = parse_intervention(node, value)
        return parsed

    def _intervene(self, name: str, fn, natural: np.ndarray) -> np.ndarray:
        out = np.asarray(fn(natural), dtype=float)
        if out.shape != natural.shape or not np.all(np.isfinite(out)):
            raise DAGError(f"intervention on {name!r} must give one finite number per row; "
                           f"got shape {out.shape}")
        node = self.dag_.node(name)
        if node.type == "count" and np.any(out < 0):
            raise DAGError(f"intervention on {name!r} gives negative counts; a count node "
                           f"takes values >= 0")
        return out


def _stratified_uniforms(n: int, rng: np.random.Generator) -> np.ndarray:
    """Two columns of uniforms, each a Latin-hypercube (stratified) sample of (0, 1).

    Every row is still exactly uniform, but the n values of a column cover (0, 1) evenly, so a
    synthetic table's marginals carry less Monte Carlo noise than i.i.d. draws would give
    (McKay, Beckman and Conover 1979). Columns and nodes are permuted independently.
    """
    return (np.column_stack([rng.permutation(n), rng.permutation(n)])
            + rng.random((n, 2))) / n


def _to_arrays(data: pd.DataFrame, dag: DAG) -> dict[str, np.ndarray]:
    """Typed table -> float arrays; categorical columns become integer codes."""
    out = {}
    for name in dag.nodes:
        col = data[name]
        if dag.node(name).type == "categorical":
            out[name] = col.cat.codes.to_numpy().astype(float)
        else:
            out[name] = col.to_numpy(dtype=float)
    return out


def _to_frame(values: Mapping[str, np.ndarray], dag: DAG) -> pd.DataFrame:
    columns = {}
    for name in dag.nodes:
        node, v = dag.node(name), values[name]
        if node.type == "categorical":
            codes = np.clip(np.rint(v).astype(int), 0, len(node.categories) - 1)
            columns[name] = pd.Categorical.from_codes(codes, categories=list(node.categories))
        elif node.type in ("binary", "count"):
            columns[name] = np.rint(v).astype("int64")
        else:
            columns[name] = v.astype("float64")
    return pd.DataFrame(columns)
