"""The ``causal`` synthesizer on time-indexed DAGs: whole series, carryover, geo panels,
schedules, checked against the simulator's truth (fixed seeds, tolerances stated)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causalsynth import load_dag, make_synthesizer
from causalsynth.carryover import estimate_carryover
from causalsynth.data import check_data
from causalsynth.errors import DAGError, DataError, InvalidParameterError
from causalsynth.evaluate.temporal import autocorrelation_diff
from causalsynth.simulation import ground_truth

WEEKS = 156


@pytest.fixture(scope="module")
def weekly():
    dag = load_dag("weekly_mmm")
    real = dag.simulate(WEEKS, seed=11)
    return dag, real, make_synthesizer("causal").fit(real, dag)


@pytest.fixture(scope="module")
def panel():
    """12 geos x 156 weeks of geo_mmm (the first 12 geos of its panel)."""
    dag = load_dag("geo_mmm")
    full = dag.simulate(40 * WEEKS, seed=5)
    real = full[full["geo"].isin(sorted(full["geo"].unique())[:12])].reset_index(drop=True)
    return dag, real, make_synthesizer("causal").fit(real, dag)


def test_series_come_whole_with_their_index(weekly):
    dag, _real, synth = weekly
    table = synth.sample(WEEKS, seed=1)
    assert list(table.columns) == ["week", *dag.nodes]
    assert table["week"].tolist() == list(range(WEEKS))
    longer = synth.sample(208, seed=1)
    assert longer["week"].tolist() == list(range(208))
    # the same seed gives the same table; the trend continues past the real weeks
    pd.testing.assert_frame_equal(table, synth.sample(WEEKS, seed=1))
    assert longer["trend"].iloc[-1] == pytest.approx(207 / 155, abs=0.01)


def test_deterministic_time_roots_follow_the_real_curves(weekly):
    _, real, synth = weekly
    table = synth.sample(WEEKS, seed=2)
    for col in ("trend", "season"):  # declared without noise: reproduced to 1e-4 (of ~1)
        np.testing.assert_allclose(table[col], real[col], atol=1e-4)


def test_time_structure_kept_where_rows_lose_it(weekly):
    """Autocorrelation (lags 1-4) of a synthetic series is as close to the real one as a
    fresh series of the same campaign is (median over 5 draws; a 156-week series' own
    sampling noise is ~0.1-0.3 per lag), and far closer than shuffled weeks."""
    dag, real, synth = weekly
    clean = check_data(real, dag)

    def gap(table):
        acf = autocorrelation_diff(clean, check_data(table, dag), dag)
        keep = acf["lag"].le(4) & acf["column"].isin(["demand", "tv_spend", "revenue"])
        return float(acf.loc[keep, "diff"].abs().mean())

    synthetic = np.median([gap(synth.sample(WEEKS, seed=s)) for s in range(5)])
    fresh = np.median([gap(dag.simulate(WEEKS, seed=100 + s)) for s in range(5)])
    shuffled = gap(real.sample(frac=1.0, random_state=0).assign(week=range(WEEKS)))
    assert synthetic < fresh + 0.05
    assert shuffled > 2 * synthetic


def test_carryover_survives(weekly):
    """TV's decay estimated on synthetic series is the real one's within 0.15 (5 draws,
    median); search's short carryover stays short."""
    dag, real, synth = weekly
    real_decay = estimate_carryover(check_data(real, dag), dag).decays["revenue"]
    decays = [estimate_carryover(check_data(synth.sample(WEEKS, seed=s), dag), dag)
              .decays["revenue"] for s in range(5)]
    assert abs(np.median([d["tv_spend"] for d in decays]) - real_decay["tv_spend"]) <= 0.15
    assert np.median([d["search_spend"] for d in decays]) <= 0.3


def test_flighting_keeps_dark_weeks(weekly):
    """TV is dark in ~35 % of real weeks; synthetic series within 10 points."""
    _, real, synth = weekly
    dark = np.mean([(synth.sample(WEEKS, seed=s)["tv_spend"] == 0).mean() for s in range(5)])
    assert abs(dark - (real["tv_spend"] == 0).mean()) < 0.10


def test_tv_plus_10_percent_against_the_truth(weekly):
    """Revenue under "TV +10 % every week": within 3 % of the simulator's truth (mean over
    20 synthetic series against 200 simulated ones); the effect's sign and size within 50 %."""
    dag, _, synth = weekly
    base = pd.concat([synth.sample(WEEKS, seed=s) for s in range(20)])
    more = pd.concat([synth.sample(WEEKS, seed=s, interventions={"tv_spend": "+10%"})
                      for s in range(20)])
    true_more = dag.simulate(200 * WEEKS, seed=3, interventions={"tv_spend": "+10%"})
    assert more["revenue"].mean() == pytest.approx(true_more["revenue"].mean(), rel=0.03)
    # the truth from 200 simulated series too (0.03 % from the default 1,282 series' figure,
    # which takes six times as long; the tolerance is 50 %)
    truth = ground_truth(dag, n_samples=200 * WEEKS).effects.set_index(["treatment", "outcome"])
    effect = more["revenue"].mean() - base["revenue"].mean()
    assert effect == pytest.approx(truth.loc[("tv_spend", "revenue"), "shift_10pct"], rel=0.5)


def test_dark_weeks_and_budget_shift_schedules(weekly):
    """Schedules built from a natural draw with the same seed (common random numbers):
    TV dark in weeks 10-20 changes nothing before week 10 and lowers revenue after; moving
    20 % of search to TV keeps the total spend of every week."""
    _, _, synth = weekly
    natural = synth.sample(WEEKS, seed=4)
    dark = natural["tv_spend"].where(~natural["week"].between(10, 20), 0.0)
    dark_run = synth.sample(WEEKS, seed=4, interventions={"tv_spend": dark})
    np.testing.assert_allclose(dark_run["revenue"][:10], natural["revenue"][:10])
    assert (dark_run["tv_spend"][10:21] == 0).all()
    assert dark_run["revenue"][10:30].sum() < natural["revenue"][10:30].sum()
    moved = 0.2 * natural["search_spend"]
    shift = synth.sample(WEEKS, seed=4, interventions={
        "search_spend": natural["search_spend"] - moved, "tv_spend": natural["tv_spend"] + moved})
    np.testing.assert_allclose(shift[["tv_spend", "search_spend"]].sum(axis=1),
                               natural[["tv_spend", "search_spend"]].sum(axis=1))


def test_schedule_longer_than_the_series_is_refused(weekly):
    _, _, synth = weekly
    with pytest.raises(DAGError, match=r"schedule has 200 values, but the sample has 156 "
                                       r"periods.*n = 200"):
        synth.sample(WEEKS, seed=0, interventions={"tv_spend": np.zeros(200)})


def test_panel_makes_new_geos_that_spread_like_the_real_ones(panel):
    _dag, real, synth = panel
    table = synth.sample(12 * WEEKS, seed=3)
    assert list(table.columns[:2]) == ["geo", "week"]
    assert table["geo"].unique().tolist() == [f"synthetic_{i:02d}" for i in range(1, 13)]
    sizes = {name: np.log(t.groupby("geo")["revenue"].mean()) for name, t in
             (("real", real), ("synthetic", table))}
    assert sizes["synthetic"].std() == pytest.approx(sizes["real"].std(), rel=0.25)
    # no real geo's revenue series is reproduced: every synthetic geo is farther from its
    # nearest real geo than half the typical distance between two real geos of that size
    rr = real.pivot(index="week", columns="geo", values="revenue").to_numpy()
    ss = table.pivot(index="week", columns="geo", values="revenue").to_numpy()
    rel = lambda a, b: np.sqrt(np.mean((a - b) ** 2)) / np.mean(np.abs(b))  # noqa: E731
    nearest = [min(rel(ss[:, i], rr[:, j]) for j in range(rr.shape[1]))
               for i in range(ss.shape[1])]
    real_pairs = [min(rel(rr[:, i], rr[:, j]) for j in range(rr.shape[1]) if j != i)
                  for i in range(rr.shape[1])]
    assert min(nearest) > 0.5 * np.median(real_pairs)


def test_panel_geos_and_per_period_schedules(panel):
    _dag, _, synth = panel
    five = synth.sample(5 * 52, seed=0, geos=5)
    assert five["geo"].nunique() == 5 and len(five) == 260
    with pytest.raises(InvalidParameterError, match="do not split into 12 geos"):
        synth.sample(1000, seed=0)
    # one value per week applies to every geo
    flat = synth.sample(12 * WEEKS, seed=0, interventions={"tv_spend": np.full(WEEKS, 500.0)})
    assert (flat["tv_spend"] == 500.0).all()


def test_geos_only_for_series_synthesizers():
    dag = load_dag("acquisition")
    synth = make_synthesizer("causal").fit(dag.simulate(300, seed=0), dag)
    with pytest.raises(InvalidParameterError, match="geos=3"):
        synth.sample(30, seed=0, geos=3)


@pytest.mark.parametrize("broken, message", [
    (lambda t: t.drop(index=[40, 41]), "gaps"),
    (lambda t: pd.concat([t, t.iloc[[5]]]), "repeats periods"),
    (lambda t: t.iloc[::-1], "not in time order"),
])
def test_bad_series_refused_before_fitting(weekly, broken, message):
    dag, real, _ = weekly
    with pytest.raises(DataError, match=message):
        make_synthesizer("causal").fit(broken(real).reset_index(drop=True), dag)


def test_a_geo_with_too_few_weeks_is_refused(panel):
    dag, real, _ = panel
    short = real[~((real["geo"] == real["geo"].iloc[0]) & (real["week"] >= 15))]
    with pytest.raises(DataError, match="at least 20 periods"):
        make_synthesizer("causal").fit(short, dag)


def test_cli_draws_new_geos_or_refuses_with_nothing_written(panel, tmp_path):
    from typer.testing import CliRunner

    import causalsynth.cli as cli

    dag, real, _ = panel
    path = tmp_path / "real.csv"
    real.to_csv(path, index=False)
    out = tmp_path / "synth.csv"
    res = CliRunner().invoke(cli.app, ["synthesize", str(path), "-d", dag.name, "-y", "causal",
                                       "-o", str(out), "--geos", "3"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert list(table.columns[:2]) == ["geo", "week"] and len(table) == 3 * WEEKS
    bad = tmp_path / "bad.csv"
    res = CliRunner().invoke(cli.app, ["synthesize", str(path), "-d", dag.name, "-y", "causal",
                                       "-o", str(bad), "-n", "1001"])
    assert res.exit_code == 2 and "do not split into 12 geos" in res.output
    assert not bad.exists()


def test_a_holdout_without_the_rare_event_is_fine(weekly):
    """The last weeks held out may hold no promotion week: a constant column there is not bad
    input (the real table's own columns must still vary)."""
    from causalsynth import validate

    dag, real, synth = weekly
    train, holdout = real.iloc[:125], real.iloc[125:].assign(events=0)
    # 2 bootstrap fits a side: what is checked (a constant holdout column is no bad input, the
    # window metric runs) does not depend on them
    report = validate(train, synth.sample(125, seed=0), dag, holdout=holdout, seed=0,
                      n_bootstrap=2)
    assert report.verdict in ("preserved", "inconclusive", "not preserved")
    assert report.privacy["window_dcr_share_closer_to_train"].error is None
