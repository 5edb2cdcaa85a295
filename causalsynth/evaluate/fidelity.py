"""Fidelity: does the synthetic table look like the real one, column by column and in pairs?

Each metric is a plain function ``metric(real, synthetic, dag, rng, holdout=None)`` returning
one :class:`~causalsynth.evaluate.metric.MetricResult` (or a list), declared with a
:class:`~causalsynth.evaluate.metric.MetricSpec`; ``real`` may instead be the tables
``validate`` prepared once. With a holdout table (real rows the synthesizer did not see), every
figure is also computed for the holdout in place of the synthetic table (``reference``): what
an independent real sample scores.

- ``quality_score``, ``column_shapes``, ``column_pair_trends``: SDMetrics' single-table
  QualityReport, unchanged (the same numbers SDMetrics gives), with its per-column and per-pair
  breakdowns; SDMetrics metadata is built from the DAG's node types.
- ``ks_chi2_tests``: per column, a Kolmogorov-Smirnov (numeric) or chi-square (categorical,
  binary) two-sample test, Holm and Benjamini-Hochberg corrections, a decision per column and an
  effect size (KS statistic, Cramér's V), since at large n tiny differences are "significant".
- ``mmd_test``: maximum mean discrepancy between the whole tables with an RBF kernel (median
  heuristic bandwidth) and a permutation p-value, on a subsample of stated size.
- ``correlation_difference``: association matrices (Pearson, correlation ratio, Cramér's V) of
  both tables and their difference.
- ``mean_std_comparison``, ``cumsum_comparison``: the table-evaluator style comparisons of
  means and standard deviations, and of cumulative distributions.

References
----------
Gretton, A., Borgwardt, K. M., Rasch, M. J., Schölkopf, B., Smola, A. (2012). A kernel
two-sample test. JMLR 13, 723-773.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scand. J. Stat. 6.
Benjamini, Y., Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG
from causalsynth.data import sdmetrics_metadata
from causalsynth.evaluate._fidelity_stats import (
    EFFECT_THRESHOLD,
    associations,
    basic_stats_spearman,
    benjamini_hochberg,
    column_tests,
    cumsum_table,
    holm,
    mmd_permutation,
    moments,
)
from causalsynth.evaluate._histograms import column_histograms
from causalsynth.evaluate._pair_trends import WIDE_COLUMNS, wide_quality_report
from causalsynth.evaluate._sdmetrics import quiet
from causalsynth.evaluate._shared import Tables, evaluate, prepare
from causalsynth.evaluate.metric import MetricResult, MetricSpec, measures

__all__ = [
    "METRICS",
    "TEMPORAL",
    "benjamini_hochberg",
    "column_histograms",
    "correlation_difference",
    "cumsum_comparison",
    "evaluate_fidelity",
    "holm",
    "ks_chi2_tests",
    "mean_std_comparison",
    "mmd_test",
    "quality",
    "quality_report",
    "temporal",
]

ALPHA = 0.05
MMD_ROWS = 1000  # rows per table in the MMD test (the kernel matrix is (2 x rows)^2)
MMD_PERMUTATIONS = 200
_NO_HOLDOUT = "no holdout given: no reference figure (pass holdout= real rows not used to fit)"
#: what the reference figure of every fidelity metric is
_REFERENCE = "the holdout in the synthetic table's place, measured the same way"


# declared once: name, label, one-line hint; higher is better for SDMetrics' scores, lower for
# the differences
QUALITY_SCORE, COLUMN_SHAPES, COLUMN_PAIR_TRENDS = (
    MetricSpec(name, label, hint, "higher", _REFERENCE) for name, label, hint in (
        ("quality_score", "Quality score (SDMetrics)", "average of column shapes and pair trends"),
        ("column_shapes", "Column shapes", "1 = every column's distribution matches"),
        ("column_pair_trends", "Column pair trends", "1 = every pairwise relation matches")))
KS_CHI2_TESTS, MMD_TEST, CORRELATION_DIFFERENCE, MEAN_STD_COMPARISON, CUMSUM_COMPARISON = (
    MetricSpec(name, label, hint, "lower", _REFERENCE) for name, label, hint in (
        ("ks_chi2_tests", "Per-column two-sample tests", "columns that differ significantly"),
        ("mmd_test", "MMD two-sample test", "whole-table difference, permutation p-value"),
        ("correlation_difference", "Correlation difference",
         "largest |real − synthetic| correlation"),
        ("mean_std_comparison", "Mean / std comparison", "agreement of column means and spreads"),
        ("cumsum_comparison", "Cumulative-sum comparison", "distance between cumulative sums")))


# ---- SDMetrics QualityReport ------------------------------------------------------------------
def quality_report(real: pd.DataFrame, synthetic: pd.DataFrame,
                   metadata: dict[str, Any], seed: int | None = None) -> dict[str, Any]:
    """Run SDMetrics' single-table QualityReport and return its figures as plain data.

    Tables wider than :data:`~causalsynth.evaluate._pair_trends.WIDE_COLUMNS` columns take
    :func:`~causalsynth.evaluate._pair_trends.wide_quality_report`: the same figures with
    the numerical pairs scored at once (SDMetrics scores 19,900 pairs of 200 columns one at a
    time, for minutes); there pairs with labels beyond a cap are sampled with ``seed``, and
    the result's ``cap`` says so (None otherwise).

    Parameters
    ----------
    real, synthetic : DataFrame
        Passed to SDMetrics as they are.
    metadata : dict
        SDMetrics single-table metadata (``{"columns": {...}}``).

    Returns
    -------
    dict with ``score``, ``column_shapes``, ``column_pair_trends`` (floats) and the two detail
    frames ``shapes_details``, ``pairs_details`` (SDMetrics' columns in snake_case).

    Examples
    --------
    >>> from sdmetrics.demos import load_single_table_demo
    >>> real, syn, meta = load_single_table_demo()
    >>> q = quality_report(real["student_placements"], syn["student_placements"],
    ...                    meta["tables"]["student_placements"])
    >>> round(q["score"], 4)
    0.7767
    """
    if len(metadata["columns"]) > WIDE_COLUMNS:
        with quiet():
            return wide_quality_report(real, synthetic, metadata,
                                       seed=0 if seed is None else seed)
    with quiet():  # the single-table report is deprecated for a multi-table one; same numbers
        from sdmetrics.reports.single_table import QualityReport

        report = QualityReport()
        report.generate(real, synthetic, metadata, verbose=False)
        props = report.get_properties().set_index("Property")["Score"]
        shapes = report.get_details("Column Shapes")
        pairs = report.get_details("Column Pair Trends")
    snake = lambda df: df.rename(columns=lambda c: c.lower().replace(" ", "_").rstrip("?"))  # noqa: E731
    return {
        "score": float(report.get_score()),
        "column_shapes": float(props["Column Shapes"]),
        "column_pair_trends": float(props["Column Pair Trends"]),
        "shapes_details": snake(shapes.copy()),
        "pairs_details": snake(pairs.copy()),
        "cap": None,
    }


@measures(QUALITY_SCORE, COLUMN_SHAPES, COLUMN_PAIR_TRENDS)
def quality(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
            dag: DAG | None = None, rng=None,
            holdout: pd.DataFrame | None = None) -> list[MetricResult]:
    """SDMetrics' quality score and its two properties, with the holdout's scores as reference.

    Returns three results: ``quality_score`` (overall, 0..1), ``column_shapes`` (breakdown per
    column) and ``column_pair_trends`` (breakdown per pair). Higher is better.
    """
    t = prepare(real, synthetic, dag, holdout)
    meta = sdmetrics_metadata(t.dag)
    # wide tables: the pairs with labels beyond a cap are sampled (the same pairs for both)
    seed = child_seed(as_generator(rng)) if len(meta["columns"]) > WIDE_COLUMNS else None
    q = quality_report(t.plain("real"), t.plain("synthetic"), meta, seed)
    ref = None
    if t.holdout is not None:
        ref = quality_report(t.plain("real"), t.plain("holdout"), meta, seed)
    details = {"source": "sdmetrics.reports.single_table.QualityReport",
               "metadata": meta["columns"]}
    if q["cap"] is not None:
        details["cap"] = q["cap"]
    if len(meta["columns"]) > WIDE_COLUMNS:
        details["source"] = ("SDMetrics' ColumnShapes and ColumnPairTrends with "
                             "QualityReport's settings; numerical pairs' CorrelationSimilarity "
                             "computed at once (same figures)")
    if ref is None:
        details["reference_note"] = _NO_HOLDOUT
    shapes = q["shapes_details"]
    pairs = q["pairs_details"]
    if ref is not None:
        shapes = shapes.assign(reference_score=ref["shapes_details"]["score"].to_numpy())
        pairs = pairs.assign(reference_score=ref["pairs_details"]["score"].to_numpy())
    get = lambda key: None if ref is None else ref[key]  # noqa: E731
    return [
        QUALITY_SCORE.result(q["score"], get("score"),
                             pd.DataFrame({"property": ["Column Shapes", "Column Pair Trends"],
                                           "score": [q["column_shapes"],
                                                     q["column_pair_trends"]],
                                           "reference_score": [get("column_shapes"),
                                                               get("column_pair_trends")]}),
                             details),
        COLUMN_SHAPES.result(q["column_shapes"], get("column_shapes"), shapes,
                             {**details, "histograms": column_histograms(t.real, t.synthetic,
                                                                         t.dag)}),
        COLUMN_PAIR_TRENDS.result(q["column_pair_trends"], get("column_pair_trends"), pairs,
                                  details),
    ]


@measures(KS_CHI2_TESTS)
def ks_chi2_tests(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                  dag: DAG | None = None, rng=None, holdout: pd.DataFrame | None = None,
                  alpha: float = ALPHA) -> MetricResult:
    """Do real and synthetic differ significantly, column by column?

    Kolmogorov-Smirnov for continuous and count columns, chi-square on the 2 x K table of
    counts for categorical and binary columns; p-values corrected for the number of columns
    with Holm (the decision, ``differs``) and Benjamini-Hochberg (``p_bh``, reported). The
    effect size (KS statistic, Cramér's V) is reported beside each p-value, and ``material``
    flags effects above 0.1: at tens of thousands of rows negligible differences are
    significant.

    ``value`` is the share of columns that differ (Holm, level ``alpha``); lower is better.
    """
    t = prepare(real, synthetic, dag, holdout)
    table = column_tests(t.real, t.synthetic, t.dag, alpha)
    details: dict[str, Any] = {
        "alpha": alpha, "correction": "holm (decision); benjamini-hochberg reported",
        "n_columns": len(table), "n_differ": int(table["differs"].sum()),
        "n_material": int(table["material"].sum()), "effect_threshold": EFFECT_THRESHOLD,
        "columns_differ": table.loc[table["differs"], "column"].tolist(),
    }
    reference = None
    if t.holdout is not None:
        ref = column_tests(t.real, t.holdout, t.dag, alpha)
        reference = float(ref["differs"].mean())
        table["reference_p_holm"] = ref["p_holm"].to_numpy()
        table["reference_effect"] = ref["effect"].to_numpy()
    else:
        details["reference_note"] = _NO_HOLDOUT
    return KS_CHI2_TESTS.result(float(table["differs"].mean()), reference, table, details)


@measures(MMD_TEST)
def mmd_test(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
             dag: DAG | None = None, rng=None, holdout: pd.DataFrame | None = None,
             n_rows: int = MMD_ROWS, n_permutations: int = MMD_PERMUTATIONS,
             alpha: float = ALPHA) -> MetricResult:
    """Maximum mean discrepancy two-sample test on the whole table.

    Rows are encoded with numeric columns robust-scaled (median, IQR of real) and labels one-hot;
    RBF kernel with the median pairwise distance as bandwidth; biased (V-statistic) MMD²;
    p-value from ``n_permutations`` label permutations. Each table is subsampled to ``n_rows``
    rows (without replacement) so the kernel matrix stays small; the p-value refers to that
    subsample size. ``value`` is MMD² (lower is better).

    References
    ----------
    Gretton et al. (2012), A kernel two-sample test. JMLR 13.
    """
    rng = as_generator(rng)
    t = prepare(real, synthetic, dag, holdout)

    def sub(name: str) -> np.ndarray:  # n_rows rows drawn without replacement, in table order
        x = t.encoded(name)
        return x[np.sort(rng.permutation(len(x))[:n_rows])]

    x = sub("real")
    res = mmd_permutation(x, sub("synthetic"), rng, n_permutations)
    details: dict[str, Any] = {**res, "alpha": alpha, "differs": res["p_value"] < alpha,
                               "rows_per_table": int(min(n_rows, len(t.real),
                                                         len(t.synthetic))),
                               "n_permutations": n_permutations, "kernel": "rbf",
                               "bandwidth_rule": "median pairwise distance (pooled)"}
    reference = None
    rows = [{"table": "synthetic", **res}]
    if t.holdout is not None:
        ref = mmd_permutation(x, sub("holdout"), rng, n_permutations)
        reference = ref["mmd2"]
        details["reference_p_value"] = ref["p_value"]
        rows.append({"table": "holdout", **ref})
    else:
        details["reference_note"] = _NO_HOLDOUT
    return MMD_TEST.result(res["mmd2"], reference, pd.DataFrame(rows), details)


@measures(CORRELATION_DIFFERENCE)
def correlation_difference(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                           dag: DAG | None = None, rng=None,
                           holdout: pd.DataFrame | None = None) -> MetricResult:
    """Difference between the association matrices of real and synthetic.

    Pearson correlation between numeric and binary columns, the correlation ratio (eta)
    between a categorical and a numeric column, Cramér's V between categorical columns.
    ``value`` is the mean absolute difference over all pairs (lower is better); the breakdown
    is the long form of the difference matrix (one row per pair).
    """
    t = prepare(real, synthetic, dag, holdout)
    r = associations(t.real, t.dag)
    s = associations(t.synthetic, t.dag)
    table = r.rename(columns={"value": "real"}).assign(synthetic=s["value"].to_numpy())
    table["abs_diff"] = (table["synthetic"] - table["real"]).abs()
    details: dict[str, Any] = {
        "max_abs_diff": float(table["abs_diff"].max()) if len(table) else 0.0,
        "n_pairs": len(table)}
    reference = None
    if t.holdout is not None:
        h = associations(t.holdout, t.dag)
        table["holdout"] = h["value"].to_numpy()
        table["reference_abs_diff"] = (table["holdout"] - table["real"]).abs()
        reference = float(table["reference_abs_diff"].mean()) if len(table) else 0.0
    else:
        details["reference_note"] = _NO_HOLDOUT
    value = float(table["abs_diff"].mean()) if len(table) else 0.0
    return CORRELATION_DIFFERENCE.result(value, reference, table, details)


@measures(MEAN_STD_COMPARISON)
def mean_std_comparison(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                        dag: DAG | None = None, rng=None,
                        holdout: pd.DataFrame | None = None) -> MetricResult:
    """Means and standard deviations of every numeric and binary column (table-evaluator style).

    Per column: the standardised mean difference (synthetic minus real mean, in real standard
    deviations) and the log ratio of standard deviations. ``value`` is the mean absolute
    standardised mean difference (lower is better); ``details`` also give the mean absolute log
    std ratio and table-evaluator's basic-statistics Spearman correlation.
    """
    t = prepare(real, synthetic, dag, holdout)
    table = moments(t.real, t.synthetic, t.dag)
    cols = table["column"].tolist() if len(table) else []
    details: dict[str, Any] = {
        "mean_abs_log_std_ratio": float(table["log_std_ratio"].abs().mean()) if cols else None,
        "basic_stats_spearman": basic_stats_spearman(t.real, t.synthetic, cols)}
    if not cols:
        return MEAN_STD_COMPARISON.result(None, None, table,
                                          {**details, "note": "no numeric or binary columns"})
    reference = None
    if t.holdout is not None:
        ref = moments(t.real, t.holdout, t.dag)
        table["reference_std_mean_diff"] = ref["std_mean_diff"].to_numpy()
        table["reference_log_std_ratio"] = ref["log_std_ratio"].to_numpy()
        reference = float(ref["std_mean_diff"].abs().mean())
        details["reference_basic_stats_spearman"] = basic_stats_spearman(t.real, t.holdout, cols)
    else:
        details["reference_note"] = _NO_HOLDOUT
    return MEAN_STD_COMPARISON.result(float(table["std_mean_diff"].abs().mean()), reference,
                                      table, details)


@measures(CUMSUM_COMPARISON)
def cumsum_comparison(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                      dag: DAG | None = None, rng=None,
                      holdout: pd.DataFrame | None = None) -> MetricResult:
    """Cumulative distributions of each column, compared (table-evaluator's cumsum plots).

    Numeric and binary columns: the empirical CDFs; ``max_gap`` is their largest vertical gap,
    ``area`` the area between them divided by the real range (Wasserstein-1 in range units).
    Categorical columns: cumulative shares in the declared category order; ``area`` is the mean
    gap. ``value`` is the mean ``area`` over columns (lower is better).
    """
    t = prepare(real, synthetic, dag, holdout)
    table = cumsum_table(t.real, t.synthetic, t.dag)
    details: dict[str, Any] = {"max_gap": float(table["max_gap"].max())}
    reference = None
    if t.holdout is not None:
        ref = cumsum_table(t.real, t.holdout, t.dag)
        table["reference_max_gap"] = ref["max_gap"].to_numpy()
        table["reference_area"] = ref["area"].to_numpy()
        reference = float(ref["area"].mean())
    else:
        details["reference_note"] = _NO_HOLDOUT
    return CUMSUM_COMPARISON.result(float(table["area"].mean()), reference, table, details)


TEMPORAL = MetricSpec(
    "temporal_acf_diff", "Autocorrelation (lags 1-4)",
    "largest |real - synthetic| autocorrelation of a column at lags 1-4, within each series "
    "(details: spend-outcome cross-correlation, seasonal share, zero-spend runs)", "lower",
    _REFERENCE)


@measures(TEMPORAL)
def temporal(real, synthetic=None, dag=None, rng=None, holdout=None) -> MetricResult:
    """Time-indexed DAGs: does the synthetic table keep the series' time structure?

    :func:`causalsynth.evaluate.temporal.temporal_fidelity` on (real, synthetic) and, as the
    reference, on (real, holdout): one series of 156 weeks differs from a fresh one by about
    0.27 at its worst column and lag, so the reference says what sampling noise alone gives.
    """
    from causalsynth.evaluate.temporal import temporal_fidelity

    t = prepare(real, synthetic, dag, holdout)
    out = temporal_fidelity(t.real, t.synthetic, t.dag, t.periods[:2])
    reference, details = None, {k: out[k] for k in ("headline", "cross_correlation",
                                                    "seasonal", "zero_runs")}
    if t.holdout is not None:
        ref = temporal_fidelity(t.real, t.holdout, t.dag, (t.periods[0], t.periods[2]))
        reference = ref["headline"]["max_abs_acf_diff_lags_1_4"]
    else:
        details["reference_note"] = _NO_HOLDOUT
    return TEMPORAL.result(out["headline"]["max_abs_acf_diff_lags_1_4"], reference,
                           pd.DataFrame(out["autocorrelation"]), details)


METRICS = [quality, ks_chi2_tests, mmd_test, correlation_difference, mean_std_comparison,
           cumsum_comparison]


def evaluate_fidelity(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                      dag: DAG | None = None, holdout: pd.DataFrame | None = None,
                      seed=None) -> dict[str, MetricResult]:
    """Every fidelity metric; a failing metric is recorded with its error.

    Parameters
    ----------
    real : DataFrame or Tables
        The real (training) table (not modified), or the tables prepared once by ``validate``
        (then give nothing else but the seed).
    synthetic : DataFrame
    dag : DAG
    holdout : DataFrame, optional
        Real rows the synthesizer did not see: each figure's ``reference``.
    seed : int or Generator, optional

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> res = evaluate_fidelity(dag.simulate(300, seed=1), dag.simulate(300, seed=2), dag,
    ...                         holdout=dag.simulate(300, seed=3), seed=0)
    >>> 0.8 < res["quality_score"].value <= 1
    True
    """
    tables = prepare(real, synthetic, dag, holdout)
    extra = [temporal] if tables.dag.time is not None else []  # time-indexed DAGs only
    return evaluate(METRICS + extra, tables, seed=seed)
