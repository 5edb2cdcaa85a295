"""Time partialled out of a time table, for the fitted causal model behind ICI and effects.

Trend, season and holidays are common causes of spend and revenue on a weekly table, whether
or not the DAG lists them as nodes. The fitted causal model (DoWhy mechanisms, exact or Monte
Carlo ICI, g-formula effects) conditions on them the way a fixed-effects regression does:
each numeric node has its least-squares fit on the DAG's time features
(:func:`causalsynth.media.time.table_features`, the features ``check_dag``, ``fit_mmm``, DML and the
series synthesizer read) removed and its mean added back. By the Frisch-Waugh-Lovell theorem a
linear mechanism fitted on these values has the slopes of one fitted with the time features
as extra inputs; the ICI shares split the variation within time, as the built-in DAGs' truth
does (a deterministic trend or season gets no share there), so a table with dates only and
the same table with ``trend`` and ``season`` columns give the same shares and effects (the
columns become constant and get none). A "+10%" intervention raises each row's value around
the table's mean, as on a geo panel in within-geo units.

Examples
--------
>>> from causalsynth import load_dag
>>> from causalsynth.data import check_data
>>> dag = load_dag("weekly_mmm")
>>> table = check_data(dag.simulate(104, seed=0), dag)
>>> flat = without_time(table, dag)
>>> round(float(flat["trend"].std()), 12), bool(flat["revenue"].std() < table["revenue"].std())
(0.0, True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causalsynth.dag import DAG
from causalsynth.media.time import table_features

__all__ = ["orthonormal_basis", "time_basis", "time_share", "without_time"]


def time_basis(data: pd.DataFrame, dag: DAG, periods: int | None = None) -> np.ndarray | None:
    """The time features of ``data``'s rows (a typed table: period order, series of
    ``periods`` rows; holidays from the dates ``check_data`` recorded), or None when the DAG
    declares no time; ``harmonics: auto`` chooses from the outcome."""
    if dag.time is None:
        return None
    return table_features(data, dag, periods).values


def orthonormal_basis(basis: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the intercept and ``basis``'s columns (collinear ones left out)."""
    q, r = np.linalg.qr(np.column_stack([np.ones(len(basis)), basis]))
    return q[:, np.abs(np.diag(r)) > 1e-9 * np.abs(np.diag(r)).max()]


def time_share(values: np.ndarray, basis: np.ndarray) -> float:
    """The share (0..1) of the variance of ``values`` that the time features explain: the
    R^2 of their least-squares fit on an intercept and ``basis``.

    >>> t = np.arange(8.0)
    >>> round(time_share(t + np.array([1, -1] * 4), t[:, None]), 3)
    0.819
    """
    v = np.asarray(values, float)
    total = float(np.sum((v - v.mean()) ** 2))
    if total <= 0 or not basis.shape[1]:
        return 0.0
    q = orthonormal_basis(basis)
    resid = v - q @ (q.T @ v)
    return float(np.clip(1.0 - np.sum(resid ** 2) / total, 0.0, 1.0))


def without_time(data: pd.DataFrame, dag: DAG, periods: int | None = None,
                 basis: np.ndarray | None = None) -> pd.DataFrame:
    """A new table whose numeric nodes have the time features partialled out (mean kept);
    labels and tables of a DAG without time are returned as they are (a copy). ``basis``:
    the time features when already built (:func:`time_basis`)."""
    basis = time_basis(data, dag, periods) if basis is None else basis
    out = data.copy()
    if basis is None or not basis.shape[1]:
        return out
    q = orthonormal_basis(basis)
    for node in dag.nodes:
        if node in data.columns and dag.node(node).is_numeric:
            v = data[node].to_numpy(float)
            fitted = q @ (q.T @ v)
            out[node] = v - fitted + v.mean()
    return out
