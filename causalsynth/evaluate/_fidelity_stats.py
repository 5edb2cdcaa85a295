"""The statistics behind the fidelity metrics: two-sample tests per column with multiple-testing
corrections, the MMD permutation test, association measures, moments and cumulative
distributions. Each compares a real table with another (synthetic or holdout) of one DAG.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from causalsynth.dag import DAG

__all__ = [
    "EFFECT_THRESHOLD",
    "associations",
    "basic_stats_spearman",
    "benjamini_hochberg",
    "column_tests",
    "cumsum_table",
    "holm",
    "mmd_permutation",
    "moments",
]

EFFECT_THRESHOLD = 0.1  # KS statistic or Cramér's V above which a difference is material


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


def column_tests(real: pd.DataFrame, other: pd.DataFrame, dag: DAG, alpha: float) -> pd.DataFrame:
    rows = [{"column": c, "type": dag.node_type(c), **_column_test(real[c], other[c],
                                                                   dag.node_type(c))}
            for c in dag.nodes]
    df = pd.DataFrame(rows)
    df["p_holm"] = holm(df["p_value"].to_numpy())
    df["p_bh"] = benjamini_hochberg(df["p_value"].to_numpy())
    df["differs"] = df["p_holm"] < alpha
    df["material"] = df["effect"] > EFFECT_THRESHOLD
    return df


def mmd_permutation(x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
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


def _pearson_matrix(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Pearson correlations of every pair of ``columns`` at once (0 where one is constant)."""
    x = df[columns].to_numpy(dtype=float)
    x = x - x.mean(axis=0)
    norm = np.linalg.norm(x, axis=0)
    flat = x.std(axis=0) == 0
    x = x / np.where(flat, 1.0, norm)
    r = np.clip(x.T @ x, -1.0, 1.0)
    r[flat, :] = 0.0
    r[:, flat] = 0.0
    return r


def associations(df: pd.DataFrame, dag: DAG) -> pd.DataFrame:
    """One row per pair of nodes: Pearson (numbers and booleans, all pairs at once), the
    correlation ratio (a label and a number) or Cramér's V (two labels)."""
    nodes = dag.nodes
    numeric = [n for n in nodes if dag.node_type(n) != "categorical"]
    where = {n: k for k, n in enumerate(numeric)}
    pearson = _pearson_matrix(df, numeric) if numeric else None
    rows = []
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            if a in where and b in where:
                value, measure = float(pearson[where[a], where[b]]), "pearson"
            else:
                value, measure = _association(df, a, b, dag)
            rows.append({"column_a": a, "column_b": b, "measure": measure, "value": value})
    return pd.DataFrame(rows, columns=["column_a", "column_b", "measure", "value"])


def moments(real: pd.DataFrame, other: pd.DataFrame, dag: DAG) -> pd.DataFrame:
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


def basic_stats_spearman(real: pd.DataFrame, other: pd.DataFrame, cols: list[str]) -> float | None:
    # table-evaluator's "basic statistics" score: Spearman correlation between the describe()
    # figures (mean, std, min, quartiles, max) of all numeric columns in both tables
    if not cols:
        return None
    keep = ["mean", "std", "min", "25%", "50%", "75%", "max"]
    a = real[cols].astype(float).describe().loc[keep].to_numpy().ravel()
    b = other[cols].astype(float).describe().loc[keep].to_numpy().ravel()
    return float(stats.spearmanr(a, b).statistic)


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


def cumsum_table(real: pd.DataFrame, other: pd.DataFrame, dag: DAG) -> pd.DataFrame:
    rows = []
    for c in dag.nodes:
        kind = dag.node_type(c)
        cats = list(dag.node(c).categories) if kind == "categorical" else None
        max_gap, area = _cumsum_gap(real[c], other[c], kind, cats)
        rows.append({"column": c, "type": kind, "max_gap": max_gap, "area": area})
    return pd.DataFrame(rows)
