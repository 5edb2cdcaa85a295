"""Distances between rows of mixed-type tables, for the fidelity, utility and privacy metrics.

Two encodings of a typed table (see :func:`causalsynth.data.check_data`) into numbers:

- ``"scaled"`` (Euclidean): numeric columns robust-scaled, ``(x - median) / IQR`` with the
  median and IQR of a reference table (the real one), so that no column dominates by its unit;
  categorical and binary columns one-hot, each indicator times ``1/sqrt(2)`` so that one
  mismatching label adds exactly 1 to the squared distance (as much as one IQR).
- ``"gower"`` (L1, as anonymeter's ``MixedTypeKNeighbors``): numeric columns divided by their range
  over the given tables, so a numeric difference is at most 1; one-hot indicators times 1/2, so
  one mismatching label adds exactly 1.

Nearest neighbours are exact (scikit-learn's KD-tree for few dimensions, brute force in
row chunks otherwise); duplicated rows are searched once, which keeps tables with many repeated
rows (categorical logs) fast. Memory stays at a few chunks of ``n_query x n_candidate``.
Exact copies are found by a 64-bit hash per row.

References
----------
Gower, J. C. (1971). A general coefficient of similarity and some of its properties.
Biometrics 27(4), 857-871.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from causalsynth.dag import DAG

__all__ = ["MixedEncoder", "nearest", "repeat_share", "row_hashes"]

_CHUNK = 20_000  # query rows per nearest-neighbour call


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash per row of a typed table (for exact-copy checks)."""
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def repeat_share(hashes: np.ndarray) -> float:
    """Share of rows equal to another row of the same table: the rate of chance repeats."""
    return float(pd.Series(hashes).duplicated(keep=False).mean()) if len(hashes) else 0.0


@dataclass
class MixedEncoder:
    """Encode typed tables of one DAG into a numeric matrix for distances.

    Parameters
    ----------
    dag : DAG
    kind : {"scaled", "gower"}
        See the module docstring.
    columns : list of str, optional
        Restrict to these columns (default: all DAG nodes).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> real = dag.simulate(200, seed=0)
    >>> enc = MixedEncoder(dag).fit(real)
    >>> enc.transform(real).shape
    (200, 6)
    """

    dag: DAG
    kind: str = "scaled"
    columns: list[str] | None = None

    def fit(self, *frames: pd.DataFrame) -> MixedEncoder:
        """Learn centres and scales (from the first frame for "scaled", all frames for "gower")."""
        cols = self.columns if self.columns is not None else self.dag.nodes
        self.numeric_ = [c for c in cols if self.dag.node_type(c) in ("continuous", "count")]
        self.labels_ = [c for c in cols if c not in self.numeric_]
        self.center_: dict[str, float] = {}
        self.scale_: dict[str, float] = {}
        for c in self.numeric_:
            if self.kind == "gower":
                lo = min(float(f[c].min()) for f in frames)
                hi = max(float(f[c].max()) for f in frames)
                self.center_[c], self.scale_[c] = 0.0, (hi - lo) or 1.0
            else:
                x = frames[0][c].to_numpy(dtype="float64")
                q1, med, q3 = np.percentile(x, [25, 50, 75])
                scale = q3 - q1 or float(np.std(x)) or 1.0
                self.center_[c], self.scale_[c] = float(med), float(scale)
        self.categories_ = {c: self._categories(c) for c in self.labels_}
        return self

    def _categories(self, c: str) -> list:
        node = self.dag.node(c)
        return list(node.categories) if node.type == "categorical" else [0, 1]

    @property
    def metric(self) -> str:
        """The matching scikit-learn metric name."""
        return "manhattan" if self.kind == "gower" else "euclidean"

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The encoded matrix (rows in the frame's order)."""
        weight = 0.5 if self.kind == "gower" else 1 / np.sqrt(2.0)
        parts = [
            ((frame[c].to_numpy(dtype="float64") - self.center_[c]) / self.scale_[c])[:, None]
            for c in self.numeric_
        ]
        for c in self.labels_:
            values = frame[c].astype(object).to_numpy() if self.dag.node_type(c) == "categorical" \
                else frame[c].to_numpy()
            parts.append(np.column_stack([(values == k) * weight for k in self.categories_[c]]))
        if not parts:
            return np.empty((len(frame), 0))
        return np.ascontiguousarray(np.hstack(parts), dtype="float64")


def nearest(query: np.ndarray, candidates: np.ndarray, k: int = 1, metric: str = "euclidean",
            dedupe: bool = True, return_index: bool = False):
    """Exact distances (and optionally indices) to the ``k`` nearest candidate rows.

    Duplicated candidate rows are searched once and duplicated query rows are answered once
    (exact; indices then point at one representative of tied duplicates). Queries run in
    chunks of 20,000 rows.

    Returns
    -------
    dist : ndarray (n_query, k)
    idx : ndarray (n_query, k), only when ``return_index``
    """
    k = min(k, len(candidates))
    if not dedupe:
        nn = _fit_nn(candidates, k, metric)
        d, i = _chunked(nn, query, k)
        return (d, i) if return_index else d
    uc, first, counts = _unique_rows(candidates)
    uq, q_inverse = np.unique(query, axis=0, return_inverse=True) if len(query) else (query, [])
    kk = min(k, len(uc))
    nn = _fit_nn(uc, kk, metric)
    d_u, i_u = _chunked(nn, uq, kk)
    # a candidate row present c times fills c neighbour slots: slot s goes to the first
    # neighbour whose cumulative multiplicity exceeds s
    cum = np.cumsum(counts[i_u], axis=1)
    slot = np.stack([np.argmax(cum > s, axis=1) for s in range(k)], axis=1)
    d_out = np.take_along_axis(d_u, slot, axis=1)
    i_out = first[np.take_along_axis(i_u, slot, axis=1)]
    q_inverse = np.asarray(q_inverse).ravel()
    d, i = d_out[q_inverse], i_out[q_inverse]
    return (d, i) if return_index else d


def _unique_rows(x: np.ndarray):
    uc, first, counts = np.unique(x, axis=0, return_index=True, return_counts=True)
    return uc, first, counts


def _fit_nn(candidates: np.ndarray, k: int, metric: str) -> NearestNeighbors:
    # KD-tree is exact and fast in few dimensions; brute force (chunked inside scikit-learn)
    # beyond, where trees degrade.
    algorithm = "kd_tree" if candidates.shape[1] <= 15 else "brute"
    return NearestNeighbors(n_neighbors=k, algorithm=algorithm, metric=metric).fit(candidates)


def _chunked(nn: NearestNeighbors, query: np.ndarray, k: int):
    dists, idxs = [], []
    for start in range(0, len(query), _CHUNK):
        # one OpenMP thread: oversubscribed threads on a shared small machine are far slower
        with threadpool_limits(1):
            d, i = nn.kneighbors(query[start:start + _CHUNK], n_neighbors=k)
        dists.append(d)
        idxs.append(i)
    if not dists:
        return np.empty((0, k)), np.empty((0, k), dtype=np.int64)
    return np.vstack(dists), np.vstack(idxs)
