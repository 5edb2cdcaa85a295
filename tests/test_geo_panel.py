"""Geo panels (issue 13): the ``panel`` block of a geo DAG's simulation, ``simulate`` and
``ground_truth`` on a balanced panel, and the built-in ``geo_mmm`` (40 geos x 156 weeks)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from causalsynth import DAGError, InvalidParameterError, load_dag
from causalsynth.data import check_data, series_layout
from causalsynth.simulation import panel_of

CHANNELS = ["tv_spend", "search_spend", "social_spend", "display_spend"]


@pytest.fixture(scope="module")
def geo_mmm():
    return load_dag("geo_mmm")


def _panel_dag(geos=3, decay=0.9, max_lag=8, coef=2.0, spend=None, noise=None, panel=None):
    """spend -> revenue = coef * adstock(spend per head) * size, on a weekly geo panel."""
    revenue = {"coefficients": {"spend": coef},
               "carryover": {"spend": {"decay": decay, "max_lag": max_lag}}}
    if noise:
        revenue["noise"] = {"distribution": "normal", "sd": noise}
    return load_dag({
        "name": "panel_adstock",
        "time": {"index": "week", "period": 52, "geo": "region"},
        "nodes": [{"name": "spend", "type": "continuous", "role": "spend"},
                  {"name": "revenue", "type": "continuous", "role": "outcome",
                   "parents": ["spend"]}],
        "simulation": {
            "panel": panel or {"geos": geos, "size": {"distribution": "lognormal", "sigma": 0.5},
                               "scale": ["spend", "revenue"]},
            "spend": spend or {"distribution": "uniform", "low": 0, "high": 10},
            "revenue": revenue}})


# ---- shape, order and the n of simulate -----------------------------------------------------
def test_geo_mmm_simulates_a_balanced_panel_geo_after_geo(geo_mmm):
    df = geo_mmm.simulate(40 * 30, seed=0)
    assert df.shape == (1200, 2 + len(geo_mmm.nodes))
    assert list(df.columns) == ["geo", "week", *geo_mmm.nodes]
    assert df["geo"].tolist() == [f"geo_{g:02d}" for g in range(1, 41) for _ in range(30)]
    assert df["week"].tolist() == list(range(30)) * 40
    assert df.equals(geo_mmm.simulate(1200, seed=0))
    assert not df.equals(geo_mmm.simulate(1200, seed=1))
    layout = series_layout(df, geo_mmm)
    assert (layout.n_series, layout.periods) == (40, 30)
    assert layout.geos == tuple(f"geo_{g:02d}" for g in range(1, 41))
    clean = check_data(df, geo_mmm)
    assert list(clean.columns) == geo_mmm.nodes and len(clean) == 1200
    # trend and season restart in every geo
    trend = df["trend"].to_numpy().reshape(40, 30)
    np.testing.assert_allclose(trend, np.tile(np.linspace(0, 1, 30), (40, 1)))


def test_n_is_geos_times_weeks_and_other_n_are_refused(geo_mmm):
    with pytest.raises(InvalidParameterError, match=r"multiple of 40.* Got 1001 instead"):
        geo_mmm.simulate(1001, seed=0)
    with pytest.raises(InvalidParameterError, match="multiple of 40"):
        geo_mmm.simulate(39, seed=0)
    assert len(geo_mmm.simulate(40, seed=0)) == 40  # one week per geo


# ---- geo heterogeneity ------------------------------------------------------------------------
def test_geo_sizes_are_lognormal_quantiles_with_mean_one_in_a_scrambled_order(geo_mmm):
    panel = panel_of(geo_mmm)
    levels = (np.arange(40) + 0.5) / 40
    expected = np.exp(0.6 * special.ndtri(levels))
    np.testing.assert_allclose(np.sort(panel.sizes), expected / expected.mean())
    assert panel.sizes.mean() == pytest.approx(1.0)
    assert abs(np.corrcoef(panel.sizes, np.arange(40))[0, 1]) < 0.5  # labels not sorted by size
    np.testing.assert_allclose(np.sort(panel.baselines["demand"]), 8 * special.ndtri(levels))
    assert panel.scaled == frozenset([*CHANNELS, "revenue"])


def test_spend_and_revenue_scale_with_the_geo_while_demand_shifts_by_its_baseline(geo_mmm):
    df = geo_mmm.simulate(40 * 156, seed=2)
    panel = panel_of(geo_mmm)
    by_geo = df.groupby("geo", sort=False)
    # spend per head is the same process in every geo: totals follow the size
    tv = by_geo["tv_spend"].mean().to_numpy()
    assert np.corrcoef(np.log(tv), np.log(panel.sizes))[0, 1] > 0.95
    revenue = by_geo["revenue"].mean().to_numpy()
    assert np.corrcoef(np.log(revenue), np.log(panel.sizes))[0, 1] > 0.95
    # demand is not scaled; its geo mean is 100 + 10 * mean(season) + baseline
    # (sd of a geo mean of 156 weeks: 8 / sqrt(156) = 0.64; 5 sd = 3.2)
    demand = by_geo["demand"].mean().to_numpy()
    season = df["season"].to_numpy()[:156].mean()
    np.testing.assert_allclose(demand, 100 + 10 * season + panel.baselines["demand"], atol=3.2)


# ---- carryover stays within each geo ------------------------------------------------------------
def test_carryover_never_crosses_from_one_geo_into_the_next():
    dag = _panel_dag(geos=3, decay=0.9, max_lag=8, coef=2.0)
    weeks = 10
    pulse = np.zeros(3 * weeks)
    pulse[weeks - 1] = 100.0  # last week of the first geo only
    df = dag.simulate(3 * weeks, seed=0, interventions={"spend": pulse})
    revenue = df["revenue"].to_numpy()
    size = panel_of(dag).sizes[0]
    w0 = 1 / np.sum(0.9 ** np.arange(9))
    assert revenue[weeks - 1] == pytest.approx(2.0 * w0 * 100.0 / size * size)
    np.testing.assert_array_equal(revenue[weeks:], 0.0)  # nothing spills into geos 2 and 3


def test_a_geo_without_spend_earns_no_media_revenue(geo_mmm):
    n, weeks = 40 * 52, 52
    base = geo_mmm.simulate(n, seed=5)
    dark = base["geo"] == "geo_05"
    schedule = {c: np.where(dark, 0.0, base[c]) for c in CHANNELS}
    no_media = geo_mmm.simulate(n, seed=5, interventions={c: 0.0 for c in CHANNELS})
    one_dark = geo_mmm.simulate(n, seed=5, interventions=schedule)
    # geo_05: exactly the revenue of a world without media, carryover of geo_04 included
    np.testing.assert_allclose(one_dark.loc[dark, "revenue"], no_media.loc[dark, "revenue"])
    # every other geo: exactly as before (the schedule keeps their natural spend)
    np.testing.assert_allclose(one_dark.loc[~dark, "revenue"], base.loc[~dark, "revenue"])
    lift = base.loc[dark, "revenue"].to_numpy() - no_media.loc[dark, "revenue"].to_numpy()
    assert len(lift) == weeks and (lift > 0).all()  # the media revenue geo_05 loses


# ---- the truth of a panel ------------------------------------------------------------------------
def test_linear_panel_roas_is_the_coefficient_whatever_the_geo_sizes():
    """revenue = b * adstock(spend / size) * size: summed over geos, removing the spend loses
    b * sum(spend) exactly when the last max_lag weeks of every geo carry no spend."""
    dag = _panel_dag(geos=5, decay=0.6, max_lag=1, coef=2.5, noise=1.0,
                     spend={"trend": {"start": 10, "end": 0}})
    truth = dag.ground_truth(n_samples=5 * 6 * 3, n_periods=6)
    mmm = truth.mmm.set_index("channel")
    assert mmm.loc["spend", "roas"] == pytest.approx(2.5, rel=1e-12)
    assert mmm.loc["spend", "mroas"] == pytest.approx(2.5, rel=1e-9)
    assert "3 panel(s) of 5 geos x 6 periods" in truth.method


def test_geo_mmm_truth_is_finite_and_sums_over_geos(geo_mmm):
    truth = geo_mmm.ground_truth(n_samples=40 * 156 * 2, seed=0)
    mmm = truth.mmm.set_index("channel")
    assert list(mmm.index) == CHANNELS
    assert np.isfinite(mmm.to_numpy(dtype=float)).all()
    assert mmm["contribution_share"].sum() == pytest.approx(100)
    assert (mmm["roas"] > mmm["mroas"]).all()  # saturation: the next euro earns less
    assert mmm["contribution_share"].idxmax() == "tv_spend"
    assert truth.ici["share"].sum() == pytest.approx(100)
    assert np.isfinite(truth.ici["share"]).all()
    curves = truth.response_curves
    tv = curves[curves["channel"] == "tv_spend"]
    assert tv["contribution"].iloc[0] == 0 and (np.diff(tv["contribution"]) > 0).all()
    # the truth is the truth of simulate(40 x 156): one simulated panel, with and without TV,
    # gives the same ROAS to within its sampling noise (measured: within 0.09 % at seeds 7-10)
    df = geo_mmm.simulate(40 * 156, seed=7)
    off = geo_mmm.simulate(40 * 156, seed=7, interventions={"tv_spend": 0.0})
    roas = (df["revenue"].sum() - off["revenue"].sum()) / df["tv_spend"].sum()
    assert roas == pytest.approx(mmm.loc["tv_spend", "roas"], rel=0.01)


# ---- validation ---------------------------------------------------------------------------------
def test_every_problem_of_a_panel_block_in_one_error():
    spec = _panel_dag().to_dict()
    spec["simulation"]["panel"] = {"geos": 0, "size": {"distribution": "normal", "sd": 1},
                                   "scale": ["spend", "nope"], "baseline": {"revenue": {"sd": -1}},
                                   "regions": 3}
    with pytest.raises(DAGError) as info:
        load_dag(spec)
    text = str(info.value)
    for part in ("unknown key 'regions'", "geos must be a whole number >= 1",
                 "size must be {distribution: lognormal, sigma: s}", "scale names 'nope'",
                 "baseline of 'revenue' must be {sd: number > 0}"):
        assert part in text, part
    assert len(info.value.problems) == 5


def test_a_panel_needs_a_geo_column_and_a_geo_column_needs_a_panel():
    spec = _panel_dag().to_dict()
    del spec["time"]["geo"]
    with pytest.raises(DAGError, match="panel needs a geo column"):
        load_dag(spec)
    spec = _panel_dag().to_dict()
    del spec["simulation"]["panel"]
    with pytest.raises(DAGError, match=r"add 'panel: \{geos: 40\}'"):
        load_dag(spec)
    spec = _panel_dag().to_dict()
    spec["simulation"]["panel"]["baseline"] = {"spend": {"sd": 1}}
    spec["nodes"][0]["type"] = "count"
    spec["simulation"]["spend"] = {"distribution": "poisson", "rate": 3}
    with pytest.raises(DAGError, match="'spend', a count node"):
        load_dag(spec)
