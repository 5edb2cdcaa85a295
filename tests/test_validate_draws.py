"""validate given one synthetic table much larger than the real one measures the causal side
as draws of the real table's size (what compare samples), so the draws carry the real
table's small-sample bias; a table under twice the real size, or a series, stays whole."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import causalsynth as cs
from causalsynth.evaluate.draws import real_sized_draws


def test_a_large_table_is_cut_into_disjoint_real_sized_draws_in_its_order():
    table = pd.DataFrame({"x": np.arange(1_000), "y": np.arange(1_000) * 2.0})
    before = table.copy()
    draws = real_sized_draws(table, 120, seed=3)
    assert [len(d) for d in draws] == [120] * 8          # 1,000 // 120, at most 10
    rows = np.concatenate([d["x"].to_numpy() for d in draws])
    assert len(set(rows)) == len(rows) == 960            # disjoint, 40 rows unused
    assert all((np.diff(d["x"]) > 0).all() for d in draws)  # the table's order kept
    assert all((d["y"] == d["x"] * 2.0).all() for d in draws)  # whole rows
    pd.testing.assert_frame_equal(table, before)         # input not modified
    assert len(real_sized_draws(table, 100, seed=3)) == 10
    assert len(real_sized_draws(table, 100, seed=3, most=4)) == 4
    assert real_sized_draws(table, 600, seed=3)[0] is table  # under two draws: whole
    a, b = real_sized_draws(table, 100, seed=1), real_sized_draws(table, 100, seed=1)
    assert all(x.equals(y) for x, y in zip(a, b, strict=True))  # seeded


@pytest.fixture(scope="module")
def acquisition():
    dag = cs.load_dag("acquisition")
    return dag, dag.simulate(300, seed=11), dag.simulate(3_000, seed=12)


def test_validate_measures_a_ten_times_larger_table_as_ten_draws(acquisition):
    dag, real, synthetic = acquisition
    report = cs.validate(real, synthetic, dag, seed=0, n_bootstrap=10)
    assert report.meta["synthetic_draws"] == 10
    assert report.meta["n_synthetic"] == 3_000
    assert report.causal["method"]["draws"]["m"] == 10
    # fidelity and privacy still compare like with like, copies over every synthetic row
    assert report.meta["n_synthetic_metrics"] == 300


def test_validate_keeps_a_table_under_twice_the_real_size_whole(acquisition):
    dag, real, synthetic = acquisition
    report = cs.validate(real, synthetic.iloc[:500], dag, seed=0, n_bootstrap=10)
    assert "synthetic_draws" not in report.meta
