"""The rows of a causal comparison, from each table's estimates.

Each measured quantity — a node's ICI share, a pair of treatments' ICI gap, a treatment
effect (GCM and DML), an implied independence's effect size — becomes one row holding both
tables' figures, their intervals, bootstrap (or analytic) standard errors and degrees of
freedom, in the columns of
:data:`~causalsynth.evaluate.causal_comparison.COMPARISON_COLUMNS`. Measurements only: the
rows are judged by :mod:`causalsynth.evaluate.verdict`.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from causalsynth.dag import DAG
from causalsynth.evaluate.draws import Z95
from causalsynth.evaluate.independence import MAX_TEST_ROWS
from causalsynth.evaluate.influence import TableEstimates, percentile_interval

__all__ = ["dml_rows", "gcm_effect_rows", "ici_rows", "independence_rows", "ranking_pairs"]


def _sd(boot: np.ndarray, k: int) -> np.ndarray:
    return boot.std(axis=0, ddof=1) if len(boot) > 1 else np.zeros(k)


def _df(est: TableEstimates | None) -> float:
    """Degrees of freedom of a bootstrap standard error (inf when there is none)."""
    return float(len(est.boot_shares) - 1) if est is not None and len(est.boot_shares) > 1 \
        else np.inf


def ici_rows(est_r: TableEstimates, est_s: TableEstimates | None) -> pd.DataFrame:
    """One row per node: its ICI share on each table, percentile interval, bootstrap and
    Monte Carlo standard errors (the synthetic side NaN when it was not measured)."""
    k = len(est_r.players)
    r_lo, r_hi = percentile_interval(est_r.boot_shares, est_r.shares)
    if est_s is None:
        nan = np.full(k, np.nan)
        s_sh, s_lo, s_hi, sd_s, mc_s = nan, nan, nan, nan, nan
    else:
        s_sh = est_s.shares
        s_lo, s_hi = percentile_interval(est_s.boot_shares, est_s.shares)
        sd_s, mc_s = _sd(est_s.boot_shares, k), est_s.mc_se
    return pd.DataFrame({
        "node": est_r.players, "real_share": est_r.shares, "real_low": r_lo, "real_high": r_hi,
        "synthetic_share": s_sh, "synthetic_low": s_lo, "synthetic_high": s_hi,
        "se_real": _sd(est_r.boot_shares, k), "se_synthetic": sd_s,
        "mc_se_real": est_r.mc_se, "mc_se_synthetic": mc_s, "df": _df(est_r)})


def ranking_pairs(dag: DAG, est_r: TableEstimates, est_s: TableEstimates | None
                  ) -> pd.DataFrame:
    """ICI share gaps of every pair of treatments, with bootstrap standard errors."""
    idx = {n: i for i, n in enumerate(est_r.players)}
    treatments = [t for t in dag.treatments if t in idx]
    def gap(est: TableEstimates, i: int, j: int) -> tuple[float, float]:
        boot = est.boot_shares[:, i] - est.boot_shares[:, j]
        sd = float(np.std(boot, ddof=1)) if len(boot) > 1 else 0.0
        return float(est.shares[i] - est.shares[j]), sd

    rows = []
    for a, b in combinations(treatments, 2):
        g_r, sd_r = gap(est_r, idx[a], idx[b])
        g_s, sd_s = (np.nan, np.nan) if est_s is None else gap(est_s, idx[a], idx[b])
        rows.append({"a": a, "b": b, "real_gap": g_r, "synthetic_gap": g_s, "se_real": sd_r,
                     "se_synthetic": sd_s, "df": _df(est_r)})
    return pd.DataFrame(rows, columns=["a", "b", "real_gap", "synthetic_gap", "se_real",
                                       "se_synthetic", "df"])


def _effect_row(treatment, outcome, kind, method, real, r_lo, r_hi, se_r, syn, s_lo, s_hi,
                se_s, df, zero_share) -> dict:
    return {"treatment": treatment, "outcome": outcome, "kind": kind, "method": method,
            "real": real, "real_low": r_lo, "real_high": r_hi,
            "synthetic": syn, "synthetic_low": s_lo, "synthetic_high": s_hi,
            "se_real": se_r, "se_synthetic": se_s, "df": df, "zero_share": zero_share}


def _boot_summary(boot: list[dict], key, point: float) -> tuple[float, float, float]:
    values = np.array([b[key] for b in boot], float)
    (lo,), (hi,) = percentile_interval(values.reshape(-1, 1), np.array([point]))
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return float(lo), float(hi), sd


def gcm_effect_rows(est_r: TableEstimates, est_s: TableEstimates | None, target: str,
                    zeros: dict[str, float]) -> list[dict]:
    """One row per (treatment, kind) of the fitted GCM's interventional effects, with
    bootstrap intervals; ``zeros``: each treatment's share of exact zeros."""
    rows = []
    for key, real in est_r.effects.items():
        r_lo, r_hi, sd_r = _boot_summary(est_r.boot_effects, key, real)
        if est_s is None:
            syn, s_lo, s_hi, sd_s = np.nan, np.nan, np.nan, np.nan
        elif key in est_s.effects:
            syn = est_s.effects[key]
            s_lo, s_hi, sd_s = _boot_summary(est_s.boot_effects, key, syn)
        else:
            continue
        rows.append(_effect_row(key[0], target, key[1], "gcm", real, r_lo, r_hi, sd_r, syn,
                                s_lo, s_hi, sd_s, _df(est_r), zeros.get(key[0], 0.0)))
    return rows


def dml_rows(dml_r: list[dict], dml_s: list[dict], target: str, zeros: dict[str, float]
             ) -> list[dict]:
    """One row per (treatment, kind) of the DML effects, standard errors read from their
    95 % intervals."""
    syn = {(r["treatment"], r["kind"]): r for r in dml_s}
    rows = []
    for r in dml_r:
        s = syn.get((r["treatment"], r["kind"]), {})
        s_est = s.get("estimate", np.nan)
        s_lo, s_hi = s.get("low", np.nan), s.get("high", np.nan)
        rows.append(_effect_row(r["treatment"], target, r["kind"], "dml", r["estimate"],
                                r["low"], r["high"], (r["high"] - r["low"]) / (2 * Z95),
                                s_est, s_lo, s_hi, (s_hi - s_lo) / (2 * Z95), r["df"],
                                zeros.get(r["treatment"], 0.0)))
    return rows


def _given_columns(dag: DAG, given) -> int:
    """Columns of the residual test's basis: splines or indicators, plus their interactions."""
    p = sum(len(dag.node(g).categories or ()) - 1 if dag.node_type(g) == "categorical"
            else 1 if dag.node_type(g) == "binary" else 7 for g in given)
    return p + p * (p - 1) // 2 if len(given) > 1 else p


def _effect_se(effect: float, raw: float, n: int, basis: int) -> float:
    """Standard error of an independence effect size: that of its residual correlation,
    (1 - r^2) / sqrt(dof), times the weight the effect gives it (the share of both variables'
    spread the conditioning set leaves unexplained, ``effect / r``; delta method)."""
    dof = max(n - basis - 3, 3)
    weight = min(effect / raw, 1.0) if raw > 1e-12 and np.isfinite(effect) else 1.0
    return float(weight * (1 - min(raw, 0.999) ** 2) / np.sqrt(dof))


def independence_rows(dag: DAG, ind_r: pd.DataFrame, ind_s: pd.DataFrame | None,
                      n_real: int, n_syn: int) -> pd.DataFrame:
    """One row per implied independence: both tables' effect sizes, p-values and residual
    correlations, the effect sizes' standard errors, and whether the test has power."""
    rows = []
    syn = [None] * len(ind_r) if ind_s is None else list(ind_s.itertuples())
    for r, s in zip(ind_r.itertuples(), syn, strict=True):
        basis = _given_columns(dag, r.given)
        rows.append({"x": r.x, "y": r.y, "given": list(r.given), "test": r.test,
                     "real_effect": r.effect, "real_p": r.p_value,
                     "synthetic_effect": np.nan if s is None else s.effect,
                     "synthetic_p": np.nan if s is None else s.p_value,
                     "real_residual_corr": r.residual_corr,
                     "synthetic_residual_corr": np.nan if s is None else s.residual_corr,
                     "se_real": _effect_se(r.effect, r.residual_corr,
                                           min(n_real, MAX_TEST_ROWS), basis),
                     "se_synthetic": np.nan if s is None else _effect_se(
                         s.effect, s.residual_corr, min(n_syn, MAX_TEST_ROWS), basis),
                     # a basis of more columns than half the rows leaves the test powerless
                     "testable": basis < min(n_real, MAX_TEST_ROWS) / 2})
    return pd.DataFrame(rows)
