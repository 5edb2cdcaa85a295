"""Utility metrics: TSTR against TRTR, segmentation agreement."""

import numpy as np
import pandas as pd
import pytest

from causalsynth import load_dag
from causalsynth.evaluate.metric import metric_label
from causalsynth.evaluate.utility import evaluate_utility, utility_targets


@pytest.fixture(scope="module")
def funnel():
    dag = load_dag("ad_funnel")
    return dag, dag.simulate(800, seed=1), dag.simulate(800, seed=2), dag.simulate(800, seed=3)


def test_targets_are_outcome_and_binary_nodes(funnel):
    dag = funnel[0]
    assert utility_targets(dag) == ["revenue", "exposure", "click", "conversion"]
    assert utility_targets(load_dag("acquisition")) == ["revenue"]


def test_fresh_sample_matches_trtr_and_noise_does_not(funnel):
    dag, real, syn, hold = funnel
    before = syn.copy()
    res = evaluate_utility(real, syn, dag, holdout=hold, seed=0)
    pd.testing.assert_frame_equal(syn, before)
    assert all(r.ok for r in res.values()), {k: r.error for k, r in res.items()}
    for node in ("revenue", "click", "conversion"):
        r = res[f"tstr_{node}"]
        assert r.value > r.reference - 0.06, (node, r.value, r.reference)
        assert r.details["test_set"].startswith("holdout")
        assert r.direction == "higher"
    # one declaration for the family tstr_<node>
    assert metric_label("tstr_click") == ("Train synthetic, test real: click",
                                          "utility of the synthetic table for predicting "
                                          "this node")
    # a table whose columns are shuffled independently keeps the marginals, loses prediction
    rng = np.random.default_rng(0)
    noise = syn.apply(lambda c: rng.permutation(c.to_numpy()))
    bad = evaluate_utility(real, noise, dag, holdout=hold, seed=0)
    assert bad["tstr_revenue"].value < 0.2 < res["tstr_revenue"].value
    assert bad["tstr_click"].value < res["tstr_click"].value - 0.1


def test_segmentation_ari_real_copy_is_one_and_noise_is_low():
    dag = load_dag("acquisition")
    real, hold = dag.simulate(800, seed=1), dag.simulate(800, seed=3)
    same = evaluate_utility(real, real, dag, holdout=hold, seed=0)["segmentation_ari"]
    assert same.value == pytest.approx(1.0)
    fresh = evaluate_utility(real, dag.simulate(800, seed=2), dag, holdout=hold,
                             seed=0)["segmentation_ari"]
    assert abs(fresh.value - fresh.reference) < 0.15
    # independent shuffles of each column keep the marginals and lose the joint structure
    rng = np.random.default_rng(1)
    noise = real.apply(lambda c: rng.permutation(c.to_numpy()))
    bad = evaluate_utility(real, noise, dag, holdout=hold, seed=0)["segmentation_ari"]
    assert bad.value < fresh.reference - 0.3


def test_without_holdout_says_which_rows_scored(funnel):
    dag, real, syn, _ = funnel
    res = evaluate_utility(real, syn, dag, seed=0)
    assert "synthesizer saw these rows" in res["tstr_click"].details["test_set"]
    assert res["segmentation_ari"].reference is None


def test_single_class_synthetic_target_records_error(funnel):
    dag, real, syn, hold = funnel
    res = evaluate_utility(real, syn.assign(conversion=0), dag, holdout=hold, seed=0)
    assert "single class" in res["tstr_conversion"].error
    assert res["tstr_click"].ok and res["tstr_conversion"].reference is not None
