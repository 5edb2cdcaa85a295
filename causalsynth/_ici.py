"""Shapley shares of variance over noise terms: the engine behind ICI, true and estimated.

Intrinsic causal influence (DoWhy's ``intrinsic_causal_influence``) attributes the variance of
a target to the noise terms of its ancestors by Shapley values of the set function
``v(S) = Var(E[Y | N_S])``. Estimating ``v`` for every subset with two independent noise draws
A and B (Jansen's pick-freeze estimator)::

    Var(Y) - v(S) = E[Var(Y | N_S)] = 1/2 E[(Y(A) - Y(A_S, B_rest))^2]

reuses the same two draws for every subset (common random numbers), so differences between
subsets and between tables are not drowned by fresh Monte Carlo noise. The Monte Carlo error is
estimated from batches of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import combinations
from math import factorial

import numpy as np

MAX_EXACT_PLAYERS = 12
_BATCHES = 20


def shapley_variance_shares(
    evaluate: Callable[[Mapping[str, np.ndarray], frozenset], np.ndarray],
    noise_a: Mapping[str, np.ndarray],
    noise_b: Mapping[str, np.ndarray],
    players: Sequence[str],
    rng: np.random.Generator | None = None,
    n_permutations: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """Shares (percent) of Var(Y) per player and their Monte Carlo standard errors (points).

    ``evaluate(noise, from_a)`` maps a noise dict (node -> array of rows) to the target's
    values; ``from_a`` names the nodes whose noise comes from the first draw (for caching). Up to
    ``MAX_EXACT_PLAYERS`` players every subset is evaluated; beyond, ``n_permutations`` random
    orderings (Castro et al. 2009) share the same draws.
    """
    k = len(players)
    y_a = np.asarray(evaluate(noise_a, frozenset(noise_a)), dtype=float)
    n = len(y_a)

    def half_sq_diff(subset: frozenset) -> np.ndarray:
        """Row-wise 1/2 (Y(A) - Y(A_S, B_rest))^2, whose mean is E[Var(Y | N_S)]."""
        from_a = frozenset(name for name in noise_a if name in subset or name not in players)
        mixed = {name: noise_a[name] if name in from_a else noise_b[name] for name in noise_a}
        return 0.5 * (y_a - np.asarray(evaluate(mixed, from_a), dtype=float)) ** 2

    # per-row contributions, so that batches of rows give a standard error
    phi_rows = np.zeros((k, n))
    if k <= MAX_EXACT_PLAYERS:
        # One pass over all subsets T: h(T) enters phi_j with weight w(|T|) when j is not in T
        # and with -w(|T|-1) when it is, so each subset is evaluated once and nothing is cached.
        weights = [factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)]
        for size in range(k + 1):
            for subset in combinations(range(k), size):
                h = half_sq_diff(frozenset(players[j] for j in subset))
                inside = np.zeros(k, dtype=bool)
                inside[list(subset)] = True
                coef = np.where(inside, -weights[size - 1] if size else 0.0,
                                weights[size] if size < k else 0.0)
                phi_rows += coef[:, None] * h[None, :]
    else:
        rng = rng or np.random.default_rng(0)
        for _ in range(n_permutations):
            order = rng.permutation(k)
            s: frozenset = frozenset()
            h_prev = half_sq_diff(s)
            for j in order:
                s = s | {players[j]}
                h_next = half_sq_diff(s)
                phi_rows[j] += (h_prev - h_next) / n_permutations
                h_prev = h_next
    batches = np.array_split(np.arange(n), _BATCHES)
    batch_shares = np.array([_shares(phi_rows[:, b].mean(axis=1)) for b in batches])
    shares = _shares(phi_rows.mean(axis=1))
    se = batch_shares.std(axis=0, ddof=1) / np.sqrt(_BATCHES)
    return shares, se


def _shares(phi: np.ndarray) -> np.ndarray:
    total = phi.sum()
    if not np.isfinite(total) or total <= 0:
        return np.full(len(phi), np.nan)
    return 100.0 * phi / total
