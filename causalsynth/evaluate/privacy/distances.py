"""Privacy by distances and copies: DCR, nearest-neighbour distance ratio, exact copies,
verbatim values, a distance membership-inference attack and SDMetrics' two DCR scores.

Distances: numeric columns robust-scaled (median and IQR of real), labels one-hot with each
indicator times 1/sqrt(2) (one mismatching label = one IQR), Euclidean; exact nearest neighbours
on distinct rows (see :func:`causalsynth.evaluate._shared.nearest_distinct`: rows are
grouped by hashing and the tree holds each distinct row at most k times, so label-heavy
logs stay fast), computed once per evaluation and shared by the metrics
(:class:`causalsynth.evaluate._shared.Tables`).

References
----------
Hanley, J. A., McNeil, B. J. (1982). The meaning and use of the area under a ROC curve.
Radiology 143, 29-36.
Shokri, R., Stronati, M., Song, C., Shmatikov, V. (2017). Membership inference attacks against
machine learning models. IEEE Symposium on Security and Privacy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG
from causalsynth.data import sdmetrics_metadata
from causalsynth.evaluate._sdmetrics import seeded_breakdown, subsample
from causalsynth.evaluate._shared import Tables, nearest_distinct, prepare
from causalsynth.evaluate._tabular import repeat_share
from causalsynth.evaluate.metric import MetricResult, MetricSpec, measures
from causalsynth.evaluate.privacy._common import (
    CONFIDENCE,
    MIN_REFERENCE_ROWS,
    NEEDS_HOLDOUT,
    no_holdout,
    split_holdout,
)

__all__ = [
    "dcr_share_closer_to_train",
    "exact_copies",
    "membership_inference_auc",
    "nndr",
    "sdmetrics_dcr_baseline_protection",
    "sdmetrics_dcr_overfitting_protection",
    "verbatim_value_rate",
]

SDMETRICS_ROWS = 500  # rows per table for SDMetrics' quadratic DCR metrics
#: rows x columns per table at most for SDMetrics' DCR metrics: their cross join copies the
#: (rows^2 x 2 columns) frame once per column, so a table wider than 20 columns gets fewer rows
#: (200 columns: 50 rows), and the result says so
SDMETRICS_CELLS = 10_000


def _sdmetrics_rows(n_rows: int, n_columns: int) -> tuple[int, str | None]:
    """Rows per table for SDMetrics' DCR metrics, and the cap's sentence when one applies."""
    rows = min(n_rows, max(SDMETRICS_CELLS // max(n_columns, 1), 2))
    if rows >= n_rows:
        return n_rows, None
    return rows, (f"{rows} rows per table instead of {n_rows} for {n_columns} columns "
                  f"(SDMetrics' DCR builds a rows x rows x columns cross join; at most "
                  f"{SDMETRICS_CELLS:,} cells per table)")

DCR_SHARE_CLOSER_TO_TRAIN = MetricSpec(
    "dcr_share_closer_to_train", "DCR: share closer to training",
    "synthetic rows nearer to training than holdout rows are", "lower",
    "holdout rows measured the same way (0.5)")
NNDR = MetricSpec("nndr", "Nearest-neighbour distance ratio", "low values mean near-copies",
                  "higher", "the median ratio of holdout rows")
EXACT_COPIES = MetricSpec(
    "exact_copies", "Exact copies", "synthetic rows identical to a training row", "lower",
    "the count expected of a table of the synthetic size drawn like the holdout")
VERBATIM_VALUE_RATE = MetricSpec(
    "verbatim_value_rate", "Verbatim-value rate", "synthetic values copied from training",
    "lower", "the holdout's highest rate over the same columns")
MEMBERSHIP_INFERENCE_AUC = MetricSpec(
    "membership_inference_auc", "Membership-inference AUC", "0.5 = an attacker learns nothing",
    "lower", "the same attack with half of the holdout in the synthetic table's place")
SDMETRICS_DCR_BASELINE_PROTECTION = MetricSpec(
    "sdmetrics_dcr_baseline_protection", "DCR baseline protection (SDMetrics)",
    "biased on continuous data; compare to reference", "higher",
    "the holdout in the synthetic table's place")
SDMETRICS_DCR_OVERFITTING_PROTECTION = MetricSpec(
    "sdmetrics_dcr_overfitting_protection", "DCR overfitting protection (SDMetrics)",
    "compare to the reference", "higher",
    "half of the holdout in the synthetic table's place, the other half as validation rows")


def _closer_prob(a: np.ndarray, b: np.ndarray) -> float:
    """P(A < B) + 0.5 P(A = B) for A drawn from ``a`` and B from ``b`` (a Mann-Whitney AUC)."""
    b = np.sort(b)
    below = np.searchsorted(b, a, side="left")  # b values < a
    ties = np.searchsorted(b, a, side="right") - below
    return float(np.mean((len(b) - below - ties) + 0.5 * ties) / len(b))


def _quantiles(**dists: np.ndarray) -> pd.DataFrame:
    qs = [0.0, 0.01, 0.05, 0.25, 0.5, 0.75]
    return pd.DataFrame({"quantile": qs, **{k: np.quantile(v, qs) for k, v in dists.items()}})


@measures(DCR_SHARE_CLOSER_TO_TRAIN)
def dcr_share_closer_to_train(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                              dag: DAG | None = None, rng=None,
                              holdout: pd.DataFrame | None = None) -> MetricResult:
    """How often a synthetic row is closer to the training rows than a holdout row is.

    DCR = distance to the closest training row. ``value`` = P(DCR_synthetic < DCR_holdout)
    + 0.5 P(tie), over synthetic rows and holdout rows: 0.5 means synthetic rows sit as far
    from the training rows as unseen real rows do; 1 means every synthetic row is on a training
    row. ``reference`` is the holdout measured the same way (0.5). ``details`` also give the
    share of synthetic rows whose DCR is below the holdout's median DCR (ties count half).
    Lower is better.
    """
    t = prepare(real, synthetic, dag, holdout)
    if t.holdout is None:
        return no_holdout(DCR_SHARE_CLOSER_TO_TRAIN)
    d_syn = t.nearest("synthetic", "real", 2)[:, 0]
    d_hold = t.nearest("holdout", "real", 2)[:, 0]
    median = float(np.median(d_hold))
    share_below_median = float(np.mean(d_syn < median) + 0.5 * np.mean(d_syn == median))
    details = {"holdout_median_dcr": median, "synthetic_median_dcr": float(np.median(d_syn)),
               "share_below_holdout_median": share_below_median,
               "share_synthetic_dcr_zero": float(np.mean(d_syn == 0)),
               "share_holdout_dcr_zero": float(np.mean(d_hold == 0)),
               "distance": "euclidean; numeric robust-scaled, labels one-hot / sqrt(2)"}
    return DCR_SHARE_CLOSER_TO_TRAIN.result(
        _closer_prob(d_syn, d_hold), _closer_prob(d_hold, d_hold),
        _quantiles(synthetic=d_syn, holdout=d_hold), details)


def _ratio(d: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        r = d[:, 0] / d[:, 1]
    return np.where(d[:, 1] == 0, 1.0, r)  # two tied exact matches: no single record stands out


def _values(col: pd.Series) -> np.ndarray:
    """A column's values to look up verbatim: categories as their labels."""
    return col.astype(object).to_numpy() if isinstance(col.dtype, pd.CategoricalDtype) \
        else col.to_numpy()


def _found_in(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Which ``values`` occur in ``reference``: a hash look-up, O(n + m).

    (``np.isin`` compares every pair when the arrays hold objects, as label columns do:
    quadratic, 43 s for 20,000 x 20,000 rows of ad logs.)
    """
    return pd.Series(values).isin(pd.unique(reference)).to_numpy(dtype=bool)


@measures(NNDR)
def nndr(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
         dag: DAG | None = None, rng=None, holdout: pd.DataFrame | None = None) -> MetricResult:
    """Nearest-neighbour distance ratio: closest over second-closest training row.

    Near 0, a synthetic row points at one training record; near 1, it is equally far from
    several. ``value`` is the median over synthetic rows (higher is better), ``reference`` the
    median for holdout rows. When both neighbours are at distance 0 the ratio is 1.
    """
    t = prepare(real, synthetic, dag, holdout)
    r_syn = _ratio(t.nearest("synthetic", "real", 2))
    details: dict[str, Any] = {"share_below_0_5": float(np.mean(r_syn < 0.5))}
    dists = {"synthetic": r_syn}
    reference = None
    if t.holdout is not None:
        r_hold = _ratio(t.nearest("holdout", "real", 2))
        reference = float(np.median(r_hold))
        details["reference_share_below_0_5"] = float(np.mean(r_hold < 0.5))
        dists["holdout"] = r_hold
    else:
        details["reference_note"] = NEEDS_HOLDOUT
    return NNDR.result(float(np.median(r_syn)), reference, _quantiles(**dists), details)


@measures(EXACT_COPIES)
def exact_copies(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                 dag: DAG | None = None, rng=None,
                 holdout: pd.DataFrame | None = None) -> MetricResult:
    """Synthetic rows identical to some training row in every column (a count; lower is better).

    ``reference`` is the count expected for a table of the synthetic table's size drawn like
    the holdout (the holdout's share of exact copies times the synthetic row count): tables of
    labels repeat rows by nature.
    """
    t = prepare(real, synthetic, dag, holdout)
    train = t.hashes("real")
    syn_copy = np.isin(t.hashes("synthetic"), train)
    n_syn = len(syn_copy)
    details: dict[str, Any] = {"share": float(syn_copy.mean()), "n_synthetic": n_syn,
                               # chance repeats: training rows equal to another training row
                               "training_repeat_share": repeat_share(train),
                               "n_training": len(train),
                               "n_distinct_copied": int(np.unique(
                                   t.hashes("synthetic")[syn_copy]).size)}
    rows = [{"table": "synthetic", "copies": int(syn_copy.sum()), "rows": n_syn,
             "share": float(syn_copy.mean())}]
    reference = None
    if t.holdout is not None:
        hold_copy = np.isin(t.hashes("holdout"), train)
        reference = float(hold_copy.mean() * n_syn)
        details["holdout_share"] = float(hold_copy.mean())
        rows.append({"table": "holdout", "copies": int(hold_copy.sum()), "rows": len(hold_copy),
                     "share": float(hold_copy.mean())})
    else:
        details["reference_note"] = NEEDS_HOLDOUT
    return EXACT_COPIES.result(float(syn_copy.sum()), reference, pd.DataFrame(rows), details)


@measures(VERBATIM_VALUE_RATE)
def verbatim_value_rate(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                        dag: DAG | None = None, rng=None,
                        holdout: pd.DataFrame | None = None) -> MetricResult:
    """Per column, the share of synthetic values that occur verbatim in the training column.

    Row distances miss a synthesizer that copies real values column by column (DoWhy's
    ``draw_samples`` with empirical root distributions copies most root values). ``value`` is
    the highest rate over continuous columns (count columns when there are none), ``reference``
    the holdout's highest rate over the same columns; labels (categorical, binary) are listed in
    the breakdown but always repeat. Lower is better.
    """
    t = prepare(real, synthetic, dag, holdout)
    dag = t.dag
    rows = []
    for c in dag.nodes:
        train_values = pd.unique(_values(t.real[c]))
        row: dict[str, Any] = {"column": c, "type": dag.node_type(c)}
        for name in ("synthetic", "holdout"):
            table = t[name]
            row[f"{name}_rate"] = None if table is None else float(
                _found_in(_values(table[c]), train_values).mean())
        rows.append(row)
    table = pd.DataFrame(rows)
    scored = [c for c in dag.nodes if dag.node_type(c) == "continuous"] or \
        [c for c in dag.nodes if dag.node_type(c) == "count"]
    details: dict[str, Any] = {"scored_columns": scored}
    if not scored:
        return VERBATIM_VALUE_RATE.result(None, None, table, {
            **details, "note": "no continuous or count columns to score"})
    sel = table.set_index("column").loc[scored]
    value = float(sel["synthetic_rate"].max())
    details["worst_column"] = str(sel["synthetic_rate"].idxmax())
    reference = None
    if t.holdout is not None:
        reference = float(sel["holdout_rate"].max())
        table["excess"] = table["synthetic_rate"] - table["holdout_rate"]
    else:
        details["reference_note"] = NEEDS_HOLDOUT
    return VERBATIM_VALUE_RATE.result(value, reference, table, details)


def _auc_ci(auc: float, n_pos: int, n_neg: int, conf: float = CONFIDENCE) -> list[float]:
    # Hanley & McNeil (1982) standard error of an AUC
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
        n_pos * n_neg)
    half = norm.ppf(0.5 * (1 + conf)) * math.sqrt(max(var, 0.0))
    return [max(0.0, auc - half), min(1.0, auc + half)]


@measures(MEMBERSHIP_INFERENCE_AUC)
def membership_inference_auc(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                             dag: DAG | None = None, rng=None,
                             holdout: pd.DataFrame | None = None) -> MetricResult:
    """A distance attack: are training rows closer to the synthetic table than holdout rows?

    Each training and holdout row is scored by minus its distance to the closest synthetic row;
    ``value`` is the ROC AUC of that score for "was a training row" (ties count half).
    0.5 = no leak; 1 = every training row recognised. ``reference``: the same attack with half
    of the holdout in the synthetic table's place and the other half as non-members.
    Interval: Hanley-McNeil. Lower is better (down to 0.5).

    References
    ----------
    Hanley & McNeil (1982); Shokri et al. (2017), Membership inference attacks against machine
    learning models, IEEE S&P.
    """
    t = prepare(real, synthetic, dag, holdout)
    if t.holdout is None:
        return no_holdout(MEMBERSHIP_INFERENCE_AUC)
    rng = as_generator(rng)
    d_train = t.nearest("real", "synthetic", 1)[:, 0]
    d_hold = t.nearest("holdout", "synthetic", 1)[:, 0]
    auc = _closer_prob(d_train, d_hold)
    details: dict[str, Any] = {"auc_ci": _auc_ci(auc, len(d_train), len(d_hold)),
                               "n_members": len(d_train), "n_non_members": len(d_hold),
                               "advantage": 2 * auc - 1}
    rows = [{"attack_on": "synthetic", "auc": auc, "ci_low": details["auc_ci"][0],
             "ci_high": details["auc_ci"][1]}]
    reference = None
    split = split_holdout(len(d_hold), rng)
    if split is not None:
        xa, xb = t.encoded("holdout")[split[0]], t.encoded("holdout")[split[1]]
        ref_train = nearest_distinct(t.encoded("real"), xa, k=1)[:, 0]
        ref_hold = nearest_distinct(xb, xa, k=1)[:, 0]
        reference = _closer_prob(ref_train, ref_hold)
        ci = _auc_ci(reference, len(ref_train), len(ref_hold))
        details["reference_auc_ci"] = ci
        rows.append({"attack_on": "holdout half", "auc": reference, "ci_low": ci[0],
                     "ci_high": ci[1]})
    else:
        details["reference_note"] = f"holdout has fewer than {MIN_REFERENCE_ROWS} rows"
    return MEMBERSHIP_INFERENCE_AUC.result(auc, reference, pd.DataFrame(rows), details)


@measures(SDMETRICS_DCR_BASELINE_PROTECTION)
def sdmetrics_dcr_baseline_protection(real: pd.DataFrame | Tables,
                                      synthetic: pd.DataFrame | None = None,
                                      dag: DAG | None = None, rng=None,
                                      holdout: pd.DataFrame | None = None,
                                      n_rows: int = SDMETRICS_ROWS) -> MetricResult:
    """SDMetrics' DCRBaselineProtection on a subsample of ``n_rows`` rows per table (fewer
    for a table wider than 20 columns: :data:`SDMETRICS_CELLS`, stated as ``details["cap"]``).

    SDMetrics compares the synthetic rows' median DCR with that of uniformly random rows; score
    0..1, higher is better. Biased on continuous data: a genuine fresh sample scores near 0.1,
    hence the ``reference`` (the holdout in the synthetic table's place).
    """
    from sdmetrics.single_table import DCRBaselineProtection

    rng = as_generator(rng)
    t = prepare(real, synthetic, dag, holdout)
    meta = sdmetrics_metadata(t.dag, multi_table=True)
    n_rows, cap = _sdmetrics_rows(n_rows, len(t.dag.nodes))
    f = subsample(t, rng, n_rows, real=("real", None), syn=("synthetic", None))
    res = seeded_breakdown(DCRBaselineProtection, child_seed(rng), real_data=f["real"],
                           synthetic_data=f["syn"], metadata=meta)
    rows = [{"table": "synthetic", "score": res["score"], **res["median_DCR_to_real_data"]}]
    details: dict[str, Any] = {"rows_per_table": n_rows,
                               "median_dcr": res["median_DCR_to_real_data"],
                               **({"cap": cap} if cap else {})}
    reference = None
    if t.holdout is not None:
        h = subsample(t, rng, n_rows, hold=("holdout", None))["hold"]
        ref = seeded_breakdown(DCRBaselineProtection, child_seed(rng), real_data=f["real"],
                               synthetic_data=h, metadata=meta)
        reference = ref["score"]
        rows.append({"table": "holdout", "score": ref["score"],
                     **ref["median_DCR_to_real_data"]})
    else:
        details["reference_note"] = NEEDS_HOLDOUT
    return SDMETRICS_DCR_BASELINE_PROTECTION.result(res["score"], reference, pd.DataFrame(rows),
                                                    details)


@measures(SDMETRICS_DCR_OVERFITTING_PROTECTION)
def sdmetrics_dcr_overfitting_protection(real: pd.DataFrame | Tables,
                                         synthetic: pd.DataFrame | None = None,
                                         dag: DAG | None = None, rng=None,
                                         holdout: pd.DataFrame | None = None,
                                         n_rows: int = SDMETRICS_ROWS) -> MetricResult:
    """SDMetrics' DCROverfittingProtection on a subsample of ``n_rows`` rows per table (fewer
    for a table wider than 20 columns, as for the baseline protection).

    The share of synthetic rows closer to a training row than to a holdout row, turned into a
    0..1 score (higher is better). ``reference``: half of the holdout in the synthetic table's
    place, the other half as validation rows (a fresh sample scores about 0.85, not 1).
    """
    from sdmetrics.single_table import DCROverfittingProtection

    t = prepare(real, synthetic, dag, holdout)
    if t.holdout is None:
        return no_holdout(SDMETRICS_DCR_OVERFITTING_PROTECTION)
    rng = as_generator(rng)
    meta = sdmetrics_metadata(t.dag, multi_table=True)
    n_rows, cap = _sdmetrics_rows(n_rows, len(t.dag.nodes))
    f = subsample(t, rng, n_rows, real=("real", None), syn=("synthetic", None),
                  hold=("holdout", None))
    res = seeded_breakdown(DCROverfittingProtection, child_seed(rng),
                           real_training_data=f["real"], synthetic_data=f["syn"],
                           real_validation_data=f["hold"], metadata=meta)
    rows = [{"table": "synthetic", "score": res["score"], **res["synthetic_data_percentages"]}]
    details: dict[str, Any] = {"rows_per_table": n_rows, **res["synthetic_data_percentages"],
                               **({"cap": cap} if cap else {})}
    n_train = len(f["real"])
    if len(f["hold"]) < n_train / 2:
        details["note"] = (f"{len(f['hold'])} holdout rows against {n_train} training rows: "
                           f"SDMetrics advises at least half as many, so this score is noisy")
    reference = None
    split = split_holdout(len(t.holdout), rng)
    if split is not None:
        g = subsample(t, rng, n_rows, a=("holdout", split[0]), b=("holdout", split[1]))
        ref = seeded_breakdown(DCROverfittingProtection, child_seed(rng),
                               real_training_data=f["real"], synthetic_data=g["a"],
                               real_validation_data=g["b"], metadata=meta)
        reference = ref["score"]
        rows.append({"table": "holdout half", "score": ref["score"],
                     **ref["synthetic_data_percentages"]})
    return SDMETRICS_DCR_OVERFITTING_PROTECTION.result(res["score"], reference,
                                                       pd.DataFrame(rows), details)

