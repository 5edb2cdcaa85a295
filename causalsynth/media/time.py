"""Time as a common cause: trend, season, public holidays and declared events, built once.

Spend is planned with the season and the trend, and revenue follows both, so every estimator on
a time table (``check_dag``, ``fit_mmm``, the fitted causal model behind ICI and effects, DML
and the series synthesizer) conditions on the same **time features** of each row, computed
here from the row's position in its series, the DAG's ``time`` block and (for holidays) its
date:

* ``trend``: :class:`LinearTrend`, the position scaled to [0, 1] over the series;
* ``season``: :class:`FourierSeason`, ``sin/cos(2 pi k t / period)`` for ``k = 1..harmonics``
  (``time: {harmonics: 3}``; default 2, a yearly shape with one peak and one trough of
  different widths; ``auto`` chooses 1 to 6 by BIC on the outcome);
* ``holidays``: :class:`Holidays`, the number of public holidays of ``time: {country: DE}``
  (optionally ``subdivision``) in each period, through the maintained ``holidays`` package;
* ``events``: :class:`Events`, nodes declared as event indicators (``time: {events:
  [promo]}``), controls of ``fit_mmm`` whatever their edges.

The simulator's trend and seasonality roots draw their curves from the same classes
(:func:`time_curve`).

Examples
--------
>>> import numpy as np
>>> from causalsynth._time_block import TimeAxis
>>> feats = time_features(TimeAxis("week", 52), np.arange(104))
>>> feats.names
('trend', 'sin1', 'cos1', 'sin2', 'cos2')
>>> feats.values.shape
(104, 5)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from causalsynth._time_block import DEFAULT_HARMONICS
from causalsynth._time_columns import LAYOUT_KEY, SeriesLayout
from causalsynth.errors import DataError
from causalsynth.media.registry import register

__all__ = ["DEFAULT_HARMONICS", "MAX_HARMONICS", "Events", "FourierSeason", "Holidays",
           "LinearTrend", "TimeFeatures", "borrow_dates", "choose_harmonics", "keep_dates",
           "keep_layout", "layout_dates", "row_dates", "row_features", "table_features",
           "time_curve", "time_features"]
#: most Fourier pairs ``harmonics: auto`` tries
MAX_HARMONICS = 6


@register("time", "trend")
@dataclass(frozen=True)
class LinearTrend:
    """A straight line over the series: ``t / span`` (0 at the first period)."""

    def columns(self, t: np.ndarray, span: float) -> dict[str, np.ndarray]:
        return {"trend": np.asarray(t, float) / max(float(span), 1.0)}

    def curve(self, t: np.ndarray, span: float, start: float, end: float) -> np.ndarray:
        """From ``start`` (first period) to ``end`` (period ``span``)."""
        return float(start) + (float(end) - float(start)) * self.columns(t, span)["trend"]


@register("time", "fourier")
@dataclass(frozen=True)
class FourierSeason:
    """``sin/cos(2 pi k t / period)``, ``k = 1..harmonics``; constant columns (``sin(pi t)``
    of period 2) left out."""

    period: int
    harmonics: int = DEFAULT_HARMONICS

    def columns(self, t: np.ndarray) -> dict[str, np.ndarray]:
        t = np.asarray(t, float)
        out = {}
        for k in range(1, int(self.harmonics) + 1):
            angle = 2 * math.pi * k * t / self.period
            for name, f in (("sin", np.sin), ("cos", np.cos)):
                col = f(angle)
                if len(t) and np.ptp(col) > 1e-9:
                    out[f"{name}{k}"] = col
        return out

    def curve(self, t: np.ndarray, amplitude: float, phase: float = 0.0) -> np.ndarray:
        """``amplitude * sum_k sin(2 pi k (t - phase) / period) / k`` (a sawtooth-like year)."""
        t = np.asarray(t, float) - float(phase)
        return float(amplitude) * sum(np.sin(2 * math.pi * k * t / self.period) / k
                                      for k in range(1, int(self.harmonics) + 1))


@register("time", "holidays")
@dataclass(frozen=True)
class Holidays:
    """The number of public holidays of ``country`` in each period (``step`` days from each
    row's date), from the ``holidays`` package."""

    country: str
    subdivision: str | None = None

    def columns(self, dates: pd.DatetimeIndex | np.ndarray, step_days: float
                ) -> dict[str, np.ndarray]:
        import holidays

        dates = pd.DatetimeIndex(pd.to_datetime(dates)).normalize()
        step = max(round(float(step_days)), 1)
        years = range(dates.min().year - 1, dates.max().year + 2)
        calendar = holidays.country_holidays(self.country.upper(), subdiv=self.subdivision,
                                             years=years)
        days = pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in calendar))
        ords = days.asi8 // 86_400_000_000_000
        start = dates.asi8 // 86_400_000_000_000
        count = np.searchsorted(ords, start + step) - np.searchsorted(ords, start)
        return {"holidays": count.astype(float)}


@register("time", "events")
@dataclass(frozen=True)
class Events:
    """Declared event nodes (promotions, launches) as controls: their values as they are."""

    names: tuple[str, ...] = ()

    def columns(self, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {f"event:{n}": np.asarray(values[n], float) for n in self.names}


@dataclass(frozen=True)
class TimeFeatures:
    """The time features of the rows of a table: ``values`` (rows x features) by ``names``."""

    names: tuple[str, ...]
    values: np.ndarray
    harmonics: int
    period: int

    def describe(self) -> str:
        """The features in words (the wording of check_dag's time context)."""
        extra = "".join(f" + {n}" for n in self.names if n == "holidays"
                        or n.startswith("event:"))
        return (f"linear trend + {self.harmonics} Fourier harmonics of period "
                f"{self.period}{extra}")

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.values, columns=list(self.names))

    def calendar(self) -> np.ndarray:
        """The columns beyond the trend and the Fourier terms (holidays, events), rows x k."""
        keep = [i for i, n in enumerate(self.names) if n == "holidays" or n.startswith("event:")]
        return self.values[:, keep]


def choose_harmonics(y: np.ndarray, position: np.ndarray, period: int,
                     most: int = MAX_HARMONICS) -> int:
    """Fourier pairs (1..``most``, at most period / 2) that minimise the BIC of ``y`` on an
    intercept, the trend and the pairs.

    >>> t = np.arange(156)
    >>> y = np.sin(2 * np.pi * t / 52) + 0.5 * np.sin(6 * np.pi * t / 52)
    >>> choose_harmonics(y + np.random.default_rng(0).normal(0, 0.1, 156), t, 52)
    3
    """
    y = np.asarray(y, float)
    n, best, best_bic = len(y), DEFAULT_HARMONICS, math.inf
    for h in range(1, max(1, min(most, period // 2)) + 1):
        cols = [np.ones(n), *LinearTrend().columns(position, max(np.ptp(position), 1)).values(),
                *FourierSeason(period, h).columns(position).values()]
        x = np.column_stack(cols)
        resid = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
        rss = max(float(resid @ resid), 1e-300)
        bic = n * math.log(rss / n) + x.shape[1] * math.log(n)
        if bic < best_bic:
            best, best_bic = h, bic
    return best


def time_features(axis, position: np.ndarray, *, dates=None, outcome: np.ndarray | None = None,
                  events: Mapping[str, np.ndarray] | None = None, span: float | None = None,
                  harmonics: int | None = None) -> TimeFeatures:
    """The time features of each row (see the module notes).

    ``axis``: the DAG's :class:`~causalsynth._time_block.TimeAxis`; ``position``: each row's period
    within its series (0, 1, ...; gaps kept); ``dates``: each row's date (needed when the axis
    names a ``country``); ``outcome``: the outcome's values (``harmonics: auto`` chooses from
    them; without them the default count); ``events``: values of the declared event nodes;
    ``span``: periods the trend runs over to reach 1 (default the positions' range);
    ``harmonics``: a count to use instead of the axis's.
    """
    t = np.asarray(position, float)
    harmonics = harmonics or getattr(axis, "harmonics", DEFAULT_HARMONICS)
    if harmonics == "auto":
        harmonics = (choose_harmonics(outcome, t, axis.period) if outcome is not None
                     else DEFAULT_HARMONICS)
    span = float(np.ptp(t)) if span is None and len(t) else (span or 1.0)
    cols = {**LinearTrend().columns(t, span),
            **FourierSeason(axis.period, int(harmonics)).columns(t)}
    country = getattr(axis, "country", None)
    if country:
        if dates is None:
            raise DataError(f"the DAG's time block names country {country!r} for public "
                            f"holidays, but the table has no dates: keep the index column "
                            f"{axis.index!r} (dates) in the table")
        dates = pd.DatetimeIndex(pd.to_datetime(dates))
        step = np.median(np.diff(np.unique(dates.asi8))) / 86_400e9 if len(dates) > 1 else 7
        cols.update(Holidays(country, getattr(axis, "subdivision", None)).columns(dates, step))
    if events:
        cols.update(Events(tuple(events)).columns(events))
    names = tuple(cols)
    values = np.column_stack([cols[n] for n in names]) if names else np.zeros((len(t), 0))
    return TimeFeatures(names, values, int(harmonics), int(axis.period))


def time_curve(spec: Mapping[str, Any], period: int, t: np.ndarray, periods: int) -> np.ndarray:
    """The deterministic part of a simulated time root at row positions ``t``.

    ``trend: {start, end}`` ramps linearly from ``start`` (first row) to ``end`` (last row of
    the series); ``seasonality: {amplitude, harmonics, phase}`` is
    ``amplitude * sum_k sin(2 pi k (t - phase) / period) / k`` over ``k = 1..harmonics``.

    >>> time_curve({"trend": {"start": 0, "end": 1}}, 4, np.arange(3), 3)
    array([0. , 0.5, 1. ])
    """
    out = np.zeros(len(t))
    trend = spec.get("trend")
    if trend:
        out += (LinearTrend().curve(t, periods - 1, trend["start"], trend["end"])
                if periods > 1 else float(trend["start"]))
    season = spec.get("seasonality")
    if season:
        out += FourierSeason(period, int(season.get("harmonics", 1))).curve(
            t, season["amplitude"], season.get("phase", 0.0))
    return out


def row_features(dag, n_rows: int, periods: int | None = None, *,
                 outcome: np.ndarray | None = None, dates=None,
                 span: float | None = None, harmonics: int | None = None) -> TimeFeatures:
    """The time features of ``n_rows`` rows of a time DAG's table in period order, series
    after series of ``periods`` rows (default one series): what every estimator conditions on.

    ``outcome`` (the outcome's values) serves ``harmonics: auto``; ``dates`` (one per row)
    serves a holiday ``country``; ``span``: see :func:`time_features`; ``harmonics``: a count
    to use instead of the DAG's (a model fitted with ``auto`` keeps its choice).

    >>> from causalsynth import load_dag
    >>> row_features(load_dag("weekly_mmm"), 104).names
    ('trend', 'sin1', 'cos1', 'sin2', 'cos2')
    """
    periods = periods if periods and n_rows % periods == 0 else n_rows
    position = np.arange(n_rows) % max(periods, 1)
    return time_features(dag.time, position, dates=dates, outcome=outcome,
                         span=span if span is not None else max(periods - 1, 1),
                         harmonics=harmonics)


def layout_dates(layout: SeriesLayout | None) -> np.ndarray | None:
    """Each row's date of a table laid out as ``layout`` (series after series, each over the
    same index values); None when the index holds period numbers or is absent."""
    if layout is None or not layout.index or not isinstance(layout.index[0], pd.Timestamp):
        return None
    one = pd.DatetimeIndex(layout.index)
    if one.tz is not None:
        one = one.tz_localize(None)
    return np.tile(one.to_numpy(dtype="datetime64[ns]"), layout.n_series)


def row_dates(data: pd.DataFrame) -> np.ndarray | None:
    """Each row's date of a typed time table (:func:`causalsynth.data.check_data`'s output,
    which records its layout); None when it has none or its rows no longer match it."""
    layout = data.attrs.get(LAYOUT_KEY)
    if not isinstance(layout, SeriesLayout) or layout.n_rows != len(data):
        return None
    return layout_dates(layout)


def borrow_dates(table: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """``table`` (a typed time table without dates of its own) on the dates of ``reference``
    (a typed one with dates): a synthetic table without an index column is compared period
    by period in row order, so its rows sit on the real table's dates, series after series
    of the reference's length, or, when its rows are not whole such series, on one series
    continuing the reference's step. A copy; ``table`` itself when it has dates or the
    reference has none.

    >>> from causalsynth import load_dag
    >>> from causalsynth.data import check_data
    >>> real = load_dag("weekly_mmm").simulate(60, seed=0)
    >>> real["week"] = pd.date_range("2021-01-04", periods=60, freq="W-MON")
    >>> dag = load_dag({**load_dag("weekly_mmm").to_dict(), "simulation": None})
    >>> synthetic = check_data(real.drop(columns="week").iloc[:50], dag)
    >>> str(row_dates(borrow_dates(synthetic, check_data(real, dag)))[-1])[:10]
    '2021-12-13'
    """
    layout = reference.attrs.get(LAYOUT_KEY)
    own = layout_dates(layout) if isinstance(layout, SeriesLayout) else None
    if row_dates(table) is not None or own is None:
        return table
    if len(table) % layout.periods == 0:
        borrowed = SeriesLayout(len(table) // layout.periods, layout.periods, None,
                                layout.index)
    else:
        step = pd.Timedelta(np.median(np.diff(own[:layout.periods]))) if layout.periods > 1 \
            else pd.Timedelta(days=7)
        borrowed = SeriesLayout(1, len(table), None, tuple(
            pd.date_range(pd.Timestamp(own[0]), periods=len(table), freq=step)))
    return keep_layout(table.copy(), borrowed)


def keep_layout(table: pd.DataFrame, layout: SeriesLayout) -> pd.DataFrame:
    """``table`` (modified and returned) recording ``layout`` as its rows' layout."""
    table.attrs[LAYOUT_KEY] = layout
    return table


def keep_dates(part: pd.DataFrame, table: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """``part`` (the ``rows`` of the typed time table ``table``, by position or mask)
    recording those rows' dates, e.g. a half of a real table whose periods alternate; ``part``
    as it is when ``table`` has no dates. Modifies and returns ``part``."""
    dates = row_dates(table)
    if dates is None:
        return part
    picked = dates[np.asarray(rows)]
    return keep_layout(part, SeriesLayout(1, len(picked), None,
                                          tuple(pd.DatetimeIndex(picked))))


def table_features(data: pd.DataFrame, dag, periods: int | None = None, *,
                   outcome: np.ndarray | None = None, harmonics: int | None = None
                   ) -> TimeFeatures:
    """The time features of a typed time table's rows (series after series of ``periods``
    rows; default one series): trend, Fourier terms and, for a ``country``, the holidays of
    each row's date as :func:`causalsynth.data.check_data` recorded it. What ``fit_mmm``,
    the fitted causal model, DML, ``check_dag``, the carryover estimate and the series
    synthesizer condition on. ``outcome`` (default the table's outcome column) serves
    ``harmonics: auto``.

    >>> from causalsynth import load_dag
    >>> from causalsynth.data import check_data
    >>> dag = load_dag({**load_dag("weekly_mmm").to_dict(), "simulation": None,
    ...                 "time": {"index": "week", "period": 52, "country": "DE"}})
    >>> table = load_dag("weekly_mmm").simulate(104, seed=0)
    >>> table["week"] = pd.date_range("2021-01-04", periods=104, freq="W-MON")
    >>> feats = table_features(check_data(table, dag), dag)
    >>> feats.names[-1], int(feats.frame()["holidays"].sum())
    ('holidays', 18)
    """
    if outcome is None and dag.outcome in data.columns and dag.node(dag.outcome).is_numeric:
        outcome = data[dag.outcome].to_numpy(float)
    return row_features(dag, len(data), periods, outcome=outcome, dates=row_dates(data),
                        harmonics=harmonics)
