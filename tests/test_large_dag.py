"""Wide DAGs: ``validate`` on a 60-node DAG, the caps its report states, and the shortcuts that
make it affordable giving the figures of the long way.

The speed itself is measured in ``benchmarks/bench_large_dag.py`` (no timed assertion here).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import causalsynth as cs
from causalsynth.data import check_data, sdmetrics_metadata
from causalsynth.evaluate import _pair_trends, gcm_models
from causalsynth.evaluate._shared import Tables
from causalsynth.evaluate.fidelity import quality_report
from causalsynth.evaluate.gcm import fit_gcm
from causalsynth.evaluate.gcm_ici import linear_coefficients


def generated_dag(n_nodes: int, n_roots: int = 10, n_spend: int = 3, seed: int = 0) -> dict:
    """Linear-Gaussian DAG: ``n_roots`` normal roots, then children of 1-3 earlier nodes."""
    rnd = random.Random(seed)
    names = [f"x{i:03d}" for i in range(n_nodes)]
    nodes, simulation = [], {}
    for i, name in enumerate(names):
        role = ("outcome" if i == n_nodes - 1 else "spend" if i < n_spend else "context")
        parents = [] if i < n_roots else sorted(rnd.sample(names[:i], rnd.choice([1, 2, 3])))
        nodes.append({"name": name, "type": "continuous", "role": role, "parents": parents})
        simulation[name] = ({"intercept": 0, "noise": {"distribution": "normal", "sd": 1},
                             "coefficients": {p: round(rnd.choice([-1, 1]) * rnd.uniform(0.3, 1),
                                                       2) for p in parents}}
                            if parents else {"distribution": "normal", "mean": 0, "sd": 1})
    return {"name": f"generated_{n_nodes}", "nodes": nodes, "simulation": simulation}


def _plain(dag, seed: int):
    table = check_data(dag.simulate(600, seed=seed), dag, allow_constant=True)
    return Tables(dag, table, table).plain("real")


@pytest.mark.slow
def test_sixty_node_dag_validates_and_states_its_caps(monkeypatch):
    # discovery (GES on both tables and their halves) is its own section, with its own budget:
    # stubbed here so that the test measures the sections that compare the tables
    import causalsynth.evaluate.structure as structure

    monkeypatch.setattr(structure, "structure_section",
                        lambda tables, seed, **kw: {"skipped": "stubbed in this test"})
    dag = cs.load_dag(generated_dag(60))
    real, fresh = dag.simulate(800, seed=1), dag.simulate(800, seed=2)
    report = cs.validate(real, fresh, dag, holdout=dag.simulate(300, seed=3), seed=0)
    assert report.verdict in ("preserved", "inconclusive")  # a fresh draw of the same model
    pairs = report.fidelity["column_pair_trends"]
    # every one of the 1,770 pairs is scored (numbers only: no pair sampled)
    assert len(pairs.breakdown) == 60 * 59 // 2
    assert "cap" not in pairs.details and "at once" in pairs.details["source"]
    assert 0.8 < report.fidelity["quality_score"].value <= 1
    for name in ("sdmetrics_dcr_baseline_protection", "sdmetrics_dcr_overfitting_protection"):
        result = report.privacy[name]
        assert result.ok, result.error
        assert result.details["rows_per_table"] == 10_000 // 60
        assert "166 rows per table instead of 500 for 60 columns" in result.details["cap"]
    # the true ICI of the outcome: every share has a finite value and they sum to 100
    shares = [row["real_share"] for row in report.causal["ici"]]
    assert np.isfinite(shares).all() and abs(sum(shares) - 100) < 1e-6
    assert gcm_models.selection_note(dag).startswith("60 nodes (more than 50)")
    assert report.causal["method"]["families_note"] == gcm_models.selection_note(dag)


@pytest.mark.parametrize("name", ["generated", "ad_funnel"])
def test_wide_quality_report_gives_sdmetrics_figures(monkeypatch, name):
    dag = cs.load_dag(generated_dag(34) if name == "generated" else name)
    real, syn = _plain(dag, 1), _plain(dag, 2)
    meta = sdmetrics_metadata(dag)
    want = quality_report(real, syn, meta)  # SDMetrics' QualityReport (34 columns: not wide)
    monkeypatch.setattr("causalsynth.evaluate.fidelity.WIDE_COLUMNS", 0)
    got = quality_report(real, syn, meta, seed=0)
    for key in ("score", "column_shapes", "column_pair_trends"):
        assert got[key] == pytest.approx(want[key], rel=1e-12, abs=1e-12)
    a, b = want["pairs_details"], got["pairs_details"]
    assert a[["column_1", "column_2", "metric"]].equals(b[["column_1", "column_2", "metric"]])
    np.testing.assert_allclose(b["score"].to_numpy(float), a["score"].to_numpy(float),
                               rtol=1e-12, atol=1e-12)
    assert got["cap"] is None and want["cap"] is None


def test_wide_quality_report_states_its_pair_cap(monkeypatch):
    dag = cs.load_dag("ad_funnel")  # labelled columns: their pairs are scored by SDMetrics
    monkeypatch.setattr("causalsynth.evaluate.fidelity.WIDE_COLUMNS", 0)
    monkeypatch.setattr(_pair_trends, "MAX_OTHER_PAIRS", 2)
    real, syn = _plain(dag, 1), _plain(dag, 2)
    got = quality_report(real, syn, sdmetrics_metadata(dag), seed=0)
    n = len(dag.nodes)
    numeric = sum(dag.node_type(c) in ("continuous", "count") for c in dag.nodes)
    others = n * (n - 1) // 2 - numeric * (numeric - 1) // 2
    assert got["pairs_scored"] == 2 + numeric * (numeric - 1) // 2
    assert got["cap"].startswith(f"2 of the {others} column pairs with a label")
    again = quality_report(real, syn, sdmetrics_metadata(dag), seed=0)
    assert again["pairs_details"].equals(got["pairs_details"])  # the same pairs for a seed


def test_fit_up_to_the_target_gives_the_whole_fit_mechanisms():
    dag = cs.load_dag(generated_dag(40))
    data = check_data(dag.simulate(500, seed=4), dag)
    families = dict.fromkeys((n for n in dag.nodes if dag.parents(n)), "linear")
    whole = fit_gcm(data, dag, families=families, seed=0)
    part = fit_gcm(data, dag, families=families, seed=0, upto=dag.outcome)
    upstream = [*dag.ancestors(dag.outcome), dag.outcome]
    assert len(upstream) < len(dag.nodes)
    for node in upstream:
        np.testing.assert_array_equal(part.noise_values[node], whole.noise_values[node])
        if dag.parents(node):
            assert linear_coefficients(part, node) == linear_coefficients(whole, node)
    assert not set(part.noise_values) - set(upstream)


def test_large_dag_families_on_the_outcome_ancestry_are_those_of_a_full_pass(monkeypatch):
    dag = cs.load_dag("saturation")  # non-linear mechanisms: the choice is not trivial
    data = check_data(dag.simulate(1500, seed=5), dag)
    full = gcm_models.choose_families(data, dag, seed=0)
    monkeypatch.setattr(gcm_models, "LARGE_DAG_NODES", 1)
    monkeypatch.setattr(gcm_models, "_selected", lambda d: {dag.outcome})
    part = gcm_models.choose_families(data, dag, seed=0)
    assert part[dag.outcome] == full[dag.outcome]
    simplest = {n: gcm_models._candidates(dag, n, gcm_models.model_parents(dag, n))[0]
                for n in part if n != dag.outcome}
    assert {n: part[n] for n in simplest} == simplest
