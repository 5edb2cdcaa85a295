"""The tables of one evaluation, prepared once and shared by every fidelity, utility and
privacy metric.

:func:`prepare` checks each table once (:func:`causalsynth.data.check_data`); the
:class:`Tables` it returns computes on first request, and keeps, what several metrics need:
the robust-scaled encoding, nearest-neighbour distances, row hashes, code matrices and the
plain frames SDMetrics accepts. ``validate`` prepares the tables once and hands them to each
evaluation; a metric called on its own prepares them itself.

Neighbour searches run on distinct rows (:func:`distinct_rows`, :func:`nearest_distinct`):
user-level logs are mostly labels, so a million rows hold a few ten thousand distinct ones,
and a tree over tied rows degenerates (every query at distance 0 scans all its copies). A
candidate row present ``c`` times is searched as ``min(c, k)`` copies, which keeps the ``k``
nearest distances and indices exact.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.neighbors import BallTree, KDTree, NearestNeighbors
from threadpoolctl import threadpool_limits

from causalsynth._random import as_generator
from causalsynth.dag import DAG
from causalsynth.data import check_data, code_matrix, to_plain_frame
from causalsynth.evaluate._tabular import MixedEncoder, row_hashes
from causalsynth.evaluate.metric import MetricResult, run_metrics

__all__ = ["TABLES", "Distinct", "Tables", "distinct_rows", "evaluate", "nearest_distinct",
           "prepare"]

#: the tables of an evaluation, in the order they are checked
TABLES = ("real", "synthetic", "holdout")
_CHUNK = 20_000  # query rows per neighbour call
_TREE_DIMS = 15  # a KD-tree while at most this many columns take more than two values


class Distinct(NamedTuple):
    """The distinct rows of a matrix: ``rows[inverse]`` is the matrix again; ``first`` holds
    each distinct row's first row number, ``counts`` its multiplicity."""

    rows: np.ndarray
    first: np.ndarray
    inverse: np.ndarray
    counts: np.ndarray


def distinct_rows(x: np.ndarray) -> Distinct:
    """The distinct rows of ``x`` in order of first appearance, found by hashing (linear).

    Exact (-0.0 and 0.0 are one value, as for ``np.unique``): the hashes' grouping is checked
    against the rows themselves, and a collision (never seen) falls back to sorting.

    Examples
    --------
    >>> d = distinct_rows(np.array([[1.0, 2.0], [0.0, 1.0], [1.0, 2.0]]))
    >>> d.rows.tolist(), d.first.tolist(), d.inverse.tolist(), d.counts.tolist()
    ([[1.0, 2.0], [0.0, 1.0]], [0, 1], [0, 1, 0], [2, 1])
    """
    x = np.asarray(x)
    if x.ndim != 2 or len(x) == 0:
        empty = np.zeros(0, np.int64)
        return Distinct(x.reshape(len(x), -1), empty, empty.copy(), empty.copy())
    keys = x + 0.0 if x.dtype.kind == "f" else x  # + 0.0: -0.0 and 0.0 are one value
    h = pd.util.hash_pandas_object(pd.DataFrame(keys, copy=False), index=False).to_numpy()
    inverse, _ = pd.factorize(h)  # codes in order of first appearance
    seen = np.maximum.accumulate(inverse)
    first = np.flatnonzero(np.r_[True, inverse[1:] > seen[:-1]])
    rows = x[first]
    if not np.array_equal(rows[inverse], x):  # a hash collision: sort instead
        rows, first, inverse = np.unique(x, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
    return Distinct(rows, first, inverse.astype(np.int64), np.bincount(inverse, minlength=len(
        rows)))


def nearest_distinct(query: np.ndarray, candidates: np.ndarray | Distinct, k: int = 1,
                     metric: str = "euclidean", return_index: bool = False,
                     columns: np.ndarray | list[int] | None = None):
    """Exact distances (and row numbers) of the ``k`` nearest ``candidates`` of each query row.

    Searches distinct rows only: each distinct query row once, each distinct candidate row as
    ``min(count, k)`` copies standing for its first ``min(count, k)`` occurrences, so an index
    is the lowest row number among tied identical candidates. A KD-tree (exact) while at most
    15 columns of the distinct candidates take more than two values (one-hot labels add little
    to a tree's work), brute force beyond; queries in chunks of 20,000 rows, one thread.

    Parameters
    ----------
    query : ndarray (n_query, d)
    candidates : ndarray (n, d') or Distinct
        The candidate rows, or their :func:`distinct_rows` (found once, searched on several
        column subsets).
    k : int
    metric : str
        A scikit-learn metric ("euclidean", "manhattan").
    return_index : bool
    columns : sequence of int, optional
        Search these columns of the candidates only (``query`` holds just them).

    Returns
    -------
    dist : ndarray (n_query, k)
    idx : ndarray (n_query, k), only when ``return_index``: candidate row numbers

    Examples
    --------
    >>> cand = np.array([[0.0, 5.0], [0.0, 6.0], [3.0, 5.0]])
    >>> d, i = nearest_distinct(np.array([[1.0], [0.0]]), distinct_rows(cand), k=2,
    ...                         return_index=True, columns=[0])
    >>> d.tolist(), np.sort(i, axis=1).tolist()
    ([[1.0, 1.0], [0.0, 0.0]], [[0, 1], [0, 1]])
    """
    full = candidates if isinstance(candidates, Distinct) else None
    x = full.rows if full is not None else np.asarray(candidates)
    if columns is not None:
        x = x[:, np.asarray(columns, dtype=np.int64)]
    cand = distinct_rows(x) if full is None or columns is not None else full
    # each candidate row's distinct row
    inverse = cand.inverse if full is None else (
        cand.inverse[full.inverse] if columns is not None else full.inverse)
    counts = np.bincount(inverse, minlength=len(cand.rows))
    q = distinct_rows(query)
    k = min(k, len(inverse))
    if k == 0 or len(q.rows) == 0:
        shape = (len(query), k)
        return (np.zeros(shape), np.zeros(shape, np.int64)) if return_index else np.zeros(shape)
    reps = np.minimum(counts, k)
    rows = np.repeat(cand.rows, reps, axis=0)
    tree = int(np.sum([len(np.unique(c)) > 2 for c in cand.rows.T])) <= _TREE_DIMS
    if not return_index:
        nn = NearestNeighbors(n_neighbors=k, metric=metric,
                              algorithm="kd_tree" if tree else "brute").fit(rows)
        parts = []
        for lo in range(0, len(q.rows), _CHUNK):
            # one OpenMP thread: oversubscribed threads on a shared small machine are far slower
            with threadpool_limits(1):
                parts.append(nn.kneighbors(q.rows[lo:lo + _CHUNK], n_neighbors=k)[0])
        return np.vstack(parts)[q.inverse]
    # the j-th copy of a distinct row stands for its j-th occurrence
    order = np.argsort(inverse, kind="stable")
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(reps) - reps, reps)
    row_ids = order[np.repeat(start, reps) + offset]
    d, i = _lowest_ties((KDTree if tree else BallTree)(rows, metric=metric), q.rows, k, row_ids)
    return d[q.inverse], i[q.inverse]


def _lowest_ties(tree: KDTree | BallTree, x: np.ndarray, k: int, row_ids: np.ndarray):
    """The ``k`` nearest rows of each query row, ties broken by the lowest row number (as a
    brute-force scan in row order breaks them), whatever order the tree found them in."""
    dist = np.vstack([tree.query(x[lo:lo + _CHUNK], k=k)[0] for lo in range(0, len(x), _CHUNK)])
    found, found_d = tree.query_radius(x, r=np.nextafter(dist[:, -1], np.inf),
                                       return_distance=True)
    idx = np.empty((len(x), k), dtype=np.int64)
    for j, (f, fd) in enumerate(zip(found, found_d, strict=True)):
        ids = row_ids[f]
        best = np.lexsort((ids, fd))[:k]
        dist[j], idx[j] = fd[best], ids[best]
    return dist, idx


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
    periods : (real, synthetic, holdout)
        Rows per geo of a time-indexed geo panel, None for one series (or no time axis).
    """

    dag: DAG
    real: pd.DataFrame
    synthetic: pd.DataFrame
    holdout: pd.DataFrame | None = None
    periods: tuple[int | None, int | None, int | None] = (None, None, None)
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
                            lambda: nearest_distinct(self.encoded(query), self.encoded(target),
                                                     k=k))

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
             seed: Any = None, progress: bool | None = None) -> dict[str, MetricResult]:
    """Run ``metrics`` in turn on the tables (prepared once), drawing from one generator.

    ``progress``: a tqdm bar on stderr naming the running metric (None: only when stderr is a
    terminal).
    """
    tables = prepare(real, synthetic, dag, holdout)
    metrics = list(metrics)
    with _progress_bar(len(metrics), progress) as bar:
        return run_metrics(_stepped(metrics, bar), tables, rng=as_generator(seed))


def _progress_bar(total: int, progress: bool | None):
    from tqdm.auto import tqdm

    tty = getattr(sys.stderr, "isatty", None)
    show = bool(tty and tty()) if progress is None else bool(progress)
    return tqdm(total=total, disable=not show, leave=False, file=sys.stderr, unit="metric")


def _stepped(metrics: list, bar) -> Iterator:
    """The metrics, each named on the bar while it runs (the loop resumes when it is done)."""
    for metric in metrics:
        specs = getattr(metric, "specs", ())
        bar.set_description(specs[0].name if specs else getattr(metric, "__name__", "metric"))
        yield metric
        bar.update()
