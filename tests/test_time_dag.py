"""Time in a DAG (issue 13, first step): the ``time`` block, carryover (adstock), trend and
seasonality roots, the built-in ``weekly_mmm`` DAG and its channel truth (ROAS, mROAS)."""

from __future__ import annotations

import numpy as np
import pytest

from causalsynth import DAGError, load_dag
from causalsynth._mmm import channel_truth
from causalsynth._time_block import TimeAxis
from causalsynth.data import check_data
from causalsynth.media import adstock, adstock_weights
from causalsynth.scm import propagate
from causalsynth.simulation import declared_mechanisms, draw_noise


def _linear(decay: float = 0.5, max_lag: int = 1, coef: float = 2.0, spend=None, noise=None,
            time=None):
    """spend -> revenue = coef * adstock(spend) (+ noise), on a weekly time axis."""
    revenue = {"coefficients": {"spend": coef},
               "carryover": {"spend": {"decay": decay, "max_lag": max_lag}}}
    if noise:
        revenue["noise"] = {"distribution": "normal", "sd": noise}
    return load_dag({
        "name": "linear_adstock",
        "time": time or {"index": "week", "period": 4},
        "nodes": [{"name": "spend", "type": "continuous", "role": "spend"},
                  {"name": "revenue", "type": "continuous", "role": "outcome",
                   "parents": ["spend"]}],
        "simulation": {"spend": spend or {"distribution": "uniform", "low": 0, "high": 10},
                       "revenue": revenue}})


# ---- the time block ----------------------------------------------------------------------
def test_time_block_is_parsed_and_round_trips():
    dag = _linear()
    assert dag.time == TimeAxis(index="week", period=4)
    assert load_dag("acquisition").time is None
    again = load_dag(dag.to_yaml())
    assert again.time == dag.time and again.to_dict() == dag.to_dict()
    assert "time" not in load_dag("acquisition").to_dict()
    with pytest.raises(DAGError, match=r"add 'panel: \{geos: 40\}'"):
        _linear(time={"index": "week", "period": 52, "geo": "region"})
    spec = _linear().to_dict()
    spec["time"] = {"index": "week", "period": 52, "geo": "region"}
    spec["simulation"]["panel"] = {"geos": 3}
    panel = load_dag(spec)
    assert panel.time.geo == "region" and load_dag(panel.to_yaml()).time == panel.time
    assert panel.simulate(6, seed=0).shape == (6, 4)  # region, week, spend, revenue


def test_time_block_lists_every_problem():
    spec = _linear().to_dict()
    spec["time"] = {"index": "revenue", "period": 1, "lag": 3, "geo": ""}
    with pytest.raises(DAGError) as info:
        load_dag(spec)
    text = str(info.value)
    for part in ("unknown key 'lag'", "index 'revenue' is also a node", "'period' must be",
                 "'geo' must be"):
        assert part in text
    for bad in ({"period": 52}, "weekly", {"index": "week", "period": 2.5},
                {"index": "week", "period": True}, {"index": "w", "geo": "w", "period": 7}):
        spec["time"] = bad
        with pytest.raises(DAGError, match="time"):
            load_dag(spec)


def test_carryover_and_time_roots_are_checked():
    spec = _linear().to_dict()
    spec["simulation"]["revenue"]["carryover"] = {
        "spend": {"decay": 1.0, "max_lag": -1, "shape": 2}, "other": {"decay": 0.5, "max_lag": 1}}
    _assert_refused(spec, "decay must be a number in [0, 1)",
                    "max_lag must be a whole number >= 0", "unknown key 'shape'",
                    "carryover of 'other' needs a numeric coefficient")
    no_time = _linear().to_dict()
    del no_time["time"]
    with pytest.raises(DAGError, match="carryover needs rows that are consecutive periods"):
        load_dag(no_time)
    no_time["simulation"]["revenue"].pop("carryover")
    no_time["simulation"]["spend"] = {"trend": {"start": 0, "end": 1}}
    with pytest.raises(DAGError, match="trend and seasonality need rows"):
        load_dag(no_time)
    roots = _linear().to_dict()
    roots["simulation"]["spend"] = {"seasonality": {"amplitude": "big", "harmonics": 0,
                                                    "period": 3}, "distribution": "normal"}
    _assert_refused(roots, "needs a number 'amplitude'", "harmonics must be a whole number >= 1",
                    "unknown key 'period'", "unknown key 'distribution'")


def _assert_refused(spec, *parts):
    """One DAGError that names every problem."""
    with pytest.raises(DAGError) as info:
        load_dag(spec)
    missing = [p for p in parts if p not in str(info.value)]
    assert not missing, f"{missing} not in {info.value}"


# ---- adstock and carryover against hand computations ----------------------------------------
def test_adstock_weights_and_series_by_hand():
    np.testing.assert_allclose(adstock_weights(0.5, 2), [4 / 7, 2 / 7, 1 / 7])
    np.testing.assert_allclose(adstock_weights(0.0, 3), [1, 0, 0, 0])
    x = np.array([1.0, 0.0, 0.0, 2.0])
    np.testing.assert_allclose(adstock(x, 0.5, 1), [2 / 3, 1 / 3, 0, 4 / 3])
    # two series of two periods: nothing carries from the first series into the second
    np.testing.assert_allclose(adstock(x, 0.5, 1, periods=2), [2 / 3, 1 / 3, 0, 4 / 3])
    np.testing.assert_allclose(adstock(np.array([1.0, 1.0, 1.0, 1.0]), 0.5, 1, periods=2),
                               [2 / 3, 1, 2 / 3, 1])
    np.testing.assert_allclose(adstock(np.ones(3), 0.9, 10),
                               np.cumsum(adstock_weights(0.9, 10))[:3])


def test_carryover_in_the_simulation_follows_the_spend_schedule():
    dag = _linear(decay=0.5, max_lag=1, coef=2.0)
    pulse = dag.simulate(4, seed=0, interventions={"spend": [3.0, 0.0, 0.0, 0.0]})
    np.testing.assert_allclose(pulse["revenue"], [2 * 3 * 2 / 3, 2 * 3 / 3, 0, 0])
    base = dag.simulate(4, seed=1)
    more = dag.simulate(4, seed=1, interventions={"spend": "+10%"})
    np.testing.assert_allclose(more["spend"], 1.1 * base["spend"])  # every week
    x = base["spend"].to_numpy()
    expected = 2.0 * 0.1 * np.array([2 / 3 * x[0], *(2 / 3 * x[1:] + 1 / 3 * x[:-1])])
    np.testing.assert_allclose(more["revenue"] - base["revenue"], expected)


def test_trend_and_seasonality_roots():
    dag = load_dag("weekly_mmm")
    df = dag.simulate(104, seed=0)
    np.testing.assert_allclose(df["trend"], np.linspace(0, 1, 104))
    np.testing.assert_allclose(df["season"].iloc[:52], df["season"].iloc[52:], atol=1e-12)
    t = np.arange(104)
    season = np.sin(2 * np.pi * t / 52) + np.sin(4 * np.pi * t / 52) / 2
    np.testing.assert_allclose(df["season"], season, atol=1e-12)


# ---- the built-in weekly_mmm -------------------------------------------------------------------
def test_weekly_mmm_simulates_156_ordered_weeks_per_seed():
    dag = load_dag("weekly_mmm")
    assert dag.time == TimeAxis(index="week", period=52)
    a, b = dag.simulate(156, seed=3), dag.simulate(156, seed=3)
    assert a.shape == (156, 10) and list(a.columns) == ["week", *dag.nodes]
    assert a["week"].tolist() == list(range(156))
    assert a.equals(b) and not a.equals(dag.simulate(156, seed=4))
    assert list(check_data(a, dag).columns) == dag.nodes
    dark = (a[["tv_spend", "social_spend", "display_spend"]] == 0).mean()
    assert dark.between(0.1, 0.5).all()  # flighted plans: dark weeks
    assert (a["search_spend"] == 0).mean() < 0.1  # always on
    more = dag.simulate(156, seed=3, interventions={"tv_spend": "+10%"})
    np.testing.assert_allclose(more["tv_spend"], 1.1 * a["tv_spend"])
    lift = (more["revenue"] - a["revenue"]).to_numpy()
    assert np.all(lift > 0)


def test_weekly_mmm_truth_per_channel():
    truth = load_dag("weekly_mmm").ground_truth(n_samples=15_600, seed=0)
    mmm = truth.mmm.set_index("channel")
    assert list(mmm.index) == ["tv_spend", "search_spend", "social_spend", "display_spend"]
    assert mmm["contribution_share"].sum() == pytest.approx(100)
    assert (mmm["roas"] > mmm["mroas"]).all()  # saturation: the next euro earns less
    assert mmm["contribution_share"].idxmax() == "tv_spend"
    curves = truth.response_curves
    tv = curves[curves["channel"] == "tv_spend"]
    gain, spend = tv["contribution"].to_numpy(), tv["spend"].to_numpy()
    assert gain[0] == 0 and np.all(np.diff(gain) > 0)  # rising, then flattening
    slope = np.diff(gain) / np.diff(spend)
    assert np.all(np.diff(slope[2:]) < 0)
    assert set(truth.ici["node"]) >= {"trend", "season", "tv_spend", "revenue"}
    assert truth.ici.set_index("node").loc[["trend", "season"], "share"].abs().max() < 1e-9
    assert load_dag("acquisition").ground_truth(n_samples=2000).mmm is None


# ---- ROAS on a linear DAG without saturation ---------------------------------------------------
def test_roas_equals_the_coefficient_when_carryover_ends_inside_the_series():
    """revenue_t = b * sum_l w_l x_(t-l): removing all spend loses b * sum_s x_s W_(T-1-s),
    W_m = w_0 + ... + w_min(m, L). The weights sum to 1, so when the last L periods carry no
    spend, ROAS = mROAS = b exactly; here spend ramps from 10 to 0 (the last week is 0, L=1)."""
    dag = _linear(decay=0.6, max_lag=1, coef=2.5, noise=1.0,
                  spend={"trend": {"start": 10, "end": 0}})
    mmm = dag.ground_truth(n_samples=400, n_periods=5).mmm.set_index("channel")
    assert mmm.loc["spend", "roas"] == pytest.approx(2.5, rel=1e-12)
    assert mmm.loc["spend", "mroas"] == pytest.approx(2.5, rel=1e-9)
    assert mmm.loc["spend", "contribution_share"] == pytest.approx(100)


def test_roas_loses_the_carryover_past_the_end_of_the_series():
    decay, lag, b, periods = 0.5, 2, 3.0, 6
    dag = _linear(decay=decay, max_lag=lag, coef=b, noise=5.0)
    mechanisms = declared_mechanisms(dag, periods)
    noise = draw_noise(dag, np.random.default_rng(0), 10 * periods)
    mmm, _ = channel_truth(dag, mechanisms, noise, "revenue")
    x = propagate(dag, mechanisms, noise)["spend"].reshape(10, periods)
    w_cum = np.cumsum(adstock_weights(decay, lag))  # W_m for m = 0..lag
    kept = w_cum[np.minimum(np.arange(periods)[::-1], lag)]  # W_(T-1-s)
    expected = b * float(np.sum(x * kept) / np.sum(x))
    assert expected < b
    assert mmm["roas"].iloc[0] == pytest.approx(expected, rel=1e-10)
    assert mmm["mroas"].iloc[0] == pytest.approx(expected, rel=1e-8)
