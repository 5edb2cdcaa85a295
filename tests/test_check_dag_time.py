"""check_dag on time-indexed tables: time context, autocorrelation, panels.

Known truth: series simulated from the built-in weekly_mmm and geo_mmm DAGs (the DAG is true,
so every implied independence holds), a DAG with one true edge dropped (wrong), and pairs of
independent autocorrelated series. Fixed seeds; tolerances stated at each assertion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causalsynth import check_dag, load_dag
from causalsynth.errors import DataError
from causalsynth.evaluate.independence import independence_tests, residual_test
from causalsynth.evaluate.series import TimeRows, time_rows

SEEDS = range(20)
WEEKS = 156


def without_edge(dag, child: str, parent: str):
    """The DAG with the edge parent -> child removed (and no simulation block)."""
    spec = dag.to_dict()
    spec.pop("simulation", None)
    spec["nodes"] = [dict(n, parents=[p for p in n.get("parents", []) if p != parent])
                     if n["name"] == child else n for n in spec["nodes"]]
    return load_dag(spec)


def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of several result tables (their attrs, which pandas cannot compare, dropped)."""
    return pd.concat([pd.DataFrame(f.to_dict("list")) for f in frames], ignore_index=True)


@pytest.fixture(scope="module")
def weekly():
    dag = load_dag("weekly_mmm")
    return dag, [dag.simulate(WEEKS, seed=s) for s in SEEDS]


@pytest.fixture(scope="module")
def runs(weekly):
    dag, series = weekly
    return {aware: [independence_tests(s, dag, seed=0, time_aware=aware, progress=False)
                    for s in series] for aware in (True, False)}


def test_true_dag_is_rejected_at_about_the_nominal_rate(runs):
    aware = stack(runs[True])
    informative = aware[aware["effect"] > 0]  # claims the time context does not settle
    rate = float((informative["p_value"] < 0.05).mean())
    # 11 informative claims x 20 series = 220 tests; measured 4.1 %. Nominal 5 %: a rate
    # up to 9 % is within about 3 standard errors (sd of a 5 % rate over 220 tests: 1.5 %)
    assert len(informative) >= 150
    assert rate <= 0.09, rate
    rejected = sum(not r["holds"].all() for r in runs[True])
    assert rejected <= 2, rejected  # the whole DAG: Bonferroni at 5 %, so at most 2 of 20


def test_iid_check_over_rejects_the_true_dag(runs):
    # trend and season are both functions of the week: over 156 weeks they correlate
    # (r = -0.29), so the i.i.d. check calls the true DAG wrong (measured: 20 of 20 series)
    rejected = sum(not r["holds"].all() for r in runs[False])
    assert rejected >= 15, rejected
    rate = float((stack(runs[False])["p_value"] < 0.05).mean())
    assert rate >= 0.09, rate  # measured 12.2 % of all claims at the 5 % level


def test_trend_and_season_nodes_are_settled_by_the_time_context(runs):
    first = runs[True][0]
    settled = first[(first["x"] == "trend") & (first["y"] == "season")].iloc[0]
    assert settled["effect"] == 0 and settled["p_value"] == 1.0
    assert "time context" in settled["test"]


@pytest.mark.parametrize("child,parent,least", [("revenue", "tv_spend", 19),
                                               ("revenue", "search_spend", 19),
                                               ("revenue", "demand", 19)])
def test_a_dropped_true_edge_is_detected(weekly, child, parent, least):
    dag, series = weekly
    wrong = without_edge(dag, child, parent)
    detected = sum(not independence_tests(s, wrong, seed=0, time_aware=True,
                                          progress=False)["holds"].all() for s in series)
    assert detected >= least, detected  # measured 20 of 20 for each


def _ar1(rng, n: int, rho: float) -> np.ndarray:
    x, e = np.zeros(n + 100), rng.normal(size=n + 100)
    for t in range(1, n + 100):
        x[t] = rho * x[t - 1] + e[t]
    return x[100:]


def test_autocorrelated_independent_series_keep_the_level():
    rows = TimeRows(np.arange(WEEKS), period=52)
    aware, iid = [], []
    for seed in range(300):
        rng = np.random.default_rng(seed)
        x, y = _ar1(rng, WEEKS, 0.8), _ar1(rng, WEEKS, 0.8)
        aware.append(residual_test(x, y, None, rows)[1] < 0.05)
        iid.append(residual_test(x, y)[1] < 0.05)
    # independent AR(1) series (autocorrelation 0.8), nominal 5 %: measured 7.8 %
    # (time-aware) and 34.5 % (i.i.d.) over 1,000 pairs (benchmarks/bench_check_dag.py
    # --time); sd of an 8 % rate over 300 pairs: 1.6 %, so up to 11 % passes
    assert np.mean(aware) <= 0.11, np.mean(aware)
    assert np.mean(iid) >= 0.25, np.mean(iid)


def test_index_column_orders_the_rows(weekly):
    dag, series = weekly
    table = series[0]
    shuffled = table.sample(frac=1.0, random_state=0)
    a = independence_tests(table, dag, seed=0, time_aware=True, progress=False)
    b = independence_tests(shuffled, dag, seed=0, time_aware=True, progress=False)
    pd.testing.assert_frame_equal(a, b)
    frame, rows = time_rows(shuffled, dag)
    assert dag.time.index not in frame and list(rows.position) == list(range(WEEKS))
    nodes_only = independence_tests(table[dag.nodes], dag, seed=0, time_aware=True,
                                    progress=False)  # no index: rows taken in order
    pd.testing.assert_frame_equal(a, nodes_only)


def test_repeated_periods_are_refused(weekly):
    dag, series = weekly
    doubled = pd.concat([series[0], series[0].head(3)])
    with pytest.raises(DataError, match="repeats a period"):
        time_rows(doubled, dag)


def test_check_dag_says_what_it_conditioned_on(weekly):
    dag, series = weekly
    check = check_dag(series[0], dag, seed=0, n_permutations=5, progress=False)
    assert check.passed
    assert "linear trend + 2 Fourier harmonics of period 52" in check.time_context
    assert "time context" in check.summary() and "effective sample size" in check.summary()
    assert check.to_dict()["time_context"] == check.time_context
    iid = check_dag(series[0], dag, seed=0, n_permutations=5, progress=False,
                    time_aware=False)
    assert iid.time_context is None and not iid.passed  # trend vs season, as above


@pytest.fixture(scope="module")
def panels():
    dag = load_dag("geo_mmm")
    return dag, [dag.simulate(40 * 104, seed=s) for s in range(3)]


def test_panel_true_dag_holds_and_a_wrong_one_fails(panels):
    dag, tables = panels
    wrong = without_edge(dag, "search_spend", "demand")
    for table in tables:
        ok = independence_tests(table, dag, seed=0, time_aware=True, progress=False)
        assert ok["holds"].all(), ok[~ok["holds"]]
        assert "40 geo fixed effects" in ok.attrs["time_context"]
        bad = independence_tests(table, wrong, seed=0, time_aware=True, progress=False)
        assert not bad["holds"].all()  # measured: effect 0.29, p < 1e-10 in each seed


def test_panel_needs_its_geo_column(panels):
    dag, tables = panels
    with pytest.raises(DataError, match="geo"):
        independence_tests(tables[0].drop(columns=[dag.time.geo]), dag, time_aware=True)


def test_panel_subsample_keeps_whole_geos(panels):
    dag, tables = panels
    _, rows = time_rows(tables[0], dag)
    keep = rows.sample(1000, np.random.default_rng(0))
    kept = rows.take(keep)
    assert len(keep) <= 1000 and kept.n_geos == len(keep) // 104
    assert all((kept.geo == g).sum() == 104 for g in np.unique(kept.geo))


def test_partial_out_survives_an_svd_that_does_not_converge(monkeypatch):
    """LAPACK's SVD failed to converge on a 20,000-row spline basis (discover, PC): the
    residuals then come from a pivoted QR, equal to least squares' on a collinear basis."""
    import numpy as np

    from causalsynth.evaluate import series

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    basis = np.column_stack([np.ones(200), x, x[:, 0] + x[:, 1]])  # one collinear column
    y = rng.normal(size=(200, 2))
    want, rank = series.partial_out(y, basis)

    def fails(*args, **kwargs):
        raise np.linalg.LinAlgError("SVD did not converge in Linear Least Squares")

    monkeypatch.setattr(np.linalg, "lstsq", fails)
    got, got_rank = series.partial_out(y, basis)
    assert got_rank == rank == 4
    np.testing.assert_allclose(got, want, atol=1e-10)
