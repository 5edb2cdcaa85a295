"""Several synthetic draws of one synthesizer, measured as one synthetic side.

A weekly table cannot be drawn longer than the real one (its weeks are its rows), so the
synthetic side of a series comparison is as noisy as the real side: every difference's
interval widens by about 41 %, and the precision the verdict can show is the real table's.
``m`` independent draws of the same synthesizer sharpen it the way a larger draw of
exchangeable rows does. Each quantity is measured on every draw; the synthetic figure is
their mean ``q_m = mean(q_j)`` and its standard error that of a mean of ``m`` independent
estimates, ``sqrt(u_m / m)`` with ``u_m`` the mean within-draw variance (each draw's own
bootstrap). This is the combining step of Raghunathan, Reiter & Rubin (2003) and Reiter
(2003) with one difference of target: they estimate the population figure (so the between-
draw variance ``b_m`` enters: ``T = (1 + 1/m) b_m - u_m`` for fully synthetic data), while the
verdict asks how precisely the *synthesizer's* figure is known, which is ``Var(q_m) = Var(q_j)
/ m``. ``b_m / m`` estimates the same variance from the draws alone; it is reported beside
(``draws_between_se``) and floors the pooled figure: with ``m - 1`` degrees of freedom it is
far noisier than the pooled bootstrap, but a bootstrap of a small table can understate its own
spread (on 200 rows of ``ad_funnel``, exposure's ICI share had a bootstrap se of 1.2-1.8
points where draws scatter by about 2), and the spread between independent draws cannot.

Draws the size of the real table (``compare``'s default, also for exchangeable rows) carry
the same small-sample bias as the real table's figures, so a faithful synthesizer's mean is
compared with the real figure like with like; one draw ten times larger would not be.

References
----------
Raghunathan, Reiter, Rubin. "Multiple imputation for statistical disclosure limitation."
Journal of Official Statistics 19(1), 2003.
Reiter. "Inference for partially synthetic, public use microdata sets." Survey Methodology
29(2), 2003.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from causalsynth._random import as_generator
from causalsynth.errors import DataError

__all__ = ["DRAW_COLUMNS", "SYNTHETIC_DRAWS", "combine_draws", "draw_bootstrap", "draw_names",
           "draws_note", "draws_within", "real_sized_draws", "synthetic_draws"]

Z95 = float(stats.norm.ppf(0.975))

#: per comparison table: (row keys, synthetic figures, their standard errors, interval
#: columns around the first figure); other synthetic columns take the draws' median
DRAW_COLUMNS: dict[str, tuple[list[str], list[str], list[str], tuple[str, str] | None]] = {
    "ici": (["node"], ["synthetic_share"], ["se_synthetic", "mc_se_synthetic"],
            ("synthetic_low", "synthetic_high")),
    "effects": (["treatment", "kind", "method"], ["synthetic"], ["se_synthetic"],
                ("synthetic_low", "synthetic_high")),
    "independences": ([], ["synthetic_effect", "synthetic_residual_corr"], ["se_synthetic"],
                      None),
    "ranking": (["a", "b"], ["synthetic_gap"], ["se_synthetic"], None),
    "mmm": (["channel", "quantity"], ["synthetic"], ["se_synthetic"],
            ("synthetic_low", "synthetic_high")),
}
#: synthetic draws of the real table's size measured per synthesizer when rows are
#: exchangeable: the synthetic side's noise is then a third of the real table's, and adds
#: about 5 % to the interval of every difference instead of 41 %
SYNTHETIC_DRAWS = 10
#: fewest bootstrap replicates per draw (the pooled variance has m * (B - 1) degrees of freedom)
MIN_DRAW_BOOTSTRAP = 8


def synthetic_draws(synthetic) -> list[pd.DataFrame]:
    """The synthetic side as a list of draws (one table is one draw); a clear error for an
    empty list or draws of different sizes."""
    draws = [synthetic] if isinstance(synthetic, pd.DataFrame) else list(synthetic)
    if not draws:
        raise DataError("no synthetic table given: pass a DataFrame, or a list of "
                               "several draws of one synthesizer")
    if not all(isinstance(d, pd.DataFrame) for d in draws):
        kinds = sorted({type(d).__name__ for d in draws})
        raise DataError(f"synthetic draws must be DataFrames; got {', '.join(kinds)}")
    sizes = sorted({len(d) for d in draws})
    if len(sizes) > 1:
        raise DataError(
            f"the {len(draws)} synthetic draws have different sizes ({sizes}): draws of one "
            f"synthesizer are combined only at one size; sample each with the same n")
    return draws


def draws_within(rows: int, max_rows: int) -> int:
    """:data:`SYNTHETIC_DRAWS` draws of ``rows`` rows each, fewer where they would pass
    ``max_rows`` rows in all (at least one).

    >>> draws_within(1_000, 100_000), draws_within(20_000, 100_000), draws_within(10**6, 10**5)
    (10, 5, 1)
    """
    return max(1, min(SYNTHETIC_DRAWS, int(max_rows) // max(int(rows), 1)))


def real_sized_draws(table: pd.DataFrame, rows: int, seed, most: int = SYNTHETIC_DRAWS,
                     ) -> list[pd.DataFrame]:
    """One synthetic table of exchangeable rows cut at random into draws of ``rows`` rows
    each (at most ``most``; rows left over are not used), each kept in the table's order.

    A table at least twice the real one's size is measured as several draws of the real
    size rather than whole: each draw then carries the real table's small-sample bias (200
    rows of ``ad_funnel`` put exposure's ICI share near 10 %, 2,000 rows near 14 %), so a
    faithful synthesizer is compared like with like. Fewer than two such draws: the table,
    whole.

    >>> table = pd.DataFrame({"x": range(10)})
    >>> [len(d) for d in real_sized_draws(table, 3, seed=0)]
    [3, 3, 3]
    >>> sorted(pd.concat(real_sized_draws(table, 5, seed=0))["x"]) == list(range(10))
    True
    >>> len(real_sized_draws(table, 6, seed=0))
    1
    """
    m = min(int(most), len(table) // max(int(rows), 1))
    if m < 2:
        return [table]
    order = as_generator(seed).permutation(len(table))[: m * rows]
    return [table.iloc[np.sort(part)].reset_index(drop=True) for part in np.split(order, m)]


def draw_names(m: int) -> list[str]:
    """How input errors name each draw."""
    return ["the synthetic table"] if m == 1 else [f"synthetic draw {j + 1} of {m}"
                                                   for j in range(m)]


def draws_note(m: int, per_draw: int, frames: Sequence[pd.DataFrame]) -> dict:
    """What the method section says of the draws: how many, the bootstrap per draw, and the
    check of the pooled standard errors against the spread between draws (median of
    ``draws_between_se / se_synthetic``: about 1 when each draw's bootstrap is right)."""
    ratios = np.concatenate([np.empty(0)] + [  # none when no draw could be measured
        (pd.to_numeric(f["draws_between_se"]) / pd.to_numeric(f["se_synthetic"])).to_numpy(
            float) for f in frames if len(f) and "draws_between_se" in f.columns])
    ratios = ratios[np.isfinite(ratios)]
    return {"m": m, "bootstrap_per_draw": per_draw,
            "rule": "synthetic figure = mean of the draws; its standard error = "
                    "sqrt(mean within-draw variance / m), at least sd(draws) / sqrt(m)",
            "between_vs_within_se": float(np.median(ratios)) if len(ratios) else None}


def draw_bootstrap(n_bootstrap: int, draws: int) -> int:
    """Bootstrap replicates per draw: the single table's budget shared among the draws."""
    if draws == 1 or n_bootstrap <= 1:
        return n_bootstrap
    return max(-(-n_bootstrap // draws), min(MIN_DRAW_BOOTSTRAP, n_bootstrap))


def combine_draws(name: str, frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One comparison table from the same table measured against each draw (real columns
    identical in all): synthetic figures averaged, standard errors of the mean, intervals
    ``mean +- 1.96 se``, ``draws_between_se`` (``sd(q_j) / sqrt(m)``, the floor of the
    first standard error) beside."""
    if len(frames) == 1:
        return frames[0]
    keys, values, ses, interval = DRAW_COLUMNS[name]
    first = frames[0].reset_index(drop=True)
    if not len(first):
        return first
    if keys:  # align on the row keys (a draw may lack a row its model could not fit)
        def key(f: pd.DataFrame) -> pd.Index:
            return pd.Index(f[keys].astype(str).agg("\x1f".join, axis=1))

        aligned = [f.set_axis(key(f)).reindex(key(first)) for f in frames]
    else:  # independences: one row per implied independence, in the DAG's order in all
        aligned = [f.reset_index(drop=True) for f in frames]
    m = len(frames)
    out = first.copy()
    stack = {c: np.vstack([pd.to_numeric(a[c], errors="coerce").to_numpy(float)
                           for a in aligned]) for c in values + ses if c in first.columns}
    for col in values:
        out[col] = np.nanmean(stack[col], axis=0)
    for col in ses:
        if col in stack:
            out[col] = np.sqrt(np.nanmean(stack[col] ** 2, axis=0) / m)
    main = values[0]
    out["draws_between_se"] = np.nanstd(stack[main], axis=0, ddof=1) / np.sqrt(m)
    # the spread between draws floors the pooled bootstrap's figure (module docstring)
    out[ses[0]] = np.fmax(out[ses[0]].to_numpy(float), out["draws_between_se"].to_numpy(float))
    if interval is not None:
        lo, hi = interval
        out[lo] = out[main] - Z95 * out[ses[0]]
        out[hi] = out[main] + Z95 * out[ses[0]]
        if name == "ici":  # shares stay shares
            out[[lo, hi]] = out[[lo, hi]].clip(0.0, 100.0)
    if "synthetic_p" in first.columns:
        out["synthetic_p"] = np.nanmedian(np.vstack([pd.to_numeric(a["synthetic_p"])
                                                     for a in aligned]), axis=0)
    return out
