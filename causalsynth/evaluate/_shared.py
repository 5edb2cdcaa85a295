"""The tables of one evaluation, prepared once and shared by every fidelity, utility and
privacy metric.

:func:`prepare` checks each table once (:func:`causalsynth.data.check_data`); the
:class:`Tables` it returns computes on first request, and keeps, what several metrics need:
the robust-scaled encoding, nearest-neighbour distances, row hashes, code matrices and the
plain frames SDMetrics accepts. ``validate`` prepares the tables once and hands them to each
evaluation; a metric called on its own prepares them itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from causalsynth._random import as_generator
from causalsynth.dag import DAG
from causalsynth.data import check_data, code_matrix, to_plain_frame
from causalsynth.evaluate._tabular import MixedEncoder, nearest, row_hashes
from causalsynth.evaluate.metric import MetricResult, run_metrics

__all__ = ["TABLES", "Tables", "evaluate", "prepare"]

#: the tables of an evaluation, in the order they are checked
TABLES = ("real", "synthetic", "holdout")


@dataclass(eq=False)
class Tables:
    """Typed tables of one DAG (from :func:`causalsynth.data.check_data`) and what metrics
    compute from them, each computed once.

    Attributes
    ----------
    dag : DAG
    real : DataFrame
        The training rows.
    synthetic : DataFrame
    holdout : DataFrame or None
        Real rows the synthesizer did not see.
    """

    dag: DAG
    real: pd.DataFrame
    synthetic: pd.DataFrame
    holdout: pd.DataFrame | None = None
    _memo: dict[tuple, Any] = field(default_factory=dict, init=False, repr=False)

    def __getitem__(self, name: str) -> pd.DataFrame | None:
        """The table ``"real"``, ``"synthetic"`` or ``"holdout"``."""
        if name not in TABLES:
            raise KeyError(name)
        return getattr(self, name)

    def _cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def encoder(self) -> MixedEncoder:
        """The robust-scaled encoder, fitted on the real table."""
        return self._cached(("encoder",), lambda: MixedEncoder(self.dag).fit(self.real))

    def encoded(self, name: str) -> np.ndarray:
        """A table through :attr:`encoder` (rows in the table's order)."""
        return self._cached(("encoded", name), lambda: self.encoder.transform(self[name]))

    def nearest(self, query: str, target: str, k: int) -> np.ndarray:
        """Distances (robust-scaled, Euclidean) from each ``query`` row to its ``k`` nearest
        ``target`` rows, shape ``(n_query, k)``."""
        return self._cached(("nearest", query, target, k),
                            lambda: nearest(self.encoded(query), self.encoded(target), k=k))

    def hashes(self, name: str) -> np.ndarray:
        """One 64-bit hash per row (for exact copies)."""
        return self._cached(("hashes", name), lambda: row_hashes(self[name]))

    def codes(self, name: str) -> np.ndarray:
        """The table as a float matrix, categories as their codes (columns in node order)."""
        return self._cached(("codes", name), lambda: code_matrix(self[name], self.dag))

    def plain(self, name: str) -> pd.DataFrame:
        """The table with categories as text labels, as SDMetrics wants it (do not modify)."""
        return self._cached(("plain", name), lambda: to_plain_frame(self[name], self.dag))


def prepare(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
            dag: DAG | None = None, holdout: pd.DataFrame | None = None) -> Tables:
    """The tables of an evaluation, each checked against the DAG once.

    Constant columns are allowed: a poor synthetic table must be scored, not rejected. Inputs
    are never modified. Already prepared tables are returned as they are.

    Parameters
    ----------
    real : DataFrame or Tables
        The training table, or tables prepared before (then give nothing else).
    synthetic : DataFrame
    dag : DAG
    holdout : DataFrame, optional
    """
    if isinstance(real, Tables):
        if synthetic is not None or dag is not None or holdout is not None:
            raise TypeError("prepared tables already hold the synthetic table, the DAG and "
                            "the holdout: pass them alone")
        return real
    if synthetic is None or dag is None:
        raise TypeError("pass the real and synthetic tables and the DAG (or prepared tables)")
    frames = {"real": real, "synthetic": synthetic, "holdout": holdout}
    typed = {name: None if df is None else check_data(df, dag, allow_constant=True,
                                                      what=f"the {name} table")
             for name, df in frames.items()}
    return Tables(dag, **typed)


def evaluate(metrics: Iterable[Callable[..., MetricResult | list[MetricResult]]],
             real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
             dag: DAG | None = None, holdout: pd.DataFrame | None = None,
             seed: Any = None) -> dict[str, MetricResult]:
    """Run ``metrics`` in turn on the tables (prepared once), drawing from one generator."""
    tables = prepare(real, synthetic, dag, holdout)
    return run_metrics(metrics, tables, rng=as_generator(seed))
