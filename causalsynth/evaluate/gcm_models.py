"""Model families of the evaluation's fitted GCM, and how they are chosen per node.

Every non-root node's mechanism wraps a scikit-learn model for DoWhy: ``linear``, ``additive``
(splines) or ``boosting`` for numeric nodes, ``logistic`` or ``boosting_classifier`` for
labels, and, when every parent is a label, ``cells`` / ``cell_classifier`` (one mean or class
frequency per combination of parent labels). :func:`choose_families` picks them by validation
loss, simplest first.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG

__all__ = ["BOOSTING_GAIN", "LARGE_DAG_NODES", "CellFrequencies", "CellMeans", "choose_families",
           "is_classified", "label_grid", "make_model", "model_parents", "node_labels", "quiet",
           "selection_note", "to_model_frame"]

BOOSTING_GAIN = 0.05
_SELECTION_ROWS = 5_000
#: richer families are only tried when the validation split has this many rows
_MIN_VALID_ROWS = 100
#: largest number of parent-label combinations whose model outputs are tabulated
MAX_GRID = 4096
#: DAGs with more nodes choose families by validation only for the outcome and its ancestors
#: (all that ICI and the effects read); the other nodes keep the simplest family
LARGE_DAG_NODES = 50


def _selected(dag: DAG) -> set[str] | None:
    """Nodes whose family is chosen by validation; None: all of them."""
    if len(dag.nodes) <= LARGE_DAG_NODES:
        return None
    outcome = next((n.name for n in dag.node_specs if n.role == "outcome"), None)
    return None if outcome is None else {*dag.ancestors(outcome), outcome}


def selection_note(dag: DAG) -> str | None:
    """The sentence a report states when :func:`choose_families` kept the simplest family for
    some nodes of a large DAG; None when every family was chosen by validation.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> selection_note(load_dag("acquisition")) is None
    True
    """
    chosen = _selected(dag)
    if chosen is None:
        return None
    rest = sum(1 for n in dag.nodes if n not in chosen and dag.parents(n))
    return (f"{len(dag.nodes)} nodes (more than {LARGE_DAG_NODES}): model families chosen by "
            f"validation for the outcome and its {len(chosen) - 1} ancestors only; the other "
            f"{rest} non-root nodes, which neither ICI nor the effects read, keep the simplest "
            f"family (linear or logistic)")

# ---------------------------------------------------------------------------------------
# Encoding and model families
# ---------------------------------------------------------------------------------------
def to_model_frame(data: pd.DataFrame, dag: DAG) -> pd.DataFrame:
    """DoWhy's conventions: binary and categorical nodes as text labels, numeric as float.

    DoWhy's ``ClassifierFCM`` wants text classes, and its prediction models one-hot encode text
    parents themselves.
    """
    out = {}
    for name in dag.nodes:
        col = data[name]
        if dag.node_type(name) == "binary":
            out[name] = np.where(col.to_numpy().astype(int) == 1, "1", "0").astype(object)
        elif dag.node_type(name) == "categorical":
            out[name] = col.astype(str).to_numpy(dtype=object)
        else:
            out[name] = col.to_numpy().astype("float64")
    return pd.DataFrame(out)


def node_labels(node) -> np.ndarray:
    """DoWhy's labels of a binary or categorical node; a code is an index into them."""
    return np.array(["0", "1"] if node.type == "binary" else list(node.categories), dtype=object)


class _Cells:
    """Keys a table's rows by their distinct input rows; ``_lookup`` fills known cells."""

    def _index(self, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keys, inv = np.unique(X, axis=0, return_inverse=True)
        self.n_features_in_ = X.shape[1]
        return keys, inv.ravel(), np.bincount(inv.ravel(), minlength=len(keys)).astype(float)

    def _store(self, keys: np.ndarray, values: np.ndarray) -> None:
        self.cells_ = dict(zip(map(tuple, keys), values, strict=True))

    def _lookup(self, X: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        """``fallback`` (the linear or logistic fit's output) with known cells replaced."""
        for i, row in enumerate(map(tuple, X)):
            cell = self.cells_.get(row)
            if cell is not None:
                fallback[i] = cell
        return fallback


class CellMeans(_Cells, RegressorMixin, BaseEstimator):
    """The mean of ``y`` in each distinct input row: a saturated model for label-only parents.

    When every parent is a label, each combination of labels is a cell and the cell mean is
    the unbiased conditional mean, interactions and gates included (an additive model on the
    one-hot columns misses "no revenue without a conversion, more in tier-1 cities"). Cells
    are shrunk toward a linear fit by ``prior_rows`` pseudo-rows; unseen cells get the fit.
    """

    def __init__(self, prior_rows: float = 1.0):
        self.prior_rows = prior_rows

    def fit(self, X, y):
        X, y = np.asarray(X, float), np.asarray(y, float).ravel()
        self.fallback_ = LinearRegression().fit(X, y)
        keys, inv, counts = self._index(X)
        sums = np.bincount(inv, weights=y, minlength=len(keys))
        self._store(keys, (sums + self.prior_rows * self.fallback_.predict(keys))
                    / (counts + self.prior_rows))
        return self

    def predict(self, X):
        X = np.asarray(X, float)
        return self._lookup(X, self.fallback_.predict(X))


class CellFrequencies(_Cells, ClassifierMixin, BaseEstimator):
    """Class frequencies in each distinct input row, shrunk toward a logistic fit
    (``prior_rows`` pseudo-rows): :class:`CellMeans` for labels."""

    def __init__(self, prior_rows: float = 1.0):
        self.prior_rows = prior_rows

    def fit(self, X, y):
        X, y = np.asarray(X, float), np.asarray(y).ravel()
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.fallback_ = LogisticRegression(max_iter=1000, C=10.0).fit(X, codes.ravel())
        keys, inv, counts = self._index(X)
        hits = np.zeros((len(keys), len(self.classes_)))
        np.add.at(hits, (inv, codes.ravel()), 1.0)
        self._store(keys, (hits + self.prior_rows * self._fallback_proba(keys))
                    / (counts[:, None] + self.prior_rows))
        return self

    def _fallback_proba(self, X: np.ndarray) -> np.ndarray:
        """The logistic fit's probabilities over all classes (it saw only those in y)."""
        out = np.zeros((len(X), len(self.classes_)))
        out[:, self.fallback_.classes_] = self.fallback_.predict_proba(X)
        return out

    def predict_proba(self, X):
        X = np.asarray(X, float)
        return self._lookup(X, self._fallback_proba(X))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def make_model(family: str, seed: int, quick: bool = False):
    """A scikit-learn model wrapped for DoWhy (which one-hot encodes text inputs itself).

    ``quick``: a smaller boosting model, good enough to compare families.
    """
    from dowhy.gcm.ml import SklearnClassificationModel, SklearnRegressionModel

    boost = (dict(max_iter=50, learning_rate=0.2, max_leaf_nodes=15, early_stopping=False,
                  random_state=seed) if quick else
             dict(max_iter=200, learning_rate=0.1, early_stopping=True, validation_fraction=0.15,
                  n_iter_no_change=10, random_state=seed))
    if family == "linear":
        return SklearnRegressionModel(LinearRegression())
    if family == "additive":  # a generalised additive model: cubic splines of every input
        return SklearnRegressionModel(Pipeline([
            ("splines", SplineTransformer(n_knots=10, degree=3, knots="uniform",
                                          extrapolation="linear")),
            ("m", Ridge(alpha=1e-6))]))
    if family == "boosting":
        return SklearnRegressionModel(HistGradientBoostingRegressor(**boost))
    if family == "cells":
        return SklearnRegressionModel(CellMeans())
    if family == "cell_classifier":
        return SklearnClassificationModel(CellFrequencies())
    if family == "logistic":
        return SklearnClassificationModel(Pipeline([
            ("scale", StandardScaler()), ("m", LogisticRegression(max_iter=1000, C=10.0))]))
    if family == "boosting_classifier":
        return SklearnClassificationModel(HistGradientBoostingClassifier(**boost))
    raise ValueError(f"unknown model family {family!r}")


def model_parents(dag: DAG, node: str) -> list[str]:
    """Parents in DoWhy's order (sorted names), the column order its mechanisms are fitted on."""
    return sorted(dag.parents(node))


def is_classified(dag: DAG, node: str) -> bool:
    return dag.node_type(node) in ("binary", "categorical")


def label_grid(dag: DAG, parents: list[str]) -> list[int] | None:
    """Numbers of labels of ``parents`` when every parent is a label and their combinations
    fit in a lookup table (at most ``MAX_GRID``); None otherwise."""
    if any(dag.node(p).is_numeric for p in parents):
        return None
    cards = [len(node_labels(dag.node(p))) for p in parents]
    return cards if np.prod(cards) <= MAX_GRID else None


def choose_families(data: pd.DataFrame, dag: DAG, seed=None) -> dict[str, str]:
    """Per non-root node: ``linear``, ``additive`` (splines) or ``boosting`` for numeric nodes,
    ``logistic`` or ``boosting_classifier`` for labels; when every parent is a label, ``cells``
    or ``cell_classifier`` (one mean or frequency per combination of parent labels) replace
    the splines.

    Chosen on a 25% validation split of ``data`` (at most 5,000 rows), simplest first: a richer
    family replaces the current choice only when it lowers the validation loss (MSE or log
    loss) by more than 5%, so a linear truth keeps its exact, noise-free ICI, and smooth
    saturation curves get smooth derivatives (trees are step functions). Tables under 400 rows
    (a validation split under 100) keep the simplest family. DAGs of more than
    :data:`LARGE_DAG_NODES` nodes: only the outcome and its ancestors are chosen by
    validation, the other nodes keep the simplest family (:func:`selection_note` says so).
    """
    rng = as_generator(seed)
    frame = to_model_frame(data, dag)
    if len(frame) > _SELECTION_ROWS:
        frame = frame.iloc[rng.choice(len(frame), _SELECTION_ROWS, replace=False)]
    idx = rng.permutation(len(frame))
    cut = max(int(0.75 * len(frame)), 1)
    train, valid = frame.iloc[idx[:cut]], frame.iloc[idx[cut:]]
    families = {}
    chosen = _selected(dag)
    for node in dag.nodes:
        parents = model_parents(dag, node)
        if not parents:
            continue
        candidates = _candidates(dag, node, parents)
        if chosen is not None and node not in chosen and len(valid) >= _MIN_VALID_ROWS:
            # a large DAG's node off the outcome's ancestry: the simplest family; its seeds
            # are drawn all the same, so every chosen family is the one a full pass picks
            for _ in candidates:
                child_seed(rng)
            families[node] = candidates[0]
            continue
        # too few rows to tell families apart (one 25-row validation split picks boosting by
        # chance): keep the simplest model, as an analyst would on a few hundred rows
        if len(valid) < _MIN_VALID_ROWS:
            families[node] = candidates[0]
            continue
        best, best_loss = None, np.inf
        for family in candidates:  # simplest first; a richer model must win clearly
            try:
                loss = _validation_loss(family, dag, node, parents, train, valid, rng)
            except ValueError:  # e.g. a class missing from the training split
                loss = np.inf
            if best is None or loss < (1 - BOOSTING_GAIN) * best_loss:
                best, best_loss = family, loss
        families[node] = best
    return families


def _candidates(dag: DAG, node: str, parents: list[str]) -> tuple[str, ...]:
    """Families to try for ``node``, simplest first; cell models when every parent is a label
    and the cells fit in a lookup table. A numeric node's cell means are then the saturated
    model that trees can only approximate (and early-stopped boosting underfits rare cells,
    e.g. revenue of the few converted users), so they replace splines and boosting."""
    labels_only = label_grid(dag, parents) is not None
    if is_classified(dag, node):
        return (("logistic", "cell_classifier", "boosting_classifier") if labels_only
                else ("logistic", "boosting_classifier"))
    return ("linear", "cells") if labels_only else ("linear", "additive", "boosting")


def _validation_loss(family, dag, node, parents, train, valid, rng) -> float:
    model = make_model(family, child_seed(rng), quick=True)
    x_tr, x_va = train[parents].to_numpy(), valid[parents].to_numpy()
    with quiet():
        model.fit(x_tr, train[node].to_numpy())
    if is_classified(dag, node):
        proba = model.predict_probabilities(x_va)
        return log_loss(valid[node].to_numpy(), proba, labels=model.classes)
    return mean_squared_error(valid[node].to_numpy(), model.predict(x_va).ravel())


@contextmanager
def quiet():
    """DoWhy progress bars off and fitting warnings silenced, restored afterwards."""
    from dowhy.gcm import config

    shown = config.show_progress_bars
    config.show_progress_bars = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        config.show_progress_bars = shown
