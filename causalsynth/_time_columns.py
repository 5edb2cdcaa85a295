"""A table's time columns: its index (dates or period numbers) and geo column, checked
against the DAG's ``time`` block (:mod:`causalsynth._time_block`), and the layout of series
along the rows they imply (:class:`SeriesLayout`). Used by :func:`causalsynth.data.check_data`.

The index is read as dates (one written form, day and month told apart, no time zones) or
whole numbers; within each series (one per geo) periods must be in time order, each once, on a
regular grid spaced as the declared period implies (52: weeks), every geo over the same
periods, at least :data:`MIN_PERIODS` of them. Every problem is said at once, each with its fix.

Examples
--------
>>> period_positions(4, 2).tolist()
[0, 1, 0, 1]
"""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from causalsynth._time_block import TimeAxis
from causalsynth.errors import excerpt

__all__ = ["LAYOUT_KEY", "MIN_PERIODS", "SeriesLayout", "check_time_columns",
           "period_positions"]

#: fewest periods a series may have: carryover is learned from lagged spend (weekly lags up to
#: about 8) and intervals come from a block bootstrap with blocks of about 10 periods; fewer
#: than 20 periods leave too few lagged pairs and not even two blocks
MIN_PERIODS = 20
_SHOW = 3
_DAY = 86_400 * 10**9  # nanoseconds
#: key of ``DataFrame.attrs`` under which :func:`causalsynth.data.check_data` records the
#: :class:`SeriesLayout` of a typed time table (its index values: the dates holidays need),
#: since the typed table itself holds only the nodes
LAYOUT_KEY = "time_layout"


@dataclass(frozen=True)
class SeriesLayout:
    """How the rows of a checked time table split into series.

    The rows come series after series (one series per geo, geos in order of first appearance
    in the table), ``periods`` rows each, in time order. ``geos``: the geo labels in that
    order, None when the table has no geo column. ``index``: the index values of one series
    (every series has the same ones), as ``pandas.Timestamp`` or ``int``; None when the table
    has no index column (its rows are taken in the given order).

    Examples
    --------
    >>> layout = SeriesLayout(n_series=2, periods=3, geos=("north", "south"))
    >>> layout.n_rows, layout.series_of_rows().tolist()
    (6, [0, 0, 0, 1, 1, 1])
    """

    n_series: int
    periods: int
    geos: tuple | None = None
    index: tuple | None = None

    @property
    def n_rows(self) -> int:
        return self.n_series * self.periods

    def __deepcopy__(self, memo: dict) -> SeriesLayout:
        # immutable (frozen; tuples of immutable values), so itself: pandas deep-copies a
        # frame's attrs on every copy, iloc and take, which cost 1.4 ms on a 208-week table
        return self

    def series_of_rows(self) -> np.ndarray:
        """The series number (0, 1, ...) of each row, in row order."""
        return np.repeat(np.arange(self.n_series), self.periods)



def period_positions(n: int, periods: int | None = None) -> np.ndarray:
    """Position of each row in its series: 0, 1, ..., periods - 1, 0, 1, ...

    >>> period_positions(5, 2 + 3)
    array([0, 1, 2, 3, 4])
    """
    return np.arange(n) % (periods or max(n, 1))



def _fmt(value) -> str:
    """A period or a raw value as a short text: 2021-01-04, 17, 'abc'."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    return str(value) if isinstance(value, int) else excerpt(value, limit=40)


def _some(texts, total: int | None = None, sep: str = "; ") -> str:
    """The first few of ``texts`` joined, with how many more there are."""
    texts = list(texts)
    total = len(texts) if total is None else total
    more = f" and {total - _SHOW} more" if total > _SHOW else ""
    return sep.join(texts[:_SHOW]) + more


def _parse_index(col: pd.Series, name: str) -> tuple[pd.Series | None, list[str]]:
    """The index column as int64 numbers or Timestamps; or None and the problem."""
    where = f"time index column {excerpt(name)}"
    if col.isna().any():
        return None, [f"{where} has {int(col.isna().sum())} missing value(s); every row needs "
                      f"its period: fill them in or drop those rows"]
    dtype = col.dtype
    if isinstance(dtype, pd.PeriodDtype):
        return col.dt.to_timestamp().reset_index(drop=True), []
    if pd.api.types.is_datetime64_any_dtype(dtype):
        ts = pd.to_datetime(col).reset_index(drop=True)
        return (ts.dt.tz_localize(None) if ts.dt.tz is not None else ts), []
    if pd.api.types.is_bool_dtype(dtype):
        return None, [f"{where} holds True/False; it needs dates or whole numbers"]
    if pd.api.types.is_numeric_dtype(dtype):
        arr = col.to_numpy()
        if pd.api.types.is_float_dtype(dtype) and not (
                np.isfinite(arr).all() and (arr == np.round(arr)).all()):
            bad = arr[~np.isfinite(arr) | (arr != np.round(arr))]
            shown = _some(map(_fmt, bad.tolist()), sep=", ")
            return None, [f"{where} holds numbers that are not whole ({shown}); number the "
                          f"periods 0, 1, 2, ... or give dates"]
        return pd.Series(arr.astype("int64")), []
    values = col.tolist()
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
           for v in values):
        return pd.Series(np.asarray(values, dtype="int64")), []
    if all(isinstance(v, str) and v.strip().lstrip("-").isdigit() for v in values):
        return pd.Series(np.asarray([int(v) for v in values], dtype="int64")), []
    fix = f"{where} must hold dates (such as 2021-01-04) or whole numbers"
    if not all(isinstance(v, (str, _dt.date, np.datetime64)) for v in values):
        odd = [v for v in values if not isinstance(v, (str, _dt.date, np.datetime64))]
        return None, [f"{fix}; it holds {_some(map(_fmt, odd), sep=', ')}"]
    raw = pd.Series([_ZONE.sub("", v) if isinstance(v, str) else v for v in values],
                    dtype=object)  # a time zone is dropped: each row keeps its local date
    form = _date_form_problem(raw, where)
    if form:
        return None, [form]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ts = pd.to_datetime(raw, errors="coerce", format=_slashed_format(raw) or "ISO8601")
            if ts.isna().any():
                ts = ts.fillna(pd.to_datetime(raw[ts.isna()], errors="coerce", format="mixed"))
    except (ValueError, TypeError, OverflowError, Warning) as exc:
        return None, [f"{fix}; reading it as dates failed ({excerpt(str(exc), limit=80)}): "
                      f"write every date in one form, e.g. 2021-01-04, without time zones"]
    if ts.isna().any():
        bad = raw[ts.isna()].tolist()
        return None, [f"{fix}; it holds {_some(map(_fmt, bad), len(bad), ', ')}, which are neither"]
    ts = pd.to_datetime(ts)
    return (ts.dt.tz_localize(None) if ts.dt.tz is not None else ts), []


#: a time zone written after a date and time: Z, +01:00, -0500
_ZONE = re.compile(r"(?<=\d)\s*(?:Z|[+-]\d{2}:?\d{2})$")
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[T ].*)?$")
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")


def _date_form_problem(raw: pd.Series, where: str) -> str | None:
    """Dates written in several forms, or day and month that cannot be told apart."""
    texts = [str(v).strip() for v in raw if isinstance(v, str)]
    iso = [t for t in texts if _ISO.match(t)]
    slashed = [m for m in (_SLASHED.match(t) for t in texts) if m]
    # another form only if it reads as a date at all ('soon' is no date: said as such later)
    other = next((t for t in texts if not _ISO.match(t) and _reads_as_date(t)), None)
    if iso and other is not None:
        return (f"{where} holds dates written in several forms (such as {iso[0]!r} and "
                f"{other!r}); write every date in one form, YYYY-MM-DD (2021-01-04)")
    if slashed and len(slashed) == len(texts):
        first, second = (max(int(m.group(k)) for m in slashed) for k in (1, 2))
        if first <= 12 and second <= 12:
            return (f"{where} holds dates such as {slashed[0].group(0)!r} whose day and month "
                    f"cannot be told apart (day/month or month/day); write them as "
                    f"YYYY-MM-DD (2021-01-04)")
    return None


def _reads_as_date(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return not pd.isna(pd.to_datetime(text, errors="coerce", format="mixed"))


def _slashed_format(raw: pd.Series) -> str | None:
    """The one reading of dates such as 13/01/2021 (day first) or 01/13/2021 (month first)
    that fits every row, when they are all written so (ambiguous ones are refused before)."""
    found = [m for m in (_SLASHED.match(str(v).strip()) for v in raw) if m]
    if not found or len(found) < len(raw):
        return None
    sep = found[0].group(0)[len(found[0].group(1))]
    year = "%Y" if len(found[0].group(3)) == 4 else "%y"
    day_first = max(int(m.group(1)) for m in found) > 12
    return sep.join(["%d", "%m", year] if day_first else ["%m", "%d", year])


def _unit_problem(index: pd.Series, step: int | None, period: int, where: str) -> str | None:
    """Dates spaced otherwise than the unit the declared period implies (52: weeks)."""
    if step is None or not pd.api.types.is_datetime64_any_dtype(index.dtype):
        return None
    days = step / _DAY
    unit = next((u for u, periods in _PERIOD_UNITS.items() if period in periods), None)
    if unit is None or _UNIT_DAYS[unit][0] <= days <= _UNIT_DAYS[unit][1]:
        return None
    spaced = next((u for u, (lo, hi) in _UNIT_DAYS.items() if lo <= days <= hi), None)
    fix = (f"declare period: {_PERIOD_OF[spaced]} for {_LY[spaced]} rows" if spaced
           else "give one row per period")
    return (f"{where} is spaced {days:g} day(s) apart, but the DAG declares period: {period}, "
            f"which is for {_LY[unit]} rows; {fix}, or aggregate the rows to {unit}s")


#: declared periods and the unit they imply; the unit's spacing in days
_PERIOD_UNITS = {"day": (7, 365, 366), "week": (52, 53), "month": (12,), "quarter": (4,)}
_UNIT_DAYS = {"day": (1, 1), "week": (7, 7), "month": (28, 31), "quarter": (89, 92)}
_PERIOD_OF = {"day": 7, "week": 52, "month": 12, "quarter": 4}
_LY = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly"}


def _ordinals(index: pd.Series) -> tuple[np.ndarray, int | None, str, Any]:
    """Index values as int64 ordinals, the step between periods, the step in words and a
    function that writes an ordinal as a period.

    Integers are their own ordinals; dates are nanoseconds, or months (quarters) when the
    usual spacing is 28-31 (89-92) days, so that calendar months count as regular.
    """
    if not pd.api.types.is_datetime64_any_dtype(index.dtype):
        ords = index.to_numpy(dtype="int64")
        step = _mode_step([ords])
        return ords, step, f"{step}", lambda o: str(int(o))
    ns = index.dt.as_unit("ns").astype("int64").to_numpy()
    step = _mode_step([ns])
    days = (step or 0) / _DAY
    if 28 <= days <= 31:
        months = (index.dt.year * 12 + index.dt.month - 1).to_numpy(dtype="int64")
        return months, 1, "1 month", lambda o: f"{int(o) // 12}-{int(o) % 12 + 1:02d}"
    if 89 <= days <= 92:
        quarters = (index.dt.year * 4 + (index.dt.month - 1) // 3).to_numpy(dtype="int64")
        return quarters, 1, "1 quarter", lambda o: f"{int(o) // 4}Q{int(o) % 4 + 1}"
    words = f"{days:g} day(s)" if step and step % _DAY == 0 else f"{pd.Timedelta(step or 0)}"
    return ns, step, words, lambda o: _fmt(pd.Timestamp(int(o)))


def _mode_step(series: list[np.ndarray]) -> int | None:
    """The most common positive difference between consecutive sorted values."""
    diffs = np.concatenate([np.diff(np.unique(s)) for s in series] or [np.array([], "int64")])
    if not len(diffs):
        return None
    values, counts = np.unique(diffs, return_counts=True)
    return int(values[np.argmax(counts)])


def check_time_columns(data: pd.DataFrame, axis: TimeAxis, min_periods: int = MIN_PERIODS
                       ) -> tuple[np.ndarray, SeriesLayout | None, list[str]]:
    """Check the index and geo columns of ``data`` (either may be absent).

    Returns the row order that puts the rows series after series (geos in order of first
    appearance, time ascending), the :class:`SeriesLayout` (None when there are problems)
    and every problem as a sentence.

    Examples
    --------
    >>> table = pd.DataFrame({"week": [0, 1, 0, 1], "geo": ["b", "b", "a", "a"]})
    >>> order, layout, problems = check_time_columns(table, TimeAxis("week", 52, "geo"), 2)
    >>> order.tolist(), layout.geos, problems
    ([0, 1, 2, 3], ('b', 'a'), [])
    """
    columns = [str(c) for c in data.columns]
    n, problems = len(data), []
    codes, labels = np.zeros(n, dtype="int64"), None
    if axis.geo is not None and axis.geo in columns:
        geo = data.iloc[:, columns.index(axis.geo)]
        if geo.isna().any():
            problems.append(f"geo column {excerpt(axis.geo)} has {int(geo.isna().sum())} "
                            f"missing value(s); every row needs its geo: fill them in or drop "
                            f"those rows")
            return np.arange(n), None, problems
        codes, uniques = pd.factorize(geo, sort=False)
        labels = tuple(uniques.tolist())
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(labels) if labels is not None else 1)
    groups = np.split(order, np.cumsum(counts)[:-1])  # row positions of each series
    name = _GeoPrefix(labels)
    if axis.index not in columns:
        sizes = {len(rows) for rows in groups}
        if len(sizes) > 1:
            problems.append(f"the geos have different numbers of rows ({sorted(sizes)[:_SHOW]}); "
                            f"a panel needs every geo over the same periods: add the index "
                            f"column {excerpt(axis.index)} so that the periods can be matched")
        problems += _too_short(groups, min_periods, name)
        return order, None if problems else SeriesLayout(
            len(groups), len(groups[0]) if groups else 0, labels), problems
    index, problems_index = _parse_index(data.iloc[:, columns.index(axis.index)], axis.index)
    if index is None:
        return order, None, problems + problems_index
    ords, step, words, show = _ordinals(index)
    where = f"time index column {excerpt(axis.index)}"
    unit = _unit_problem(index, _mode_step([index.dt.as_unit("ns").astype("int64").to_numpy()])
                         if pd.api.types.is_datetime64_any_dtype(index.dtype) else None,
                         axis.period, where)
    if unit:
        return order, None, [*problems, unit]
    problems += _order_problems(ords, index, groups, name, where, axis)
    uniq = [np.unique(ords[rows]) for rows in groups]
    if step is not None:
        problems += _gap_problems(ords, index, groups, uniq, step, words, name, where, show)
    union = np.unique(np.concatenate(uniq)) if uniq else np.array([], "int64")
    lacking = [(g, np.setdiff1d(union, u)) for g, u in enumerate(uniq) if len(u) < len(union)]
    if lacking and labels:
        shown = "; ".join(f"{excerpt(labels[g])} lacks {len(miss)} of {len(union)}"
                          for g, miss in lacking[:_SHOW])
        more = f" (and {len(lacking) - _SHOW} more geos)" if len(lacking) > _SHOW else ""
        problems.append(f"the geos do not cover the same periods ({shown}{more}); a panel "
                        f"needs every geo over the same periods (a balanced panel): add the "
                        f"missing periods or drop the geo")
    problems += _too_short(groups, min_periods, name, uniq)
    if problems:
        return order, None, problems
    first = index.iloc[groups[0]].tolist() if groups else []
    return order, SeriesLayout(len(groups), len(groups[0]) if groups else 0, labels,
                               tuple(first)), problems


class _GeoPrefix:
    """``prefix(g)``: "geo 'north': " for series ``g`` of a panel, "" without geo column."""

    def __init__(self, labels: tuple | None):
        self.labels = labels

    def __call__(self, g: int) -> str:
        return f"geo {excerpt(self.labels[g])}: " if self.labels else ""


def _order_problems(ords, index, groups, name, where, axis) -> list[str]:
    dups, unsorted = [], []
    for g, rows in enumerate(groups):
        vals, counts = np.unique(ords[rows], return_counts=True)
        if (counts > 1).any():
            first = int(np.flatnonzero(np.isin(ords[rows], vals[counts > 1]))[0])
            dups.append(f"{name(g)}{int((counts > 1).sum())} period(s) on several rows, first "
                        f"{_fmt(index.iloc[rows[first]])}")
        back = np.flatnonzero(np.diff(ords[rows]) < 0)
        if len(back):
            i = rows[back[0]]
            j = rows[back[0] + 1]
            unsorted.append(f"{name(g)}{_fmt(index.iloc[j])} (row {j}) comes after "
                            f"{_fmt(index.iloc[i])} (row {i})")
    problems = []
    if dups:
        if axis.geo is None:
            hint = ("; if the table holds several geos, declare the geo column in the DAG "
                    "(time: {geo: ...}) and keep it in the table")
        elif not name.labels:
            hint = (f"; if the table holds several geos, add the geo column "
                    f"{excerpt(axis.geo)} so that each geo's series can be told apart")
        else:
            hint = ""
        problems.append(f"{where} repeats periods ({_some(dups)}); each period appears once "
                        f"per series{hint}")
    if unsorted:
        problems.append(f"{where} is not in time order ({_some(unsorted)}); sort the table by "
                        f"{excerpt(axis.index)}" + (f" within each {excerpt(axis.geo)}"
                                                    if axis.geo else ""))
    return problems


def _gap_problems(ords, index, groups, uniq, step, words, name, where, show) -> list[str]:
    missing: list[str] = []  # the first missing periods, "geo 'a': 2021-01-25"
    odd: list[str] = []
    n_missing = 0
    for g, u in enumerate(uniq):
        d = np.diff(u)
        for k in np.flatnonzero(d != step):
            if d[k] % step:
                odd.append(f"{name(g)}{_fmt(_value_at(ords, index, groups[g], u[k]))} to "
                           f"{_fmt(_value_at(ords, index, groups[g], u[k + 1]))}")
                continue
            gap = int(d[k] // step) - 1
            missing += [f"{name(g)}{show(u[k] + j * step)}"
                        for j in range(1, min(gap, _SHOW) + 1)][: max(_SHOW - len(missing), 0)]
            n_missing += gap
    problems = []
    if n_missing:
        problems.append(f"{where} has gaps: its step is {words} and {n_missing} period(s) are "
                        f"missing ({_some(missing, n_missing, ', ')}); add the missing periods "
                        f"(with zero spend where nothing was spent)")
    if odd:
        problems.append(f"{where} is irregular: its step is {words}, but consecutive periods "
                        f"are spaced otherwise ({_some(odd)}); give one row per period on a "
                        f"regular grid")
    return problems


def _value_at(ords, index, rows, ordinal):
    return index.iloc[rows[np.flatnonzero(ords[rows] == ordinal)[0]]]


def _too_short(groups, min_periods: int, name, uniq=None) -> list[str]:
    short = [(g, len(uniq[g]) if uniq is not None else len(rows))
             for g, rows in enumerate(groups)]
    short = [(g, k) for g, k in short if k < min_periods]
    if not short:
        return []
    shown = ", ".join(f"{name(g) or 'the series: '}{k}" for g, k in short[:_SHOW])
    return [f"every series needs at least {min_periods} periods, because carryover is learned "
            f"from lagged spend and intervals come from blocks of consecutive periods; "
            f"too short: {shown}{' and more' if len(short) > _SHOW else ''}"]
