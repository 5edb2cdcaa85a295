"""The real third-party tables shipped in examples/data load ready for their DAGs.

Each table must load with its DAG's columns and dtypes, pass the data check, let check_dag run,
and split into two random halves that both still pass the data check (stratified on the label
columns, so that a rare level cannot leave one half constant): calibrating the verdict on
real data validates such halves against each other.
"""

from __future__ import annotations

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
SHAPES = {"robyn_weekly": (208, 11), "meridian_national": (156, 10), "online_shop": (365, 8)}
DROPPED = {
    "robyn_weekly": {"DATE"},
    "meridian_national": {"time", "revenue_per_conversion",
                          *(f"Channel{i}_impression" for i in range(5))},
    "online_shop": {"Date"},
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


def test_the_three_tables_are_shipped_with_licence_and_origin():
    assert set(EXAMPLES) == set(SHAPES)
    origin = (DATA / "ORIGIN.md").read_text(encoding="utf-8")
    for name, licence in [("robyn_weekly", "LICENSE-robyn"), ("meridian_national",
                          "LICENSE-meridian"), ("online_shop", "LICENSE-dowhy")]:
        assert (DATA / FILES[name]).is_file() and (DATA / licence).is_file()
        assert FILES[name] in origin and licence in origin


def test_table_loads_with_the_dag_columns_and_dtypes(example):
    name, table, dag = example
    assert table.shape == SHAPES[name]
    assert list(table.columns) == dag.nodes
    raw = pd.read_csv(DATA / FILES[name])
    assert len(raw.columns) == table.shape[1] + len(DROPPED[name])
    assert DROPPED[name] <= set(raw.columns)
    checked = check_data(table, dag)
    pd.testing.assert_frame_equal(checked, table)  # already clean: same values and dtypes
    for node in dag.nodes:
        assert table[node].nunique() > 1, f"{name}: {node} is constant"


def test_check_dag_runs(example):
    _, table, dag = example
    check = check_dag(table, dag, seed=0)
    assert len(check.independences) > 0
    assert check.independences["effect"].notna().all()
    assert f"DAG {dag.name!r}" in check.summary()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_halves_pass_the_data_check(example, seed):
    name, table, dag = example
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

