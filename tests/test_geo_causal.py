"""The causal comparison of geo panels (issue 14): the GCM and DML are fitted within geos and per
head (:mod:`causalsynth.evaluate.geo_units`), the same way for the real and the synthetic table.

Truth: the built-in ``geo_mmm`` panel's sizes (``panel_of``), and a small linear panel whose
geo sizes confound spend and revenue across geos while the within-geo per-head slope is known.
Seeds fixed; tolerances stated per test.
"""

from __future__ import annotations

import numpy as np
import pytest

from causalsynth import load_dag
from causalsynth.carryover import estimate_carryover
from causalsynth.data import check_data
from causalsynth.evaluate.causal import compare_causal
from causalsynth.evaluate.gcm import draw_uniforms, fit_gcm
from causalsynth.evaluate.geo_units import panel_families, panel_units, within_geo
from causalsynth.media import adstock_weights
from causalsynth.simulation import panel_of

GEO = load_dag("geo_mmm")
CHANNELS = ["tv_spend", "search_spend", "social_spend", "display_spend"]


def _confounded_panel(geos: int = 12):
    """revenue = size * (1000 + 2 * adstock(spend / size)) + noise: across geos, big geos
    spend more *and* earn a bigger baseline, so the raw slope of revenue on spend is far from
    the per-head slope 2 that holds within every geo."""
    return load_dag({
        "name": "confounded_panel",
        "time": {"index": "week", "period": 52, "geo": "region"},
        "nodes": [{"name": "spend", "type": "continuous", "role": "spend"},
                  {"name": "revenue", "type": "continuous", "role": "outcome",
                   "parents": ["spend"]}],
        "simulation": {
            "panel": {"geos": geos, "size": {"distribution": "lognormal", "sigma": 0.6},
                      "scale": ["spend", "revenue"]},
            "spend": {"distribution": "uniform", "low": 0, "high": 10},
            "revenue": {"intercept": 1000, "coefficients": {"spend": 2.0},
                        "carryover": {"spend": {"decay": 0.5, "max_lag": 4}},
                        "noise": {"distribution": "normal", "sd": 1.0}}}})


def test_sizes_and_per_head_nodes_are_read_from_the_panel():
    weeks = 52
    table = check_data(GEO.simulate(40 * weeks, seed=0), GEO)
    before = table.copy()
    units = panel_units(table, GEO, periods=weeks)
    # spend and revenue scale with the geo; demand, trend and season do not
    assert units.scaled == (*CHANNELS, "revenue")
    # sizes: geo mean revenue / panel mean; the true sizes up to the geos' per-head baselines
    # (revenue baseline sd 2,000 and demand's 800 on about 36,000 per head: ~7 %; 25 % max)
    true = panel_of(GEO).sizes
    assert units.sizes.mean() == pytest.approx(1.0)
    assert np.corrcoef(np.log(units.sizes), np.log(true))[0, 1] > 0.98
    np.testing.assert_allclose(units.sizes, true, rtol=0.25)
    per_head = units.apply(table)
    pd_equal = before.equals(table)
    assert pd_equal  # the input is not modified
    for node in ["demand", *CHANNELS, "revenue"]:  # geo means removed, panel mean kept
        by_geo = per_head[node].to_numpy().reshape(40, weeks).mean(axis=1)
        np.testing.assert_allclose(by_geo, by_geo.mean(), atol=1e-9 * abs(by_geo.mean()))
    raw_tv = (table["tv_spend"].to_numpy().reshape(40, weeks) / units.sizes[:, None]).mean()
    assert per_head["tv_spend"].mean() == pytest.approx(raw_tv)
    # labels are kept as they are
    assert per_head["events"].equals(table["events"])


def test_within_geo_per_head_slope_is_the_truth_where_the_raw_slope_is_confounded():
    dag, weeks = _confounded_panel(), 60
    table = check_data(dag.simulate(12 * weeks, seed=3), dag)
    units = panel_units(table, dag, periods=weeks)
    assert units.scaled == ("spend", "revenue")
    uniforms = draw_uniforms(dag, 20_000, np.random.default_rng(0))

    def per_unit(data):
        carry = estimate_carryover(data, dag, weeks)
        fitted = fit_gcm(data, dag, families=panel_families({"revenue": "additive"}, dag),
                         seed=0, carryover=carry)
        return carry.decays["revenue"]["spend"], fitted.effects(
            "revenue", uniforms, ["spend"])[("spend", "per_unit")]

    decay, slope = per_unit(units.apply(table))
    # one unit more in every week earns 2 per head, less in each geo's first weeks, whose
    # carryover history is missing (spend before the start counts as 0): 2 * (1 - 0.014)
    w = adstock_weights(0.5, 4)
    truth = 2.0 * (1 - np.sum(1 - np.cumsum(w)[:4]) / weeks)
    # noise sd 1 per head on a spend spread of ~3 per head over 720 weeks pins the slope to
    # ~0.01 (measured 1.957 for 1.972); the decay grid's step is 0.05
    assert slope == pytest.approx(truth, abs=0.03)
    assert decay == pytest.approx(0.5, abs=0.05)
    _, raw_slope = per_unit(table)  # big geos spend more and earn a bigger baseline
    assert abs(raw_slope - 2.0) > 10


def test_a_synthetic_table_without_geos_is_measured_as_it_is():
    weeks = 30
    real = check_data(GEO.simulate(40 * weeks, seed=1), GEO)
    rows = check_data(GEO.simulate(40 * weeks, seed=2), GEO)
    real_m, syn_m, units = within_geo(real, rows, GEO, (weeks, None))
    assert real_m is real and syn_m is rows  # both as they are: one rule for both tables
    assert units["within_geo"] is False and "no geo series" in units["text"]
    real_m, syn_m, units = within_geo(real, rows, GEO, (weeks, weeks))
    assert units["within_geo"] is True and units["scaled"] == [*CHANNELS, "revenue"]
    assert units["synthetic_sizes"]["geos"] == 40
    assert not real_m.equals(real) and not syn_m.equals(rows)


def test_tables_that_are_no_panel_are_untouched():
    weekly = load_dag("weekly_mmm")
    table = check_data(weekly.simulate(104, seed=0), weekly)
    assert within_geo(table, table, weekly, (None, None)) == (table, table, None)
    acquisition = load_dag("acquisition")
    rows = acquisition.simulate(500, seed=0)
    assert panel_units(rows, acquisition, periods=100) is None
    # a panel DAG's table of a single geo: no within-geo units either
    one = check_data(GEO.simulate(40 * 30, seed=0), GEO).iloc[:30]
    assert panel_units(one, GEO, periods=30) is None


def _shifted(table, weeks: int = 8):
    """TV spend moved ``weeks`` later within each geo (the damage of bench_time_verdict)."""
    out = table.copy()
    tv = out["tv_spend"].to_numpy().copy()
    for idx in out.groupby("geo", sort=False).indices.values():
        tv[idx] = np.roll(tv[idx], weeks)
    out["tv_spend"] = tv
    return out


@pytest.fixture(scope="module")
def year_panels():
    """Three independent 40-geo x 52-week panels of geo_mmm."""
    return [GEO.simulate(40 * 52, seed=s) for s in (11, 12, 13)]


def test_a_fresh_panel_is_measured_within_geos_and_not_called_damaged(year_panels):
    real, fresh, _ = year_panels
    section = compare_causal(real, fresh, GEO, seed=0)
    method = section["method"]
    assert method["geo_units"]["within_geo"] is True
    assert method["geo_units"]["scaled"] == [*CHANNELS, "revenue"]
    assert set(method["families"].values()) == {"linear"}
    assert method["ici"].startswith("exact") and method["n_bootstrap"] == 30
    assert section["verdict"] != "not preserved"
    # every ICI share shown within its 5-point margin (measured: largest gap 0.6 points,
    # confirmable to +-2.2 points on 52 weeks; before issue 14, +-9 points on 156 weeks)
    # (time's own row is reported, not judged: 52 weeks pin its share only to +-6 points)
    assert {r["status"] for r in section["ici"] if r["node"] != "time"} == {"within"}
    assert next(r for r in section["ici"] if r["node"] == "time")["status"] == "not judged"


def test_tv_shifted_by_eight_weeks_within_each_geo_is_not_preserved(year_panels):
    real, _, other = year_panels
    # 10 bootstrap fits a side (the default 30 is checked on the fresh panel above): TV's
    # share moves by 33 points, beyond at either count, in a third of the time
    section = compare_causal(real, _shifted(other), GEO, seed=0, n_bootstrap=10)
    assert section["verdict"] == "not preserved"
    beyond = [r for r in section["ici"] if r["status"] == "beyond"]
    assert "tv_spend" in {r["node"] for r in beyond}
