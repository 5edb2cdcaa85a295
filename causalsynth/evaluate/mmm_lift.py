"""Lift tests (geo-lift or conversion-lift experiments) as extra observations of ``fit_mmm``.

A lift test switches a channel off (or holds it out) in a window of periods and measures the
revenue its spend in that window caused: ``lift = sum_t y_t - sum_t y_t[do(x = 0 in the
window)]``, summed from the window's first period to the table's end, so the carryover of the
window's spend into the following weeks counts (and spend before the window, carried into it,
cancels). The fitted model predicts the same quantity for channel ``k`` from its curve::

    predicted = coef_k * sum_t w_t [hill(adstock(x))_t - hill(adstock(x * (1 - window)))_t]

(``w_t``: a geo's size on a panel, else 1). As pymc-marketing's
``add_lift_test_measurements`` adds a likelihood term tying the model's lift to each
measurement, ``fit_mmm`` adds one residual per test, ``(predicted - lift) / se``, to the
weekly residuals divided by their own standard deviation: a weighted least squares, still
linear in the coefficients for fixed transform parameters, so the grid and profile search keep
their shape (each test is one more row of the regression, weighted ``sigma / se``).
pymc-marketing's tests observe the saturation curve at a spend level (``x, delta_x,
delta_y``); these observe the whole carryover-then-saturation response over a dated window,
what a geo experiment reports.

The frame has one row per test: ``channel``, ``start``, ``end`` (the window, both included:
values of the table's time index, dates or whole numbers; positions 0, 1, ... of the rows when
the table has no index column), ``lift`` and its standard error ``se``, and on a panel an
optional ``geo`` (the test's geo; missing: every geo, a national test).

Examples
--------
>>> import pandas as pd
>>> from causalsynth import load_dag
>>> dag = load_dag("weekly_mmm")
>>> tests = pd.DataFrame({"channel": ["tv_spend"], "start": [40], "end": [45],
...                       "lift": [250_000.0], "se": [25_000.0]})
>>> [t.label for t in lift_windows(tests, ["tv_spend"], tuple(range(104)), 104, 1)]
['tv_spend 40..45']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from causalsynth.errors import DataError

__all__ = ["LIFT_COLUMNS", "Calibration", "LiftTest", "lift_windows"]

#: the columns of a lift-test frame (``geo`` optional on a panel)
LIFT_COLUMNS = ("channel", "start", "end", "lift", "se")


@dataclass(frozen=True)
class LiftTest:
    """One checked lift test: its channel (name and position), the rows its window switches
    off, the measured lift and standard error, and how it was given."""

    channel: str
    k: int
    mask: np.ndarray    # per row of the design: in the window (of the test's geos)
    lift: float
    se: float
    label: str


def _when(value, index: tuple | None, what: str, row: int):
    """A window bound in the index's terms: a Timestamp for a dated index, else an int."""
    dated = index is not None and len(index) > 0 and isinstance(index[0], pd.Timestamp)
    try:
        if dated:
            out = pd.Timestamp(value)
            if pd.isna(out):
                raise ValueError
            return out
        if isinstance(value, (bool, np.bool_)) or float(value) != int(value):
            raise ValueError
        return int(value)
    except (TypeError, ValueError, OverflowError):
        kind = "a date such as 2021-03-01" if dated else "a whole number (a period of the index)"
        raise DataError(f"lift test {row}: {what} {value!r} is not {kind}; give the window "
                        f"in the table's time index") from None


def _number(value, what: str, row: int) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = math.nan
    if not math.isfinite(out):
        raise DataError(f"lift test {row}: {what} is {value!r}; give a finite number (drop "
                        f"the test if it was not measured)")
    return out


def lift_windows(frame: pd.DataFrame, channels: list[str], index: tuple | None, periods: int,
                 n_series: int, geos: tuple | None = None) -> list[LiftTest]:
    """The checked tests of ``frame`` (see the module notes) for a design of ``n_series``
    series of ``periods`` rows with time ``index`` (None: positions) and ``geos``.

    Raises :class:`~causalsynth.errors.DataError` naming the first bad test: a missing
    column, an unknown channel, a bound that is not a period, a window outside the table or
    empty, a missing or infinite lift, a standard error that is not positive. ``frame`` is
    never modified.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"lift_tests must be a pandas DataFrame with columns "
                        f"{', '.join(LIFT_COLUMNS)}; got {type(frame).__name__}")
    missing = [c for c in LIFT_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"lift_tests lacks the column(s) {', '.join(missing)}; it needs one row "
                        f"per test with {', '.join(LIFT_COLUMNS)}")
    if frame.empty:
        raise DataError("lift_tests has no rows; pass None (the default) for no calibration")
    index = tuple(index) if index is not None else tuple(range(periods))
    tests = []
    for row, rec in enumerate(frame.to_dict("records")):
        channel = rec["channel"]
        if channel not in channels:
            raise DataError(f"lift test {row}: channel {channel!r} is not a spend channel of "
                            f"the model; its channels: {', '.join(channels)}")
        start = _when(rec["start"], index, "start", row)
        end = _when(rec["end"], index, "end", row)
        if start > end or start < index[0] or end > index[-1]:
            raise DataError(f"lift test {row} ({channel}): window {start}..{end} is not inside "
                            f"the table's periods {index[0]}..{index[-1]}; give start <= end "
                            f"within them")
        in_window = np.array([start <= t <= end for t in index])
        if not in_window.any():
            raise DataError(f"lift test {row} ({channel}): window {start}..{end} holds no "
                            f"period of the table; widen it")
        lift = _number(rec["lift"], "lift", row)
        se = _number(rec["se"], "se", row)
        if se <= 0:
            raise DataError(f"lift test {row} ({channel}): se {se:g} is not positive; give the "
                            f"test's standard error (> 0) in revenue units")
        series = np.ones(n_series, bool)
        geo = rec.get("geo")
        if geo is not None and not (isinstance(geo, float) and math.isnan(geo)):
            if not geos or geo not in geos:
                raise DataError(f"lift test {row} ({channel}): geo {geo!r} is not a geo of the "
                                f"table ({', '.join(map(str, geos or ())) or 'it has none'}); "
                                f"leave geo empty for a test over every geo")
            series = np.array([g == geo for g in geos])
        mask = (series[:, None] & in_window[None, :]).reshape(-1)
        label = f"{channel} {start:%Y-%m-%d}..{end:%Y-%m-%d}" if isinstance(
            start, pd.Timestamp) else f"{channel} {start}..{end}"
        tests.append(LiftTest(channel, channels.index(channel), mask, lift, se,
                              label + (f" ({geo})" if series.sum() < n_series else "")))
    return tests


@dataclass
class Calibration:
    """The lift tests as extra regression rows: for test ``j`` of channel ``k``, the row
    ``weight_j * lift_j`` of the outcome against ``weight_j * unit_j(params_k)`` in channel
    ``k``'s column (zero elsewhere), ``weight_j = sigma / se_j``, ``unit_j``: the lift of a
    unit coefficient (:meth:`causalsynth.evaluate.mmm_design.Design.unit_lift`)."""

    tests: list[LiftTest]
    lift: np.ndarray      # measured lifts (redrawn within their se in a bootstrap replicate)
    weight: np.ndarray    # sigma / se per test

    def redraw(self, rng: np.random.Generator) -> Calibration:
        """The same tests with each lift drawn from ``normal(lift, se)``: a bootstrap
        replicate of the measurements."""
        se = np.array([t.se for t in self.tests])
        return Calibration(self.tests, self.lift + se * rng.standard_normal(len(se)),
                           self.weight)

    def target(self) -> np.ndarray:
        return self.weight * self.lift

    def rows(self, k: int, unit: np.ndarray) -> np.ndarray:
        """Channel ``k``'s column(s) on the test rows: ``unit`` holds the unit lift of each
        test (first axis) at one or more candidate curves (second axis, optional)."""
        own = np.array([t.k == k for t in self.tests], float) * self.weight
        return own.reshape(-1, *([1] * (np.ndim(unit) - 1))) * unit
