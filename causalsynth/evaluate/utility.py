"""Utility: can the synthetic table stand in for the real one in the analyses people run?

- ``tstr_<node>``: train on synthetic, test on real (TSTR) against train on real, test on real
  (TRTR), with a random forest: regression for the DAG's outcome (R²), classification for every
  binary node (ROC AUC). ``value`` is TSTR, ``reference`` is TRTR.
- ``segmentation_ari``: k-means fitted on synthetic and on real, both labelling the same real
  rows the synthesizer did not see; adjusted Rand index between the two segmentations
  (the user-profiling use). The reference fits k-means on other holdout rows instead.

Test rows are the holdout when one is given. Without a holdout, TSTR/TRTR are scored on a 25 %
split of ``real``; the synthesizer saw those rows, so TSTR is optimistic, which ``details``
say.

References
----------
Esteban, C., Hyland, S. L., Rätsch, G. (2017). Real-valued (medical) time series generation
with recurrent conditional GANs. arXiv:1706.02633 (TSTR).
Hubert, L., Arabie, P. (1985). Comparing partitions. Journal of Classification 2, 193-218.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import (
    accuracy_score,
    adjusted_rand_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)
from threadpoolctl import threadpool_limits

from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG
from causalsynth.evaluate._shared import Tables, evaluate, prepare
from causalsynth.evaluate.metric import MetricResult, MetricSpec, measures

__all__ = ["METRICS", "evaluate_utility", "segmentation_ari", "tstr", "utility_targets"]

MAX_TRAIN_ROWS = 10_000  # rows each forest is trained on (subsampled beyond)
MAX_TEST_ROWS = 20_000
N_ESTIMATORS = 50
N_CLUSTERS = 3
SPLIT_SHARE = 0.25

TSTR = MetricSpec("tstr", "Train synthetic, test real: {target}",
                  "utility of the synthetic table for predicting this node", "higher",
                  "train on real, test on real (TRTR), same model and test rows",
                  per_target=True)
SEGMENTATION_ARI = MetricSpec("segmentation_ari", "Segmentation agreement (ARI)",
                              "k-means on synthetic vs on real", "higher",
                              "k-means fitted on half of the holdout in the synthetic table's "
                              "place")


def utility_targets(dag: DAG) -> list[str]:
    """The outcome (regression or classification) and every binary node (classification)."""
    targets = [dag.outcome] if any(dag.node(n).role == "outcome" for n in dag.nodes) else []
    return targets + [n for n in dag.nodes if dag.node_type(n) == "binary" and n not in targets]


def _features(frame: pd.DataFrame, dag: DAG, target: str) -> np.ndarray:
    parts = []
    for c in dag.nodes:
        if c == target:
            continue
        if dag.node_type(c) == "categorical":
            parts.append(pd.get_dummies(frame[c], dtype=float).to_numpy())  # declared categories
        else:
            parts.append(frame[c].to_numpy(dtype=float)[:, None])
    return np.hstack(parts) if parts else np.zeros((len(frame), 1))


def _cap(rows: pd.DataFrame | np.ndarray, n: int, rng: np.random.Generator):
    """At most ``n`` of the rows (a frame or an index array), drawn without replacement, in
    their order."""
    if len(rows) <= n:
        return rows
    keep = np.sort(rng.choice(len(rows), n, replace=False))
    return rows.iloc[keep] if isinstance(rows, pd.DataFrame) else rows[keep]


def _split(real: pd.DataFrame, holdout: pd.DataFrame | None, rng: np.random.Generator):
    if holdout is not None:
        return real, holdout, "holdout (real rows the synthesizer did not see)"
    perm = rng.permutation(len(real))
    n_test = max(1, round(SPLIT_SHARE * len(real)))
    note = (f"no holdout: a random {SPLIT_SHARE:.0%} split of real; the synthesizer saw these "
            f"rows, so TSTR is optimistic (pass holdout= for an honest figure)")
    return real.iloc[np.sort(perm[n_test:])], real.iloc[np.sort(perm[:n_test])], note


def _score_regression(model, x_test, y_test) -> dict[str, float]:
    pred = model.predict(x_test)
    return {"r2": float(r2_score(y_test, pred)), "mae": float(mean_absolute_error(y_test, pred))}


def _score_classifier(model, x_test, y_test) -> dict[str, float]:
    classes = list(model.classes_)
    proba = model.predict_proba(x_test)[:, classes.index(1)] if 1 in classes else \
        np.zeros(len(y_test))
    pred = model.predict(x_test)
    auc = float(roc_auc_score(y_test, proba)) if len(np.unique(y_test)) == 2 else float("nan")
    return {"roc_auc": auc, "accuracy": float(accuracy_score(y_test, pred)),
            "f1": float(f1_score(y_test, pred, zero_division=0))}


def _fit_score(train: pd.DataFrame, test: pd.DataFrame, dag: DAG, target: str,
               classify: bool, seed: int) -> dict[str, float]:
    y = train[target].to_numpy()
    if classify and len(np.unique(y)) < 2:
        raise ValueError(f"the training table has a single class in {target!r}; "
                         f"a classifier cannot be trained")
    cls = RandomForestClassifier if classify else RandomForestRegressor
    model = cls(n_estimators=N_ESTIMATORS, min_samples_leaf=3, n_jobs=1, random_state=seed)
    model.fit(_features(train, dag, target), y)
    x_test, y_test = _features(test, dag, target), test[target].to_numpy()
    return (_score_classifier if classify else _score_regression)(model, x_test, y_test)


@measures(TSTR)
def tstr(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
         dag: DAG | None = None, rng=None,
         holdout: pd.DataFrame | None = None) -> list[MetricResult]:
    """Train on synthetic, test on real, against train on real, test on real; one per target.

    Targets: the DAG outcome (random-forest regression, R², unless it is binary) and each binary
    node (random-forest classification, ROC AUC). Features: all other columns (categoricals
    one-hot). Forests: 50 trees, ``min_samples_leaf=3``, trained on at most 10,000 rows; at
    most 20,000 test rows. ``value`` = TSTR score, ``reference`` = TRTR score (higher is
    better); ``details["ratio"]`` = TSTR / TRTR.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> res = tstr(dag.simulate(400, seed=1), dag.simulate(400, seed=2), dag, 0,
    ...            holdout=dag.simulate(400, seed=3))
    >>> res[0].name, res[0].value > 0.9
    ('tstr_revenue', True)
    """
    rng = as_generator(rng)
    t = prepare(real, synthetic, dag, holdout)
    dag = t.dag
    train_real, test, note = _split(t.real, t.holdout, rng)
    test = _cap(test, MAX_TEST_ROWS, rng)
    train_real = _cap(train_real, MAX_TRAIN_ROWS, rng)
    train_syn = _cap(t.synthetic, MAX_TRAIN_ROWS, rng)
    out = []
    for target in utility_targets(dag):
        classify = dag.node_type(target) == "binary"
        score_name = "roc_auc" if classify else "r2"
        seed = child_seed(rng)
        details: dict[str, Any] = {
            "task": "classification" if classify else "regression", "score": score_name,
            "test_set": note, "n_test": len(test), "n_train_real": len(train_real),
            "n_train_synthetic": len(train_syn), "model": "RandomForest",
            "n_estimators": N_ESTIMATORS}
        rows = []
        trtr = _fit_score(train_real, test, dag, target, classify, seed)
        rows.append({"train_on": "real (TRTR)", **trtr})
        try:
            syn_scores = _fit_score(train_syn, test, dag, target, classify, seed)
        except ValueError as exc:
            out.append(TSTR.result(None, trtr[score_name], pd.DataFrame(rows), details,
                                   error=str(exc), target=target))
            continue
        rows.insert(0, {"train_on": "synthetic (TSTR)", **syn_scores})
        value, ref = syn_scores[score_name], trtr[score_name]
        details["ratio"] = value / ref if ref else None
        out.append(TSTR.result(value, ref, pd.DataFrame(rows), details, target=target))
    return out


def _kmeans_labels(fit_rows: np.ndarray, eval_rows: np.ndarray, k: int, seed: int) -> np.ndarray:
    # one OpenMP thread: on a shared 2-core machine KMeans' default threading is ~30x slower
    with threadpool_limits(1):
        model = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(fit_rows)
        return model.predict(eval_rows)


@measures(SEGMENTATION_ARI)
def segmentation_ari(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                     dag: DAG | None = None, rng=None, holdout: pd.DataFrame | None = None,
                     n_clusters: int = N_CLUSTERS, max_rows: int = 20_000) -> MetricResult:
    """Do segments learnt on synthetic rows match segments learnt on real rows?

    Rows are encoded with numeric columns robust-scaled (median, IQR of real) and labels
    one-hot. K-means (``n_clusters``) is fitted on real and on synthetic; both label the same
    evaluation rows: half of the holdout (the other half is fitted as the reference, an
    independent real sample in the synthetic table's place). Without a holdout, real is split
    in halves (fit on one, label the other) and there is no reference. ``value`` is the
    adjusted Rand index between the two labelings (1 = same segments, 0 = chance).

    References
    ----------
    Hubert & Arabie (1985), Comparing partitions. J. Classification 2.
    """
    rng = as_generator(rng)
    t = prepare(real, synthetic, dag, holdout)
    seed = child_seed(rng)
    details: dict[str, Any] = {"n_clusters": n_clusters, "algorithm": "KMeans(n_init=4)",
                               "encoding": "robust-scaled numeric + one-hot labels"}
    # rows are index arrays into the shared encodings (t.encoded)
    if t.holdout is not None:
        perm = rng.permutation(len(t.holdout))
        half = len(perm) // 2
        x_ref = t.encoded("holdout")[_cap(np.sort(perm[:half]), max_rows, rng)]
        evaluated, eval_rows = "holdout", np.sort(perm[half:])
        real_fit = np.arange(len(t.real))
        details["evaluated_on"] = "half of the holdout; the other half fitted as reference"
    else:
        perm = rng.permutation(len(t.real))
        half = len(perm) // 2
        real_fit = np.sort(perm[:half])
        evaluated, eval_rows, x_ref = "real", np.sort(perm[half:]), None
        details["evaluated_on"] = ("half of real (no holdout: the synthesizer saw these rows); "
                                   "no reference")
    eval_rows = _cap(eval_rows, max_rows, rng)
    x_eval = t.encoded(evaluated)[eval_rows]
    lab_real = _kmeans_labels(t.encoded("real")[_cap(real_fit, max_rows, rng)], x_eval,
                              n_clusters, seed)
    syn_fit = _cap(np.arange(len(t.synthetic)), max_rows, rng)
    lab_syn = _kmeans_labels(t.encoded("synthetic")[syn_fit], x_eval, n_clusters, seed)
    value = float(adjusted_rand_score(lab_real, lab_syn))
    rows = [{"fitted_on": "synthetic", "ari_vs_real_fit": value}]
    reference = None
    if x_ref is not None:
        lab_ref = _kmeans_labels(x_ref, x_eval, n_clusters, seed)
        reference = float(adjusted_rand_score(lab_real, lab_ref))
        rows.append({"fitted_on": "holdout half", "ari_vs_real_fit": reference})
    details["n_evaluated"] = len(eval_rows)
    return SEGMENTATION_ARI.result(value, reference, pd.DataFrame(rows), details)


METRICS = [tstr, segmentation_ari]


def evaluate_utility(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                     dag: DAG | None = None, holdout: pd.DataFrame | None = None,
                     seed=None) -> dict[str, MetricResult]:
    """Every utility metric (``tstr_<node>`` per target, ``segmentation_ari``).

    ``real`` may instead be the tables prepared once by ``validate`` (then give nothing else
    but the seed); see :func:`causalsynth.evaluate.fidelity.evaluate_fidelity`.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("ad_funnel")
    >>> res = evaluate_utility(dag.simulate(600, seed=1), dag.simulate(600, seed=2), dag,
    ...                        holdout=dag.simulate(600, seed=3), seed=0)
    >>> sorted(res)
    ['segmentation_ari', 'tstr_click', 'tstr_conversion', 'tstr_exposure', 'tstr_revenue']
    """
    return evaluate(METRICS, real, synthetic, dag, holdout, seed)
