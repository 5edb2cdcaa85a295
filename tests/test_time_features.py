"""Time as a common cause (issue 24): one builder of the time features, read alike by
check_dag, fit_mmm, the fitted causal model, DML and the series synthesizer, so a weekly table
with dates only gives the answers of the same table with trend and season columns; holidays of
a declared country; estimates at a bound and nonsense inputs named in ``MMMFit``."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from causalsynth import DAGError, DataError, InvalidParameterError, load_dag, make_synthesizer
from causalsynth.data import check_data
from causalsynth.evaluate.effects import dml_effects
from causalsynth.evaluate.influence import intrinsic_influence
from causalsynth.evaluate.mmm import MAX_BOOTSTRAP, fit_mmm
from causalsynth.evaluate.mmm_design import build_design
from causalsynth.evaluate.series import time_context, time_rows
from causalsynth.evaluate.time_units import time_basis
from causalsynth.media import Holidays, component, words

WEEKLY = load_dag("weekly_mmm")
CHANNELS = ["tv_spend", "search_spend", "social_spend", "display_spend"]


def without_nodes(dag, drop: set[str], **time):
    """The DAG less ``drop`` and its simulation block (a real export's DAG), ``time`` keys
    added to its time block."""
    spec = copy.deepcopy(dag.to_dict())
    spec.pop("simulation", None)
    spec["time"] = {**spec["time"], **time}
    spec["nodes"] = [n for n in spec["nodes"] if n["name"] not in drop]
    for node in spec["nodes"]:
        if "parents" in node:
            node["parents"] = [p for p in node["parents"] if p not in drop] or None
            if node["parents"] is None:
                del node["parents"]
    return load_dag(spec)


DATES = without_nodes(WEEKLY, {"trend", "season"})
COLUMNS = without_nodes(WEEKLY, set())


@pytest.fixture(scope="module")
def real():
    return WEEKLY.simulate(156, seed=1)


def test_every_estimator_receives_the_same_time_features(real):
    table = real.drop(columns=["trend", "season"])
    typed = check_data(table, DATES)
    _, rows = time_rows(table, DATES)
    checked = time_context(rows.position, rows.period, rows.harmonics, rows.geo)[:, 1:]
    design = build_design(table, DATES)
    mmm = design.controls[:, [design.control_names.index(n) for n in design.time_names]]
    gcm = time_basis(typed, DATES)
    synth = make_synthesizer("causal").fit(table, DATES).series_
    series = np.column_stack([synth.times_[f"~{n}"] for n in design.time_names])
    assert design.time_names == ("trend", "sin1", "cos1", "sin2", "cos2")
    for got in (mmm, gcm, series):
        np.testing.assert_allclose(got, checked, atol=1e-12)


def test_dates_only_fits_give_the_answers_of_the_columns():
    """Measured over 20 seeds (benchmarks/bench_time_mmm.py): the two fits agree to a fraction
    of a point; before time features, dates-only ROAS errors reached +87 %."""
    # 20 series (test_mmm.py's truth, computed once per run): ROAS within 0.8 % of the
    # default 1,282 series' (31 s); the largest error here is 0.195 (0.186 on the default)
    truth = WEEKLY.ground_truth(n_samples=156 * 20).mmm.set_index("channel")
    for seed in (1, 2):
        table = WEEKLY.simulate(156, seed=seed)
        cols = fit_mmm(table, COLUMNS).channels.set_index("channel")
        dates = fit_mmm(table.drop(columns=["trend", "season"]), DATES).channels.set_index(
            "channel")
        err = (dates["roas"] / truth["roas"] - 1).abs()
        assert err.max() < 0.25, err
        assert (dates["roas"] - cols["roas"]).abs().max() < 0.02 * truth["roas"].min()
        assert (dates["decay"] - cols["decay"]).abs().max() < 0.02
        assert not dates["at_bound"].any()


def test_ici_and_dml_do_not_depend_on_trend_and_season_columns(real):
    truth = WEEKLY.ground_truth(n_samples=156 * 40).ici.set_index("node")["share"]
    cols = intrinsic_influence(real, WEEKLY, seed=0, n_bootstrap=0).shares()
    dates = intrinsic_influence(real.drop(columns=["trend", "season"]), DATES, seed=0,
                                n_bootstrap=0).shares()
    within = 1 - dates["time"] / 100  # the truth splits the variance within time
    for c in CHANNELS:  # measured at seed 1: 0.1 points apart, within 3 of the truth
        assert abs(cols[c] - dates[c]) < 1.0
        assert abs(dates[c] / within - truth[c]) < 5.0
    assert cols["trend"] < 1e-3 and cols["season"] < 1e-3  # time is partialled out

    def dml(table, dag):
        return {r["treatment"]: r["estimate"] for r in dml_effects(
            check_data(table, dag), dag, "revenue", seed=0) if r["kind"] == "per_unit"}

    a, b = dml(real, WEEKLY), dml(real.drop(columns=["trend", "season"]), DATES)
    for c in CHANNELS:
        assert b[c] == pytest.approx(a[c], rel=1e-6)


def test_holiday_weeks_are_a_feature_and_unknown_countries_one_error():
    weeks = pd.date_range("2021-01-04", periods=3 * 52, freq="W-MON")
    count = Holidays("DE").columns(weeks, 7)["holidays"]
    christmas = np.flatnonzero(weeks == pd.Timestamp("2021-12-20"))[0]
    assert count[christmas] == 2  # 25 and 26 December 2021 fall in that week
    assert count.sum() == 26  # nine national holidays a year, 2021-2023, less 1 Jan 2021
    with pytest.raises(DAGError, match="country 'XX' is not a country code"):
        without_nodes(WEEKLY, set(), country="XX")
    with pytest.raises(DAGError, match="subdivision 'ZZ' is not one of DE's"):
        without_nodes(WEEKLY, set(), country="DE", subdivision="ZZ")
    dag = without_nodes(WEEKLY, {"trend", "season"}, country="DE")
    table = WEEKLY.simulate(156, seed=3).drop(columns=["trend", "season"])
    table["week"] = weeks
    bump = 40_000 * count
    fit = fit_mmm(table.assign(revenue=table["revenue"] + bump), dag)
    assert "holidays" in fit.time_features
    assert fit.controls["holidays"] == pytest.approx(40_000, rel=0.1)
    with pytest.raises(DataError, match="has no dates"):
        fit_mmm(table.drop(columns="week"), dag)


def test_components_are_registered_once_by_their_yaml_word():
    assert set(words("adstock")) == {"geometric", "delayed"}
    assert set(words("time")) == {"trend", "fourier", "holidays", "events"}
    assert component("adstock", "delayed", decay=0.5, max_lag=4, peak=1).weights().argmax() == 1
    with pytest.raises(DAGError, match="unknown saturation 'logistic'; known: hill"):
        component("saturation", "logistic")


def test_a_decay_beyond_the_grid_is_flagged_at_its_bound():
    spec = copy.deepcopy(WEEKLY.to_dict())
    spec["simulation"]["revenue"]["carryover"]["tv_spend"] = {"decay": 0.99, "max_lag": 8}
    dag = load_dag(spec)
    fit = fit_mmm(dag.simulate(156, seed=2), dag)
    row = fit.channels.set_index("channel").loc["tv_spend"]
    assert "decay" in row["at_bound"]
    assert any(w.startswith("at_bound: tv_spend") for w in fit.warnings)


def test_nonsense_inputs_are_named(real):
    sparse = real.assign(display_spend=0.0)
    sparse.loc[10, "display_spend"] = 5000.0
    fit = fit_mmm(sparse, WEEKLY)
    assert any(w.startswith("sparse_channel: 'display_spend' has spend in 1 of 156")
               for w in fit.warnings)
    outlier = real.copy()
    outlier.loc[20, "tv_spend"] = 1e15
    with pytest.raises(DataError, match="'tv_spend' holds 1 value"):
        fit_mmm(outlier, WEEKLY)
    with pytest.raises(DataError, match="'revenue' is never positive"):
        fit_mmm(real.assign(revenue=-real["revenue"]), WEEKLY)
    with pytest.raises(InvalidParameterError, match="n_bootstrap"):
        fit_mmm(real, WEEKLY, n_bootstrap=MAX_BOOTSTRAP + 1)
    assert real["tv_spend"].max() < 1e15  # the input was not modified
