"""SDMetrics glue shared by the fidelity and privacy metrics: quiet calls, seeded baselines,
subsampled plain frames.

Frames go to SDMetrics as :func:`causalsynth.data.to_plain_frame` makes them (categories as
text) with metadata from :func:`causalsynth.data.sdmetrics_metadata`.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from causalsynth.evaluate._shared import Tables

__all__ = ["TABLE", "quiet", "seeded_breakdown", "subsample"]

#: the table name of SDMetrics' multi-table metadata (``sdmetrics_metadata(multi_table=True)``)
TABLE = "table"


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence SDMetrics' deprecation notices (its single-table API gives the same numbers)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def seeded_breakdown(cls: type, seed: int, **kwargs: Any) -> dict[str, Any]:
    """``cls.compute_breakdown(table_name="table", **kwargs)`` with its random baseline seeded.

    SDMetrics draws its random baseline from ``cls._seed``; a subclass seeds it without
    touching the library class.
    """
    with quiet():
        # its advice on a small holdout goes into the metric's details instead
        warnings.filterwarnings("ignore", message=".*real_validation_data contains")
        seeded = type(f"Seeded{cls.__name__}", (cls,), {"_seed": seed})
        return seeded.compute_breakdown(table_name=TABLE, **kwargs)


def subsample(tables: Tables, rng: np.random.Generator, n: int,
              **parts: tuple[str, np.ndarray | None]) -> dict[str, pd.DataFrame]:
    """Plain frames of at most ``n`` rows, drawn in the order given.

    Each keyword names ``(table, rows)``: the rows of a table (``None``: all of them), of which
    ``n`` are drawn without replacement (in their order) when there are more.
    """
    out = {}
    for key, (table, rows) in parts.items():
        frame = tables.plain(table) if rows is None else tables.plain(table).iloc[rows]
        if len(frame) > n:
            frame = frame.iloc[np.sort(rng.choice(len(frame), n, replace=False))]
        out[key] = frame.reset_index(drop=True)
    return out
