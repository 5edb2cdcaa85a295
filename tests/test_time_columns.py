"""The time index and geo columns of a table through ``check_data`` and ``series_layout``
(issue 13): accepted for a DAG with ``time``, checked all at once, rows put in series order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causalsynth import DAGError, DataError, load_dag
from causalsynth.data import MIN_PERIODS, SeriesLayout, check_data, series_layout

WEEKS = 30


def _dag(geo: str | None = None, geos: int = 3):
    """spend -> revenue with carryover, weekly; a panel of ``geos`` geos when ``geo`` is set."""
    time = {"index": "week", "period": 52}
    simulation = {"spend": {"distribution": "uniform", "low": 0, "high": 10},
                  "revenue": {"coefficients": {"spend": 2.0},
                              "carryover": {"spend": {"decay": 0.5, "max_lag": 2}},
                              "noise": {"distribution": "normal", "sd": 1.0}}}
    if geo:
        time["geo"] = geo
        simulation["panel"] = {"geos": geos}
    return load_dag({
        "name": "weekly", "time": time,
        "nodes": [{"name": "spend", "type": "continuous", "role": "spend"},
                  {"name": "revenue", "type": "continuous", "role": "outcome",
                   "parents": ["spend"]}],
        "simulation": simulation})


def _dates(n: int = WEEKS) -> list[str]:
    return list(pd.date_range("2021-01-04", periods=n, freq="7D").strftime("%Y-%m-%d"))


@pytest.fixture()
def weekly():
    dag = _dag()
    table = dag.simulate(WEEKS, seed=0)
    table["week"] = _dates()
    return dag, table


@pytest.fixture()
def panel():
    dag = _dag(geo="region")
    table = dag.simulate(3 * WEEKS, seed=0)
    table["week"] = _dates() * 3
    return dag, table


def _problems(table, dag, **kwargs) -> list[str]:
    with pytest.raises(DataError) as info:
        check_data(table, dag, **kwargs)
    return info.value.problems


# ---- accepted tables ----------------------------------------------------------------------
def test_index_column_is_accepted_and_dropped(weekly):
    dag, table = weekly
    before = table.copy(deep=True)
    out = check_data(table, dag)
    pd.testing.assert_frame_equal(table, before)  # input untouched
    assert list(out.columns) == dag.nodes and out["spend"].dtype == "float64"
    pd.testing.assert_frame_equal(out, check_data(table.drop(columns="week"), dag))
    layout = series_layout(table, dag)
    assert layout == SeriesLayout(1, WEEKS, None, tuple(pd.to_datetime(_dates())))
    # every form of a date, and whole numbers
    for week in (pd.to_datetime(_dates()), pd.to_datetime(_dates()).to_period("W"),
                 np.arange(WEEKS) * 2 + 100, np.arange(WEEKS).astype(float),
                 [d.date() for d in pd.to_datetime(_dates())],
                 pd.to_datetime(_dates()).tz_localize("Europe/Berlin")):
        assert check_data(table.assign(week=week), dag).shape == (WEEKS, 2)


def test_calendar_months_are_a_regular_step(weekly):
    _, table = weekly
    monthly = _dag().to_dict()
    monthly["time"]["period"] = 12  # monthly rows: a yearly period of 12 (52 would be refused)
    dag = load_dag(monthly)
    months = pd.date_range("2020-01-31", periods=WEEKS, freq="ME")  # 28 to 31 days apart
    assert series_layout(table.assign(week=months), dag).periods == WEEKS
    problems = _problems(table.assign(week=months).drop(index=[3, 4]), dag)
    assert problems == ["time index column 'week' has gaps: its step is 1 month and 2 "
                        "period(s) are missing (2020-04, 2020-05); add the missing periods "
                        "(with zero spend where nothing was spent)"]


def test_a_panel_sorted_by_week_then_geo_comes_back_geo_after_geo(panel):
    dag, table = panel
    table["region"] = np.repeat(["north", "south", "east"], WEEKS)
    long = table.sort_values(["week", "region"], kind="stable")  # interleaved, as often stored
    out = check_data(long, dag)
    layout = series_layout(long, dag)
    assert layout.geos == ("east", "north", "south")  # first appearance in the table
    assert (layout.n_series, layout.periods, layout.n_rows) == (3, WEEKS, 3 * WEEKS)
    expected = pd.concat([table[table.region == g] for g in layout.geos])
    np.testing.assert_array_equal(out["spend"], expected["spend"])
    np.testing.assert_array_equal(layout.series_of_rows(), np.repeat([0, 1, 2], WEEKS))


def test_time_dag_without_index_takes_rows_in_order(weekly):
    dag, table = weekly
    plain = table.drop(columns="week")
    assert series_layout(plain, dag) == SeriesLayout(1, WEEKS)
    pd.testing.assert_frame_equal(check_data(plain, dag), check_data(table, dag))


def test_a_dag_without_time_behaves_as_before(weekly):
    dag, table = weekly
    spec = dag.to_dict()
    del spec["time"]
    del spec["simulation"]["revenue"]["carryover"]
    plain = load_dag(spec)
    assert _problems(table, plain) == [
        "column(s) ['week'] are in the data but not in the DAG 'weekly'; drop them or declare "
        "them as nodes"]
    with pytest.raises(DAGError, match="no 'time' block"):
        series_layout(table, plain)


# ---- refused tables -----------------------------------------------------------------------
def test_unsorted_weeks_are_refused_with_the_fix(weekly):
    dag, table = weekly
    problems = _problems(table.iloc[::-1], dag)
    assert len(problems) == 1
    assert problems[0].startswith("time index column 'week' is not in time order (2021-07-19 "
                                  "(row 1) comes after 2021-07-26 (row 0))")
    assert problems[0].endswith("sort the table by 'week'")


@pytest.mark.parametrize(("change", "expected"), [
    (lambda t: t.drop(index=[3, 4]), "has gaps: its step is 7 day(s) and 2 period(s) are "
                                     "missing (2021-01-25, 2021-02-01)"),
    (lambda t: t.assign(week=t.week.where(t.index != 5, "2021-02-03")),
     "is irregular: its step is 7 day(s), but consecutive periods are spaced otherwise "
     "(2021-02-01 to 2021-02-03; 2021-02-03 to 2021-02-15)"),
    (lambda t: t.assign(week=t.week.where(t.index != 5, t.week[4])),
     "repeats periods (1 period(s) on several rows, first 2021-02-01)"),
    (lambda t: t.assign(week=t.week.where(t.index != 2)), "has 1 missing value(s)"),
    (lambda t: t.assign(week=t.week.where(t.index != 2, "soon")),
     "must hold dates (such as 2021-01-04) or whole numbers; it holds 'soon', which are "
     "neither"),
    (lambda t: t.assign(week=np.arange(WEEKS) + 0.5), "holds numbers that are not whole"),
    (lambda t: t.assign(week=np.r_[0:10, 11:WEEKS + 1]), "its step is 1 and 1 period(s) are "
                                                         "missing (10)"),
    (lambda t: t.iloc[:12], f"every series needs at least {MIN_PERIODS} periods"),
], ids=["gaps", "irregular", "duplicate", "nan", "text", "fractional", "int-gap", "short"])
def test_each_bad_index_has_its_own_message(weekly, change, expected):
    dag, table = weekly
    problems = _problems(change(table.copy()), dag)
    assert any(expected in p for p in problems), problems


def test_min_periods_is_a_parameter(weekly):
    dag, table = weekly
    assert len(check_data(table.iloc[:12], dag, min_periods=10)) == 12
    assert series_layout(table.iloc[:12], dag, min_periods=12).periods == 12


def test_panel_problems_all_at_once(panel):
    dag, table = panel
    table["region"] = np.repeat(["north", "south", "east"], WEEKS)
    bad = table.drop(index=[WEEKS + 3]).copy()  # south lacks a week
    bad.loc[2 * WEEKS + 1, "region"] = None     # a row of east without its geo
    bad.loc[0, "spend"] = np.nan
    problems = _problems(bad, dag)
    assert len(problems) == 2
    assert problems[0].startswith("geo column 'region' has 1 missing value(s)")
    assert "'spend' has 1 missing value(s)" in problems[1]
    bad.loc[2 * WEEKS + 1, "region"] = "east"
    problems = _problems(bad.drop(index=range(2 * WEEKS, 2 * WEEKS + 15)), dag)
    text = "\n".join(problems)
    assert "geo 'south': 2021-01-25" in text  # the gap, with its geo
    assert "the geos do not cover the same periods ('south' lacks 1 of 30; 'east' lacks 15 of " \
           "30); a panel needs every geo over the same periods (a balanced panel)" in text
    assert "too short: geo 'east': 15" in text
    assert "'spend' has 1 missing value(s)" in text


def test_several_series_need_the_geo_column(panel):
    dag, table = panel
    table = table.drop(columns="region")  # three geos' weeks, but no region column
    problems = _problems(table, dag)
    assert any("repeats periods" in p and "add the geo column 'region'" in p for p in problems)
    weekly = _dag()
    problems = _problems(table, weekly)
    assert any("declare the geo column in the DAG" in p for p in problems)


def test_a_geo_column_without_index_needs_equal_series(panel):
    dag, table = panel
    table["region"] = np.repeat(["north", "south", "east"], WEEKS)
    plain = table.drop(columns="week")
    assert series_layout(plain, dag) == SeriesLayout(3, WEEKS, ("north", "south", "east"))
    problems = _problems(plain.iloc[:-1], dag)
    assert any("the geos have different numbers of rows" in p for p in problems)


# ---- the shipped real weekly tables, with their date (and geo) columns -----------------------
@pytest.mark.parametrize(("name", "file", "shape"), [
    ("robyn_weekly", "dt_simulated_weekly.csv", (1, 208)),
    ("meridian_national", "meridian_national_all_channels.csv", (1, 156)),
])
def test_shipped_weekly_tables_pass_with_their_date_column(name, file, shape):
    dag = load_dag(name)
    if dag.time is None:
        pytest.skip(f"{name} declares no time block")
    path = Path(__file__).resolve().parents[1] / "examples" / "data" / file
    raw = pd.read_csv(path)
    table = raw[[c for c in raw.columns if c in (*dag.nodes, dag.time.index)]]
    assert dag.time.index in table.columns
    layout = series_layout(table, dag)
    assert (layout.n_series, layout.periods) == shape
    assert (np.diff(pd.DatetimeIndex(layout.index)) == np.timedelta64(7, "D")).all()
    assert check_data(table, dag).shape == (shape[1], len(dag.nodes))
