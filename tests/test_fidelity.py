"""Fidelity metrics: SDMetrics' numbers reproduced exactly, tests that detect what they should."""

import warnings

import numpy as np
import pandas as pd
import pytest

from causalsynth import load_dag
from causalsynth.evaluate.fidelity import (
    METRICS,
    benjamini_hochberg,
    evaluate_fidelity,
    holm,
    quality,
    quality_report,
)
from causalsynth.evaluate.metric import METRIC_SPECS, metric_label

NAMES = ["quality_score", "column_shapes", "column_pair_trends", "ks_chi2_tests", "mmd_test",
         "correlation_difference", "mean_std_comparison", "cumsum_comparison"]


def _demo():
    from sdmetrics.demos import load_single_table_demo

    real, syn, meta = load_single_table_demo()  # reads CSVs shipped inside sdmetrics
    return real["student_placements"], syn["student_placements"], meta["tables"][
        "student_placements"]


def _sdmetrics_report(real, syn, meta):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from sdmetrics.reports.single_table import QualityReport
        report = QualityReport()
        report.generate(real, syn, meta, verbose=False)
    return report


def test_quality_report_equals_sdmetrics_on_full_demo():
    real, syn, meta = _demo()
    ours = quality_report(real, syn, meta)
    ref = _sdmetrics_report(real, syn, meta)
    props = ref.get_properties().set_index("Property")["Score"]
    assert abs(ours["score"] - ref.get_score()) < 1e-9
    assert abs(ours["column_shapes"] - props["Column Shapes"]) < 1e-9
    assert abs(ours["column_pair_trends"] - props["Column Pair Trends"]) < 1e-9


def test_quality_metric_from_dag_equals_sdmetrics_on_demo_columns():
    # the DAG path types the table (Categoricals, bools -> 0/1) and builds metadata from node
    # types; the numbers must not move
    real, syn, meta = _demo()
    cont = ["second_perc", "high_perc", "degree_perc", "employability_perc", "mba_perc"]
    labels = ["gender", "high_spec", "degree_type", "mba_spec"]
    nodes = [{"name": c, "type": "continuous"} for c in cont]
    nodes.append({"name": "experience_years", "type": "count"})
    nodes += [{"name": c, "type": "categorical",
               "categories": sorted(set(real[c]) | set(syn[c]))} for c in labels]
    nodes += [{"name": "work_experience", "type": "binary"},
              {"name": "placed", "type": "binary", "role": "outcome"}]
    dag = load_dag({"name": "student_placements", "nodes": nodes})
    cols = [n["name"] for n in nodes]
    sub_meta = {"columns": {c: meta["columns"][c] for c in cols}}
    ref = _sdmetrics_report(real[cols], syn[cols], sub_meta)
    res = {r.name: r for r in quality(real[cols], syn[cols], dag)}
    props = ref.get_properties().set_index("Property")["Score"]
    assert abs(res["quality_score"].value - ref.get_score()) < 1e-9
    assert abs(res["column_shapes"].value - props["Column Shapes"]) < 1e-9
    assert abs(res["column_pair_trends"].value - props["Column Pair Trends"]) < 1e-9
    shapes = ref.get_details("Column Shapes")
    np.testing.assert_allclose(res["column_shapes"].breakdown["score"], shapes["Score"],
                               atol=1e-9)
    pairs = ref.get_details("Column Pair Trends")
    np.testing.assert_allclose(res["column_pair_trends"].breakdown["score"], pairs["Score"],
                               atol=1e-9)


def test_multiple_testing_corrections_match_textbook_values():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(benjamini_hochberg(p), [0.02, 0.04, 0.04, 0.02])


@pytest.fixture(scope="module")
def acquisition():
    dag = load_dag("acquisition")
    return dag, dag.simulate(800, seed=1), dag.simulate(800, seed=2), dag.simulate(800, seed=3)


def test_fresh_sample_scores_like_holdout_and_input_untouched(acquisition):
    dag, real, syn, hold = acquisition
    before = real.copy()
    res = evaluate_fidelity(real, syn, dag, holdout=hold, seed=0)
    pd.testing.assert_frame_equal(real, before)
    assert sorted(res) == sorted(NAMES)
    assert all(r.ok for r in res.values()), {k: r.error for k, r in res.items()}
    assert abs(res["quality_score"].value - res["quality_score"].reference) < 0.02
    assert res["ks_chi2_tests"].value == 0.0  # same process: no column differs after Holm
    assert res["mmd_test"].details["p_value"] > 0.01
    for r in res.values():
        assert r.direction in ("higher", "lower") and r.reference is not None
        assert r.to_dict()["name"] == r.name  # JSON-friendly
        # declared once: the result's direction is its spec's, the label comes from the spec
        spec = METRIC_SPECS[r.name]
        assert r.direction == spec.direction and spec.reference
        assert metric_label(r.name) == (spec.label, spec.hint)
    assert metric_label("quality_score") == ("Quality score (SDMetrics)",
                                             "average of column shapes and pair trends")
    assert metric_label("no_such_metric") == ("no such metric", "")


def test_tests_flag_a_shifted_column_and_mmd_rejects(acquisition):
    dag, real, syn, hold = acquisition
    bad = syn.assign(tv_spend=syn["tv_spend"] * 1.3)
    res = evaluate_fidelity(real, bad, dag, holdout=hold, seed=0)
    table = res["ks_chi2_tests"].breakdown.set_index("column")
    assert table.loc["tv_spend", "differs"] and table.loc["tv_spend", "material"]
    assert not table.drop("tv_spend")["differs"].any()
    assert res["mmd_test"].details["p_value"] < 0.01
    assert res["mean_std_comparison"].value > 3 * res["mean_std_comparison"].reference


def test_correlation_difference_sees_broken_dependence(acquisition):
    dag, real, syn, hold = acquisition
    rng = np.random.default_rng(0)
    shuffled = syn.assign(revenue=rng.permutation(syn["revenue"].to_numpy()))
    res = evaluate_fidelity(real, shuffled, dag, holdout=hold, seed=0)
    cd = res["correlation_difference"]
    row = cd.breakdown.set_index(["column_a", "column_b"]).loc[("social_clicks", "revenue")]
    assert row["abs_diff"] > 0.5 and cd.value > 3 * cd.reference
    # the marginal of revenue is unchanged, so the column tests stay quiet about it
    assert not res["ks_chi2_tests"].breakdown.set_index("column").loc["revenue", "differs"]


def test_categorical_dag_and_no_holdout():
    dag = load_dag("ad_funnel")
    real, syn = dag.simulate(600, seed=1), dag.simulate(600, seed=2)
    res = evaluate_fidelity(real, syn, dag, seed=0)
    assert all(r.ok for r in res.values()), {k: r.error for k, r in res.items()}
    assert all(r.reference is None for r in res.values())
    assert "no holdout" in res["mmd_test"].details["reference_note"]


def test_one_failing_metric_is_recorded(acquisition, monkeypatch):
    import causalsynth.evaluate.fidelity as fid

    def boom(*args, **kwargs):
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(fid, "METRICS", [boom, *METRICS[1:]])
    dag, real, syn, hold = acquisition
    res = fid.evaluate_fidelity(real, syn, dag, holdout=hold, seed=0)
    assert "broken on purpose" in res["boom"].error
    assert res["mmd_test"].ok
