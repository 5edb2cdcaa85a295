"""Time partialled out of a time table, for the fitted causal model behind ICI and effects.

Trend, season and holidays are common causes of spend and revenue on a weekly table, whether
or not the DAG lists them as nodes. The fitted causal model (DoWhy mechanisms, exact or Monte
Carlo ICI, g-formula effects) conditions on them the way a fixed-effects regression does:
each numeric node has its least-squares fit on the DAG's time features
(:func:`causalsynth.media.row_features`, the features ``check_dag``, ``fit_mmm``, DML and the
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
from causalsynth.media import row_features

__all__ = ["time_basis", "without_time"]


def time_basis(data: pd.DataFrame, dag: DAG, periods: int | None = None) -> np.ndarray | None:
    """The time features of ``data``'s rows (period order, series of ``periods`` rows), or
    None when the DAG declares no time; ``harmonics: auto`` chooses from the outcome."""
    if dag.time is None:
        return None
    outcome = dag.outcome if dag.outcome in data.columns else None
    y = data[outcome].to_numpy(float) if outcome and dag.node(outcome).is_numeric else None
    return row_features(dag, len(data), periods, outcome=y).values


def without_time(data: pd.DataFrame, dag: DAG, periods: int | None = None) -> pd.DataFrame:
    """A new table whose numeric nodes have the time features partialled out (mean kept);
    labels and tables of a DAG without time are returned as they are (a copy)."""
    basis = time_basis(data, dag, periods)
    out = data.copy()
    if basis is None or not basis.shape[1]:
        return out
    x = np.column_stack([np.ones(len(data)), basis])
    q, r = np.linalg.qr(x)
    q = q[:, np.abs(np.diag(r)) > 1e-9 * np.abs(np.diag(r)).max()]
    for node in dag.nodes:
        if node in data.columns and dag.node(node).is_numeric:
            v = data[node].to_numpy(float)
            fitted = q @ (q.T @ v)
            out[node] = v - fitted + v.mean()
    return out
