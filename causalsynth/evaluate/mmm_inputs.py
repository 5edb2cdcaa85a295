"""What makes a media mix model's inputs nonsense, said before fitting; the control matrix
without repeated directions.

:func:`input_warnings` returns the problems that stop ``fit_mmm`` (an outcome that is never
positive, a value a million times a column's typical size: a unit or typing error) and the
named warnings it records in ``MMMFit.warnings`` (a channel active in too few periods to
identify its curve, an outcome that is not positive in some periods).

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame({"tv": [0.0] * 29 + [5.0], "revenue": [100.0] * 30})
>>> input_warnings(data, ["tv"], "revenue")[1]
["sparse_channel: 'tv' has spend in 1 of 30 periods; its carryover and saturation cannot be \
told apart from noise with fewer than 4 (its ROAS is a guess): drop the channel or give more \
periods"]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MIN_ACTIVE", "OUTLIER_FACTOR", "input_warnings", "prune_collinear"]

#: fewest periods with spend for a channel's curve to be read from the data
MIN_ACTIVE = 4
#: a value this many times a column's median absolute (non-zero) value is a unit error
OUTLIER_FACTOR = 1e6


def _outliers(name: str, x: np.ndarray) -> str | None:
    nonzero = np.abs(x[x != 0])
    if len(nonzero) < 3:
        return None
    typical = float(np.median(nonzero))
    bad = np.flatnonzero(np.abs(x) > OUTLIER_FACTOR * typical)
    if not len(bad):
        return None
    return (f"{name!r} holds {len(bad)} value(s) over {OUTLIER_FACTOR:.0e} times its typical "
            f"size ({typical:.4g}), first {x[bad[0]]:.4g} in period {int(bad[0])}: a unit or "
            f"typing error; correct or drop those periods")


def input_warnings(data: pd.DataFrame, channels: list[str], outcome: str,
                   periods: int | None = None) -> tuple[list[str], list[str]]:
    """``(problems, warnings)`` of a typed MMM table (see the module notes)."""
    problems, notes = [], []
    y = data[outcome].to_numpy(float)
    for name in [*channels, outcome]:
        hit = _outliers(name, data[name].to_numpy(float))
        if hit:
            problems.append(hit)
    if np.all(y <= 0):
        problems.append(f"outcome {outcome!r} is never positive (max {y.max():.4g}); a media mix "
                        f"model explains revenue (or sales) per period: give it in positive "
                        f"units")
    elif np.any(y <= 0):
        notes.append(f"nonpositive_outcome: {outcome!r} is zero or negative in "
                     f"{int(np.sum(y <= 0))} of {len(y)} periods; revenue should be positive "
                     f"(returns netted out?)" + (" and geo sizes are then all taken as 1"
                                                 if periods and len(y) > periods else ""))
    for c in channels:
        active = int(np.sum(data[c].to_numpy(float) > 0))
        if active < MIN_ACTIVE:
            notes.append(f"sparse_channel: {c!r} has spend in {active} of {len(data)} periods; "
                         f"its carryover and saturation cannot be told apart from noise with "
                         f"fewer than {MIN_ACTIVE} (its ROAS is a guess): drop the channel or "
                         f"give more periods")
    return problems, notes


def prune_collinear(columns: list[np.ndarray], names: list[str], tol: float = 1e-8
                    ) -> tuple[list[np.ndarray], list[str]]:
    """The columns (and names) in order, each one dropped when the ones kept before it
    already span it (a declared ``trend`` column makes the time feature ``trend`` redundant).

    >>> t = np.arange(5.0)
    >>> prune_collinear([np.ones(5), t, 2 * t + 1, t**2], ["a", "b", "c", "d"])[1]
    ['a', 'b', 'd']
    """
    kept, kept_names, basis = [], [], np.zeros((len(columns[0]), 0))
    for col, name in zip(columns, names, strict=True):
        c = np.asarray(col, float)
        resid = c - basis @ (basis.T @ c)
        norm = float(np.linalg.norm(resid))
        if norm <= tol * max(float(np.linalg.norm(c)), 1e-300):
            continue
        basis = np.column_stack([basis, resid / norm])
        kept.append(c)
        kept_names.append(name)
    return kept, kept_names
