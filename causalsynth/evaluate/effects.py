"""Treatment effects by double machine learning (EconML), adjusting for a backdoor set of the DAG.

The GCM side of the effects (intervening on the fitted model) lives in ``gcm.py``; this module
gives the second, model-light estimate: ``econml.dml.LinearDML`` with the treatment's parents
as controls ``W``. With no hidden confounding, a node's parents block every backdoor path
(Pearl 2009, Thm 3.3.2), and ``backdoor_set`` checks it by d-separation in the backdoor graph.
On a time DAG the controls also hold the DAG's time features (trend, Fourier terms of the
period, holidays: :func:`causalsynth.evaluate.time_units.time_basis`), the common causes of
spend and revenue that ``check_dag``, ``fit_mmm`` and the fitted causal model condition on,
and the time block's declared event nodes (``fit_mmm``'s controls too).

References
----------
Chernozhukov et al. "Double/debiased machine learning for treatment and structural
parameters." The Econometrics Journal 21(1), 2018.
"""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG
from causalsynth.errors import DAGError
from causalsynth.evaluate.resample import Resampler, iid_indices
from causalsynth.evaluate.time_units import time_basis

__all__ = ["backdoor_set", "dml_effects"]


def backdoor_set(dag: DAG, treatment: str, outcome: str) -> list[str]:
    """The treatment's parents, verified to d-separate it from the outcome in the backdoor graph."""
    graph = dag.to_networkx()
    graph.remove_edges_from(list(graph.out_edges(treatment)))
    parents = dag.parents(treatment)
    if not nx.is_d_separator(graph, {treatment}, {outcome}, set(parents)):
        raise DAGError(f"the parents of {treatment!r} do not block every backdoor path to "
                       f"{outcome!r}; the DAG is inconsistent")  # cannot happen in a DAG
    return parents


def _controls(dag: DAG, treatment: str, outcome: str) -> list[str]:
    """The backdoor set, and the time block's declared event nodes (promotions, launches:
    controls of every estimator, as in ``fit_mmm``) that the treatment does not cause."""
    controls = backdoor_set(dag, treatment, outcome)
    after = {treatment, *nx.descendants(dag.to_networkx(), treatment)}
    events = dag.time.events if dag.time is not None else ()
    return [*controls, *(e for e in events if e not in controls and e not in after)]


def _design(data: pd.DataFrame, dag: DAG, columns: list[str]) -> np.ndarray | None:
    if not columns:
        return None
    parts = []
    for c in columns:
        if dag.node_type(c) == "categorical":
            parts.append(pd.get_dummies(data[c].astype(str), drop_first=True).to_numpy(float))
        else:
            parts.append(data[c].to_numpy(float).reshape(-1, 1))
    return np.hstack(parts)


def _ols_bootstrap_sd(y: np.ndarray, t: np.ndarray, w: np.ndarray | None, n_bootstrap: int,
                      size: int, rng: np.random.Generator, resample: Resampler = iid_indices
                      ) -> tuple[float, float]:
    """Bootstrap sds of the slope of ``t`` in the least-squares fit of ``y`` on (1, t, w) (the
    estimand of DML with linear nuisances) and of the +10% effect, slope * 0.1 * mean(t),
    resampled ``size`` rows at a time."""
    x = np.column_stack([np.ones(len(t)), t, *([] if w is None else [w])])
    slopes, shifts = [], []
    for _ in range(n_bootstrap):
        idx = resample(len(y), size, rng)
        coef, *_ = np.linalg.lstsq(x[idx], y[idx], rcond=None)
        slopes.append(coef[1])
        shifts.append(coef[1] * 0.1 * t[idx].mean())
    return float(np.std(slopes, ddof=1)), float(np.std(shifts, ddof=1))


def dml_effects(data: pd.DataFrame, dag: DAG, target: str, seed=None, flexible: bool = False,
                n_bootstrap: int = 0,
                resample: Resampler = iid_indices, periods: int | None = None) -> list[dict]:
    """Per treatment: effect per unit and for +10%, with 95% intervals, by LinearDML.

    ``flexible`` picks gradient boosting for the nuisance models (else linear/logistic).
    Each table's interval is that of its own size (a larger synthetic table is measured more
    precisely; the verdict's differences carry the real table's noise). ``n_bootstrap`` > 0
    (small tables):
    the interval is at least as wide as the bootstrap of the same linear estimand gives —
    on a few hundred rows with heavy-tailed spend, a few high-leverage weeks make DML's
    asymptotic interval far too narrow. ``resample`` draws the bootstrap rows (moving blocks
    for a time-indexed table, whose rows are not independent). ``periods``: rows per series
    of a geo panel (rows in period order; the time features restart in each series).
    """
    from econml.dml import LinearDML

    rng = as_generator(seed)
    rows = []
    ancestors = set(dag.ancestors(target))
    y = data[target].to_numpy(float)
    time = time_basis(data, dag, periods)
    for t in dag.treatments:
        node = dag.node(t)
        if t not in ancestors or node.type == "categorical":
            continue
        w = _design(data, dag, _controls(dag, t, target))
        if time is not None and time.shape[1]:
            w = time if w is None else np.hstack([w, time])
        binary = node.type == "binary"
        reg = (HistGradientBoostingRegressor(max_iter=100, random_state=child_seed(rng))
               if flexible else LinearRegression())
        clf = (HistGradientBoostingClassifier(max_iter=100, random_state=child_seed(rng))
               if flexible else LogisticRegression(max_iter=1000))
        # linear nuisances need no cross-fitting (cv=1 is least squares exactly); its random
        # folds only add noise, which on a few hundred rows dominates the estimate
        est = LinearDML(model_y=reg, model_t=clf if binary else reg, discrete_treatment=binary,
                        cv=3 if flexible else 1, random_state=child_seed(rng))
        tr = data[t].to_numpy(int if binary else float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(y, tr, X=None, W=w)
            theta = float(est.ate(T0=0, T1=1))
            lo, hi = (float(v) for v in est.ate_interval(T0=0, T1=1, alpha=0.05))
        sd_shift = 0.0
        if n_bootstrap > 1:
            sd_slope, sd_shift = _ols_bootstrap_sd(y, tr.astype(float), w, n_bootstrap, len(data),
                                                   rng, resample)
            lo, hi = min(lo, theta - 1.96 * sd_slope), max(hi, theta + 1.96 * sd_slope)
        # small-sample degrees of freedom for the interval's standard error
        df = max(len(data) - (0 if w is None else w.shape[1]) - 2, 1)
        rows.append({"treatment": t, "kind": "per_unit", "estimate": theta, "low": lo, "high": hi,
                     "df": df})
        if not binary:  # constant slope: a 10% rise adds 0.1 * mean(T) units
            scale = 0.1 * float(np.mean(tr))
            shift = theta * scale
            s_lo, s_hi = min(lo * scale, hi * scale), max(lo * scale, hi * scale)
            s_lo, s_hi = min(s_lo, shift - 1.96 * sd_shift), max(s_hi, shift + 1.96 * sd_shift)
            rows.append({"treatment": t, "kind": "shift_10pct", "estimate": shift,
                         "low": s_lo, "high": s_hi, "df": df})
    return rows
