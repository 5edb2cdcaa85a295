"""Fitting a DoWhy GCM to a table, and ICI and effects from it: exact where possible, else CRN.

The mechanisms are DoWhy's (``AdditiveNoiseModel`` for continuous and count nodes,
``ClassifierFCM`` for binary and categorical ones, ``EmpiricalDistribution`` for roots), fitted
with ``dowhy.gcm.fit``. Their prediction models are scikit-learn pipelines chosen per node by
validation error (linear unless gradient boosting is clearly better); categorical parents are
one-hot encoded inside the pipeline, so DoWhy sees integer category codes.

On the fitted model we compute ICI ourselves, because DoWhy's default estimator is slow and
noisy (PITFALLS.md: 6 s, up to 2.7 points off, 4 points of scatter):

* **exact** when every mechanism up to the target is a linear additive-noise model on numeric
  nodes: the share of node j is ``a_j^2 Var(N_j)``, with ``a_j`` the total path coefficient of
  its noise on the target and ``Var(N_j)`` the variance of its residuals (or of its values,
  for a root). No Monte Carlo at all.
* otherwise, the Shapley value of ``Var(E[Y | N_S])`` over all subsets, by the pick-freeze
  estimator of :mod:`causalsynth._ici`, with the noise of every node driven by the same
  uniforms for every table (common random numbers across real and synthetic), made far less
  noisy by conditioning (``FittedGCM.mc_ici``): the target's additive noise and the noise of
  binary and categorical nodes are summed out exactly (exact shares when nothing else is
  random, as on ad_funnel), and the remaining noise terms are sampled by randomised
  quasi-Monte Carlo, whose replicates give the standard error.

Both agree with ``dowhy.gcm.intrinsic_causal_influence`` on the same fitted model within its
sampling error (``benchmarks/bench_ici.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from causalsynth._ici import (
    Contractor,
    Tensor,
    TooLarge,
    align,
    rqmc_uniforms,
    shapley_from_costs,
    shapley_variance_shares,
    shares_with_se,
)
from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG
from causalsynth.simulation import parse_intervention

__all__ = ["FittedGCM", "choose_families", "fit_gcm", "to_model_frame"]

#: gradient boosting replaces the linear model only when it cuts validation loss by this share
BOOSTING_GAIN = 0.05
_SELECTION_ROWS = 5_000
#: richer families are only tried when the validation split has this many rows
_MIN_VALID_ROWS = 100
#: largest number of parent-label combinations whose model outputs are tabulated
_MAX_GRID = 4096
#: ICI estimator of the Monte Carlo path (``FittedGCM.mc_ici``): "rao_blackwell" or
#: "pick_freeze" (the plain estimator, kept for comparison: benchmarks/bench_ici_mc.py)
ICI_ESTIMATOR = "rao_blackwell"


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


def _labels(node) -> np.ndarray:
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


def _make_model(family: str, seed: int, quick: bool = False):
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


def _parents(dag: DAG, node: str) -> list[str]:
    """Parents in DoWhy's order (sorted names), the column order its mechanisms are fitted on."""
    return sorted(dag.parents(node))


def _is_classified(dag: DAG, node: str) -> bool:
    return dag.node_type(node) in ("binary", "categorical")


def _label_grid(dag: DAG, parents: list[str]) -> list[int] | None:
    """Numbers of labels of ``parents`` when every parent is a label and their combinations
    fit in a lookup table (at most ``_MAX_GRID``); None otherwise."""
    if any(dag.node(p).is_numeric for p in parents):
        return None
    cards = [len(_labels(dag.node(p))) for p in parents]
    return cards if np.prod(cards) <= _MAX_GRID else None


def choose_families(data: pd.DataFrame, dag: DAG, seed=None) -> dict[str, str]:
    """Per non-root node: ``linear``, ``additive`` (splines) or ``boosting`` for numeric nodes,
    ``logistic`` or ``boosting_classifier`` for labels; when every parent is a label, ``cells``
    or ``cell_classifier`` (one mean or frequency per combination of parent labels) replace
    the splines.

    Chosen on a 25% validation split of ``data`` (at most 5,000 rows), simplest first: a richer
    family replaces the current choice only when it lowers the validation loss (MSE or log
    loss) by more than 5%, so a linear truth keeps its exact, noise-free ICI, and smooth
    saturation curves get smooth derivatives (trees are step functions). Tables under 400 rows
    (a validation split under 100) keep the simplest family.
    """
    rng = as_generator(seed)
    frame = to_model_frame(data, dag)
    if len(frame) > _SELECTION_ROWS:
        frame = frame.iloc[rng.choice(len(frame), _SELECTION_ROWS, replace=False)]
    idx = rng.permutation(len(frame))
    cut = max(int(0.75 * len(frame)), 1)
    train, valid = frame.iloc[idx[:cut]], frame.iloc[idx[cut:]]
    families = {}
    for node in dag.nodes:
        parents = _parents(dag, node)
        if not parents:
            continue
        candidates = _candidates(dag, node, parents)
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
    labels_only = _label_grid(dag, parents) is not None
    if _is_classified(dag, node):
        return (("logistic", "cell_classifier", "boosting_classifier") if labels_only
                else ("logistic", "boosting_classifier"))
    return ("linear", "cells") if labels_only else ("linear", "additive", "boosting")


def _validation_loss(family, dag, node, parents, train, valid, rng) -> float:
    model = _make_model(family, child_seed(rng), quick=True)
    x_tr, x_va = train[parents].to_numpy(), valid[parents].to_numpy()
    with _quiet():
        model.fit(x_tr, train[node].to_numpy())
    if _is_classified(dag, node):
        proba = model.predict_probabilities(x_va)
        return log_loss(valid[node].to_numpy(), proba, labels=model.classes)
    return mean_squared_error(valid[node].to_numpy(), model.predict(x_va).ravel())


@contextmanager
def _quiet():
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


# ---------------------------------------------------------------------------------------
# The fitted model
# ---------------------------------------------------------------------------------------
@dataclass
class FittedGCM:
    """A DoWhy ``StructuralCausalModel`` fitted to one table, plus what our estimators need."""

    dag: DAG
    scm: Any
    families: dict[str, str]
    n_rows: int
    _sorted: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    scales: dict[str, float] = field(default_factory=dict, repr=False)
    _tables: dict[str, list] = field(default_factory=dict, repr=False)
    _class_codes: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _upstream: dict[str, frozenset] = field(default_factory=dict, repr=False)
    _grids: dict[str, tuple] = field(default_factory=dict, repr=False)
    observed: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    # ---- the forward pass ------------------------------------------------------------------
    # Labels travel as integer codes (index into the node's labels) and parents are encoded
    # by lookup tables built once from DoWhy's own fitted encoders, so each evaluation is a
    # table lookup plus the scikit-learn model's predict; ``check_forward`` shows it equals
    # DoWhy's ``mechanism.evaluate``.
    def labels(self, node: str) -> np.ndarray:
        return _labels(self.dag.node(node))

    def _noise(self, node: str, u: np.ndarray) -> np.ndarray:
        """Root: its empirical quantile; ANM: residual quantile; classifier: the uniform."""
        if self.dag.parents(node) and _is_classified(self.dag, node):
            return u
        values = self._sorted[node]
        return values[np.minimum((u * len(values)).astype(int), len(values) - 1)]

    def _encode(self, node: str, parent_values: list[np.ndarray]) -> np.ndarray:
        tables = self._tables[node]
        return np.column_stack([
            table[v.astype(int)] if table is not None else v.reshape(-1, 1)
            for v, table in zip(parent_values, tables, strict=True)])

    def _predict(self, node: str, parent_values: list[np.ndarray]) -> np.ndarray:
        """The mechanism's model output: class probabilities, or the noise-free prediction.

        When every parent is a label, the output of each parent combination was computed once
        (``_grids``), so this is a lookup; otherwise the scikit-learn model predicts.
        """
        grid = self._grids.get(node)
        if grid is not None:
            strides, table = grid
            key = sum(v.astype(np.intp) * s for v, s in zip(parent_values, strides, strict=True))
            return table[key]
        model = self.scm.causal_mechanism(node)
        x = self._encode(node, parent_values)
        if _is_classified(self.dag, node):
            return model.classifier_model.sklearn_model.predict_proba(x)
        return model.prediction_model.sklearn_model.predict(x).ravel()

    def _evaluate(self, node: str, parent_values: list[np.ndarray], noise: np.ndarray
                  ) -> np.ndarray:
        out = self._predict(node, parent_values)
        if _is_classified(self.dag, node):
            idx = np.argmax(np.cumsum(out, axis=1) >= noise.reshape(-1, 1), axis=1)
            return self._class_codes[node][idx].astype(float)
        return out + noise

    def run(self, uniforms: Mapping[str, np.ndarray], upto: str,
            interventions: Mapping[str, Any] | None = None,
            cache: dict | None = None, key: frozenset | None = None) -> np.ndarray:
        """The target's values (labels as codes) for per-node uniforms, with interventions.

        With ``cache`` and ``key`` (the set of nodes whose uniforms come from the first draw),
        a node's values are reused whenever the same upstream nodes come from the same draw.
        """
        values: dict[str, np.ndarray] = {}
        interventions = interventions or {}
        for node in [*self.dag.ancestors(upto), upto]:
            ckey = None if cache is None else (node, key & self._upstream[node])
            if ckey is not None and ckey in cache:
                values[node] = cache[ckey]
                continue
            noise = self._noise(node, uniforms[node])
            parents = _parents(self.dag, node)
            values[node] = (self._evaluate(node, [values[p] for p in parents], noise)
                            if parents else noise)
            if node in interventions:
                values[node] = parse_intervention(self.dag.node(node), interventions[node])(
                    values[node])
            if ckey is not None and node != upto:
                cache[ckey] = values[node]
        return values[upto]

    def check_forward(self, data: pd.DataFrame, n: int = 200) -> float:
        """Largest difference between our forward pass and DoWhy's ``evaluate`` on ``n`` rows."""
        frame = to_model_frame(data, self.dag).iloc[:n]
        rng = np.random.default_rng(0)
        worst = 0.0
        for node in self.dag.nodes:
            parents = _parents(self.dag, node)
            if not parents:
                continue
            mech = self.scm.causal_mechanism(node)
            x = frame[parents].to_numpy()
            noise = rng.random(len(frame)) if _is_classified(self.dag, node) else rng.normal(
                size=len(frame))
            theirs = np.asarray(mech.evaluate(x, noise.reshape(-1, 1))).ravel()
            codes = [self._to_codes(p, frame[p].to_numpy()) for p in parents]
            ours = self._evaluate(node, codes, noise)
            if _is_classified(self.dag, node):
                theirs = self._to_codes(node, theirs)
            worst = max(worst, float(np.max(np.abs(ours - theirs.astype(float)))))
        return worst

    def _to_codes(self, node: str, values: np.ndarray) -> np.ndarray:
        if self.dag.node(node).is_numeric:
            return np.asarray(values, float)
        codes = pd.Categorical(np.asarray(values).astype(str), categories=self.labels(node)).codes
        return codes.astype(float)

    # ---- ICI ----------------------------------------------------------------------------
    def is_linear_upto(self, target: str) -> bool:
        nodes = [*self.dag.ancestors(target), target]
        return all(self.dag.node(n).is_numeric for n in nodes) and all(
            self.families.get(n) == "linear" for n in nodes if self.dag.parents(n))

    def linear_coefficients(self, node: str) -> dict[str, float]:
        """Per-parent slopes of a linear mechanism, in the data's units."""
        coef = self.scm.causal_mechanism(node).prediction_model.sklearn_model.coef_.ravel()
        return dict(zip(_parents(self.dag, node), coef, strict=True))

    def exact_ici(self, target: str) -> np.ndarray:
        """Exact shares (percent) for linear additive-noise mechanisms; players in order."""
        players = [*self.dag.ancestors(target), target]
        total = {target: 1.0}
        for node in reversed(players[:-1]):
            total[node] = sum(self.linear_coefficients(c)[node] * total[c]
                              for c in self.dag.children(node) if c in total)
        contrib = np.array([total[p] ** 2 * np.var(self._sorted[p]) for p in players])
        return 100.0 * contrib / contrib.sum()

    def describe_mc_ici(self, target: str, n_rows: int, estimator: str | None = None) -> str:
        """How :meth:`mc_ici` computes the shares of ``target`` from ``n_rows`` uniforms."""
        estimator = estimator or ICI_ESTIMATOR
        if estimator == "pick_freeze":
            return f"Monte Carlo pick-freeze Shapley, {n_rows} rows"
        players = [*self.dag.ancestors(target), target]
        if self._separable_phi(target) is not None:
            return "exact (linear mechanisms, labels at roots: separable noise terms)"
        if all(_is_classified(self.dag, n) or (n == target and self.dag.node(n).is_numeric)
               for n in players):
            return "exact (discrete noise summed out of pick-freeze Shapley)"
        return (f"Monte Carlo pick-freeze Shapley, label and outcome noise summed out, "
                f"randomised quasi-Monte Carlo, {n_rows} rows")

    def mc_ici(self, target: str, uniforms_a, uniforms_b, estimator: str | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Monte Carlo shares and standard errors from two uniform draws (common random numbers).

        ``estimator`` (default :data:`ICI_ESTIMATOR`):

        * ``"rao_blackwell"``: the pick-freeze estimator with every squared difference
          replaced by its conditional expectation over the noise terms that can be summed out
          exactly (:class:`_PairedRuns`): the target's own additive noise, and the noise of
          binary and categorical nodes. The noise terms still sampled (numeric roots and
          additive noise) take randomised quasi-Monte Carlo points made from the uniforms
          (:func:`causalsynth._ici.rqmc_uniforms`), whose independent replicates give the
          standard error. When every noise term up to the target can be summed out, the
          shares are exact and their standard errors 0; so they are when the mechanisms are
          linear and labels occur only at roots (the target is then a sum of independent
          single-noise terms: :meth:`_separable_phi`).
        * ``"pick_freeze"``: the plain estimator, every noise term sampled from the uniforms
          row by row, the standard error from 20 batches of rows.
        """
        estimator = estimator or ICI_ESTIMATOR
        players = [*self.dag.ancestors(target), target]
        if estimator == "pick_freeze":
            cache: dict = {}
            return shapley_variance_shares(
                lambda noise, from_a: self.run(noise, target, cache=cache, key=from_a),
                uniforms_a, uniforms_b, players)
        if estimator != "rao_blackwell":
            raise ValueError(f"The 'estimator' parameter must be 'rao_blackwell' or "
                             f"'pick_freeze'. Got {estimator!r} instead.")
        return self._rao_blackwell_ici(target, uniforms_a, uniforms_b)

    def _rao_blackwell_ici(self, target: str, uniforms_a, uniforms_b
                           ) -> tuple[np.ndarray, np.ndarray]:
        players = [*self.dag.ancestors(target), target]
        separable = self._separable_phi(target)
        if separable is not None:  # linear mechanisms, labels only at roots: exact
            return 100.0 * separable / separable.sum(), np.zeros(len(players))
        labels = [n for n in players if _is_classified(self.dag, n)]
        additive = self.dag.node(target).is_numeric
        # Sum out the noise of every label when nothing else is random: exact shares. Else sum
        # out the non-root labels (rare binary events are what makes sampling noisy) and
        # sample roots and numeric noise by randomised quasi-Monte Carlo: a root's label, summed
        # out, would multiply every prediction downstream by its number of categories. When
        # the exact sums grow too large, sample every label.
        exact = all(n in labels or (additive and n == target) for n in players)
        levels = [labels] if exact else []
        levels += [[n for n in labels if self.dag.parents(n)], []]
        for integrate in dict.fromkeys(map(tuple, levels)):
            sampled = [n for n in players
                       if n not in integrate and not (additive and n == target)]
            draws = rqmc_uniforms(sampled, uniforms_a, uniforms_b)
            qa, qb, n_batches = draws if draws is not None else (uniforms_a, uniforms_b, None)
            try:
                # sampling every noise term builds arrays of one row each: no budget
                runs = _PairedRuns(self, target, qa, qb, frozenset(integrate),
                                   budget=None if integrate else np.inf)
                phi_sampled = shapley_from_costs(runs.cost, runs.players, runs.n_rows)
            except TooLarge:
                continue
            phi_rows = np.zeros((len(players), runs.n_rows))
            phi_rows[[players.index(p) for p in runs.players]] = phi_sampled
            return shares_with_se(phi_rows, runs.exact_phi(players), sampled=runs.sampled,
                                  **({"n_batches": n_batches} if n_batches else {}))
        raise AssertionError("unreachable: the last level has no budget")

    def _separable_phi(self, target: str) -> np.ndarray | None:
        """Exact Shapley values when the target is a sum of independent single-noise terms.

        That holds when every mechanism up to the target is a linear regression (``linear``
        family) and every label among its ancestors is a root: a numeric node's noise then
        enters as ``a_j N_j`` (``a_j`` its total path coefficient) and a root label's value
        ``k`` as ``sum_c a_c (coef_c . encoding_c(k))`` over its children ``c``; with
        independent terms, ``v(S)`` is the sum of their variances over S, so each Shapley value
        is its own term's variance. None otherwise.
        """
        players = [*self.dag.ancestors(target), target]
        if not self.dag.node(target).is_numeric or any(
                self.dag.parents(n) and (_is_classified(self.dag, n)
                                         or self.families.get(n) != "linear")
                for n in players):
            return None
        blocks = {n: self._coefficient_blocks(n) for n in players if self.dag.parents(n)}
        total = {target: 1.0}
        for node in reversed(players[:-1]):
            if self.dag.node(node).is_numeric:
                total[node] = sum(float(blocks[c][node][0]) * total[c]
                                  for c in self.dag.children(node) if c in total)
        phi = []
        for node in players:
            if self.dag.node(node).is_numeric:
                phi.append(total[node] ** 2 * float(np.var(self._sorted[node])))
                continue
            term = sum(total[c] * (self._tables[c][_parents(self.dag, c).index(node)]
                                   @ blocks[c][node])
                       for c in self.dag.children(node) if c in total)
            codes = self._sorted[node].astype(np.intp)
            pmf = np.bincount(codes, minlength=len(self.labels(node))) / len(codes)
            term = np.asarray(term, float)
            phi.append(float(pmf @ (term - pmf @ term) ** 2))
        return np.array(phi)

    def _coefficient_blocks(self, node: str) -> dict[str, np.ndarray]:
        """A linear mechanism's slopes per parent: one for a numeric parent, one per column
        of its encoding (the layout of ``_encode``) for a label parent."""
        coef = self.scm.causal_mechanism(node).prediction_model.sklearn_model.coef_.ravel()
        out, start = {}, 0
        for parent, table in zip(_parents(self.dag, node), self._tables[node], strict=True):
            width = 1 if table is None else table.shape[1]
            out[parent] = coef[start:start + width]
            start += width
        return out

    # ---- effects ------------------------------------------------------------------------
    def effects(self, target: str, uniforms: Mapping[str, np.ndarray],
                treatments: Sequence[str]) -> dict[tuple[str, str], float]:
        """(treatment, kind) -> effect on the target's mean, by intervening on the model.

        The g-formula on the fitted model: every row of the table keeps its observed treatment
        and non-descendants (their empirical joint distribution, so the treatment's own
        mechanism need not be right: zero-inflated spend is not an additive-noise model), and
        the treatment's descendants are generated from the mechanisms, with the same uniforms
        with and without the intervention.

        ``per_unit``: for numeric treatments the mean change per unit added (a finite difference
        over 5% of the treatment's sd, exact for linear mechanisms); for binary ones do(1)-do(0).
        ``shift_10pct``: the mean change when the treatment is raised by 10%.
        """
        out = {}
        ancestors = set(self.dag.ancestors(target))
        for t in treatments:
            node = self.dag.node(t)
            if t not in ancestors or node.type == "categorical":
                continue
            if node.type == "binary":
                y1 = self._g_formula(t, 1, uniforms, target)
                y0 = self._g_formula(t, 0, uniforms, target)
                out[(t, "per_unit")] = float(np.mean(y1 - y0))
                continue
            base = self._g_formula(t, None, uniforms, target)
            delta = 0.05 * self.scales[t] or 1.0
            y_unit = self._g_formula(t, lambda x, d=delta: x + d, uniforms, target)
            out[(t, "per_unit")] = float(np.mean(y_unit - base)) / delta
            y_shift = self._g_formula(t, "+10%", uniforms, target)
            out[(t, "shift_10pct")] = float(np.mean(y_shift - base))
        return out

    def _g_formula(self, treatment: str, intervention, uniforms: Mapping[str, np.ndarray],
                   target: str) -> np.ndarray:
        # every observed row is used; when the uniforms outnumber the rows, the rows are
        # repeated with fresh uniforms (sampled descendants such as conversions are noisy)
        reps = max(1, len(next(iter(uniforms.values()))) // self.n_rows)
        n = self.n_rows * reps
        downstream = set(self.dag.to_networkx().successors(treatment)) | nx.descendants(
            self.dag.to_networkx(), treatment)
        values: dict[str, np.ndarray] = {}
        for node in [*self.dag.ancestors(target), target]:
            if node not in downstream:
                values[node] = np.tile(self.observed[node], reps)
                if node == treatment and intervention is not None:
                    values[node] = parse_intervention(self.dag.node(node), intervention)(
                        values[node])
                continue
            noise = self._noise(node, np.resize(uniforms[node], n))
            values[node] = self._evaluate(node, [values[p] for p in _parents(self.dag, node)],
                                          noise)
        return values[target]


def fit_gcm(data: pd.DataFrame, dag: DAG, families: Mapping[str, str] | None = None,
            seed=None) -> FittedGCM:
    """Fit DoWhy mechanisms to ``data`` (typed by check_data); families from choose_families.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> fitted = fit_gcm(dag.simulate(2000, seed=0), dag, seed=0)
    >>> fitted.families["revenue"]
    'linear'
    """
    from dowhy import gcm

    rng = as_generator(seed)
    families = dict(families) if families is not None else choose_families(data, dag, rng)
    frame = to_model_frame(data, dag)
    graph = nx.DiGraph()
    graph.add_nodes_from(dag.nodes)
    graph.add_edges_from(dag.edges)
    scm = gcm.StructuralCausalModel(graph)
    for node in dag.nodes:
        parents = _parents(dag, node)
        if not parents:
            scm.set_causal_mechanism(node, gcm.EmpiricalDistribution())
        elif _is_classified(dag, node):
            scm.set_causal_mechanism(node, gcm.ClassifierFCM(
                _make_model(families[node], child_seed(rng))))
        else:
            scm.set_causal_mechanism(node, gcm.AdditiveNoiseModel(
                _make_model(families[node], child_seed(rng))))
    with _quiet():
        gcm.fit(scm, frame)
    fitted = FittedGCM(dag=dag, scm=scm, families=families, n_rows=len(frame))
    _compile(fitted)
    for node in dag.nodes:
        mech = scm.causal_mechanism(node)
        if not dag.parents(node):
            fitted._sorted[node] = np.sort(fitted._to_codes(node, frame[node].to_numpy()))
        elif not _is_classified(dag, node):
            fitted._sorted[node] = np.sort(np.asarray(mech.noise_model.data, float).ravel())
        fitted.observed[node] = fitted._to_codes(node, frame[node].to_numpy())
        fitted.scales[node] = float(np.std(frame[node])) if dag.node(node).is_numeric else 1.0
    return fitted


def _compile(fitted: FittedGCM) -> None:
    """Lookup tables code -> encoded features, from DoWhy's fitted encoders of each mechanism."""
    from dowhy.gcm.util.general import auto_apply_encoders

    dag = fitted.dag
    for node in dag.nodes:
        fitted._upstream[node] = frozenset([*dag.ancestors(node), node])
        parents = _parents(dag, node)
        if not parents:
            continue
        mech = fitted.scm.causal_mechanism(node)
        model = mech.classifier_model if _is_classified(dag, node) else mech.prediction_model
        tables = []
        for i, p in enumerate(parents):
            if dag.node(p).is_numeric:
                tables.append(None)
                continue
            labels = _labels(dag.node(p))
            probe = np.empty((len(labels), len(parents)), dtype=object)
            probe[:] = 0.0
            probe[:, i] = labels
            for j, q in enumerate(parents):  # other text columns need valid labels to encode
                if j != i and not dag.node(q).is_numeric:
                    probe[:, j] = _labels(dag.node(q))[0]
            encoded = auto_apply_encoders(probe, model._encoders).astype(float)
            tables.append(_parent_block(encoded, i, model._encoders))
        fitted._tables[node] = tables
        if _is_classified(dag, node):
            labels = list(_labels(dag.node(node)))
            fitted._class_codes[node] = np.array(
                [labels.index(str(c)) for c in model.classes], dtype=float)
        cards = _label_grid(dag, parents)
        if cards is not None:  # predict each combination of parent labels once, then look up
            codes = [c.ravel().astype(float) for c in np.indices(cards)]
            strides = [int(np.prod(cards[i + 1:])) for i in range(len(cards))]
            fitted._grids[node] = (strides, fitted._predict(node, codes))


def _parent_block(encoded: np.ndarray, i: int, encoders) -> np.ndarray:
    """Columns of ``encoded`` that belong to parent ``i`` (one-hot width or one catboost column)."""
    start = 0
    for j in range(i):
        start += _encoded_width(j, encoders)
    return encoded[:, start:start + _encoded_width(i, encoders)]


def _encoded_width(j: int, encoders) -> int:
    enc = encoders.get(j)
    if enc is None:
        return 1
    categories = getattr(enc, "categories_", None)
    return len(categories[0]) if categories is not None else 1


def draw_uniforms(dag: DAG, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One uniform per node and row: the common random numbers shared by all tables."""
    return {node: rng.random(n) for node in dag.nodes}


# ---------------------------------------------------------------------------------------
# ICI with label noise summed out (Rao-Blackwellised pick-freeze)
# ---------------------------------------------------------------------------------------
#: largest array (elements) an exact sum over label values may build; beyond, labels are sampled
EXACT_BUDGET = 4_000_000


class _PairedRuns:
    """Row-wise ``E[Var(Y | N_S)]`` for every subset S, with discrete noise summed out.

    Jansen's pick-freeze term ``1/2 (Y(A) - Y(A_S, B_rest))^2`` is replaced by its conditional
    expectation given the sampled uniforms (Rao-Blackwellisation), which is still unbiased and
    has a smaller variance:

    * the target's own additive noise ``N_Y`` adds ``Var(N_Y)`` whenever ``Y`` is not in S and
      nothing otherwise, so its Shapley value is exactly ``Var(N_Y)`` (its residuals'
      variance) and the Monte Carlo runs over the noise-free prediction ``f(parents)``;
    * a binary or categorical node X (in ``integrate``) is not sampled: each run carries one
      array axis per such node, indexing its value, and the pair (A run, mixed run) gets a
      probability factor per node: ``P(X | parents)`` in each run when its uniform differs
      between the runs (X not in S), and when it is shared (X in S) the joint law of the two
      labels driven by one uniform through the two runs' class probabilities (the overlap of
      the two CDF intervals), exactly how DoWhy's ``ClassifierFCM`` turns a uniform into a
      class. A root's label keeps one axis when shared. ``numpy.einsum`` sums the products.

    Nodes not summed out (numeric roots, additive noise, labels beyond the budget) are sampled
    from the draws A and B passed in (the same for every table), along a rows axis; the
    result is then one number per row. Without sampled nodes it is one exact number.

    References
    ----------
    Jansen. "Analysis of variance designs for model output." Computer Physics
    Communications, 1999. Owen. "Monte Carlo theory, methods and examples", ch. 8
    (conditioning), 2013.
    """

    def __init__(self, fitted: FittedGCM, target: str, uniforms_a, uniforms_b,
                 integrate: frozenset, budget: float | None = None):
        dag = fitted.dag
        self.fitted, self.target = fitted, target
        self.order = [*dag.ancestors(target), target]
        self.additive = dag.node(target).is_numeric
        self.players = [n for n in self.order if not (self.additive and n == target)]
        self.integrate = [n for n in self.order if n in integrate]
        m = len(self.integrate)
        if 2 * m + 1 > 52:  # einsum names at most 52 axes
            raise TooLarge(f"{m} label nodes")
        self.axis_a = {n: i for i, n in enumerate(self.integrate)}
        self.axis_m = {n: m + i for i, n in enumerate(self.integrate)}
        self.rows_axis = 2 * m
        self.uniforms_a, self.uniforms_b = uniforms_a, uniforms_b
        self.upstream = fitted._upstream
        self.budget = budget or EXACT_BUDGET
        self.contract = Contractor(self.budget)
        self._values: dict = {}
        self._probs: dict = {}
        self._couplings: dict = {}
        self.everything = frozenset(self.order)
        self._run(self.everything)
        y_a = self._value_of(target, self.everything)
        self.factors_a = [self._probs[(n, self.upstream[n])] for n in self.integrate]
        tensors = [*self.factors_a, y_a]
        self.sampled = any(self.rows_axis in t.axes for t in tensors)
        self.n_rows = len(next(iter(uniforms_a.values()))) if self.sampled else 1
        self.out = (self.rows_axis,) if self.sampled else ()
        self.center = float(np.mean(self.contract(tensors, self.out)))
        self.y_a = self._centred(y_a)
        self.ea2 = self.contract([*self.factors_a, self.y_a, self.y_a], self.out)

    # ---- the runs ----------------------------------------------------------------------
    def _centred(self, t: Tensor) -> Tensor:
        return Tensor(t.array - self.center, t.axes)

    def _value_of(self, node: str, key: frozenset) -> Tensor:
        return self._values[(node, key & self.upstream[node])]

    def _run(self, key: frozenset) -> None:
        for node in self.order:
            ckey = (node, key & self.upstream[node])
            if ckey not in self._values:
                self._values[ckey] = self._evaluate(node, key, ckey)

    def _axis(self, node: str, key: frozenset) -> int:
        """The A run's axis when the node's whole upstream comes from A, else the mixed one."""
        return self.axis_a[node] if self.upstream[node] <= key else self.axis_m[node]

    def _check(self, shape) -> None:
        if int(np.prod(shape)) > self.budget:
            raise TooLarge(shape)

    def _evaluate(self, node: str, key: frozenset, ckey) -> Tensor:
        f = self.fitted
        parents = _parents(f.dag, node)
        sampled = node not in self.integrate and not (node == self.target and self.additive)
        if sampled:
            u = self.uniforms_a[node] if node in key else self.uniforms_b[node]
        if not parents:
            if node not in self.integrate:
                return Tensor(f._noise(node, u), (self.rows_axis,))
            ax = self._axis(node, key)
            n_labels = len(f.labels(node))
            codes = f._sorted[node].astype(np.intp)
            pmf = np.bincount(codes, minlength=n_labels) / len(codes)
            self._probs[ckey] = Tensor(pmf, (ax,))
            return Tensor(np.arange(n_labels, dtype=float), (ax,))
        parent_values = [self._value_of(p, key) for p in parents]
        if _is_classified(f.dag, node) and node not in self.integrate:
            # a sampled label, as in the plain estimator
            axes, arrays = align(*parent_values, Tensor(u, (self.rows_axis,)))
            full = np.broadcast_arrays(*arrays)
            self._check(full[0].shape)
            out = f._evaluate(node, [a.ravel() for a in full[:-1]], full[-1].ravel())
            return Tensor(out.reshape(full[0].shape), axes)
        axes, arrays = align(*parent_values)
        self._check(np.broadcast_shapes(*[a.shape for a in arrays]))
        if not _is_classified(f.dag, node):
            pred = Tensor(self._predict(node, arrays), axes)
            if node == self.target and self.additive:
                return pred  # its own noise is accounted for exactly (exact_phi)
            axes, (p, e) = align(pred, Tensor(f._noise(node, u), (self.rows_axis,)))
            return Tensor(p + e, axes)
        ax = self._axis(node, key)
        probs = self._predict(node, arrays)  # (..., classes)
        pos = sum(a < ax for a in axes)
        self._probs[ckey] = Tensor(np.moveaxis(probs, -1, pos), (*axes[:pos], ax, *axes[pos:]))
        return Tensor(f._class_codes[node].astype(float), (ax,))

    def _predict(self, node: str, arrays: list[np.ndarray]) -> np.ndarray:
        """The mechanism's output on broadcast parent arrays (lookup when tabulated)."""
        f = self.fitted
        shape = np.broadcast_shapes(*[a.shape for a in arrays])
        if node in f._grids:
            return f._predict(node, arrays)
        full = [np.broadcast_to(a, shape).ravel() for a in arrays]
        out = f._predict(node, full)
        return out.reshape(*shape, -1) if out.ndim == 2 else out.reshape(shape)

    # ---- the pair (A run, mixed run) -----------------------------------------------------
    def _coupling(self, node: str, key: frozenset) -> Tensor:
        """Joint law of the node's class in both runs when one uniform drives both."""
        ckey = (node, key & self.upstream[node])
        if ckey not in self._couplings:
            p_a = self._probs[(node, self.upstream[node])]
            p_m = self._probs[ckey]
            cdf_a = np.cumsum(p_a.array, axis=p_a.axes.index(self.axis_a[node]))
            cdf_m = np.cumsum(p_m.array, axis=p_m.axes.index(self.axis_m[node]))
            axes, (hi_a, lo_a, hi_m, lo_m) = align(
                Tensor(cdf_a, p_a.axes), Tensor(cdf_a - p_a.array, p_a.axes),
                Tensor(cdf_m, p_m.axes), Tensor(cdf_m - p_m.array, p_m.axes))
            joint = np.clip(np.minimum(hi_a, hi_m) - np.maximum(lo_a, lo_m), 0.0, None)
            self._check(joint.shape)
            self._couplings[ckey] = Tensor(joint, axes)
        return self._couplings[ckey]

    def cost(self, subset: frozenset) -> np.ndarray:
        """Row-wise conditional expectation of 1/2 (Y(A) - Y(A_S, B_rest))^2."""
        key = frozenset(subset) | (self.everything - frozenset(self.players))
        self._run(key)
        y_m = self._centred(self._value_of(self.target, key))
        joint, marginal = [], []
        for node in self.integrate:
            p_a = self._probs[(node, self.upstream[node])]
            if self.upstream[node] <= key:  # the same value in both runs
                joint.append(p_a)
                marginal.append(p_a)
                continue
            p_m = self._probs[(node, key & self.upstream[node])]
            marginal.append(p_m)
            if node in key:  # one uniform, two sets of class probabilities
                joint.append(self._coupling(node, key))
            else:
                joint += [p_a, p_m]
        cross = self.contract([*joint, self.y_a, y_m], self.out)
        em2 = self.contract([*marginal, y_m, y_m], self.out) if self.sampled else self.ea2
        return 0.5 * (self.ea2 + em2 - 2.0 * cross)

    def exact_phi(self, players: list[str]) -> np.ndarray:
        """Shapley values known exactly: the target's additive noise variance (else zeros)."""
        exact = np.zeros(len(players))
        if self.additive:
            exact[players.index(self.target)] = float(np.var(self.fitted._sorted[self.target]))
        return exact
