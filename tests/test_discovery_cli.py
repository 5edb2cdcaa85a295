"""Edge suggestions for a contradicted DAG (``check_dag(suggest=True)``, ``check-dag
--suggest``), the ``discover`` command and the discovered graph's HTML."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import causalsynth as cs
import causalsynth.cli as cli
from causalsynth.evaluate._discovery_suggest import suggest_edges
from causalsynth.render.discovery_plot import graph_svg, render_discovery

runner = CliRunner()


def run(*args):
    return runner.invoke(cli.app, [str(a) for a in args])


@pytest.fixture(scope="module")
def robyn():
    try:
        table = cs.load_example("robyn_weekly")
    except cs.DataError:  # pragma: no cover - examples/data is part of the repository
        pytest.skip("examples/data is not here")
    spec = cs.load_dag("robyn_weekly").to_dict()
    for node in spec["nodes"]:
        if node["name"] == "search_S":
            node.pop("parents")
    return table, cs.load_dag(spec)


def test_robyn_without_its_added_edge_suggests_that_edge_first(robyn):
    # the shipped DAG's newsletter -> search_S was found by hand from residual correlations;
    # without it two independences fail, and adding it is the one change resolving both
    table, dag = robyn
    check = cs.check_dag(table, dag, seed=0, suggest=True, n_permutations=2)
    assert not check.passed
    top = check.suggestions.iloc[0]
    assert (top["action"], top["edge"], top["resolves"], top["violations_after"]) == (
        "add", "newsletter -> search_S", 2, 0)
    assert "suggestions (best first):\n  1. add newsletter -> search_S" in check.summary()
    d = json.loads(json.dumps(check.to_dict()))
    assert d["suggestions"][0]["edge"] == "newsletter -> search_S"


def test_removals_only_where_the_data_show_no_dependence(robyn):
    table, dag = robyn
    check = cs.check_dag(table, dag, seed=0, n_permutations=2)
    s = suggest_edges(check, table, dag, seed=0, time_aware=True)
    removed = s[s["action"] == "remove"]
    assert (removed["effect"] < check.threshold).all()
    # additions, which resolve failures, rank above every removal
    assert (s["action"].iloc[: (s["action"] == "add").sum()] == "add").all()


def test_a_passing_check_has_no_suggestions():
    dag = cs.load_dag("acquisition")
    check = cs.check_dag(dag.simulate(2000, seed=0), dag, seed=0, suggest=True,
                         n_permutations=2)
    assert check.passed and check.suggestions.empty


def test_a_dropped_edge_of_a_simulated_dag_is_suggested_back():
    # acquisition without tv_spend -> social_clicks: the data link them, the edge resolves it
    dag = cs.load_dag("acquisition")
    spec = dag.to_dict()
    spec.pop("simulation")
    for node in spec["nodes"]:
        if node["name"] == "social_clicks":
            node["parents"] = ["demand", "social_spend"]
    check = cs.check_dag(dag.simulate(3000, seed=1), spec, seed=0, suggest=True,
                         n_permutations=2)
    assert check.suggestions.iloc[0]["edge"] == "tv_spend -> social_clicks"


def test_check_dag_command_prints_suggestions(robyn, tmp_path):
    table, dag = robyn
    table.to_csv(tmp_path / "robyn.csv", index=False)
    dag.to_yaml(tmp_path / "dag.yaml")
    res = run("check-dag", tmp_path / "robyn.csv", "--dag", tmp_path / "dag.yaml", "--suggest",
              "--json", tmp_path / "c.json")
    assert res.exit_code == 1, res.output
    assert "1. add newsletter -> search_S" in res.output
    assert json.loads((tmp_path / "c.json").read_text())["suggestions"][0]["resolves"] == 2


def test_discover_command_writes_json_and_html(tmp_path):
    dag = cs.load_dag("acquisition")
    dag.simulate(800, seed=0).to_csv(tmp_path / "t.csv", index=False)
    res = run("discover", tmp_path / "t.csv", "--dag", "acquisition", "--method", "ges",
              "--bootstrap", "3", "--json", tmp_path / "d.json", "--html", tmp_path / "d.html")
    assert res.exit_code == 0, res.output
    assert "GES on 800 rows" in res.output
    d = json.loads((tmp_path / "d.json").read_text())
    assert d["method"] == "ges" and d["n_bootstrap"] == 3 and d["comparison"]["shd"] >= 0
    page = (tmp_path / "d.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "Against the declared DAG acquisition" in page


def test_discover_command_bad_input(tmp_path):
    dag = cs.load_dag("acquisition")
    dag.simulate(40, seed=0).to_csv(tmp_path / "t.csv", index=False)
    res = run("discover", tmp_path / "t.csv", "--method", "fci")
    assert res.exit_code == 2 and "'method' parameter of discover" in res.output
    res = run("discover", tmp_path / "t.csv", "--dag", "acquisition")
    assert res.exit_code == 2 and "needs at least 60 rows" in res.output
    assert not (tmp_path / "d.json").exists()


def test_plot_is_a_pure_function_of_the_dict():
    dag = cs.load_dag("saturation")
    d = cs.discover(dag.simulate(600, seed=0), dag, method="ges", seed=0,
                    n_bootstrap=2).to_dict()
    again = json.loads(json.dumps(d))
    assert graph_svg(d) == graph_svg(again)
    page = render_discovery(again)
    assert "Discovered structure (GES)" in page and "stability" in page


def test_discover_is_listed_and_takes_debug():
    assert "discover" in run("--help").output
    res = run("discover", "--help")
    for option in ("--dag", "--method", "--bootstrap", "--json", "--html", "--seed", "--debug"):
        assert option in res.output, option
