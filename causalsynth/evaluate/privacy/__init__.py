"""Privacy: does the synthetic table copy, or lead back to, the real rows it was made from?

``real`` is the table the synthesizer was fitted on (the "training" rows); ``holdout`` is real
rows it did not see. Each figure comes with the same figure for a table drawn like the holdout
(``reference``), because several of these measures are not zero for a perfectly private
synthetic table (SDMetrics' DCR scores are biased; categorical tables repeat rows by nature).

Distances: numeric columns robust-scaled (median and IQR of real), labels one-hot with each
indicator times 1/sqrt(2) (one mismatching label = one IQR), Euclidean; exact nearest neighbours
on distinct rows (see :func:`causalsynth.evaluate._shared.nearest_distinct`: rows are
grouped by hashing and the tree holds each distinct row at most k times, so label-heavy
logs stay fast), computed once per evaluation. The anonymeter attacks use anonymeter's
own Gower-like L1 distance instead, so that their figures agree with anonymeter's.

Modules: :mod:`~causalsynth.evaluate.privacy.distances` (DCR, NNDR, copies, verbatim values,
membership inference, SDMetrics' DCR scores), :mod:`~causalsynth.evaluate.privacy.anonymeter`
(risk arithmetic, linkability, inference), :mod:`~causalsynth.evaluate.privacy.singling_out`
and :mod:`~causalsynth.evaluate.privacy.sequence` (time-indexed DAGs only: windows of
consecutive periods and whole geo series as the records).

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

For a DAG with a time index (after the metrics above, which still treat rows one by one):

- ``window_dcr_share_closer_to_train``: the DCR share for windows of 4 consecutive periods of
  a series (each numeric column's linear drift over the periods removed first, since the
  holdout is the last periods); 0.5 = like held-out periods.
- ``copied_subsequences``: synthetic windows identical to a training window (also within 1e-9
  of the IQR), and the longest run of synthetic periods equal to a run of training periods.
- ``geo_series_reproduced`` (geo panels): synthetic geo series at least twice as close to a
  real geo's series as any two real geos are to each other.

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

import pandas as pd

from causalsynth.dag import DAG
from causalsynth.evaluate._shared import Tables, evaluate
from causalsynth.evaluate.metric import MetricResult
from causalsynth.evaluate.privacy.anonymeter import (
    default_link_columns,
    inference_risk,
    linkability_risk,
    residual_risk,
    wilson_rate,
)
from causalsynth.evaluate.privacy.distances import (
    dcr_share_closer_to_train,
    exact_copies,
    membership_inference_auc,
    nndr,
    sdmetrics_dcr_baseline_protection,
    sdmetrics_dcr_overfitting_protection,
    verbatim_value_rate,
)
from causalsynth.evaluate.privacy.sequence import (
    copied_subsequences,
    geo_series_reproduced,
    sequence_metrics,
    series_tables,
    window_dcr_share_closer_to_train,
)
from causalsynth.evaluate.privacy.singling_out import singling_out_risk

__all__ = [
    "METRICS",
    "copied_subsequences",
    "dcr_share_closer_to_train",
    "default_link_columns",
    "evaluate_privacy",
    "exact_copies",
    "geo_series_reproduced",
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
    "window_dcr_share_closer_to_train",
]

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


#: names that moved to :mod:`causalsynth.privacy_audit` (an audit trains what it grades)
_MOVED = frozenset({"AuditResult", "CausalCanaryAttack", "audit", "causal_canary",
                    "causal_canary_score", "epsilon_lower_bound", "gaussian_sigma"})


def __getattr__(name: str) -> object:
    """A clear error for the names of the empirical privacy audit, which moved."""
    if name in _MOVED:
        raise ImportError(f"{name} moved out of causalsynth.evaluate.privacy: the empirical "
                          f"privacy audit trains synthesizers, so it sits beside the "
                          f"comparison; import it as `from causalsynth.privacy_audit import "
                          f"{name}`")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def evaluate_privacy(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                     dag: DAG | None = None, holdout: pd.DataFrame | None = None,
                     seed=None) -> dict[str, MetricResult]:
    """Every privacy metric (:data:`METRICS`, plus the sequence metrics for a DAG with a time
    index); a failing metric is recorded with its error.

    Parameters
    ----------
    real : DataFrame or Tables
        The rows the synthesizer was fitted on (not modified), or the tables prepared once by
        ``validate`` (then give nothing else but the seed): their typed tables, encodings and
        neighbour searches are shared by the metrics.
    synthetic : DataFrame
    dag : DAG
    holdout : DataFrame, optional
        Real rows the synthesizer did not see. Without it, the metrics that compare training
        with unseen rows (DCR share, membership inference, SDMetrics' overfitting protection,
        anonymeter's risks, the window DCR share) report an error saying so.
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
    tables = series_tables(real, synthetic, dag, holdout)  # with each panel's rows per geo
    return evaluate(METRICS + sequence_metrics(tables.dag), tables, seed=seed)
