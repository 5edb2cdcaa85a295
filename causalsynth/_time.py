"""Time in a DAG: the top-level ``time`` block, adstock (carryover) and time context curves.

A DAG whose rows are consecutive periods (weeks, days) declares it::

    time:
      index: week      # name of the time column (not a node)
      period: 52       # seasonal period in rows (52 weeks, 7 days)
      geo: region      # optional: name of a geo column for panels (validated, not simulated)

The simulation block of such a DAG may then use ``carryover`` on a child's parents and
``trend`` / ``seasonality`` roots (see :mod:`causalsynth.simulation`); the curves here give
their values along the rows of a series.

Examples
--------
>>> import numpy as np
>>> adstock(np.array([1.0, 0.0, 0.0]), decay=0.5, max_lag=1)
array([0.66666667, 0.33333333, 0.        ])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalsynth.errors import DAGError, excerpt

__all__ = ["TIME_KEYS", "TimeAxis", "adstock", "adstock_weights", "parse_time",
           "period_positions", "time_curve"]

TIME_KEYS = ("index", "period", "geo")


@dataclass(frozen=True)
class TimeAxis:
    """The declared time axis: the index column's name, the seasonal period in rows and an
    optional geo column (panels)."""

    index: str
    period: int
    geo: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The block as written in a DAG file."""
        out: dict[str, Any] = {"index": self.index, "period": self.period}
        if self.geo is not None:
            out["geo"] = self.geo
        return out


def parse_time(raw: Any, node_names: set[str], problems: list[str]) -> TimeAxis | None:
    """The ``time`` block checked; every problem is appended to ``problems``.

    Examples
    --------
    >>> problems = []
    >>> parse_time({"index": "week", "period": 52}, {"revenue"}, problems)
    TimeAxis(index='week', period=52, geo=None)
    >>> parse_time({"index": "revenue", "period": 1, "lag": 2}, {"revenue"}, problems)
    >>> len(problems)
    3
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"'time' must be a mapping like {{index: week, period: 52}}; got "
                        f"{excerpt(raw)}")
        return None
    before = len(problems)
    for key in raw:
        if key not in TIME_KEYS:
            problems.append(f"time: unknown key {excerpt(key)}; allowed: {', '.join(TIME_KEYS)}")
    columns: dict[str, str] = {}
    for key in ("index", "geo"):
        value = raw.get(key)
        if value is None and key == "geo":
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(f"time: {key!r} must be the name of a column (non-empty text); got "
                            f"{excerpt(value)}")
        elif value in node_names:
            problems.append(f"time: {key} {excerpt(value)} is also a node; the {key} column is "
                            f"not a node, so give it another name")
        else:
            columns[key] = value
    if "geo" in columns and columns.get("geo") == columns.get("index"):
        problems.append(f"time: index and geo are both {excerpt(columns['geo'])}; they name "
                        f"two different columns")
    period = raw.get("period")
    if not isinstance(period, int) or isinstance(period, bool) or period < 2:
        problems.append(f"time: 'period' must be a whole number of rows >= 2 (52 for weeks in "
                        f"a year, 7 for days in a week); got {excerpt(period)}")
    if len(problems) > before:
        return None
    return TimeAxis(index=columns["index"], period=int(period), geo=columns.get("geo"))


# ---------------------------------------------------------------------------------------
# Series along the rows
# ---------------------------------------------------------------------------------------
def _series(x: np.ndarray, periods: int | None) -> np.ndarray:
    """Rows as (series, period): ``periods`` consecutive rows make one series."""
    n = len(x)
    periods = periods or n
    if n % periods:
        raise DAGError(f"{n} rows do not split into series of {periods} periods")
    return x.reshape(n // periods, periods)


def period_positions(n: int, periods: int | None = None) -> np.ndarray:
    """Position of each row in its series: 0, 1, ..., periods - 1, 0, 1, ...

    >>> period_positions(5, 2 + 3)
    array([0, 1, 2, 3, 4])
    """
    return np.arange(n) % (periods or max(n, 1))


def adstock_weights(decay: float, max_lag: int) -> np.ndarray:
    """Geometric adstock weights ``decay**l / sum``, ``l = 0..max_lag`` (they sum to 1).

    >>> adstock_weights(0.5, 2).round(4)
    array([0.5714, 0.2857, 0.1429])
    """
    w = np.power(float(decay), np.arange(int(max_lag) + 1))
    return w / w.sum()


def adstock(x: np.ndarray, decay: float, max_lag: int, periods: int | None = None
            ) -> np.ndarray:
    """Geometric adstock along the rows: ``y_t = sum_l w_l x_(t-l)``, spend before the start
    of a series counted as 0. ``periods`` consecutive rows form one series (default: all rows).
    """
    w = adstock_weights(decay, max_lag)
    xs = _series(np.asarray(x, dtype=float), periods)
    out = np.zeros_like(xs)
    for lag, weight in enumerate(w):
        if lag >= xs.shape[1]:
            break
        out[:, lag:] += weight * xs[:, : xs.shape[1] - lag]
    return out.reshape(-1)


def time_curve(spec: Mapping[str, Any], period: int, t: np.ndarray, periods: int) -> np.ndarray:
    """The deterministic part of a time context root at row positions ``t``.

    ``trend: {start, end}`` ramps linearly from ``start`` (first row) to ``end`` (last row of
    the series); ``seasonality: {amplitude, harmonics, phase}`` is
    ``amplitude * sum_k sin(2 pi k (t - phase) / period) / k`` over ``k = 1..harmonics``.

    >>> time_curve({"trend": {"start": 0, "end": 1}}, 4, np.arange(3), 3)
    array([0. , 0.5, 1. ])
    """
    out = np.zeros(len(t))
    trend = spec.get("trend")
    if trend:
        frac = t / (periods - 1) if periods > 1 else np.zeros(len(t))
        out += float(trend["start"]) + (float(trend["end"]) - float(trend["start"])) * frac
    season = spec.get("seasonality")
    if season:
        phase = float(season.get("phase", 0.0))
        for k in range(1, int(season.get("harmonics", 1)) + 1):
            out += float(season["amplitude"]) * np.sin(
                2 * math.pi * k * (t - phase) / period) / k
    return out
