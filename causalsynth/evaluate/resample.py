"""Bootstrap row indices: independent rows, or moving blocks of consecutive periods.

Rows of a time-indexed table are not independent (this week's spend and revenue resemble last
week's), so resampling them one by one understates the noise of every estimate. Tables of a
DAG that declares ``time`` are resampled by moving blocks: runs of consecutive periods, so the
dependence within a block is kept (Kuensch 1989). One function, :func:`resampler`, picks the
scheme for a DAG; every bootstrap of the evaluation draws its indices through it. The series
of a geo panel are resampled whole (a cluster bootstrap over geos).

References
----------
Kuensch. "The jackknife and the bootstrap for general stationary observations." Annals of
Statistics 17(3), 1989.

Examples
--------
>>> import numpy as np
>>> from causalsynth import load_dag
>>> draw = resampler(load_dag("weekly_mmm"))
>>> idx = draw(156, 156, np.random.default_rng(0))
>>> bool(np.all(np.diff(idx[:10]) == 1))   # the first block: ten consecutive weeks
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from causalsynth._params import Interval, check_param

__all__ = ["Resampler", "block_bootstrap_indices", "block_length", "iid_indices", "resampler",
           "series_bootstrap_indices"]

#: (rows of the table, rows wanted, generator) -> row indices
Resampler = Callable[[int, int, np.random.Generator], np.ndarray]


def iid_indices(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` rows drawn independently, with replacement, from ``n``."""
    return rng.integers(0, n, size)


def block_length(n: int) -> int:
    """Block length for a series of ``n`` periods: 10 (a quarter of weekly data), at most a
    quarter of the series, at least 2."""
    return int(max(2, min(10, n // 4)))


def block_bootstrap_indices(n: int, block: int, rng: np.random.Generator,
                            size: int | None = None) -> np.ndarray:
    """Row indices of one moving-block bootstrap sample of ``n`` consecutive periods.

    Blocks of ``block`` consecutive rows start at uniformly drawn positions ``0..n - block``
    and are concatenated until ``size`` rows (default ``n``) are reached (the last block cut
    short). Periods are never drawn one by one, so the dependence between neighbouring periods
    is kept within blocks.

    Examples
    --------
    >>> idx = block_bootstrap_indices(20, 5, np.random.default_rng(0))
    >>> len(idx), bool(np.all(np.diff(idx.reshape(4, 5), axis=1) == 1))
    (20, True)
    """
    check_param("n", n, Interval(int, 1, None), owner="block_bootstrap_indices")
    check_param("block", block, Interval(int, 1, None), owner="block_bootstrap_indices")
    check_param("size", size, [Interval(int, 1, None), None], owner="block_bootstrap_indices")
    block, size = min(int(block), int(n)), int(n if size is None else size)
    starts = rng.integers(0, n - block + 1, size=math.ceil(size / block))
    return (starts[:, None] + np.arange(block)[None, :]).reshape(-1)[:size]


def series_bootstrap_indices(n: int, periods: int, rng: np.random.Generator,
                             size: int | None = None) -> np.ndarray:
    """Row indices of whole series (geos of a panel) drawn with replacement.

    The ``n`` rows are ``n // periods`` series of ``periods`` consecutive rows; ``size // periods``
    series are drawn (default all), each kept whole: a geo's weeks travel together.

    >>> series_bootstrap_indices(6, 3, np.random.default_rng(1)).reshape(2, 3)[:, 0] % 3
    array([0, 0])
    """
    n_series = n // periods
    picks = rng.integers(0, n_series, max(1, (n if size is None else size) // periods))
    return (picks[:, None] * periods + np.arange(periods)[None, :]).reshape(-1)


def resampler(dag, periods: int | None = None, block: int | None = None) -> Resampler:
    """The bootstrap scheme of ``dag``'s tables: whole series for a panel (``periods`` rows per
    geo), moving blocks of periods for one series of a DAG that declares ``time`` (``block``
    periods long, default :func:`block_length`), else independent rows."""
    if getattr(dag, "time", None) is None:
        return iid_indices

    def draw(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
        if periods and n % periods == 0 and n // periods > 1:
            return series_bootstrap_indices(n, periods, rng, size)
        return block_bootstrap_indices(n, block or block_length(n), rng, size=size)

    return draw
