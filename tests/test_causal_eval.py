"""Causal evaluation against known truth: ICI, effects, independences, check_dag, the verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import causalsynth as cs
from causalsynth.data import check_data
from causalsynth.evaluate.causal import compare_causal
from causalsynth.evaluate.gcm import fit_gcm

AD_FUNNEL_TRUTH_ROWS = 50_000  # shared with test_simulate: the truth is cached per process
EXACT = {"demand": 30.1, "tv_spend": 17.5, "social_spend": 24.7, "organic_clicks": 0.2,
         "social_clicks": 27.3, "revenue": 0.2}


def test_ici_accuracy_and_steadiness_on_acquisition(acquisition, acquisition_real):
    """Issue 3: every share within 1.0 point of the exact ones; spread across seeds <= 0.5."""
    runs = [cs.intrinsic_influence(acquisition_real, acquisition, seed=s, n_bootstrap=0)
            for s in range(3)]
    for ici in runs:
        for node, share in ici.shares().items():
            assert share == pytest.approx(EXACT[node], abs=1.0), node
        assert sum(ici.shares().values()) == pytest.approx(100)
    spread = np.ptp([r.share for r in runs], axis=0)
    assert spread.max() <= 0.5


def test_ici_intervals_cover_and_frame(acquisition, acquisition_real):
    ici = cs.intrinsic_influence(acquisition_real, acquisition, seed=0, n_bootstrap=30)
    frame = ici.to_frame()
    assert list(frame.columns[:4]) == ["node", "share", "low", "high"]
    assert (frame["low"] <= frame["share"]).all() and (frame["share"] <= frame["high"]).all()
    truth = acquisition.ground_truth().shares()
    covered = [row.low - 0.3 <= truth[row.node] <= row.high + 0.3 for row in frame.itertuples()]
    assert sum(covered) >= 5  # 95% intervals; allow one miss of six


@pytest.mark.slow
def test_exact_path_agrees_with_dowhy(acquisition, acquisition_real):
    """On the same fitted GCM, DoWhy's own estimator agrees within its sampling error (~3 pts)."""
    from dowhy import gcm

    from causalsynth.data import check_data
    from causalsynth.evaluate.gcm_ici import exact_ici
    from causalsynth.evaluate.gcm_models import quiet, to_model_frame

    clean = check_data(acquisition_real, acquisition)
    fitted = fit_gcm(clean, acquisition, seed=0)
    ours = dict(zip([*acquisition.ancestors("revenue"), "revenue"],
                    exact_ici(fitted, "revenue"), strict=True))
    state = np.random.get_state()
    np.random.seed(0)
    try:
        with quiet():
            theirs = gcm.intrinsic_causal_influence(fitted.scm, "revenue",
                                                    prediction_model="exact",
                                                    num_samples_baseline=4000)
    finally:
        np.random.set_state(state)
    total = sum(theirs.values())
    for node, value in theirs.items():
        assert 100 * value / total == pytest.approx(ours[node], abs=3.0), node
    assert fitted.check_forward(clean) < 1e-9  # our forward pass is DoWhy's evaluate
    assert len(to_model_frame(clean, acquisition)) == len(clean)


def test_monte_carlo_path_on_saturation(saturation):
    """Non-linear DAG: shares within 2 points and effects within 5% of the ground truth."""
    real = saturation.simulate(20_000, seed=1)
    ici = cs.intrinsic_influence(real, saturation, seed=0, n_bootstrap=0)
    assert ici.method.startswith("Monte Carlo")
    # 50,000 rows (shared with test_simulate and test_ici_mc, computed once per run): shares
    # within 0.3 points and effects within 0.9 % of the default 200,000 rows'; the largest
    # gaps here are 0.65 (shares) and 0.19 (effects) of the tolerance (0.80, 0.26 on default)
    truth = saturation.ground_truth(n_samples=50_000)
    for node, share in truth.shares().items():
        assert ici.shares()[node] == pytest.approx(share, abs=2.0), node
    from causalsynth.data import check_data
    from causalsynth.evaluate.gcm import draw_uniforms

    fitted = fit_gcm(check_data(real, saturation), saturation, seed=0)
    eff = fitted.effects("revenue", draw_uniforms(saturation, 20_000, np.random.default_rng(0)),
                         saturation.treatments)
    for row in truth.effects.itertuples():
        # +10% shifts are identified by the data; per-unit slopes of zero-inflated spend are not
        # (nothing is observed between 0 and the smallest positive spend), so they are not tested
        assert eff[(row.treatment, "shift_10pct")] == pytest.approx(row.shift_10pct, rel=0.05)


def test_gcm_effect_of_tv_within_two_percent(acquisition, acquisition_real):
    out = compare_causal(acquisition_real, acquisition_real, acquisition, seed=0, n_bootstrap=5)
    per_unit = [r for r in out["effects"] if r["treatment"] == "tv_spend"
                and r["kind"] == "per_unit"]
    assert {r["method"] for r in per_unit} == {"gcm", "dml"}
    for r in per_unit:
        assert r["real"] == pytest.approx(1.0, rel=0.02), r["method"]
        assert r["real_low"] <= 1.0 <= r["real_high"] or abs(r["real"] - 1) < 0.02


def test_independence_tests_hold_on_true_dag_and_fail_on_wrong_one(acquisition):
    data = acquisition.simulate(10_000, seed=4)
    assert cs.check_dag(data, acquisition, seed=0).passed
    spec = acquisition.to_dict()
    spec.pop("simulation")
    for node in spec["nodes"]:  # drop the edges tv_spend -> clicks
        if node["name"] in ("organic_clicks", "social_clicks"):
            node["parents"] = [p for p in node["parents"] if p != "tv_spend"]
    wrong = cs.load_dag(spec)
    check = cs.check_dag(data, wrong, seed=0)
    assert not check.passed
    failing = {frozenset((r.x, r.y)) for r in check.violations.itertuples()}
    assert frozenset(("organic_clicks", "tv_spend")) in failing
    assert "consider an edge" in check.summary()
    assert check.to_dict()["passed"] is False


def _broken_tables(dag, n):
    shuffled = dag.simulate(n, seed=2)
    shuffled["tv_spend"] = np.random.default_rng(0).permutation(shuffled["tv_spend"].to_numpy())
    halved = dag.to_dict()
    halved["simulation"]["social_clicks"]["coefficients"]["tv_spend"] = 0.25
    no_channel = dag.to_dict()
    no_channel["simulation"]["revenue"]["coefficients"]["social_clicks"] = 0.0
    return {
        "shuffled": (shuffled, "tv_spend"),
        "halved": (cs.load_dag(halved).simulate(n, seed=2), "tv_spend"),
        "no_channel": (cs.load_dag(no_channel).simulate(n, seed=2), "social_clicks"),
    }


@pytest.mark.parametrize("case", ["shuffled", "halved", "no_channel"])
def test_broken_structure_is_not_preserved(acquisition, case):
    real = acquisition.simulate(20_000, seed=1)
    synthetic, culprit = _broken_tables(acquisition, 20_000)[case]
    out = compare_causal(real, synthetic, acquisition, seed=0, n_bootstrap=5)
    assert out["verdict"] == "not preserved"
    # the decisions lead the (at most five) reasons; every failed figure is in the details
    assert len(out["reasons"]) <= 5
    lines = out["reasons"] + [x for part in out["details"].values() for x in part]
    assert any(culprit in line for line in lines), lines


@pytest.mark.slow
def test_false_alarm_rate_on_independent_draws(acquisition):
    """Real vs an independent draw of the same DAG: "not preserved" in at most 1 of 20 seeds,
    and "preserved" in most: at 5,000 rows the effect of TV can be confirmed to about +-5%, so
    a draw whose effect lands 7% away is honestly undecided at a 10% margin (the benchmark
    bench_verdict_calibration.py shows 20 of 20 preserved at 20,000 rows)."""
    verdicts = []
    for seed in range(20):
        real = acquisition.simulate(5_000, seed=1000 + seed)
        fresh = acquisition.simulate(5_000, seed=2000 + seed)
        verdicts.append(compare_causal(real, fresh, acquisition, seed=seed)["verdict"])
    assert verdicts.count("not preserved") <= 1, verdicts
    assert verdicts.count("preserved") >= 5, verdicts  # reachable at this size, not rare


def test_mixed_types_end_to_end_on_ad_funnel(ad_funnel):
    real = ad_funnel.simulate(10_000, seed=1)
    fresh = ad_funnel.simulate(10_000, seed=2)
    out = compare_causal(real, fresh, ad_funnel, seed=0, n_bootstrap=0, mc_rows=6000)
    # about 470 conversions: the DML effect of exposure is only confirmable to about +-12%
    assert out["verdict"] in ("preserved", "inconclusive"), out["reasons"]
    truth = ad_funnel.ground_truth(n_samples=AD_FUNNEL_TRUTH_ROWS)
    shares = {r["node"]: r["real_share"] for r in out["ici"]}
    mc_se = {r["node"]: r["mc_se_real"] for r in out["ici"]}
    # revenue is zero for 95% of users (about 470 conversions in 10,000 rows): the table pins
    # shares to about 4 points, and the Monte Carlo estimator (1,024 node subsets) adds its own
    # reported standard error
    for node, share in truth.shares().items():
        assert shares[node] == pytest.approx(share, abs=max(4.0, 3 * mc_se[node])), node
    eff = {(r["treatment"], r["method"]): r["real"] for r in out["effects"]}
    true_effect = float(truth.effects.set_index("treatment").loc["exposure", "per_unit"])
    assert eff[("exposure", "gcm")] == pytest.approx(true_effect, rel=0.10)
    assert eff[("exposure", "dml")] == pytest.approx(true_effect, rel=0.15)


def test_tabulated_label_mechanisms_equal_dowhy_evaluate(ad_funnel):
    """Every ad_funnel mechanism has label parents only: its outputs are looked up from a table
    predicted once per parent combination, and must still equal DoWhy's ``evaluate``."""
    real = check_data(ad_funnel.simulate(3_000, seed=1), ad_funnel)
    fitted = fit_gcm(real, ad_funnel, seed=0)
    assert set(fitted.grids) == {"exposure", "click", "conversion", "revenue"}
    assert fitted.check_forward(real, n=1_000) < 1e-9


def test_small_real_table_cannot_buy_certainty(acquisition):
    """19 real rows grown to 2,000 near-copies: the synthetic side is measured at its own size,
    but every difference's interval still carries the 19 real rows' noise, and the table says
    it can confirm nothing like the default margins."""
    real = acquisition.simulate(19, seed=5)
    grown = pd.concat([real] * 105, ignore_index=True).iloc[:2000]
    grown = grown + np.random.default_rng(0).normal(0, 1, grown.shape)  # near-copies
    out = compare_causal(real, grown, acquisition, seed=0, n_bootstrap=20)
    assert out["method"]["bootstrap_rows_synthetic"] == out["n_synthetic"] > 1900
    tv = next(r for r in out["effects"] if r["treatment"] == "tv_spend"
              and r["kind"] == "per_unit" and r["method"] == "dml")
    real_width = tv["real_high"] - tv["real_low"]
    assert tv["diff_high"] - tv["diff_low"] >= real_width
    assert out["verdict"] != "not preserved"
    assert out["confirmable"]["effects"]["tv_spend"] > 0.5  # 19 rows: no 10 % margin


def test_bad_inputs(acquisition, acquisition_real):
    with pytest.raises(cs.DataError, match="synthetic table"):
        compare_causal(acquisition_real, acquisition_real.drop(columns="demand"), acquisition)
    with pytest.raises(cs.DAGError, match="no ancestors"):
        cs.intrinsic_influence(acquisition_real, acquisition, target="demand")


@pytest.mark.slow
def test_verdict_separates_sdv_synthesizers(acquisition):
    """Fidelity scores do not see causal damage; the verdict does (small epochs here).

    GaussianCopula models a linear-Gaussian table well and keeps attribution; CTGAN trained
    briefly scores a decent quality yet distorts ICI and the effect of TV spend.
    """
    real = acquisition.simulate(5_000, seed=1)
    verdicts = {}
    for name, params in {"gaussian_copula": {}, "ctgan": {"epochs": 10}}.items():
        synthetic = cs.make_synthesizer(name, **params).fit(real, acquisition).sample(5_000, seed=0)
        out = compare_causal(real, synthetic, acquisition, seed=0)
        verdicts[name] = out
    assert verdicts["gaussian_copula"]["verdict"] == "preserved", verdicts["gaussian_copula"][
        "reasons"]
    assert verdicts["ctgan"]["verdict"] == "not preserved"
    assert any("ICI share" in r or "effect of" in r for r in verdicts["ctgan"]["reasons"])


def test_cell_models_are_cell_means_and_frequencies(ad_funnel):
    """Label-only parents: the saturated models return each cell's mean / class frequencies
    (without shrinkage), fall back to the linear / logistic fit on unseen cells, and the
    conversion-gated revenue of ad_funnel picks them over a linear model."""
    from causalsynth.evaluate.gcm_models import CellFrequencies, CellMeans, choose_families

    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(400, 2)).astype(float)
    y = 10 * x[:, 0] * x[:, 1] + rng.normal(size=400)      # an interaction, not additive
    cells = CellMeans(prior_rows=0.0).fit(x, y)
    for a in (0.0, 1.0):
        for b in (0.0, 1.0):
            mask = (x[:, 0] == a) & (x[:, 1] == b)
            assert cells.predict(np.array([[a, b]]))[0] == pytest.approx(y[mask].mean())
    unseen = np.array([[2.0, 2.0]])
    assert cells.predict(unseen)[0] == pytest.approx(cells.fallback_.predict(unseen)[0])
    labels = np.where(y > 5, "high", "low")
    freq = CellFrequencies(prior_rows=0.0).fit(x, labels)
    proba = freq.predict_proba(np.array([[1.0, 1.0]]))[0]
    mask = (x[:, 0] == 1) & (x[:, 1] == 1)
    assert proba[list(freq.classes_).index("high")] == pytest.approx(
        np.mean(labels[mask] == "high"))
    assert proba.sum() == pytest.approx(1.0)
    families = choose_families(check_data(ad_funnel.simulate(5_000, seed=1), ad_funnel),
                               ad_funnel, seed=0)
    assert families["revenue"] == "cells"
