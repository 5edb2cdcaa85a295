"""Temporal fidelity (causalsynth.evaluate.temporal): autocorrelation, spend->outcome
cross-correlation, seasonal share and zero-spend runs, real vs synthetic, on time-indexed DAGs.

Yardsticks are measured, not assumed (seed 0 real table of weekly_mmm, 156 weeks): a fresh
simulated series (seeds 1-20) differs from it by at most 0.38 in autocorrelation at lags 1-4
(median 0.27: one series of 156 weeks has a sampling error of about 0.07-0.11 per lag), its
rows shuffled (what a row synthesizer does to time) by at least 1.0. On geo_mmm (40 geos, so
40 series averaged) a fresh panel differs by 0.027-0.037.
"""

import json

import numpy as np
import pandas as pd
import pytest

from causalsynth import load_dag
from causalsynth.data import check_data
from causalsynth.errors import DAGError, DataError, InvalidParameterError
from causalsynth.evaluate.temporal import (
    ACF_TARGET,
    autocorrelation_diff,
    cross_correlation_diff,
    seasonal_power_diff,
    seasonal_share_diff,
    spectrum_diff,
    temporal_fidelity,
    zero_run_diff,
    zero_run_length_diff,
)

WEEKS, GEOS = 156, 40
FRESH_ACF_TOL = 0.4  # measured max over fresh seeds 1-20: 0.382 (median 0.272)
SHUFFLED_ACF_MIN = 0.9  # measured min over shuffles 1-20: 1.007 (trend and season lose it)


@pytest.fixture(scope="module")
def weekly():
    dag = load_dag("weekly_mmm")
    return dag, check_data(dag.simulate(WEEKS, seed=0), dag)


@pytest.fixture(scope="module")
def geo():
    dag = load_dag("geo_mmm")
    return dag, check_data(dag.simulate(WEEKS * GEOS, seed=0), dag)


def _shuffled(table, seed):
    return table.sample(frac=1, random_state=seed).reset_index(drop=True)


def _tv_carryover(ccf, column):
    """Mean TV -> revenue cross-correlation at lags 1-3."""
    return float(ccf.query("spend == 'tv_spend' and 1 <= lag <= 3")[column].mean())


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_fresh_series_is_close_and_shuffled_rows_are_far(weekly, seed):
    dag, real = weekly
    fresh = check_data(dag.simulate(WEEKS, seed=seed), dag)
    near = temporal_fidelity(real, fresh, dag)["headline"]
    far = temporal_fidelity(real, _shuffled(real, seed), dag)["headline"]
    assert near["max_abs_acf_diff_lags_1_4"] < FRESH_ACF_TOL
    assert far["max_abs_acf_diff_lags_1_4"] > SHUFFLED_ACF_MIN
    assert far["max_abs_acf_diff_lags_1_4_at"]["column"] in {"trend", "season", "revenue",
                                                              "demand"}
    # the seasonal share: fresh max diff 0.21 over seeds 1-20, shuffled min 0.94
    assert near["max_abs_seasonal_share_diff"] < 0.3
    assert far["max_abs_seasonal_share_diff"] > 0.8


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffling_rows_loses_tv_carryover_but_keeps_lag_zero(weekly, seed):
    dag, real = weekly
    ccf = cross_correlation_diff(real, _shuffled(real, seed), dag)
    # real: 0.354 (decay 0.7 adstock); shuffled: within +-0.057 over seeds 1-20
    assert _tv_carryover(ccf, "real_ccf") > 0.25
    assert abs(_tv_carryover(ccf, "synthetic_ccf")) < 0.1
    lag0 = ccf.query("lag == 0")  # a row permutation keeps each week's pairs intact
    np.testing.assert_allclose(lag0["synthetic_ccf"], lag0["real_ccf"], atol=1e-9)


def test_identical_tables_differ_by_nothing(weekly):
    dag, real = weekly
    out = temporal_fidelity(real, real.copy(), dag)
    head = out["headline"]
    assert head["max_abs_acf_diff"] == 0 and head["max_abs_ccf_diff"] == 0
    assert head["max_abs_zero_run_diff"] == 0 and head["acf_target_met"] is True
    json.dumps(out, allow_nan=False)  # JSON-ready: plain types, NaN as None
    seas = pd.DataFrame(out["seasonal"]).set_index("column")
    assert seas.loc["season", "real_share"] == pytest.approx(1.0, abs=1e-9)  # pure harmonics
    assert seas.loc["trend", "real_share"] is None or np.isnan(seas.loc["trend", "real_share"])


def test_autocorrelation_matches_the_textbook_estimator(weekly):
    dag, real = weekly
    acf = autocorrelation_diff(real, real, dag, max_lag=3).set_index(["column", "lag"])
    x = real["revenue"].to_numpy() - real["revenue"].mean()
    for k in (1, 2, 3):
        expected = (x[:-k] * x[k:]).sum() / (x * x).sum()
        assert acf.loc[("revenue", k), "real_acf"] == pytest.approx(expected, rel=1e-12)


def test_zero_runs_are_counted_within_each_series(weekly):
    dag, real = weekly
    table = real.iloc[:40].copy()
    for c in ("tv_spend", "search_spend", "social_spend", "display_spend"):
        table[c] = 1.0
    # series 1: a run of 3 ending the series; series 2: a run of 1 starting it and one of 2
    table.loc[17:19, "tv_spend"] = 0.0
    table.loc[[20, 30, 31], "tv_spend"] = 0.0
    runs = zero_run_diff(table, table.iloc[:20], dag, periods=(20, 20)).set_index("spend")
    assert runs.loc["tv_spend", "real_runs"] == 3  # 3 runs: the 3 and the 1 are not joined
    assert runs.loc["tv_spend", "real_mean_run"] == pytest.approx(6 / 3)
    assert runs.loc["tv_spend", "synthetic_mean_run"] == pytest.approx(3.0)
    assert runs.loc["tv_spend", "diff"] == pytest.approx(1.0)
    assert runs.loc["search_spend", "real_mean_run"] == 0.0  # never zero
    one = zero_run_diff(table, table, dag).set_index("spend")  # as one series: 3 + 1 joined
    assert one.loc["tv_spend", "real_runs"] == 2


def test_geo_panel_is_measured_per_geo(geo):
    dag, real = geo
    fresh = check_data(dag.simulate(WEEKS * GEOS, seed=1), dag)
    near = temporal_fidelity(real, fresh, dag, periods=(WEEKS, WEEKS))["headline"]
    # 40 series averaged: measured 0.027-0.037 (seeds 1-3), so the target holds here
    assert near["max_abs_acf_diff_lags_1_4"] < ACF_TARGET
    assert near["acf_target_met"] is True
    rng = np.random.default_rng(1)  # weeks shuffled within each geo
    rows = np.concatenate([g * WEEKS + rng.permutation(WEEKS) for g in range(GEOS)])
    shuffled = real.iloc[rows].reset_index(drop=True)
    far = temporal_fidelity(real, shuffled, dag, periods=(WEEKS, WEEKS))
    assert far["headline"]["max_abs_acf_diff_lags_1_4"] > SHUFFLED_ACF_MIN
    ccf = pd.DataFrame(far["cross_correlation"])
    assert _tv_carryover(ccf, "real_ccf") > 0.15  # measured 0.20
    assert abs(_tv_carryover(ccf, "synthetic_ccf")) < 0.05  # measured -0.01


def test_a_dag_without_time_is_refused():
    dag = load_dag("acquisition")
    table = check_data(dag.simulate(100, seed=0), dag)
    with pytest.raises(DAGError, match="declares no 'time' block"):
        temporal_fidelity(table, table, dag)


def test_bad_tables_are_refused_with_the_reason(weekly):
    dag, real = weekly
    with pytest.raises(DataError, match="not a whole number of series of 50"):
        autocorrelation_diff(real, real, dag, periods=(50, 50))
    with pytest.raises(DataError, match="revenue"):
        seasonal_share_diff(real, real.drop(columns="revenue"), dag)
    bad = real.copy()
    bad.loc[3, "tv_spend"] = np.nan
    with pytest.raises(DataError, match="tv_spend"):
        zero_run_diff(real, bad, dag)
    with pytest.raises(InvalidParameterError, match="periods"):
        temporal_fidelity(real, real, dag, periods=(5, None))


def test_inputs_are_not_modified(weekly):
    dag, real = weekly
    before = real.copy()
    temporal_fidelity(real, _shuffled(real, 0), dag)
    pd.testing.assert_frame_equal(real, before)


def test_fidelity_reports_temporal_structure_for_time_dags_only():
    from causalsynth.evaluate.fidelity import evaluate_fidelity

    dag = load_dag("weekly_mmm")
    real, fresh, hold = (dag.simulate(156, seed=s) for s in (1, 2, 3))
    shuffled = fresh.drop(columns="week").sample(frac=1, random_state=0).reset_index(drop=True)
    kept = evaluate_fidelity(real, fresh, dag, holdout=hold, seed=0)["temporal_acf_diff"]
    lost = evaluate_fidelity(real, shuffled, dag, holdout=hold, seed=0)["temporal_acf_diff"]
    assert kept.value < 0.4 and lost.value > 0.9  # measured: 0.33 and 1.08
    assert kept.reference == lost.reference and kept.reference < 0.4  # the holdout series
    acq = load_dag("acquisition")
    plain = evaluate_fidelity(acq.simulate(300, seed=1), acq.simulate(300, seed=2), acq, seed=0)
    assert "temporal_acf_diff" not in plain


def test_the_html_report_shows_the_time_structure_of_time_dags_only():
    from causalsynth.render.html import render_report

    dag = load_dag("weekly_mmm")
    real, fresh = dag.simulate(156, seed=1), dag.simulate(156, seed=2)
    from causalsynth.evaluate.fidelity import evaluate_fidelity

    fid = {k: v.to_dict() for k, v in evaluate_fidelity(real, fresh, dag, seed=0).items()}
    page = render_report({"verdict": "inconclusive", "causal": {"target": "revenue"},
                          "fidelity": fid, "meta": {"dag": dag.name}})
    start = page.index("<h3>Time structure</h3>")
    assert "<svg" in page[start:start + 3000] and "tv_spend → revenue" in page[start:]
    acq = load_dag("acquisition")
    plain = {k: v.to_dict() for k, v in evaluate_fidelity(
        acq.simulate(300, seed=1), acq.simulate(300, seed=2), acq, seed=0).items()}
    assert "Time structure" not in render_report({"verdict": "inconclusive",
                                                  "fidelity": plain, "meta": {}})


# ---- the figures behind the report's "Seasonal spectrum" and "Zero-spend runs" plots ------------
def _flighted(dag, seed, weeks=WEEKS):
    """A weekly_mmm series whose TV is flighted as media plans are: on for 4-10 weeks, then
    dark for 3-8 (weekly_mmm itself draws its dark weeks independently, week by week, so
    shuffling its weeks keeps their run lengths: nothing for a test to see)."""
    table = check_data(dag.simulate(weeks, seed=seed), dag)
    rng, dark, t = np.random.default_rng(seed), np.zeros(weeks, dtype=bool), 0
    while t < weeks:
        t += int(rng.integers(4, 11))
        n = int(rng.integers(3, 9))
        dark[t:t + n] = True
        t += n
    table["tv_spend"] = np.where(dark, 0.0, np.maximum(table["tv_spend"], 1000.0))
    return table


def _plotted(out):
    """(synthetic / real power of revenue at the declared period, share of TV's zero runs
    of length 1 in the real and the synthetic table, share of them 3 weeks or longer)."""
    spec = next(r for r in out["seasonal"] if r["column"] == "revenue")["spectrum"]
    runs = next(r for r in out["zero_runs"] if r["spend"] == "tv_spend")["run_lengths"]
    assert spec["harmonic"] == [1, 2] and runs["length"] == list(range(1, 9))
    share = {side: np.asarray(runs[side]) / sum(runs[side]) for side in ("real", "synthetic")}
    return (spec["synthetic_harmonic"][0] / spec["real_harmonic"][0], share["real"][0],
            share["synthetic"][0], share["synthetic"][2:].sum())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_weeks_lose_the_season_and_the_zero_runs_a_fresh_series_keeps(seed):
    dag = load_dag("weekly_mmm")
    real = _flighted(dag, 0)
    fresh = _plotted(temporal_fidelity(real, _flighted(dag, seed), dag))
    lost = _plotted(temporal_fidelity(real, _shuffled(real, seed), dag))
    # revenue's power at 52 weeks, synthetic / real: fresh series 0.55-1.01 over seeds 1-20,
    # shuffled weeks 0.004-0.084 (the real series has 38.8, white noise about 1)
    assert 0.4 < fresh[0] < 2.5
    assert lost[0] < 0.15
    # TV's dark runs: the real flights last 3-8 weeks (one cut short by the series' end may
    # be shorter), so no run of one week, and a fresh plan 92-100% runs of 3 weeks or more;
    # shuffled weeks pile 44-65% of their runs at one week and keep 7-29% at 3 or more
    # (seeds 1-20 for both)
    assert fresh[1] == 0 and fresh[2] < 0.1 and fresh[3] > 0.85
    assert lost[2] > 0.35 and lost[3] < 0.4


def test_spectrum_and_run_lengths_match_series_of_known_shape(weekly):
    dag, real = weekly
    table = real.copy()
    table["revenue"] = 5 + np.cos(2 * np.pi * np.arange(WEEKS) / 52)  # a pure yearly cycle
    power = seasonal_power_diff(table, real, dag, columns=["revenue"]).set_index("harmonic")
    # all the variance at the period: T / 2 = 78 (77.98: removing a linear trend takes a bit)
    assert power.loc[1, "real_power"] == pytest.approx(WEEKS / 2, rel=1e-3)
    assert power.loc[2, "real_power"] < 1e-3
    spec = spectrum_diff(table, real, dag, columns=["revenue"])
    assert spec["frequency"].min() == pytest.approx(1 / 52, rel=0.05)
    assert spec["real_power"].iloc[0] == pytest.approx(WEEKS / 2, rel=1e-3)
    assert spec["real_power"].iloc[1:].max() < 0.05
    assert len(spec) <= 40 and spec["frequency"].max() <= 0.5
    # zero runs: series 1 ends with a run of 3, series 2 starts with a run of 1, then one of 2
    runs = real.iloc[:40].copy()
    runs["tv_spend"] = 1.0
    runs.loc[17:19, "tv_spend"] = 0.0
    runs.loc[[20, 30, 31], "tv_spend"] = 0.0
    got = zero_run_length_diff(runs, runs, dag, periods=(20, 20), max_run=2)
    tv = got[got["spend"] == "tv_spend"]
    assert tv["real_runs"].tolist() == [1, 2]  # length 1, length 2 or more
    assert tv["real_share"].tolist() == pytest.approx([1 / 3, 2 / 3])


def _small_panel(geos=4, weeks=104):
    raw = load_dag("geo_mmm").to_dict()
    raw["simulation"]["panel"]["geos"] = geos
    return load_dag(raw), geos * weeks


def test_tables_with_index_and_geo_columns_give_the_same_figures():
    dag, n = _small_panel()
    real, synth = dag.simulate(n, seed=0), dag.simulate(n, seed=1)
    typed = temporal_fidelity(check_data(real, dag), check_data(synth, dag), dag,
                              periods=(n // 4, n // 4))
    # index first, geo second, the geos' rows interleaved week by week
    interleaved = synth[["week", "geo", *dag.nodes]].sort_values(["week"], kind="stable")
    raw = temporal_fidelity(real, interleaved.reset_index(drop=True), dag)
    assert raw.pop("meta")["periods"] == [None, None]  # as passed
    typed.pop("meta")
    assert json.dumps(raw, sort_keys=True) == json.dumps(typed, sort_keys=True)
    with pytest.raises(DataError, match="gives 104 periods per geo"):
        temporal_fidelity(real, synth, dag, periods=(None, 52))
    backwards = synth.iloc[::-1].reset_index(drop=True)  # weeks out of order in every geo
    with pytest.raises(DataError, match=r"the synthetic table: time index .* not in time order"):
        temporal_fidelity(real, backwards, dag)
