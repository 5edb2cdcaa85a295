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
    TooLarge,
    rqmc_uniforms,
    shapley_from_costs,
    shapley_variance_shares,
    shares_with_se,
)
from causalsynth.evaluate.gcm import FittedGCM
from causalsynth.evaluate.gcm_models import is_classified, model_parents
from causalsynth.evaluate.paired_runs import PairedRuns
from causalsynth.media import adstock_weights

__all__ = [
    "ICI_ESTIMATOR",
    "MODELS_PER_BATCH",
    "PairedRuns",
    "carries_over",
    "describe_mc_ici",
    "exact_ici",
    "is_linear_upto",
    "linear_coefficients",
    "mc_ici",
    "mc_ici_many",
]

#: ICI estimator of the Monte Carlo path (``FittedGCM.mc_ici``): "rao_blackwell" or
#: "pick_freeze" (the plain estimator, kept for comparison: benchmarks/bench_ici_mc.py)
ICI_ESTIMATOR = "rao_blackwell"
#: most models (bootstrap replicates) evaluated together: bounds the memory of their arrays
#: (16 ad_funnel replicates: 4.9 CPU-s one by one, 3.0 by 8 (+150 MB), 2.7 by 16 (+300 MB))
MODELS_PER_BATCH = 8

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
    return mc_ici_many([fitted], target, uniforms_a, uniforms_b, estimator)[0]

def mc_ici_many(fits: list[FittedGCM], target: str, uniforms_a, uniforms_b,
                estimator: str | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`mc_ici` of several models of one DAG (a table's bootstrap replicates), with the
    same draws: the same results, with the Rao-Blackwellised runs of models that share their
    classes evaluated together (the Python cost of each subset paid once for all)."""
    if not fits:
        return []
    estimator = estimator or ICI_ESTIMATOR
    first = fits[0]
    if estimator == "pick_freeze" or (carries_over(first, target)
                                      and _separable_phi(first, target) is None):
        players = [*first.dag.ancestors(target), target]
        out = []
        for fitted in fits:
            cache: dict = {}
            out.append(shapley_variance_shares(
                lambda noise, from_a, f=fitted, c=cache: f.run(noise, target, cache=c,
                                                               key=from_a),
                uniforms_a, uniforms_b, players))
        return out
    if estimator != "rao_blackwell":
        raise ValueError(f"The 'estimator' parameter must be 'rao_blackwell' or "
                         f"'pick_freeze'. Got {estimator!r} instead.")
    # models whose label nodes have the same classes stack; a replicate that lost a rare
    # class is evaluated on its own
    groups: dict = {}
    for i, fitted in enumerate(fits):
        signature = tuple((n, tuple(c)) for n, c in sorted(fitted.class_codes.items()))
        groups.setdefault(signature, []).append(i)
    results: list = [None] * len(fits)
    for members in groups.values():
        for start in range(0, len(members), MODELS_PER_BATCH):
            chunk = members[start:start + MODELS_PER_BATCH]
            done = _rao_blackwell_ici([fits[i] for i in chunk], target, uniforms_a, uniforms_b)
            for i, r in zip(chunk, done, strict=True):
                results[i] = r
    return results

def _rao_blackwell_ici(fits: list[FittedGCM], target: str, uniforms_a, uniforms_b
                       ) -> list[tuple[np.ndarray, np.ndarray]]:
    fitted = fits[0]
    players = [*fitted.dag.ancestors(target), target]
    separable = [_separable_phi(f, target) for f in fits]
    if all(phi is not None for phi in separable):  # linear, labels only at roots: exact
        return [(100.0 * phi / phi.sum(), np.zeros(len(players))) for phi in separable]
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
            runs = PairedRuns(fits, target, qa, qb, frozenset(integrate),
                              budget=None if integrate else np.inf)
            phi_sampled = shapley_from_costs(runs.cost, runs.players, runs.n_rows)
        except TooLarge:
            continue
        phi_rows = np.zeros((len(players), runs.n_rows, len(fits)))
        phi_rows[[players.index(p) for p in runs.players]] = phi_sampled
        exact_phi = runs.exact_phi(players)
        return [shares_with_se(phi_rows[:, :, b], exact_phi[:, b], sampled=runs.sampled,
                               **({"n_batches": n_batches} if n_batches else {}))
                for b in range(len(fits))]
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
