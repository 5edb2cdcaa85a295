"""Fidelity: does the synthetic table look like the real one, column by column and in pairs?

Each metric is a plain function ``metric(real, synthetic, dag, rng, holdout=None)`` returning
one :class:`~causalsynth.evaluate.metric.MetricResult` (or a list). With a holdout table (real
rows the synthesizer did not see), every figure is also computed for the holdout in place of the
synthetic table (``reference``): what an independent real sample scores.

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

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from causalsynth._random import as_generator
from causalsynth.dag import DAG
from causalsynth.evaluate._tabular import MixedEncoder, typed_tables
from causalsynth.evaluate.metric import MetricResult, run_metrics

__all__ = [
    "METRICS",
    "benjamini_hochberg",
    "correlation_difference",
    "cumsum_comparison",
    "evaluate_fidelity",
    "holm",
    "ks_chi2_tests",
    "mean_std_comparison",
    "mmd_test",
    "quality",
    "quality_report",
    "sdmetrics_metadata",
]

ALPHA = 0.05
EFFECT_THRESHOLD = 0.1  # KS statistic or Cramér's V above which a difference is material
MMD_ROWS = 1000  # rows per table in the MMD test (the kernel matrix is (2 x rows)^2)
MMD_PERMUTATIONS = 200
_NO_HOLDOUT = "no holdout given: no reference figure (pass holdout= real rows not used to fit)"


# ---- SDMetrics QualityReport ------------------------------------------------------------------
def sdmetrics_metadata(dag: DAG) -> dict[str, Any]:
    """SDMetrics single-table metadata from the DAG's node types.

    continuous -> numerical (Float), count -> numerical (Int64), binary -> boolean,
    categorical -> categorical.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> sdmetrics_metadata(load_dag("acquisition"))["columns"]["revenue"]
    {'sdtype': 'numerical', 'computer_representation': 'Float'}
    """
    columns: dict[str, dict[str, str]] = {}
    for n in dag.nodes:
        kind = dag.node_type(n)
        if kind == "continuous":
            columns[n] = {"sdtype": "numerical", "computer_representation": "Float"}
        elif kind == "count":
            columns[n] = {"sdtype": "numerical", "computer_representation": "Int64"}
        elif kind == "binary":
            columns[n] = {"sdtype": "boolean"}
        else:
            columns[n] = {"sdtype": "categorical"}
    return {"columns": columns}


def _for_sdmetrics(frame: pd.DataFrame) -> pd.DataFrame:
    # SDMetrics expects plain object labels, not pandas Categoricals
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object)
    return out


def quality_report(real: pd.DataFrame, synthetic: pd.DataFrame,
                   metadata: dict[str, Any]) -> dict[str, Any]:
    """Run SDMetrics' single-table QualityReport and return its figures as plain data.

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
    with warnings.catch_warnings():
        # the single-table report is deprecated in favour of a multi-table one; same numbers
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
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
    }


def quality(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
            holdout: pd.DataFrame | None = None) -> list[MetricResult]:
    """SDMetrics' quality score and its two properties, with the holdout's scores as reference.

    Returns three results: ``quality_score`` (overall, 0..1), ``column_shapes`` (breakdown per
    column) and ``column_pair_trends`` (breakdown per pair). Higher is better.
    """
    t = typed_tables(dag, real=real, synthetic=synthetic, holdout=holdout)
    meta = sdmetrics_metadata(dag)
    q = quality_report(_for_sdmetrics(t["real"]), _for_sdmetrics(t["synthetic"]), meta)
    ref = None
    if t["holdout"] is not None:
        ref = quality_report(_for_sdmetrics(t["real"]), _for_sdmetrics(t["holdout"]), meta)
    details = {"source": "sdmetrics.reports.single_table.QualityReport",
               "metadata": meta["columns"]}
    if ref is None:
        details["reference_note"] = _NO_HOLDOUT
    shapes = q["shapes_details"]
    pairs = q["pairs_details"]
    if ref is not None:
        shapes = shapes.assign(reference_score=ref["shapes_details"]["score"].to_numpy())
        pairs = pairs.assign(reference_score=ref["pairs_details"]["score"].to_numpy())
    get = lambda key: None if ref is None else ref[key]  # noqa: E731
    return [
        MetricResult("quality_score", q["score"], "higher", get("score"),
                     pd.DataFrame({"property": ["Column Shapes", "Column Pair Trends"],
                                   "score": [q["column_shapes"], q["column_pair_trends"]],
                                   "reference_score": [get("column_shapes"),
                                                       get("column_pair_trends")]}),
                     dict(details)),
        MetricResult("column_shapes", q["column_shapes"], "higher", get("column_shapes"),
                     shapes, {**details, "histograms": column_histograms(
                         t["real"], t["synthetic"], dag)}),
        MetricResult("column_pair_trends", q["column_pair_trends"], "higher",
                     get("column_pair_trends"), pairs, dict(details)),
    ]


quality.metric_name = "quality_score"

_HIST_BINS = 20
#: below this many real rows, histogram edges follow the coarse rule of ``_small_table_edges``
_SMALL_TABLE = 1000
#: no edge of a small table lies closer than this share of the real range to its min or max
_EDGE_MARGIN = 0.05


def _round_edges(edges: np.ndarray) -> np.ndarray:
    """Edges rounded to 3 significant digits (aggregates, not real extremes), kept increasing."""
    scale = np.max(np.abs(edges[np.isfinite(edges)])) if np.isfinite(edges).any() else 1.0
    digits = 2 - int(np.floor(np.log10(scale))) if scale > 0 else 0
    rounded = np.unique(np.round(edges, digits))
    return rounded if len(rounded) >= 2 else np.array([edges[0], edges[0] + 1.0])


def _nice_step(width: float, up: bool = True) -> float:
    """1, 2 or 5 times a power of ten: the smallest >= ``width`` (or the largest <= it)."""
    if not np.isfinite(width) or width <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(width))
    steps = [m * power for m in (1.0, 2.0, 5.0, 10.0)]
    return min(s for s in steps if s >= width) if up else max(s for s in steps if s <= width)


def _multiples(lo: float, hi: float, step: float) -> np.ndarray:
    """The multiples of ``step`` in [lo, hi], without float noise (0.30000000000000004)."""
    digits = max(0, -int(np.floor(np.log10(step)))) + 1
    ks = np.arange(np.ceil(lo / step), np.floor(hi / step) + 1)
    return np.unique(np.round(ks * step, digits))


def _small_table_edges(real: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """Histogram edges for a small real table that do not pin its minimum or maximum.

    The rule: edges are the multiples of a round step (1, 2 or 5 times a power of ten, the
    finest giving at most 8 bins between the pooled 10th and 90th percentiles) that lie
    between those percentiles; an edge closer than 5 % of the real range to the real minimum
    or maximum is dropped. Values beyond the outer edges are counted in the outer bins, which
    are therefore open-ended: the plot's outer edges are round numbers inside the data, never
    the extremes. When fewer than two edges survive, the two edges are the points at one and
    two thirds of the real range rounded to a step of at most 1/20 of it (at most 1/40 off,
    so still more than 5 % inside).
    """
    lo_r, hi_r = float(real.min()), float(real.max())
    span = hi_r - lo_r
    if span <= 0:  # a constant real column: one coarse bin around its order of magnitude
        step = _nice_step(abs(lo_r) or 1.0, up=False)
        base = np.floor(lo_r / step) * step
        return np.array([base - step, base + 2 * step])
    q_lo, q_hi = np.quantile(pooled, [0.1, 0.9])
    edges = np.array([])
    if q_hi > q_lo:
        edges = _multiples(q_lo, q_hi, _nice_step((q_hi - q_lo) / 8))
    margin = _EDGE_MARGIN * span
    edges = edges[(edges > lo_r + margin) & (edges < hi_r - margin)]
    if len(edges) >= 2:
        return edges
    step = _nice_step(span / 20, up=False)
    thirds = np.round(np.array([lo_r + span / 3, lo_r + 2 * span / 3]) / step) * step
    return np.round(thirds, max(0, -int(np.floor(np.log10(step)))) + 1)


def column_histograms(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG
                      ) -> dict[str, dict[str, Any]]:
    """Per-column histogram counts of both tables, for the report's distribution plots.

    Numeric columns: values beyond the outer edges are counted in the outer bins (open-ended
    bins), so neither a real row nor a real extreme is embedded in the edges. From 1,000 real
    rows: 20 bins between the pooled 1st and 99th percentiles, edges rounded to three
    significant digits (each percentile is an aggregate of at least ten rows). Below 1,000
    real rows the percentiles sit next to single rows, so edges follow the coarser rule of
    :func:`_small_table_edges`: round multiples between the pooled 10th and 90th percentiles,
    none within 5 % of the real range from the real minimum or maximum. Labels: counts per
    declared category.
    """
    out: dict[str, dict[str, Any]] = {}
    for col in dag.nodes:
        node = dag.node(col)
        if node.is_numeric:
            values = real[col].to_numpy(float)
            pooled = np.concatenate([values, synthetic[col].to_numpy(float)])
            if len(values) < _SMALL_TABLE:
                edges = _small_table_edges(values, pooled)
            else:
                lo, hi = np.quantile(pooled, [0.01, 0.99])
                edges = _round_edges(np.linspace(lo, hi if hi > lo else lo + 1.0,
                                                 _HIST_BINS + 1))
            counts = [np.histogram(np.clip(t[col].to_numpy(float), edges[0], edges[-1]),
                                   bins=edges)[0].tolist() for t in (real, synthetic)]
            out[col] = {"bins": edges.tolist(), "real": counts[0], "synthetic": counts[1]}
        else:
            labels = [str(c) for c in (node.categories or (0, 1))]
            counts = [t[col].astype(str).value_counts().reindex(labels, fill_value=0).tolist()
                      for t in (real, synthetic)]
            out[col] = {"categories": labels, "real": counts[0], "synthetic": counts[1]}
    return out


# ---- two-sample tests per column ---------------------------------------------------------------
def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error control)."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order]).clip(max=1.0)
    out = np.empty(m)
    out[order] = adj
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate control)."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)[::-1]
    adj = np.minimum.accumulate(p[order] * m / (m - np.arange(m))).clip(max=1.0)
    out = np.empty(m)
    out[order] = adj
    return out


def _column_test(a: pd.Series, b: pd.Series, kind: str) -> dict[str, Any]:
    if kind in ("continuous", "count"):
        with warnings.catch_warnings():  # "exact calculation unsuccessful": asymptotic p
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ks_2samp(a.to_numpy(dtype=float), b.to_numpy(dtype=float))
        return {"test": "kolmogorov_smirnov", "statistic": float(res.statistic),
                "p_value": float(res.pvalue), "effect": float(res.statistic),
                "effect_measure": "ks_statistic"}
    labels = pd.Index(pd.concat([a.astype(object), b.astype(object)]).unique())
    table = np.array([a.astype(object).value_counts().reindex(labels, fill_value=0).to_numpy(),
                      b.astype(object).value_counts().reindex(labels, fill_value=0).to_numpy()])
    if table.shape[1] < 2:
        return {"test": "chi_square", "statistic": 0.0, "p_value": 1.0, "effect": 0.0,
                "effect_measure": "cramers_v"}
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    v = float(np.sqrt(chi2 / table.sum()))  # 2 x K table: min(r, c) - 1 = 1
    return {"test": "chi_square", "statistic": float(chi2), "p_value": float(p), "effect": v,
            "effect_measure": "cramers_v"}


def _tests_table(real: pd.DataFrame, other: pd.DataFrame, dag: DAG, alpha: float) -> pd.DataFrame:
    rows = [{"column": c, "type": dag.node_type(c), **_column_test(real[c], other[c],
                                                                   dag.node_type(c))}
            for c in dag.nodes]
    df = pd.DataFrame(rows)
    df["p_holm"] = holm(df["p_value"].to_numpy())
    df["p_bh"] = benjamini_hochberg(df["p_value"].to_numpy())
    df["differs"] = df["p_holm"] < alpha
    df["material"] = df["effect"] > EFFECT_THRESHOLD
    return df


def ks_chi2_tests(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
                  holdout: pd.DataFrame | None = None, alpha: float = ALPHA) -> MetricResult:
    """Do real and synthetic differ significantly, column by column?

    Kolmogorov-Smirnov for continuous and count columns, chi-square on the 2 x K table of
    counts for categorical and binary columns; p-values corrected for the number of columns
    with Holm (the decision, ``differs``) and Benjamini-Hochberg (``p_bh``, reported). The
    effect size (KS statistic, Cramér's V) is reported beside each p-value, and ``material``
    flags effects above 0.1: at tens of thousands of rows negligible differences are
    significant.

    ``value`` is the share of columns that differ (Holm, level ``alpha``); lower is better.
    """
    t = typed_tables(dag, real=real, synthetic=synthetic, holdout=holdout)
    table = _tests_table(t["real"], t["synthetic"], dag, alpha)
    details: dict[str, Any] = {
        "alpha": alpha, "correction": "holm (decision); benjamini-hochberg reported",
        "n_columns": len(table), "n_differ": int(table["differs"].sum()),
        "n_material": int(table["material"].sum()), "effect_threshold": EFFECT_THRESHOLD,
        "columns_differ": table.loc[table["differs"], "column"].tolist(),
    }
    reference = None
    if t["holdout"] is not None:
        ref = _tests_table(t["real"], t["holdout"], dag, alpha)
        reference = float(ref["differs"].mean())
        table["reference_p_holm"] = ref["p_holm"].to_numpy()
        table["reference_effect"] = ref["effect"].to_numpy()
    else:
        details["reference_note"] = _NO_HOLDOUT
    return MetricResult("ks_chi2_tests", float(table["differs"].mean()), "lower", reference,
                        table, details)


# ---- MMD ---------------------------------------------------------------------------------------
def _mmd_permutation(x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                     n_perm: int) -> dict[str, float]:
    z = np.vstack([x, y])
    sq = np.sum(z * z, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * z @ z.T, 0.0)
    off = d2[np.triu_indices(len(z), k=1)]
    bandwidth = float(np.sqrt(np.median(off))) or 1.0  # median heuristic
    kernel = np.exp(-d2 / (2.0 * bandwidth**2))
    nx, ny = len(x), len(y)
    weights = np.concatenate([np.full(nx, 1.0 / nx), np.full(ny, -1.0 / ny)])
    # every permutation at once: the statistic is w' K w for a permuted weight vector
    perms = np.stack([weights] + [rng.permutation(weights) for _ in range(n_perm)], axis=1)
    stat_all = np.sum(perms * (kernel @ perms), axis=0)
    observed = float(stat_all[0])
    p = float((1 + np.sum(stat_all[1:] >= observed)) / (1 + n_perm))
    return {"mmd2": observed, "p_value": p, "bandwidth": bandwidth}


def mmd_test(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
             holdout: pd.DataFrame | None = None, n_rows: int = MMD_ROWS,
             n_permutations: int = MMD_PERMUTATIONS, alpha: float = ALPHA) -> MetricResult:
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
    t = typed_tables(dag, real=real, synthetic=synthetic, holdout=holdout)
    enc = MixedEncoder(dag).fit(t["real"])
    sub = lambda df: enc.transform(df.iloc[np.sort(rng.permutation(len(df))[:n_rows])])  # noqa: E731
    x = sub(t["real"])
    res = _mmd_permutation(x, sub(t["synthetic"]), rng, n_permutations)
    details: dict[str, Any] = {**res, "alpha": alpha, "differs": res["p_value"] < alpha,
                               "rows_per_table": int(min(n_rows, len(t["real"]),
                                                         len(t["synthetic"]))),
                               "n_permutations": n_permutations, "kernel": "rbf",
                               "bandwidth_rule": "median pairwise distance (pooled)"}
    reference = None
    rows = [{"table": "synthetic", **res}]
    if t["holdout"] is not None:
        ref = _mmd_permutation(x, sub(t["holdout"]), rng, n_permutations)
        reference = ref["mmd2"]
        details["reference_p_value"] = ref["p_value"]
        rows.append({"table": "holdout", **ref})
    else:
        details["reference_note"] = _NO_HOLDOUT
    return MetricResult("mmd_test", res["mmd2"], "lower", reference, pd.DataFrame(rows), details)


# ---- associations ------------------------------------------------------------------------------
def _cramers_v(a: pd.Series, b: pd.Series) -> float:
    table = pd.crosstab(a.astype(object), b.astype(object)).to_numpy()
    if min(table.shape) < 2:
        return 0.0
    chi2 = stats.chi2_contingency(table, correction=False)[0]
    return float(np.sqrt(chi2 / (table.sum() * (min(table.shape) - 1))))


def _correlation_ratio(labels: pd.Series, values: pd.Series) -> float:
    y = values.to_numpy(dtype=float)
    total = np.sum((y - y.mean()) ** 2)
    if total == 0:
        return 0.0
    groups = pd.Series(y).groupby(labels.astype(object).to_numpy())
    between = float((groups.count() * (groups.mean() - y.mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def _association(df: pd.DataFrame, a: str, b: str, dag: DAG) -> tuple[float, str]:
    cat_a = dag.node_type(a) == "categorical"
    cat_b = dag.node_type(b) == "categorical"
    if cat_a and cat_b:
        return _cramers_v(df[a], df[b]), "cramers_v"
    if cat_a or cat_b:
        lab, num = (a, b) if cat_a else (b, a)
        return _correlation_ratio(df[lab], df[num]), "correlation_ratio"
    x, y = df[a].to_numpy(dtype=float), df[b].to_numpy(dtype=float)
    if x.std() == 0 or y.std() == 0:
        return 0.0, "pearson"
    return float(np.corrcoef(x, y)[0, 1]), "pearson"


def _associations(df: pd.DataFrame, dag: DAG) -> pd.DataFrame:
    nodes = dag.nodes
    rows = []
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            value, measure = _association(df, a, b, dag)
            rows.append({"column_a": a, "column_b": b, "measure": measure, "value": value})
    return pd.DataFrame(rows, columns=["column_a", "column_b", "measure", "value"])


def correlation_difference(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
                           holdout: pd.DataFrame | None = None) -> MetricResult:
    """Difference between the association matrices of real and synthetic.

    Pearson correlation between numeric and binary columns, the correlation ratio (eta)
    between a categorical and a numeric column, Cramér's V between categorical columns.
    ``value`` is the mean absolute difference over all pairs (lower is better); the breakdown
    is the long form of the difference matrix (one row per pair).
    """
    t = typed_tables(dag, real=real, synthetic=synthetic, holdout=holdout)
    r = _associations(t["real"], dag)
    s = _associations(t["synthetic"], dag)
    table = r.rename(columns={"value": "real"}).assign(synthetic=s["value"].to_numpy())
    table["abs_diff"] = (table["synthetic"] - table["real"]).abs()
    details: dict[str, Any] = {
        "max_abs_diff": float(table["abs_diff"].max()) if len(table) else 0.0,
        "n_pairs": len(table)}
    reference = None
    if t["holdout"] is not None:
        h = _associations(t["holdout"], dag)
        table["holdout"] = h["value"].to_numpy()
        table["reference_abs_diff"] = (table["holdout"] - table["real"]).abs()
        reference = float(table["reference_abs_diff"].mean()) if len(table) else 0.0
    else:
        details["reference_note"] = _NO_HOLDOUT
    value = float(table["abs_diff"].mean()) if len(table) else 0.0
    return MetricResult("correlation_difference", value, "lower", reference, table, details)


# ---- table-evaluator style comparisons -----------------------------------------------------------
def _moments(real: pd.DataFrame, other: pd.DataFrame, dag: DAG) -> pd.DataFrame:
    rows = []
    for c in dag.nodes:
        if dag.node_type(c) == "categorical":
            continue
        x, y = real[c].to_numpy(dtype=float), other[c].to_numpy(dtype=float)
        sd = x.std(ddof=1) or 1.0
        sy = y.std(ddof=1)
        rows.append({"column": c, "real_mean": x.mean(), "synthetic_mean": y.mean(),
                     "real_std": x.std(ddof=1), "synthetic_std": sy,
                     "std_mean_diff": (y.mean() - x.mean()) / sd,
                     "log_std_ratio": float(np.log(sy / x.std(ddof=1)))
                     if sy > 0 and x.std(ddof=1) > 0 else np.nan})
    return pd.DataFrame(rows)


def _basic_stats_spearman(real: pd.DataFrame, other: pd.DataFrame, cols: list[str]) -> float | None:
    # table-evaluator's "basic statistics" score: Spearman correlation between the describe()
    # figures (mean, std, min, quartiles, max) of all numeric columns in both tables
    if not cols:
        return None
    keep = ["mean", "std", "min", "25%", "50%", "75%", "max"]
    a = real[cols].astype(float).describe().loc[keep].to_numpy().ravel()
    b = other[cols].astype(float).describe().loc[keep].to_numpy().ravel()
    return float(stats.spearmanr(a, b).statistic)


def mean_std_comparison(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
                        holdout: pd.DataFrame | None = None) -> MetricResult:
    """Means and standard deviations of every numeric and binary column (table-evaluator style).

    Per column: the standardised mean difference (synthetic minus real mean, in real standard
    deviations) and the log ratio of standard deviations. ``value`` is the mean absolute
    standardised mean difference (lower is better); ``details`` also give the mean absolute log
    std ratio and table-evaluator's basic-statistics Spearman correlation.
    """
    t = typed_tables(dag, real=real, synthetic=synthetic, holdout=holdout)
    table = _moments(t["real"], t["synthetic"], dag)
    cols = table["column"].tolist() if len(table) else []
    details: dict[str, Any] = {
        "mean_abs_log_std_ratio": float(table["log_std_ratio"].abs().mean()) if cols else None,
        "basic_stats_spearman": _basic_stats_spearman(t["real"], t["synthetic"], cols)}
    if not cols:
        return MetricResult("mean_std_comparison", None, "lower", None, table,
                            {**details, "note": "no numeric or binary columns"})
    reference = None
    if t["holdout"] is not None:
        ref = _moments(t["real"], t["holdout"], dag)
        table["reference_std_mean_diff"] = ref["std_mean_diff"].to_numpy()
        table["reference_log_std_ratio"] = ref["log_std_ratio"].to_numpy()
        reference = float(ref["std_mean_diff"].abs().mean())
        details["reference_basic_stats_spearman"] = _basic_stats_spearman(t["real"], t["holdout"],
                                                                          cols)
    else:
        details["reference_note"] = _NO_HOLDOUT
    return MetricResult("mean_std_comparison", float(table["std_mean_diff"].abs().mean()),
                        "lower", reference, table, details)


def _cumsum_gap(x: pd.Series, y: pd.Series, kind: str, categories) -> tuple[float, float]:
    if kind == "categorical":
        px = x.astype(object).value_counts(normalize=True).reindex(categories, fill_value=0.0)
        py = y.astype(object).value_counts(normalize=True).reindex(categories, fill_value=0.0)
        gap = np.abs(np.cumsum(px.to_numpy()) - np.cumsum(py.to_numpy()))[:-1]
        return (float(gap.max()) if len(gap) else 0.0), (float(gap.mean()) if len(gap) else 0.0)
    a, b = np.sort(x.to_numpy(dtype=float)), np.sort(y.to_numpy(dtype=float))
    grid = np.union1d(a, b)
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    gap = np.abs(fa - fb)
    span = a[-1] - a[0] or 1.0
    # area between the cumulative curves (Wasserstein-1), in units of the real range
    area = float(np.sum(gap[:-1] * np.diff(grid)) / span)
    return float(gap.max()), area


def _cumsum_table(real: pd.DataFrame, other: pd.DataFrame, dag: DAG) -> pd.DataFrame:
    rows = []
    for c in dag.nodes:
        kind = dag.node_type(c)
        cats = list(dag.node(c).categories) if kind == "categorical" else None
        max_gap, area = _cumsum_gap(real[c], other[c], kind, cats)
        rows.append({"column": c, "type": kind, "max_gap": max_gap, "area": area})
    return pd.DataFrame(rows)


def cumsum_comparison(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG, rng=None,
                      holdout: pd.DataFrame | None = None) -> MetricResult:
    """Cumulative distributions of each column, compared (table-evaluator's cumsum plots).

    Numeric and binary columns: the empirical CDFs; ``max_gap`` is their largest vertical gap,
    ``area`` the area between them divided by the real range (Wasserstein-1 in range units).
    Categorical columns: cumulative shares in the declared category order; ``area`` is the mean
    gap. ``value`` is the mean ``area`` over columns (lower is better).
    """
    t = typed_tables(dag, real=real, synthetic=synthetic, holdout=holdout)
    table = _cumsum_table(t["real"], t["synthetic"], dag)
    details: dict[str, Any] = {"max_gap": float(table["max_gap"].max())}
    reference = None
    if t["holdout"] is not None:
        ref = _cumsum_table(t["real"], t["holdout"], dag)
        table["reference_max_gap"] = ref["max_gap"].to_numpy()
        table["reference_area"] = ref["area"].to_numpy()
        reference = float(ref["area"].mean())
    else:
        details["reference_note"] = _NO_HOLDOUT
    return MetricResult("cumsum_comparison", float(table["area"].mean()), "lower", reference,
                        table, details)


METRICS = [quality, ks_chi2_tests, mmd_test, correlation_difference, mean_std_comparison,
           cumsum_comparison]


def evaluate_fidelity(real: pd.DataFrame, synthetic: pd.DataFrame, dag: DAG,
                      holdout: pd.DataFrame | None = None, seed=None) -> dict[str, MetricResult]:
    """Every fidelity metric; a failing metric is recorded with its error.

    Parameters
    ----------
    real, synthetic : DataFrame
        The real (training) table and the synthetic one; not modified.
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
    return run_metrics(METRICS, real, synthetic, dag, as_generator(seed), holdout=holdout)
