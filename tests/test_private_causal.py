"""Differentially private `causal` (epsilon=): accounting, inputs, and what it keeps."""

from __future__ import annotations

import math

import numpy as np
import pytest

import causalsynth as cs
from causalsynth.synthesizers._private import epsilon_for, rho_for


@pytest.fixture(scope="module")
def acquisition_small(acquisition):
    return acquisition.simulate(5_000, seed=1)


@pytest.mark.parametrize(("epsilon", "delta"), [(0.5, 1e-6), (3.0, 1e-6), (10.0, 1e-9)])
def test_zcdp_conversion_round_trips(epsilon, delta):
    rho = rho_for(epsilon, delta)
    assert epsilon_for(rho, delta) == pytest.approx(epsilon, rel=1e-12)
    # Bun & Steinke: rho-zCDP implies (rho + 2 sqrt(rho log 1/delta), delta)-DP
    assert epsilon == pytest.approx(rho + 2 * math.sqrt(rho * math.log(1 / delta)))


def test_guarantee_is_stated_and_never_overspent(acquisition, acquisition_small):
    synth = cs.make_synthesizer("causal", epsilon=3.0).fit(acquisition_small, acquisition)
    g = synth.guarantee_
    assert g["epsilon"] == 3.0 and g["delta"] == 1e-6 and "zCDP" in g["accountant"]
    assert g["epsilon_spent"] <= 3.0 + 1e-9
    assert set(g["bounds"]) == {n for n in acquisition.nodes if acquisition.node(n).is_numeric}
    assert set(g["bounds"].values()) == {"private"}  # the built-in DAG declares no ranges
    # only private mechanisms: no boosting, no kernel densities
    assert synth.summary_["model"].str.contains("noisy|private").all()
    assert cs.make_synthesizer("causal").fit(acquisition_small, acquisition).guarantee_ is None


def test_same_seed_same_table_and_interventions_work(acquisition, acquisition_small):
    synth = cs.make_synthesizer("causal", epsilon=1.0, random_state=4).fit(
        acquisition_small, acquisition)
    a, b = synth.sample(500, seed=2), synth.sample(500, seed=2)
    assert a.equals(b)
    again = cs.make_synthesizer("causal", epsilon=1.0, random_state=4).fit(
        acquisition_small, acquisition)
    assert again.sample(500, seed=2).equals(a)
    more = synth.sample(500, seed=2, interventions={"tv_spend": "+10%"})
    np.testing.assert_allclose(more["tv_spend"], 1.1 * a["tv_spend"])


def test_declared_ranges_are_used_and_bound_every_value(acquisition, acquisition_small):
    spec = acquisition.to_dict()
    for node in spec["nodes"]:
        node["range"] = [0, 800_000]
    dag = cs.load_dag(spec)
    synth = cs.make_synthesizer("causal", epsilon=1.0, bounds_share=0.0).fit(
        acquisition_small, dag)
    assert set(synth.guarantee_["bounds"].values()) == {"declared"}
    out = synth.sample(2_000, seed=0)
    assert out.min().min() >= 0 and out.max().max() <= 800_000


def test_weak_privacy_recovers_the_attribution(acquisition):
    """With a very large epsilon the noise vanishes: ICI shares within 2 points of the exact
    ones (30.1 / 17.5 / 24.7 / 0.2 / 27.3 / 0.2), effects within 5 %."""
    real = acquisition.simulate(20_000, seed=1)
    synth = cs.make_synthesizer("causal", epsilon=1_000.0).fit(real, acquisition)
    syn = synth.sample(20_000, seed=2)
    ici = cs.intrinsic_influence(syn, acquisition, seed=0, n_bootstrap=0).shares()
    truth = acquisition.ground_truth().shares()
    for node, share in truth.items():
        assert ici[node] == pytest.approx(share, abs=2.0), node
    base = synth.sample(20_000, seed=3)
    more = synth.sample(20_000, seed=3, interventions={"tv_spend": "+10%"})
    assert (more["revenue"] - base["revenue"]).mean() == pytest.approx(10_000, rel=0.05)


@pytest.mark.parametrize(("params", "names"), [
    ({"epsilon": 0.0}, ["epsilon"]),
    ({"epsilon": -1.0, "delta": 1.5}, ["epsilon", "delta"]),
    ({"epsilon": 1.0, "delta": 0.0}, ["delta"]),
    ({"epsilon": 1.0, "bounds_share": 1.0}, ["bounds_share"]),
])
def test_bad_privacy_parameters_name_each_problem(acquisition, acquisition_small, params, names):
    with pytest.raises(cs.InvalidParameterError) as info:
        cs.make_synthesizer("causal", **params).fit(acquisition_small, acquisition)
    for name in names:
        assert f"'{name}'" in str(info.value)


def test_no_bounds_and_no_budget_for_them_is_refused(acquisition, acquisition_small):
    with pytest.raises(cs.InvalidParameterError, match=r"range.*missing on .*'demand'"):
        cs.make_synthesizer("causal", epsilon=1.0, bounds_share=0.0).fit(
            acquisition_small, acquisition)


@pytest.mark.parametrize(("node", "bad", "message"), [
    ("demand", [5, 1], "lowest < highest"),
    ("demand", [0, float("inf")], "two finite numbers"),
    ("demand", "0-10", "two finite numbers"),
])
def test_bad_declared_ranges_are_one_clear_error(acquisition, node, bad, message):
    spec = acquisition.to_dict()
    next(n for n in spec["nodes"] if n["name"] == node)["range"] = bad
    with pytest.raises(cs.DAGError, match=message):
        cs.load_dag(spec)


def test_range_on_a_label_node_is_refused(ad_funnel):
    spec = ad_funnel.to_dict()
    spec["nodes"][0]["range"] = [0, 1]
    with pytest.raises(cs.DAGError, match="only continuous and count nodes take one"):
        cs.load_dag(spec)


def test_fitted_object_does_not_hold_the_exact_row_count(acquisition, acquisition_small):
    synth = cs.make_synthesizer("causal", epsilon=1.0).fit(acquisition_small, acquisition)
    assert synth.n_train_ is None


def test_cli_synthesize_states_the_guarantee(tmp_path, acquisition):
    from typer.testing import CliRunner

    from causalsynth.cli import app

    real = tmp_path / "real.csv"
    acquisition.simulate(2_000, seed=1).to_csv(real, index=False)
    out, meta = tmp_path / "syn.csv", tmp_path / "meta.json"
    res = CliRunner().invoke(app, ["synthesize", str(real), "-d", "acquisition", "-o", str(out),
                                   "-p", "epsilon=2", "--json", str(meta)])
    assert res.exit_code == 0, res.output
    assert "epsilon = 2" in res.output
    import json

    assert json.loads(meta.read_text())["guarantee"]["epsilon"] == 2
