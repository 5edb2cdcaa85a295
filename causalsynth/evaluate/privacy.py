"""Privacy: does the synthetic table copy, or lead back to, the real rows it was made from?

``real`` is the table the synthesizer was fitted on (the "training" rows); ``holdout`` is real
rows it did not see. Each figure comes with the same figure for a table drawn like the holdout
(``reference``), because several of these measures are not zero for a perfectly private
synthetic table (SDMetrics' DCR scores are biased; categorical tables repeat rows by nature).

Distances: numeric columns robust-scaled (median and IQR of real), labels one-hot with each
indicator times 1/sqrt(2) (one mismatching label = one IQR), Euclidean; exact nearest neighbours
(see :mod:`causalsynth.evaluate._tabular`). The anonymeter attacks use anonymeter's own
Gower-like L1 distance instead, so that their figures agree with anonymeter's.

Metrics
-------
- ``dcr_share_closer_to_train``: probability that a synthetic row is closer to its nearest
  training row than a holdout row is to its nearest training row (ties count half); 0.5 = like
  the holdout, 1 = every synthetic row sits on a training row. (``details`` also give the share
  of synthetic rows below the holdout's median distance.)
- ``nndr``: median nearest-neighbour distance ratio (closest / second closest training row).
- ``exact_copies``: synthetic rows equal to a training row, in every column.
- ``verbatim_value_rate``: per column, the share of synthetic values found verbatim in the
  training column (catches copied root values that row distances do not see).
- ``membership_inference_auc``: a distance attack telling training rows from holdout rows by
  their distance to the nearest synthetic row; 0.5 = no leak, 1 = every member recognised.
- ``sdmetrics_dcr_baseline_protection``, ``sdmetrics_dcr_overfitting_protection``: SDMetrics'
  scores, on a subsample of 500 rows per table (they are quadratic).
- ``singling_out_risk``, ``linkability_risk``, ``inference_risk``: the three attacks of
  anonymeter, re-implemented (anonymeter pins numpy < 2): main attack on training rows, control
  attack on holdout rows, risk = (main - control) / (1 - control), Wilson-score intervals.

References
----------
Giomi, M., Boenisch, F., Wehmeyer, C., Tasnádi, B. (2023). A unified framework for quantifying
privacy risk in synthetic data. Proceedings on Privacy Enhancing Technologies 2023(2), 312-328.
Cohen, A., Nissim, K. (2020). Towards formalizing the GDPR's notion of singling out. PNAS 117.
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
JASA 22, 209-212.
Hanley, J. A., McNeil, B. J. (1982). The meaning and use of the area under a ROC curve.
Radiology 143, 29-36.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.stats import norm

from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG
from causalsynth.evaluate._tabular import (
    MixedEncoder,
    codes,
    nearest,
    repeat_share,
    row_hashes,
    typed_tables,
)
from causalsynth.evaluate.metric import MetricResult, run_metrics

__all__ = [
    "METRICS",
    "dcr_share_closer_to_train",
    "evaluate_privacy",
    "exact_copies",
    "inference_risk",
    "linkability_risk",
    "membership_inference_auc",
    "nndr",
    "residual_risk",
    "sdmetrics_dcr_baseline_protection",
    "sdmetrics_dcr_overfitting_protection",
    "singling_out_risk",
    "verbatim_value_rate",
    "wilson_rate",
]

N_ATTACKS = 500  # anonymeter's default number of attacks
N_COLS = 3  # columns per multivariate singling-out query (anonymeter's default)
MAX_ATTEMPTS = 100_000  # multivariate singling-out query candidates tried at most
CONFIDENCE = 0.95
TOLERANCE = 0.05  # relative tolerance of a correct guess of a numeric secret (anonymeter's)
SDMETRICS_ROWS = 500  # rows per table for SDMetrics' quadratic DCR metrics
MIN_REFERENCE_ROWS = 40  # holdout rows needed to split it for a reference figure
_NEEDS_HOLDOUT = ("needs a holdout: pass holdout= real rows that the synthesizer did not see "
                  "(e.g. split the real table before fitting)")


# ---- shared preparation (cached within one evaluate_privacy call) ----------------------------
_CACHE: ContextVar[dict | None] = ContextVar("causalsynth_privacy_cache", default=None)


@contextlib.contextmanager
def _cache() -> Iterator[None]:
    token = _CACHE.set({})
    try:
        yield
    finally:
        _CACHE.reset(token)


def _cached(key: tuple, compute):
    store = _CACHE.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


def _prepare(real, synthetic, dag, holdout) -> dict[str, Any]:
    def compute():
        t = typed_tables(dag, real=real, synthetic=synthetic, holdout=holdout)
        enc = MixedEncoder(dag).fit(t["real"])
        x = {k: None if v is None else enc.transform(v) for k, v in t.items()}
        return {"t": t, "x": x}
    return _cached(("prep", id(real), id(synthetic), id(holdout), id(dag)), compute)


def _nn(prep: dict, query: str, target: str, k: int) -> np.ndarray:
    return _cached(("nn", id(prep), query, target, k),
                   lambda: nearest(prep["x"][query], prep["x"][target], k=k))


def _closer_prob(a: np.ndarray, b: np.ndarray) -> float:
    """P(A < B) + 0.5 P(A = B) for A drawn from ``a`` and B from ``b`` (a Mann-Whitney AUC)."""
    b = np.sort(b)
    below = np.searchsorted(b, a, side="left")  # b values < a
    ties = np.searchsorted(b, a, side="right") - below
    return float(np.mean((len(b) - below - ties) + 0.5 * ties) / len(b))


def _quantiles(**dists: np.ndarray) -> pd.DataFrame:
    qs = [0.0, 0.01, 0.05, 0.25, 0.5, 0.75]
    return pd.DataFrame({"quantile": qs, **{k: np.quantile(v, qs) for k, v in dists.items()}})


def _no_holdout(name: str, direction: str) -> MetricResult:
    return MetricResult(name, None, direction, None, None, {"note": _NEEDS_HOLDOUT},
                        error=f"{name} {_NEEDS_HOLDOUT}")


def _split_holdout(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    if n < MIN_REFERENCE_ROWS:
        return None
    perm = rng.permutation(n)
    return np.sort(perm[: n // 2]), np.sort(perm[n // 2:])


# ---- distance-based metrics --------------------------------------------------------------------
def dcr_share_closer_to_train(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
                              holdout: pd.DataFrame | None = None) -> MetricResult:
    """How often a synthetic row is closer to the training rows than a holdout row is.

    DCR = distance to the closest training row. ``value`` = P(DCR_synthetic < DCR_holdout)
    + 0.5 P(tie), over synthetic rows and holdout rows: 0.5 means synthetic rows sit as far
    from the training rows as unseen real rows do; 1 means every synthetic row is on a training
    row. ``reference`` is the holdout measured the same way (0.5). ``details`` also give the
    share of synthetic rows whose DCR is below the holdout's median DCR (ties count half).
    Lower is better.
    """
    if holdout is None:
        return _no_holdout("dcr_share_closer_to_train", "lower")
    prep = _prepare(real, synthetic, dag, holdout)
    d_syn = _nn(prep, "synthetic", "real", 2)[:, 0]
    d_hold = _nn(prep, "holdout", "real", 2)[:, 0]
    median = float(np.median(d_hold))
    share_below_median = float(np.mean(d_syn < median) + 0.5 * np.mean(d_syn == median))
    details = {"holdout_median_dcr": median, "synthetic_median_dcr": float(np.median(d_syn)),
               "share_below_holdout_median": share_below_median,
               "share_synthetic_dcr_zero": float(np.mean(d_syn == 0)),
               "share_holdout_dcr_zero": float(np.mean(d_hold == 0)),
               "distance": "euclidean; numeric robust-scaled, labels one-hot / sqrt(2)"}
    return MetricResult("dcr_share_closer_to_train", _closer_prob(d_syn, d_hold), "lower",
                        _closer_prob(d_hold, d_hold), _quantiles(synthetic=d_syn, holdout=d_hold),
                        details)


def _ratio(d: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        r = d[:, 0] / d[:, 1]
    return np.where(d[:, 1] == 0, 1.0, r)  # two tied exact matches: no single record stands out


def nndr(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
         holdout: pd.DataFrame | None = None) -> MetricResult:
    """Nearest-neighbour distance ratio: closest over second-closest training row.

    Near 0, a synthetic row points at one training record; near 1, it is equally far from
    several. ``value`` is the median over synthetic rows (higher is better), ``reference`` the
    median for holdout rows. When both neighbours are at distance 0 the ratio is 1.
    """
    prep = _prepare(real, synthetic, dag, holdout)
    r_syn = _ratio(_nn(prep, "synthetic", "real", 2))
    details: dict[str, Any] = {"share_below_0_5": float(np.mean(r_syn < 0.5))}
    dists = {"synthetic": r_syn}
    reference = None
    if prep["x"]["holdout"] is not None:
        r_hold = _ratio(_nn(prep, "holdout", "real", 2))
        reference = float(np.median(r_hold))
        details["reference_share_below_0_5"] = float(np.mean(r_hold < 0.5))
        dists["holdout"] = r_hold
    else:
        details["reference_note"] = _NEEDS_HOLDOUT
    return MetricResult("nndr", float(np.median(r_syn)), "higher", reference,
                        _quantiles(**dists), details)


def exact_copies(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
                 holdout: pd.DataFrame | None = None) -> MetricResult:
    """Synthetic rows identical to some training row in every column (a count; lower is better).

    ``reference`` is the count expected for a table of the synthetic table's size drawn like
    the holdout (the holdout's share of exact copies times the synthetic row count): tables of
    labels repeat rows by nature.
    """
    prep = _prepare(real, synthetic, dag, holdout)
    t = prep["t"]
    train = row_hashes(t["real"])
    syn_copy = np.isin(row_hashes(t["synthetic"]), train)
    n_syn = len(syn_copy)
    details: dict[str, Any] = {"share": float(syn_copy.mean()), "n_synthetic": n_syn,
                               # chance repeats: training rows equal to another training row
                               "training_repeat_share": repeat_share(train),
                               "n_training": len(train),
                               "n_distinct_copied": int(np.unique(
                                   row_hashes(t["synthetic"])[syn_copy]).size)}
    rows = [{"table": "synthetic", "copies": int(syn_copy.sum()), "rows": n_syn,
             "share": float(syn_copy.mean())}]
    reference = None
    if t["holdout"] is not None:
        hold_copy = np.isin(row_hashes(t["holdout"]), train)
        reference = float(hold_copy.mean() * n_syn)
        details["holdout_share"] = float(hold_copy.mean())
        rows.append({"table": "holdout", "copies": int(hold_copy.sum()), "rows": len(hold_copy),
                     "share": float(hold_copy.mean())})
    else:
        details["reference_note"] = _NEEDS_HOLDOUT
    return MetricResult("exact_copies", float(syn_copy.sum()), "lower", reference,
                        pd.DataFrame(rows), details)


def verbatim_value_rate(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
                        holdout: pd.DataFrame | None = None) -> MetricResult:
    """Per column, the share of synthetic values that occur verbatim in the training column.

    Row distances miss a synthesizer that copies real values column by column (DoWhy's
    ``draw_samples`` with empirical root distributions copies most root values). ``value`` is
    the highest rate over continuous columns (count columns when there are none), ``reference``
    the holdout's highest rate over the same columns; labels (categorical, binary) are listed in
    the breakdown but always repeat. Lower is better.
    """
    prep = _prepare(real, synthetic, dag, holdout)
    t = prep["t"]
    rows = []
    for c in dag.nodes:
        train_values = t["real"][c].astype(object).to_numpy() if dag.node_type(c) == \
            "categorical" else t["real"][c].to_numpy()
        row: dict[str, Any] = {"column": c, "type": dag.node_type(c)}
        for name in ("synthetic", "holdout"):
            if t[name] is None:
                row[f"{name}_rate"] = None
                continue
            vals = t[name][c].astype(object).to_numpy() if dag.node_type(c) == "categorical" \
                else t[name][c].to_numpy()
            row[f"{name}_rate"] = float(np.isin(vals, train_values).mean())
        rows.append(row)
    table = pd.DataFrame(rows)
    scored = [c for c in dag.nodes if dag.node_type(c) == "continuous"] or \
        [c for c in dag.nodes if dag.node_type(c) == "count"]
    details: dict[str, Any] = {"scored_columns": scored}
    if not scored:
        return MetricResult("verbatim_value_rate", None, "lower", None, table,
                            {**details, "note": "no continuous or count columns to score"})
    sel = table.set_index("column").loc[scored]
    value = float(sel["synthetic_rate"].max())
    details["worst_column"] = str(sel["synthetic_rate"].idxmax())
    reference = None
    if t["holdout"] is not None:
        reference = float(sel["holdout_rate"].max())
        table["excess"] = table["synthetic_rate"] - table["holdout_rate"]
    else:
        details["reference_note"] = _NEEDS_HOLDOUT
    return MetricResult("verbatim_value_rate", value, "lower", reference, table, details)


def _auc_ci(auc: float, n_pos: int, n_neg: int, conf: float = CONFIDENCE) -> list[float]:
    # Hanley & McNeil (1982) standard error of an AUC
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (
        n_pos * n_neg)
    half = norm.ppf(0.5 * (1 + conf)) * math.sqrt(max(var, 0.0))
    return [max(0.0, auc - half), min(1.0, auc + half)]


def membership_inference_auc(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
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
    if holdout is None:
        return _no_holdout("membership_inference_auc", "lower")
    rng = as_generator(rng)
    prep = _prepare(real, synthetic, dag, holdout)
    d_train = _nn(prep, "real", "synthetic", 1)[:, 0]
    d_hold = _nn(prep, "holdout", "synthetic", 1)[:, 0]
    auc = _closer_prob(d_train, d_hold)
    details: dict[str, Any] = {"auc_ci": _auc_ci(auc, len(d_train), len(d_hold)),
                               "n_members": len(d_train), "n_non_members": len(d_hold),
                               "advantage": 2 * auc - 1}
    rows = [{"attack_on": "synthetic", "auc": auc, "ci_low": details["auc_ci"][0],
             "ci_high": details["auc_ci"][1]}]
    reference = None
    split = _split_holdout(len(d_hold), rng)
    if split is not None:
        xa, xb = prep["x"]["holdout"][split[0]], prep["x"]["holdout"][split[1]]
        ref_train = nearest(prep["x"]["real"], xa, k=1)[:, 0]
        ref_hold = nearest(xb, xa, k=1)[:, 0]
        reference = _closer_prob(ref_train, ref_hold)
        ci = _auc_ci(reference, len(ref_train), len(ref_hold))
        details["reference_auc_ci"] = ci
        rows.append({"attack_on": "holdout half", "auc": reference, "ci_low": ci[0],
                     "ci_high": ci[1]})
    else:
        details["reference_note"] = f"holdout has fewer than {MIN_REFERENCE_ROWS} rows"
    return MetricResult("membership_inference_auc", auc, "lower", reference, pd.DataFrame(rows),
                        details)


# ---- SDMetrics' DCR metrics --------------------------------------------------------------------
def _sdm_frames(prep: dict, dag: DAG, rng: np.random.Generator, n: int, **idx) -> dict:
    from causalsynth.evaluate.fidelity import _for_sdmetrics

    out = {}
    for name, (table, rows) in idx.items():
        frame = prep["t"][table] if rows is None else prep["t"][table].iloc[rows]
        if len(frame) > n:
            frame = frame.iloc[np.sort(rng.choice(len(frame), n, replace=False))]
        out[name] = _for_sdmetrics(frame.reset_index(drop=True))
    return out


def _sdm_metadata(dag: DAG) -> dict:
    from causalsynth.evaluate.fidelity import sdmetrics_metadata

    return {"tables": {"table": sdmetrics_metadata(dag)}}


def _sdm_call(cls, seed: int, **kwargs) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        # its advice on a small holdout goes into the metric's details instead
        warnings.filterwarnings("ignore", message=".*real_validation_data contains")
        # SDMetrics draws its random baseline from `cls._seed`; a subclass seeds it without
        # touching the library class
        seeded = type(f"Seeded{cls.__name__}", (cls,), {"_seed": seed})
        return seeded.compute_breakdown(table_name="table", **kwargs)


def sdmetrics_dcr_baseline_protection(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG,
                                      rng=None, holdout: pd.DataFrame | None = None,
                                      n_rows: int = SDMETRICS_ROWS) -> MetricResult:
    """SDMetrics' DCRBaselineProtection on a subsample of ``n_rows`` rows per table.

    SDMetrics compares the synthetic rows' median DCR with that of uniformly random rows; score
    0..1, higher is better. Biased on continuous data: a genuine fresh sample scores near 0.1,
    hence the ``reference`` (the holdout in the synthetic table's place).
    """
    from sdmetrics.single_table import DCRBaselineProtection

    rng = as_generator(rng)
    prep = _prepare(real, synthetic, dag, holdout)
    meta = _sdm_metadata(dag)
    f = _sdm_frames(prep, dag, rng, n_rows, real=("real", None), syn=("synthetic", None))
    res = _sdm_call(DCRBaselineProtection, child_seed(rng), real_data=f["real"],
                    synthetic_data=f["syn"], metadata=meta)
    rows = [{"table": "synthetic", "score": res["score"], **res["median_DCR_to_real_data"]}]
    details: dict[str, Any] = {"rows_per_table": n_rows,
                               "median_dcr": res["median_DCR_to_real_data"]}
    reference = None
    if prep["t"]["holdout"] is not None:
        h = _sdm_frames(prep, dag, rng, n_rows, hold=("holdout", None))["hold"]
        ref = _sdm_call(DCRBaselineProtection, child_seed(rng), real_data=f["real"],
                        synthetic_data=h, metadata=meta)
        reference = ref["score"]
        rows.append({"table": "holdout", "score": ref["score"],
                     **ref["median_DCR_to_real_data"]})
    else:
        details["reference_note"] = _NEEDS_HOLDOUT
    return MetricResult("sdmetrics_dcr_baseline_protection", res["score"], "higher", reference,
                        pd.DataFrame(rows), details)


def sdmetrics_dcr_overfitting_protection(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG,
                                         rng=None, holdout: pd.DataFrame | None = None,
                                         n_rows: int = SDMETRICS_ROWS) -> MetricResult:
    """SDMetrics' DCROverfittingProtection on a subsample of ``n_rows`` rows per table.

    The share of synthetic rows closer to a training row than to a holdout row, turned into a
    0..1 score (higher is better). ``reference``: half of the holdout in the synthetic table's
    place, the other half as validation rows (a fresh sample scores about 0.85, not 1).
    """
    from sdmetrics.single_table import DCROverfittingProtection

    if holdout is None:
        return _no_holdout("sdmetrics_dcr_overfitting_protection", "higher")
    rng = as_generator(rng)
    prep = _prepare(real, synthetic, dag, holdout)
    meta = _sdm_metadata(dag)
    n_hold = len(prep["t"]["holdout"])
    f = _sdm_frames(prep, dag, rng, n_rows, real=("real", None), syn=("synthetic", None),
                    hold=("holdout", None))
    res = _sdm_call(DCROverfittingProtection, child_seed(rng), real_training_data=f["real"],
                    synthetic_data=f["syn"], real_validation_data=f["hold"], metadata=meta)
    rows = [{"table": "synthetic", "score": res["score"], **res["synthetic_data_percentages"]}]
    details: dict[str, Any] = {"rows_per_table": n_rows, **res["synthetic_data_percentages"]}
    n_train = len(f["real"])
    if len(f["hold"]) < n_train / 2:
        details["note"] = (f"{len(f['hold'])} holdout rows against {n_train} training rows: "
                           f"SDMetrics advises at least half as many, so this score is noisy")
    reference = None
    split = _split_holdout(n_hold, rng)
    if split is not None:
        g = _sdm_frames(prep, dag, rng, n_rows, a=("holdout", split[0]), b=("holdout", split[1]))
        ref = _sdm_call(DCROverfittingProtection, child_seed(rng), real_training_data=f["real"],
                        synthetic_data=g["a"], real_validation_data=g["b"], metadata=meta)
        reference = ref["score"]
        rows.append({"table": "holdout half", "score": ref["score"],
                     **ref["synthetic_data_percentages"]})
    return MetricResult("sdmetrics_dcr_overfitting_protection", res["score"], "higher", reference,
                        pd.DataFrame(rows), details)


# ---- anonymeter's risk arithmetic --------------------------------------------------------------
def wilson_rate(n_total: int, n_success: float,
                confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson-score estimate of a success rate and its error bound (anonymeter's formula).

    Examples
    --------
    >>> [round(v, 4) for v in wilson_rate(500, 50)]
    [0.1037, 0.0262]
    """
    z = float(norm.ppf(0.5 * (1.0 + confidence)))
    z2 = z * z
    denominator = n_total + z2
    rate = (n_success + 0.5 * z2) / denominator
    error = (z / denominator) * math.sqrt(n_success * (n_total - n_success) / n_total + 0.25 * z2)
    return rate, error


def residual_risk(n_main: int, k_main: float, n_control: int, k_control: float,
                  confidence: float = CONFIDENCE) -> dict[str, float]:
    """Risk = (main - control) / (1 - control) with propagated error, bounded to [0, 1].

    Examples
    --------
    >>> r = residual_risk(500, 400, 500, 100)
    >>> round(r["risk"], 3), r["ci_low"] < r["risk"] < r["ci_high"]
    (0.749, True)
    """
    main, main_err = wilson_rate(n_main, k_main, confidence)
    ctrl, ctrl_err = wilson_rate(n_control, k_control, confidence)
    residual = (main - ctrl) / (1.0 - ctrl)
    d_main = 1 / abs(1 - ctrl)
    d_ctrl = (main - 1) / (1 - ctrl) ** 2
    error = math.sqrt((main_err * d_main) ** 2 + (ctrl_err * d_ctrl) ** 2)
    clip = lambda v: min(max(v, 0.0), 1.0)  # noqa: E731
    return {"risk": clip(residual), "ci_low": clip(residual - error),
            "ci_high": clip(residual + error), "main_rate": main, "main_error": main_err,
            "control_rate": ctrl, "control_error": ctrl_err}


def _attack_summary(n_main: int, k_main: float, n_control: int, k_control: float,
                    n_base: int, k_base: float) -> dict[str, Any]:
    out = residual_risk(n_main, k_main, n_control, k_control)
    base, _ = wilson_rate(n_base, k_base)
    out.update({"baseline_rate": base, "n_attacks": n_main, "n_success": k_main,
                "n_control_attacks": n_control, "n_control_success": k_control,
                "n_baseline_success": k_base,
                "attack_beats_baseline": bool(out["main_rate"] > base)})
    return out


# ---- singling out ------------------------------------------------------------------------------
EQ, NE, GT, LT, GE, LE = range(6)
_OPS = {EQ: np.equal, NE: np.not_equal, GT: np.greater, LT: np.less, GE: np.greater_equal,
        LE: np.less_equal}


def _match_counts(data: np.ndarray, cols: np.ndarray, ops: np.ndarray, vals: np.ndarray,
                  chunk_cells: int = 4_000_000, matrix: bool = False):
    """Counts (or the query x row match matrix) of conjunctive queries on ``data``."""
    n_q, n_terms = cols.shape
    if n_q == 0:
        return np.zeros((0, len(data)), bool) if matrix else np.zeros(0, np.int64)
    step = max(1, chunk_cells // n_q)
    counts = np.zeros(n_q, dtype=np.int64)
    parts = []
    for start in range(0, len(data), step):
        block = data[start:start + step]
        match = np.ones((len(block), n_q), dtype=bool)
        for j in range(n_terms):
            x = block[:, cols[:, j]]
            for op in np.unique(ops[:, j]):
                sel = ops[:, j] == op
                match[:, sel] &= _OPS[int(op)](x[:, sel], vals[sel, j])
        if matrix:
            parts.append(match.T)
        else:
            counts += match.sum(axis=0)
    if matrix:
        return np.hstack(parts) if parts else np.zeros((n_q, 0), bool)
    return counts


def _univariate_queries(syn: np.ndarray, numeric: np.ndarray, n: int,
                        rng: np.random.Generator):
    # anonymeter: "col <= min" and "col >= max" for numeric columns, "col == v" for values that
    # occur once; shuffled; the first n that single out in the synthetic table are kept
    cand_cols, cand_ops, cand_vals, cand_counts = [], [], [], []
    for j in range(syn.shape[1]):
        col = syn[:, j]
        if numeric[j]:
            lo, hi = col.min(), col.max()
            cand_cols += [j, j]
            cand_ops += [LE, GE]
            cand_vals += [lo, hi]
            cand_counts += [int(np.sum(col == lo)), int(np.sum(col == hi))]
        values, counts = np.unique(col, return_counts=True)
        rare = values[counts == 1]
        cand_cols += [j] * len(rare)
        cand_ops += [EQ] * len(rare)
        cand_vals += rare.tolist()
        cand_counts += [1] * len(rare)
    order = rng.permutation(len(cand_cols))
    keep, seen = [], set()
    for i in order:
        key = (cand_cols[i], cand_ops[i], cand_vals[i])
        if cand_counts[i] == 1 and key not in seen:
            seen.add(key)
            keep.append(i)
            if len(keep) >= n:
                break
    keep = np.array(keep, dtype=np.int64)
    arr = lambda v, dt: np.asarray(v, dtype=dt)[keep][:, None]  # noqa: E731
    return arr(cand_cols, np.int64), arr(cand_ops, np.int64), arr(cand_vals, float)


def _multivariate_queries(syn: np.ndarray, numeric: np.ndarray, n: int, n_cols: int,
                          rng: np.random.Generator, max_attempts: int, batch: int = 1000):
    # anonymeter: a random synthetic row and n_cols random columns; numeric columns ask for
    # values at least as extreme as the row's (>= above the median, <= otherwise), labels for
    # equality; kept when it singles out in the synthetic table. Counts are checked on growing
    # prefixes of the table so that most candidates are rejected cheaply (exact).
    n_rows, n_all = syn.shape
    n_cols = min(n_cols, n_all)
    medians = np.median(syn, axis=0)
    perm = syn[rng.permutation(n_rows)]
    stages = sorted({min(s, n_rows) for s in (1000, 10_000, n_rows)})
    found_c, found_o, found_v, seen = [], [], [], set()
    attempts = 0
    while len(found_c) < n and attempts < max_attempts:
        b = min(batch, max_attempts - attempts)
        rows = syn[rng.integers(0, n_rows, size=b)]
        cols = np.sort(np.argsort(rng.random((b, n_all)), axis=1)[:, :n_cols], axis=1)
        vals = np.take_along_axis(rows, cols, axis=1)
        is_num = numeric[cols]
        ops = np.where(is_num, np.where(vals > medians[cols], GE, LE), EQ)
        alive = np.arange(b)
        for size in stages:
            counts = _match_counts(perm[:size], cols[alive], ops[alive], vals[alive])
            alive = alive[counts <= 1] if size < n_rows else alive[counts == 1]
        for i in alive:
            key = (tuple(cols[i]), tuple(ops[i]), tuple(vals[i]))
            if key not in seen:
                seen.add(key)
                found_c.append(cols[i])
                found_o.append(ops[i])
                found_v.append(vals[i])
                if len(found_c) >= n:
                    break
        attempts += b
    as2d = lambda v, dt: np.asarray(v, dtype=dt).reshape(-1, n_cols)  # noqa: E731
    return as2d(found_c, np.int64), as2d(found_o, np.int64), as2d(found_v, float)


def _random_queries(syn: np.ndarray, numeric: np.ndarray, n: int, n_cols: int,
                    rng: np.random.Generator):
    # anonymeter's baseline: random values of random columns with random operators
    n_all = syn.shape[1]
    n_cols = min(n_cols, n_all)
    uniques = [np.unique(syn[:, j]) for j in range(n_all)]
    cols = np.sort(np.argsort(rng.random((n, n_all)), axis=1)[:, :n_cols], axis=1)
    vals = np.empty((n, n_cols))
    ops = np.empty((n, n_cols), dtype=np.int64)
    for i in range(n):
        for k, j in enumerate(cols[i]):
            vals[i, k] = uniques[j][rng.integers(len(uniques[j]))]
            ops[i, k] = rng.integers(6) if numeric[j] else rng.integers(2)  # EQ/NE for labels
    return cols, ops, vals


def _correction(control: np.ndarray, q, n_ori: int, rng: np.random.Generator) -> float:
    # anonymeter: the number of queries that single out grows with the table size; fit
    # norm * integral_0^w_eff P(w, n) dw (Cohen & Nissim) on subsamples of the control table
    # and rescale the control successes to the size of the training table
    match = _match_counts(control, *q, matrix=True)
    n_ctrl = len(control)
    sizes, successes = [], []
    for size in np.linspace(min(1000, n_ctrl), n_ctrl, 10).astype(int):
        for _ in range(5):
            rows = rng.choice(n_ctrl, size=size, replace=False)
            successes.append(int(np.sum(match[:, rows].sum(axis=1) == 1)))
            sizes.append(size)
    sizes_a, succ_a = np.array(sizes, float), np.array(successes, float)

    def integral(n, w_max):
        return (1 - (n * w_max + 1) * (1 - w_max) ** n) / (n + 1)

    def model(x, w_eff, scale):
        return scale * integral(x, w_eff)

    w0 = 1 / sizes_a.max()
    p0 = (w0, 1 / integral(sizes_a.max(), w0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        popt, _ = curve_fit(model, sizes_a, succ_a, bounds=(0, (1, np.inf)), p0=p0)
    return float(model(n_ori, *popt) / model(n_ctrl, *popt))


def _singling_out(ori: np.ndarray, syn: np.ndarray, control: np.ndarray, numeric: np.ndarray,
                  mode: str, n_attacks: int, n_cols: int, max_attempts: int,
                  rng: np.random.Generator, size_matching: str = "subsample") -> dict[str, Any]:
    ori, syn, control = (np.unique(a, axis=0) for a in (ori, syn, control))  # as anonymeter
    if size_matching == "subsample" and len(ori) != len(control):
        # a predicate singles out more easily in a smaller table: compare equal sizes
        n = min(len(ori), len(control))
        ori = ori[np.sort(rng.choice(len(ori), n, replace=False))]
        control = control[np.sort(rng.choice(len(control), n, replace=False))]
    if mode == "univariate":
        q = _univariate_queries(syn, numeric, n_attacks, rng)
    else:
        q = _multivariate_queries(syn, numeric, n_attacks, n_cols, rng, max_attempts)
    k_main = int(np.sum(_match_counts(ori, *q) == 1))
    base = _random_queries(syn, numeric, n_attacks, 1 if mode == "univariate" else n_cols, rng)
    k_base = int(np.sum(_match_counts(ori, *base) == 1))
    k_ctrl: float = int(np.sum(_match_counts(control, *q) == 1))
    correction = 1.0
    if len(control) != len(ori) and len(q[0]) > 0 and k_ctrl > 0:
        try:
            correction = _correction(control, q, len(ori), rng)
        except (RuntimeError, ValueError):  # the fit failed: keep the raw control count
            correction = float("nan")
        if math.isfinite(correction):
            k_ctrl *= correction
    out = _attack_summary(n_attacks, k_main, n_attacks, k_ctrl, n_attacks, k_base)
    out.update({"mode": mode, "n_queries_found": len(q[0]), "size_correction": correction,
                "size_matching": size_matching, "n_training_rows": len(ori),
                "n_control_rows": len(control)})
    return out


def _attack_tables(real, synthetic, dag, holdout):
    prep = _prepare(real, synthetic, dag, holdout)
    return prep, {k: None if v is None else codes(v, dag) for k, v in prep["t"].items()}


def _with_reference(name: str, attack, prep: dict, rng: np.random.Generator,
                    value_key: str = "risk"):
    """Run ``attack(ori, syn, control, rng)`` on the real tables, and on holdout halves."""
    main = attack("real", "synthetic", "holdout", None, rng)
    reference, ref_rows = None, []
    split = _split_holdout(len(prep["t"]["holdout"]), rng)
    if split is not None:
        ref_rows = attack("real", "holdout", "holdout", split, rng)
        reference = max(r[value_key] for r in ref_rows)
    return main, reference, ref_rows


def singling_out_risk(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
                      holdout: pd.DataFrame | None = None, n_attacks: int = N_ATTACKS,
                      n_cols: int = N_COLS, max_attempts: int = MAX_ATTEMPTS,
                      size_matching: str = "subsample") -> MetricResult:
    """anonymeter's singling-out risk, univariate and multivariate (``value``: the larger).

    The attacker writes predicates from the synthetic table that match exactly one synthetic
    row: univariate (a column's minimum or maximum, or a value that occurs once) and
    multivariate (``n_cols`` columns of a random synthetic row, at least as extreme as its values
    or equal to its labels). A predicate succeeds if it matches exactly one training row (main)
    or one holdout row (control, rescaled to the training table's size with anonymeter's fitted
    model when the sizes differ). Risk = (main - control) / (1 - control), Wilson intervals;
    rates are per requested attack (``n_attacks``) as in anonymeter. Multivariate candidates
    stop after ``max_attempts``. ``reference``: the same with half of the holdout as the
    synthetic table and the other half as control. Lower is better.

    Tables of different sizes: a predicate singles out more easily in a smaller table.
    ``size_matching="subsample"`` (default) draws as many distinct training rows as there are
    control rows (or the reverse): unbiased for an independent table, but a copied row counts
    only if it was drawn, so leaks are diluted by the ratio of the sizes (give a holdout as
    large as the training table for full strength). ``"anonymeter"`` keeps every training row
    and rescales the control successes with anonymeter's fitted model instead; measured here,
    that gives an independent fresh sample a spurious risk of about 0.2 (anonymeter 1.1.0 itself:
    0.23 with 4,000 training and 1,000 control rows, 0.18 with 20,000 and 5,000).

    References
    ----------
    Giomi et al. (2023), PoPETs 2023(2); Cohen & Nissim (2020), PNAS 117.
    """
    if holdout is None:
        return _no_holdout("singling_out_risk", "lower")
    rng = as_generator(rng)
    prep, arr = _attack_tables(real, synthetic, dag, holdout)
    numeric = np.array([dag.node_type(c) in ("continuous", "count") for c in dag.nodes])

    def attack(ori, syn, ctrl, split, rng):
        s = arr[syn] if split is None else arr[syn][split[0]]
        c = arr[ctrl] if split is None else arr[ctrl][split[1]]
        return [_singling_out(arr[ori], s, c, numeric, mode, n_attacks, n_cols, max_attempts, rng,
                              size_matching) for mode in ("univariate", "multivariate")]

    main, reference, ref_rows = _with_reference("singling_out_risk", attack, prep, rng)
    table = pd.DataFrame(main)
    if ref_rows:
        table["reference_risk"] = [r["risk"] for r in ref_rows]
    details = {"n_attacks": n_attacks, "n_cols": n_cols, "confidence": CONFIDENCE,
               "size_matching": size_matching,
               "risk_ci": {r["mode"]: [r["ci_low"], r["ci_high"]] for r in main}}
    return MetricResult("singling_out_risk", max(r["risk"] for r in main), "lower", reference,
                        table, details)


def _gower(dag: DAG, cols: list[str], frames: list[pd.DataFrame]):
    enc = MixedEncoder(dag, kind="gower", columns=cols).fit(*frames)
    return enc


def _linkability(t: dict, dag: DAG, ori: pd.DataFrame, syn: pd.DataFrame, control: pd.DataFrame,
                 aux: tuple[list[str], list[str]], n_attacks: int, k: int,
                 rng: np.random.Generator) -> dict[str, Any]:
    idx = {}
    for side, cols in enumerate(aux):
        enc = _gower(dag, cols, [syn, ori, control])
        idx[side] = enc, enc.transform(syn)

    def links(targets: pd.DataFrame) -> int:
        found = []
        for side in (0, 1):
            enc, xs = idx[side]
            _, i = nearest(enc.transform(targets), xs, k=k, metric="manhattan", dedupe=False,
                           return_index=True)
            found.append(i)
        return int(sum(bool(set(a) & set(b)) for a, b in zip(found[0], found[1], strict=True)))

    n_main = min(n_attacks, len(ori))
    n_ctrl = min(n_attacks, len(control))
    k_main = links(ori.iloc[rng.choice(len(ori), n_main, replace=False)])
    k_ctrl = links(control.iloc[rng.choice(len(control), n_ctrl, replace=False)])
    kk = min(k, len(syn))
    rand = lambda: np.array([rng.choice(len(syn), kk, replace=False)  # noqa: E731
                             for _ in range(n_main)])
    k_base = int(sum(bool(set(a) & set(b)) for a, b in zip(rand(), rand(), strict=True)))
    return _attack_summary(n_main, k_main, n_ctrl, k_ctrl, n_main, k_base)


def default_link_columns(dag: DAG) -> tuple[list[str], list[str]]:
    """The DAG's nodes in topological order, split in two halves (causes first)."""
    nodes = dag.nodes
    half = max(1, len(nodes) // 2)
    return nodes[:half], nodes[half:]


def linkability_risk(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
                     holdout: pd.DataFrame | None = None, n_attacks: int = N_ATTACKS,
                     n_neighbors: int = 1,
                     aux_cols: tuple[list[str], list[str]] | None = None) -> MetricResult:
    """anonymeter's linkability risk.

    The attacker holds two parts of a record (``aux_cols``; default: the DAG's nodes in
    topological order, split in halves) and links them if both parts have a common synthetic
    row among their ``n_neighbors`` nearest (anonymeter's Gower-like L1 distance: numeric
    columns over their range, one unit per mismatching label). Main attack on training rows,
    control on holdout rows, baseline with random neighbours; risk = (main - control) /
    (1 - control), Wilson intervals. Lower is better.

    References
    ----------
    Giomi et al. (2023), PoPETs 2023(2).
    """
    if holdout is None:
        return _no_holdout("linkability_risk", "lower")
    rng = as_generator(rng)
    prep = _prepare(real, synthetic, dag, holdout)
    t = prep["t"]
    aux = aux_cols or default_link_columns(dag)

    def attack(ori, syn, ctrl, split, rng):
        s = t[syn] if split is None else t[syn].iloc[split[0]]
        c = t[ctrl] if split is None else t[ctrl].iloc[split[1]]
        return [_linkability(t, dag, t[ori], s, c, aux, n_attacks, n_neighbors, rng)]

    main, reference, _ = _with_reference("linkability_risk", attack, prep, rng)
    row = main[0]
    details = {"aux_cols": [list(aux[0]), list(aux[1])], "n_neighbors": n_neighbors,
               "risk_ci": [row["ci_low"], row["ci_high"]], "confidence": CONFIDENCE,
               "distance": "anonymeter's Gower-like L1"}
    return MetricResult("linkability_risk", row["risk"], "lower", reference, pd.DataFrame(main),
                        details)


def _inference(dag: DAG, ori: pd.DataFrame, syn: pd.DataFrame, control: pd.DataFrame,
               secret: str, n_attacks: int, rng: np.random.Generator) -> dict[str, Any]:
    aux = [c for c in dag.nodes if c != secret]
    enc = _gower(dag, aux, [syn, ori, control])
    xs = enc.transform(syn)
    regression = dag.node_type(secret) in ("continuous", "count")
    syn_secret = syn[secret].astype(object).to_numpy() if not regression else \
        syn[secret].to_numpy(dtype=float)

    def correct(guess, truth) -> np.ndarray:
        if regression:
            truth = np.asarray(truth, dtype=float)
            guess = np.asarray(guess, dtype=float)
            return np.abs(guess - truth) <= TOLERANCE * np.abs(guess)
        return np.asarray(guess) == np.asarray(truth)

    def truth_of(frame):
        return frame[secret].to_numpy(dtype=float) if regression else \
            frame[secret].astype(object).to_numpy()

    def guesses(targets: pd.DataFrame) -> np.ndarray:
        _, i = nearest(enc.transform(targets), xs, k=1, metric="manhattan", dedupe=False,
                       return_index=True)
        return syn_secret[i[:, 0]]

    n_main, n_ctrl = min(n_attacks, len(ori)), min(n_attacks, len(control))
    main_t = ori.iloc[rng.choice(len(ori), n_main, replace=False)]
    ctrl_t = control.iloc[rng.choice(len(control), n_ctrl, replace=False)]
    k_main = int(correct(guesses(main_t), truth_of(main_t)).sum())
    k_ctrl = int(correct(guesses(ctrl_t), truth_of(ctrl_t)).sum())
    n_base = min(len(syn), n_main)
    base_t = ori.iloc[rng.choice(len(ori), n_base, replace=False)]
    k_base = int(correct(syn_secret[rng.choice(len(syn), n_base, replace=False)],
                         truth_of(base_t)).sum())
    out = _attack_summary(n_main, k_main, n_ctrl, k_ctrl, n_base, k_base)
    out.update({"secret": secret, "task": "regression" if regression else "classification"})
    return out


def inference_risk(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
                   holdout: pd.DataFrame | None = None, n_attacks: int = N_ATTACKS,
                   secrets: list[str] | None = None) -> MetricResult:
    """anonymeter's attribute-inference risk, per secret column (``value``: the largest).

    The attacker knows every other column of a target and guesses the secret as the secret of
    the nearest synthetic row (anonymeter's Gower-like L1 distance). A guess of a numeric secret
    is right within 5 % of the guess; of a label, when equal. Main attack on training rows,
    control on holdout rows, baseline = random synthetic values; risk = (main - control) /
    (1 - control), Wilson intervals. When the control attack already succeeds nearly always
    (a near-deterministic secret) the interval is wide. Lower is better.

    References
    ----------
    Giomi et al. (2023), PoPETs 2023(2).
    """
    if holdout is None:
        return _no_holdout("inference_risk", "lower")
    rng = as_generator(rng)
    prep = _prepare(real, synthetic, dag, holdout)
    t = prep["t"]
    secrets = secrets or dag.nodes

    def attack(ori, syn, ctrl, split, rng):
        s = t[syn] if split is None else t[syn].iloc[split[0]]
        c = t[ctrl] if split is None else t[ctrl].iloc[split[1]]
        return [_inference(dag, t[ori], s, c, secret, n_attacks, rng) for secret in secrets]

    main, reference, ref_rows = _with_reference("inference_risk", attack, prep, rng)
    table = pd.DataFrame(main)
    cols = ["secret"] + [c for c in table.columns if c != "secret"]
    table = table[cols]
    if ref_rows:
        table["reference_risk"] = [r["risk"] for r in ref_rows]
    worst = max(main, key=lambda r: r["risk"])
    details = {"worst_secret": worst["secret"], "risk_ci": [worst["ci_low"], worst["ci_high"]],
               "n_attacks": n_attacks, "tolerance": TOLERANCE, "confidence": CONFIDENCE}
    return MetricResult("inference_risk", worst["risk"], "lower", reference, table, details)


METRICS = [
    dcr_share_closer_to_train,
    nndr,
    exact_copies,
    verbatim_value_rate,
    membership_inference_auc,
    sdmetrics_dcr_baseline_protection,
    sdmetrics_dcr_overfitting_protection,
    singling_out_risk,
    linkability_risk,
    inference_risk,
]


def evaluate_privacy(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG,
                     holdout: pd.DataFrame | None = None, seed=None) -> dict[str, MetricResult]:
    """Every privacy metric; a failing metric is recorded with its error.

    Parameters
    ----------
    real : DataFrame
        The rows the synthesizer was fitted on (not modified).
    synthetic : DataFrame
    dag : DAG
    holdout : DataFrame, optional
        Real rows the synthesizer did not see. Without it, the metrics that compare training
        with unseen rows (DCR share, membership inference, SDMetrics' overfitting protection,
        anonymeter's risks) report an error saying so.
    seed : int or Generator, optional

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> real = dag.simulate(400, seed=1)
    >>> res = evaluate_privacy(real, real, dag, holdout=dag.simulate(400, seed=2), seed=0)
    >>> res["exact_copies"].value, res["membership_inference_auc"].value
    (400.0, 1.0)
    """
    rng = as_generator(seed)
    with _cache():  # typed tables and neighbour searches are shared between metrics
        return run_metrics(METRICS, real, synthetic, dag, rng, holdout=holdout)
