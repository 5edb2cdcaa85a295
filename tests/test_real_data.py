"""The real third-party tables shipped in examples/data load ready for their DAGs.

Each table must load with its DAG's columns and dtypes, pass the data check, let check_dag run,
and split into two random halves that both still pass the data check (stratified on the label
columns, so that a rare level cannot leave one half constant): calibrating the verdict on
real data validates such halves against each other.

Every shipped DAG is consistent with its own data: check_dag, which on these time-indexed
tables conditions on trend and season and allows for autocorrelated weeks, finds no implied
independence contradicted, on the national tables and on Meridian's geo panel.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causalsynth import check_dag, load_dag
from causalsynth.data import check_data
from causalsynth.datasets import EXAMPLES, load_example
from causalsynth.errors import DataError

DATA = Path(__file__).resolve().parent.parent / "examples" / "data"
FILES = {"robyn_weekly": "dt_simulated_weekly.csv",
         "meridian_national": "meridian_national_all_channels.csv",
         "online_shop": "dowhy_online_shop_2021.csv"}
GEO_FILE = "meridian_geo_all_channels.csv"
# load_example keeps the time index (and geo) columns in front of the nodes
SHAPES = {"robyn_weekly": (208, 12), "meridian_national": (156, 11), "online_shop": (365, 9),
          "meridian_geo": (6240, 12)}
DROPPED = {
    "robyn_weekly": set(),
    "meridian_national": {"revenue_per_conversion",
                          *(f"Channel{i}_impression" for i in range(5))},
    "online_shop": set(),
    "meridian_geo": {"Unnamed: 0", "revenue_per_conversion", "population",
                     *(f"Channel{i}_impression" for i in range(5))},
}


def stratified_halves(table: pd.DataFrame, dag, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two random halves, stratified on the label columns (binary and categorical nodes).

    Rows are shuffled within each combination of labels; the combinations are taken from the
    rarest up (ties in random order) and their rows dealt alternately to the two halves, so
    every combination is split as evenly as possible and single rows of rare levels alternate.
    """
    rng = np.random.default_rng(seed)
    labels = [n for n in dag.nodes if dag.node_type(n) in ("binary", "categorical")]
    strata = (table[labels].astype(str).agg("|".join, axis=1).to_numpy() if labels
              else np.zeros(len(table), dtype=str))
    levels, counts = np.unique(strata, return_counts=True)
    ranked = levels[np.lexsort((rng.random(len(levels)), counts))]
    order = np.concatenate([rng.permutation(np.flatnonzero(strata == s)) for s in ranked])
    half = np.empty(len(table), dtype=int)
    half[order] = np.arange(len(table)) % 2
    return (table[half == 0].reset_index(drop=True), table[half == 1].reset_index(drop=True))


@pytest.fixture(scope="module", params=EXAMPLES)
def example(request):
    return request.param, load_example(request.param), load_dag(request.param)


def test_the_tables_are_shipped_with_licence_and_origin():
    assert set(EXAMPLES) == set(SHAPES)
    origin = (DATA / "ORIGIN.md").read_text(encoding="utf-8")
    for name, licence in [("robyn_weekly", "LICENSE-robyn"), ("meridian_national",
                          "LICENSE-meridian"), ("online_shop", "LICENSE-dowhy")]:
        assert (DATA / FILES[name]).is_file() and (DATA / licence).is_file()
        assert FILES[name] in origin and licence in origin


def test_table_loads_with_the_dag_columns_and_dtypes(example):
    name, table, dag = example
    assert table.shape == SHAPES[name]
    axis = [c for c in (dag.time.geo, dag.time.index) if c]
    assert list(table.columns) == axis + dag.nodes
    raw = pd.read_csv(DATA / (FILES.get(name) or GEO_FILE))
    assert len(raw.columns) == table.shape[1] + len(DROPPED[name])
    assert DROPPED[name] <= set(raw.columns)
    checked = check_data(table, dag)
    pd.testing.assert_frame_equal(checked, table[dag.nodes])  # clean: same values and dtypes
    for node in dag.nodes:
        assert table[node].nunique() > 1, f"{name}: {node} is constant"


def test_check_dag_runs(example):
    """The loaded table's check. DoWhy's permutation test, most of the full check's time, is
    run on every shipped table by test_full_check_dag_with_dowhy_passes."""
    _, table, dag = example
    check = check_dag(table, dag, seed=0, **QUICK)
    assert_check_ran(check, dag)


def assert_check_ran(check, dag) -> None:
    assert len(check.independences) > 0
    assert check.independences["effect"].notna().all()
    assert f"DAG {dag.name!r}" in check.summary()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_halves_pass_the_data_check(example, seed):
    name, table, dag = example
    table = table[dag.nodes]  # rows as a bag of weeks (without the index: gaps are refused)
    a, b = stratified_halves(table, dag, seed)
    assert abs(len(a) - len(b)) <= 1 and len(a) + len(b) == len(table)
    check_data(a, dag, what=f"{name} half A")
    check_data(b, dag, what=f"{name} half B")
    other = stratified_halves(table, dag, seed)[0]
    pd.testing.assert_frame_equal(a, other)  # seeded: the same split again


def test_rare_levels_are_split_between_halves():
    dag = load_dag("online_shop")
    a, b = stratified_halves(load_example("online_shop"), dag, seed=0)
    assert sorted([a["shopping_event"].sum(), b["shopping_event"].sum()]) == [7, 8]


def test_online_shop_renames_the_csv_columns():
    table = load_example("online_shop")
    assert set(table["shopping_event"].unique()) == {0, 1}
    assert table["shopping_event"].dtype == "int64"
    assert table["page_views"].dtype == "int64" and table["profit"].dtype == "float64"
    np.testing.assert_allclose(table["revenue"], table["sold_units"] * table["unit_price"])


def test_unknown_name_lists_the_examples():
    with pytest.raises(DataError, match="online_shop"):
        load_example("no_such_table")


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataError, match=r"dowhy_online_shop_2021\.csv") as info:
        load_example("online_shop", data_dir=tmp_path)
    assert str(tmp_path) in str(info.value)



# ---------------------------------------------------------------------------------------
# Every shipped DAG is consistent with its own data (time-aware check_dag)
# ---------------------------------------------------------------------------------------
def raw_with_index(name: str) -> pd.DataFrame:
    """The shipped CSV with the DAG's time index (and geo) columns and its nodes."""
    dag = load_dag(name)
    path = DATA / (FILES.get(name) or GEO_FILE)
    if not path.is_file():
        pytest.skip(f"{path.name} is not shipped in examples/data")
    raw = pd.read_csv(path)
    if name == "online_shop":
        raw = raw.rename(columns=lambda c: "Date" if c == "Date" else
                         c.rstrip("?").lower().replace(" ", "_"))
    keep = [c for c in (dag.time.index, dag.time.geo) if c]
    return raw[keep + dag.nodes]


QUICK = {"falsify_max_claims": 1}  # DoWhy's permutation test skipped: seconds, not a minute


@functools.cache
def quick_check(name: str):
    """The time-aware check (QUICK) of a shipped table with its index: computed once, read by
    the tests below (meridian_geo's 6,240 rows: several seconds a check)."""
    return check_dag(raw_with_index(name), load_dag(name), seed=0, progress=False, **QUICK)


@pytest.mark.parametrize("name", [*FILES, "meridian_geo"])
def test_check_dag_finds_no_contradiction_in_a_shipped_table(name):
    dag = load_dag(name)
    assert dag.time is not None, f"{name}: its rows are periods; declare time"
    check = quick_check(name)
    assert check.time_context is not None
    assert check.violations.empty, check.summary()
    assert check.passed
    assert len(check.independences) == {"robyn_weekly": 43, "meridian_national": 15,
                                         "online_shop": 15, "meridian_geo": 15}[name]


def test_check_dag_needs_no_index_column(example):
    name, table, dag = example  # without the index the rows are taken in time order
    table = table.drop(columns=dag.time.index)
    if dag.time.country:  # holidays need each row's date: one clear error without them
        with pytest.raises(DataError, match=f"keep the index column '{dag.time.index}'"):
            check_dag(table, dag, seed=0, progress=False, **QUICK)
        return
    check = check_dag(table, dag, seed=0, progress=False, **QUICK)
    with_index = quick_check(name)
    pd.testing.assert_frame_equal(check.independences, with_index.independences)


def test_robyn_needs_the_newsletter_to_search_edge():
    """The one revision of robyn_weekly: without newsletter -> search_S the data object."""
    dag = load_dag("robyn_weekly")
    spec = dag.to_dict()
    spec["nodes"] = [dict(n, parents=[]) if n["name"] == "search_S" else n
                     for n in spec["nodes"]]
    before = load_dag(spec)
    check = check_dag(raw_with_index("robyn_weekly"), before, seed=0, progress=False, **QUICK)
    failed = {frozenset((r.x, r.y)) for r in check.violations.itertuples()}
    assert failed == {frozenset(("newsletter", "search_S")),
                      frozenset(("newsletter", "search_clicks_P"))}
    iid = check_dag(raw_with_index("robyn_weekly").drop(columns="DATE"), before, seed=0,
                    progress=False, time_aware=False, **QUICK)
    assert len(iid.violations) == 7  # the i.i.d. check of the original DAG: 7 of 44


def test_meridian_geo_panel_is_shipped_with_origin():
    path = DATA / GEO_FILE
    if not path.is_file():
        pytest.skip(f"{GEO_FILE} is not shipped in examples/data")
    origin = (DATA / "ORIGIN.md").read_text(encoding="utf-8")
    assert GEO_FILE in origin and "geo_all_channels.csv @ 8ca83f6b" in origin
    raw = pd.read_csv(path)
    assert raw.shape == (6240, 20) and raw["geo"].nunique() == 40
    assert (raw.groupby("geo").size() == 156).all()


@pytest.mark.slow
@pytest.mark.parametrize("name", [*FILES, "meridian_geo"])
def test_full_check_dag_with_dowhy_passes(name):
    """The default check (DoWhy's permutation test included): about 5-10 s per national
    table and a minute for the geo panel on two shared cores."""
    dag = load_dag(name)
    check = check_dag(raw_with_index(name), dag, seed=0, progress=False)
    assert "falsified" in check.falsification, check.falsification
    assert check.passed, check.summary()
    assert_check_ran(check, dag)
