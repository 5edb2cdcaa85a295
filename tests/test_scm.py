"""The one propagation engine: sampling, interventions, schedules, observed values, memo."""

from __future__ import annotations

import numpy as np
import pytest

from causalsynth import InvalidParameterError, load_dag, make_synthesizer
from causalsynth.scm import parse_intervention, propagate
from causalsynth.simulation import declared_mechanisms, draw_noise


@pytest.fixture(scope="module")
def engine(acquisition):
    return acquisition, declared_mechanisms(acquisition), draw_noise(
        acquisition, np.random.default_rng(0), 500)


def test_propagate_is_what_simulate_draws(engine):
    dag, mechanisms, _ = engine
    values = propagate(dag, mechanisms, draw_noise(dag, np.random.default_rng(3), 50))
    table = dag.simulate(50, seed=3)
    for node in dag.nodes:
        np.testing.assert_allclose(values[node], table[node].to_numpy(dtype=float))


def test_set_shift_and_schedule(engine):
    dag, mechanisms, noise = engine
    base = propagate(dag, mechanisms, noise)
    shifted = propagate(dag, mechanisms, noise, {"tv_spend": "+10%"})
    np.testing.assert_allclose(shifted["tv_spend"], 1.1 * base["tv_spend"])
    np.testing.assert_array_equal(shifted["demand"], base["demand"])  # upstream untouched
    assert np.all(shifted["revenue"] != base["revenue"])
    fixed = propagate(dag, mechanisms, noise, {"tv_spend": 1000})
    assert np.all(fixed["tv_spend"] == 1000)
    plan = np.linspace(0, 50_000, 500)
    scheduled = propagate(dag, mechanisms, noise, {"tv_spend": plan})
    np.testing.assert_array_equal(scheduled["tv_spend"], plan)


def test_observed_values_are_kept_and_intervened(engine):
    """The g-formula: a node given as observed is not generated, but an intervention applies."""
    dag, mechanisms, noise = engine
    seen = np.full(500, 7.0)
    out = propagate(dag, mechanisms, noise, {"tv_spend": "+100%"},
                    observed={"tv_spend": seen})
    np.testing.assert_array_equal(out["tv_spend"], 14.0)
    np.testing.assert_array_equal(seen, 7.0)  # the input array is not modified


def test_upto_computes_only_ancestors(engine):
    dag, mechanisms, noise = engine
    out = propagate(dag, mechanisms, noise, upto="tv_spend")
    assert set(out) == {*dag.ancestors("tv_spend"), "tv_spend"}


def test_memo_reuses_values_of_the_same_draw(engine):
    dag, mechanisms, noise = engine
    calls = []

    class Counting:
        def __init__(self, inner, name):
            self.inner, self.name = inner, name

        def evaluate(self, parents, u):
            calls.append(self.name)
            return self.inner.evaluate(parents, u)

    counted = {n: Counting(m, n) for n, m in mechanisms.items()}
    cache: dict = {}
    everything = frozenset(dag.nodes)
    first = propagate(dag, counted, noise, upto="revenue", memo=(cache, everything))
    n_first = len(calls)
    again = propagate(dag, counted, noise, upto="revenue", memo=(cache, everything))
    assert len(calls) == n_first + 1  # only the target is evaluated again
    np.testing.assert_array_equal(first["revenue"], again["revenue"])


@pytest.mark.parametrize(("node", "value", "message"), [
    ("tv_spend", "+ten%", "neither a value nor a shift"),
    ("nowhere", 1.0, "nowhere"),
    ("tv_spend", [1.0, float("nan")], "not a finite number"),
    ("tv_spend", np.ones((2, 2)), "one value per row"),
])
def test_bad_interventions_are_refused_before_drawing(engine, node, value, message):
    dag, mechanisms, noise = engine
    with pytest.raises(InvalidParameterError, match=message):
        propagate(dag, mechanisms, noise, {node: value})


def test_schedule_of_the_wrong_length_and_negative_counts_are_refused(engine):
    dag, mechanisms, noise = engine
    with pytest.raises(InvalidParameterError, match="one finite number per row"):
        propagate(dag, mechanisms, noise, {"tv_spend": np.ones(3)})
    dag = load_dag({"nodes": [{"name": "visits", "type": "count"},
                              {"name": "y", "type": "continuous", "role": "outcome",
                               "parents": ["visits"]}],
                    "simulation": {"visits": {"distribution": "poisson", "rate": 3},
                                   "y": {"coefficients": {"visits": 1.0}}}})
    with pytest.raises(InvalidParameterError, match="negative counts"):
        dag.simulate(10, seed=0, interventions={"visits": "-500"})


def test_one_engine_serves_the_causal_synthesizer(acquisition, acquisition_real):
    """The synthesizer's sample under a schedule goes through the same engine."""
    synth = make_synthesizer("causal").fit(acquisition_real.iloc[:1000], acquisition)
    plan = np.linspace(1_000, 90_000, 200)
    out = synth.sample(200, seed=1, interventions={"tv_spend": plan})
    np.testing.assert_allclose(out["tv_spend"].to_numpy(), plan)


def test_parse_intervention_on_labels(ad_funnel):
    binary = next(ad_funnel.node(n) for n in ad_funnel.nodes
                  if ad_funnel.node(n).type == "binary")
    assert np.all(parse_intervention(binary, 1)(np.zeros(3)) == 1.0)
    with pytest.raises(InvalidParameterError, match="binary nodes take 0 or 1"):
        parse_intervention(binary, 2)
    with pytest.raises(InvalidParameterError, match="shifts apply to continuous and count"):
        parse_intervention(binary, "+10%")
