"""A table made ready for causal discovery, and ``check_dag``'s test as a causal-learn CIT.

:func:`prepare` types the table (``check_data`` with a DAG; numbers and labels without one),
lays out the periods of a time-indexed DAG (:func:`~causalsynth.evaluate.series.time_rows`),
keeps at most ``max_rows`` rows (whole series on a panel, one window on a single series) and
finds the *time nodes*: numeric nodes that the time context (trend, Fourier season, geo
effects) explains almost entirely (R² ≥ 0.99), such as ``weekly_mmm``'s ``trend`` and
``season``.

:class:`GCMTest` is the conditional-independence test of
:func:`~causalsynth.evaluate.independence.residual_test` (generalised covariance measure on a
spline basis, labels one-hot; on a time table also given the time context, with an
autocorrelation-aware p-value) registered with causal-learn as the CIT ``"causalsynth_gcm"``,
so that causal-learn's PC runs on it. As in ``check_dag``, a dependence counts only when its
effect size reaches ``threshold`` *and* it is significant: a smaller effect is reported to PC
as p = 1. With tiers (roles), a conditioning set that holds a node of a later tier than both
tested nodes is not tried (reported as p = 0): such a node is a parent of neither, and on
near-deterministic chains (revenue = sum of clicks) conditioning on it fakes independences
(the tiered PC of Andrews, Spirtes and Cooper 2020). A test that involves a time node cannot
condition on the time context (the context explains the node), so it runs without it.

:func:`score_matrix` gives GES and LiNGAM, which take a numeric matrix, the same view of time:
every other node is residualised on the part of the time context that the time nodes do not
span, so trend and season act as common causes removed from the data, or as the declared
nodes that carry them.

Examples
--------
>>> from causalsynth import load_dag
>>> dag = load_dag("weekly_mmm")
>>> prep = prepare(dag.simulate(156, seed=0), dag, max_rows=10_000, rng=None)
>>> sorted(prep.time_nodes), prep.layout is not None
(['season', 'trend'], True)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from causallearn.utils.cit import CIT_Base, register_ci_test

from causalsynth._random import as_generator
from causalsynth.data import check_data
from causalsynth.errors import DataError, excerpt
from causalsynth.evaluate.conditional_tests import ConditionalTests
from causalsynth.evaluate.series import (
    TimeRows,
    partial_out,
    scale_within_geo,
    time_rows,
)

__all__ = ["CIT_NAME", "GCMTest", "Prepared", "prepare", "score_matrix"]

CIT_NAME = "causalsynth_gcm"
#: share of a node's variance the time context must explain for it to be a time node
TIME_NODE_R2 = 0.99


@dataclass(frozen=True)
class Prepared:
    """The table as discovery reads it.

    ``columns``: node -> values (floats, or text labels for categorical nodes), the input of
    the residual test; ``matrix``: the same as floats (category codes), rows x nodes;
    ``layout``: where each row sits in time (None for independent rows); ``time_nodes``: nodes
    explained by the time context.
    """

    nodes: tuple[str, ...]
    columns: dict[str, np.ndarray]
    matrix: np.ndarray
    layout: TimeRows | None = None
    time_nodes: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.matrix)

    def take(self, rows: np.ndarray) -> Prepared:
        """The same table on ``rows`` (a bootstrap resample keeps each row's period)."""
        return replace(self, columns={k: v[rows] for k, v in self.columns.items()},
                       matrix=self.matrix[rows],
                       layout=None if self.layout is None else self.layout.take(rows))


def _untyped(table: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Columns of a table without a DAG: numbers as floats, anything else as labels."""
    problems, columns, codes = [], {}, []
    for name in table.columns:
        col = table[name]
        if col.isna().any():
            problems.append(f"column {excerpt(str(name))} has missing values")
            continue
        if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col):
            values = col.to_numpy(dtype=float)
            if not np.isfinite(values).all():
                problems.append(f"column {excerpt(str(name))} has infinite values")
                continue
            columns[str(name)] = values
            codes.append(values)
        else:
            labels = col.astype(str).to_numpy()
            columns[str(name)] = labels
            codes.append(np.unique(labels, return_inverse=True)[1].astype(float))
    if problems:
        raise DataError([*problems, "drop or fill them before discovery, or pass dag= to have "
                                    "the table checked against its DAG"])
    return columns, np.column_stack(codes) if codes else np.empty((len(table), 0))


def prepare(table: pd.DataFrame, dag, max_rows: int, rng, time_aware: bool = True,
            allow_constant: bool = False) -> Prepared:
    """The table typed (against ``dag`` when given), in time order for a time-indexed DAG
    (``time_aware``), at most ``max_rows`` rows (seeded by ``rng``); constant columns refused
    unless ``allow_constant`` (a synthetic table's)."""
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"discover expects a pandas DataFrame; got {type(table).__name__}")
    rng = as_generator(rng)
    layout = None
    if dag is None:
        columns, matrix = _untyped(table)
        nodes = tuple(columns)
    else:
        if time_aware and dag.time is not None:
            table, layout = time_rows(table, dag)
        clean = check_data(table, dag, allow_constant=allow_constant)
        nodes = tuple(dag.nodes)
        columns = {n: clean[n].astype(str).to_numpy() if dag.node_type(n) == "categorical"
                   else clean[n].to_numpy(dtype=float) for n in nodes}
        matrix = np.column_stack([
            clean[n].cat.codes.to_numpy(dtype=float)
            if isinstance(clean[n].dtype, pd.CategoricalDtype) else columns[n] for n in nodes])
    prep = Prepared(nodes, columns, matrix, layout)
    if layout is not None:
        keep = layout.sample(max_rows, rng)
        prep = prep.take(keep) if len(keep) < len(prep) else prep
    elif len(prep) > max_rows:
        prep = prep.take(np.sort(rng.choice(len(prep), max_rows, replace=False)))
    if prep.layout is not None:
        prep = replace(prep, time_nodes=_time_nodes(prep))
    return prep


def _context(prep: Prepared) -> np.ndarray:
    rows = prep.layout
    return rows.context()


def _time_nodes(prep: Prepared) -> frozenset[str]:
    context = _context(prep)
    out = set()
    for n in prep.nodes:
        values = prep.columns[n]
        if values.dtype.kind not in "fiu" or values.std() == 0:
            continue
        resid, _ = partial_out(values - values.mean(), context)
        if 1 - resid.var() / values.var() >= TIME_NODE_R2:
            out.add(n)
    return frozenset(out)


def score_matrix(prep: Prepared) -> np.ndarray:
    """The numeric matrix GES and LiNGAM read: codes, each column scaled within its geo on a
    panel and residualised on the time context less what the time nodes span (time tables),
    then standardised."""
    m = prep.matrix.astype(float)
    if prep.layout is not None:
        rows = prep.layout
        if rows.geo is not None:
            m = scale_within_geo(m, rows.geo)
        context = _context(prep)
        idx = [i for i, n in enumerate(prep.nodes) if n in prep.time_nodes]
        if idx:
            span = np.column_stack([np.ones(len(m)), m[:, idx]])
            context, _ = partial_out(context, span)
            context = context[:, np.linalg.norm(context, axis=0) > 1e-6 * len(m) ** 0.5]
        rest = [i for i in range(m.shape[1]) if i not in idx]
        if context.shape[1] and rest:
            m[:, rest] = partial_out(m[:, rest], context)[0]
    sd = m.std(axis=0)
    return (m - m.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


class GCMTest(CIT_Base):
    """``residual_test`` as a causal-learn CIT: ``X ⊥ Y | S`` -> p-value (1 when the effect is
    below ``threshold``). ``prepared``: the :class:`Prepared` table; ``data``: its matrix."""

    def __init__(self, data, prepared: Prepared | None = None, threshold: float = 0.0,
                 tiers: list[int] | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.check_cache_method_consistent(CIT_NAME, f"threshold={threshold}, tiers={tiers}")
        self.prepared, self.threshold, self.tiers = prepared, float(threshold), tiers
        #: cache key -> (effect, p-value) of every test run
        self.results: dict[str, tuple[float, float]] = {}
        self.engine = ConditionalTests(prepared.columns, prepared.layout)

    def __call__(self, X, Y, condition_set=None):
        xs, ys, given, key = self.get_formatted_XYZ_and_cachekey(X, Y, condition_set)
        if key in self.pvalue_cache:
            return self.pvalue_cache[key]
        if self.tiers is not None and any(  # tiered PC: a later tier parents neither node
                self.tiers[s] > max(self.tiers[xs[0]], self.tiers[ys[0]]) for s in given):
            return 0.0
        prep = self.prepared
        x, y = prep.nodes[xs[0]], prep.nodes[ys[0]]
        timed = prep.layout is not None and not ({x, y} & prep.time_nodes)
        names = [prep.nodes[s] for s in given]
        # PC tests many pairs given one set: fit every other node on it at once, with the
        # time context, then (if a time node is outside the set) without, from the same basis
        others = [n for n in prep.nodes if n not in names]
        if prep.layout is not None:
            self.engine.residuals(names, others, True)
        if prep.layout is None or prep.time_nodes - set(names):
            self.engine.residuals(names, others, False)
        effect, p, _ = self.engine.test(x, y, names, timed)
        self.results[key] = (effect, p)
        self.pvalue_cache[key] = 1.0 if effect < self.threshold else p
        return self.pvalue_cache[key]


register_ci_test(CIT_NAME, GCMTest)
