"""The DAG type: loading, validation (all problems together), views, YAML round trip."""

from __future__ import annotations

import contextlib
from pathlib import Path

import networkx as nx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from causalsynth import DAG, DAGError, load_dag
from causalsynth.dag import NODE_TYPES, ROLES, builtin_dags

ROOT = Path(__file__).resolve().parent.parent


def _spec(**overrides):
    spec = {
        "name": "toy",
        "nodes": [
            {"name": "spend", "type": "continuous", "role": "spend"},
            {"name": "clicks", "type": "count", "parents": ["spend"]},
            {"name": "revenue", "type": "continuous", "role": "outcome",
             "parents": ["clicks", "spend"]},
        ],
    }
    spec.update(overrides)
    return spec


@pytest.mark.parametrize("path", sorted((ROOT / "dags").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_dag_loads(path):
    dag = load_dag(path)
    assert dag.outcome in dag.nodes
    assert nx.is_directed_acyclic_graph(dag.to_networkx())
    assert dag.description, "every built-in DAG tells its business story"


def test_builtin_names_are_every_shipped_file():
    shipped = sorted(p.stem for p in (ROOT / "dags").glob("*.yaml"))
    assert "robyn_weekly" in shipped
    assert list(builtin_dags()) == shipped
    for name in shipped:
        assert load_dag(name).name == name


def test_readme_names_every_builtin_dag():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("Built-in DAGs (`dags/`)")
    section = text[start:text.index("\n## ", start)]
    missing = [name for name in builtin_dags() if f"`{name}`" not in section]
    assert not missing, f"README's 'Built-in DAGs' paragraph does not name {missing}"


def test_unknown_name_lists_every_builtin():
    with pytest.raises(DAGError) as info:
        load_dag("no_such_dag")
    assert all(name in str(info.value) for name in builtin_dags())


def test_views_of_acquisition(acquisition):
    assert acquisition.nodes == ["demand", "tv_spend", "social_spend", "organic_clicks",
                                 "social_clicks", "revenue"]
    assert acquisition.outcome == "revenue"
    assert acquisition.treatments == ["tv_spend", "social_spend"]
    assert acquisition.parents("revenue") == ["organic_clicks", "social_clicks"]
    assert acquisition.children("tv_spend") == ["organic_clicks", "social_clicks"]
    assert acquisition.ancestors("organic_clicks") == ["demand", "tv_spend", "social_spend"]
    assert ("tv_spend", "social_clicks") in acquisition.edges and len(acquisition.edges) == 8
    g = acquisition.to_networkx()
    assert g.nodes["tv_spend"] == {"type": "continuous", "role": "spend"}
    g.remove_node("revenue")  # a copy: the DAG is unchanged
    assert "revenue" in acquisition.nodes


@pytest.mark.parametrize("name", ["acquisition", "saturation", "ad_funnel"])
def test_yaml_round_trip(name):
    dag = load_dag(name)
    again = load_dag(dag.to_yaml())
    assert again.to_dict() == dag.to_dict()
    assert again.edges == dag.edges


def test_to_yaml_writes_file(tmp_path, acquisition):
    path = tmp_path / "copy.yaml"
    acquisition.to_yaml(path)
    assert load_dag(path).nodes == acquisition.nodes


def test_cycle_is_named():
    spec = _spec()
    spec["nodes"][0]["parents"] = ["revenue"]
    with pytest.raises(DAGError, match=r"cycle .*revenue.*spend|cycle .*spend.*revenue"):
        load_dag(spec)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda s: s["nodes"][1]["parents"].append("tv"), r"'tv' is not a declared node"),
        (lambda s: s["nodes"].append(dict(s["nodes"][0])), r"'spend' is declared twice"),
        (lambda s: s["nodes"][0].update(type="money"), r"unknown type 'money'"),
        (lambda s: s["nodes"][0].update(role="budget"), r"unknown role 'budget'"),
        (lambda s: s["nodes"][2].update(role="mediator"), r"no node has role 'outcome'"),
        (lambda s: s["nodes"][1].update(role="outcome"), r"several nodes have role 'outcome'"),
        (lambda s: s["nodes"][1]["parents"].append("clicks"), r"itself as a parent"),
        (lambda s: s.update(edges=[]), r"unknown top-level key 'edges'"),
        (lambda s: s["nodes"][0].update(categories=["a", "b"]), r"has 'categories' but is not"),
        (lambda s: s["nodes"][0].update(type="categorical"), r"needs 'categories'"),
        (lambda s: s.pop("nodes"), r"'nodes' is missing"),
    ],
    ids=["undeclared", "duplicate", "type", "role", "no-outcome", "two-outcomes", "self-loop",
         "top-key", "categories-on-numeric", "categorical-without-categories", "no-nodes"],
)
def test_each_bad_dag_has_its_own_message(mutate, expected):
    spec = _spec()
    mutate(spec)
    with pytest.raises(DAGError, match=expected):
        load_dag(spec)


def test_all_problems_reported_together():
    spec = _spec()
    spec["nodes"][0]["type"] = "money"
    spec["nodes"][1]["parents"].append("tv")
    spec["nodes"][2]["role"] = "context"
    with pytest.raises(DAGError) as info:
        load_dag(spec)
    assert len(info.value.problems) == 3
    assert "3 problems" in str(info.value)


def test_bad_simulation_block_is_reported():
    spec = _spec(simulation={
        "spend": {"distribution": "normal", "mean": 1},
        "clicks": {"coefficients": {"spend": 0.1}},
        "revenue": {"coefficients": {"clicks": 1, "spend": "lots"}, "noise": {"sd": 1}},
    })
    with pytest.raises(DAGError) as info:
        load_dag(spec)
    text = str(info.value)
    assert "normal needs a number 'sd'" in text
    assert "coefficient of 'spend' must be a number" in text
    assert "noise needs a distribution" in text


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(DAGError, match="no DAG file at"):
        load_dag(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes: [unclosed\n")
    with pytest.raises(DAGError, match="cannot be parsed"):
        load_dag(bad)


def test_yaml_is_never_evaluated(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(DAGError):
        load_dag(evil)


def test_unknown_node_lookup(acquisition):
    with pytest.raises(DAGError, match="'tv' is not in the DAG"):
        acquisition.parents("tv")


# ---- property-based: random graphs and random YAML never crash the loader ------------------
names = st.sampled_from(["a", "b", "c", "d", "e"])
node_st = st.fixed_dictionaries(
    {"name": names},
    optional={
        "type": st.sampled_from([*NODE_TYPES, "money", 3, None]),
        "role": st.sampled_from([*ROLES, "budget", None]),
        "parents": st.one_of(st.lists(names, max_size=4), names, st.integers()),
        "categories": st.one_of(st.lists(st.text(max_size=3), max_size=3), st.none()),
    },
)


@given(st.lists(node_st, max_size=6))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_graphs_load_or_raise_dag_error(nodes):
    try:
        dag = load_dag({"nodes": nodes})
    except DAGError as exc:
        assert exc.problems and all(isinstance(p, str) for p in exc.problems)
    else:
        assert isinstance(dag, DAG)
        assert nx.is_directed_acyclic_graph(dag.to_networkx())


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=5)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=20,
)


@given(st.one_of(yaml_values, st.dictionaries(
    st.sampled_from(["name", "nodes", "simulation", "description"]), yaml_values)))
@settings(max_examples=300, deadline=None)
def test_random_yaml_loads_or_raises_dag_error(value):
    text = yaml.safe_dump(value)
    with contextlib.suppress(DAGError):  # anything else fails the test
        load_dag(text if "\n" in text.strip() else {"nodes": value})


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_random_text_loads_or_raises_dag_error(text):
    with contextlib.suppress(DAGError):
        load_dag(text + "\n")
