"""``discover``: causal-learn's PC, GES and LiNGAM with roles as knowledge, against the
built-in DAGs' known structure; the ``discovery:`` block of a DAG file; bad input."""

from __future__ import annotations

import json

import networkx as nx
import pytest

import causalsynth as cs
from causalsynth.errors import DAGError, DataError, InvalidParameterError


@pytest.fixture(scope="module")
def acquisition():
    dag = cs.load_dag("acquisition")
    return dag, dag.simulate(2000, seed=0)


def _with_block(name: str, block: dict) -> dict:
    spec = cs.load_dag(name).to_dict()
    spec["discovery"] = block
    return spec


@pytest.mark.parametrize("method", ["pc", "ges", "lingam"])
def test_recovers_acquisition(acquisition, method):
    # measured at seed 0: PC 1.00 precision / 0.75 recall, GES 0.88 / 0.88, LiNGAM 1.0 / 1.0;
    # every edge found is oriented the true way (roles fix spend -> clicks -> revenue)
    dag, table = acquisition
    c = cs.discover(table, dag, method=method, seed=0, n_bootstrap=0).compare()
    assert c["skeleton_recall"] >= 0.75
    assert c["skeleton_precision"] >= 0.85
    assert c["orientation_accuracy"] == 1.0


def test_pc_recovers_saturation_exactly():
    dag = cs.load_dag("saturation")
    graph = cs.discover(dag.simulate(1000, seed=1), dag, seed=0, n_bootstrap=0)
    c = graph.compare()
    assert (c["shd"], c["missing"], c["extra"]) == (0, [], [])


def test_roles_beat_the_data_alone(acquisition):
    # without knowledge causal-learn leaves acquisition's spend -> clicks edges unoriented or
    # wrong; with the tiers no edge points into a context node or out of the outcome
    dag, table = acquisition
    graph = cs.discover(table, dag, method="ges", seed=0, n_bootstrap=0)
    plain = cs.discover(table, dag, method="ges", seed=0, n_bootstrap=0, knowledge=False)
    for a, b, kind in graph.found:
        assert kind == "->"
        assert b != "demand" and a != "revenue"
    assert graph.compare()["shd"] <= plain.compare()["shd"]


def test_bootstrap_stability_is_a_share_and_seeded(acquisition):
    dag, table = acquisition
    first = cs.discover(table.iloc[:600], dag, method="ges", seed=3, n_bootstrap=8)
    again = cs.discover(table.iloc[:600], dag, method="ges", seed=3, n_bootstrap=8)
    frame = first.to_frame()
    assert list(frame.columns) == ["source", "target", "kind", "found", "stability",
                                   "same_direction", "reverse_direction"]
    assert frame["stability"].between(0, 1).all()
    assert (frame["same_direction"] + frame["reverse_direction"] <= 1 + 1e-12).all()
    assert frame.equals(again.to_frame())
    # the strongest edge of the DAG (tv_spend -> organic_clicks, R² ~ 0.99) is always kept
    kept = frame.set_index(["source", "target"])
    assert kept.loc[("tv_spend", "organic_clicks"), "stability"] == 1.0


def test_time_table_uses_block_resamples_and_time_nodes():
    dag = cs.load_dag("weekly_mmm")
    table = dag.simulate(156, seed=0)
    graph = cs.discover(table, dag, method="ges", seed=0, n_bootstrap=3)
    assert graph.time_nodes == ["season", "trend"]
    assert "Fourier" in graph.time_context
    # trend and season are functions of the calendar: nothing causes them
    assert not [e for e in graph.found if e[1] in ("trend", "season")]


def test_views_and_json(acquisition):
    dag, table = acquisition
    graph = cs.discover(table, dag, method="lingam", seed=0, n_bootstrap=2)
    g = graph.to_networkx()
    assert isinstance(g, nx.DiGraph) and set(g.nodes) == set(dag.nodes)
    assert g.number_of_edges() == sum(1 if k == "->" else 2 for _, _, k in graph.found)
    d = json.loads(json.dumps(graph.to_dict()))
    assert d["comparison"]["shd"] == graph.compare()["shd"]
    assert d["knowledge"]["tiers"]["revenue"] == 3
    assert "LINGAM on 2,000 rows" in graph.summary()


def test_without_a_dag_every_column_is_a_node(acquisition):
    dag, table = acquisition
    graph = cs.discover(table, method="ges", seed=0, n_bootstrap=0)
    assert graph.nodes == list(table.columns) and graph.knowledge["tiers"] is None
    assert graph.compare(dag)["skeleton_recall"] >= 0.75
    with pytest.raises(DataError, match="without a DAG"):
        graph.compare()


def test_input_is_not_modified(acquisition):
    dag, table = acquisition
    before = table.copy()
    cs.discover(table, dag, method="ges", seed=0, n_bootstrap=2)
    assert table.equals(before)


# ---- the discovery block: knowledge declared in the DAG file -------------------------------
def test_required_and_forbidden_edges_are_obeyed(acquisition):
    _, table = acquisition
    dag = cs.load_dag(_with_block("acquisition", {
        "required": [["tv_spend", "social_spend"]],
        "forbidden": [["organic_clicks", "social_clicks"], ["social_clicks", "organic_clicks"]]}))
    assert dag.discovery.required == (("tv_spend", "social_spend"),)
    assert cs.load_dag(dag.to_dict()).discovery == dag.discovery  # round trip
    pair = {"organic_clicks", "social_clicks"}
    plain = cs.discover(table, "acquisition", method="ges", seed=0, n_bootstrap=0)
    assert [e for e in plain.found if {e[0], e[1]} == pair]  # GES links them without the block
    graph = cs.discover(table, dag, method="ges", seed=0, n_bootstrap=0)
    assert ("tv_spend", "social_spend", "->") in graph.found
    assert not [e for e in graph.found if {e[0], e[1]} == pair]


def test_required_edge_that_closes_a_cycle_is_refused():
    with pytest.raises(DAGError, match=r"required edge revenue -> demand closes the cycle"):
        cs.load_dag(_with_block("acquisition", {"required": [["revenue", "demand"]]}))


def test_forbidden_edge_the_dag_declares_is_refused():
    with pytest.raises(DAGError, match=r"forbidden lists demand -> organic_clicks, an edge "
                                       r"the DAG declares"):
        cs.load_dag(_with_block("acquisition", {"forbidden": [["demand", "organic_clicks"]]}))


def test_required_edge_against_the_roles_is_refused():
    # spend -> context: no cycle with the declared edges, but the tiers forbid it
    dag = cs.load_dag(_with_block("weekly_mmm", {"required": [["tv_spend", "events"]]}))
    with pytest.raises(DAGError, match="required edge tv_spend -> events goes against the "
                                       "roles"):
        cs.discover(dag.simulate(156, seed=0), dag, n_bootstrap=0)


def test_bad_block_lists_every_problem():
    with pytest.raises(DAGError) as info:
        cs.load_dag(_with_block("acquisition", {"required": [["nope", "revenue"]],
                                                 "forbidden": "x", "other": 1}))
    text = str(info.value)
    assert "'nope'" in text and "discovery.forbidden must be a list" in text
    assert "unknown key 'other'" in text


def test_too_few_rows_for_the_method(acquisition):
    dag, table = acquisition
    with pytest.raises(DataError, match=r"method='lingam'\) needs at least 120 rows for 6 "
                                        r"nodes .* the table has 80"):
        cs.discover(table.iloc[:80], dag, method="lingam")


def test_bad_parameters(acquisition):
    dag, table = acquisition
    with pytest.raises(InvalidParameterError, match="'method' parameter of discover"):
        cs.discover(table, dag, method="fci")
    with pytest.raises(InvalidParameterError, match="'n_bootstrap'"):
        cs.discover(table, dag, n_bootstrap=-1)
