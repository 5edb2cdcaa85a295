"""Empirical privacy audit: a lower bound on the ε a mechanism really has.

As privacy researchers test DP implementations (Jagielski et al. 2020; Nasr et al. 2021):
train the mechanism many times without a planted *canary* row and many times with it
(add/remove-one-row neighbours), score each run with a distinguisher and read a threshold
test's false-positive rate (FPR: a canary-free run called "in") and false-negative rate (FNR).
Every test against an (ε, δ)-DP mechanism has ``FPR + e^ε FNR >= 1 - δ`` and
``FNR + e^ε FPR >= 1 - δ`` (Kairouz et al. 2015); with one-sided Clopper-Pearson upper bounds
FPR⁺, FNR⁺ (each at 1 - α/2, so both hold at ``confidence`` = 1 - α),
``ε >= max(log((1 - δ - FNR⁺) / FPR⁺), log((1 - δ - FPR⁺) / FNR⁺))`` with probability at
least ``confidence``. A bound above the claimed ε proves the claim false (at that confidence);
one below proves nothing: it is what this distinguisher, with this many trials, could see.

The best of many thresholds on the very trials that evaluate it is biased upwards, so by
default each side's trials are split at random: one part (``selection_share``) chooses the
test (threshold, direction and, for several score columns, Fisher's discriminant), the other
evaluates that single test, whose bound so keeps its confidence exactly. (A Bonferroni
correction over every candidate threshold, the alternative, divides α by hundreds and costs
more power than the halved sample.)

An audit trains mechanisms (:class:`CausalCanaryAttack` fits the ``causal`` synthesizer once a
trial) and judges them, so it sits beside :mod:`causalsynth.comparison`, above both
``synthesizers/`` and ``evaluate/``, which never train what they grade (formerly
``causalsynth.evaluate.privacy.audit``).

References
----------
Jagielski, Ullman, Oprea. "Auditing differentially private machine learning." NeurIPS 2020.
Nasr, Song, Thakurta, Papernot, Carlini. "Adversary instantiation." IEEE S&P 2021. Kairouz,
Oh, Viswanath. "The composition theorem for differential privacy." ICML 2015. Clopper,
Pearson. Biometrika 26, 1934. Balle, Wang. "Improving the Gaussian mechanism." ICML 2018.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import optimize, stats

from causalsynth._params import SEED, InstanceOf, Interval, check_params
from causalsynth.dag import DAG
from causalsynth.errors import InvalidParameterError, excerpt

__all__ = ["MIN_TRIALS", "SELECTION_LEVEL", "AuditResult", "CausalCanaryAttack", "audit",
           "causal_canary", "causal_canary_score", "epsilon_lower_bound", "gaussian_sigma"]

#: fewest trials per side (at 0 of 10 errors, Clopper-Pearson still says 0.31: ε_lb <= 1.1)
MIN_TRIALS = 10
#: the selection part ranks tests by their bound at this stricter level, which favours tests
#: whose error counts repeat on the evaluating part (tight Gaussian mechanism, ε = 2, 20,000
#: trials a side: the 10 % quantile of the bound over seeds is 0.8 against 0.3 at 97.5 %)
SELECTION_LEVEL = 0.999
_FLOAT01 = Interval(float, 0, 1, closed="neither")


@dataclass(frozen=True)
class AuditResult:
    """A lower bound on ε and the test ("in" when the score is ``direction`` than
    ``threshold``; ``weights`` combine several score columns) that gave it: its rates on the
    evaluating trials and their Clopper-Pearson upper bounds; the plug-in ``epsilon_estimate``;
    ``[epsilon_lower, epsilon_upper]`` brackets the ε this test shows on its true rates (each
    end one-sided at ``confidence``). The scores ride along, outside :meth:`to_dict`."""

    epsilon_lower: float
    threshold: float
    direction: str
    fpr: float
    fnr: float
    fpr_upper: float
    fnr_upper: float
    n_without: int
    n_with: int
    n_eval_without: int
    n_eval_with: int
    confidence: float
    delta: float
    epsilon_estimate: float
    epsilon_upper: float
    method: str
    weights: tuple[float, ...] | None = None
    scores_without: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False,
                                       compare=False)
    scores_with: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False,
                                    compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Every figure as plain Python values (JSON-ready), without the raw scores."""
        return {k: v for k, v in asdict(self).items() if not k.startswith("scores_")}


# ---- The bound -------------------------------------------------------------------------------
def _cp(k: Any, n: int, level: float, upper: bool = True) -> np.ndarray:
    """One-sided Clopper-Pearson upper (or lower) bounds of rates k / n at ``level``."""
    k = np.asarray(k, dtype=float)
    if upper:
        return np.where(k >= n, 1.0, stats.beta.ppf(level, k + 1, np.maximum(n - k, 1)))
    return np.where(k <= 0, 0.0, stats.beta.ppf(1 - level, np.maximum(k, 1), n - k + 1))


def _epsilon(fpr: Any, fnr: Any, delta: float) -> np.ndarray:
    """max(log((1 - δ - FNR) / FPR), log((1 - δ - FPR) / FNR)), 0 where nothing is shown."""
    fpr, fnr = np.asarray(fpr, dtype=float), np.asarray(fnr, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        one, two = np.log((1 - delta - fnr) / fpr), np.log((1 - delta - fpr) / fnr)
    return np.maximum(np.fmax(np.nan_to_num(one, nan=-np.inf),
                              np.nan_to_num(two, nan=-np.inf)), 0.0)


def _errors(s0: np.ndarray, s1: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False positives (s0 > t) and false negatives (s1 <= t) of the test "in when > t"."""
    fp = len(s0) - np.searchsorted(np.sort(s0), t, side="right")
    return fp, np.searchsorted(np.sort(s1), t, side="right")


def _scores(name: str, values: Any) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
        arr = arr[:, 0] if arr.ndim == 2 and arr.shape[1] == 1 else arr
    except (TypeError, ValueError):
        arr = np.empty(0)
    if arr.ndim not in (1, 2) or len(arr) < MIN_TRIALS or not np.isfinite(arr).all():
        raise InvalidParameterError(f"The {name!r} parameter of epsilon_lower_bound must be "
                                    f"at least {MIN_TRIALS} finite scores (or rows of scores), "
                                    f"one per trial. Got {excerpt(values)} instead.")
    return arr


def _fisher(sel0: np.ndarray, sel1: np.ndarray) -> np.ndarray:
    """Fisher's discriminant (within-class covariance shrunk 10 % to its diagonal)."""
    scale = np.vstack([sel0, sel1]).std(axis=0)
    scale[scale == 0] = 1.0
    within = np.vstack([sel0 - sel0.mean(0), sel1 - sel1.mean(0)]) / scale
    cov = np.atleast_2d(np.cov(within, rowvar=False))
    cov = 0.9 * cov + 0.1 * np.diag(np.diag(cov))
    diff = (sel1.mean(0) - sel0.mean(0)) / scale
    return np.linalg.lstsq(cov, diff, rcond=None)[0] / scale


def epsilon_lower_bound(scores_without: Sequence[Any] | np.ndarray,
                        scores_with: Sequence[Any] | np.ndarray, delta: float,
                        confidence: float = 0.95, *, selection_share: float = 0.5,
                        seed: int = 0) -> AuditResult:
    """Empirical lower bound on ε from a distinguisher's scores on neighbouring trainings.

    Parameters
    ----------
    scores_without, scores_with : array-like, one score (or row of scores) per trial
        Scores of the trainings without / with the canary, in trial order (each side i.i.d.;
        the sides may differ in length). Larger should mean "the canary was in", though the
        split tries both directions. Several columns are combined linearly (Fisher's
        discriminant, fitted on the selection part).
    delta : float
        The mechanism's claimed δ, in (0, 1).
    confidence : float, default 0.95
        Probability that the bound holds; each rate's upper bound is at ``1 - α/2``.
    selection_share : float, default 0.5
        The share of each side's trials that chooses the test; the rest evaluate it.
    seed : int, default 0
        Seed of the random split (sorted scores are split fairly too).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> res = epsilon_lower_bound(rng.normal(0, 1, 1000), rng.normal(4, 1, 1000), delta=1e-5)
    >>> res.direction, bool(1.5 < res.epsilon_lower < res.epsilon_estimate)
    ('higher', True)
    """
    check_params("epsilon_lower_bound", {
        "delta": [_FLOAT01], "confidence": [_FLOAT01], "seed": [Interval(int, 0, None)],
        "selection_share": [Interval(float, 0.1, 0.9)]}, locals())
    s0, s1 = _scores("scores_without", scores_without), _scores("scores_with", scores_with)
    if s0.shape[1:] != s1.shape[1:]:
        raise InvalidParameterError(
            f"epsilon_lower_bound: scores_without has {s0.shape[1:] or 1} score column(s) "
            f"per trial, scores_with {s1.shape[1:] or 1}; give both the same.")
    common = {"n_without": len(s0), "n_with": len(s1), "confidence": float(confidence),
              "delta": float(delta), "scores_without": s0, "scores_with": s1}

    rng = np.random.default_rng(seed)
    parts = []
    for s in (s0, s1):
        order = rng.permutation(len(s))
        cut = min(max(round(selection_share * len(s)), 2), len(s) - 2)
        parts.append((s[order[:cut]], s[order[cut:]]))
    (sel0, ev0), (sel1, ev1) = parts
    weights = None
    if s0.ndim == 2:
        weights = _fisher(sel0, sel1)
        sel0, sel1, ev0, ev1 = sel0 @ weights, sel1 @ weights, ev0 @ weights, ev1 @ weights
    level = 1 - (1.0 - confidence) / 2
    best = (-np.inf, 0.0, 1.0)
    for sign in (1.0, -1.0):
        pooled = np.unique(np.concatenate([sign * sel0, sign * sel1]))
        grid = (pooled[:-1] + pooled[1:]) / 2 if len(pooled) > 1 else pooled
        fp, fn = _errors(sign * sel0, sign * sel1, grid)
        rank = max(level, SELECTION_LEVEL)
        bounds = _epsilon(_cp(fp, len(sel0), rank), _cp(fn, len(sel1), rank), delta)
        # ties (all 0 when nothing shows) go to the best plug-in advantage TPR - FPR
        key = bounds + 1e-6 * (1 - fp / len(sel0) - fn / len(sel1))
        if key[i := int(np.argmax(key))] > best[0]:
            best = (float(key[i]), sign * float(grid[i]), sign)
    method = (f"test chosen on {len(sel0)} + {len(sel1)} trials (random split, seed {seed}"
              f"{'; Fisher discriminant of the score columns' if weights is not None else ''}),"
              f" evaluated on the other {len(ev0)} + {len(ev1)}; each rate's one-sided "
              f"Clopper-Pearson upper bound at {level:.4g} ({confidence:.0%} jointly)")
    return _result(ev0, ev1, best[1], best[2], level, delta, method, weights, common)


def _result(s0: np.ndarray, s1: np.ndarray, t: float, sign: float, level: float,
            delta: float, method: str, weights: np.ndarray | None,
            common: Mapping[str, Any]) -> AuditResult:
    """The AuditResult of the test "in when sign * s > sign * t" on evaluating scores."""
    fp, fn = (int(v[0]) for v in _errors(sign * s0, sign * s1, np.array([sign * t])))
    n0, n1 = len(s0), len(s1)
    fpr_u, fnr_u = float(_cp(fp, n0, level)), float(_cp(fn, n1, level))
    return AuditResult(
        epsilon_lower=float(_epsilon(fpr_u, fnr_u, delta)), threshold=float(t),
        direction="higher" if sign > 0 else "lower", fpr=fp / n0, fnr=fn / n1,
        fpr_upper=fpr_u, fnr_upper=fnr_u, n_eval_without=n0, n_eval_with=n1,
        epsilon_estimate=float(_epsilon(fp / n0, fn / n1, delta)),
        epsilon_upper=float(_epsilon(_cp(fp, n0, level, False), _cp(fn, n1, level, False),
                                     delta)),
        method=method, weights=None if weights is None else tuple(map(float, weights)),
        **common)


# ---- The trials ------------------------------------------------------------------------------
def _with_canary(table: pd.DataFrame, canary: Any) -> pd.DataFrame:
    """``table`` plus the canary row (a mapping, Series or one-row DataFrame)."""
    row = (canary if isinstance(canary, pd.DataFrame) else pd.DataFrame([dict(canary)])
           if isinstance(canary, (Mapping, pd.Series)) else None)
    if row is None or len(row) != 1 or set(row.columns) != set(table.columns):
        raise InvalidParameterError(
            f"The 'canary' parameter of audit must be one row (a mapping, Series or one-row "
            f"DataFrame) with exactly the table's columns {excerpt(list(table.columns))}. Got "
            f"{excerpt(canary)} instead.")
    try:
        return pd.concat([table, row[list(table.columns)].astype(table.dtypes.to_dict())],
                         ignore_index=True)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(f"The 'canary' parameter of audit has a value that does "
                                    f"not fit its column's type ({exc}).") from exc


def _score(train_and_score: Callable[[pd.DataFrame, int], Any], table: pd.DataFrame,
           seed: int) -> np.ndarray:
    value = train_and_score(table, seed)
    try:
        arr = np.atleast_1d(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        arr = np.array([np.nan])
    if isinstance(value, (bool, np.bool_)) or arr.ndim != 1 or not np.isfinite(arr).all():
        raise InvalidParameterError(f"audit: train_and_score must return a finite score or a "
                                    f"1-D array of them; it returned {excerpt(value)}.")
    return arr


def audit(train_and_score: Callable[[pd.DataFrame, int], Any], table: pd.DataFrame,
          canary: Mapping[str, Any] | pd.Series | pd.DataFrame, n_trials: int, delta: float,
          seed: int | np.random.SeedSequence | np.random.Generator | None, n_jobs: int = 1,
          *, confidence: float = 0.95, selection_share: float = 0.5) -> AuditResult:
    """Train a mechanism ``n_trials`` times on each neighbour and bound its ε from below.

    Parameters
    ----------
    train_and_score : callable ``(table, seed) -> float or 1-D array``
        Trains the mechanism on ``table`` (not to be modified) with the int ``seed``; returns
        the distinguisher's score(s) (larger: "the canary was in").
    table : pandas.DataFrame
        The neighbour without the canary; the other is ``table`` plus ``canary`` (a mapping,
        Series or one-row DataFrame with the table's columns).
    n_trials : int
        Trainings per neighbour (at least 10; hundreds for a useful bound).
    delta : float
        The mechanism's claimed δ.
    seed : int, SeedSequence, Generator or None
        Root of the trials' int seeds (``SeedSequence.spawn``: independent streams, no global
        state) and of the selection split.
    n_jobs : int, default 1
        Parallel trainings (joblib, -1: every core); ``train_and_score`` must then pickle.
    confidence, selection_share
        As in :func:`epsilon_lower_bound`.

    Examples
    --------
    A sum of values clipped to [0, 1] released with Gaussian noise calibrated to (1, 1e-5):

    >>> sigma = gaussian_sigma(1.0, 1e-5)
    >>> def release_sum(table, seed):
    ...     return table["x"].clip(0, 1).sum() + np.random.default_rng(seed).normal(0, sigma)
    >>> table = pd.DataFrame({"x": np.linspace(0, 1, 20)})
    >>> res = audit(release_sum, table, {"x": 1.0}, n_trials=300, delta=1e-5, seed=0)
    >>> bool(0 <= res.epsilon_lower <= 1.0)
    True
    """
    check_params("audit", {
        "train_and_score": [InstanceOf(cast(type, Callable),  # an ABC mypy reads as a form
                                       what="a callable (table, seed) -> score")],
        "table": [pd.DataFrame], "n_trials": [Interval(int, MIN_TRIALS, None)],
        "delta": [_FLOAT01], "seed": [SEED], "n_jobs": [Interval(int, 1, None),
                                                         Interval(int, -1, -1)]}, locals())
    with_canary = _with_canary(table, canary)
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**63))
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    seeds = [int(c.generate_state(1)[0]) for c in root.spawn(2 * n_trials + 1)]
    jobs = [(table if i < n_trials else with_canary, s) for i, s in enumerate(seeds[:-1])]
    if n_jobs == 1:
        scores = [_score(train_and_score, t, s) for t, s in jobs]
    else:
        scores = Parallel(n_jobs=n_jobs)(delayed(_score)(train_and_score, t, s) for t, s in jobs)
    if len({len(s) for s in scores}) != 1:
        raise InvalidParameterError("audit: train_and_score returned different numbers of "
                                    "scores on different trials.")
    return epsilon_lower_bound(np.array(scores[:n_trials]), np.array(scores[n_trials:]), delta,
                               confidence, selection_share=selection_share, seed=seeds[-1])


def gaussian_sigma(epsilon: float, delta: float, sensitivity: float = 1.0) -> float:
    """The least σ making N(0, σ²) noise on a query of L2 ``sensitivity`` (ε, δ)-DP: the
    exact calibration of Balle and Wang (2018, Theorem 8), a tight reference for an audit.

    Examples
    --------
    >>> round(gaussian_sigma(1.0, 1e-5), 3)
    3.731
    """
    positive = [Interval(float, 0, None, closed="neither")]
    check_params("gaussian_sigma", {"epsilon": positive, "delta": [_FLOAT01],
                                    "sensitivity": positive}, locals())

    def excess(sigma: float) -> float:  # δ(ε) of N(0, σ²) minus the target δ
        a, b = sensitivity / (2 * sigma), epsilon * sigma / sensitivity
        return float(stats.norm.cdf(a - b) - math.exp(epsilon) * stats.norm.cdf(-a - b) - delta)

    high = sensitivity
    while excess(high) > 0:
        high *= 2
    return float(optimize.brentq(excess, 1e-12 * sensitivity, high, xtol=1e-12))


# ---- The distinguisher of the differentially private ``causal`` synthesizer ------------------
def causal_canary(dag: DAG, table: pd.DataFrame, reach: float = 10.0) -> dict[str, Any]:
    """A canary row at a corner of the DAG's space, where its every statistic moves most.

    Labels take their rarest category in ``table``. Numeric roots sit at the top: at the
    declared ``range``'s end, else ``reach`` spans above the table's maximum (clipped to the
    private bounds, which it cannot move: a lone row falls under their noise floor). A
    continuous child sits at the end of its range *away* from a least-squares fit of it on
    its parents at the canary's parents, so it also pulls the child's regression most; a
    count child sits at the top.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> canary = causal_canary(dag, dag.simulate(200, seed=0))
    >>> canary["tv_spend"] > 1e6, canary["organic_clicks"] < 0
    (True, True)
    """
    canary: dict[str, Any] = {}
    for name in dag.nodes:
        node, col = dag.node(name), table[name]
        if not node.is_numeric:
            labels = ["0", "1"] if node.type == "binary" else list(node.categories or ())
            seen = col.astype(int).astype(str) if node.type == "binary" else col.astype(str)
            rare = min(labels, key=lambda c: int((seen == c).sum()))
            canary[name] = int(rare) if node.type == "binary" else rare
            continue
        lo, hi = node.range or (float(col.min()), float(col.max()))
        span = 0.0 if node.range else reach * (hi - lo)
        top, bottom = hi + span, lo - span
        if node.parents and node.type == "continuous":
            design = pd.get_dummies(pd.concat([table[list(node.parents)], pd.DataFrame(
                [{p: canary[p] for p in node.parents}])], ignore_index=True), dtype=float)
            x = np.column_stack([np.ones(len(design)), design.to_numpy(dtype=float)])
            coef = np.linalg.lstsq(x[:-1], col.to_numpy(dtype=float), rcond=None)[0]
            top = bottom if x[-1] @ coef > (lo + hi) / 2 else top
        canary[name] = float(top)
    return canary


def causal_canary_score(synth: Any, canary: Mapping[str, Any], reference: pd.DataFrame,
                        n_samples: int = 20_000, seed: int = 0) -> np.ndarray:
    """How strongly a fitted ``causal`` synthesizer echoes ``canary``: one score per node.

    From ``synth.sample`` (interventions included) and the released bounds ``synth.ranges_``
    (else the sampled range). A numeric root: its share of samples in the 1/64 of its range
    at the canary's end (the private histogram's bin holding the clipped canary) minus the
    share of ``reference`` (the canary-free table, known to the auditor) there, in reference
    rows within ±10 (which removes the swing of the private bounds); a label root: the same
    for the canary's label. A child under ``do(parents = the canary's)``: its mean in units of
    its range, or share of the canary's label, i.e. the released regression at the canary's
    corner, which the canary pulls towards itself. :func:`epsilon_lower_bound` combines them.
    """
    dag, streams = synth.dag_, np.random.SeedSequence(seed).spawn(len(synth.dag_.nodes) + 1)
    base = synth.sample(n_samples, seed=np.random.default_rng(streams[-1]))
    ranges = getattr(synth, "ranges_", None) or {}
    out = []
    for name, stream in zip(dag.nodes, streams[:-1], strict=True):
        node, ref = dag.node(name), reference[name]
        frame = base if not node.parents else synth.sample(
            n_samples, seed=np.random.default_rng(stream),
            interventions={p: canary[p] for p in node.parents})
        if not node.is_numeric:
            out.append(_label_share(frame[name], node.type, canary[name])
                       - (0.0 if node.parents else _label_share(ref, node.type, canary[name])))
            continue
        x = frame[name].to_numpy(dtype=float)
        lo, hi = ranges.get(name) or (float(base[name].min()), float(base[name].max()))
        if node.parents:
            out.append(float(np.mean((x - lo) / max(hi - lo, 1e-300))))
            continue
        top = float(canary[name]) >= (lo + hi) / 2
        gap = _share_near(x, lo, hi, top) - _share_near(ref.to_numpy(float), lo, hi, top)
        out.append(float(np.clip(gap * len(ref), -10.0, 10.0)))
    return np.array(out)


def _label_share(values: pd.Series, kind: str, label: Any) -> float:
    if kind == "binary":
        return float((values.astype(int) == int(label)).mean())
    return float((values.astype(str) == str(label)).mean())


def _share_near(values: np.ndarray, lo: float, hi: float, top: bool) -> float:
    """The share of non-zero ``values`` (clipped to [lo, hi]) in its top (or bottom) 1/64."""
    v = np.clip(values[values != 0], lo, hi)
    near = v >= hi - (hi - lo) / 64 if top else v <= lo + (hi - lo) / 64
    return float(near.mean()) if len(v) else 0.0


@dataclass(frozen=True)
class CausalCanaryAttack:
    """``train_and_score`` for :func:`audit`: fit ``make_synthesizer("causal",
    random_state=seed, **params)`` on the table and return :func:`causal_canary_score`
    against ``reference`` (the canary-free table: never the trial's own table, whose length
    alone would give the canary away). Picklable, so trials may run in parallel."""

    dag: DAG
    canary: Mapping[str, Any]
    reference: pd.DataFrame
    params: Mapping[str, Any]
    n_samples: int = 20_000

    def __call__(self, table: pd.DataFrame, seed: int) -> np.ndarray:
        from causalsynth.synthesizers import make_synthesizer

        synth = make_synthesizer("causal", random_state=seed, **self.params).fit(table, self.dag)
        return causal_canary_score(synth, self.canary, self.reference, self.n_samples, seed)
