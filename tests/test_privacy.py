"""Privacy metrics: a copy scores worst, an independent draw scores like the holdout."""

import numpy as np
import pandas as pd
import pytest

import causalsynth.evaluate._shared as shared
from causalsynth import load_dag
from causalsynth.evaluate._shared import prepare
from causalsynth.evaluate._tabular import nearest
from causalsynth.evaluate.privacy import (
    evaluate_privacy,
    residual_risk,
    singling_out_risk,
    wilson_rate,
)

NAMES = ["dcr_share_closer_to_train", "nndr", "exact_copies", "verbatim_value_rate",
         "membership_inference_auc", "sdmetrics_dcr_baseline_protection",
         "sdmetrics_dcr_overfitting_protection", "singling_out_risk", "linkability_risk",
         "inference_risk"]
NEEDS_HOLDOUT = {"dcr_share_closer_to_train", "membership_inference_auc",
                 "sdmetrics_dcr_overfitting_protection", "singling_out_risk",
                 "linkability_risk", "inference_risk"}


def _worse(copy, fresh) -> bool:
    if copy.direction == "lower":
        return copy.value > fresh.value
    return copy.value < fresh.value


@pytest.fixture(scope="module")
def acquisition():
    dag = load_dag("acquisition")
    # 1,500 rows: the AUC's standard error is about 0.011, so 0.5 +- 0.05 is a 4.5 SE band
    real, fresh, hold = (dag.simulate(1500, seed=s) for s in (1, 2, 3))
    before = real.copy()
    copy_res = evaluate_privacy(real, real, dag, holdout=hold, seed=0)
    fresh_res = evaluate_privacy(real, fresh, dag, holdout=hold, seed=0)
    pd.testing.assert_frame_equal(real, before)  # inputs never modified
    return dag, copy_res, fresh_res


def test_all_metrics_run_with_direction_and_reference(acquisition):
    _, copy_res, fresh_res = acquisition
    assert sorted(fresh_res) == sorted(NAMES)
    for r in [*copy_res.values(), *fresh_res.values()]:
        assert r.ok, (r.name, r.error)
        assert r.direction in ("higher", "lower")
        assert r.reference is not None, r.name
        assert r.to_dict()["value"] is not None


def test_copy_of_real_scores_worst_on_every_metric(acquisition):
    _, copy_res, fresh_res = acquisition
    assert copy_res["exact_copies"].value == 1500
    assert copy_res["membership_inference_auc"].value > 0.99
    assert copy_res["dcr_share_closer_to_train"].value == 1.0
    assert copy_res["nndr"].value == 0.0
    assert copy_res["verbatim_value_rate"].value == 1.0
    for name in ("singling_out_risk", "linkability_risk", "inference_risk"):
        assert copy_res[name].value > 0.9, name
    for name in NAMES:
        assert _worse(copy_res[name], fresh_res[name]), name


def test_independent_draw_scores_like_holdout(acquisition):
    _, _, res = acquisition
    auc = res["membership_inference_auc"]
    assert abs(auc.value - 0.5) < 0.05 and abs(auc.reference - 0.5) < 0.05
    assert abs(res["dcr_share_closer_to_train"].value - 0.5) < 0.05
    assert res["dcr_share_closer_to_train"].reference == 0.5
    assert res["exact_copies"].value == 0 and res["verbatim_value_rate"].value == 0
    assert abs(res["nndr"].value - res["nndr"].reference) < 0.05
    for name in ("singling_out_risk", "linkability_risk"):
        assert res[name].value < 0.1, name
        lo, _hi = (res[name].details["risk_ci"]["multivariate"] if name == "singling_out_risk"
                  else res[name].details["risk_ci"])
        assert lo == 0.0  # zero risk inside the interval


@pytest.mark.slow
def test_categorical_table_reference_shows_natural_repeats():
    dag = load_dag("ad_funnel")
    real, fresh, hold = (dag.simulate(600, seed=s) for s in (1, 2, 3))
    res = evaluate_privacy(real, fresh, dag, holdout=hold, seed=0)
    copy = evaluate_privacy(real, real, dag, holdout=hold, seed=0)
    # a fresh draw of labels repeats many training rows: the reference shows it is normal
    ec = res["exact_copies"]
    assert ec.value > 100 and abs(ec.value - ec.reference) < 0.2 * ec.reference
    assert copy["exact_copies"].value == 600 > ec.value
    assert abs(res["membership_inference_auc"].value - 0.5) < 0.05
    assert copy["membership_inference_auc"].value > res["membership_inference_auc"].value + 0.1
    assert copy["inference_risk"].value > res["inference_risk"].value + 0.3
    assert copy["singling_out_risk"].value > res["singling_out_risk"].value


def test_copied_root_values_are_seen_per_column_not_by_distance():
    dag = load_dag("acquisition")
    real, fresh, hold = (dag.simulate(500, seed=s) for s in (1, 2, 3))
    rng = np.random.default_rng(0)
    # like DoWhy's draw_samples: root values resampled from the real column
    leaky = fresh.assign(demand=rng.choice(real["demand"].to_numpy(), len(fresh)))
    res = evaluate_privacy(real, leaky, dag, holdout=hold, seed=0)
    vv = res["verbatim_value_rate"]
    assert vv.value == 1.0 and vv.details["worst_column"] == "demand" and vv.reference == 0.0
    assert res["exact_copies"].value == 0
    # whole-row distances see only a weak signal of one copied column
    assert res["membership_inference_auc"].value < 0.65


def test_without_holdout_metrics_say_so():
    dag = load_dag("acquisition")
    real, fresh = dag.simulate(300, seed=1), dag.simulate(300, seed=2)
    res = evaluate_privacy(real, fresh, dag, seed=0)
    for name in NAMES:
        if name in NEEDS_HOLDOUT:
            assert "needs a holdout" in res[name].error and res[name].value is None
        else:
            assert res[name].ok and res[name].reference is None


def test_wilson_and_residual_risk_match_anonymeter_formulas():
    rate, err = wilson_rate(500, 50)
    z = 1.959963984540054
    assert rate == pytest.approx((50 + z * z / 2) / (500 + z * z))
    assert err == pytest.approx(z / (500 + z * z) * np.sqrt(50 * 450 / 500 + z * z / 4))
    r = residual_risk(500, 400, 500, 100)
    main, ctrl = wilson_rate(500, 400)[0], wilson_rate(500, 100)[0]
    assert r["risk"] == pytest.approx((main - ctrl) / (1 - ctrl))
    assert residual_risk(500, 10, 500, 200)["risk"] == 0.0  # bounded below by 0


def test_singling_out_is_reproducible_with_a_seed():
    dag = load_dag("acquisition")
    real, fresh, hold = (dag.simulate(300, seed=s) for s in (1, 2, 3))
    a = singling_out_risk(real, fresh, dag, 5, holdout=hold)
    b = singling_out_risk(real, fresh, dag, 5, holdout=hold)
    pd.testing.assert_frame_equal(a.breakdown, b.breakdown)


def test_nearest_is_exact_with_duplicates():
    rng = np.random.default_rng(0)
    cand = rng.integers(0, 3, size=(400, 3)).astype(float)
    query = rng.integers(0, 3, size=(60, 3)).astype(float)
    d, i = nearest(query, cand, k=3, return_index=True)
    full = np.sqrt(((query[:, None, :] - cand[None]) ** 2).sum(-1))
    np.testing.assert_allclose(d, np.sort(full, axis=1)[:, :3])
    np.testing.assert_allclose(full[np.arange(60)[:, None], i], d)


def test_small_holdout_is_noted_not_warned(recwarn):
    """SDMetrics warns when the holdout is under half the training rows: we say so in details."""
    from causalsynth.evaluate.privacy import sdmetrics_dcr_overfitting_protection

    dag = load_dag("acquisition")
    real, fresh, hold = dag.simulate(400, seed=1), dag.simulate(400, seed=2), dag.simulate(
        100, seed=3)
    res = sdmetrics_dcr_overfitting_protection(real, fresh, dag, rng=0, holdout=hold)
    assert res.ok and "100 holdout rows against 400 training rows" in res.details["note"]
    assert not [w for w in recwarn if "validation" in str(w.message)]


def test_tables_are_checked_once_and_shared_by_every_metric(monkeypatch):
    """validate's path (tables prepared once) gives the figures of the stand-alone path."""
    dag = load_dag("acquisition")
    real, fresh, hold = (dag.simulate(300, seed=s) for s in (1, 2, 3))
    checked = []
    check = shared.check_data
    monkeypatch.setattr(shared, "check_data",
                        lambda *a, **k: checked.append(k["what"]) or check(*a, **k))
    tables = prepare(real, fresh, dag, hold)
    assert checked == ["the real table", "the synthetic table", "the holdout table"]
    once = evaluate_privacy(tables, seed=0)
    assert len(checked) == 3  # the metrics reuse the checked tables
    assert tables.nearest("synthetic", "real", 2) is tables.nearest("synthetic", "real", 2)
    alone = evaluate_privacy(real, fresh, dag, holdout=hold, seed=0)
    strip = lambda r: {k: v for k, v in r.to_dict().items() if k != "seconds"}  # noqa: E731
    assert {k: strip(r) for k, r in once.items()} == {k: strip(r) for k, r in alone.items()}
    with pytest.raises(TypeError, match="prepared tables"):
        prepare(tables, fresh)
