"""Shapley shares of variance over noise terms: the engine behind ICI, true and estimated.

Intrinsic causal influence (DoWhy's ``intrinsic_causal_influence``) attributes the variance of
a target to the noise terms of its ancestors by Shapley values of the set function
``v(S) = Var(E[Y | N_S])``. Estimating ``v`` for every subset with two independent noise draws
A and B (Jansen's pick-freeze estimator)::

    Var(Y) - v(S) = E[Var(Y | N_S)] = 1/2 E[(Y(A) - Y(A_S, B_rest))^2]

reuses the same two draws for every subset (common random numbers), so differences between
subsets and between tables are not drowned by fresh Monte Carlo noise. The Monte Carlo error is
estimated from batches of rows.

:func:`shapley_from_costs` takes any row-wise estimate of ``E[Var(Y | N_S)]``, which lets a
caller replace the sampled squared differences by their conditional expectations
(Rao-Blackwellisation): :class:`Tensor` and :func:`expectation` contract discrete distributions
exactly (``numpy.einsum``), for noise terms that can be summed out instead of sampled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from math import factorial, prod
from typing import ClassVar

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
    y_a = np.asarray(evaluate(noise_a, frozenset(noise_a)), dtype=float)

    def half_sq_diff(subset: frozenset) -> np.ndarray:
        """Row-wise 1/2 (Y(A) - Y(A_S, B_rest))^2, whose mean is E[Var(Y | N_S)]."""
        from_a = frozenset(name for name in noise_a if name in subset or name not in players)
        mixed = {name: noise_a[name] if name in from_a else noise_b[name] for name in noise_a}
        return 0.5 * (y_a - np.asarray(evaluate(mixed, from_a), dtype=float)) ** 2

    phi_rows = shapley_from_costs(half_sq_diff, players, len(y_a), rng, n_permutations)
    return shares_with_se(phi_rows)


def shapley_from_costs(
    cost: Callable[[frozenset], np.ndarray],
    players: Sequence[str],
    n_rows: int,
    rng: np.random.Generator | None = None,
    n_permutations: int = 200,
) -> np.ndarray:
    """Row-wise Shapley values (players x rows) of ``v(S) = Var(Y) - E[Var(Y | N_S)]``.

    ``cost(S)`` returns, per row (or as one number when nothing is sampled), an unbiased
    estimate of ``E[Var(Y | N_S)]``; the mean over rows of the result is the Shapley value.
    A cost of shape ``(rows, *batch)`` (several models evaluated at once) gives values of
    shape ``(players, rows, *batch)``.
    Up to ``MAX_EXACT_PLAYERS`` players every subset is evaluated once; beyond,
    ``n_permutations`` random orderings (Castro et al. 2009) share the same draws.
    """
    k = len(players)

    def evaluate(subset: frozenset) -> np.ndarray:
        return np.atleast_1d(np.asarray(cost(subset), dtype=float))

    h_empty = evaluate(frozenset())  # evaluated once: every ordering starts from it
    phi_rows = np.zeros((k, n_rows, *h_empty.shape[1:]))

    if k <= MAX_EXACT_PLAYERS:
        # One pass over all subsets T: h(T) enters phi_j with weight w(|T|) when j is not in T
        # and with -w(|T|-1) when it is, so each subset is evaluated once and nothing is cached.
        weights = [factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)]
        for size in range(k + 1):
            for subset in combinations(range(k), size):
                h = evaluate(frozenset(players[j] for j in subset)) if subset else h_empty
                inside = np.zeros(k, dtype=bool)
                inside[list(subset)] = True
                coef = np.where(inside, -weights[size - 1] if size else 0.0,
                                weights[size] if size < k else 0.0)
                phi_rows += coef.reshape(-1, *[1] * h.ndim) * h[None, ...]
    else:
        rng = rng or np.random.default_rng(0)
        for _ in range(n_permutations):
            order = rng.permutation(k)
            s: frozenset = frozenset()
            h_prev = h_empty
            for j in order:
                s = s | {players[j]}
                h_next = evaluate(s)
                phi_rows[j] += (h_prev - h_next) / n_permutations
                h_prev = h_next
    return phi_rows


def shares_with_se(phi_rows: np.ndarray, exact: np.ndarray | None = None,
                   sampled: bool = True, n_batches: int = _BATCHES
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Shares (percent) from row-wise Shapley values, and their standard errors from batches.

    ``exact``: Shapley values known without Monte Carlo error (one per row of ``phi_rows``,
    added to it), e.g. the variance of the target's own additive noise. ``sampled=False``: the
    row-wise values carry no Monte Carlo error (every noise term was summed out exactly).
    ``n_batches``: consecutive groups of rows that are independent replicates of each other
    (rows of independent draws, or the randomised quasi-Monte Carlo replicates of
    :func:`rqmc_uniforms`); the standard error is the spread of their shares.
    """
    extra = np.zeros(len(phi_rows)) if exact is None else np.asarray(exact, float)
    shares = _shares(phi_rows.mean(axis=1) + extra)
    n = phi_rows.shape[1]
    if not sampled:
        return shares, np.zeros(len(shares))
    if n < 2:
        return shares, np.full(len(shares), np.nan)
    n_batches = min(n_batches, n)
    batches = np.array_split(np.arange(n), n_batches)
    batch_shares = np.array([_shares(phi_rows[:, b].mean(axis=1) + extra) for b in batches])
    se = batch_shares.std(axis=0, ddof=1) / np.sqrt(n_batches)
    return shares, se


def rqmc_uniforms(nodes: Sequence[str], uniforms_a: Mapping[str, np.ndarray],
                  uniforms_b: Mapping[str, np.ndarray], min_replicates: int = 16
                  ) -> tuple[dict, dict, int] | None:
    """Randomised quasi-Monte Carlo draws A and B for ``nodes``, made from the given uniforms.

    ``R`` independent replicates of one Sobol' point set of ``m = 2^k`` points (the largest
    with ``R = n // m >= min_replicates``), each randomised by a digital shift (XOR of the
    points' binary digits) taken from row ``r`` of the given uniforms, one dimension per node
    and draw. Every point is uniform, the replicates are independent, and the same uniforms
    give the same points (common random numbers across tables); the points fill the space far
    more evenly than independent rows, so smooth integrands converge much faster, and the
    spread of the ``R`` replicates gives an honest standard error. Returns ``(A, B, R)`` with
    ``R * m`` rows, replicate after replicate, or None when there are too few rows.

    References
    ----------
    Owen. "Monte Carlo theory, methods and examples", ch. 17 (randomised QMC), 2013.
    """
    n = len(next(iter(uniforms_a.values())))
    if not nodes or n < 4 * min_replicates:
        return None
    k = int(np.floor(np.log2(n / min_replicates)))
    m = 2 ** k
    replicates = n // m
    base = _sobol_bits(2 * len(nodes), k)                        # (m, dims) of 32-bit ints
    shifts = np.column_stack([
        (np.asarray(draw[node][:replicates]) * 2.0**32).astype(np.uint64)
        for node in nodes for draw in (uniforms_a, uniforms_b)])  # (R, dims)
    points = ((base[None, :, :] ^ shifts[:, None, :]).astype(float) + 0.5) / 2.0**32
    points = points.reshape(replicates * m, -1)
    qa = {node: points[:, 2 * i] for i, node in enumerate(nodes)}
    qb = {node: points[:, 2 * i + 1] for i, node in enumerate(nodes)}
    return qa, qb, replicates


_SOBOL: dict = {}


def _sobol_bits(dims: int, k: int) -> np.ndarray:
    """The first 2^k points of the (unscrambled) Sobol' sequence as 32-bit integers."""
    if (dims, k) not in _SOBOL:
        from scipy.stats import qmc

        points = qmc.Sobol(dims, scramble=False).random_base2(k)
        _SOBOL[(dims, k)] = (points * 2.0**32).astype(np.uint64)
    return _SOBOL[(dims, k)]


def _shares(phi: np.ndarray) -> np.ndarray:
    total = phi.sum()
    if not np.isfinite(total) or total <= 0:
        return np.full(len(phi), np.nan)
    return 100.0 * phi / total


# ---------------------------------------------------------------------------------------
# Exact expectations over discrete variables
# ---------------------------------------------------------------------------------------
class TooLarge(Exception):
    """An exact contraction would build an intermediate array above the budget."""


@dataclass(frozen=True)
class Tensor:
    """An array whose dimensions are named by increasing integer axes (``axes`` is sorted).

    Axes index discrete variables (one value per position) or rows of a Monte Carlo draw;
    arrays over different axes combine by broadcasting after :func:`align`.
    """

    array: np.ndarray
    axes: tuple[int, ...]


def align(*tensors: Tensor) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """The union of the tensors' axes and their arrays reshaped to broadcast over it."""
    union = tuple(sorted(set().union(*(t.axes for t in tensors))))
    out = []
    for t in tensors:
        shape = [t.array.shape[t.axes.index(ax)] if ax in t.axes else 1 for ax in union]
        out.append(t.array.reshape(shape))
    return union, out


class Contractor:
    """Sums of products of tensors by variable elimination, with the order cached by shape.

    Each step multiplies the tensors that share the cheapest axis to sum out and sums it out
    (``numpy.einsum``), so the work stays near the size of the largest table built.
    ``budget``: the largest table (elements) a step may span; beyond it :class:`TooLarge` is
    raised, so that the caller can sample instead of summing out. ``batch_axis``: an axis
    that stacks independent problems (kept in every result), not counted against the budget.
    """

    _plans: ClassVar[dict] = {}  # shared: a plan depends only on the axes and their sizes

    def __init__(self, budget: float = 4_000_000, batch_axis: int | None = None):
        self.budget = budget
        self.batch_axis = batch_axis

    def __call__(self, tensors: Sequence[Tensor], out: tuple[int, ...]) -> np.ndarray:
        signature = (tuple((t.axes, t.array.shape) for t in tensors), out, self.budget,
                     self.batch_axis)
        plan = self._plans.get(signature)
        if plan is None:
            if len(self._plans) > 100_000:
                self._plans.clear()
            plan = self._plans[signature] = _elimination_plan(tensors, out, self.budget,
                                                              self.batch_axis)
        ops = [(t.array, t.axes) for t in tensors]
        for picked, axes in plan:
            chosen = [ops[i] for i in picked]
            ops = [op for i, op in enumerate(ops) if i not in picked]
            ops.append((_einsum(chosen, axes), axes))
        return _einsum(ops, out)


def _einsum(ops, out) -> np.ndarray:
    operands: list = []
    for array, axes in ops:
        operands += [array, list(axes)]
    return np.einsum(*operands, list(out))


def _elimination_plan(tensors: Sequence[Tensor], out: tuple[int, ...], budget: float,
                      batch_axis: int | None = None) -> list:
    """Steps (operands to multiply, axes kept) that sum out every axis not in ``out``."""
    sizes = {ax: n for t in tensors for ax, n in zip(t.axes, t.array.shape, strict=True)}
    if batch_axis in sizes:  # the cost of one problem of the batch: the same plan for any size
        sizes[batch_axis] = 1
    current = [frozenset(t.axes) for t in tensors]
    plan = []
    while True:
        free = set().union(*current) - set(out)
        if not free:
            break
        best = None
        for ax in sorted(free):
            union = frozenset().union(*(c for c in current if ax in c))
            cost = prod(sizes[a] for a in union)
            if best is None or cost < best[0]:
                best = (cost, ax, union)
        cost, ax, union = best
        if cost > budget:
            raise TooLarge(f"a sum over {cost} elements")
        picked = tuple(i for i, c in enumerate(current) if ax in c)
        rest = [c for i, c in enumerate(current) if i not in picked]
        kept = tuple(sorted(union & set(out).union(*rest)))
        plan.append((picked, kept))
        current = [*rest, frozenset(kept)]
    if prod(sizes.get(a, 1) for a in set().union(*current)) > budget:
        raise TooLarge("the final product")
    return plan
