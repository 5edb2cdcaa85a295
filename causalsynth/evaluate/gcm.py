"""Fitting a DoWhy GCM to a table; its mechanisms, forward pass and effects (g-formula).

The mechanisms are DoWhy's (``AdditiveNoiseModel`` for continuous and count nodes,
``ClassifierFCM`` for binary and categorical ones, ``EmpiricalDistribution`` for roots), fitted
with ``dowhy.gcm.fit``. Their prediction models are scikit-learn pipelines chosen per node by
validation error (linear unless gradient boosting is clearly better); categorical parents are
one-hot encoded inside the pipeline, so DoWhy sees integer category codes.

The mechanisms run on the package's one engine (:func:`causalsynth.scm.propagate`) through
:class:`GCMMechanism`. On the fitted model we compute ICI ourselves
(:mod:`causalsynth.evaluate.gcm_ici`), because DoWhy's default estimator is slow and
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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from causalsynth._random import as_generator, child_seed
from causalsynth.carryover import Carryover
from causalsynth.dag import DAG
from causalsynth.data import label_codes
from causalsynth.evaluate.gcm_models import (
    choose_families,
    is_classified,
    label_grid,
    make_model,
    model_parents,
    node_labels,
    quiet,
    to_model_frame,
)
from causalsynth.scm import propagate

__all__ = ["FittedGCM", "GCMMechanism", "draw_uniforms", "fit_gcm"]


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
    noise_values: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    scales: dict[str, float] = field(default_factory=dict, repr=False)
    parent_tables: dict[str, list] = field(default_factory=dict, repr=False)
    class_codes: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    upstream: dict[str, frozenset] = field(default_factory=dict, repr=False)
    grids: dict[str, tuple] = field(default_factory=dict, repr=False)
    observed: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    #: linear mechanisms' (coef_.T, intercept_): predicted without scikit-learn's per-call
    #: input validation, which costs more than the product on a large DAG's g-formula
    lines: dict[str, tuple] = field(default_factory=dict, repr=False)
    carryover: Carryover | None = None

    # ---- the forward pass ------------------------------------------------------------------
    # Labels travel as integer codes (index into the node's labels) and parents are encoded
    # by lookup tables built once from DoWhy's own fitted encoders, so each evaluation is a
    # table lookup plus the scikit-learn model's predict; ``check_forward`` shows it equals
    # DoWhy's ``mechanism.evaluate``.
    def labels(self, node: str) -> np.ndarray:
        return node_labels(self.dag.node(node))

    def noise(self, node: str, u: np.ndarray) -> np.ndarray:
        """Root: its empirical quantile; ANM: residual quantile; classifier: the uniform."""
        if self.dag.parents(node) and is_classified(self.dag, node):
            return u
        values = self.noise_values[node]
        return values[np.minimum((u * len(values)).astype(int), len(values) - 1)]

    def encode(self, node: str, parent_values: list[np.ndarray]) -> np.ndarray:
        tables = self.parent_tables[node]
        return np.column_stack([
            table[v.astype(int)] if table is not None else v.reshape(-1, 1)
            for v, table in zip(parent_values, tables, strict=True)])

    def predict(self, node: str, parent_values: list[np.ndarray]) -> np.ndarray:
        """The mechanism's model output: class probabilities, or the noise-free prediction.

        When every parent is a label, the output of each parent combination was computed once
        (``_grids``), so this is a lookup; otherwise the scikit-learn model predicts.
        """
        grid = self.grids.get(node)
        if grid is not None:
            strides, table = grid
            key = sum(v.astype(np.intp) * s for v, s in zip(parent_values, strides, strict=True))
            return table[key]
        x = self.encode(node, parent_values)
        line = self.lines.get(node)
        if line is not None:  # LinearRegression.predict's own sum, without its input checks
            return (x @ line[0] + line[1]).ravel()
        model = self.scm.causal_mechanism(node)
        if is_classified(self.dag, node):
            return model.classifier_model.sklearn_model.predict_proba(x)
        return model.prediction_model.sklearn_model.predict(x).ravel()

    def evaluate_node(self, node: str, parent_values: list[np.ndarray], noise: np.ndarray
                  ) -> np.ndarray:
        out = self.predict(node, parent_values)
        if is_classified(self.dag, node):
            idx = np.argmax(np.cumsum(out, axis=1) >= noise.reshape(-1, 1), axis=1)
            return self.class_codes[node][idx].astype(float)
        return out + noise

    @cached_property
    def mechanisms(self) -> dict[str, GCMMechanism]:
        """The fitted mechanisms, one per node, for :func:`causalsynth.scm.propagate`."""
        return {node: GCMMechanism(self, node) for node in self.dag.nodes}

    def run(self, uniforms: Mapping[str, np.ndarray], upto: str,
            interventions: Mapping[str, Any] | None = None,
            cache: dict | None = None, key: frozenset | None = None) -> np.ndarray:
        """The target's values (labels as codes) for per-node uniforms, with interventions.

        With ``cache`` and ``key`` (the set of nodes whose uniforms come from the first draw),
        a node's values are reused whenever the same upstream nodes come from the same draw.
        """
        memo = None if cache is None else (cache, key)
        return propagate(self.dag, self.mechanisms, uniforms, interventions, upto=upto,
                         memo=memo)[upto]

    def check_forward(self, data: pd.DataFrame, n: int = 200) -> float:
        """Largest difference between our forward pass and DoWhy's ``evaluate`` on ``n`` rows."""
        frame = to_model_frame(data, self.dag).iloc[:n]
        rng = np.random.default_rng(0)
        worst = 0.0
        for node in self.dag.nodes:
            parents = model_parents(self.dag, node)
            if not parents:
                continue
            mech = self.scm.causal_mechanism(node)
            x = frame[parents].to_numpy()
            noise = rng.random(len(frame)) if is_classified(self.dag, node) else rng.normal(
                size=len(frame))
            theirs = np.asarray(mech.evaluate(x, noise.reshape(-1, 1))).ravel()
            codes = [label_codes(self.dag.node(p), frame[p].to_numpy()) for p in parents]
            if self.carryover is not None and node in self.carryover.decays:
                continue  # DoWhy's mechanism sees the adstocked spend: compared in the tests
            ours = self.evaluate_node(node, codes, noise)
            if is_classified(self.dag, node):
                theirs = label_codes(self.dag.node(node), theirs)
            worst = max(worst, float(np.max(np.abs(ours - theirs.astype(float)))))
        return worst

    # ---- ICI ----------------------------------------------------------------------------

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
        needed = [*self.dag.ancestors(target), target]
        observed = {node: np.tile(self.observed[node], reps)
                    for node in needed if node not in downstream}
        noise = {node: np.resize(uniforms[node], n) for node in needed if node in downstream}
        do = None if intervention is None else {treatment: intervention}
        return propagate(self.dag, self.mechanisms, noise, do, observed=observed,
                         upto=target)[target]


class GCMMechanism:
    """One node of a :class:`FittedGCM` as a :class:`causalsynth.scm.Mechanism`: its noise is
    one uniform per row, turned into the node's noise (empirical quantile of a root's values or
    of the residuals; the uniform itself for a classifier)."""

    def __init__(self, fitted: FittedGCM, node: str):
        self.fitted, self.node = fitted, node
        self.parents = model_parents(fitted.dag, node)

    def evaluate(self, parents: Mapping[str, np.ndarray], noise: np.ndarray) -> np.ndarray:
        eps = self.fitted.noise(self.node, noise)
        if not self.parents:
            return eps
        carry = self.fitted.carryover
        if carry is not None:  # spend acts through its adstocked series (rows in time order)
            parents = carry.transform(self.node, {p: parents[p] for p in self.parents})
        return self.fitted.evaluate_node(self.node, [parents[p] for p in self.parents], eps)


def fit_gcm(data: pd.DataFrame, dag: DAG, families: Mapping[str, str] | None = None,
            seed=None, carryover: Carryover | None = None,
            upto: str | None = None) -> FittedGCM:
    """Fit DoWhy mechanisms to ``data`` (typed by check_data); families from choose_families.

    ``upto``: fit only this node and its ancestors (all that its ICI, its effects and
    ``run(..., upto=...)`` read); each mechanism is the one the whole fit gives it (the same
    seeds), so on a large DAG the nodes downstream of, or beside, the target cost nothing.

    ``carryover`` (time-indexed DAGs, :func:`causalsynth.carryover.estimate_carryover`):
    the mechanism of each child of a spend node is fitted on the spend's adstocked series
    (``carryover.columns``, aligned with ``data``'s rows) and applies the same adstock when it
    runs, so interventions on spend carry over into later periods.

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
    fitted_nodes = (list(dag.nodes) if upto is None
                    else [n for n in dag.nodes if n in {*dag.ancestors(upto), upto}])
    graph = nx.DiGraph()
    graph.add_nodes_from(fitted_nodes)
    graph.add_edges_from((a, b) for a, b in dag.edges if b in graph)  # parents come along
    scm = gcm.StructuralCausalModel(graph)
    for node in dag.nodes:
        parents = model_parents(dag, node)
        # every node draws its seed, fitted or not: a node's model is the same either way
        model_seed = child_seed(rng) if parents else None
        if node not in graph:
            continue
        if not parents:
            scm.set_causal_mechanism(node, gcm.EmpiricalDistribution())
        elif is_classified(dag, node):
            scm.set_causal_mechanism(node, gcm.ClassifierFCM(
                make_model(families[node], model_seed)))
        else:
            scm.set_causal_mechanism(node, gcm.AdditiveNoiseModel(
                make_model(families[node], model_seed)))
    with quiet():
        gcm.fit(scm, frame)
        for child in (carryover.decays if carryover is not None else {}):
            if child not in graph:
                continue
            carried = frame.copy()
            for parent in carryover.decays[child]:
                carried[parent] = carryover.columns[(child, parent)]
            gcm.fitting_sampling.fit_causal_model_of_target(scm, child, carried)
    fitted = FittedGCM(dag=dag, scm=scm, families=families, n_rows=len(frame),
                       carryover=carryover)
    _compile(fitted, fitted_nodes)
    for node in fitted_nodes:
        mech = scm.causal_mechanism(node)
        if not dag.parents(node):
            fitted.noise_values[node] = np.sort(label_codes(dag.node(node),
                                                            frame[node].to_numpy()))
        elif not is_classified(dag, node):
            fitted.noise_values[node] = np.sort(np.asarray(mech.noise_model.data, float).ravel())
        fitted.observed[node] = label_codes(fitted.dag.node(node), frame[node].to_numpy())
        fitted.scales[node] = float(np.std(frame[node])) if dag.node(node).is_numeric else 1.0
    return fitted


def _compile(fitted: FittedGCM, nodes: list[str]) -> None:
    """Lookup tables code -> encoded features, from DoWhy's fitted encoders of each mechanism
    of ``nodes``."""
    from dowhy.gcm.util.general import auto_apply_encoders

    dag = fitted.dag
    for node in nodes:
        fitted.upstream[node] = frozenset([*dag.ancestors(node), node])
        parents = model_parents(dag, node)
        if not parents:
            continue
        mech = fitted.scm.causal_mechanism(node)
        model = mech.classifier_model if is_classified(dag, node) else mech.prediction_model
        if type(model.sklearn_model) is LinearRegression:
            fitted.lines[node] = (model.sklearn_model.coef_.T, model.sklearn_model.intercept_)
        tables = []
        for i, p in enumerate(parents):
            if dag.node(p).is_numeric:
                tables.append(None)
                continue
            labels = node_labels(dag.node(p))
            probe = np.empty((len(labels), len(parents)), dtype=object)
            probe[:] = 0.0
            probe[:, i] = labels
            for j, q in enumerate(parents):  # other text columns need valid labels to encode
                if j != i and not dag.node(q).is_numeric:
                    probe[:, j] = node_labels(dag.node(q))[0]
            encoded = auto_apply_encoders(probe, model._encoders).astype(float)
            tables.append(_parent_block(encoded, i, model._encoders))
        fitted.parent_tables[node] = tables
        if is_classified(dag, node):
            labels = list(node_labels(dag.node(node)))
            fitted.class_codes[node] = np.array(
                [labels.index(str(c)) for c in model.classes], dtype=float)
        cards = label_grid(dag, parents)
        if cards is not None:  # predict each combination of parent labels once, then look up
            codes = [c.ravel().astype(float) for c in np.indices(cards)]
            strides = [int(np.prod(cards[i + 1:])) for i in range(len(cards))]
            fitted.grids[node] = (strides, fitted.predict(node, codes))


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
