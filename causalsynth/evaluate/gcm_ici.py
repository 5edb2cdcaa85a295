"""ICI shares of a fitted GCM: exact where the mechanisms allow, else Rao-Blackwellised
pick-freeze Monte Carlo with common random numbers.

* **exact** when every mechanism up to the target is a linear additive-noise model on numeric
  nodes (:func:`exact_ici`), or linear with labels only at roots (separable noise terms);
* otherwise :func:`mc_ici`: the Shapley value of ``Var(E[Y | N_S])`` over all subsets, by the
  pick-freeze estimator of :mod:`causalsynth._ici`, with discrete noise and the target's own
  additive noise summed out exactly (:class:`PairedRuns`) and the rest sampled by randomised
  quasi-Monte Carlo, whose replicates give the standard error.
"""

from __future__ import annotations

import numpy as np

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
from causalsynth.evaluate.gcm import FittedGCM
from causalsynth.evaluate.gcm_models import is_classified, model_parents
from causalsynth.media import adstock_weights

__all__ = [
    "EXACT_BUDGET",
    "ICI_ESTIMATOR",
    "PairedRuns",
    "carries_over",
    "describe_mc_ici",
    "exact_ici",
    "is_linear_upto",
    "linear_coefficients",
    "mc_ici",
]

#: ICI estimator of the Monte Carlo path (``FittedGCM.mc_ici``): "rao_blackwell" or
#: "pick_freeze" (the plain estimator, kept for comparison: benchmarks/bench_ici_mc.py)
ICI_ESTIMATOR = "rao_blackwell"

def carries_over(fitted: FittedGCM, target: str) -> bool:
    """Whether a mechanism up to ``target`` adstocks spend: values then mix rows (periods),
    so the exact shares need per-lag path weights (:func:`_separable_phi`) and the Monte
    Carlo path must run whole series through the engine (plain pick-freeze)."""
    carry = fitted.carryover
    return carry is not None and any(carry.decays.get(n)
                                     for n in [*fitted.dag.ancestors(target), target])

def is_linear_upto(fitted: FittedGCM, target: str) -> bool:
    nodes = [*fitted.dag.ancestors(target), target]
    if carries_over(fitted, target):
        return False
    return all(fitted.dag.node(n).is_numeric for n in nodes) and all(
        fitted.families.get(n) == "linear" for n in nodes if fitted.dag.parents(n))

def linear_coefficients(fitted: FittedGCM, node: str) -> dict[str, float]:
    """Per-parent slopes of a linear mechanism, in the data's units."""
    coef = fitted.scm.causal_mechanism(node).prediction_model.sklearn_model.coef_.ravel()
    return dict(zip(model_parents(fitted.dag, node), coef, strict=True))

def exact_ici(fitted: FittedGCM, target: str) -> np.ndarray:
    """Exact shares (percent) for linear additive-noise mechanisms; players in order."""
    players = [*fitted.dag.ancestors(target), target]
    total = {target: 1.0}
    for node in reversed(players[:-1]):
        total[node] = sum(linear_coefficients(fitted, c)[node] * total[c]
                          for c in fitted.dag.children(node) if c in total)
    contrib = np.array([total[p] ** 2 * np.var(fitted.noise_values[p]) for p in players])
    return 100.0 * contrib / contrib.sum()

def describe_mc_ici(fitted: FittedGCM, target: str, n_rows: int,
                    estimator: str | None = None) -> str:
    """How :func:`mc_ici` computes the shares of ``target`` from ``n_rows`` uniforms."""
    estimator = estimator or ICI_ESTIMATOR
    if estimator == "pick_freeze" or (carries_over(fitted, target)
                                      and _separable_phi(fitted, target) is None):
        return f"Monte Carlo pick-freeze Shapley, {n_rows} rows"
    players = [*fitted.dag.ancestors(target), target]
    if _separable_phi(fitted, target) is not None:
        return "exact (linear mechanisms, labels at roots: separable noise terms)" + (
            ", spend carried over" if carries_over(fitted, target) else "")
    if all(is_classified(fitted.dag, n) or (n == target and fitted.dag.node(n).is_numeric)
           for n in players):
        return "exact (discrete noise summed out of pick-freeze Shapley)"
    return (f"Monte Carlo pick-freeze Shapley, label and outcome noise summed out, "
            f"randomised quasi-Monte Carlo, {n_rows} rows")

def mc_ici(fitted: FittedGCM, target: str, uniforms_a, uniforms_b, estimator: str | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo shares and standard errors from two uniform draws (common random numbers).

    ``estimator`` (default :data:`ICI_ESTIMATOR`):

    * ``"rao_blackwell"``: the pick-freeze estimator with every squared difference
      replaced by its conditional expectation over the noise terms that can be summed out
      exactly (:class:`PairedRuns`): the target's own additive noise, and the noise of
      binary and categorical nodes. The noise terms still sampled (numeric roots and
      additive noise) take randomised quasi-Monte Carlo points made from the uniforms
      (:func:`causalsynth._ici.rqmc_uniforms`), whose independent replicates give the
      standard error. When every noise term up to the target can be summed out, the
      shares are exact and their standard errors 0; so they are when the mechanisms are
      linear and labels occur only at roots (the target is then a sum of independent
      single-noise terms: :func:`_separable_phi`).
    * ``"pick_freeze"``: the plain estimator, every noise term sampled from the uniforms
      row by row, the standard error from 20 batches of rows.
    """
    estimator = estimator or ICI_ESTIMATOR
    players = [*fitted.dag.ancestors(target), target]
    if estimator == "pick_freeze" or (carries_over(fitted, target)
                                      and _separable_phi(fitted, target) is None):
        cache: dict = {}
        return shapley_variance_shares(
            lambda noise, from_a: fitted.run(noise, target, cache=cache, key=from_a),
            uniforms_a, uniforms_b, players)
    if estimator != "rao_blackwell":
        raise ValueError(f"The 'estimator' parameter must be 'rao_blackwell' or "
                         f"'pick_freeze'. Got {estimator!r} instead.")
    return _rao_blackwell_ici(fitted, target, uniforms_a, uniforms_b)

def _rao_blackwell_ici(fitted: FittedGCM, target: str, uniforms_a, uniforms_b
                       ) -> tuple[np.ndarray, np.ndarray]:
    players = [*fitted.dag.ancestors(target), target]
    separable = _separable_phi(fitted, target)
    if separable is not None:  # linear mechanisms, labels only at roots: exact
        return 100.0 * separable / separable.sum(), np.zeros(len(players))
    labels = [n for n in players if is_classified(fitted.dag, n)]
    additive = fitted.dag.node(target).is_numeric
    # Sum out the noise of every label when nothing else is random: exact shares. Else sum
    # out the non-root labels (rare binary events are what makes sampling noisy) and
    # sample roots and numeric noise by randomised quasi-Monte Carlo: a root's label, summed
    # out, would multiply every prediction downstream by its number of categories. When
    # the exact sums grow too large, sample every label.
    exact = all(n in labels or (additive and n == target) for n in players)
    levels = [labels] if exact else []
    levels += [[n for n in labels if fitted.dag.parents(n)], []]
    for integrate in dict.fromkeys(map(tuple, levels)):
        sampled = [n for n in players
                   if n not in integrate and not (additive and n == target)]
        draws = rqmc_uniforms(sampled, uniforms_a, uniforms_b)
        qa, qb, n_batches = draws if draws is not None else (uniforms_a, uniforms_b, None)
        try:
            # sampling every noise term builds arrays of one row each: no budget
            runs = PairedRuns(fitted, target, qa, qb, frozenset(integrate),
                               budget=None if integrate else np.inf)
            phi_sampled = shapley_from_costs(runs.cost, runs.players, runs.n_rows)
        except TooLarge:
            continue
        phi_rows = np.zeros((len(players), runs.n_rows))
        phi_rows[[players.index(p) for p in runs.players]] = phi_sampled
        return shares_with_se(phi_rows, runs.exact_phi(players), sampled=runs.sampled,
                              **({"n_batches": n_batches} if n_batches else {}))
    raise AssertionError("unreachable: the last level has no budget")

def _separable_phi(fitted: FittedGCM, target: str) -> np.ndarray | None:
    """Exact Shapley values when the target is a sum of independent single-noise terms.

    That holds when every mechanism up to the target is a linear regression (``linear``
    family) and every label among its ancestors is a root: a numeric node's noise then
    enters as ``a_j N_j`` (``a_j`` its total path coefficient) and a root label's value
    ``k`` as ``sum_c a_c (coef_c . encoding_c(k))`` over its children ``c``; with
    independent terms, ``v(S)`` is the sum of their variances over S, so each Shapley value
    is its own term's variance. None otherwise.
    """
    players = [*fitted.dag.ancestors(target), target]
    if not fitted.dag.node(target).is_numeric or any(
            fitted.dag.parents(n) and (is_classified(fitted.dag, n)
                                     or fitted.families.get(n) != "linear")
            for n in players):
        return None
    blocks = {n: _coefficient_blocks(fitted, n) for n in players if fitted.dag.parents(n)}
    # total effect of a node's noise on the target, per lag (carryover spreads it over the
    # following periods; a single lag without carryover)
    total = {target: np.ones(1)}
    for node in reversed(players[:-1]):
        if fitted.dag.node(node).is_numeric:
            total[node] = _lag_sum(np.convolve(_lags(fitted, c, node) * float(blocks[c][node][0]),
                                               total[c])
                                   for c in fitted.dag.children(node) if c in total)
    phi = []
    for node in players:
        if fitted.dag.node(node).is_numeric:
            phi.append(float(np.sum(total[node] ** 2)) * float(np.var(fitted.noise_values[node])))
            continue
        # a label's value k enters lag l as sum_c total_c[l] * (encoding_c(k) . coef_c)
        term = _lag_sum(np.outer(total[c], fitted.parent_tables[c][
            model_parents(fitted.dag, c).index(node)] @ blocks[c][node])
                        for c in fitted.dag.children(node) if c in total)
        codes = fitted.noise_values[node].astype(np.intp)
        pmf = np.bincount(codes, minlength=len(fitted.labels(node))) / len(codes)
        phi.append(float(np.sum((term - (term @ pmf)[:, None]) ** 2 @ pmf)))
    return np.array(phi)

def _lags(fitted: FittedGCM, child: str, parent: str) -> np.ndarray:
    """Weights of ``parent`` on ``child`` per lag: the adstock weights of a carried edge."""
    carry = fitted.carryover
    decay = carry.decays.get(child, {}).get(parent) if carry is not None else None
    return np.ones(1) if decay is None else adstock_weights(
        decay, carry.max_lags[child][parent], carry.peak(child, parent))

def _lag_sum(arrays) -> np.ndarray:
    """Sum of per-lag arrays (first axis: lag) of different lengths, zero-padded."""
    arrays = [np.asarray(a, float) for a in arrays]
    out = np.zeros((max(len(a) for a in arrays), *arrays[0].shape[1:]))
    for a in arrays:
        out[:len(a)] += a
    return out

def _coefficient_blocks(fitted: FittedGCM, node: str) -> dict[str, np.ndarray]:
    """A linear mechanism's slopes per parent: one for a numeric parent, one per column
    of its encoding (the layout of ``_encode``) for a label parent."""
    coef = fitted.scm.causal_mechanism(node).prediction_model.sklearn_model.coef_.ravel()
    out, start = {}, 0
    tables = fitted.parent_tables[node]
    for parent, table in zip(model_parents(fitted.dag, node), tables, strict=True):
        width = 1 if table is None else table.shape[1]
        out[parent] = coef[start:start + width]
        start += width
    return out

# ---- effects ------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# ICI with label noise summed out (Rao-Blackwellised pick-freeze)
# ---------------------------------------------------------------------------------------
#: largest array (elements) an exact sum over label values may build; beyond, labels are sampled
EXACT_BUDGET = 4_000_000


class PairedRuns:
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
        self.upstream = fitted.upstream
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
        parents = model_parents(f.dag, node)
        sampled = node not in self.integrate and not (node == self.target and self.additive)
        if sampled:
            u = self.uniforms_a[node] if node in key else self.uniforms_b[node]
        if not parents:
            if node not in self.integrate:
                return Tensor(f.noise(node, u), (self.rows_axis,))
            ax = self._axis(node, key)
            n_labels = len(f.labels(node))
            codes = f.noise_values[node].astype(np.intp)
            pmf = np.bincount(codes, minlength=n_labels) / len(codes)
            self._probs[ckey] = Tensor(pmf, (ax,))
            return Tensor(np.arange(n_labels, dtype=float), (ax,))
        parent_values = [self._value_of(p, key) for p in parents]
        if is_classified(f.dag, node) and node not in self.integrate:
            # a sampled label, as in the plain estimator
            axes, arrays = align(*parent_values, Tensor(u, (self.rows_axis,)))
            full = np.broadcast_arrays(*arrays)
            self._check(full[0].shape)
            out = f.evaluate_node(node, [a.ravel() for a in full[:-1]], full[-1].ravel())
            return Tensor(out.reshape(full[0].shape), axes)
        axes, arrays = align(*parent_values)
        self._check(np.broadcast_shapes(*[a.shape for a in arrays]))
        if not is_classified(f.dag, node):
            pred = Tensor(self._predict(node, arrays), axes)
            if node == self.target and self.additive:
                return pred  # its own noise is accounted for exactly (exact_phi)
            axes, (p, e) = align(pred, Tensor(f.noise(node, u), (self.rows_axis,)))
            return Tensor(p + e, axes)
        ax = self._axis(node, key)
        probs = self._predict(node, arrays)  # (..., classes)
        pos = sum(a < ax for a in axes)
        self._probs[ckey] = Tensor(np.moveaxis(probs, -1, pos), (*axes[:pos], ax, *axes[pos:]))
        return Tensor(f.class_codes[node].astype(float), (ax,))

    def _predict(self, node: str, arrays: list[np.ndarray]) -> np.ndarray:
        """The mechanism's output on broadcast parent arrays (lookup when tabulated)."""
        f = self.fitted
        shape = np.broadcast_shapes(*[a.shape for a in arrays])
        if node in f.grids:
            return f.predict(node, arrays)
        full = [np.broadcast_to(a, shape).ravel() for a in arrays]
        out = f.predict(node, full)
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
            exact[players.index(self.target)] = float(np.var(self.fitted.noise_values[self.target]))
        return exact
