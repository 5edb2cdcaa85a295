"""Building blocks of the ``causal`` synthesizer's node models: a smoothed one-dimensional
distribution, the parents' design matrices, and candidate models chosen by validation error."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import signal
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, RidgeCV

from causalsynth._random import child_seed
from causalsynth.dag import DAG

__all__ = ["ALPHAS", "MIN_MODEL_ROWS", "CandidateModel", "Design", "Inputs", "Selected",
           "Smooth1D", "select_model"]

_ALPHAS = np.logspace(-4, 4, 17)
_SPLIT_ROWS = 1000      # above: one train/validation split; below: K-fold cross-validation
_SELECT_ROWS = 5000     # model selection runs on at most this many rows
_MIN_BOOST_ROWS = 200   # gradient boosting is a candidate from this many rows on
_MIN_CLASS_ROWS = 10    # ... and for labels, when each present label has this many rows
#: fewer fitted rows: the node's values are smoothed, parents ignored
MIN_MODEL_ROWS = 5

ALPHAS = _ALPHAS

# ---------------------------------------------------------------------------------------
# A smoothed one-dimensional distribution
# ---------------------------------------------------------------------------------------
class Smooth1D:
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
class Inputs:
    lin: np.ndarray    # numeric parents standardised, categorical parents one-hot
    tree: np.ndarray   # numeric parents raw, categorical parents as codes

    def take(self, rows: np.ndarray) -> Inputs:
        return Inputs(self.lin[rows], self.tree[rows])

    def __len__(self) -> int:
        return len(self.lin)


class Design:
    """Turns the parents' values (categorical as integer codes) into model inputs.

    An input that is not a node of the DAG (a time feature, a saturation basis of a series
    model) is numeric."""

    def __init__(self, dag: DAG, parents: tuple[str, ...], values: Mapping[str, np.ndarray]):
        self.parents = parents
        self.levels = [len(dag.node(p).categories or ())
                       if p in dag.nodes and dag.node(p).type == "categorical" else 0
                       for p in parents]
        self.center, self.scale = [], []
        for p, k in zip(parents, self.levels, strict=True):
            v = values[p]
            self.center.append(0.0 if k else float(v.mean()))
            self.scale.append(1.0 if k else float(v.std()) or 1.0)
        self.cat_mask = np.array([k > 0 for k in self.levels], dtype=bool)

    def __call__(self, values: Mapping[str, np.ndarray], n: int) -> Inputs:
        lin, tree = [np.ones((n, 0))], []
        for p, k, c, s in zip(self.parents, self.levels, self.center, self.scale, strict=True):
            v = np.asarray(values[p], dtype=float)
            tree.append(v)
            if k:
                lin.append(np.eye(k)[np.clip(v.astype(int), 0, k - 1)])
            else:
                lin.append(((v - c) / s)[:, None])
        return Inputs(np.hstack(lin), np.column_stack(tree) if tree else np.zeros((n, 0)))


# ---------------------------------------------------------------------------------------
# Candidate models and their selection by validation error
# ---------------------------------------------------------------------------------------
class CandidateModel:
    """One candidate: ``constant``, ``linear`` or ``boosting``; regression or classification."""

    def __init__(self, kind: str, classes: int, cat_mask: np.ndarray, seed: int):
        self.kind, self.classes, self.cat_mask, self.seed = kind, classes, cat_mask, seed

    def fit(self, x: Inputs, y: np.ndarray) -> CandidateModel:
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

    def _fit_classifier(self, x: Inputs, y: np.ndarray) -> CandidateModel:
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

    def predict(self, x: Inputs) -> np.ndarray:
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
class Selected:
    model: CandidateModel
    rows: np.ndarray        # rows whose predictions are out of sample (or nearly: see select_model)
    pred: np.ndarray        # the model's predictions on those rows
    scores: dict[str, float]


def select_model(x: Inputs, y: np.ndarray, classes: int, cat_mask: np.ndarray,
            rng: np.random.Generator) -> Selected:
    """Pick the candidate with the lowest validation loss and fit it.

    Large tables: one 75/25 split of at most ``_SELECT_ROWS`` rows picks the candidate; a
    winning ridge or logistic model is refit on every row (with few parameters its in-sample
    residuals are honest), a winning boosting model on 80% of the rows, keeping the other 20%
    for out-of-sample residuals. Small tables: K-fold cross-validation picks, the winner is
    refit on every row and the residuals are the out-of-fold ones.
    """
    n = len(y)
    kinds = ["constant", "linear"] + (["boosting"] if n >= _MIN_BOOST_ROWS else [])
    if classes:  # boosting's stratified early stopping needs every present label a few times
        counts = np.bincount(y.astype(int), minlength=classes)
        if counts[counts > 0].min() < _MIN_CLASS_ROWS and "boosting" in kinds:
            kinds.remove("boosting")
    if not classes:
        kinds.remove("constant")  # ridge with a large penalty covers it

    def make(kind: str) -> CandidateModel:
        return CandidateModel(kind, classes, cat_mask, child_seed(rng))

    if n < MIN_MODEL_ROWS:  # too few rows to validate anything: the smoothed mean
        model = make("constant").fit(x, y)
        return Selected(model, np.arange(n), model.predict(x), {})
    if n > _SPLIT_ROWS:
        sel = rng.permutation(n)[:_SELECT_ROWS]
        cut = int(0.75 * len(sel))
        tr, va = sel[:cut], sel[cut:]
        scores = {k: _loss(y[va], make(k).fit(x.take(tr), y[tr]).predict(x.take(va)), classes)
                  for k in kinds}
        best = min(scores, key=lambda k: scores[k])
        if best == "boosting" and not classes:
            perm = rng.permutation(n)
            hold, train = perm[: n // 5], perm[n // 5:]
            model = make(best).fit(x.take(train), y[train])
            return Selected(model, hold, model.predict(x.take(hold)), scores)
        model = make(best).fit(x, y)
        rows = np.arange(n)
        return Selected(model, rows, model.predict(x), scores)
    folds = rng.permutation(n) % min(5, n)
    oof = {}
    for k in kinds:
        pred = np.zeros((n, classes)) if classes else np.zeros(n)
        for f in np.unique(folds):
            tr, va = folds != f, folds == f
            pred[va] = make(k).fit(x.take(tr), y[tr]).predict(x.take(va))
        oof[k] = pred
    scores = {k: _loss(y, oof[k], classes) for k in kinds}
    best = min(scores, key=lambda k: scores[k])
    return Selected(make(best).fit(x, y), np.arange(n), oof[best], scores)


