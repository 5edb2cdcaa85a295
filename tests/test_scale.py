"""Scale: the de-duplicated neighbour searches and look-ups that keep label-heavy logs linear
are exact (checked against brute force on tables full of ties), and validate reports its peak
memory. Timings live in benchmarks/bench_scale.py, not here."""

import numpy as np
import pandas as pd
import pytest

from causalsynth import load_dag
from causalsynth.evaluate._shared import distinct_rows, evaluate, nearest_distinct
from causalsynth.evaluate.privacy import METRICS, evaluate_privacy, verbatim_value_rate


def _tied(rng, n, d, levels=3):
    """A matrix of few distinct rows (labels), one column half continuous."""
    x = rng.integers(0, levels, size=(n, d)).astype(float)
    x[:, -1] = np.where(rng.random(n) < 0.5, 0.0, np.round(rng.normal(size=n), 1))
    return x


def _brute(query, cand, metric):
    diff = query[:, None, :] - cand[None]
    return np.abs(diff).sum(-1) if metric == "manhattan" else np.sqrt((diff**2).sum(-1))


def test_distinct_rows_rebuild_the_matrix_in_order_of_first_appearance():
    x = _tied(np.random.default_rng(0), 3000, 4)
    d = distinct_rows(x)
    np.testing.assert_array_equal(d.rows[d.inverse], x)
    assert len(d.rows) == len(np.unique(x, axis=0))
    assert np.all(np.diff(d.first) > 0)  # first appearances, in order
    np.testing.assert_array_equal(x[d.first], d.rows)
    assert d.counts.sum() == len(x)


@pytest.mark.parametrize("metric", ["euclidean", "manhattan"])
@pytest.mark.parametrize("k", [1, 2, 4])
def test_nearest_distinct_is_exact_on_tied_rows(metric, k):
    rng = np.random.default_rng(k)
    cand, query = _tied(rng, 600, 3), _tied(rng, 80, 3)
    full = _brute(query, cand, metric)
    d, i = nearest_distinct(query, cand, k=k, metric=metric, return_index=True)
    np.testing.assert_allclose(d, np.sort(full, axis=1)[:, :k])
    np.testing.assert_allclose(nearest_distinct(query, cand, k=k, metric=metric), d)
    # ties go to the lowest row numbers, as a scan in row order would give them
    want = np.array([np.lexsort((np.arange(len(cand)), r))[:k] for r in full])
    np.testing.assert_array_equal(np.sort(i, axis=1), np.sort(want, axis=1))


def test_nearest_distinct_on_column_subsets_of_distinct_rows():
    rng = np.random.default_rng(3)
    cand, query = _tied(rng, 500, 4), _tied(rng, 50, 4)
    cols = [0, 3]
    full = _brute(query[:, cols], cand[:, cols], "manhattan")
    d, i = nearest_distinct(query[:, cols], distinct_rows(cand), k=2, metric="manhattan",
                            return_index=True, columns=cols)
    np.testing.assert_allclose(d, np.sort(full, axis=1)[:, :2])
    want = np.array([np.lexsort((np.arange(len(cand)), r))[:2] for r in full])
    np.testing.assert_array_equal(np.sort(i, axis=1), np.sort(want, axis=1))


@pytest.fixture(scope="module")
def ad_logs():
    dag = load_dag("ad_funnel")
    return dag, dag.simulate(3000, seed=1), dag.simulate(3000, seed=2), dag.simulate(800, seed=3)


def test_verbatim_values_of_label_columns_match_a_direct_lookup(ad_logs):
    dag, real, syn, hold = ad_logs
    res = verbatim_value_rate(real, syn, dag, holdout=hold)
    table = res.breakdown.set_index("column")
    for c in dag.nodes:
        as_obj = lambda s: s.astype(object).to_numpy()  # noqa: E731
        want = np.isin(as_obj(syn[c]), as_obj(real[c])).mean()
        assert table.loc[c, "synthetic_rate"] == pytest.approx(want, abs=1e-12)


def test_progress_bar_names_metrics_and_changes_no_figure(ad_logs, capsys):
    dag, real, syn, hold = ad_logs
    metrics = [m for m in METRICS if m.__name__ in ("exact_copies", "nndr")]
    quiet = evaluate(metrics, real, syn, dag, hold, seed=0, progress=False)
    shown = evaluate(metrics, real, syn, dag, hold, seed=0, progress=True)
    assert "nndr" in capsys.readouterr().err
    strip = lambda r: {k: v for k, v in r.to_dict().items() if k != "seconds"}  # noqa: E731
    assert {k: strip(r) for k, r in quiet.items()} == {k: strip(r) for k, r in shown.items()}


def test_copied_ad_logs_still_score_worst(ad_logs):
    """With de-duplicated searches a copy is still caught on a table full of natural repeats."""
    dag, real, syn, hold = ad_logs
    copy = evaluate_privacy(real, real, dag, holdout=hold, seed=0)
    fresh = evaluate_privacy(real, syn, dag, holdout=hold, seed=0)
    assert copy["exact_copies"].value == len(real)
    # labels repeat by nature, so only the rarer rows give members away (copy 0.60, fresh 0.50;
    # the AUC's standard error here is about 0.011)
    assert copy["membership_inference_auc"].value > fresh["membership_inference_auc"].value + 0.05
    assert copy["dcr_share_closer_to_train"].value > fresh["dcr_share_closer_to_train"].value + 0.05
    assert copy["dcr_share_closer_to_train"].details["share_synthetic_dcr_zero"] == 1.0
    assert abs(fresh["dcr_share_closer_to_train"].value - 0.5) < 0.05
    assert copy["verbatim_value_rate"].value == 1.0


def test_validate_reports_peak_memory():
    import causalsynth as cs

    dag = load_dag("acquisition")
    real, syn = dag.simulate(400, seed=1), dag.simulate(400, seed=2)
    report = cs.validate(real, syn, dag, seed=0)
    peak = report.meta["peak_memory_mb"]
    assert peak is None or 10 < peak < 64 * 1024
    assert isinstance(pd.Series([peak]).iloc[0], (float, type(None)))
